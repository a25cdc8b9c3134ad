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
   * Entries already compacted (index <= snapshot index) are skipped; a gap
   * (entries[0].index > lastIndex() + 1) is an error; [] is a no-op.
   * Resolves once the write is durable (according to the sync mode).
   * Reads must reflect the write once the promise resolves: the core reads
   * these entries from the store after advance() (before, from memory).
   */
  append(entries: Entry[]): Promise<void>;
  /**
   * Make the log start after the snapshot `meta` (meta.index === upTo); afterwards
   * firstIndex() = upTo + 1, snapshotMeta() = meta, term(upTo) = meta.term.
   * - Compaction (the driver drops applied entries): the log holds upTo with
   *   term meta.term, so entries <= upTo are dropped and later ones are kept.
   * - Snapshot install (Ready.snapshot on a follower): the log does not hold
   *   upTo with term meta.term (or ends before it), so every entry is dropped
   *   and lastIndex() = upTo.
   * upTo <= the current snapshot index is a no-op.
   */
  compact(upTo: number, meta: SnapshotMeta): Promise<void>;
  /** Size of the log on disk in bytes (INFO). */
  sizeBytes(): number;
  /**
   * Entries from `index` on are about to be applied (the driver's applied
   * index + 1): a store that caches recent entries under a byte budget keeps
   * these cached even over it, so a huge entry is not read back from disk
   * (and copied) right after it was written.
   */
  keepCachedFrom?(index: number): void;
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
