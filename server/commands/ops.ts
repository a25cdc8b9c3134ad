import { getKeysSubcommands } from './getkeys';
import { lolwutCommand } from './lolwut';
import { debugCommand } from './debug';
import { clientOpsSubcommands } from './client-ops';
import { monitorCommand } from './monitor-command';
import { latencyCommand } from './latency';
import { memorySubcommands } from './memory-stats';
import type { CommandTable, ServerCommand } from './table';

/**
 * The operations commands (issue 15): added to the table in one place so the
 * shared registry carries one line for them. Subcommands of existing
 * containers (COMMAND, MEMORY, CLIENT) are added to those containers.
 */
export function opsCommands(table: CommandTable): void {
  table.add(lolwutCommand());
  table.add(debugCommand());
  table.add(monitorCommand());
  table.add(latencyCommand((n) => table.get(n)));
  addSubcommands(table, 'command', getKeysSubcommands((n) => table.get(n)));
  addSubcommands(table, 'memory', memorySubcommands());
  addSubcommands(table, 'client', clientOpsSubcommands());
}

function addSubcommands(table: CommandTable, container: string, subs: ServerCommand[]): void {
  const c = table.get(container);
  if (c?.kind !== 'container') return;
  for (const s of subs) c.subcommands.set(s.name.slice(container.length + 1), s);
}
