import type { Entry, HardState, LogReader, SnapshotMeta } from '../server/raft/types';

/**
 * Storage seams in the spirit of hashicorp/raft (LogStore, StableStore,
 * SnapshotStore). Reads are synchronous because the Raft core reads the log
 * while stepping; writes return promises so the driver can group them into
 * one durable transaction (one fsync) per Ready.
 *
 * memory.ts and lmdb.ts implement these and pass one conformance suite.
 */

export interface LogStore extends LogReader {
  /**
   * Append entries; entries[0].index may be <= lastIndex(), in which case the
   * existing suffix from that index is discarded first (a leader overwrote it).
   * Resolves once the write is durable (according to the sync mode).
   */
  append(entries: Entry[]): Promise<void>;
  /** Drop entries with index <= upTo; the term of upTo stays answerable via snapshotMeta. */
  compact(upTo: number, meta: SnapshotMeta): Promise<void>;
  /** Size of the log on disk in bytes (INFO). */
  sizeBytes(): number;
}

export interface StableStore {
  hardState(): HardState;
  setHardState(hs: HardState): Promise<void>;
}

/** A key/value record of the durable keyspace (encoding owned by the state machine). */
export interface KeyspaceRecord {
  key: Uint8Array;
  value: Uint8Array;
}

/**
 * The durable copy of the keyspace, which is also the snapshot: every change
 * is written together with the applied index in one transaction.
 */
export interface KeyspaceStore {
  appliedIndex(): number;
  snapshotMeta(): SnapshotMeta;
  /** Apply puts (value non-null) and deletes (value null) and record the applied index/meta atomically. */
  write(changes: Array<{ key: Uint8Array; value: Uint8Array | null }>, meta: SnapshotMeta): Promise<void>;
  /** Iterate all records in a consistent point-in-time view. */
  records(): Iterable<KeyspaceRecord>;
}
