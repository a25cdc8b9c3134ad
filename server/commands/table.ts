import type { Reply } from '../../protocol/reply';
import type { CommandDoc, CommandFlag, DataCommand } from './types';
import type { ClientConnection } from '../connection';
import type { Server } from '../server';
import { dataContainer } from './data-container';

/** A reply that a server command produces later (cluster administration waits for the log). */
export class DeferredReply {
  constructor(readonly start: (done: (r: Reply) => void) => void) {}
}

/** A reply computed once this connection's earlier writes are applied (WATCH reads versions). */
export class AfterWrites {
  constructor(readonly run: () => Reply) {}
}

/** Several replies to one command, in order (SUBSCRIBE answers once per channel). */
export class Replies {
  constructor(readonly items: Reply[]) {}
}

export interface ServerContext {
  conn: ClientConnection;
  server: Server;
}

/** A command that touches connection or server state rather than the keyspace. */
export interface ServerCommand {
  kind: 'server';
  name: string; // lower-case; subcommands are 'container|sub'
  arity: number;
  flags: CommandFlag[];
  firstKey: number;
  lastKey: number;
  keyStep: number;
  aclCategories: string[];
  doc: CommandDoc;
  run(ctx: ServerContext, argv: Buffer[]): Reply | DeferredReply | Replies | AfterWrites;
}

/** A command with subcommands (CLIENT, CONFIG, COMMAND): Redis checks arity per subcommand. */
export interface ContainerCommand {
  kind: 'container';
  name: string;
  arity: number;
  flags: CommandFlag[];
  firstKey: number;
  lastKey: number;
  keyStep: number;
  aclCategories: string[];
  doc: CommandDoc;
  subcommands: Map<string, ServerCommand | DataCommand>;
  /** Runs the container without a subcommand (bare `COMMAND`); absent = arity error. */
  bare?: (ctx: ServerContext, argv: Buffer[]) => Reply | DeferredReply;
  /** A keyspace container (XINFO, XGROUP, see data-container.ts): the whole command the state machine applies. */
  apply?: DataCommand;
}

export type CommandDef = DataCommand | ServerCommand | ContainerCommand;
export type LeafCommand = DataCommand | ServerCommand;

/** The command table: every command by lower-case name, like Redis's server.commands dict. */
export class CommandTable {
  private readonly byName = new Map<string, CommandDef>();

  constructor(defs: Iterable<CommandDef>) {
    for (const d of defs) this.add(d);
  }

  add(def: CommandDef): void {
    // A keyspace command with subcommands is listed as the container clients see.
    this.byName.set(def.name, def.kind === 'data' && def.subcommands ? dataContainer(def, def.subcommands) : def);
  }

  get(name: string): CommandDef | undefined {
    return this.byName.get(name);
  }

  /** A data command by name, for apply (subcommands are never logged: a keyspace container applies as a whole). */
  data(name: string): DataCommand | undefined {
    const d = this.byName.get(name);
    return d?.kind === 'data' ? d : d?.kind === 'container' ? d.apply : undefined;
  }

  /** The command a request runs: argv[0], or a container's subcommand argv[1] (undefined if none is named). */
  leaf(argv: Buffer[]): LeafCommand | undefined {
    const d = argv.length > 0 ? this.byName.get(argv[0].toString('latin1').toLowerCase()) : undefined;
    if (d?.kind !== 'container') return d;
    return argv.length > 1 ? d.subcommands.get(argv[1].toString('latin1').toLowerCase()) : undefined;
  }

  all(): CommandDef[] {
    return [...this.byName.values()];
  }

  get size(): number {
    return this.byName.size;
  }
}

export { arityOk } from './define';

/** A server command with subcommands (`name|sub` each), described as Redis describes its containers. */
export function container(name: string, doc: CommandDoc, flags: CommandFlag[], subs: ServerCommand[], aclCategories: string[] = ['@slow']): ContainerCommand {
  return {
    kind: 'container',
    name,
    arity: -2,
    flags,
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    aclCategories,
    doc,
    subcommands: new Map(subs.map((s) => [s.name.slice(name.length + 1), s])),
  };
}
