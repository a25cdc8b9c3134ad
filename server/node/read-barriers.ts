/**
 * Read barriers: when a read in `lease` or `linearizable` mode may be served
 * from this node's applied state. A lease read waits only for the apply of
 * the commit index the leader's lease covers; a linearizable read asks the
 * core for a ReadIndex (a heartbeat round confirming leadership; a follower
 * asks the leader) and runs once this node has applied that index. Reads
 * arriving in one event-loop turn share one ReadIndex request. Also the
 * general "run this once index N is applied" queue (waitApplied) that
 * forwarded writes and start-up use.
 */
import { errClusterDown, errTryAgain } from '../../protocol/errors';
import type { ErrorReply } from '../../protocol/reply';
import { RaftError, type ReadState } from '../raft';
import { raftErrorReply } from './errors';
import type { NodeState } from './state';

export type ReadMode = 'local' | 'lease' | 'linearizable';

/**
 * Test-only failpoint: RAFTCACHE_FAILPOINT=linearizable-reads-local makes
 * lease and linearizable reads skip their barrier (served from local state),
 * so the fault suite can prove its checker catches a weakened server.
 */
export const FAILPOINT_LOCAL_READS = process.env.RAFTCACHE_FAILPOINT === 'linearizable-reads-local';

interface PendingRead {
  done: (err: ErrorReply | null) => void;
  deadline: number;
}

/** Runs `fn` once `appliedIndex` reaches `index`. */
interface ApplyWaiter {
  index: number;
  fn: () => void;
}

/** What the read barriers use of the node's shared state. */
export type ReadBarrierNode = Readonly<Pick<NodeState, 'raft' | 'fsm' | 'log'>>;

export interface ReadBarrierOptions {
  writeTimeoutMs: number;
  scheduleReady(): void;
}

export class ReadBarriers {
  private applyWaiters: ApplyWaiter[] = [];
  /** Reads waiting for the next ReadIndex request (one per Ready round). */
  private readIndexBatch: PendingRead[] = [];
  /** Reads whose ReadIndex request is in the core, by request context. */
  private readonly readIndexPending = new Map<number, PendingRead[]>();
  private nextReadCtx = 1;

  constructor(
    private readonly node: ReadBarrierNode,
    private readonly opts: ReadBarrierOptions,
  ) {}

  /**
   * Calls `done(null)` once a read in `mode` may be served from the local
   * applied state, or `done(error)`.
   */
  readBarrier(mode: ReadMode, done: (err: ErrorReply | null) => void): void {
    if (mode === 'local' || FAILPOINT_LOCAL_READS) {
      done(null);
      return;
    }
    if (mode === 'lease') {
      const idx = this.node.raft.leaseRead();
      if (idx !== undefined) {
        this.waitApplied(idx, () => done(null));
        return;
      }
    }
    this.readIndexBatch.push({ done, deadline: Date.now() + this.opts.writeTimeoutMs });
    this.opts.scheduleReady();
  }

  /** Runs fn once this node has applied `index`. */
  waitApplied(index: number, fn: () => void): void {
    if (this.node.fsm.appliedIndex >= index) {
      fn();
      return;
    }
    const w = this.applyWaiters;
    w.push({ index, fn });
    // Keep sorted by index; appends are almost always in order.
    for (let i = w.length - 1; i > 0 && w[i - 1].index > w[i].index; i--) [w[i - 1], w[i]] = [w[i], w[i - 1]];
  }

  /** After each applied entry: runs the waiters it satisfies. */
  runApplyWaiters(): void {
    const w = this.applyWaiters;
    if (w.length === 0 || w[0].index > this.node.fsm.appliedIndex) return;
    let n = 0;
    while (n < w.length && w[n].index <= this.node.fsm.appliedIndex) n++;
    const ready = w.splice(0, n);
    for (const x of ready) x.fn();
  }

  /** Reads wait for the next ReadIndex request (the Ready loop has work). */
  hasBatch(): boolean {
    return this.readIndexBatch.length > 0;
  }

  /** The Ready loop's turn: one ReadIndex request for every read that arrived since the last. */
  submitReadIndex(): void {
    if (this.readIndexBatch.length === 0) return;
    const batch = this.readIndexBatch;
    this.readIndexBatch = [];
    const ctx = this.nextReadCtx++;
    const buf = Buffer.allocUnsafe(4);
    buf.writeUInt32LE(ctx >>> 0, 0);
    try {
      this.node.raft.readIndex(buf);
      this.readIndexPending.set(ctx >>> 0, batch);
    } catch (e) {
      const err = e instanceof RaftError && e.code === 'not-leader' ? errClusterDown('no leader') : raftErrorReply(e, this.node.log);
      for (const r of batch) r.done(err);
    }
  }

  /** A Ready's read states: each request's reads run once its index is applied. */
  onReadStates(readStates: readonly ReadState[]): void {
    for (const rs of readStates) {
      const ctx = Buffer.from(rs.context).readUInt32LE(0);
      const reads = this.readIndexPending.get(ctx);
      if (!reads) continue;
      this.readIndexPending.delete(ctx);
      this.waitApplied(rs.index, () => {
        for (const r of reads) r.done(null);
      });
    }
  }

  /** Reads waiting on ReadIndex are dropped by the core on a leadership change. */
  onLeaderChange(): void {
    for (const [ctx, reads] of this.readIndexPending) {
      this.readIndexPending.delete(ctx);
      for (const r of reads) r.done(errTryAgain('leadership changed during a linearizable read'));
    }
  }

  expire(now: number): void {
    for (const [ctx, reads] of this.readIndexPending) {
      if (reads.length > 0 && reads[0].deadline <= now) {
        this.readIndexPending.delete(ctx);
        for (const r of reads) r.done(errTryAgain('could not confirm leadership for a linearizable read'));
      }
    }
  }
}
