import { crc32 } from 'node:zlib';
import type { Entry, EntryType } from '../server/raft/types';
import { keptOrCopied } from './bytes';

/**
 * On-disk format of the segment log (segment-log.ts). All integers little endian;
 * 64-bit fields hold integers below 2^53 (written as two 32-bit halves).
 *
 * Segment file `log-<seq, 16 hex digits>.seg`, preallocated (zeros) to its size:
 *   0  magic "RCSEGLG1"        8  version u32        12 crc u32 of bytes 16..64
 *   16 seq u64                 24 prevIndex u64      32 prevTerm u64
 *   40 group u64 (first sync group written into it)  48 size u64   56 reserved
 * then records from offset 64, each aligned to 8 bytes:
 *   0  len u32 (data bytes)    4  crc u32            8  index u64
 *   16 term u64                24 group u64          32 type u8, 33..40 zero
 *   40 data (len bytes), zero padding to a multiple of 8
 * crc = CRC-32 (node:zlib) of bytes 8..40+len, started from len instead of 0
 * (so it covers everything but itself with one call).
 * A record header of 40 zero bytes marks the end of the segment's data (the
 * preallocated space is zeros). `group` numbers fdatasync units: the writer
 * syncs every record of a group together, and groups only grow.
 *
 * A segment continues the log after (prevIndex, prevTerm): rolling over, a
 * segment follows the previous one's last record; after a suffix
 * truncation (a leader overwrote entries) a new segment starts after the
 * kept prefix, and the records after that point in earlier segments are
 * stale; after a snapshot install it starts after the snapshot.
 */
export const SEGMENT_MAGIC = Buffer.from('RCSEGLG1', 'latin1');
export const SEGMENT_VERSION = 1;
export const SEGMENT_HEADER_BYTES = 64;
export const RECORD_HEADER_BYTES = 40;

const TWO_32 = 4294967296;

export function put64(buf: Buffer, offset: number, value: number): void {
  buf.writeUInt32LE(value >>> 0, offset);
  buf.writeUInt32LE(Math.floor(value / TWO_32), offset + 4);
}

export function get64(buf: Buffer, offset: number): number {
  return buf.readUInt32LE(offset) + buf.readUInt32LE(offset + 4) * TWO_32;
}

/** High half of a 64-bit field: must stay below 2^21 for the value to be a safe integer. */
export function high32(buf: Buffer, offset: number): number {
  return buf.readUInt32LE(offset + 4);
}

export function recordBytes(dataLength: number): number {
  return Math.ceil((RECORD_HEADER_BYTES + dataLength) / 8) * 8;
}

export function segmentName(seq: number): string {
  return `log-${seq.toString(16).padStart(16, '0')}.seg`;
}

export function parseSegmentName(name: string): number | undefined {
  const match = /^log-([0-9a-f]{16})\.seg$/.exec(name);
  return match ? parseInt(match[1], 16) : undefined;
}

export interface SegmentHeader {
  seq: number;
  prevIndex: number;
  prevTerm: number;
  group: number;
  size: number;
}

export function encodeSegmentHeader(h: SegmentHeader): Buffer {
  const buf = Buffer.alloc(SEGMENT_HEADER_BYTES);
  SEGMENT_MAGIC.copy(buf, 0);
  buf.writeUInt32LE(SEGMENT_VERSION, 8);
  put64(buf, 16, h.seq);
  put64(buf, 24, h.prevIndex);
  put64(buf, 32, h.prevTerm);
  put64(buf, 40, h.group);
  put64(buf, 48, h.size);
  buf.writeUInt32LE(crc32(buf.subarray(16)), 12);
  return buf;
}

/** The header, or a reason it is not one. */
export function decodeSegmentHeader(buf: Buffer): SegmentHeader | string {
  if (buf.length < SEGMENT_HEADER_BYTES) return 'file shorter than a segment header';
  if (!buf.subarray(0, 8).equals(SEGMENT_MAGIC)) return 'bad magic';
  if (buf.readUInt32LE(8) !== SEGMENT_VERSION) return `unknown version ${buf.readUInt32LE(8)}`;
  if (crc32(buf.subarray(16, SEGMENT_HEADER_BYTES)) !== buf.readUInt32LE(12)) return 'header checksum mismatch';
  return { seq: get64(buf, 16), prevIndex: get64(buf, 24), prevTerm: get64(buf, 32), group: get64(buf, 40), size: get64(buf, 48) };
}

function recordCrc(buf: Buffer, offset: number, dataLength: number): number {
  return crc32(buf.subarray(offset + 8, offset + RECORD_HEADER_BYTES + dataLength), dataLength);
}

/** Encode entries back to back into buf from offset; returns the offset after them. */
export function encodeRecords(buf: Buffer, offset: number, entries: readonly Entry[], group: number): number {
  let at = offset;
  for (const entry of entries) {
    const len = entry.data.byteLength;
    writeRecordHead(buf, at, entry, group);
    buf.set(entry.data, at + RECORD_HEADER_BYTES);
    buf.writeUInt32LE(recordCrc(buf, at, len), at + 4);
    at += recordBytes(len);
  }
  return at;
}

/**
 * The 40-byte header of one record, its checksum computed over the header
 * and the data without joining them: a huge entry is written as header,
 * its own data bytes and padding (recordPadding), never copied into one
 * buffer. The bytes on disk are the same as encodeRecords writes.
 */
export function encodeRecordHeader(entry: Entry, group: number): Buffer {
  const head = Buffer.alloc(RECORD_HEADER_BYTES);
  writeRecordHead(head, 0, entry, group);
  head.writeUInt32LE(crc32(entry.data, crc32(head.subarray(8), entry.data.byteLength)), 4);
  return head;
}

/** A record header's fields but its checksum (bytes 4-7), at `at`. */
function writeRecordHead(buf: Buffer, at: number, entry: Entry, group: number): void {
  buf.writeUInt32LE(entry.data.byteLength, at);
  put64(buf, at + 8, entry.index);
  put64(buf, at + 16, entry.term);
  put64(buf, at + 24, group);
  buf[at + 32] = entry.type;
}

/** Zero bytes after a record's data up to the 8-byte boundary recordBytes rounds to. */
export function recordPadding(dataLength: number): number {
  return recordBytes(dataLength) - RECORD_HEADER_BYTES - dataLength;
}

export interface RecordInfo {
  index: number;
  term: number;
  type: EntryType;
  group: number;
  len: number;
}

/** True if the 40 bytes at offset are all zero: the end of a segment's data. */
export function isZeroHeader(buf: Buffer, offset: number): boolean {
  // every record has an index >= 1: a cheap first look
  if (buf.readUInt32LE(offset + 8) !== 0 || buf.readUInt32LE(offset + 12) !== 0) return false;
  for (let i = offset; i < offset + RECORD_HEADER_BYTES; i++) if (buf[i] !== 0) return false;
  return true;
}

/**
 * Decode the record at offset of buf (which holds the file from byte `base`),
 * or say why it is not a valid record. `fileSize` bounds the length.
 */
export function decodeRecord(buf: Buffer, offset: number): RecordInfo | string {
  if (offset + RECORD_HEADER_BYTES > buf.length) return 'record header runs past the end of the file';
  const len = buf.readUInt32LE(offset);
  if (offset + RECORD_HEADER_BYTES + len > buf.length) return `record length ${len} runs past the end of the file`;
  const type = buf[offset + 32];
  if (type > 1) return `unknown entry type ${type}`;
  for (let i = offset + 33; i < offset + RECORD_HEADER_BYTES; i++) if (buf[i] !== 0) return 'header padding is not zero';
  if (high32(buf, offset + 8) >= 1 << 21 || high32(buf, offset + 16) >= 1 << 21 || high32(buf, offset + 24) >= 1 << 21) {
    return 'integer field out of range';
  }
  if (recordCrc(buf, offset, len) !== buf.readUInt32LE(offset + 4)) return 'checksum mismatch';
  return { index: get64(buf, offset + 8), term: get64(buf, offset + 16), group: get64(buf, offset + 24), type: type as EntryType, len };
}

/** The entry of a record already validated with decodeRecord (its data copied out of buf, unless it is most of buf). */
export function recordEntry(buf: Buffer, offset: number, info: RecordInfo): Entry {
  const data = keptOrCopied(buf.subarray(offset + RECORD_HEADER_BYTES, offset + RECORD_HEADER_BYTES + info.len));
  return { index: info.index, term: info.term, type: info.type, data };
}
