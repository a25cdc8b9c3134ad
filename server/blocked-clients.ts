/**
 * The side of a blocking command on the node its client is connected to
 * (any node). The leader parks the waiter (server/blocking.ts); this node:
 *
 * - sends the command (to the leader, or to its own blocking service when
 *   it leads) tagged with a token, so it can cancel it;
 * - keeps the client waiting across a failover: -TRYAGAIN/-CLUSTERDOWN from
 *   a leader that stopped leading (or none yet) becomes a retry on the new
 *   leader with the time that remains (a request resent to the new leader
 *   under its id is the forwarder's: server/node/forwarder.ts `longWait`);
 *   "may or may not have been applied" is passed on, never retried;
 * - when the client leaves (closed, CLIENT UNBLOCK) it answers/forgets the
 *   client at once and cancels the waiter; if a pop for it was already
 *   under way, what it took is pushed back (the command's giveBack), so an
 *   element is delivered to exactly one live client or stays in its key.
 */
import { ErrorReply, RawReply, errorCodeOf, errorMessage, type Reply } from '../protocol/reply';
import { OUTCOME_UNKNOWN } from './node/errors';
import { readReply } from '../protocol/resp-reader';
import { isEmptyPop } from './blocking';
import { timeoutArg } from './commands/blocking-args';
import type { DataCommand } from './commands/types';

export interface BlockedClientsHost {
  /** Sends the command towards the leader (or runs it here when leading); `done` gets the final reply. */
  submit(db: number, cmd: DataCommand, argv: Buffer[], token: string, timeoutMs: number, proto: 2 | 3, done: (reply: Reply) => void): void;
  /** Tells the leader the client behind `token` no longer waits. */
  cancel(token: string): void;
  /** Proposes writes that put popped elements back (client gone). */
  giveBack(db: number, writes: Buffer[][]): void;
  /** Logs a give-back (never silent: it reorders what other clients see). */
  noteGiveBack(cmd: string, writes: number): void;
}

interface Blocked {
  connId: number;
  cmd: DataCommand;
  db: number;
  argv: Buffer[];
  proto: 2 | 3;
  token: string;
  /** Absolute deadline in ms on this node's clock; Infinity = forever. */
  deadline: number;
  answered: boolean;
  answer: (reply: Reply) => void;
  retryTimer: NodeJS.Timeout | undefined;
}

/** How long to wait before retrying on a new leader. */
const RETRY_MS = 50;
const UNBLOCKED = new ErrorReply('UNBLOCKED client unblocked via CLIENT UNBLOCK');

/**
 * A wait served on this node alone (XREAD BLOCK, commands/stream-wait.ts):
 * nothing to cancel on the leader, but it counts and unblocks like the rest.
 */
interface LocalWait {
  timed: boolean;
  timeoutReply: Reply;
  release: (reply: Reply) => void;
}

export class BlockedClients {
  private readonly byConn = new Map<number, Blocked>();
  private readonly local = new Map<number, LocalWait>();
  private seq = 0;

  constructor(
    private readonly host: BlockedClientsHost,
    /** Unique per process, so tokens of a restarted node never collide. */
    private readonly nodeTag: string,
  ) {}

  /** Clients of this node waiting in a blocking command (INFO blocked_clients). */
  get size(): number {
    return this.byConn.size + this.local.size;
  }

  /** Those with a timeout (INFO clients_in_timeout_table: Redis leaves BLOCK 0 / timeout 0 out of it). */
  get timed(): number {
    let n = 0;
    for (const b of this.byConn.values()) if (b.deadline !== Infinity) n++;
    for (const w of this.local.values()) if (w.timed) n++;
    return n;
  }

  isBlocked(connId: number): boolean {
    return this.byConn.has(connId) || this.local.has(connId);
  }

  /** A client now waits on this node only; `release` answers it (CLIENT UNBLOCK). Ends with localDone. */
  waitLocal(connId: number, timeoutMs: number, timeoutReply: Reply, release: (reply: Reply) => void): void {
    this.local.set(connId, { timed: timeoutMs > 0, timeoutReply, release });
  }

  /** The local wait of connId ended (answered, timed out or the client closed). */
  localDone(connId: number): void {
    this.local.delete(connId);
  }

  /** Runs a blocking command for a client; `answer` is called exactly once (unless the client leaves first). */
  run(connId: number, cmd: DataCommand, db: number, argv: Buffer[], timeoutMs: number, proto: 2 | 3, answer: (reply: Reply) => void): void {
    const b: Blocked = {
      connId,
      cmd,
      db,
      argv,
      proto,
      token: `${this.nodeTag}:${++this.seq}`,
      deadline: timeoutMs === 0 ? Infinity : Date.now() + timeoutMs,
      answered: false,
      answer,
      retryTimer: undefined,
    };
    this.byConn.set(connId, b);
    this.attempt(b, timeoutMs);
  }

  /** CLIENT UNBLOCK: true if the client was blocked here. */
  unblock(connId: number, withError: boolean): boolean {
    const w = this.local.get(connId);
    if (w !== undefined) {
      this.local.delete(connId);
      w.release(withError ? UNBLOCKED : w.timeoutReply);
      return true;
    }
    const b = this.byConn.get(connId);
    if (b === undefined) return false;
    this.leave(b, withError ? UNBLOCKED : (b.cmd.blocking?.timeoutReply ?? null));
    return true;
  }

  /** The client closed. */
  closed(connId: number): void {
    this.local.delete(connId);
    const b = this.byConn.get(connId);
    if (b !== undefined) this.leave(b, undefined);
  }

  private attempt(b: Blocked, timeoutMs: number): void {
    const spec = b.cmd.blocking!;
    const argv = b.argv.slice();
    argv[spec.timeoutIndex(argv)] = timeoutMs === 0 ? Buffer.from('0') : (spec.timeoutArg ?? timeoutArg)(timeoutMs);
    this.host.submit(b.db, b.cmd, argv, b.token, timeoutMs, b.proto, (reply) => this.settled(b, reply));
  }

  private settled(b: Blocked, reply: Reply): void {
    if (b.answered) {
      // The client left while a pop for it was under way: put back what it took.
      this.giveBack(b, reply);
      return;
    }
    if (isRetryable(reply)) {
      const left = b.deadline - Date.now();
      if (left > 0) {
        b.retryTimer = setTimeout(() => {
          b.retryTimer = undefined;
          if (!b.answered) this.attempt(b, b.deadline === Infinity ? 0 : Math.max(1, b.deadline - Date.now()));
        }, Math.min(RETRY_MS, left));
        return;
      }
      reply = b.cmd.blocking!.timeoutReply;
    }
    b.answered = true;
    this.byConn.delete(b.connId);
    // Its request may still be parked on a leader (the forward timed out): nobody waits for it now.
    if (isOutcomeUnknown(reply)) this.host.cancel(b.token);
    b.answer(reply);
  }

  private leave(b: Blocked, reply: Reply | undefined): void {
    if (b.answered) return;
    b.answered = true;
    this.byConn.delete(b.connId);
    if (b.retryTimer !== undefined) clearTimeout(b.retryTimer);
    this.host.cancel(b.token);
    if (reply !== undefined) b.answer(reply);
  }

  private giveBack(b: Blocked, reply: Reply): void {
    const decoded = reply instanceof RawReply ? readReply(reply.bytes) : reply;
    if (decoded instanceof ErrorReply || isEmptyPop(decoded)) return;
    const writes = b.cmd.blocking!.giveBack(b.argv, decoded);
    if (writes.length === 0) return;
    this.host.noteGiveBack(b.cmd.name, writes.length);
    this.host.giveBack(b.db, writes);
  }
}

/**
 * A failover or no leader yet: the command was not applied, so it may be
 * sent again (as a new request). Not "may or may not have been applied"
 * (server/node/errors.ts): a pop may have been made for it, and only a resend
 * under the same request id (the forwarder's, until its deadline) would get
 * that element; a new request would pop another one and lose the first. The
 * client hears that error instead.
 */
function isRetryable(reply: Reply): boolean {
  if (isOutcomeUnknown(reply)) return false;
  const code = errorCodeOf(reply);
  return code === 'TRYAGAIN' || code === 'CLUSTERDOWN';
}

function isOutcomeUnknown(reply: Reply): boolean {
  return errorMessage(reply)?.includes(OUTCOME_UNKNOWN) ?? false;
}
