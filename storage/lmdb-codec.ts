import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { ConfState, Entry, EntryType, HardState, SnapshotMeta } from '../server/raft/types';
import { StorageCorruptionError } from './lmdb-errors';

/**
 * Byte layouts of everything the LMDB store writes. Kept in one place so the
 * on-disk format is reviewable and versioned (FORMAT_VERSION in the meta DB).
 */

export const FORMAT_VERSION = 1;

// ---- Raft log ---------------------------------------------------------------

const TWO_POW_32 = 2 ** 32;

/** Log keys are 8-byte big-endian indexes, so LMDB's byte order is index order. */
export function indexKey(index: number): Buffer {
  const key = Buffer.allocUnsafe(8);
  key.writeUInt32BE(Math.floor(index / TWO_POW_32), 0);
  key.writeUInt32BE(index >>> 0, 4);
  return key;
}

export function keyIndex(key: Uint8Array): number {
  const view = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  return view.readUInt32BE(0) * TWO_POW_32 + view.readUInt32BE(4);
}

/**
 * Entry value: [type u8][term u64 BE][crc32 u32][data]. The CRC covers the
 * index key, type, term and data, so a misplaced or damaged value is detected
 * on read rather than handed to the Raft core. 13 bytes of overhead.
 */
export const ENTRY_HEADER_BYTES = 13;

function entryCrc(key: Uint8Array, header: Uint8Array, data: Uint8Array): number {
  return crc32(data, crc32(header, crc32(key)));
}

export function encodeEntry(entry: Entry): { key: Buffer; value: Buffer } {
  const key = indexKey(entry.index);
  const value = Buffer.allocUnsafe(ENTRY_HEADER_BYTES + entry.data.byteLength);
  value.writeUInt8(entry.type, 0);
  value.writeUInt32BE(Math.floor(entry.term / TWO_POW_32), 1);
  value.writeUInt32BE(entry.term >>> 0, 5);
  value.set(entry.data, ENTRY_HEADER_BYTES);
  value.writeUInt32BE(entryCrc(key, value.subarray(0, 9), entry.data), 9);
  return { key, value };
}

export function decodeEntry(index: number, value: Uint8Array): Entry {
  if (value.byteLength < ENTRY_HEADER_BYTES) {
    throw new StorageCorruptionError(`log entry ${index}: value of ${value.byteLength} bytes is shorter than its header`);
  }
  const buf = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  const data = buf.subarray(ENTRY_HEADER_BYTES);
  if (entryCrc(indexKey(index), buf.subarray(0, 9), data) !== buf.readUInt32BE(9)) {
    throw new StorageCorruptionError(`log entry ${index}: checksum mismatch`);
  }
  return {
    index,
    type: buf.readUInt8(0) as EntryType,
    term: decodeTerm(buf),
    data,
  };
}

/** The term of an encoded entry without checking or copying its data (hot path of term lookups at open). */
export function decodeTerm(value: Uint8Array): number {
  const buf = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return buf.readUInt32BE(1) * TWO_POW_32 + buf.readUInt32BE(5);
}

// ---- meta DB ------------------------------------------------------------------

/** Keys of the meta DB. */
export const META = {
  version: 'format',
  hardState: 'hardState',
  /** SnapshotMeta of the log's compaction point (firstIndex - 1). */
  logSnapshot: 'logSnapshot',
  /** Which keyspace DB is live and the SnapshotMeta (applied index) it reflects. */
  keyspace: 'keyspace',
} as const;

export type KeyspaceSlot = 'a' | 'b';

export interface KeyspaceMetaRecord {
  active: KeyspaceSlot;
  meta: SnapshotMeta;
}

export const EMPTY_CONF: ConfState = { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
export const EMPTY_SNAPSHOT: SnapshotMeta = { index: 0, term: 0, conf: EMPTY_CONF };
export const EMPTY_HARD_STATE: HardState = { term: 0, vote: 0, commit: 0 };

/** Meta records are small and rarely written: JSON keeps them readable with mdb_dump. */
export function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

export function decodeJson<T>(what: string, value: Uint8Array | undefined, fallback: T): T {
  if (value === undefined) return fallback;
  try {
    return JSON.parse(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8')) as T;
  } catch {
    throw new StorageCorruptionError(`meta record ${what} is not valid JSON`);
  }
}

export function cloneSnapshotMeta(meta: SnapshotMeta): SnapshotMeta {
  return {
    index: meta.index,
    term: meta.term,
    conf: {
      voters: [...meta.conf.voters],
      learners: [...meta.conf.learners],
      votersOutgoing: [...meta.conf.votersOutgoing],
      learnersNext: [...meta.conf.learnersNext],
      autoLeave: meta.conf.autoLeave,
    },
  };
}

// ---- keyspace records ---------------------------------------------------------

/**
 * LMDB keys are limited to 1978 bytes, Redis keys are not. A key up to
 * INLINE_KEY_MAX bytes is stored as [0x00][key] with the value as is; a longer
 * key is stored under [0x01][sha256(key)] with the value [keyLen u32][key][value].
 */
export const INLINE_KEY_MAX = 1024;
const INLINE = 0x00;
/** Store keys starting with this byte hold the record key inline from byte 1. */
export const INLINE_LAYOUT = INLINE;
const HASHED = 0x01;

export function encodeRecordKey(key: Uint8Array): Buffer {
  if (key.byteLength <= INLINE_KEY_MAX) {
    const out = Buffer.allocUnsafe(1 + key.byteLength);
    out[0] = INLINE;
    out.set(key, 1);
    return out;
  }
  const digest = createHash('sha256').update(key).digest();
  return Buffer.concat([Buffer.from([HASHED]), digest]);
}

export function encodeRecordValue(key: Uint8Array, value: Uint8Array): Uint8Array {
  if (key.byteLength <= INLINE_KEY_MAX) return value;
  const out = Buffer.allocUnsafe(4 + key.byteLength + value.byteLength);
  out.writeUInt32BE(key.byteLength, 0);
  out.set(key, 4);
  out.set(value, 4 + key.byteLength);
  return out;
}

export function decodeRecord(storeKey: Uint8Array, storeValue: Uint8Array): { key: Uint8Array; value: Uint8Array } {
  if (storeKey[0] === INLINE) return { key: storeKey.subarray(1), value: storeValue };
  if (storeKey[0] === HASHED && storeKey.byteLength === 33 && storeValue.byteLength >= 4) {
    const buf = Buffer.from(storeValue.buffer, storeValue.byteOffset, storeValue.byteLength);
    const keyLength = buf.readUInt32BE(0);
    if (4 + keyLength <= buf.byteLength) {
      return { key: buf.subarray(4, 4 + keyLength), value: buf.subarray(4 + keyLength) };
    }
  }
  throw new StorageCorruptionError('keyspace record with an unknown key layout');
}

/** A raw (store-encoded) record is valid if decodeRecord accepts it; used to check received snapshot chunks. */
export function isValidRawRecord(storeKey: Uint8Array, storeValue: Uint8Array): boolean {
  if (storeKey.byteLength === 0 || storeKey.byteLength > 1 + INLINE_KEY_MAX) return false;
  try {
    decodeRecord(storeKey, storeValue);
    return true;
  } catch {
    return false;
  }
}
