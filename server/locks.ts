/**
 * Distributed locks as replicated state (design notes §5). A lock is granted
 * by a committed write; its fencing token is the log index of the grant, so
 * tokens strictly increase across grants, failovers and restarts. A lock is
 * never freed by the passage of time at apply: only a release by its owner
 * or an expiry that the leader proposes after the deadline passed on its own
 * clock, and a new leader first extends every lock by its full TTL from its
 * own time — so a lock can expire late, never early.
 */

import { LOCK_DB, keyRecordKey } from './keyspace/records';

export { LOCK_DB };

export interface LockState {
  owner: Buffer;
  token: number;
  ttl: number;
  /** Cluster time (ms) after which the leader may propose expiry. */
  deadline: number;
}

export type AcquireResult = { granted: true; token: number } | { granted: false };

export class LockTable {
  private readonly locks = new Map<string, LockState>();
  private readonly changed = new Set<string>();

  /** `tracking` says whether changes are being recorded for the durable copy (the keyspace's switch). */
  constructor(private readonly tracking: () => boolean) {}

  get size(): number {
    return this.locks.size;
  }

  get(name: string): LockState | undefined {
    return this.locks.get(name);
  }

  entries(): IterableIterator<[string, LockState]> {
    return this.locks.entries();
  }

  private note(name: string): void {
    if (this.tracking()) this.changed.add(name);
  }

  /** Grants a free lock (token = index), or renews it for the same owner (same token). */
  acquire(name: string, owner: Buffer, ttl: number, now: number, index: number): AcquireResult {
    const cur = this.locks.get(name);
    if (cur !== undefined) {
      if (!cur.owner.equals(owner)) return { granted: false };
      cur.ttl = ttl;
      cur.deadline = now + ttl;
      this.note(name);
      return { granted: true, token: cur.token };
    }
    this.locks.set(name, { owner: Buffer.from(owner), token: index, ttl, deadline: now + ttl });
    this.note(name);
    return { granted: true, token: index };
  }

  release(name: string, owner: Buffer): boolean {
    const cur = this.locks.get(name);
    if (cur === undefined || !cur.owner.equals(owner)) return false;
    this.locks.delete(name);
    this.note(name);
    return true;
  }

  extend(name: string, owner: Buffer, ttl: number, now: number): boolean {
    const cur = this.locks.get(name);
    if (cur === undefined || !cur.owner.equals(owner)) return false;
    cur.ttl = ttl;
    cur.deadline = now + ttl;
    this.note(name);
    return true;
  }

  /** Leader-proposed expiry: frees the lock only if it is still the grant the leader saw expire. */
  expire(name: string, token: number, deadline: number): boolean {
    const cur = this.locks.get(name);
    if (cur === undefined || cur.token !== token || cur.deadline !== deadline) return false;
    this.locks.delete(name);
    this.note(name);
    return true;
  }

  /** A new leader's first act: every lock lasts at least its TTL from the new leader's time. */
  refreshAll(now: number): void {
    for (const [name, l] of this.locks) {
      const d = Math.max(l.deadline, now + l.ttl);
      if (d !== l.deadline) {
        l.deadline = d;
        this.note(name);
      }
    }
  }

  /** Locks whose deadline passed at `now` (the leader's clock). */
  expired(now: number, max: number): Array<{ name: string; token: number; deadline: number }> {
    const out: Array<{ name: string; token: number; deadline: number }> = [];
    for (const [name, l] of this.locks) {
      if (l.deadline <= now) out.push({ name, token: l.token, deadline: l.deadline });
      if (out.length >= max) break;
    }
    return out;
  }

  drainChanged(): string[] {
    const out = [...this.changed];
    this.changed.clear();
    return out;
  }

  clear(): void {
    this.locks.clear();
    this.changed.clear();
  }

  /** Record: key [LOCK_DB][name], value [f64 token][f64 ttl][f64 deadline][owner]; null = deleted. */
  encodeRecord(name: string): { key: Buffer; value: Buffer } | null {
    const l = this.locks.get(name);
    if (l === undefined) return null;
    const key = keyRecordKey(LOCK_DB, name);
    const value = Buffer.allocUnsafe(24 + l.owner.length);
    value.writeDoubleLE(l.token, 0);
    value.writeDoubleLE(l.ttl, 8);
    value.writeDoubleLE(l.deadline, 16);
    l.owner.copy(value, 24);
    return { key, value };
  }

  applyRecord(key: Buffer, value: Buffer): void {
    if (value.length < 24) throw new RangeError('lock record truncated');
    this.locks.set(key.toString('latin1', 1), {
      token: value.readDoubleLE(0),
      ttl: value.readDoubleLE(8),
      deadline: value.readDoubleLE(16),
      owner: Buffer.from(value.subarray(24)),
    });
  }
}
