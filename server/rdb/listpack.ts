/**
 * Listpacks (listpack.c): the blob inside HASH_LISTPACK, ZSET_LISTPACK,
 * SET_LISTPACK and quicklist v2 nodes. Header: total bytes (u32 LE) and
 * element count (u16 LE, 65535 = "count them"); entries; 0xFF. Each entry is
 * an encoding byte (+ data) and a back-length; canonical integers are stored
 * in the smallest integer encoding, as lpAppend does.
 *
 * Elements are latin1 strings (one char per byte), as the keyspace holds them.
 */
import { fail, strictInt } from './format';

const HEADER = 6;
const EOF_BYTE = 0xff;

/** Bytes of an entry's back-length for an entry of `l` bytes (lpEncodeBacklen). */
function backlenSize(l: number): number {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

function writeBacklen(out: Buffer, at: number, l: number): number {
  const n = backlenSize(l);
  // The byte order lpEncodeBacklen uses: most significant group first, every byte but the first has bit 7 set.
  let v = l;
  for (let i = n - 1; i >= 0; i--) {
    out[at + i] = (v & 127) | (i > 0 ? 128 : 0);
    v = Math.floor(v / 128);
  }
  return n;
}

/** The encoded entry (encoding + data, without back-length). */
function encodeEntry(s: string): Buffer {
  const v = strictInt(s);
  if (v !== null) {
    const n = Number(v);
    if (v >= 0n && v <= 127n) return Buffer.of(n);
    if (v >= -4096n && v <= 4095n) {
      const u = n < 0 ? (1 << 13) + n : n;
      return Buffer.of((u >> 8) | 0xc0, u & 0xff);
    }
    if (v >= -32768n && v <= 32767n) {
      const b = Buffer.alloc(3);
      b[0] = 0xf1;
      b.writeInt16LE(n, 1);
      return b;
    }
    if (v >= -8388608n && v <= 8388607n) {
      const b = Buffer.alloc(4);
      b[0] = 0xf2;
      b.writeIntLE(n, 1, 3);
      return b;
    }
    if (v >= -2147483648n && v <= 2147483647n) {
      const b = Buffer.alloc(5);
      b[0] = 0xf3;
      b.writeInt32LE(n, 1);
      return b;
    }
    const b = Buffer.alloc(9);
    b[0] = 0xf4;
    b.writeBigInt64LE(v, 1);
    return b;
  }
  const len = s.length;
  let head: Buffer;
  if (len < 64) head = Buffer.of(0x80 | len);
  else if (len < 4096) head = Buffer.of(0xe0 | (len >> 8), len & 0xff);
  else {
    head = Buffer.alloc(5);
    head[0] = 0xf0;
    head.writeUInt32LE(len, 1);
  }
  return Buffer.concat([head, Buffer.from(s, 'latin1')]);
}

/** Bytes lpAppend would add for `s` (entry + back-length). */
export function entrySize(s: string): number {
  const e = encodeEntry(s).length;
  return e + backlenSize(e);
}

/** A listpack holding `items` in order. */
export function encodeListpack(items: readonly string[]): Buffer {
  const entries = items.map(encodeEntry);
  let total = HEADER + 1;
  for (const e of entries) total += e.length + backlenSize(e.length);
  const out = Buffer.alloc(total);
  out.writeUInt32LE(total, 0);
  out.writeUInt16LE(Math.min(items.length, 65535), 4);
  let at = HEADER;
  for (const e of entries) {
    at += e.copy(out, at);
    at += writeBacklen(out, at, e.length);
  }
  out[at] = EOF_BYTE;
  return out;
}

/**
 * The elements of a listpack, validating it all (lpValidateIntegrity with
 * deep checks): header size, each entry inside the blob with a matching
 * back-length, the count, the terminator.
 */
export function decodeListpack(lp: Buffer): string[] {
  if (lp.length < HEADER + 1) fail('listpack too short');
  if (lp.readUInt32LE(0) !== lp.length) fail('listpack size mismatch');
  const count = lp.readUInt16LE(4);
  const out: string[] = [];
  let p = HEADER;
  const end = lp.length - 1;
  while (p < end) {
    const start = p;
    const b = lp[p];
    let s: string;
    const need = (n: number): void => {
      if (p + n > end) fail('listpack entry past the end');
    };
    if (b < 0x80) {
      s = String(b);
      p += 1;
    } else if (b < 0xc0) {
      const len = b & 0x3f;
      need(1 + len);
      s = lp.toString('latin1', p + 1, p + 1 + len);
      p += 1 + len;
    } else if (b < 0xe0) {
      need(2);
      let u = ((b & 0x1f) << 8) | lp[p + 1];
      if (u >= 1 << 12) u -= 1 << 13;
      s = String(u);
      p += 2;
    } else if (b < 0xf0) {
      need(2);
      const len = ((b & 0x0f) << 8) | lp[p + 1];
      need(2 + len);
      s = lp.toString('latin1', p + 2, p + 2 + len);
      p += 2 + len;
    } else if (b === 0xf0) {
      need(5);
      const len = lp.readUInt32LE(p + 1);
      need(5 + len);
      s = lp.toString('latin1', p + 5, p + 5 + len);
      p += 5 + len;
    } else if (b === 0xf1) {
      need(3);
      s = String(lp.readInt16LE(p + 1));
      p += 3;
    } else if (b === 0xf2) {
      need(4);
      s = String(lp.readIntLE(p + 1, 3));
      p += 4;
    } else if (b === 0xf3) {
      need(5);
      s = String(lp.readInt32LE(p + 1));
      p += 5;
    } else if (b === 0xf4) {
      need(9);
      s = lp.readBigInt64LE(p + 1).toString();
      p += 9;
    } else {
      fail('bad listpack encoding');
    }
    const entryLen = p - start;
    const bl = backlenSize(entryLen);
    need(bl);
    const expect = Buffer.alloc(bl);
    writeBacklen(expect, 0, entryLen);
    if (!expect.equals(lp.subarray(p, p + bl))) fail('bad listpack back-length');
    p += bl;
    out.push(s);
  }
  if (p !== end || lp[end] !== EOF_BYTE) fail('listpack not terminated');
  if (count !== 65535 && count !== out.length) fail('listpack count mismatch');
  return out;
}
