import { lolwutCommand } from './lolwut';
import type { CommandTable } from './table';

/**
 * The operations commands (issue 15): added to the table in one place so the
 * shared registry carries one line for them. Subcommands of existing
 * containers (COMMAND, MEMORY, CLIENT) are added to those containers.
 */
export function opsCommands(table: CommandTable): void {
  table.add(lolwutCommand());
}
