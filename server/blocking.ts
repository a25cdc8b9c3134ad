/**
 * The leader's side of blocking commands (BLPOP, BRPOP, BLMOVE,
 * BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP).
 *
 * A blocking command is proposed like any write; its apply is the
 * non-blocking attempt. When that finds nothing, the leader parks the caller
 * here (its own client's or a follower's), FIFO per key as Redis serves
 * them. After every applied batch, a key that now holds its type wakes the
 * first waiter: the leader proposes that waiter's command again, and the
 * entry's reply (the popped element, decided at apply time on every node) is
 * its answer. A race lost to another client's pop puts it back at the head.
 * A follower's waiter is woken under its forwarded (clientId, seq), so the
 * state machine keeps the popped element for that request until the
 * follower acknowledges it (server/fsm.ts): if this leader dies before its
 * reply leaves, the follower's resend to the next leader gets the element.
 *
 * Waiters are not replicated. When this node stops leading, every waiter is
 * answered -TRYAGAIN, which the node the client is connected to
 * (server/blocked-clients.ts) turns into a retry on the new leader with the
 * time that remains: to the client, it keeps waiting.
 */
import type { Reply } from '../protocol/reply';
import { ErrorReply, NullArray } from '../protocol/reply';
import { errTryAgain } from '../protocol/errors';
import type { BlockingSpec } from './commands/types';
import type { Keyspace } from './keyspace';
import type { RequestId } from './node/forwarder';

export interface BlockingHost {
  keyspace: Keyspace;
  isLeader(): boolean;
  /** Proposes a command as the leader, under the blocked request's id if it was forwarded; `done` gets the applied reply. */
  propose(db: number, argv: Buffer[], done: (reply: Reply, index: number) => void, id?: RequestId): void;
}

interface Waiter {
  spec: BlockingSpec;
  db: number;
  argv: Buffer[];
  /** Tags `db:key` it waits on. */
  tags: string[];
  /** Set by the node the client is on, so it can cancel (client gone, CLIENT UNBLOCK). */
  token: string | undefined;
  /**
   * The forwarded request's (clientId, seq): the pop is logged under it, so
   * the state machine caches the popped element for that request and a
   * resend after a failover (the reply lost with this leader) gets it.
   */
  id: RequestId | undefined;
  timer: NodeJS.Timeout | undefined;
  /** A pop for it is in flight. */
  granting: boolean;
  /** Its timeout passed while a pop was in flight: answered when the pop completes. */
  expired: boolean;
  finished: boolean;
  done: (reply: Reply, index: number) => void;
}

const LEADERSHIP_LOST = 'leadership changed while the client was blocked; retry';

/** Whether an apply-time reply means "nothing to pop" (so the caller blocks). */
export function isEmptyPop(reply: Reply): boolean {
  return reply === null || reply === NullArray.instance;
}

/** How many cancels of not-yet-parked waiters are remembered, and for how long. */
const EARLY_CANCELS_MAX = 1000;
const EARLY_CANCEL_MS = 60000;

export class BlockingService {
  private readonly byKey = new Map<string, Waiter[]>();
  private readonly byToken = new Map<string, Waiter>();
  /**
   * Cancels that came before their waiter was parked: CLIENT UNBLOCK (or a
   * close) right after the command was sent can overtake its entry's apply.
   * Parking such a waiter would let a later write serve it (an XREADGROUP
   * would move an entry into the PEL of a consumer nobody reads for), so it
   * is answered at once instead. Token -> when the cancel came.
   */
  private readonly earlyCancels = new Map<string, number>();
  private count = 0;

  constructor(private readonly host: BlockingHost) {}

  /** Clients parked here (INFO's blocked_clients counts those of this node's own connections elsewhere). */
  get size(): number {
    return this.count;
  }

  /**
   * Wraps the completion of a proposed write: a blocking command whose apply
   * found nothing is parked instead of answered.
   */
  wrap(
    spec: BlockingSpec | undefined,
    db: number,
    argv: Buffer[],
    timeoutMs: number,
    token: string | undefined,
    done: (reply: Reply, index: number) => void,
    id?: RequestId,
  ): (reply: Reply, index: number) => void {
    if (spec === undefined) return done;
    return (reply, index) => {
      if (!isEmptyPop(reply)) {
        done(reply, index);
        return;
      }
      if (!this.host.isLeader()) {
        done(errTryAgain(LEADERSHIP_LOST), 0);
        return;
      }
      this.park(spec, db, argv, timeoutMs, token, done, id);
    };
  }

  /** The client behind `token` is gone or was unblocked: forget its waiter unless a pop for it is already in flight. */
  cancel(token: string): void {
    const w = this.byToken.get(token);
    if (w === undefined) {
      this.rememberEarlyCancel(token);
      return;
    }
    if (w.granting) return;
    this.finish(w, w.spec.timeoutReply, 0);
  }

  private rememberEarlyCancel(token: string): void {
    const now = Date.now();
    this.earlyCancels.set(token, now);
    // Most of them never park (the command was served, or answered with an error): keep few, briefly.
    for (const [t, at] of this.earlyCancels) {
      if (this.earlyCancels.size <= EARLY_CANCELS_MAX && now - at < EARLY_CANCEL_MS) break;
      this.earlyCancels.delete(t);
    }
  }

  /** After every applied batch: serve waiters whose keys now hold their type. */
  afterApply(): void {
    if (this.byKey.size === 0) return;
    if (!this.host.isLeader()) {
      this.failAll();
      return;
    }
    for (const tag of [...this.byKey.keys()]) this.service(tag);
  }

  /** This node stopped leading: every waiter retries on the new leader (through its own node). */
  failAll(): void {
    const err = errTryAgain(LEADERSHIP_LOST);
    for (const q of [...this.byKey.values()]) for (const w of q) if (!w.granting) this.finish(w, err, 0);
  }

  private park(spec: BlockingSpec, db: number, argv: Buffer[], timeoutMs: number, token: string | undefined, done: Waiter['done'], id: RequestId | undefined): void {
    const again = token === undefined ? undefined : this.byToken.get(token);
    if (again !== undefined && !again.finished) {
      // The same request resent (a reconnect): one waiter, answered through the latest channel.
      again.done = done;
      // A pop already proposed stays under the old id (its reply is cached there).
      if (!again.granting) again.id = id;
      return;
    }
    if (token !== undefined && this.earlyCancels.delete(token)) {
      // Its client already left (see earlyCancels): nobody to wait for.
      done(spec.timeoutReply, 0);
      return;
    }
    const tags = spec.keys(argv).map((i) => `${db}:${argv[i].toString('latin1')}`);
    const w: Waiter = { spec, db, argv, tags, token, id, timer: undefined, granting: false, expired: false, finished: false, done };
    for (const tag of tags) {
      let q = this.byKey.get(tag);
      if (q === undefined) this.byKey.set(tag, (q = []));
      q.push(w);
    }
    if (token !== undefined) this.byToken.set(token, w);
    this.count++;
    if (timeoutMs > 0) {
      w.timer = setTimeout(() => {
        // A pop already proposed for it is delivered when it applies (never popped for no one).
        if (w.granting) w.expired = true;
        else this.finish(w, spec.timeoutReply, 0);
      }, timeoutMs);
    }
    // The key may have been filled between this command's apply and now.
    for (const tag of tags) this.service(tag);
  }

  private service(tag: string): void {
    const q = this.byKey.get(tag);
    if (q === undefined) return;
    const w = q.find((x) => !x.granting && !x.finished);
    if (w === undefined || !this.ready(tag, w)) return;
    w.granting = true;
    this.host.propose(
      w.db,
      w.argv,
      (reply, index) => {
        w.granting = false;
        if (w.finished) return;
        if (isEmptyPop(reply)) {
          // Another client popped first: keep waiting, still first in line.
          if (w.expired) this.finish(w, w.spec.timeoutReply, 0);
          else if (!this.host.isLeader()) this.finish(w, errTryAgain(LEADERSHIP_LOST), 0);
          return;
        }
        this.finish(w, reply, index);
        for (const t of w.tags) this.service(t);
      },
      w.id,
    );
  }

  /** The key exists with the type the waiter needs (a key of another type keeps it waiting, as in Redis, unless unblockOnNoKey). */
  private ready(tag: string, w: Waiter): boolean {
    const colon = tag.indexOf(':');
    const db = this.host.keyspace.dbs[Number(tag.slice(0, colon))];
    const v = db?.lookupRead(tag.slice(colon + 1), Date.now());
    if (v === undefined || v.type !== w.spec.type) return w.spec.unblockOnNoKey === true;
    return w.spec.ready?.(v, w.argv) ?? true;
  }

  private finish(w: Waiter, reply: Reply, index: number): void {
    if (w.finished) return;
    w.finished = true;
    if (w.timer !== undefined) clearTimeout(w.timer);
    for (const tag of w.tags) {
      const q = this.byKey.get(tag);
      if (q === undefined) continue;
      const i = q.indexOf(w);
      if (i >= 0) q.splice(i, 1);
      if (q.length === 0) this.byKey.delete(tag);
    }
    if (w.token !== undefined) this.byToken.delete(w.token);
    this.count--;
    w.done(reply, reply instanceof ErrorReply ? 0 : index);
  }
}
