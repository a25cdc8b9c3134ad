/**
 * The leader's side of snapshot transfers: streams the durable keyspace to a
 * follower behind the compacted log, then sends the Snap message naming it.
 *
 * The core keeps the follower's progress in snapshot state (sending it
 * nothing) until the follower answers the Snap message with its new index;
 * only then does replication resume from there. So the transfer is not
 * reported finished when the data is queued (the follower would be probed
 * before it installed anything, reject, and be sent a newer snapshot while
 * still staging the last one, over and over while writes continue): it is
 * reported only as a failure, when streaming fails or no answer comes in
 * time. While a transfer is in flight the log is not compacted past its
 * index (compactionFloor), so the follower's answer always lands inside the
 * log and it catches up from there, however fast clients write.
 */
import type { Logger } from '../log';
import { nodeObservations } from '../metrics-node';
import type { Message, SnapshotMeta } from '../raft/types';
import { SnapshotSender, type SnapshotSource } from '../../storage/snapshot';
import type { PeerTransport } from '../transport/peer-transport';

export interface SnapshotOutboxHost {
  readonly log: Logger;
  readonly source: SnapshotSource;
  transport(): PeerTransport | undefined;
  /** Tell the core a transfer failed (it probes the peer again and may ask for another). */
  reportFailure(peer: number): void;
  /** Whether the core still waits for the peer to answer a snapshot. */
  awaitingSnapshot(peer: number): boolean;
  /** The durable keyspace predates the peer's membership: write a fresh one. */
  refreshSnapshot(): void;
}

interface Transfer {
  sender: SnapshotSender;
  meta: SnapshotMeta;
  phase: 'streaming' | 'awaiting';
  bytes: number;
  /** When the Snap message was queued (awaiting phase). */
  sentAt: number;
  /** When the last chunk was queued (streaming phase). */
  progressAt: number;
}

/** Target chunk size; a chunk exceeds it only to hold one larger record (the transport fragments it). */
const CHUNK_BYTES = 256 * 1024;
/** Chunks queued ahead of the socket; more waits for it to drain. */
const MAX_QUEUED_CHUNK_BYTES = 4 * CHUNK_BYTES;
/** The follower has this long to stage and install a snapshot, plus a second per 16 MB of it. */
const ANSWER_TIMEOUT_MS = 15_000;
const ANSWER_BYTES_PER_SECOND = 16 * 1024 * 1024;
/** A stream whose peer takes no chunk for this long (down, or its link is stuck) is abandoned, releasing the compaction floor. */
const STALL_MS = 30_000;

export class SnapshotOutbox {
  private readonly transfers = new Map<number, Transfer>();
  private closed = false;

  constructor(private readonly host: SnapshotOutboxHost) {}

  /** The lowest index of a snapshot in flight: the log must keep the entry after it. */
  compactionFloor(): number {
    let floor = Infinity;
    for (const t of this.transfers.values()) floor = Math.min(floor, t.meta.index);
    return floor;
  }

  inFlight(peer: number): boolean {
    return this.transfers.has(peer);
  }

  /** The core asked for a snapshot to be sent (a Snap message from a Ready). */
  start(m: Message, isMember: (meta: SnapshotMeta) => boolean): void {
    const transport = this.host.transport();
    if (this.closed || transport === undefined) return;
    const current = this.transfers.get(m.to);
    // The core asks only on entering snapshot state: while streaming, the Snap message still
    // follows the data; once that was sent, the peer answered (or not) and needs a newer one.
    if (current?.phase === 'streaming') return;
    if (current !== undefined) this.drop(m.to, current);
    const sender = new SnapshotSender(this.host.source, { chunkBytes: CHUNK_BYTES });
    if (!isMember(sender.meta)) {
      sender.close();
      this.host.refreshSnapshot();
      this.host.reportFailure(m.to);
      return;
    }
    const to = m.to;
    const t: Transfer = { sender, meta: sender.meta, phase: 'streaming', bytes: 0, sentAt: 0, progressAt: Date.now() };
    this.transfers.set(to, t);
    const snapMsg: Message = { ...m, snapshot: sender.meta };
    this.host.log.info({ to, index: t.meta.index }, 'sending snapshot');
    let seq = 0;
    const pump = (): void => {
      if (this.closed || this.transfers.get(to) !== t) return;
      try {
        while ((transport.stats().get(to)?.queuedBytes ?? 0) < MAX_QUEUED_CHUNK_BYTES) {
          const chunk = sender.nextChunk();
          if (chunk === undefined) {
            if (!transport.send(to, { type: 'raft', message: snapMsg })) return this.fail(to, t, 'peer queue full');
            t.phase = 'awaiting';
            t.sentAt = Date.now();
            nodeObservations.snapshotsSent++;
            nodeObservations.snapshotSentBytes += t.bytes;
            this.host.log.info({ to, index: t.meta.index, chunks: seq, bytes: t.bytes }, 'snapshot sent; waiting for the follower to install it');
            return;
          }
          t.bytes += chunk.length;
          t.progressAt = Date.now();
          const frame = { type: 'snapshot-chunk', index: t.meta.index, term: t.meta.term, seq: seq++, last: false, data: chunk } as const;
          if (!transport.send(to, frame)) return this.fail(to, t, 'peer queue full');
        }
      } catch (err) {
        return this.fail(to, t, err instanceof Error ? err.message : String(err));
      }
      setTimeout(pump, 5);
    };
    pump();
  }

  /** Called on every tick: finishes answered transfers, fails the ones answered too late. */
  tick(now: number, isLeader: boolean): void {
    for (const [peer, t] of this.transfers) {
      if (!isLeader) {
        this.drop(peer, t);
        continue;
      }
      if (t.phase === 'streaming') {
        if (now - t.progressAt > STALL_MS) this.fail(peer, t, 'the follower takes no more data');
        continue;
      }
      if (!this.host.awaitingSnapshot(peer)) {
        this.host.log.info({ to: peer, index: t.meta.index }, 'snapshot answered by the follower');
        this.drop(peer, t);
      } else if (now - t.sentAt > ANSWER_TIMEOUT_MS + (t.bytes / ANSWER_BYTES_PER_SECOND) * 1000) {
        this.fail(peer, t, 'no answer from the follower');
      }
    }
  }

  close(): void {
    this.closed = true;
    for (const [peer, t] of this.transfers) this.drop(peer, t);
  }

  private fail(peer: number, t: Transfer, reason: string): void {
    if (this.transfers.get(peer) !== t) return;
    this.host.log.warn({ to: peer, index: t.meta.index, reason }, 'snapshot transfer failed; the leader will retry');
    this.drop(peer, t);
    this.host.reportFailure(peer);
  }

  private drop(peer: number, t: Transfer): void {
    if (!t.sender.done) t.sender.close();
    this.transfers.delete(peer);
  }
}
