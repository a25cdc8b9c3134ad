import { CommandTable } from './table';
import { dataCommands } from './index';
import { serverCommands } from './server';

/** The full command table: keyspace commands plus connection/server commands. */
export function buildCommandTable(): CommandTable {
  const table: CommandTable = new CommandTable([]);
  for (const d of dataCommands) table.add(d);
  for (const s of serverCommands(() => table.all(), (n) => table.get(n))) table.add(s);
  return table;
}
