/**
 * Keyspace commands with subcommands (XINFO, XGROUP), modelled as Redis
 * does: the command table holds a container whose subcommands carry their
 * own arity, flags, keys, ACL categories and docs, so COMMAND INFO/DOCS,
 * ACL rules (`-xgroup|destroy`), arity errors (`'xinfo|stream'`), INFO
 * commandstats and CLIENT LIST's cmd= all name the subcommand.
 *
 * The log still holds the client's argv (`XGROUP CREATE k g $`) and the
 * state machine runs the whole command, which dispatches on argv[1]: the
 * container's `apply`. A subcommand's exec is that same function, so a
 * read on a node and the apply of a write run identical code.
 */
import { defineCommand, type CommandSpec } from './define';
import type { ContainerCommand } from './table';
import type { DataCommand } from './types';

/** A subcommand as declared: everything but exec (the whole command's). */
export type SubcommandSpec = Omit<CommandSpec, 'exec' | 'check' | 'rewrite' | 'blocking'>;

/** Attaches `subs` (named 'container|sub') to the whole command; returns it for the module's command list. */
export function withSubcommands(whole: DataCommand, subs: SubcommandSpec[]): DataCommand {
  const prefix = `${whole.name}|`;
  const map = new Map<string, DataCommand>();
  for (const s of subs) {
    if (!s.name.startsWith(prefix)) throw new Error(`subcommand ${s.name} is not under ${whole.name}`);
    map.set(s.name.slice(prefix.length), defineCommand({ ...s, exec: (ctx, argv) => whole.exec(ctx, argv) }));
  }
  whole.subcommands = map;
  return whole;
}

/**
 * The command table's entry for a whole command with subcommands: Redis
 * describes the container itself with no flags, no keys and only @slow
 * (COMMAND INFO xinfo), and without arguments in COMMAND DOCS.
 */
export function dataContainer(whole: DataCommand, subcommands: ReadonlyMap<string, DataCommand>): ContainerCommand {
  const { summary, since, group, complexity } = whole.doc;
  return {
    kind: 'container',
    name: whole.name,
    arity: -2,
    flags: [],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    aclCategories: ['@slow'],
    doc: complexity === undefined ? { summary, since, group } : { summary, since, group, complexity },
    subcommands: new Map(subcommands),
    apply: whole,
  };
}

/** The subcommand argv names, or undefined (no subcommand given, or an unknown one). */
export function subcommandOf(whole: DataCommand, argv: Buffer[]): DataCommand | undefined {
  if (whole.subcommands === undefined || argv.length < 2) return undefined;
  return whole.subcommands.get(argv[1].toString('latin1').toLowerCase());
}
