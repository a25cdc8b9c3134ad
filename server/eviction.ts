import { ErrorReply } from '../protocol/reply';
import type { ServerConfig } from './config';
import { KEY_OVERHEAD, type Keyspace } from './keyspace';
import { OpKind, encodeOp } from './logop';
import type { RaftReplicator } from './raft-replicator';
import type { ServerStats } from './stats';

/** Redis's refusal when noeviction (or nothing evictable) meets maxmemory. */
export const ERR_OOM = new ErrorReply("OOM command not allowed when used memory > 'maxmemory'.");

const SAMPLES = 5;
const MAX_VICTIMS_PER_CALL = 64;

export interface EvictionHost {
  config: ServerConfig;
  keyspace: Keyspace;
  cluster: RaftReplicator | undefined;
  stats: ServerStats;
  clusterNow(): number;
}

/**
 * maxmemory on the leader: over the limit, a write that may grow memory
 * (denyoom) either gets -OOM (noeviction) or first has the leader propose
 * deletes of victims chosen by the policy. Victims are logged like any
 * delete, so every node evicts the same keys. "lru" here is least recently
 * *written* (a key's version is the log index of its last change): reads are
 * served by every node and are not replicated, so read recency is unknown to
 * the leader. Sampling (5 keys per pick) as Redis does.
 */
export class Evictor {
  private readonly pending = new Set<string>();
  private pendingBytes = 0;

  constructor(private readonly host: EvictionHost) {}

  /** Null when the write may go ahead (evicting first if needed), or the error to answer. */
  admit(): ErrorReply | null {
    const max = this.host.config.maxmemory;
    if (!max) return null;
    const over = this.host.keyspace.usedBytes - this.pendingBytes - max;
    if (over <= 0) return null;
    if (this.host.config['maxmemory-policy'] === 'noeviction') return ERR_OOM;
    return this.evict(over) > 0 || this.pendingBytes > 0 ? null : ERR_OOM;
  }

  /** Proposes deletes until about `bytes` would be freed; returns the bytes scheduled. */
  private evict(bytes: number): number {
    const cluster = this.host.cluster;
    if (!cluster?.isLeader()) return 0;
    let scheduled = 0;
    for (let n = 0; n < MAX_VICTIMS_PER_CALL && scheduled < bytes; n++) {
      const v = this.pick();
      if (!v) break;
      const tag = `${v.db}:${v.key}`;
      this.pending.add(tag);
      this.pendingBytes += v.size;
      scheduled += v.size;
      const op = { kind: OpKind.Evict as const, ts: this.host.clusterNow(), db: v.db, clientId: 0, seq: 0, key: Buffer.from(v.key, 'latin1') };
      cluster.proposeData(encodeOp(op), (reply) => {
        this.pending.delete(tag);
        this.pendingBytes -= v.size;
        if (reply === 1) this.host.stats.evictedKeys++;
      });
    }
    return scheduled;
  }

  /** The best of a few sampled keys under the policy, not already being evicted. */
  private pick(): { db: number; key: string; size: number } | undefined {
    const policy = this.host.config['maxmemory-policy'];
    const volatile = policy.startsWith('volatile-');
    const now = Date.now();
    const dbs = this.host.keyspace.dbs.map((d, i) => [d, i] as const).filter(([d]) => d.size() > 0);
    if (dbs.length === 0) return undefined;
    let best: { db: number; key: string; size: number; score: number } | undefined;
    for (let s = 0; s < SAMPLES * 4 && (best === undefined || s < SAMPLES); s++) {
      const [db, i] = dbs[Math.floor(Math.random() * dbs.length)];
      const key = db.randomKey(now, Math.random);
      if (key === null || this.pending.has(`${i}:${key}`)) continue;
      const expireAt = db.getExpire(key);
      if (volatile && expireAt < 0) continue;
      const score = policy.endsWith('-lru') ? db.version(key) : policy === 'volatile-ttl' ? expireAt : 0;
      if (best === undefined || score < best.score) {
        // The same measure usedBytes sums (every type: collections keep theirs incrementally).
        const size = db.memoryUsage(key, now) ?? key.length + KEY_OVERHEAD;
        best = { db: i, key, size, score };
      }
    }
    return best;
  }
}
