import { accessSync, constants as fsConstants, existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import type { Entry, HardState, SnapshotMeta } from '../server/raft/types';
import { DEFAULT_RESERVE_BYTES, DiskReserve, type DiskReserveOptions, type ReserveMode } from './disk-reserve';
import { CommitQueue, type TxnOp } from './lmdb-commit';
import { FORMAT_VERSION, META, decodeJson, encodeJson, isValidRawRecord, type KeyspaceSlot } from './lmdb-codec';
import { StorageCorruptionError, StorageError, StorageReadOnlyError, classifyStorageError, quiet } from './lmdb-errors';
import { LmdbKeyspaceStore, type KeyspaceChange, type KeyspaceView, type RawRecord } from './lmdb-keyspace';
import { LmdbLogStore, type BinaryDb, type MetaDb } from './lmdb-log';
import { LmdbStableStore } from './lmdb-stable';

export * from './lmdb-errors';
export type { KeyspaceChange, KeyspaceView, RawRecord } from './lmdb-keyspace';
export { entryBytes } from './lmdb-log';
export { compactionPoint, DEFAULT_COMPACTION_POLICY, type CompactionPolicy } from './lmdb-compaction';

/**
 * When a write's promise resolves (like Redis's appendfsync):
 *  - `always` (default): after fsync. Nothing acknowledged is lost, even on power loss.
 *  - `batch`: after the transaction commits (visible, and safe against a crash of
 *    this process); the fsync follows in the background (lmdb-js overlappingSync),
 *    normally within a few ms. A machine crash or power loss can lose the writes
 *    of that window, i.e. acknowledged writes; the file stays consistent.
 *  - `none`: LMDB never fsyncs; the OS writes pages back when it likes (about 30 s
 *    on Linux). Safe against a process crash only; a machine crash can lose
 *    recent writes AND corrupt the file (LMDB's MDB_NOSYNC caveat). For tests and
 *    throwaway caches.
 */
export type SyncMode = 'always' | 'batch' | 'none';

export interface LmdbStorageOptions {
  sync?: SyncMode;
  /**
   * Address space reserved for the file. Sparse: the file only grows as data
   * is written. Exceeding it fails writes with StorageFullError('MAP_FULL').
   */
  mapSizeBytes?: number;
  /** Soft cap of LMDB operations per transaction, bounding the main-thread work of a commit (default 2048). */
  maxTxnOps?: number;
  /** Log entries deleted per compaction transaction (default 4096). */
  compactChunk?: number;
  /**
   * Disk space kept allocated ahead of data.mdb (default 64 MiB; 0: none), so a
   * full disk refuses writes cleanly instead of failing inside LMDB (disk-reserve.ts).
   */
  reserveBytes?: number;
  /** Test hooks for the reserve (allocation and free-space probes). */
  reserveHooks?: Pick<DiskReserveOptions, 'allocate' | 'freeBytes' | 'minStepBytes'>;
}

/** What writeBatch persists in one transaction (one fsync). */
export interface WriteBatch {
  /** Appended with LogStore.append semantics (a conflicting suffix is replaced). */
  entries?: Entry[];
  hardState?: HardState;
  /** Keyspace changes and the SnapshotMeta (applied index) they bring the keyspace to. */
  keyspace?: { changes: KeyspaceChange[]; meta: SnapshotMeta };
}

export interface LmdbStats {
  sync: SyncMode;
  readOnly: boolean;
  /** Size of data.mdb on disk. LMDB reuses freed pages but never shrinks the file: see compactFile(). */
  fileBytes: number;
  /** Pages in use by the log / the live keyspace, in bytes. */
  logBytes: number;
  keyspaceBytes: number;
  keyspaceRecords: number;
  /** Records in the non-live keyspace slot (a partial snapshot transfer awaiting cleanup). */
  stagingRecords: number;
  /** Log entries below the first index still awaiting deletion. */
  leftoverLogEntries: number;
  /** Transactions committed since open. */
  transactions: number;
  /** Commits LMDB itself failed (with the reserve working, a full disk causes none). */
  failedCommits: number;
  /** How space is kept for LMDB (disk-reserve.ts), how much is left, and how many commits it refused. */
  reserveMode: ReserveMode;
  reserveHeadroomBytes: number;
  reserveRefusals: number;
  /** The last commit failure, until a commit succeeds again. */
  lastError: StorageError | undefined;
}

const GiB = 1024 ** 3;
const STAGE_OPS_PER_TXN = 1024;
const DEFAULT_MAP_SIZE = 64 * GiB;

/** Data directories open in this process: two stores on one directory would corrupt each other's view. */
const openDirs = new Set<string>();

/** access(2) with W_OK reports EROFS for a read-only mount even to root. */
function isWritable(path: string): boolean {
  try {
    accessSync(path, fsConstants.W_OK);
    accessSync(join(path, 'data.mdb'), fsConstants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function combine(ops: TxnOp[]): TxnOp {
  if (ops.length === 1) return ops[0];
  return {
    cost: ops.reduce((sum, op) => sum + op.cost, 0),
    bytes: ops.reduce((sum, op) => sum + (op.bytes ?? 0), 0),
    write: () => {
      for (const op of ops) op.write();
    },
    committed: () => {
      for (const op of ops) op.committed?.();
    },
  };
}

/**
 * One LMDB environment per node data directory, holding the Raft log, the
 * hard state and the durable keyspace (design notes §3). All writes go through
 * one CommitQueue: what is written in the same event-loop turn, or while the
 * previous transaction commits, shares one transaction and one fsync.
 */
export class LmdbStorage {
  readonly log: LmdbLogStore;
  readonly stable: LmdbStableStore;
  readonly keyspace: LmdbKeyspaceStore;
  private readonly queue: CommitQueue;
  private readonly reserve: DiskReserve;
  private staging = false;
  private closed = false;
  private readonly views = new Set<KeyspaceView>();
  private readonly maxTxnOps: number;

  private constructor(
    readonly dir: string,
    readonly sync: SyncMode,
    readonly readOnly: boolean,
    private readonly env: RootDatabase<Buffer, string>,
    options: LmdbStorageOptions,
  ) {
    this.maxTxnOps = options.maxTxnOps ?? 2048;
    const binary = { encoding: 'binary', keyEncoding: 'binary' } as const;
    const meta: MetaDb = env.openDB<Buffer, string>('meta', { encoding: 'binary' });
    const logDb: BinaryDb = env.openDB<Buffer, Buffer>('log', binary);
    const slots: Record<KeyspaceSlot, BinaryDb> = {
      a: env.openDB<Buffer, Buffer>('keyspace.a', binary),
      b: env.openDB<Buffer, Buffer>('keyspace.b', binary),
    };
    const format = decodeJson<number | undefined>(META.version, meta.get(META.version), undefined);
    if (format !== undefined && format !== FORMAT_VERSION) {
      throw new StorageCorruptionError(`${dir}: storage format ${format}, this build reads ${FORMAT_VERSION}`);
    }
    this.reserve = new DiskReserve(join(dir, 'data.mdb'), dir, {
      ...options.reserveHooks,
      targetBytes: readOnly ? 0 : (options.reserveBytes ?? DEFAULT_RESERVE_BYTES),
    });
    this.queue = new CommitQueue(env, {
      dir,
      reserve: this.reserve,
      maxTxnCost: this.maxTxnOps,
      onFailure: () => this.reload(),
    });
    if (readOnly) {
      this.queue.refuseWrites(new StorageReadOnlyError('EROFS', `${dir} is read-only: writes are refused, reads are served`));
    } else if (format === undefined) {
      meta.putSync(META.version, encodeJson(FORMAT_VERSION));
    }
    this.log = new LmdbLogStore(logDb, meta, this.queue, options.compactChunk ?? 4096);
    this.stable = new LmdbStableStore(meta, this.queue);
    this.keyspace = new LmdbKeyspaceStore(env, slots, meta, this.queue);
    if (!readOnly && this.keyspace.stagingRecords() > 0) {
      // A snapshot transfer was interrupted (or the replaced keyspace was not yet cleared): drop it.
      this.keyspace.clearSlot(this.keyspace.stagingSlot()).catch(() => undefined);
    }
  }

  /**
   * Open (creating if needed) the store in dir. A data directory that cannot
   * be written is opened read-only: reads work, writes fail with StorageReadOnlyError.
   */
  static open(dir: string, options: LmdbStorageOptions = {}): LmdbStorage {
    const path = resolve(dir);
    if (openDirs.has(path)) throw new StorageError('INVALID', `${path} is already open in this process`);
    const sync = options.sync ?? 'always';
    // noSubdir explicitly: lmdb-js would otherwise take a directory whose name has a dot (data.node1) for a file path.
    const base = { path, noSubdir: false, maxDbs: 8, mapSize: options.mapSizeBytes ?? DEFAULT_MAP_SIZE };
    let env: RootDatabase<Buffer, string>;
    // Decide up front: a read-write open that fails on a read-only file system leaks lmdb-js's file descriptor.
    const readOnly = existsSync(join(path, 'data.mdb')) && !isWritable(path);
    try {
      env = readOnly
        ? open<Buffer, string>({ ...base, readOnly: true })
        : open<Buffer, string>({ ...base, overlappingSync: sync === 'batch', noSync: sync === 'none' });
    } catch (error) {
      throw classifyStorageError(error, existsSync(path) ? path : resolve(path, '..'), 'open');
    }
    try {
      const storage = new LmdbStorage(path, sync, readOnly, env, options);
      openDirs.add(path);
      return storage;
    } catch (error) {
      void env.close();
      throw error instanceof StorageError ? error : classifyStorageError(error, path, 'open');
    }
  }

  /** Persist log entries, hard state and keyspace changes atomically; resolves when durable per the sync mode. */
  writeBatch(batch: WriteBatch): Promise<void> {
    try {
      this.queue.checkWritable();
      // Validate everything before any in-memory state changes.
      if (batch.entries) this.log.checkAppend(batch.entries);
      if (batch.keyspace) this.keyspace.checkWrite(batch.keyspace.meta);
      const ops: TxnOp[] = [];
      if (batch.entries) {
        const op = this.log.prepareAppend(batch.entries);
        if (op) ops.push(op);
      }
      if (batch.hardState) ops.push(this.stable.prepare(batch.hardState));
      if (batch.keyspace) ops.push(this.keyspace.prepareWrite(batch.keyspace.changes, batch.keyspace.meta));
      return ops.length === 0 ? Promise.resolve() : this.queue.submit(combine(ops));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  // ---- snapshot transfer (see snapshot.ts) ----------------------------------------------

  /** A point-in-time view of the keyspace and its SnapshotMeta, for streaming it to a follower. */
  openKeyspaceView(): KeyspaceView {
    if (this.closed) throw new StorageError('CLOSED', 'storage is closed');
    const view = this.keyspace.openView();
    const release = view.release;
    const tracked: KeyspaceView = {
      meta: view.meta,
      rawRecords: view.rawRecords,
      release: () => {
        this.views.delete(tracked);
        release();
      },
    };
    this.views.add(tracked);
    return tracked;
  }

  /** Start receiving a snapshot into the non-live keyspace slot (emptied first). */
  async beginStaging(): Promise<void> {
    if (this.staging) throw new StorageError('INVALID', 'a snapshot transfer is already being received');
    this.staging = true;
    try {
      await this.keyspace.clearSlot(this.keyspace.stagingSlot());
    } catch (error) {
      this.staging = false;
      throw error;
    }
  }

  /** Write received store-encoded records into the staging slot (not visible until finishStaging). */
  stage(records: readonly RawRecord[]): Promise<void> {
    try {
      if (!this.staging) throw new StorageError('INVALID', 'no snapshot transfer in progress');
      for (const record of records) {
        if (!isValidRawRecord(record.key, record.value)) throw new StorageError('INVALID', 'received snapshot record is malformed');
      }
      // Staged records are invisible until finishStaging, so they need no atomicity: write them in
      // small transactions, keeping each commit's main-thread work short.
      const db = this.keyspace.stagingDb();
      const parts: Array<Promise<void>> = [];
      for (let at = 0; at < records.length; at += STAGE_OPS_PER_TXN) {
        const part = records.slice(at, at + STAGE_OPS_PER_TXN);
        parts.push(
          this.queue.submit({
            cost: part.length,
            bytes: part.reduce((sum, { key, value }) => sum + key.length + value.length, 0),
            write: () => {
              for (const { key, value } of part) quiet(db.put(key as Buffer, value as Buffer));
            },
          }),
        );
      }
      return Promise.all(parts).then(() => undefined);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Atomically make the staged keyspace live at meta and reset the log to
   * start after meta.index (etcd's restore: the whole log is replaced). The
   * replaced keyspace and the old log entries are deleted afterwards.
   */
  finishStaging(meta: SnapshotMeta): Promise<void> {
    try {
      if (!this.staging) throw new StorageError('INVALID', 'no snapshot transfer in progress');
      this.keyspace.checkWrite(meta);
      this.queue.checkWritable();
      this.staging = false;
      const staged = this.keyspace.stagingSlot();
      const replaced = staged === 'a' ? 'b' : 'a';
      const op = combine([this.keyspace.prepareSwitch(meta), this.log.prepareReset(meta, true)]);
      return this.queue.submit(op).then(
        () => {
          this.keyspace.clearSlot(replaced).catch(() => undefined);
          this.log.scheduleCleanup(meta.index).catch(() => undefined);
        },
        (error: unknown) => {
          // The switch did not happen (the stores reloaded the old state): drop the staged records.
          this.keyspace.clearSlot(staged).catch(() => undefined);
          throw error;
        },
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Give up a transfer: the live keyspace was never touched; the staged records are dropped. */
  async abortStaging(): Promise<void> {
    if (!this.staging) return;
    this.staging = false;
    await this.keyspace.clearSlot(this.keyspace.stagingSlot());
  }

  // ---- operations -----------------------------------------------------------------------------

  stats(): LmdbStats {
    return {
      sync: this.sync,
      readOnly: this.readOnly,
      fileBytes: this.fileSizeBytes(),
      logBytes: this.log.sizeBytes(),
      keyspaceBytes: this.keyspace.sizeBytes(),
      keyspaceRecords: this.keyspace.count(),
      stagingRecords: this.keyspace.stagingRecords(),
      leftoverLogEntries: this.log.leftoverEntries(),
      transactions: this.queue.transactions,
      lastError: this.queue.lastError,
      failedCommits: this.queue.failedCommits,
      reserveMode: this.reserve.mode,
      reserveHeadroomBytes: this.reserve.headroom(),
      reserveRefusals: this.reserve.refusals,
    };
  }

  /** Bytes of data.mdb on disk (what INFO should show). */
  fileSizeBytes(): number {
    try {
      return statSync(join(this.dir, 'data.mdb')).size;
    } catch {
      return 0;
    }
  }

  /**
   * Write a compacted copy of the environment (free pages dropped) to the
   * directory dest, from a read transaction, while this store keeps working.
   * LMDB never shrinks data.mdb; to reclaim space, stop the node, then replace
   * its data.mdb with dest/data.mdb (or run compactFile on a follower and
   * restart it on the copy).
   */
  async compactFile(dest: string): Promise<void> {
    try {
      // The environment is a directory, so LMDB writes dest/data.mdb; dest must exist.
      mkdirSync(dest, { recursive: true });
      await this.env.backup(resolve(dest), true);
    } catch (error) {
      throw classifyStorageError(error, dest, 'compactFile');
    }
  }

  /** Resolves when every submitted write, including background compaction, has committed (or failed). */
  async idle(): Promise<void> {
    await this.log.cleanupSettled();
    await this.queue.idle();
  }

  /** Waits for submitted writes, then closes the environment; later writes fail with StorageClosedError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.close();
    await this.queue.idle();
    await this.reserve.close();
    for (const view of [...this.views]) view.release();
    // Without this, lmdb-js keeps a read-only environment's file open after close (the mount stays busy).
    this.env.resetReadTxn();
    await this.env.close();
    openDirs.delete(this.dir);
  }

  /** After a failed commit nothing is in flight: reload what the stores hold in memory from disk. */
  private reload(): void {
    this.env.resetReadTxn();
    this.log.load();
    this.stable.load();
    this.keyspace.load();
  }
}

export function openLmdbStorage(dir: string, options: LmdbStorageOptions = {}): LmdbStorage {
  return LmdbStorage.open(dir, options);
}
