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

/**
 * The element as an int64 if lpAppend would store it as an integer (a
 * canonical decimal, Redis's string2ll), else null. Numbers up to 15
 * digits are parsed without a BigInt.
 */
function intValue(s: string): number | bigint | null {
  const n = s.length;
  if (n === 0 || n > 20) return null;
  const c0 = s.charCodeAt(0);
  if (c0 !== 0x2d && (c0 < 0x30 || c0 > 0x39)) return null;
  if (n > 15) return strictInt(s);
  if (s === '0') return 0;
  const neg = c0 === 0x2d;
  let i = neg ? 1 : 0;
  if (i === n) return null;
  const first = s.charCodeAt(i);
  if (first < 0x31 || first > 0x39) return null;
  let v = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return null;
    v = v * 10 + c;
  }
  return neg ? -v : v;
}

/** Bytes of the integer encodings (encoding byte included): 7-bit, 13-bit, 16, 24, 32, 64-bit. */
function intBytes(v: number | bigint): number {
  if (v >= 0 && v <= 127) return 1;
  if (v >= -4096 && v <= 4095) return 2;
  if (v >= -32768 && v <= 32767) return 3;
  if (v >= -8388608 && v <= 8388607) return 4;
  if (v >= -2147483648 && v <= 2147483647) return 5;
  return 9;
}

/** Bytes of the entry's encoding + data (back-length not included). */
function entryBytes(s: string, iv: number | bigint | null): number {
  if (iv !== null) return intBytes(iv);
  const len = s.length;
  return (len < 64 ? 1 : len < 4096 ? 2 : 5) + len;
}

/** Writes the entry's encoding + data at `at`; returns the bytes written. */
function writeEntry(out: Buffer, at: number, s: string, iv: number | bigint | null): number {
  if (iv !== null) {
    const size = intBytes(iv);
    const n = Number(iv);
    switch (size) {
      case 1:
        out[at] = n;
        break;
      case 2: {
        const u = n < 0 ? (1 << 13) + n : n;
        out[at] = (u >> 8) | 0xc0;
        out[at + 1] = u & 0xff;
        break;
      }
      case 3:
        out[at] = 0xf1;
        out.writeInt16LE(n, at + 1);
        break;
      case 4:
        out[at] = 0xf2;
        out.writeIntLE(n, at + 1, 3);
        break;
      case 5:
        out[at] = 0xf3;
        out.writeInt32LE(n, at + 1);
        break;
      default:
        out[at] = 0xf4;
        out.writeBigInt64LE(BigInt(iv), at + 1);
    }
    return size;
  }
  const len = s.length;
  let h: number;
  if (len < 64) {
    out[at] = 0x80 | len;
    h = 1;
  } else if (len < 4096) {
    out[at] = 0xe0 | (len >> 8);
    out[at + 1] = len & 0xff;
    h = 2;
  } else {
    out[at] = 0xf0;
    out.writeUInt32LE(len, at + 1);
    h = 5;
  }
  out.write(s, at + h, len, 'latin1');
  return h + len;
}

/** Bytes lpAppend would add for `s` (entry + back-length). */
export function entrySize(s: string): number {
  const e = entryBytes(s, intValue(s));
  return e + backlenSize(e);
}

/** A listpack holding `items` in order. */
export function encodeListpack(items: readonly string[]): Buffer {
  const ints = items.map(intValue);
  let total = HEADER + 1;
  for (let i = 0; i < items.length; i++) {
    const e = entryBytes(items[i], ints[i]);
    total += e + backlenSize(e);
  }
  const out = Buffer.alloc(total);
  out.writeUInt32LE(total, 0);
  out.writeUInt16LE(Math.min(items.length, 65535), 4);
  let at = HEADER;
  for (let i = 0; i < items.length; i++) {
    const e = writeEntry(out, at, items[i], ints[i]);
    at += e;
    at += writeBacklen(out, at, e);
  }
  out[at] = EOF_BYTE;
  return out;
}

function need(room: number, n: number): void {
  if (n > room) fail('listpack entry past the end');
}

/** True if the back-length at `at` is the one lpEncodeBacklen writes for `l`. */
function backlenMatches(lp: Buffer, at: number, l: number, n: number): boolean {
  let v = l;
  for (let i = n - 1; i >= 0; i--) {
    if (lp[at + i] !== ((v & 127) | (i > 0 ? 128 : 0))) return false;
    v = Math.floor(v / 128);
  }
  return true;
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
    const room = end - p;
    if (b < 0x80) {
      s = String(b);
      p += 1;
    } else if (b < 0xc0) {
      const len = b & 0x3f;
      need(room, 1 + len);
      s = lp.toString('latin1', p + 1, p + 1 + len);
      p += 1 + len;
    } else if (b < 0xe0) {
      need(room, 2);
      let u = ((b & 0x1f) << 8) | lp[p + 1];
      if (u >= 1 << 12) u -= 1 << 13;
      s = String(u);
      p += 2;
    } else if (b < 0xf0) {
      need(room, 2);
      const len = ((b & 0x0f) << 8) | lp[p + 1];
      need(room, 2 + len);
      s = lp.toString('latin1', p + 2, p + 2 + len);
      p += 2 + len;
    } else if (b === 0xf0) {
      need(room, 5);
      const len = lp.readUInt32LE(p + 1);
      need(room, 5 + len);
      s = lp.toString('latin1', p + 5, p + 5 + len);
      p += 5 + len;
    } else if (b === 0xf1) {
      need(room, 3);
      s = String(lp.readInt16LE(p + 1));
      p += 3;
    } else if (b === 0xf2) {
      need(room, 4);
      s = String(lp.readIntLE(p + 1, 3));
      p += 4;
    } else if (b === 0xf3) {
      need(room, 5);
      s = String(lp.readInt32LE(p + 1));
      p += 5;
    } else if (b === 0xf4) {
      need(room, 9);
      s = lp.readBigInt64LE(p + 1).toString();
      p += 9;
    } else {
      fail('bad listpack encoding');
    }
    const entryLen = p - start;
    const bl = backlenSize(entryLen);
    if (p + bl > end || !backlenMatches(lp, p, entryLen, bl)) fail('bad listpack back-length');
    p += bl;
    out.push(s);
  }
  if (p !== end || lp[end] !== EOF_BYTE) fail('listpack not terminated');
  if (count !== 65535 && count !== out.length) fail('listpack count mismatch');
  return out;
}
