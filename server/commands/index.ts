import type { DataCommand } from './types';
import { keyCommands } from './keys';
import { stringCommands } from './string';
import { scriptingCommands } from './scripting';
import { lockCommands } from './locks';
import { hashCommands } from './hash';
import { listCommands } from './list';
import { sortCommands } from './sort';
import { setCommands } from './set';
import { blockingCommands } from './blocking';
import { bitmapCommands } from './bitmap';
import { lcsCommands } from './lcs';
import { zsetCommands } from './zset';
import { hyperloglogCommands } from './hyperloglog';
import { geoCommands } from './geo';
import { functionCommands } from './functions';
import { dumpCommands } from './dump';
import { streamCommands } from './stream-all';

export { keyCommands } from './keys';
export { stringCommands } from './string';
export { scriptingCommands } from './scripting';
export { lockCommands } from './locks';
export { hashCommands } from './hash';
export { listCommands } from './list';
export { sortCommands } from './sort';
export { setCommands } from './set';
export { blockingCommands } from './blocking';
export { bitmapCommands } from './bitmap';
export { lcsCommands } from './lcs';
export { zsetCommands } from './zset';

/** Every command that reads or writes the keyspace, for the command table. */
export const dataCommands: DataCommand[] = [
  ...stringCommands,
  ...keyCommands,
  ...scriptingCommands,
  ...lockCommands,
  ...hashCommands,
  ...listCommands,
  ...sortCommands,
  ...setCommands,
  ...blockingCommands,
  ...bitmapCommands,
  ...lcsCommands,
  ...zsetCommands,
  ...hyperloglogCommands,
  ...geoCommands,
  ...functionCommands,
  ...dumpCommands,
  ...streamCommands,
];
