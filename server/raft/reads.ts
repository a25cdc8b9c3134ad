import type { NodeId } from './types';

/**
 * Bookkeeping of the leader's linearizable reads and lease (ReadIndex,
 * Raft thesis §6.4). Leadership is confirmed by heartbeat ROUNDS: every
 * heartbeat broadcast gets the next round number, followers echo it
 * (Message.index), and a round acknowledged by a quorum proves this node was
 * still leader when that round was sent. A read waits for the first round
 * sent after it arrived; the lease runs from the send tick of the latest
 * round a quorum acknowledged.
 */

export interface PendingRead {
  /** Who asked: the leader itself or a follower that forwarded it. */
  from: NodeId;
  context: Uint8Array;
  /** The commit index when the request arrived (the read index). */
  index: number;
  /** The heartbeat round that must be acknowledged by a quorum. */
  round: number;
}

const RING = 256;

export class ReadTracker {
  /** Last round broadcast this term (0: none yet). */
  round = 0;
  /** Reads waiting for the leader's first commit in its term. */
  awaitingCommit: Array<{ from: NodeId; context: Uint8Array }> = [];
  /** Reads waiting for their round; rounds are non-decreasing. */
  private queue: PendingRead[] = [];
  private head = 0;
  /** A read is waiting for a round that has not been broadcast yet. */
  roundWanted = false;
  private readonly roundTicks = new Float64Array(RING);

  reset(): void {
    this.round = 0;
    this.awaitingCommit = [];
    this.queue = [];
    this.head = 0;
    this.roundWanted = false;
  }

  /** Queue a read confirmed by the next round (reads coalesce until it is sent). */
  enqueue(from: NodeId, context: Uint8Array, index: number): void {
    this.queue.push({ from, context, index, round: this.round + 1 });
    this.roundWanted = true;
  }

  /** A heartbeat broadcast starts a new round at `tick`. */
  startRound(tick: number): number {
    this.round++;
    this.roundTicks[this.round % RING] = tick;
    this.roundWanted = false;
    return this.round;
  }

  /** Pops the reads confirmed by a quorum acknowledging `quorumRound`. */
  release(quorumRound: number): PendingRead[] {
    const out: PendingRead[] = [];
    const q = this.queue;
    while (this.head < q.length && q[this.head]!.round <= quorumRound) out.push(q[this.head++]!);
    if (this.head === q.length) {
      this.queue = [];
      this.head = 0;
    }
    return out;
  }

  pendingCount(): number {
    return this.queue.length - this.head + this.awaitingCommit.length;
  }

  /** Tick at which `round` was sent, or undefined when unknown (too old, or none). */
  sentTick(round: number): number | undefined {
    if (round <= 0 || round > this.round || this.round - round >= RING) return undefined;
    return this.roundTicks[round % RING];
  }
}
