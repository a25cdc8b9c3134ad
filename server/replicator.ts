import type { Reply } from '../protocol/reply';
import type { LogOp } from './logop';

/**
 * The seam between the command path and the log. A write is proposed as a
 * LogOp; `done` is called with the reply that apply computed, synchronously
 * from inside the apply loop, so a connection's queued reads run exactly
 * between its own writes (read-your-writes within a pipeline).
 *
 * Implementation: RaftReplicator (server/raft-replicator.ts); a node without
 * peers is a one-node Raft cluster with the same durability.
 */
export interface Replicator {
  propose(op: LogOp, done: (reply: Reply) => void): void;
  /** Register a callback run after every batch of applied entries (to flush sockets). */
  onBatchApplied(cb: () => void): void;
}
