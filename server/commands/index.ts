import type { DataCommand } from './types';
import { keyCommands } from './keys';
import { stringCommands } from './string';
import { scriptingCommands } from './scripting';
import { lockCommands } from './locks';
import { zsetCommands } from './zset';

export { keyCommands } from './keys';
export { stringCommands } from './string';
export { scriptingCommands } from './scripting';
export { lockCommands } from './locks';
export { zsetCommands } from './zset';

/** Every command that reads or writes the keyspace, for the command table. */
export const dataCommands: DataCommand[] = [...stringCommands, ...keyCommands, ...scriptingCommands, ...lockCommands, ...zsetCommands];
