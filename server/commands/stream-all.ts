/** Every stream command, for the command table (stream.ts and stream-groups.ts import each other's helpers, so neither lists both). */
import type { DataCommand } from './types';
import { streamBaseCommands } from './stream';
import { streamGroupCommands } from './stream-groups';

export const streamCommands: DataCommand[] = [...streamBaseCommands, ...streamGroupCommands];
