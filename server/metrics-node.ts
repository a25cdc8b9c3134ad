import { DISK_BUCKETS_SECONDS, Histogram } from './metrics-histogram';

/**
 * What the node driver's jobs observe for /metrics: log persist (write +
 * fdatasync) times, keyspace-copy flushes, snapshot transfers. Observations
 * only, never state: they do not take part in apply. Process-wide (one node
 * per process, as main.ts runs it), so the storage-side jobs need no extra
 * wiring; in-process test clusters simply add up.
 */
export class NodeObservations {
  /** One Ready's durable write of log entries (and hard state): segment write + fdatasync. */
  readonly logPersist = new Histogram(DISK_BUCKETS_SECONDS);
  /** One write of the durable keyspace copy (encode + LMDB commit). */
  readonly keyspaceFlush = new Histogram(DISK_BUCKETS_SECONDS);
  keyspaceFlushRecords = 0;
  /** Snapshots this node streamed to followers (as leader), and their bytes. */
  snapshotsSent = 0;
  snapshotSentBytes = 0;
  /** Snapshots this node installed (as follower): switch to the staged copy and reload. */
  readonly snapshotInstall = new Histogram(DISK_BUCKETS_SECONDS);

}

export const nodeObservations = new NodeObservations();
