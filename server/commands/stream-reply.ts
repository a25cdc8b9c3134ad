/**
 * XRANGE / XREVRANGE / XREAD's entries encoded as RESP straight from the
 * stream's blocks, for a client's read (ExecContext.directReply): no entry
 * objects, no bigint ids, no Buffer views, one Buffer per reply. The bytes
 * are those the encoder would write for stream.ts's entriesReply: an array
 * of [id, [field, value, ...]], the same in RESP2 and RESP3. Which entries
 * are chosen mirrors StreamValue.range exactly (deleted entries skipped
 * before any comparison).
 */
import { RawReply } from '../../protocol/reply';
import type { StreamValue } from '../keyspace/stream';
import { BlockWalker } from '../keyspace/stream-block';
import { compareIds, type StreamId } from '../keyspace/stream-id';

const CR = 13;
const LF = 10;
/** Room left before the entries for the array header (`*` + up to 20 digits + CRLF). */
const HEADER_ROOM = 24;
/** A reply up to this size is copied out of the scratch buffer; a larger one takes it. */
const COPY_LIMIT = 64 * 1024;
const SCRATCH_SIZE = 16 * 1024;
/** Strings shorter than this are copied byte by byte (cheaper than the native call). */
const SHORT = 32;

const walker = new BlockWalker();
/** XREVRANGE: offsets of one block's entries in range, walked backwards. */
const offsets: number[] = [];

/** A bound of the range, with number forms for comparing exact ids without bigints. */
interface Bound {
  id: StreamId;
  ms: number;
  seq: number;
}

function bound(id: StreamId): Bound {
  // Number() of a part beyond 2^53 is >= 2^53, above every exact part: comparisons stay exact.
  return { id, ms: Number(id.ms), seq: Number(id.seq) };
}

/** The walker's current entry against a bound, as compareIds. */
function compareTo(w: BlockWalker, b: Bound): number {
  if (!w.exact) return compareIds(w.id(), b.id);
  if (w.ms !== b.ms) return w.ms < b.ms ? -1 : 1;
  if (w.seq !== b.seq) return w.seq < b.seq ? -1 : 1;
  return 0;
}

class RespOut {
  buf = Buffer.allocUnsafeSlow(SCRATCH_SIZE);
  len = HEADER_ROOM;

  ensure(extra: number): void {
    const need = this.len + extra;
    if (need <= this.buf.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(need, this.buf.length * 2));
    this.buf.copy(grown, 0, 0, this.len);
    this.buf = grown;
  }

  /** `<prefix><n>\r\n` (caller ensured room). */
  header(prefix: number, n: number): void {
    this.buf[this.len++] = prefix;
    this.uint(n);
    this.buf[this.len++] = CR;
    this.buf[this.len++] = LF;
  }

  /** A non-negative safe integer's digits (caller ensured room). */
  uint(n: number): void {
    const buf = this.buf;
    let digits = 1;
    for (let t = n; t >= 10; t = Math.floor(t / 10)) digits++;
    let p = this.len + digits;
    this.len = p;
    while (n >= 10) {
      const q = Math.floor(n / 10);
      buf[--p] = 48 + (n - q * 10);
      n = q;
    }
    buf[--p] = 48 + n;
  }

  /** `*2\r\n$<len>\r\n<ms>-<seq>\r\n`: the entry's array header and its id. */
  entryId(w: BlockWalker): void {
    this.ensure(64);
    const buf = this.buf;
    buf[this.len++] = 42; /* * */
    buf[this.len++] = 50; /* 2 */
    buf[this.len++] = CR;
    buf[this.len++] = LF;
    if (w.exact) {
      this.header(36 /* $ */, digitCount(w.ms) + 1 + digitCount(w.seq));
      this.uint(w.ms);
      buf[this.len++] = 45; /* - */
      this.uint(w.seq);
    } else {
      const id = w.id();
      const text = `${id.ms}-${id.seq}`;
      this.header(36, text.length);
      this.len += buf.write(text, this.len, 'latin1');
    }
    buf[this.len++] = CR;
    buf[this.len++] = LF;
  }

  /** A bulk string of data[start, end). */
  bulk(data: Buffer, start: number, end: number): void {
    const n = end - start;
    this.ensure(n + 24);
    this.header(36, n);
    const buf = this.buf;
    if (n < SHORT) {
      let o = this.len;
      for (let i = start; i < end; i++) buf[o++] = data[i];
      this.len = o;
    } else {
      this.len += data.copy(buf, this.len, start, end);
    }
    buf[this.len++] = CR;
    buf[this.len++] = LF;
  }

  /** The current entry as `[id, [field, value, ...]]`. */
  entry(w: BlockWalker): void {
    this.entryId(w);
    const strings = 2 * w.pairs;
    this.ensure(24);
    this.header(42, strings);
    const data = w.data;
    for (let i = 0; i < strings; i++) {
      w.nextString();
      this.bulk(data, w.strStart, w.strEnd);
    }
  }

  /** The array of `entries` entries written so far, as one Buffer the caller owns; resets for the next reply. */
  finish(entries: number): Buffer {
    const start = HEADER_ROOM - digitCount(entries) - 3;
    const end = this.len;
    const buf = this.buf;
    this.len = start;
    this.header(42, entries);
    this.len = HEADER_ROOM;
    if (end - start > COPY_LIMIT) {
      // Hand the scratch buffer over instead of copying a big reply.
      this.buf = Buffer.allocUnsafeSlow(SCRATCH_SIZE);
      return buf.subarray(start, end);
    }
    const copy = Buffer.allocUnsafe(end - start);
    buf.copy(copy, 0, start, end);
    return copy;
  }
}

function digitCount(n: number): number {
  let d = 1;
  for (let t = n; t >= 10; t = Math.floor(t / 10)) d++;
  return d;
}

const out = new RespOut();

/**
 * The live entries of `s` with start <= id <= end (reverse: from end down),
 * at most `count` (0 = all), as the RESP bytes of their array.
 */
export function rangeReply(s: StreamValue, start: StreamId, end: StreamId, count: number, reverse: boolean): RawReply {
  let n = 0;
  try {
    n = reverse ? writeReverse(s, start, end, count) : writeForward(s, start, end, count);
  } catch (err) {
    out.len = HEADER_ROOM; // never leave a half reply for the next one
    throw err;
  }
  return new RawReply(out.finish(n));
}

function writeForward(s: StreamValue, start: StreamId, end: StreamId, count: number): number {
  const blocks = s.nodes();
  if (blocks.length === 0 || compareIds(start, end) > 0) return 0;
  const lo = bound(start);
  const hi = bound(end);
  const w = walker;
  let n = 0;
  for (let bi = s.blockFor(start); bi < blocks.length; bi++) {
    const b = blocks[bi];
    if (compareIds(b.base, end) > 0) break;
    if (b.live === 0 || compareIds(b.last, start) < 0) continue;
    b.walk(w);
    while (w.next()) {
      if (w.deleted) continue;
      if (compareTo(w, hi) > 0) return n;
      if (compareTo(w, lo) < 0) continue;
      out.entry(w);
      if (++n === count) return n;
    }
  }
  return n;
}

function writeReverse(s: StreamValue, start: StreamId, end: StreamId, count: number): number {
  const blocks = s.nodes();
  if (blocks.length === 0 || compareIds(start, end) > 0) return 0;
  const lo = bound(start);
  const hi = bound(end);
  const w = walker;
  let n = 0;
  for (let bi = s.blockFor(end); bi >= 0; bi--) {
    const b = blocks[bi];
    if (compareIds(b.last, start) < 0) break;
    if (b.live === 0 || compareIds(b.base, end) > 0) continue;
    offsets.length = 0;
    b.walk(w);
    while (w.next()) {
      if (w.deleted) continue;
      if (compareTo(w, hi) > 0) break;
      if (compareTo(w, lo) >= 0) offsets.push(w.entryOff);
    }
    for (let i = offsets.length - 1; i >= 0; i--) {
      b.walk(w, offsets[i]);
      w.next();
      out.entry(w);
      if (++n === count) return n;
    }
  }
  return n;
}
