/**
 * Test-only writers for the encodings Redis no longer produces (ziplist,
 * zipmap, quicklist v1, the RDB 1-4 object types): payloads as Redis 2.x-6.x
 * DUMPed them, so the decoder can be checked against redis-server 7.0
 * loading the very same bytes.
 */
import { RdbWriter, RDB_TYPE, strictInt } from '../../server/rdb/format';

/** A ziplist of these entries (integers in the smallest ziplist integer encoding). */
export function ziplist(items: string[]): Buffer {
  const entries: Buffer[] = [];
  let prevLen = 0;
  let tail = 10;
  let off = 10;
  for (const s of items) {
    const prev = prevLen < 254 ? Buffer.of(prevLen) : Buffer.concat([Buffer.of(254), u32le(prevLen)]);
    const enc = zlEncoding(s);
    const e = Buffer.concat([prev, enc]);
    tail = off;
    off += e.length;
    prevLen = e.length;
    entries.push(e);
  }
  const body = Buffer.concat(entries);
  const total = 10 + body.length + 1;
  const head = Buffer.alloc(10);
  head.writeUInt32LE(total, 0);
  head.writeUInt32LE(items.length === 0 ? 10 : tail, 4);
  head.writeUInt16LE(Math.min(items.length, 65535), 8);
  return Buffer.concat([head, body, Buffer.of(0xff)]);
}

function u32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n, 0);
  return b;
}

function zlEncoding(s: string): Buffer {
  const v = s.length <= 20 ? strictInt(s) : null;
  if (v !== null) {
    const n = Number(v);
    if (v >= 0n && v <= 12n) return Buffer.of(0xf1 + n);
    if (v >= -128n && v <= 127n) return Buffer.of(0xfe, n & 0xff);
    if (v >= -32768n && v <= 32767n) {
      const b = Buffer.alloc(3);
      b[0] = 0xc0;
      b.writeInt16LE(n, 1);
      return b;
    }
    if (v >= -8388608n && v <= 8388607n) {
      const b = Buffer.alloc(4);
      b[0] = 0xf0;
      b.writeIntLE(n, 1, 3);
      return b;
    }
    if (v >= -2147483648n && v <= 2147483647n) {
      const b = Buffer.alloc(5);
      b[0] = 0xd0;
      b.writeInt32LE(n, 1);
      return b;
    }
    const b = Buffer.alloc(9);
    b[0] = 0xe0;
    b.writeBigInt64LE(v, 1);
    return b;
  }
  const data = Buffer.from(s, 'latin1');
  const len = data.length;
  let head: Buffer;
  if (len < 64) head = Buffer.of(len);
  else if (len < 16384) head = Buffer.of(0x40 | (len >> 8), len & 0xff);
  else {
    head = Buffer.alloc(5);
    head[0] = 0x80;
    head.writeUInt32BE(len, 1);
  }
  return Buffer.concat([head, data]);
}

/** A zipmap of field/value pairs (each value with `free` spare bytes, as zipmap left them). */
export function zipmap(pairs: string[], free = 0): Buffer {
  const parts: Buffer[] = [Buffer.of(Math.min(pairs.length / 2, 254))];
  const len = (n: number): Buffer => (n < 254 ? Buffer.of(n) : Buffer.concat([Buffer.of(254), u32le(n)]));
  for (let i = 0; i < pairs.length; i += 2) {
    const f = Buffer.from(pairs[i], 'latin1');
    const v = Buffer.from(pairs[i + 1], 'latin1');
    parts.push(len(f.length), f, len(v.length), Buffer.of(free), v, Buffer.alloc(free));
  }
  parts.push(Buffer.of(0xff));
  return Buffer.concat(parts);
}

/** A payload: type byte, then `body` writes, then the footer with `version`. */
export function payload(type: number, body: (w: RdbWriter) => void, version = 9): Buffer {
  const w = new RdbWriter();
  w.byte(type);
  body(w);
  return w.finish(version);
}

export const legacy = {
  listZiplist: (items: string[]) => payload(RDB_TYPE.LIST_ZIPLIST, (w) => w.string(ziplist(items))),
  quicklistV1: (nodes: string[][]) =>
    payload(RDB_TYPE.LIST_QUICKLIST, (w) => {
      w.len(nodes.length);
      for (const n of nodes) w.string(ziplist(n));
    }),
  list: (items: string[]) =>
    payload(RDB_TYPE.LIST, (w) => {
      w.len(items.length);
      for (const s of items) w.string(Buffer.from(s, 'latin1'));
    }),
  set: (members: string[]) =>
    payload(RDB_TYPE.SET, (w) => {
      w.len(members.length);
      for (const s of members) w.string(Buffer.from(s, 'latin1'));
    }),
  hash: (pairs: string[]) =>
    payload(RDB_TYPE.HASH, (w) => {
      w.len(pairs.length / 2);
      for (const s of pairs) w.string(Buffer.from(s, 'latin1'));
    }),
  hashZiplist: (pairs: string[]) => payload(RDB_TYPE.HASH_ZIPLIST, (w) => w.string(ziplist(pairs))),
  hashZipmap: (pairs: string[], free = 0) => payload(RDB_TYPE.HASH_ZIPMAP, (w) => w.string(zipmap(pairs, free))),
  zsetZiplist: (pairs: string[]) => payload(RDB_TYPE.ZSET_ZIPLIST, (w) => w.string(ziplist(pairs))),
  /** RDB_TYPE_ZSET: scores as text ("nan"/"inf"/"-inf" as the 253/254/255 markers). */
  zsetText: (pairs: Array<[string, string]>) =>
    payload(RDB_TYPE.ZSET, (w) => {
      w.len(pairs.length);
      for (const [m, s] of pairs) {
        w.string(Buffer.from(m, 'latin1'));
        if (s === 'inf') w.byte(254);
        else if (s === '-inf') w.byte(255);
        else {
          w.byte(s.length);
          w.bytes(Buffer.from(s, 'latin1'));
        }
      }
    }),
  /** A string stored LZF-compressed no matter its size, raw otherwise. */
  rawString: (s: Buffer) =>
    payload(RDB_TYPE.STRING, (w) => {
      w.len(s.length);
      w.bytes(s);
    }),
};
