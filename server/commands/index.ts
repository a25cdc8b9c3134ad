import type { DataCommand } from './types';
import { keyCommands } from './keys';
import { stringCommands } from './string';

export { keyCommands } from './keys';
export { stringCommands } from './string';

/** Every command that reads or writes the keyspace, for the command table. */
export const dataCommands: DataCommand[] = [...stringCommands, ...keyCommands];
