import { ErrorReply, NullArray, OK, PONG, type Reply } from '../protocol/reply';
import { errUnknownCommand } from '../protocol/errors';
import { Keyspace, keyString } from './keyspace';
import type { DataCommand, ExecContext } from './commands/types';
import { entryRandom } from './commands/random';
import { OpKind, type LogOp, type WatchedKey } from './logop';
import type { Logger } from './log';
import { ReplyReader, serializeReply } from './reply-codec';
import { isEmptyPop } from './blocking';
import { POP_ACK } from './forwarding';
import { ACL_OP, RUN_AS, applyAclOp } from './acl/ops';
import type { AclUser } from './acl/user';

/** A forwarding client's recent replies, so a retried request is answered, not applied twice. */
interface Session {
  replies: Map<number, Reply>;
  /**
   * Replies of blocking requests that popped something (or failed), kept
   * past `floor` until the client acknowledges them (POP_ACK): a blocked
   * request does not hold back `ackedBelow` (it may wait for minutes), so
   * without this its pop's reply was pruned by the client's later writes
   * and a resend after a failover could not be answered with the element.
   * An empty pop (still waiting) is never cached: applying it again is the
   * retry of the wait, and the leader's wake-up pop is logged under the
   * same (clientId, seq).
   */
  pops: Map<number, Reply>;
  /** Every seq below this was acknowledged to the client (its reply is gone), blocking requests excepted. */
  floor: number;
  lastTs: number;
}

/** Sessions idle this long (cluster time) are forgotten. */
const SESSION_TTL_MS = 15 * 60 * 1000;

/** Looks up data commands by lower-case name (the command table provides it). */
export type DataCommandLookup = (name: string) => DataCommand | undefined;

/**
 * The replicated state machine. apply(index, op) is a pure function of the
 * current state and the entry: "now" is the entry's cluster time, never the
 * local clock, so every node that applies the same log holds the same data.
 */
/**
 * PING, ECHO and TIME inside MULTI: Redis queues them like any command. They
 * touch no state, so the transaction's log entry carries them and every node
 * answers them at apply (TIME from the entry's cluster time).
 */
export const TRANSACTION_PURE = new Set(['ping', 'echo', 'time']);

function transactionPure(argv: Buffer[], ts: number): Reply | undefined {
  const name = argv[0].toString('latin1').toLowerCase();
  if (!TRANSACTION_PURE.has(name)) return undefined;
  if (name === 'ping') {
    if (argv.length > 2) return new ErrorReply("ERR wrong number of arguments for 'ping' command");
    return argv.length === 2 ? argv[1] : PONG;
  }
  if (name === 'echo') return argv[1];
  const ms = Math.floor(ts);
  return [String(Math.floor(ms / 1000)), String((ms % 1000) * 1000)];
}

export class StateMachine {
  appliedIndex = 0;
  /** Delivers a script's PUBLISH (`applied`: at apply time, on every node; else a read on this node only). */
  onScriptPublish: ((channel: Buffer, message: Buffer, applied: boolean) => void) | undefined;
  /** Commands run within the entry being applied: each draws from its own seeded generator. */
  private randomCalls = 0;
  /** Highest cluster time applied; a new leader never stamps entries below it. */
  lastTs = 0;
  private readonly sessions = new Map<number, Session>();
  /** The sessions changed since the last durable write of them. */
  sessionsDirty = false;

  constructor(
    readonly keyspace: Keyspace,
    private readonly lookup: DataCommandLookup,
    private readonly log: Logger,
  ) {}

  /** Records an entry that carries no op (the Raft leader's no-op). */
  applyEmpty(index: number): void {
    this.appliedIndex = index;
  }

  /** Observes how long each applied op took (SLOWLOG); never affects the state. */
  onApplyTimed: ((op: LogOp, micros: number) => void) | undefined;

  apply(index: number, op: LogOp): Reply {
    if (this.onApplyTimed === undefined) return this.applyUntimed(index, op);
    const start = process.hrtime.bigint();
    const reply = this.applyUntimed(index, op);
    this.onApplyTimed(op, Number(process.hrtime.bigint() - start) / 1000);
    return reply;
  }

  private applyUntimed(index: number, op: LogOp): Reply {
    this.appliedIndex = index;
    this.randomCalls = 0;
    this.keyspace.accessClock = op.ts;
    if (op.ts > this.lastTs) this.lastTs = op.ts;
    if ((index & 1023) === 0) this.expireSessions(op.ts);
    if (op.clientId === 0) return this.applyOp(index, op);
    // Exactly once for requests that may be retried (forwarded by followers).
    const s = this.session(op.clientId, op.ts, op.ackedBelow ?? 0);
    if (op.kind === OpKind.Command && op.argv[0]?.equals(POP_ACK)) {
      // Idempotent, so not cached: a resent acknowledgement just finds nothing left to drop.
      for (let i = 1; i < op.argv.length; i++) s.pops.delete(Number(op.argv[i].toString('latin1')));
      return OK;
    }
    const cached = s.replies.get(op.seq) ?? s.pops.get(op.seq);
    if (cached !== undefined) return cached;
    const spec = op.kind === OpKind.Command ? this.lookup(op.argv[0].toString('latin1').toLowerCase())?.blocking : undefined;
    // XREADGROUP is blocking only with a BLOCK option (timeoutMs null otherwise).
    const blocking = op.kind === OpKind.Command && spec !== undefined && spec.timeoutMs?.(op.argv) !== null;
    if (!blocking) {
      if (op.seq < s.floor) return new ErrorReply('ERR duplicate of an already answered request');
      const reply = this.applyOp(index, op);
      s.replies.set(op.seq, reply);
      return reply;
    }
    // A blocking request below the floor is not a stale duplicate: its seq
    // was never held back. Not popped yet (no entry in `pops`): apply it.
    const reply = this.applyOp(index, op);
    if (!isEmptyPop(reply)) s.pops.set(op.seq, reply);
    return reply;
  }

  private session(clientId: number, ts: number, ackedBelow: number): Session {
    let s = this.sessions.get(clientId);
    if (!s) {
      s = { replies: new Map(), pops: new Map(), floor: 0, lastTs: ts };
      this.sessions.set(clientId, s);
    }
    s.lastTs = ts;
    if (ackedBelow > s.floor) {
      s.floor = ackedBelow;
      for (const seq of s.replies.keys()) if (seq < ackedBelow) s.replies.delete(seq);
    }
    this.sessionsDirty = true;
    return s;
  }

  private expireSessions(now: number): void {
    for (const [id, s] of this.sessions) {
      if (s.lastTs < now - SESSION_TTL_MS) {
        this.sessions.delete(id);
        this.sessionsDirty = true;
      }
    }
  }

  /**
   * The sessions as one record for the durable keyspace (deterministic: same
   * bytes on every node). Unacknowledged pops follow as a trailer, written
   * only when there are any: older readers stop before it (they lose only
   * those pops), and a record without one is the old format.
   *   u32 n | n x (f64 id | f64 floor | f64 lastTs | u32 count | count x (f64 seq | u32 len | reply))
   *   [u32 m | m x (f64 id | u32 count | count x (f64 seq | u32 len | reply))]
   */
  encodeSessions(): Buffer {
    const parts: Buffer[] = [];
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32LE(this.sessions.size, 0);
    parts.push(head);
    for (const [id, s] of this.sessions) {
      const h = Buffer.allocUnsafe(24);
      h.writeDoubleLE(id, 0);
      h.writeDoubleLE(s.floor, 8);
      h.writeDoubleLE(s.lastTs, 16);
      parts.push(h);
      pushReplies(parts, s.replies);
    }
    const withPops = [...this.sessions].filter(([, s]) => s.pops.size > 0);
    if (withPops.length > 0) {
      const th = Buffer.allocUnsafe(4);
      th.writeUInt32LE(withPops.length, 0);
      parts.push(th);
      for (const [id, s] of withPops) {
        const h = Buffer.allocUnsafe(8);
        h.writeDoubleLE(id, 0);
        parts.push(h);
        pushReplies(parts, s.pops);
      }
    }
    return Buffer.concat(parts);
  }

  restoreSessions(b: Buffer): void {
    this.sessions.clear();
    const rd = new ReplyReader(b);
    const n = rd.u32();
    for (let i = 0; i < n; i++) {
      const id = rd.f64();
      const floor = rd.f64();
      const lastTs = rd.f64();
      const replies = readReplies(rd, new Map());
      this.sessions.set(id, { replies, pops: new Map(), floor, lastTs });
    }
    if (rd.off >= b.length) return;
    const m = rd.u32();
    for (let i = 0; i < m; i++) {
      const id = rd.f64();
      // Read even for a session that is gone, to stay in step with the record.
      readReplies(rd, this.sessions.get(id)?.pops ?? new Map());
    }
  }

  /** Unacknowledged blocking pops held for `clientId` (tests, introspection). */
  heldPops(clientId: number): number {
    return this.sessions.get(clientId)?.pops.size ?? 0;
  }

  /**
   * Redis (since 6.0.9): a watched key that was modified, or that expired
   * after WATCH, fails EXEC; a key that was already stale (expired, not yet
   * deleted) when watched does not, even once it is deleted, unless it is
   * written again. A key that did not exist when watched breaks only if it
   * was written since (FLUSHALL/FLUSHDB touch only keys that existed, as in
   * Redis 7). `now` is the entry's time, so every node decides alike.
   */
  private watchBroken(w: WatchedKey, now: number): boolean {
    const db = this.keyspace.dbs[w.db];
    if (db === undefined) return true;
    const key = keyString(w.key);
    if (w.absent) return db.writtenSinceAbsent(key, w.version);
    const version = db.version(key);
    if (w.expired) return version !== w.version && db.lookupRead(key, now) !== undefined;
    return version !== w.version || db.isStale(key, now);
  }

  private applyOp(index: number, op: LogOp): Reply {
    switch (op.kind) {
      case OpKind.Command:
        return this.execWrite(op.db, op.argv, op.ts, index);
      case OpKind.Multi: {
        // WATCH: abort (nil array) if a watched key changed since the client looked.
        for (const w of op.watches) if (this.watchBroken(w, op.ts)) return NullArray.instance;
        return op.commands.map((argv) => transactionPure(argv, op.ts) ?? this.execWrite(op.db, argv, op.ts, index));
      }
      case OpKind.Expire:
        return this.keyspace.dbs[op.db].deleteIfExpired(keyString(op.key), op.ts, index) ? 1 : 0;
      case OpKind.Evict:
        return this.keyspace.dbs[op.db].delete(keyString(op.key), index) ? 1 : 0;
      case OpKind.LockExpire:
        return this.keyspace.locks.expire(keyString(op.key), op.token, op.deadline) ? 1 : 0;
      case OpKind.LockRefresh:
        this.keyspace.locks.refreshAll(op.ts);
        return 1;
    }
  }

  /** Runs a read against the applied state at local time `now`. */
  /** A client's read against the applied state; `lookups` counts its keyspace hits and misses. */
  read(cmd: DataCommand, dbIndex: number, argv: Buffer[], now: number, lookups?: ExecContext['lookups'], aclUser?: AclUser): Reply {
    const ctx = this.context(dbIndex, now, 0, lookups);
    ctx.directReply = true;
    if (aclUser !== undefined) ctx.aclUser = aclUser;
    return this.run(cmd, ctx, argv);
  }

  private execWrite(dbIndex: number, argv: Buffer[], now: number, index: number): Reply {
    if (argv[0]?.equals(ACL_OP)) return applyAclOp(this.keyspace.acl, argv);
    let aclUser: AclUser | null | undefined;
    if (argv[0]?.equals(RUN_AS) && argv.length >= 3) {
      aclUser = this.keyspace.acl.get(argv[1].toString('latin1')) ?? null;
      argv = argv.slice(2);
    }
    const name = argv[0].toString('latin1').toLowerCase();
    const cmd = this.lookup(name);
    if (!cmd) return errUnknownCommand(name, argv.slice(1));
    const ctx = this.context(dbIndex, now, index);
    if (aclUser !== undefined) ctx.aclUser = aclUser;
    return this.run(cmd, ctx, argv);
  }

  private context(dbIndex: number, now: number, index: number, lookups?: ExecContext['lookups']): ExecContext {
    const random = index > 0 ? entryRandom(index, this.randomCalls++) : Math.random;
    const applied = index > 0;
    const publish = (channel: Buffer, message: Buffer): void => this.onScriptPublish?.(channel, message, applied);
    return { keyspace: this.keyspace, db: this.keyspace.dbs[dbIndex], dbIndex, now, index, lookups, random, publish };
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

/** Appends `u32 count | count x (f64 seq | u32 len | reply)` (a session's cached replies or held pops). */
function pushReplies(parts: Buffer[], replies: ReadonlyMap<number, Reply>): void {
  const count = Buffer.allocUnsafe(4);
  count.writeUInt32LE(replies.size, 0);
  parts.push(count);
  for (const [seq, reply] of replies) {
    const r = serializeReply(reply);
    const rh = Buffer.allocUnsafe(12);
    rh.writeDoubleLE(seq, 0);
    rh.writeUInt32LE(r.length, 8);
    parts.push(rh, r);
  }
}

/** Reads what pushReplies wrote into `into`; returns it. */
function readReplies(rd: ReplyReader, into: Map<number, Reply>): Map<number, Reply> {
  const count = rd.u32();
  for (let j = 0; j < count; j++) {
    const seq = rd.f64();
    rd.u32(); // length, for readers that skip
    into.set(seq, rd.reply());
  }
  return into;
}
