import type { Database } from 'lmdb';
import { quiet } from './lmdb-errors';
import type { Entry, SnapshotMeta } from '../server/raft/types';
import type { LogStore } from './types';
import type { CommitQueue, TxnOp } from './lmdb-commit';
import {
  EMPTY_SNAPSHOT,
  META,
  cloneSnapshotMeta,
  decodeEntry,
  decodeJson,
  decodeTerm,
  encodeEntry,
  encodeJson,
  indexKey,
  keyIndex,
} from './lmdb-codec';
import { StorageCorruptionError, StorageError } from './lmdb-errors';
import { PendingTail, TermRuns } from './lmdb-tail';

export type BinaryDb = Database<Buffer, Buffer>;
export type MetaDb = Database<Buffer, string>;

/** Size of an entry for entries()' maxBytes: its data, as in MemoryStorage (the header is a constant 13 bytes). */
export function entryBytes(entry: Entry): number {
  return entry.data.byteLength;
}

/**
 * The Raft log in the `log` DB: key = 8-byte big-endian index, value = the
 * compact entry encoding of lmdb-codec.ts. The compaction point lives in the
 * meta DB (`logSnapshot`).
 *
 * Reads are synchronous and cheap: firstIndex/lastIndex/term come from memory
 * (term runs), entries not yet committed come from the pending tail, the rest
 * from one LMDB range read.
 */
export class LmdbLogStore implements LogStore {
  private snap: SnapshotMeta = EMPTY_SNAPSHOT;
  private last = 0;
  private readonly pending = new PendingTail();
  private readonly terms = new TermRuns();
  /** Lowest index that may still be on disk; entries in [diskFirst, snap.index] await deletion. */
  private diskFirst = 1;
  /** Highest index ever put (an upper bound of what is on disk), so cleanup never walks indexes that were never written. */
  private diskHigh = 0;
  private writeSeq = 0;
  private cleanup: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: BinaryDb,
    private readonly meta: MetaDb,
    private readonly queue: CommitQueue,
    private readonly compactChunk: number,
  ) {
    this.load(true);
  }

  // ---- LogReader ---------------------------------------------------------------

  firstIndex(): number {
    return this.snap.index + 1;
  }

  lastIndex(): number {
    return this.last;
  }

  term(index: number): number | undefined {
    if (index === this.snap.index) return this.snap.term;
    if (index < this.snap.index || index > this.last) return undefined;
    return this.terms.termAt(index);
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo < this.firstIndex()) {
      throw new StorageError('INVALID', `entries(${lo}, ${hi}): index ${lo} is compacted (first index ${this.firstIndex()})`);
    }
    if (hi > this.last + 1) {
      throw new StorageError('INVALID', `entries(${lo}, ${hi}): beyond last index ${this.last}`);
    }
    const out: Entry[] = [];
    let bytes = 0;
    // true while the entry fits; the first entry always fits
    const take = (entry: Entry): boolean => {
      bytes += entryBytes(entry);
      if (out.length > 0 && bytes > maxBytes) return false;
      out.push(entry);
      return true;
    };
    // Entries still pending or recently committed are served from memory.
    const pendingFirst = this.pending.cachedFirstIndex ?? Infinity;
    let next = lo;
    if (next < Math.min(hi, pendingFirst)) {
      const end = Math.min(hi, pendingFirst);
      for (const { key, value } of this.db.getRange({ start: indexKey(next), end: indexKey(end) })) {
        const index = keyIndex(key);
        if (index !== next) throw new StorageCorruptionError(`log has a gap: expected index ${next}, found ${index}`);
        if (!take(decodeEntry(index, value))) return out;
        next++;
      }
      if (next < end) throw new StorageCorruptionError(`log has a gap: entry ${next} is missing`);
    }
    for (; next < hi; next++) {
      const entry = this.pending.get(next);
      if (entry === undefined) throw new StorageCorruptionError(`log entry ${next} is neither on disk nor pending`);
      if (!take(entry)) return out;
    }
    return out;
  }

  snapshotMeta(): SnapshotMeta {
    return this.snap;
  }

  // ---- LogStore ------------------------------------------------------------------

  append(entries: Entry[]): Promise<void> {
    try {
      this.queue.checkWritable();
      const op = this.prepareAppend(entries);
      return op ? this.queue.submit(op) : Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Resolves once the new compaction point is durable and the entries below
   * it are deleted (in transactions of compactChunk removals, so neither the
   * event loop nor other writers wait long). upTo beyond lastIndex empties
   * the log (a snapshot install).
   */
  compact(upTo: number, meta: SnapshotMeta): Promise<void> {
    try {
      this.queue.checkWritable();
      if (meta.index !== upTo) throw new StorageError('INVALID', `compact(${upTo}): snapshot meta is for index ${meta.index}`);
      if (upTo <= this.snap.index) return Promise.resolve();
      const durable = this.queue.submit(this.prepareReset(meta));
      const cleaned = this.scheduleCleanup(upTo);
      return durable.then(() => cleaned);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  sizeBytes(): number {
    const stats = this.db.getStats() as { pageSize: number; treeBranchPageCount: number; treeLeafPageCount: number; overflowPages: number };
    return (stats.treeBranchPageCount + stats.treeLeafPageCount + stats.overflowPages) * stats.pageSize;
  }

  // ---- used by LmdbStorage (writeBatch, snapshot install, failures) -------------------

  /**
   * Validate an append without changing anything; returns the entries that
   * are not already compacted (etcd's MemoryStorage.Append skips those too).
   */
  checkAppend(input: readonly Entry[]): readonly Entry[] {
    const first = this.firstIndex();
    const entries = input.length > 0 && input[0].index < first ? input.filter((entry) => entry.index >= first) : input;
    if (entries.length === 0) return entries;
    const from = entries[0].index;
    if (from > this.last + 1) {
      throw new StorageError('INVALID', `append: entry ${from} would leave a gap after last index ${this.last}`);
    }
    for (let i = 1; i < entries.length; i++) {
      if (entries[i].index !== from + i) throw new StorageError('INVALID', `append: entries are not contiguous at index ${entries[i].index}`);
    }
    return entries;
  }

  /**
   * Update the in-memory log at once and return the transaction op that makes
   * it durable; undefined when there is nothing to write (all compacted).
   */
  prepareAppend(input: readonly Entry[]): TxnOp | undefined {
    const entries = this.checkAppend(input);
    if (entries.length === 0) return undefined;
    const from = entries[0].index;
    const encoded = entries.map(encodeEntry);
    const previousLast = this.last;
    const newLast = from + entries.length - 1;

    if (from <= previousLast) {
      this.pending.truncateFrom(from);
      this.terms.truncateFrom(from);
    }
    const seq = ++this.writeSeq;
    this.pending.push(entries, seq);
    for (const entry of entries) this.terms.append(entry.index, entry.term);
    this.last = newLast;
    this.diskHigh = Math.max(this.diskHigh, newLast);

    const db = this.db;
    return {
      cost: entries.length + Math.max(0, previousLast - newLast),
      bytes: encoded.reduce((sum, { key, value }) => sum + key.length + value.length, 0),
      write: () => {
        for (const { key, value } of encoded) quiet(db.put(key, value));
        // A shorter overwrite: entries beyond the new last index must go. Puts replace the rest.
        for (let index = newLast + 1; index <= previousLast; index++) quiet(db.remove(indexKey(index)));
      },
      committed: () => this.pending.release(seq),
    };
  }

  /**
   * Move the compaction point to meta.index: a compaction, or a snapshot
   * install (the whole log goes) when the log does not hold meta's entry,
   * i.e. meta.index is beyond the last entry or has another term, or when the
   * caller says so. Entries at or below meta.index are deleted later, in
   * chunks (scheduleCleanup); later ones in the same transaction.
   */
  prepareReset(meta: SnapshotMeta, dropLog = false): TxnOp {
    const snapshot = cloneSnapshotMeta(meta);
    const previousLast = this.last;
    // As in etcd's restore: a log that does not hold the snapshot's last entry (same index and term) is discarded.
    const dropSuffix = dropLog || (snapshot.index < this.last && this.term(snapshot.index) !== snapshot.term);
    this.snap = snapshot;
    if (dropSuffix || snapshot.index >= this.last) {
      this.last = snapshot.index;
      this.pending.clear();
      this.terms.clear();
    } else {
      this.pending.dropBelow(snapshot.index + 1);
      this.terms.dropBelow(snapshot.index + 1);
    }
    const db = this.db;
    const metaDb = this.meta;
    const value = encodeJson(snapshot);
    const dropFrom = snapshot.index + 1;
    const dropTo = dropSuffix ? previousLast : 0;
    return {
      cost: 1 + Math.max(0, dropTo - dropFrom + 1),
      write: () => {
        quiet(metaDb.put(META.logSnapshot, value));
        for (let index = dropFrom; index <= dropTo; index++) quiet(db.remove(indexKey(index)));
      },
    };
  }

  /** Delete entries <= upTo from disk in transactions of compactChunk removals, each its own commit. */
  scheduleCleanup(upTo: number): Promise<void> {
    const run = async (): Promise<void> => {
      const target = Math.min(upTo, this.diskHigh);
      while (this.diskFirst <= target) {
        const lo = this.diskFirst;
        const hi = Math.min(target, lo + this.compactChunk - 1);
        const db = this.db;
        await this.queue.submit({
          cost: hi - lo + 1,
          write: () => {
            for (let index = lo; index <= hi; index++) quiet(db.remove(indexKey(index)));
          },
          committed: () => {
            this.diskFirst = Math.max(this.diskFirst, hi + 1);
          },
        });
      }
      // Nothing above diskHigh was ever written, and appends after this compaction start above upTo.
      this.diskFirst = Math.max(this.diskFirst, upTo + 1);
    };
    const job = this.cleanup.then(run, run);
    this.cleanup = job.catch(() => undefined);
    return job;
  }

  /** Resolves when the compaction cleanups scheduled so far have finished (or failed). */
  cleanupSettled(): Promise<void> {
    return this.cleanup;
  }

  /** Entries still on disk below the first index (deleted in the background). */
  leftoverEntries(): number {
    return Math.max(0, this.firstIndex() - this.diskFirst);
  }

  /**
   * (Re)load the in-memory state from disk: at open (resuming an interrupted
   * compaction), and after a failed commit (not resuming: on a full disk that
   * would fail again and again).
   */
  load(resumeCleanup = false): void {
    this.snap = decodeJson(META.logSnapshot, this.meta.get(META.logSnapshot), EMPTY_SNAPSHOT);
    this.pending.clear();
    const firstKey = this.firstKeyOnDisk();
    const lastKey = this.lastKeyOnDisk();
    if (firstKey === undefined || lastKey === undefined) {
      this.diskFirst = this.snap.index + 1;
      this.diskHigh = this.snap.index;
      this.last = this.snap.index;
      this.terms.clear();
      return;
    }
    const count = (this.db.getStats() as { entryCount: number }).entryCount;
    if (count !== lastKey - firstKey + 1) {
      throw new StorageCorruptionError(`log is not contiguous: ${count} entries between ${firstKey} and ${lastKey}`);
    }
    if (lastKey > this.snap.index && firstKey > this.snap.index + 1) {
      throw new StorageCorruptionError(`log starts at ${firstKey} but the compaction point is ${this.snap.index}`);
    }
    this.diskFirst = firstKey;
    this.diskHigh = lastKey;
    this.last = Math.max(lastKey, this.snap.index);
    const first = this.snap.index + 1;
    this.terms.build(first, this.last, (index) => {
      const value = this.db.getBinary(indexKey(index));
      if (value === undefined) throw new StorageCorruptionError(`log entry ${index} is missing`);
      return decodeTerm(value);
    });
    if (resumeCleanup && this.diskFirst < first) {
      // A compaction was interrupted (crash): finish it in the background.
      this.scheduleCleanup(this.snap.index).catch(() => undefined);
    }
  }

  private firstKeyOnDisk(): number | undefined {
    for (const key of this.db.getKeys({ limit: 1 })) return keyIndex(key);
    return undefined;
  }

  private lastKeyOnDisk(): number | undefined {
    for (const key of this.db.getKeys({ reverse: true, limit: 1 })) return keyIndex(key);
    return undefined;
  }
}
