import { ErrorReply, type Reply } from '../protocol/reply';
import { errUnknownCommand } from '../protocol/errors';
import { Keyspace, keyString } from './keyspace';
import type { DataCommand, ExecContext } from './commands/types';
import { OpKind, type LogOp } from './logop';
import type { Logger } from './log';

/** Looks up data commands by lower-case name (the command table provides it). */
export type DataCommandLookup = (name: string) => DataCommand | undefined;

/**
 * The replicated state machine. apply(index, op) is a pure function of the
 * current state and the entry: "now" is the entry's cluster time, never the
 * local clock, so every node that applies the same log holds the same data.
 */
export class StateMachine {
  appliedIndex = 0;
  /** Highest cluster time applied; a new leader never stamps entries below it. */
  lastTs = 0;

  constructor(
    readonly keyspace: Keyspace,
    private readonly lookup: DataCommandLookup,
    private readonly log: Logger,
  ) {}

  /** Records an entry that carries no op (the Raft leader's no-op). */
  applyEmpty(index: number): void {
    this.appliedIndex = index;
  }

  apply(index: number, op: LogOp): Reply {
    this.appliedIndex = index;
    if (op.ts > this.lastTs) this.lastTs = op.ts;
    switch (op.kind) {
      case OpKind.Command:
        return this.execWrite(op.db, op.argv, op.ts, index);
      case OpKind.Multi:
        return op.commands.map((argv) => this.execWrite(op.db, argv, op.ts, index));
      case OpKind.Expire:
        return this.keyspace.dbs[op.db].deleteIfExpired(keyString(op.key), op.ts, index) ? 1 : 0;
    }
  }

  /** Runs a read against the applied state at local time `now`. */
  read(cmd: DataCommand, dbIndex: number, argv: Buffer[], now: number): Reply {
    return this.run(cmd, this.context(dbIndex, now, 0), argv);
  }

  private execWrite(dbIndex: number, argv: Buffer[], now: number, index: number): Reply {
    const name = argv[0].toString('latin1').toLowerCase();
    const cmd = this.lookup(name);
    if (!cmd) return errUnknownCommand(name, argv.slice(1));
    return this.run(cmd, this.context(dbIndex, now, index), argv);
  }

  private context(dbIndex: number, now: number, index: number): ExecContext {
    return { keyspace: this.keyspace, db: this.keyspace.dbs[dbIndex], dbIndex, now, index };
  }

  private run(cmd: DataCommand, ctx: ExecContext, argv: Buffer[]): Reply {
    try {
      return cmd.exec(ctx, argv);
    } catch (err) {
      // A handler bug must not take the node down; it is deterministic, so
      // every node answers the same error for the same entry.
      this.log.error({ err, command: cmd.name }, 'command handler threw');
      return new ErrorReply(`ERR internal error executing '${cmd.name}'`);
    }
  }
}
