/**
 * XRANGE / XREVRANGE / XREAD's entries encoded as RESP straight from the
 * stream's blocks, for a client's read (ExecContext.directReply): no entry
 * objects, no bigint ids, no Buffer view per field; each reply is a view of
 * a shared slab, written once. The bytes are those the encoder writes for
 * stream.ts's entriesReply: an array of [id, [field, value, ...]], the same
 * in RESP2 and RESP3. Which entries are chosen mirrors StreamValue.range
 * exactly (deleted entries skipped before any comparison).
 */
import { RawReply } from '../../protocol/reply';
import type { StreamValue } from '../keyspace/stream';
import { BlockWalker } from '../keyspace/stream-block';
import { compareIds, type StreamId } from '../keyspace/stream-id';

const CR = 13;
const LF = 10;
/** Room left before the entries for the array header (`*` + up to 20 digits + CRLF). */
const HEADER_ROOM = 24;
/**
 * Replies are written into slabs of this size and handed out as views of
 * them (no copy); a reply that outgrows its slab moves to a bigger one.
 */
const SLAB_SIZE = 256 * 1024;
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

/** Decimal digits of a non-negative safe integer. */
function digitCount(n: number): number {
  if (n < 10) return 1;
  if (n < 100) return 2;
  let d = 2;
  for (let t = n; t >= 100; t = Math.floor(t / 10)) d++;
  return d;
}

/** Writes the digits of a non-negative integer below 2^31 at `off`; returns the offset after them. */
function writeUint32(buf: Buffer, off: number, n: number): number {
  const after = off + digitCount(n);
  let end = after;
  let v = n | 0;
  while (v >= 10) {
    const q = (v / 10) | 0;
    buf[--end] = 48 + v - q * 10;
    v = q;
  }
  buf[--end] = 48 + v;
  return after;
}

/** Writes exactly 8 digits (zero-padded) of a non-negative integer below 10^8 at `off`. */
function writePadded8(buf: Buffer, off: number, n: number): number {
  let v = n | 0;
  for (let i = off + 7; i >= off; i--) {
    const q = (v / 10) | 0;
    buf[i] = 48 + v - q * 10;
    v = q;
  }
  return off + 8;
}

/**
 * Writes the digits of a non-negative safe integer at `off`; returns the
 * offset after them. Above 2^31 (millisecond times) as the part above the
 * low 8 digits and those 8 digits, each in 32-bit arithmetic. Callees get
 * int32 arguments only: a double argument to a call that is not inlined
 * is boxed, an allocation per id.
 */
function writeUint(buf: Buffer, off: number, n: number): number {
  if (n < 2147483648) return writeUint32(buf, off, n | 0);
  const hi = Math.floor(n / 1e8);
  return writePadded8(buf, writeUint32(buf, off, hi | 0), (n - hi * 1e8) | 0);
}

class RespOut {
  buf = Buffer.allocUnsafeSlow(SLAB_SIZE);
  /** Where the reply being written starts in `buf` (its header room). */
  start = 0;
  len = 0;
  /** The last id ms formatted, and its digits (consecutive entries often share it). */
  private ms = -1;
  private readonly msDigits = Buffer.alloc(20);
  private msLen = 0;

  /** Starts a reply. */
  begin(): void {
    this.start = this.len;
    this.ensure(HEADER_ROOM);
    this.len += HEADER_ROOM;
  }

  /** Drops a reply left unfinished (an exception). */
  abandon(): void {
    this.len = this.start;
  }

  ensure(extra: number): void {
    const need = this.len + extra;
    if (need <= this.buf.length) return;
    // The reply so far moves to the start of a new slab.
    const used = this.len - this.start;
    const slab = Buffer.allocUnsafeSlow(Math.max(SLAB_SIZE, 2 * (used + extra)));
    this.buf.copy(slab, 0, this.start, this.len);
    this.buf = slab;
    this.start = 0;
    this.len = used;
  }

  /** `<prefix><n>\r\n` (caller ensured room). */
  header(prefix: number, n: number): void {
    const buf = this.buf;
    buf[this.len] = prefix;
    const o = writeUint(buf, this.len + 1, n);
    buf[o] = CR;
    buf[o + 1] = LF;
    this.len = o + 2;
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
      if (w.ms !== this.ms) {
        this.ms = w.ms;
        this.msLen = writeUint(this.msDigits, 0, w.ms);
      }
      const seq = w.seq;
      const small = seq < 2147483648; // the common case: int32 arithmetic only
      this.header(36 /* $ */, this.msLen + 1 + (small ? digitCount(seq | 0) : digitCount(seq)));
      const d = this.msDigits;
      let o = this.len;
      for (let i = 0; i < this.msLen; i++) buf[o++] = d[i];
      buf[o++] = 45; /* - */
      this.len = small ? writeUint32(buf, o, seq | 0) : writeUint(buf, o, seq);
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
    const buf = this.buf;
    if (n < SHORT) {
      // `$<n>\r\n` and the bytes, without calls (most fields and values are short).
      let o = this.len;
      buf[o++] = 36; /* $ */
      if (n >= 10) {
        const t = (n / 10) | 0;
        buf[o++] = 48 + t;
        buf[o++] = 48 + n - t * 10;
      } else {
        buf[o++] = 48 + n;
      }
      buf[o++] = CR;
      buf[o++] = LF;
      for (let i = start; i < end; i++) buf[o++] = data[i];
      this.len = o;
    } else {
      this.header(36, n);
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

  /** The array of `entries` entries written since begin(), as a view of the slab (never written again). */
  finish(entries: number): Buffer {
    const at = this.start + HEADER_ROOM - digitCount(entries) - 3;
    const end = this.len;
    const buf = this.buf;
    this.len = at;
    this.header(42, entries);
    this.len = end;
    // A slab grown for a big reply stays with that reply only.
    if (buf.length > SLAB_SIZE) {
      this.buf = Buffer.allocUnsafeSlow(SLAB_SIZE);
      this.len = 0;
    }
    return buf.subarray(at, end);
  }
}

const out = new RespOut();

/**
 * The live entries of `s` with start <= id <= end (reverse: from end down),
 * at most `count` (0 = all), as the RESP bytes of their array.
 */
export function rangeReply(s: StreamValue, start: StreamId, end: StreamId, count: number, reverse: boolean): RawReply {
  let n = 0;
  out.begin();
  try {
    n = reverse ? writeReverse(s, start, end, count) : writeForward(s, start, end, count);
  } catch (err) {
    out.abandon();
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
