import type { PeerStatus, ProgressStateName } from './types';

/**
 * The leader's per-peer replication state (etcd-io/raft tracker/progress.go).
 *
 * - probe: we do not know where the follower's log matches ours; send one App
 *   at a time and wait for the answer (or a heartbeat response) before the next.
 * - replicate: the follower is known to match up to `match`; stream Apps
 *   optimistically (next moves ahead at send time), bounded by `inflights`.
 * - snapshot: the follower needs a snapshot; send nothing until the driver
 *   reports the transfer's outcome.
 */
export enum ProgressState {
  Probe = 0,
  Replicate = 1,
  Snapshot = 2,
}

const STATE_NAMES: ProgressStateName[] = ['probe', 'replicate', 'snapshot'];

/**
 * The App messages in flight to one follower: a ring of (last index, bytes)
 * bounded by a message count and a byte total. Freed in order as the follower
 * acknowledges indexes.
 */
export class Inflights {
  private readonly lastIndexes: Float64Array;
  private readonly sizes: Float64Array;
  private start = 0;
  private _count = 0;
  private _bytes = 0;

  constructor(
    readonly maxMsgs: number,
    /** 0 = no byte limit. */
    readonly maxBytes: number,
  ) {
    if (maxMsgs < 1) throw new Error('maxInflightMsgs must be >= 1');
    this.lastIndexes = new Float64Array(maxMsgs);
    this.sizes = new Float64Array(maxMsgs);
  }

  get count(): number {
    return this._count;
  }

  get bytes(): number {
    return this._bytes;
  }

  /** Records an App whose last entry is `lastIndex`. Callers check full() first. */
  add(lastIndex: number, bytes: number): void {
    if (this._count === this.maxMsgs) throw new Error('inflights overflow');
    let slot = this.start + this._count;
    if (slot >= this.maxMsgs) slot -= this.maxMsgs;
    this.lastIndexes[slot] = lastIndex;
    this.sizes[slot] = bytes;
    this._count++;
    this._bytes += bytes;
  }

  /** Frees every message whose last index is <= index (the follower has them). */
  freeLE(index: number): void {
    while (this._count > 0 && this.lastIndexes[this.start]! <= index) {
      this._bytes -= this.sizes[this.start]!;
      this.start++;
      if (this.start === this.maxMsgs) this.start = 0;
      this._count--;
    }
    if (this._count === 0) {
      this.start = 0;
      this._bytes = 0;
    }
  }

  full(): boolean {
    return this._count === this.maxMsgs || (this.maxBytes > 0 && this._bytes >= this.maxBytes);
  }

  reset(): void {
    this.start = 0;
    this._count = 0;
    this._bytes = 0;
  }
}

export class Progress {
  /** Highest index known to be replicated on the peer (persisted there). */
  match = 0;
  /** Next index to send. Invariant: match < next. */
  next: number;
  state = ProgressState.Probe;
  /** Snapshot state: index of the snapshot being sent. */
  pendingSnapshot = 0;
  /** Heard from since the last check-quorum round (check-quorum, snapshot gating). */
  recentActive = true;
  /** Probe: one App was sent, wait for its answer; replicate: inflights are full. */
  msgAppFlowPaused = false;
  /** Highest commit index sent to the peer (an empty App carries a newer one). */
  sentCommit = 0;
  /** Highest heartbeat round the peer echoed in this term (ReadIndex and lease). */
  ackedRound = 0;
  /**
   * Send an App even if it carries nothing new: set when a heartbeat response
   * shows the peer behind, so that lost Apps are detected (the peer rejects
   * or acknowledges, either of which frees the inflight window).
   */
  appWanted = false;
  readonly inflights: Inflights;

  constructor(
    next: number,
    maxInflightMsgs: number,
    maxInflightBytes: number,
    public isLearner: boolean,
  ) {
    this.next = next;
    this.inflights = new Inflights(maxInflightMsgs, maxInflightBytes);
  }

  private resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.appWanted = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === ProgressState.Snapshot) {
      // Resume after the snapshot the peer (probably) installed.
      const snap = this.pendingSnapshot;
      this.resetState(ProgressState.Probe);
      this.next = Math.max(this.match + 1, snap + 1);
    } else {
      this.resetState(ProgressState.Probe);
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState(ProgressState.Replicate);
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState(ProgressState.Snapshot);
    this.pendingSnapshot = snapshotIndex;
  }

  /** Bookkeeping after sending an App with `entries` entries totalling `bytes`. */
  sentEntries(entries: number, bytes: number): void {
    if (this.state === ProgressState.Replicate) {
      if (entries > 0) {
        this.next += entries;
        this.inflights.add(this.next - 1, bytes);
      }
      this.msgAppFlowPaused = this.inflights.full();
    } else if (this.state === ProgressState.Probe && entries > 0) {
      this.msgAppFlowPaused = true;
    }
  }

  /** An acknowledgement up to n. Returns true when match moved. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.msgAppFlowPaused = false;
    }
    if (this.next < n + 1) this.next = n + 1;
    return updated;
  }

  /**
   * A rejection of the App whose previous index was `rejected`; `matchHint`
   * is the highest index that may still match. Returns false for a stale
   * rejection (ignored).
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === ProgressState.Replicate) {
      // Replicating: anything at or below match is stale. Otherwise restart from match.
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    // Probing: only the answer to the latest probe counts.
    if (this.next - 1 !== rejected) return false;
    if (rejected <= this.match) {
      // It refuses an entry it acknowledged: it lost its log (a wiped data
      // directory). Forget what it had; probe back from what it holds now.
      this.match = 0;
    }
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  /** No App at all may be sent now (a full replicate window still allows empty Apps, see raft.ts). */
  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.Probe:
      case ProgressState.Replicate:
        return this.msgAppFlowPaused;
      case ProgressState.Snapshot:
        return true;
    }
  }

  toStatus(id: number): PeerStatus {
    return {
      id,
      match: this.match,
      next: this.next,
      state: STATE_NAMES[this.state]!,
      pendingSnapshot: this.pendingSnapshot,
      inflightMsgs: this.inflights.count,
      inflightBytes: this.inflights.bytes,
      recentActive: this.recentActive,
      paused: this.isPaused(),
      isLearner: this.isLearner,
    };
  }
}
