import { crc32 } from 'node:zlib';
import type { SnapshotMeta } from '../server/raft/types';
import type { RawRecord } from './lmdb-keyspace';

/**
 * Wire format of one snapshot chunk (all integers big-endian):
 *
 *   'R' 'S' version(1) flags(u8: bit0 = final) seq(u32) count(u32)
 *   count x [keyLen u32][key][valueLen u32][value]
 *   final only: [metaLen u32][SnapshotMeta as JSON][totalRecords u64][crc32 of all records u32]
 *
 * Records are store-encoded (lmdb-codec.ts), so the receiver writes them as is.
 * The final marker's count and CRC let the receiver prove it got every record.
 */
const MAGIC0 = 0x52;
const MAGIC1 = 0x53;
const VERSION = 1;
const FINAL = 0x01;
const HEADER_BYTES = 12;
const TWO_POW_32 = 2 ** 32;

export interface SnapshotTrailer {
  meta: SnapshotMeta;
  totalRecords: number;
  crc: number;
}

export interface SnapshotChunk {
  seq: number;
  records: RawRecord[];
  /** Present on the last chunk only. */
  final?: SnapshotTrailer;
}

export class SnapshotFormatError extends Error {
  readonly code = 'SNAPSHOT_FORMAT';
}

export function recordWireBytes(record: RawRecord): number {
  return 8 + record.key.byteLength + record.value.byteLength;
}

/** Running CRC over records, in order (crc32 of each key then value). */
export function crcRecords(crc: number, records: readonly RawRecord[]): number {
  let value = crc;
  for (const { key, value: data } of records) value = crc32(data, crc32(key, value));
  return value;
}

export function encodeChunk(chunk: SnapshotChunk): Buffer {
  const metaJson = chunk.final ? Buffer.from(JSON.stringify(chunk.final.meta), 'utf8') : undefined;
  let size = HEADER_BYTES;
  for (const record of chunk.records) size += recordWireBytes(record);
  if (metaJson) size += 4 + metaJson.byteLength + 8 + 4;
  const out = Buffer.allocUnsafe(size);
  out[0] = MAGIC0;
  out[1] = MAGIC1;
  out[2] = VERSION;
  out[3] = chunk.final ? FINAL : 0;
  out.writeUInt32BE(chunk.seq, 4);
  out.writeUInt32BE(chunk.records.length, 8);
  let at = HEADER_BYTES;
  for (const { key, value } of chunk.records) {
    out.writeUInt32BE(key.byteLength, at);
    out.set(key, at + 4);
    at += 4 + key.byteLength;
    out.writeUInt32BE(value.byteLength, at);
    out.set(value, at + 4);
    at += 4 + value.byteLength;
  }
  if (chunk.final && metaJson) {
    out.writeUInt32BE(metaJson.byteLength, at);
    out.set(metaJson, at + 4);
    at += 4 + metaJson.byteLength;
    out.writeUInt32BE(Math.floor(chunk.final.totalRecords / TWO_POW_32), at);
    out.writeUInt32BE(chunk.final.totalRecords >>> 0, at + 4);
    out.writeUInt32BE(chunk.final.crc >>> 0, at + 8);
  }
  return out;
}

export function decodeChunk(input: Uint8Array): SnapshotChunk {
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const need = (at: number, bytes: number): void => {
    if (at + bytes > buf.byteLength) throw new SnapshotFormatError(`snapshot chunk truncated at byte ${at}`);
  };
  need(0, HEADER_BYTES);
  if (buf[0] !== MAGIC0 || buf[1] !== MAGIC1) throw new SnapshotFormatError('not a snapshot chunk');
  if (buf[2] !== VERSION) throw new SnapshotFormatError(`snapshot chunk version ${buf[2]} is not supported`);
  const isFinal = (buf[3] & FINAL) !== 0;
  const seq = buf.readUInt32BE(4);
  const count = buf.readUInt32BE(8);
  const records: RawRecord[] = [];
  let at = HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    need(at, 4);
    const keyLength = buf.readUInt32BE(at);
    need(at + 4, keyLength + 4);
    const key = buf.subarray(at + 4, at + 4 + keyLength);
    at += 4 + keyLength;
    const valueLength = buf.readUInt32BE(at);
    need(at + 4, valueLength);
    const value = buf.subarray(at + 4, at + 4 + valueLength);
    at += 4 + valueLength;
    records.push({ key, value });
  }
  let final: SnapshotTrailer | undefined;
  if (isFinal) {
    need(at, 4);
    const metaLength = buf.readUInt32BE(at);
    need(at + 4, metaLength + 12);
    let meta: SnapshotMeta;
    try {
      meta = JSON.parse(buf.subarray(at + 4, at + 4 + metaLength).toString('utf8')) as SnapshotMeta;
    } catch {
      throw new SnapshotFormatError('snapshot trailer meta is not valid JSON');
    }
    at += 4 + metaLength;
    const totalRecords = buf.readUInt32BE(at) * TWO_POW_32 + buf.readUInt32BE(at + 4);
    const crc = buf.readUInt32BE(at + 8);
    at += 12;
    final = { meta, totalRecords, crc };
  }
  if (at !== buf.byteLength) throw new SnapshotFormatError(`snapshot chunk has ${buf.byteLength - at} trailing bytes`);
  return { seq, records, final };
}
