import type { Database, RootDatabase } from 'lmdb';
import { quiet } from './lmdb-errors';
import type { SnapshotMeta } from '../server/raft/types';
import type { KeyspaceRecord, KeyspaceStore } from './types';
import type { CommitQueue, TxnOp } from './lmdb-commit';
import {
  EMPTY_SNAPSHOT,
  INLINE_LAYOUT,
  META,
  cloneSnapshotMeta,
  decodeJson,
  decodeRecord,
  encodeJson,
  encodeRecordKey,
  encodeRecordValue,
  type KeyspaceMetaRecord,
  type KeyspaceSlot,
} from './lmdb-codec';
import { StorageError } from './lmdb-errors';
import type { BinaryDb, MetaDb } from './lmdb-log';

export interface KeyspaceChange {
  key: Uint8Array;
  /** null deletes the key. */
  value: Uint8Array | null;
}

/** A store-encoded record, as streamed in snapshots (see lmdb-codec.ts for the layout). */
export interface RawRecord {
  key: Uint8Array;
  value: Uint8Array;
}

/** A point-in-time view of the keyspace, held open by one LMDB read transaction. */
export interface KeyspaceView {
  readonly meta: SnapshotMeta;
  /** Store-encoded records in key order, as of the view. */
  rawRecords(): Iterator<RawRecord>;
  /** Release the read transaction (LMDB cannot reuse pages freed after it while it is open). */
  release(): void;
}

const INITIAL: KeyspaceMetaRecord = { active: 'a', meta: EMPTY_SNAPSHOT };

export function otherSlot(slot: KeyspaceSlot): KeyspaceSlot {
  return slot === 'a' ? 'b' : 'a';
}

/**
 * The durable keyspace: two DBs, `keyspace.a` and `keyspace.b`. The meta
 * record `keyspace` names the live one together with the SnapshotMeta
 * (applied index) it reflects, so records and applied index always commit in
 * one transaction, and installing a received snapshot (written into the other
 * slot) is a single put of that record.
 */
export class LmdbKeyspaceStore implements KeyspaceStore {
  /** As committed: what reads use. */
  private durable: KeyspaceMetaRecord = INITIAL;
  /** As of the last submitted write: what the next write builds on. */
  private queued: KeyspaceMetaRecord = INITIAL;

  constructor(
    private readonly env: RootDatabase,
    private readonly slots: Record<KeyspaceSlot, BinaryDb>,
    private readonly meta: MetaDb,
    private readonly queue: CommitQueue,
  ) {
    this.load();
  }

  appliedIndex(): number {
    return this.durable.meta.index;
  }

  snapshotMeta(): SnapshotMeta {
    return this.durable.meta;
  }

  write(changes: Array<{ key: Uint8Array; value: Uint8Array | null }>, meta: SnapshotMeta): Promise<void> {
    try {
      this.queue.checkWritable();
      return this.queue.submit(this.prepareWrite(changes, meta));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** All records as of one read transaction (committed state). */
  *records(): Iterable<KeyspaceRecord> {
    for (const { key, value } of this.slots[this.durable.active].getRange({})) {
      yield decodeRecord(key, value);
    }
  }

  /**
   * Every record as `records()` gives them, without making a key view per
   * record (Buffer#subarray costs about a microsecond: seconds for millions
   * of collection elements at restart): the key is `key` from `keyStart`.
   */
  forEachRecord(cb: (key: Buffer, keyStart: number, value: Buffer) => void): void {
    for (const { key, value } of this.slots[this.durable.active].getRange({})) {
      if (key[0] === INLINE_LAYOUT) cb(key, 1, value);
      else {
        const rec = decodeRecord(key, value);
        cb(asBuffer(rec.key), 0, asBuffer(rec.value));
      }
    }
  }

  /** One record (committed state); for tests and tools. */
  get(key: Uint8Array): Uint8Array | undefined {
    const storeValue = this.slots[this.durable.active].getBinary(encodeRecordKey(key));
    return storeValue === undefined ? undefined : decodeRecord(encodeRecordKey(key), storeValue).value;
  }

  /** Number of records in the live slot. */
  count(): number {
    return (this.slots[this.durable.active].getStats() as { entryCount: number }).entryCount;
  }

  sizeBytes(): number {
    return slotBytes(this.slots[this.durable.active]);
  }

  // ---- used by LmdbStorage -------------------------------------------------------

  checkWrite(meta: SnapshotMeta): void {
    if (meta.index < this.queued.meta.index) {
      throw new StorageError('INVALID', `keyspace write at applied index ${meta.index} is behind ${this.queued.meta.index}`);
    }
  }

  prepareWrite(changes: ReadonlyArray<KeyspaceChange>, meta: SnapshotMeta): TxnOp {
    this.checkWrite(meta);
    const record: KeyspaceMetaRecord = { active: this.queued.active, meta: cloneSnapshotMeta(meta) };
    this.queued = record;
    const db = this.slots[record.active];
    const encoded = changes.map(({ key, value }) => ({
      key: encodeRecordKey(key),
      value: value === null ? null : encodeRecordValue(key, value),
    }));
    const metaValue = encodeJson(record);
    const metaDb = this.meta;
    return {
      cost: encoded.length + 1,
      bytes: encoded.reduce((sum, { key, value }) => sum + key.length + (value?.length ?? 0), metaValue.length),
      write: () => {
        for (const { key, value } of encoded) quiet(value === null ? db.remove(key) : db.put(key, value as Buffer));
        quiet(metaDb.put(META.keyspace, metaValue));
      },
      committed: () => {
        this.durable = record;
      },
    };
  }

  /** The slot a received snapshot is written into: never the live one, nor the one a queued write targets. */
  stagingSlot(): KeyspaceSlot {
    return otherSlot(this.queued.active);
  }

  stagingDb(): BinaryDb {
    return this.slots[this.stagingSlot()];
  }

  /** Make the staging slot live with meta, in the transaction this op joins. */
  prepareSwitch(meta: SnapshotMeta): TxnOp {
    const record: KeyspaceMetaRecord = { active: this.stagingSlot(), meta: cloneSnapshotMeta(meta) };
    this.queued = record;
    const metaValue = encodeJson(record);
    const metaDb = this.meta;
    return {
      cost: 1,
      write: () => quiet(metaDb.put(META.keyspace, metaValue)),
      committed: () => {
        this.durable = record;
      },
    };
  }

  /** Empty a slot in its own transaction (LMDB frees the pages without visiting every record). */
  clearSlot(slot: KeyspaceSlot): Promise<void> {
    const db = this.slots[slot];
    return this.queue.submitSolo(() => db.clearAsync());
  }

  /** Records left in the non-live slot (a partial snapshot transfer, or the slot replaced by the last install). */
  stagingRecords(): number {
    return (this.stagingDb().getStats() as { entryCount: number }).entryCount;
  }

  openView(): KeyspaceView {
    const transaction = this.env.useReadTransaction();
    let released = false;
    let iterator: Iterator<RawRecord> | undefined;
    const record = decodeJson<KeyspaceMetaRecord>(META.keyspace, this.meta.get(META.keyspace, { transaction }), INITIAL);
    const db: Database<Buffer, Buffer> = this.slots[record.active];
    return {
      meta: record.meta,
      rawRecords: () => {
        if (released) throw new StorageError('INVALID', 'keyspace view already released');
        iterator = db.getRange({ transaction })[Symbol.iterator]();
        return iterator;
      },
      release: () => {
        if (released) return;
        released = true;
        iterator?.return?.();
        transaction.done();
      },
    };
  }

  load(): void {
    this.durable = decodeJson<KeyspaceMetaRecord>(META.keyspace, this.meta.get(META.keyspace), INITIAL);
    this.queued = this.durable;
  }
}

export function slotBytes(db: BinaryDb): number {
  const stats = db.getStats() as { pageSize: number; treeBranchPageCount: number; treeLeafPageCount: number; overflowPages: number };
  return (stats.treeBranchPageCount + stats.treeLeafPageCount + stats.overflowPages) * stats.pageSize;
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}
