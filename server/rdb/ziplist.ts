/**
 * The encodings older Redis versions DUMP and 7.0 still loads: ziplists
 * (ziplist.c: hashes, sorted sets and lists up to 6.2, quicklist v1 nodes)
 * and zipmaps (zipmap.c: hashes before 2.6). Decode only, every offset
 * checked: a malformed blob throws RdbFormatError.
 */
import { fail } from './format';

const ZL_HEADER = 10;
const ZL_END = 0xff;

/** The entries of a ziplist, as latin1 strings. */
export function decodeZiplist(zl: Buffer): string[] {
  if (zl.length < ZL_HEADER + 1) fail('ziplist too short');
  if (zl.readUInt32LE(0) !== zl.length) fail('ziplist size mismatch');
  const tail = zl.readUInt32LE(4);
  const count = zl.readUInt16LE(8);
  const end = zl.length - 1;
  if (zl[end] !== ZL_END) fail('ziplist not terminated');
  const out: string[] = [];
  let p = ZL_HEADER;
  let prevLen = 0;
  let lastStart = ZL_HEADER;
  while (p < end) {
    const start = p;
    const need = (n: number): void => {
      if (p + n > end) fail('ziplist entry past the end');
    };
    // prevlen: one byte below 254, else 0xFE + u32 LE.
    need(1);
    let prev: number;
    if (zl[p] < 254) {
      prev = zl[p];
      p += 1;
    } else if (zl[p] === 254) {
      need(5);
      prev = zl.readUInt32LE(p + 1);
      p += 5;
    } else fail('bad ziplist prevlen');
    if (prev !== prevLen) fail('ziplist prevlen mismatch');
    need(1);
    const b = zl[p];
    let s: string;
    switch (b >> 6) {
      case 0: {
        const len = b & 0x3f;
        need(1 + len);
        s = zl.toString('latin1', p + 1, p + 1 + len);
        p += 1 + len;
        break;
      }
      case 1: {
        need(2);
        const len = ((b & 0x3f) << 8) | zl[p + 1];
        need(2 + len);
        s = zl.toString('latin1', p + 2, p + 2 + len);
        p += 2 + len;
        break;
      }
      case 2: {
        if (b !== 0x80) fail('bad ziplist string encoding');
        need(5);
        const len = zl.readUInt32BE(p + 1);
        need(5 + len);
        s = zl.toString('latin1', p + 5, p + 5 + len);
        p += 5 + len;
        break;
      }
      default: {
        let width: number;
        if (b === 0xc0) width = 2;
        else if (b === 0xd0) width = 4;
        else if (b === 0xe0) width = 8;
        else if (b === 0xf0) width = 3;
        else if (b === 0xfe) width = 1;
        else if (b >= 0xf1 && b <= 0xfd) width = 0;
        else fail('bad ziplist integer encoding');
        need(1 + width);
        if (width === 0) s = String((b & 0x0f) - 1);
        else if (width === 8) s = zl.readBigInt64LE(p + 1).toString();
        else s = String(zl.readIntLE(p + 1, width));
        p += 1 + width;
      }
    }
    lastStart = start;
    prevLen = p - start;
    out.push(s);
  }
  if (p !== end) fail('ziplist overrun');
  if (tail !== (out.length === 0 ? ZL_HEADER : lastStart)) fail('ziplist tail mismatch');
  if (count !== 65535 && count !== out.length) fail('ziplist count mismatch');
  return out;
}

/** A zipmap's field/value pairs, flattened [f1, v1, f2, v2, ...]. */
export function decodeZipmap(zm: Buffer): string[] {
  if (zm.length < 2) fail('zipmap too short');
  const out: string[] = [];
  let p = 1; // after zmlen
  const end = zm.length;
  const readLen = (): number => {
    if (p >= end) fail('zipmap truncated');
    const b = zm[p];
    if (b < 254) {
      p += 1;
      return b;
    }
    if (b === 254) {
      if (p + 5 > end) fail('zipmap truncated');
      const n = zm.readUInt32LE(p + 1);
      p += 5;
      return n;
    }
    fail('zipmap end inside an entry');
  };
  for (;;) {
    if (p >= end) fail('zipmap not terminated');
    if (zm[p] === 0xff) break;
    const klen = readLen();
    if (p + klen > end) fail('zipmap truncated');
    const field = zm.toString('latin1', p, p + klen);
    p += klen;
    const vlen = readLen();
    if (p >= end) fail('zipmap truncated');
    const free = zm[p++];
    if (p + vlen + free > end) fail('zipmap truncated');
    out.push(field, zm.toString('latin1', p, p + vlen));
    p += vlen + free;
  }
  if (p !== end - 1) fail('zipmap trailing bytes');
  // zmlen counts the pairs; 254 means "too many to count" (zipmapValidateIntegrity).
  if (zm[0] !== 254 && zm[0] !== out.length / 2) fail('zipmap count mismatch');
  return out;
}
