import { ErrorReply, MapReply, type Reply } from '../protocol/reply';
import { errTryAgain } from '../protocol/errors';
import { lockWaitMs } from './commands/locks';
import { keyString } from './keyspace';
import type { Logger } from './log';
import { OpKind, encodeOp } from './logop';
import type { RaftReplicator } from './raft-replicator';
import type { Keyspace } from './keyspace';

interface Waiter {
  owner: Buffer;
  ttl: Buffer;
  deadline: number;
  done: (reply: Reply, index: number) => void;
}

export interface LockServiceHost {
  cluster: RaftReplicator | undefined;
  keyspace: Keyspace;
  log: Logger;
  clusterNow(): number;
  publish(channel: Buffer, message: Buffer): number;
}

/**
 * The leader's side of locks: FIFO waiters for LOCK.ACQUIRE ... WAIT, expiry
 * proposed once the deadline passed on the leader's clock (never decided at
 * apply), a refresh of every lock when a node becomes leader (so a lock
 * expires late, never early, whatever the new leader's clock says), and
 * announcements on `__lock__:<name>` (acquired / released / expired).
 * Waiters are not replicated: a failover answers them -TRYAGAIN.
 */
export class LockService {
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly granting = new Set<string>();
  private readonly expiring = new Set<string>();
  private refreshedTerm = -1;
  private refreshing = false;

  constructor(private readonly host: LockServiceHost) {}

  waiting(name: string): number {
    return this.waiters.get(name)?.length ?? 0;
  }

  /**
   * Wraps the completion of a LOCK.ACQUIRE/RELEASE the leader proposed (its
   * own client's or a follower's): WAIT queues the caller instead of
   * answering nil, and changes are announced.
   */
  wrap(argv: Buffer[], done: (reply: Reply, index: number) => void): (reply: Reply, index: number) => void {
    // Every write passes here: rule out the common case without building a string.
    if (argv[0].length !== 'lock.acquire'.length) return done;
    const op = argv[0].toString('latin1').toLowerCase();
    if (op !== 'lock.acquire' && op !== 'lock.release') return done;
    const name = keyString(argv[1]);
    return (reply, index) => {
      if (op === 'lock.release') {
        if (reply === 1) this.announce(name, `released ${argv[2].toString('latin1')}`);
        done(reply, index);
        this.service(name);
        return;
      }
      if (typeof reply === 'number') {
        this.announce(name, `acquired ${argv[2].toString('latin1')} ${reply}`);
        done(reply, index);
        return;
      }
      const wait = reply === null ? lockWaitMs(argv) : 0;
      if (wait === 0) {
        done(reply, index);
        return;
      }
      if (!this.host.cluster?.isLeader()) {
        done(errTryAgain('leadership changed while waiting for the lock; retry'), 0);
        return;
      }
      let q = this.waiters.get(name);
      if (!q) this.waiters.set(name, (q = []));
      q.push({ owner: argv[2], ttl: argv[3], deadline: Date.now() + wait, done });
      this.service(name);
    };
  }

  /** Grants a free lock to its first waiter (one grant in flight per lock). */
  private service(name: string): void {
    const q = this.waiters.get(name);
    if (!q || q.length === 0 || this.granting.has(name) || this.host.keyspace.locks.get(name) !== undefined) return;
    const cluster = this.host.cluster;
    if (!cluster?.isLeader()) return;
    const w = q.shift()!;
    if (q.length === 0) this.waiters.delete(name);
    this.granting.add(name);
    const argv = [Buffer.from('lock.acquire'), Buffer.from(name, 'latin1'), w.owner, w.ttl];
    this.propose(argv, (reply, index) => {
      this.granting.delete(name);
      if (typeof reply === 'number') {
        this.announce(name, `acquired ${w.owner.toString('latin1')} ${reply}`);
        w.done(reply, index);
      } else if (reply instanceof ErrorReply) {
        w.done(reply, 0);
      } else {
        // Someone else took it between the release and this grant: wait on.
        const again = this.waiters.get(name) ?? [];
        again.unshift(w);
        this.waiters.set(name, again);
      }
    });
  }

  /** After every applied batch: locks may have been freed. */
  afterApply(): void {
    for (const name of this.waiters.keys()) this.service(name);
  }

  /** Periodic (leader): time out waiters, refresh after an election, propose expiries. */
  tick(now: number): void {
    const cluster = this.host.cluster;
    if (!cluster) return;
    if (!cluster.isLeader()) {
      this.refreshedTerm = -1;
      if (this.waiters.size > 0) {
        const err = errTryAgain('leadership changed while waiting for the lock; retry');
        for (const q of this.waiters.values()) for (const w of q) w.done(err, 0);
        this.waiters.clear();
      }
      return;
    }
    for (const [name, q] of this.waiters) {
      const keep = q.filter((w) => {
        if (w.deadline > now) return true;
        w.done(null, 0);
        return false;
      });
      if (keep.length === 0) this.waiters.delete(name);
      else this.waiters.set(name, keep);
    }
    const term = cluster.status().term;
    if (this.refreshedTerm !== term) {
      if (this.refreshing) return;
      this.refreshing = true;
      const ts = this.host.clusterNow();
      cluster.proposeData(encodeOp({ kind: OpKind.LockRefresh, ts, db: 0, clientId: 0, seq: 0 }), (reply) => {
        this.refreshing = false;
        if (!(reply instanceof ErrorReply)) this.refreshedTerm = term;
      });
      return; // no expiry until this term's refresh is applied
    }
    for (const e of this.host.keyspace.locks.expired(now, 100)) {
      const tag = `${e.name}\u0000${e.token}`;
      if (this.expiring.has(tag)) continue;
      this.expiring.add(tag);
      const op = { kind: OpKind.LockExpire as const, ts: this.host.clusterNow(), db: 0, clientId: 0, seq: 0, key: Buffer.from(e.name, 'latin1'), token: e.token, deadline: e.deadline };
      cluster.proposeData(encodeOp(op), (reply) => {
        this.expiring.delete(tag);
        if (reply === 1) {
          this.announce(e.name, `expired ${e.token}`);
          this.service(e.name);
        }
      });
    }
  }

  /** LOCK.INFO: owner, token, remaining ttl (this node's clock), waiters (counted on the leader). */
  info(name: string): Reply {
    const l = this.host.keyspace.locks.get(name);
    if (l === undefined) return null;
    return new MapReply([
      ['owner', l.owner],
      ['token', l.token],
      ['ttl', Math.max(0, Math.round(l.deadline - Date.now()))],
      ['waiters', this.waiting(name)],
    ]);
  }

  private propose(argv: Buffer[], done: (reply: Reply, index: number) => void): void {
    const ts = this.host.clusterNow();
    this.host.cluster!.proposeData(encodeOp({ kind: OpKind.Command, ts, db: 0, clientId: 0, seq: 0, argv }), done);
  }

  private announce(name: string, message: string): void {
    this.host.publish(Buffer.concat([Buffer.from('__lock__:'), Buffer.from(name, 'latin1')]), Buffer.from(message, 'latin1'));
  }
}
