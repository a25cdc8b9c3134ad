import { CommandTable } from './table';
import { dataCommands } from './index';
import { serverCommands } from './server';
import { clientReadmode, clusterCommands } from './cluster';
import { pubsubCommands } from './pubsub';
import { lockInfoCommand } from './lock-info';
import { transactionCommands } from './transactions';
import { aclCommand } from './acl';
import { trackingSubcommands } from './tracking';
import { opsCommands } from './ops';

/** The full command table: keyspace commands plus connection/server commands. */
export function buildCommandTable(): CommandTable {
  const table: CommandTable = new CommandTable([]);
  for (const d of dataCommands) table.add(d);
  for (const s of serverCommands(() => table.all(), (n) => table.get(n))) table.add(s);
  for (const c of clusterCommands()) table.add(c);
  for (const c of pubsubCommands()) table.add(c);
  table.add(lockInfoCommand());
  for (const c of transactionCommands()) table.add(c);
  table.add(aclCommand());
  opsCommands(table); // LOLWUT, COMMAND GETKEYS, LATENCY, DEBUG, MONITOR, CLIENT PAUSE/REPLY/NO-EVICT ...
  const client = table.get('client');
  if (client?.kind === 'container') {
    client.subcommands.set('readmode', clientReadmode());
    for (const sub of trackingSubcommands()) client.subcommands.set(sub.name.slice('client|'.length), sub);
  }
  return table;
}
