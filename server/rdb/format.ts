/**
 * The RDB object format as DUMP/RESTORE carry it (rdb.h, rdb.c): type
 * bytes, length encoding, string encodings and the payload footer. A writer
 * that produces Redis's bytes and a bounds-checked reader that throws
 * RdbFormatError on anything malformed (RESTORE answers "Bad data format").
 */
import { crc64 } from './crc64';
import { lzfCompress, lzfDecompress } from './lzf';

/** RDB version redis-server 7.0 writes (and the highest it accepts). */
export const RDB_VERSION_70 = 10;
/** Redis 7.2 writes 11 (it adds SET_LISTPACK); this server accepts its payloads too. */
export const RDB_VERSION_MAX = 11;

export const RDB_TYPE = {
  STRING: 0,
  LIST: 1,
  SET: 2,
  ZSET: 3,
  HASH: 4,
  ZSET_2: 5,
  MODULE_2: 7,
  HASH_ZIPMAP: 9,
  LIST_ZIPLIST: 10,
  SET_INTSET: 11,
  ZSET_ZIPLIST: 12,
  HASH_ZIPLIST: 13,
  LIST_QUICKLIST: 14,
  STREAM_LISTPACKS: 15,
  HASH_LISTPACK: 16,
  ZSET_LISTPACK: 17,
  LIST_QUICKLIST_2: 18,
  STREAM_LISTPACKS_2: 19,
  SET_LISTPACK: 20,
  STREAM_LISTPACKS_3: 21,
} as const;

/** Quicklist v2 node containers. */
export const QUICKLIST_NODE_PLAIN = 1;
export const QUICKLIST_NODE_PACKED = 2;

const ENC_INT8 = 0;
const ENC_INT16 = 1;
const ENC_INT32 = 2;
const ENC_LZF = 3;

/** Most bytes LZF can produce per compressed byte (a 3-byte reference of 264 bytes). */
const LZF_MAX_RATIO = 88;

export class RdbFormatError extends Error {}

export function fail(what: string): never {
  throw new RdbFormatError(what);
}

/** Canonical decimal int64 (Redis string2ll): the value, else null. */
export function strictInt(s: string): bigint | null {
  const n = s.length;
  if (n === 0 || n > 20) return null;
  if (s === '0') return 0n;
  let i = s.charCodeAt(0) === 0x2d ? 1 : 0;
  if (i === n) return null;
  const first = s.charCodeAt(i);
  if (first < 0x31 || first > 0x39) return null;
  for (i++; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return null;
  }
  const v = BigInt(s);
  return v > 0x7fffffffffffffffn || v < -0x8000000000000000n ? null : v;
}

/** Appends RDB-encoded pieces; `finish` adds the version and CRC footer. */
export class RdbWriter {
  private parts: Buffer[] = [];
  private size = 0;

  bytes(b: Buffer): void {
    this.parts.push(b);
    this.size += b.length;
  }

  byte(v: number): void {
    this.bytes(Buffer.of(v));
  }

  /** rdbSaveLen: 6-bit, 14-bit, 32-bit or 64-bit big-endian lengths. */
  len(n: number): void {
    if (n < 1 << 6) this.byte(n);
    else if (n < 1 << 14) this.bytes(Buffer.of((n >> 8) | 0x40, n & 0xff));
    else if (n <= 0xffffffff) {
      const b = Buffer.alloc(5);
      b[0] = 0x80;
      b.writeUInt32BE(n, 1);
      this.bytes(b);
    } else {
      const b = Buffer.alloc(9);
      b[0] = 0x81;
      b.writeBigUInt64BE(BigInt(n), 1);
      this.bytes(b);
    }
  }

  /**
   * rdbSaveRawString: short canonical integers as int8/16/32, strings over
   * 20 bytes LZF-compressed when that saves at least 4 bytes, else raw.
   */
  string(s: Buffer): void {
    if (s.length <= 11) {
      const v = strictInt(s.toString('latin1'));
      if (v !== null && this.tryInt(v)) return;
    }
    if (s.length > 20) {
      const packed = lzfCompress(s, s.length - 4);
      if (packed !== null) {
        this.byte(0xc0 | ENC_LZF);
        this.len(packed.length);
        this.len(s.length);
        this.bytes(packed);
        return;
      }
    }
    this.len(s.length);
    this.bytes(s);
  }

  private tryInt(v: bigint): boolean {
    const n = Number(v);
    if (n >= -128 && n <= 127) this.bytes(Buffer.of(0xc0 | ENC_INT8, n & 0xff));
    else if (n >= -32768 && n <= 32767) this.bytes(Buffer.of(0xc0 | ENC_INT16, n & 0xff, (n >> 8) & 0xff));
    else if (n >= -2147483648 && n <= 2147483647) {
      const b = Buffer.alloc(5);
      b[0] = 0xc0 | ENC_INT32;
      b.writeInt32LE(n, 1);
      this.bytes(b);
    } else return false;
    return true;
  }

  /** rdbSaveBinaryDoubleValue: 8 bytes little-endian. */
  binaryDouble(d: number): void {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(d, 0);
    this.bytes(b);
  }

  /** The payload: everything written, the RDB version, the CRC64 of both. */
  finish(version = RDB_VERSION_70): Buffer {
    const body = Buffer.alloc(this.size + 10);
    let off = 0;
    for (const p of this.parts) off += p.copy(body, off);
    body.writeUInt16LE(version, off);
    crc64(body, 0, off + 2).copy(body, off + 2);
    return body;
  }
}

/**
 * verifyDumpPayload: at least the 10-byte footer, a version this server
 * knows (up to 11: Redis 7.2's payloads load here, where 7.0 stops at 10)
 * and a matching CRC64. Returns the payload's RDB version, or null.
 */
export function verifyPayload(p: Buffer): { version: number } | null {
  if (p.length < 10) return null;
  const footer = p.length - 10;
  const version = p[footer] | (p[footer + 1] << 8);
  if (version > RDB_VERSION_MAX) return null;
  return crc64(p, 0, p.length - 8).equals(p.subarray(p.length - 8)) ? { version } : null;
}

/** Reads RDB-encoded pieces from a payload, never past its end. */
export class RdbReader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  byte(): number {
    if (this.pos >= this.buf.length) fail('truncated');
    return this.buf[this.pos++];
  }

  take(n: number): Buffer {
    if (n < 0 || this.pos + n > this.buf.length) fail('truncated');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** rdbLoadLenByRef: a length, or an encoding tag (`encoded` true) for strings. */
  lenOrEncoding(): { encoded: boolean; n: number } {
    const b = this.byte();
    const kind = b >> 6;
    if (kind === 3) return { encoded: true, n: b & 0x3f };
    if (kind === 0) return { encoded: false, n: b & 0x3f };
    if (kind === 1) return { encoded: false, n: ((b & 0x3f) << 8) | this.byte() };
    if (b === 0x80) return { encoded: false, n: this.take(4).readUInt32BE(0) };
    if (b === 0x81) {
      const v = this.take(8).readBigUInt64BE(0);
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail('length too large');
      return { encoded: false, n: Number(v) };
    }
    fail('unknown length encoding');
  }

  /** rdbLoadLen: an encoding tag where a length belongs reads as its low 6 bits, as in Redis. */
  len(): number {
    return this.lenOrEncoding().n;
  }

  /** rdbGenericLoadStringObject: raw, integer-encoded or LZF-compressed. */
  string(): Buffer {
    const l = this.lenOrEncoding();
    if (!l.encoded) return this.take(l.n);
    switch (l.n) {
      case ENC_INT8:
        return Buffer.from(String(this.take(1).readInt8(0)), 'latin1');
      case ENC_INT16:
        return Buffer.from(String(this.take(2).readInt16LE(0)), 'latin1');
      case ENC_INT32:
        return Buffer.from(String(this.take(4).readInt32LE(0)), 'latin1');
      case ENC_LZF: {
        const clen = this.len();
        const ulen = this.len();
        const data = this.take(clen);
        if (ulen === 0) return Buffer.alloc(0); // lzf_decompress "returns" 0 = the expected length
        // A 3-byte back-reference expands to at most 264 bytes: a claim beyond that is refused before
        // anything is allocated (RESTORE runs on every node; no payload may make them all allocate 512 MiB).
        if (ulen > clen * LZF_MAX_RATIO || ulen > 512 * 1024 * 1024) fail('impossible LZF length');
        return lzfDecompress(data, ulen) ?? fail('invalid LZF data');
      }
      default:
        fail('unknown string encoding');
    }
  }

  /** rdbLoadBinaryDoubleValue. */
  binaryDouble(): number {
    return this.take(8).readDoubleLE(0);
  }

  /** rdbLoadDoubleValue (RDB_TYPE_ZSET): a length byte, or 253/254/255 for nan/+inf/-inf, then ASCII. */
  textDouble(): number {
    const n = this.byte();
    if (n === 253) return NaN;
    if (n === 254) return Infinity;
    if (n === 255) return -Infinity;
    const v = scanDouble(this.take(n).toString('latin1'));
    if (v === null) fail('bad double');
    return v;
  }
}

/**
 * sscanf("%lg") / strtod as Redis reads a score: leading spaces, then the
 * longest prefix that reads as a double, hexadecimal included ("1x2" is 1);
 * null if none does.
 */
export function scanDouble(s: string): number | null {
  const hex = /^[ \t\n\v\f\r]*([+-]?)0x([0-9a-f]*)(?:\.([0-9a-f]*))?(?:p([+-]?\d+))?/i.exec(s);
  if (hex !== null && (hex[2] + (hex[3] ?? '')).length > 0) {
    const frac = hex[3] ?? '';
    let v = parseInt(hex[2] || '0', 16) + (frac ? parseInt(frac, 16) / 16 ** frac.length : 0);
    if (hex[4] !== undefined) v *= 2 ** Number(hex[4]);
    return hex[1] === '-' ? -v : v;
  }
  const m = /^[ \t\n\v\f\r]*([+-]?)(infinity|inf|nan|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/i.exec(s);
  if (m === null) return null;
  const body = m[2].toLowerCase();
  const neg = m[1] === '-';
  if (body.startsWith('inf')) return neg ? -Infinity : Infinity;
  if (body === 'nan') return NaN;
  return neg ? -Number(body) : Number(body);
}
