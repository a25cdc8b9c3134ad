import { join } from 'node:path';
import type { Entry, HardState, SnapshotMeta } from '../server/raft/types';
import { LmdbStorage, StorageCorruptionError, StorageFullError, StorageReadOnlyError, type KeyspaceView, type LmdbStats, type LmdbStorageOptions, type RawRecord, type SyncMode, type WriteBatch } from './lmdb';
import type { LmdbKeyspaceStore } from './lmdb-keyspace';
import type { LogFiles } from './log-files';
import { openSegmentLog, type SegmentLog } from './segment-log';
import type { StableStore } from './types';

/**
 * A node's storage (issue 13): the Raft log in its own append-only segment
 * files (`<dir>/log/`, storage/segment-log.ts: one fdatasync per write group),
 * the hard state and the durable keyspace copy (the snapshot) in LMDB
 * (`<dir>/data.mdb`).
 *
 * The two are written in parallel; a batch is durable when both are. They are
 * not one transaction, so what ties them together is ordering:
 *  - the keyspace copy only holds applied entries, and an entry is applied only
 *    once it is durable in the log, so the keyspace's applied index is never
 *    past the log's durable end — except during a snapshot install, which
 *    switches the keyspace first and then resets the log (a crash in between
 *    is repaired at open: the log is reset to the keyspace's snapshot);
 *  - the log is compacted only up to the keyspace's durable applied index;
 *  - the commit index in the hard state is written only with keyspace flushes
 *    and term/vote changes (etcd's mustSync: it is recoverable from the
 *    leader), and clamped at open to what the log holds.
 *
 * Term and vote are the only hard state whose loss is unsafe: they are written
 * to LMDB when they change, in parallel with the entries of the same Ready;
 * the driver sends nothing of that Ready before the batch is durable.
 */
export interface NodeStorageOptions extends LmdbStorageOptions {
  /** Size of a log segment file (segment-log.ts; default 16 MiB). */
  segmentBytes?: number;
  /** The log's files (tests: a simulated disk that loses unsynced writes); default `<dir>/log/`. */
  logFiles?: LogFiles;
}

/** Smaller than segment-log's own default: each is allocated in full, and the next one while the current one fills. */
const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;

export class NodeStorage {
  /** Term and vote last submitted to LMDB (term -1: rewrite them with the next batch). */
  private submittedStable: HardState;
  /** The log refused an append for a full or read-only disk: the next batch retries it first. */
  private logStalled = false;
  /** Last index known durable in the log (what a stored commit may claim). */
  private durableLast: number;
  private appendSeq = 0;
  /** The latest append that replaced a suffix: earlier appends resolving cannot vouch for what follows it. */
  private truncatedAt = 0;

  private constructor(
    private readonly lmdb: LmdbStorage,
    readonly log: SegmentLog,
  ) {
    this.submittedStable = lmdb.stable.hardState();
    this.durableLast = log.lastIndex();
  }

  /**
   * Open both stores in dir. An older data directory whose Raft log lives in
   * LMDB has it moved into the segment log first (entries copied and synced,
   * then dropped from LMDB: a crash in between repeats the copy).
   */
  static async open(dir: string, options: NodeStorageOptions = {}): Promise<NodeStorage> {
    const lmdb = LmdbStorage.open(dir, options);
    let log: SegmentLog | undefined;
    try {
      log = await openSegmentLog(options.logFiles ?? join(lmdb.dir, 'log'), {
        sync: options.sync ?? 'always',
        segmentBytes: options.segmentBytes ?? DEFAULT_SEGMENT_BYTES,
        bootstrap: lmdb.log.snapshotMeta(),
        readOnly: lmdb.readOnly,
      });
      if (!lmdb.readOnly) {
        await migrateLmdbLog(lmdb, log);
        await reconcile(lmdb.keyspace.snapshotMeta(), log);
      }
      return new NodeStorage(lmdb, log);
    } catch (error) {
      await log?.close().catch(() => undefined);
      await lmdb.close().catch(() => undefined);
      throw error;
    }
  }

  get dir(): string {
    return this.lmdb.dir;
  }

  get sync(): SyncMode {
    return this.lmdb.sync;
  }

  get readOnly(): boolean {
    return this.lmdb.readOnly;
  }

  get keyspace(): LmdbKeyspaceStore {
    return this.lmdb.keyspace;
  }

  get stable(): StableStore {
    return this.lmdb.stable;
  }

  /** Persist entries, hard state and keyspace changes; resolves when all are durable per the sync mode. */
  writeBatch(batch: WriteBatch): Promise<void> {
    const parts: Array<Promise<void>> = [];
    if (batch.entries && batch.entries.length > 0) parts.push(this.appendEntries(batch.entries));
    const hs = batch.hardState;
    const stableChanged = hs !== undefined && (hs.term !== this.submittedStable.term || hs.vote !== this.submittedStable.vote);
    if (batch.keyspace || stableChanged) {
      const stored = hs ? this.clampCommit(hs) : undefined;
      if (hs) this.submittedStable = hs;
      parts.push(
        this.lmdb.writeBatch({ hardState: stored, keyspace: batch.keyspace }).catch((error: unknown) => {
          if (hs) this.submittedStable = { term: -1, vote: 0, commit: 0 };
          throw error;
        }),
      );
    }
    return parts.length === 1 ? parts[0] : Promise.all(parts).then(() => undefined);
  }

  private appendEntries(entries: Entry[]): Promise<void> {
    const first = entries[0];
    const last = entries[entries.length - 1];
    if (this.logStalled && this.log.lastIndex() === last.index && this.log.term(last.index) === last.term && this.log.term(first.index) === first.term) {
      // The driver retries the batch the log refused: the log kept the entries, its writer resumes.
      return this.track(this.log.retry(), last.index, this.appendSeq);
    }
    const seq = ++this.appendSeq;
    if (first.index <= this.log.lastIndex()) {
      this.truncatedAt = seq;
      this.durableLast = Math.min(this.durableLast, first.index - 1);
    }
    const write = this.logStalled ? this.log.retry().then(() => this.log.append(entries)) : this.log.append(entries);
    return this.track(write, last.index, seq);
  }

  private track(p: Promise<void>, last: number, seq: number): Promise<void> {
    return p.then(
      () => {
        this.logStalled = false;
        // The writer is in order: everything submitted up to seq is durable now.
        if (seq >= this.truncatedAt) this.durableLast = Math.max(this.durableLast, last);
      },
      (error: unknown) => {
        if (error instanceof StorageFullError || error instanceof StorageReadOnlyError) this.logStalled = true;
        throw error;
      },
    );
  }

  /**
   * The stored commit never claims more than is durable in the log: entries
   * the log is still writing may be lost in a crash while LMDB's commit lands,
   * and a stored commit past the log's end means "this node lost data" at the
   * next start (rejoin.ts).
   */
  private clampCommit(hs: HardState): HardState {
    const held = Math.max(this.durableLast, this.lmdb.keyspace.appliedIndex());
    return hs.commit <= held ? hs : { ...hs, commit: held };
  }

  // ---- snapshot transfer (see snapshot.ts) -----------------------------------------------

  openKeyspaceView(): KeyspaceView {
    return this.lmdb.openKeyspaceView();
  }

  beginStaging(): Promise<void> {
    return this.lmdb.beginStaging();
  }

  stage(records: readonly RawRecord[]): Promise<void> {
    return this.lmdb.stage(records);
  }

  abortStaging(): Promise<void> {
    return this.lmdb.abortStaging();
  }

  /** The keyspace switches first, then the log is reset after meta (see the class comment). */
  async finishStaging(meta: SnapshotMeta): Promise<void> {
    await this.lmdb.finishStaging(meta);
    await this.log.compact(meta.index, meta);
  }

  // ---- operations -------------------------------------------------------------------------

  stats(): LmdbStats {
    const s = this.lmdb.stats();
    return { ...s, logBytes: this.log.sizeBytes(), fileBytes: s.fileBytes + this.log.sizeBytes() };
  }

  async idle(): Promise<void> {
    await Promise.all([this.lmdb.idle(), this.log.idle()]);
  }

  async close(): Promise<void> {
    await this.log.close().catch(() => undefined);
    await this.lmdb.close();
  }
}

export function openNodeStorage(dir: string, options: NodeStorageOptions = {}): Promise<NodeStorage> {
  return NodeStorage.open(dir, options);
}

/** Entries copied per append while moving an LMDB log. */
const MIGRATE_CHUNK = 1024;

/** Move the entries of a Raft log kept in LMDB (data directories written before issue 13) to the segment log. */
async function migrateLmdbLog(lmdb: LmdbStorage, log: SegmentLog): Promise<void> {
  const old = lmdb.log;
  const first = old.firstIndex();
  const last = old.lastIndex();
  if (last < first) return;
  const snap = old.snapshotMeta();
  if (log.snapshotMeta().index < snap.index && !(log.lastIndex() >= snap.index && log.term(snap.index) === snap.term)) {
    await log.compact(snap.index, snap);
  }
  for (let lo = Math.max(first, log.firstIndex()); lo <= last; lo += MIGRATE_CHUNK) {
    const chunk = old.entries(lo, Math.min(last + 1, lo + MIGRATE_CHUNK), Number.MAX_SAFE_INTEGER);
    await log.append(chunk);
  }
  // Synced in the segment log: now drop them from LMDB (a crash before this repeats the copy).
  await old.compact(last, { index: last, term: old.term(last) ?? 0, conf: snap.conf });
  await lmdb.idle();
}

/**
 * After a crash between a snapshot install's keyspace switch and its log
 * reset, the log may not hold the keyspace's snapshot entry (or holds another
 * term there): reset it to start after the snapshot, as the install would have.
 */
async function reconcile(meta: SnapshotMeta, log: SegmentLog): Promise<void> {
  const start = log.snapshotMeta().index;
  if (meta.index < start) {
    throw new StorageCorruptionError(`the keyspace copy is at index ${meta.index} but the Raft log starts after ${start}: entries in between are missing`);
  }
  if (meta.index === start && log.snapshotMeta().term === meta.term) return;
  if (log.lastIndex() >= meta.index && log.term(meta.index) === meta.term) return;
  await log.compact(meta.index, meta);
}
