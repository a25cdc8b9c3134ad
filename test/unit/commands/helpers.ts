import { entryRandom } from '../../../server/commands/random';
import { ErrorReply, PairsReply, SimpleString, type Reply } from '../../../protocol/reply';
import { Keyspace } from '../../../server/keyspace';
import { dataCommands } from '../../../server/commands/index';
import type { DataCommand, ExecContext } from '../../../server/commands/types';

const byName = new Map<string, DataCommand>(dataCommands.map((c) => [c.name, c]));

export function command(name: string): DataCommand {
  const c = byName.get(name.toLowerCase());
  if (!c) throw new Error(`no command ${name}`);
  return c;
}

export function argv(...args: Array<string | Buffer | number>): Buffer[] {
  return args.map((a) => (Buffer.isBuffer(a) ? a : Buffer.from(String(a))));
}

/**
 * A keyspace plus a clock and a log index, applying commands the way the
 * state machine does: check first (as the leader does before proposing),
 * then rewrite, then exec with index = next log index and now = the clock.
 */
export class Harness {
  readonly ks: Keyspace;
  now = 1_700_000_000_000;
  index = 0;
  db = 0;

  constructor(dbCount = 16) {
    this.ks = new Keyspace(dbCount);
  }

  ctx(write: boolean): ExecContext {
    const index = write ? ++this.index : 0;
    return { keyspace: this.ks, db: this.ks.dbs[this.db], dbIndex: this.db, now: this.now, index, random: entryRandom(index, 0) };
  }

  /** Runs a command like the server would; returns the reply in plain JS form (see plain()). */
  run(...args: Array<string | Buffer | number>): unknown {
    return plain(this.raw(...args));
  }

  raw(...args: Array<string | Buffer | number>): Reply {
    const a = argv(...args);
    const cmd = command(a[0].toString());
    const bad = cmd.check?.(a);
    if (bad) return bad;
    const write = cmd.flags.includes('write');
    const logged = write && cmd.rewrite ? cmd.rewrite(a, this.now) : a;
    // Apply looks the command up again by the logged name (SETEX is logged as SET).
    return command(logged[0].toString()).exec(this.ctx(write), logged);
  }

  /** exec only (no check / rewrite): what apply does with whatever reached the log. */
  exec(...args: Array<string | Buffer | number>): unknown {
    const a = argv(...args);
    const cmd = command(a[0].toString());
    return plain(cmd.exec(this.ctx(cmd.flags.includes('write')), a));
  }
}

/** Buffers -> strings (latin1), errors -> { err }, simple strings -> { status }. */
export function plain(r: Reply): unknown {
  if (Buffer.isBuffer(r)) return r.toString('latin1');
  if (Array.isArray(r)) return r.map(plain);
  if (r instanceof ErrorReply) return { err: r.message };
  if (r instanceof SimpleString) return { status: r.value };
  if (r instanceof PairsReply) return r.pairs.flat().map(plain); // as RESP2 sends it
  return r;
}

export const OK_ = { status: 'OK' };
export function err(message: string): { err: string } {
  return { err: message };
}
