/**
 * One block of stream entries (Redis's listpack node in the stream's rax):
 * up to BLOCK_MAX_ENTRIES entries in one Buffer, ids delta-encoded against
 * the block's base id (its first entry's), field names stored once in the
 * block header and omitted by every entry that repeats them.
 *
 * Layout of `data`:
 *   header  [field count varint] then each master field [len varint][bytes]
 *   entry   [flags u8: 1 deleted, 2 same fields][ms - base.ms varint]
 *           [seq varint: seq - base.seq when ms = base.ms, else seq]
 *           [if not same fields: count varint, then field/value pairs | else values]
 *           each string as [len varint][bytes]
 * Varints are LEB128 over the whole u64 range (stream ids are u64).
 *
 * When a block is full is decided as Redis decides when a node is full
 * (stream-node-max-entries 100, stream-node-max-bytes 4096 over its listpack
 * size, mirrored in `lpBytes`), so that approximate trimming (`~`), which
 * drops whole blocks only, removes exactly what redis-server removes.
 */
import { grown, opened, sealedCopy } from './block-arena';
import type { StreamId } from './stream-id';

export const BLOCK_MAX_ENTRIES = 100;
export const BLOCK_MAX_LP_BYTES = 4096;

export const FLAG_DELETED = 1;
export const FLAG_SAMEFIELDS = 2;

// ------------------------------------------------------------ varints

function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function writeVarint(buf: Buffer, off: number, v: number): number {
  while (v >= 0x80) {
    buf[off++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[off++] = v;
  return off;
}

/** A u64 delta as a number when exact (the common case), else a bigint. */
type Delta = number | bigint;

function bigVarintSize(v: Delta): number {
  if (typeof v === 'number') return varintSize(v);
  let n = 1;
  while (v >= 0x80n) {
    v >>= 7n;
    n++;
  }
  return n;
}

function writeBigVarint(buf: Buffer, off: number, v: Delta): number {
  if (typeof v === 'number') return writeVarint(buf, off, v);
  while (v >= 0x80n) {
    buf[off++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  buf[off++] = Number(v);
  return off;
}

/** Decoder state: a cursor over one block's bytes. */
class Cursor {
  constructor(readonly buf: Buffer, public off: number) {}

  varint(): number {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = this.buf[this.off++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
  }

  /** A varint that may exceed 2^53 (id deltas). */
  delta(): Delta {
    const start = this.off;
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      const b = this.buf[this.off++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
    this.off = start;
    let big = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.buf[this.off++];
      big |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return big;
      shift += 7n;
    }
  }

  bytes(): Buffer {
    const len = this.varint();
    const s = this.buf.subarray(this.off, this.off + len);
    this.off += len;
    return s;
  }

  skipBytes(): void {
    const len = this.varint();
    this.off += len;
  }
}

function asDelta(v: bigint): Delta {
  return v <= 0x1fffffffffffffn ? Number(v) : v;
}

// ------------------------------------------------------------ Redis listpack size mirror

/** Redis lpStringToInt64: a canonical int64 literal. */
function lpInt(b: Buffer): bigint | null {
  const n = b.length;
  if (n === 0 || n >= 21) return null;
  if (n === 1 && b[0] === 0x30) return 0n;
  let i = b[0] === 0x2d ? 1 : 0;
  if (i === n || b[i] < 0x31 || b[i] > 0x39) return null;
  for (i++; i < n; i++) if (b[i] < 0x30 || b[i] > 0x39) return null;
  const v = BigInt(b.toString('latin1'));
  return v > 0x7fffffffffffffffn || v < -0x8000000000000000n ? null : v;
}

function backlen(l: number): number {
  return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}

function lpIntBytes(v: bigint | number): number {
  const x = typeof v === 'bigint' ? v : BigInt(v);
  const l = x >= 0n && x <= 127n ? 1 : x >= -4096n && x <= 4095n ? 2 : x >= -32768n && x <= 32767n ? 3 : x >= -8388608n && x <= 8388607n ? 4 : x >= -2147483648n && x <= 2147483647n ? 5 : 9;
  return l + backlen(l);
}

function lpStringBytes(b: Buffer): number {
  const i = lpInt(b);
  if (i !== null) return lpIntBytes(i);
  const l = b.length < 64 ? 1 + b.length : b.length < 4096 ? 2 + b.length : 5 + b.length;
  return l + backlen(l);
}

/** int64 view of a u64 difference, as Redis stores ms-diff / seq-diff. */
function asInt64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

// ------------------------------------------------------------ the block

/** One entry as read from a block: pairs alternate field, value (views of the block's bytes). */
export interface StreamEntry {
  id: StreamId;
  pairs: Buffer[];
}

const INITIAL_CAPACITY = 256;

export class StreamBlock {
  /** Entries, deleted ones included (Redis's count + deleted). */
  count = 0;
  /** Entries not deleted. */
  live = 0;
  /** Id of the last entry written (deleted or not). */
  last: StreamId;
  /** Size redis-server's listpack for this node would have (see the file comment). */
  lpBytes = 0;
  private used: number;
  /** The bytes sit in a slab (block-arena.ts), exactly `used` long; an append moves them out again. */
  private sealed = false;
  private readonly fieldsEnd: number;
  /** Master field names as [start, end) offsets into `data`. */
  private readonly fieldOffs: number[];

  private constructor(
    readonly base: StreamId,
    private data: Buffer,
    used: number,
  ) {
    this.last = base;
    this.used = used;
    const c = new Cursor(data, 0);
    const n = c.varint();
    this.fieldOffs = [];
    for (let i = 0; i < n; i++) {
      const len = c.varint();
      this.fieldOffs.push(c.off, c.off + len);
      c.off += len;
    }
    this.fieldsEnd = c.off;
  }

  /** A new block whose master fields are those of its first entry (appended next). */
  static create(base: StreamId, pairs: Buffer[]): StreamBlock {
    const nf = pairs.length / 2;
    let size = varintSize(nf);
    for (let i = 0; i < pairs.length; i += 2) size += varintSize(pairs[i].length) + pairs[i].length;
    const data = opened(Math.max(INITIAL_CAPACITY, size * 2));
    let off = writeVarint(data, 0, nf);
    let lp = 7 + lpIntBytes(1) + lpIntBytes(0) + lpIntBytes(nf) + lpIntBytes(0);
    for (let i = 0; i < pairs.length; i += 2) {
      off = writeVarint(data, off, pairs[i].length);
      off += pairs[i].copy(data, off);
      lp += lpStringBytes(pairs[i]);
    }
    const b = new StreamBlock(base, data, off);
    b.lpBytes = lp;
    return b;
  }

  /** A block rebuilt from its record (see `encode`). */
  static decode(base: StreamId, record: Buffer): StreamBlock {
    if (record.length < 8) throw new RangeError('stream block record truncated');
    const lpBytes = record.readUInt32BE(0);
    const data = sealedCopy(record.subarray(4), record.length - 4);
    const b = new StreamBlock(base, data, data.length);
    b.sealed = true;
    b.lpBytes = lpBytes;
    b.forEach((id, deleted) => {
      b.count++;
      if (!deleted) b.live++;
      b.last = id;
    });
    return b;
  }

  /** The record value: [lpBytes u32][data]. */
  encode(): Buffer {
    const out = Buffer.allocUnsafe(this.encodedLength);
    this.encodeInto(out, 0);
    return out;
  }

  /** Bytes of the record value. */
  get encodedLength(): number {
    return 4 + this.used;
  }

  /** Writes the record value at `off` of `out`; returns its length. */
  encodeInto(out: Buffer, off: number): number {
    out.writeUInt32BE(this.lpBytes, off);
    this.data.copy(out, off + 4, 0, this.used);
    return 4 + this.used;
  }

  /** Bytes held in memory (for the keyspace's accounting). */
  get memoryBytes(): number {
    return this.data.length;
  }

  /** Whether Redis would append an entry with these field/value bytes to this node (else it opens a new one). */
  accepts(pairs: Buffer[]): boolean {
    if (this.count >= BLOCK_MAX_ENTRIES) return false;
    let total = 0;
    for (const p of pairs) total += p.length;
    return this.lpBytes + total < BLOCK_MAX_LP_BYTES;
  }

  private sameFields(pairs: Buffer[]): boolean {
    const fo = this.fieldOffs;
    if (pairs.length !== fo.length) return false;
    const d = this.data;
    for (let i = 0; i < fo.length; i += 2) {
      const f = pairs[i];
      const at = fo[i];
      const n = f.length;
      if (n !== fo[i + 1] - at) return false;
      // Field names are short: a loop beats a native compare's call overhead (a tenth of XADD's apply).
      if (n > 32) {
        if (d.compare(f, 0, n, at, at + n) !== 0) return false;
      } else {
        for (let k = 0; k < n; k++) if (f[k] !== d[at + k]) return false;
      }
    }
    return true;
  }

  /**
   * Appends an entry (its id greater than `last`); `deleted` writes it as a
   * deleted entry (RESTORE of a node that holds some).
   */
  append(id: StreamId, pairs: Buffer[], deleted = false): void {
    const same = this.sameFields(pairs);
    const msDelta = asDelta(id.ms - this.base.ms);
    const seqField = asDelta(id.ms === this.base.ms ? id.seq - this.base.seq : id.seq);
    let size = 1 + bigVarintSize(msDelta) + bigVarintSize(seqField);
    const nf = pairs.length / 2;
    if (!same) size += varintSize(nf);
    for (let i = same ? 1 : 0; i < pairs.length; i += same ? 2 : 1) size += varintSize(pairs[i].length) + pairs[i].length;
    this.reserve(size);
    const d = this.data;
    let off = this.used;
    d[off++] = (same ? FLAG_SAMEFIELDS : 0) | (deleted ? FLAG_DELETED : 0);
    off = writeBigVarint(d, off, msDelta);
    off = writeBigVarint(d, off, seqField);
    if (!same) off = writeVarint(d, off, nf);
    for (let i = same ? 1 : 0; i < pairs.length; i += same ? 2 : 1) {
      off = writeVarint(d, off, pairs[i].length);
      off += pairs[i].copy(d, off);
    }
    this.used = off;
    // Redis's listpack: flags, ms-diff, seq-diff, [num-fields, fields], values, lp-count.
    let lp = lpIntBytes(same ? FLAG_SAMEFIELDS : 0) + lpIntBytes(asInt64(id.ms - this.base.ms)) + lpIntBytes(asInt64(id.seq - this.base.seq));
    if (!same) lp += lpIntBytes(nf);
    for (let i = same ? 1 : 0; i < pairs.length; i += same ? 2 : 1) lp += lpStringBytes(pairs[i]);
    lp += lpIntBytes(same ? nf + 3 : 2 * nf + 4);
    this.lpBytes += lp;
    this.count++;
    if (!deleted) this.live++;
    this.last = id;
  }

  /** The master field names (Redis's master entry), views of this block's bytes. */
  masterFields(): Buffer[] {
    const out: Buffer[] = [];
    for (let i = 0; i < this.fieldOffs.length; i += 2) out.push(this.data.subarray(this.fieldOffs[i], this.fieldOffs[i + 1]));
    return out;
  }

  /** Drops spare capacity (a full block takes no more entries). */
  seal(): void {
    if (this.sealed) return;
    this.data = sealedCopy(this.data, this.used);
    this.sealed = true;
  }

  private reserve(extra: number): void {
    if (this.used + extra <= this.data.length) return;
    const d = grown(this.data.length, this.used + extra);
    this.data.copy(d, 0, 0, this.used);
    this.sealed = false;
    this.data = d;
  }

  /**
   * Calls `fn` for each entry in id order with its id, deleted flag and
   * offset; stops when it returns false.
   */
  forEach(fn: (id: StreamId, deleted: boolean, off: number) => boolean | void): void {
    const c = new Cursor(this.data, this.fieldsEnd);
    const nm = this.fieldOffs.length / 2;
    const baseMs = this.base.ms;
    const baseSeq = this.base.seq;
    while (c.off < this.used) {
      const off = c.off;
      const flags = this.data[c.off++];
      const msDelta = c.delta();
      const seqField = c.delta();
      const ms = msDelta === 0 ? baseMs : baseMs + BigInt(msDelta);
      const seq = msDelta === 0 ? baseSeq + BigInt(seqField) : BigInt(seqField);
      const strings = flags & FLAG_SAMEFIELDS ? nm : c.varint() * 2;
      for (let i = 0; i < strings; i++) c.skipBytes();
      if (fn({ ms, seq }, (flags & FLAG_DELETED) !== 0, off) === false) return;
    }
  }

  /** The field/value pairs of the entry at `off` (views of this block's bytes). */
  pairsAt(off: number): Buffer[] {
    const c = new Cursor(this.data, off);
    const flags = this.data[c.off++];
    c.delta();
    c.delta();
    const out: Buffer[] = [];
    if (flags & FLAG_SAMEFIELDS) {
      const fo = this.fieldOffs;
      for (let i = 0; i < fo.length; i += 2) out.push(this.data.subarray(fo[i], fo[i + 1]), c.bytes());
    } else {
      const n = c.varint();
      for (let i = 0; i < 2 * n; i++) out.push(c.bytes());
    }
    return out;
  }

  /** Marks the entry at `off` deleted (its bytes stay until the block goes, as in Redis). */
  markDeleted(off: number): void {
    this.data[off] |= FLAG_DELETED;
    this.live--;
  }

  /** A walker over this block's entries (see BlockWalker); `from` is an entry offset, default the first. */
  walk(w: BlockWalker, from = this.fieldsEnd): void {
    w.reset(this.data, from, this.used, this.base, this.fieldOffs);
  }

  /** A deep copy. */
  clone(): StreamBlock {
    const b = new StreamBlock(this.base, sealedCopy(this.data, this.used), this.used);
    b.sealed = true;
    b.count = this.count;
    b.live = this.live;
    b.last = this.last;
    b.lpBytes = this.lpBytes;
    return b;
  }
}

// ------------------------------------------------------------ allocation-free walk

const SAFE_MAX = Number.MAX_SAFE_INTEGER;

/**
 * A forward walk over one block's entries that allocates nothing per entry
 * (the read commands' hot path, stream-reply.ts). After next() returns true
 * it describes the current entry: its offset, deleted flag, id and where its
 * strings are. Ids are numbers while exact (both parts below 2^53, which
 * millisecond timestamps are); otherwise `exact` is false and id() gives
 * the bigints. Reuse one walker: reset by StreamBlock.walk.
 */
export class BlockWalker {
  /** The block's bytes (strings are read as [start, end) offsets into it). */
  data: Buffer = Buffer.alloc(0);
  /** Offset of the current entry (for StreamBlock.walk's `from`). */
  entryOff = 0;
  deleted = false;
  exact = true;
  /** The id's parts when `exact`. */
  ms = 0;
  seq = 0;
  /** Field/value pairs of the current entry. */
  pairs = 0;
  /** After nextString(): the string's bytes are data[strStart, strEnd). */
  strStart = 0;
  strEnd = 0;
  /** Read position (next entry, or inside the current one while reading it). */
  private pos = 0;
  private end = 0;
  private baseMs = 0n;
  private baseSeq = 0n;
  /** Base id parts as numbers, NaN when not exact. */
  private baseMsNum = 0;
  private baseSeqNum = 0;
  /** The current entry's id fields as stored: numbers, or bigints (then the number is -1) past 7 varint bytes. */
  private msDelta = 0;
  private seqField = 0;
  private msDeltaBig: bigint | null = null;
  private seqFieldBig: bigint | null = null;
  /** A varint longer than 7 bytes, read by varint(). */
  private big = 0n;
  private fieldOffs: readonly number[] = [];
  private same = false;
  /** The next string to read: its index among the entry's strings, and the offset of the entry's next own string. */
  private strIndex = 0;
  private valOff = 0;

  reset(data: Buffer, from: number, end: number, base: StreamId, fieldOffs: readonly number[]): void {
    this.data = data;
    this.pos = from;
    this.end = end;
    this.baseMs = base.ms;
    this.baseSeq = base.seq;
    this.baseMsNum = base.ms <= 0x1fffffffffffffn ? Number(base.ms) : NaN;
    this.baseSeqNum = base.seq <= 0x1fffffffffffffn ? Number(base.seq) : NaN;
    this.fieldOffs = fieldOffs;
  }

  /**
   * The varint at `pos`: up to 7 bytes (49 bits, exact as a number) returned
   * as a number without allocating; a longer one (only id deltas are) is put
   * in `big` and -1 returned.
   */
  private varint(): number {
    const d = this.data;
    let off = this.pos;
    let b = d[off++];
    if (b < 0x80) {
      this.pos = off;
      return b;
    }
    let v = b & 0x7f;
    let mul = 128;
    for (let i = 1; i < 7; i++) {
      b = d[off++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) {
        this.pos = off;
        return v;
      }
      mul *= 128;
    }
    const c = new Cursor(d, this.pos);
    this.big = BigInt(c.delta());
    this.pos = c.off;
    return -1;
  }

  /** Moves to the next entry; false past the last. */
  next(): boolean {
    if (this.pos >= this.end) return false;
    const d = this.data;
    this.entryOff = this.pos;
    const flags = d[this.pos++];
    this.deleted = (flags & FLAG_DELETED) !== 0;
    this.same = (flags & FLAG_SAMEFIELDS) !== 0;
    const msDelta = this.varint();
    this.msDeltaBig = msDelta < 0 ? this.big : null;
    const seqField = this.varint();
    this.seqFieldBig = seqField < 0 ? this.big : null;
    this.msDelta = msDelta;
    this.seqField = seqField;
    if (msDelta >= 0 && seqField >= 0) {
      const ms = this.baseMsNum + msDelta;
      const seq = msDelta === 0 ? this.baseSeqNum + seqField : seqField;
      this.exact = ms <= SAFE_MAX && seq <= SAFE_MAX; // false for NaN
      this.ms = ms;
      this.seq = seq;
    } else {
      this.exact = false;
    }
    let strings: number;
    if (this.same) {
      strings = this.fieldOffs.length / 2; // values only
      this.pairs = strings;
    } else {
      this.pairs = this.varint();
      strings = 2 * this.pairs;
    }
    this.valOff = this.pos;
    this.strIndex = 0;
    // Skip the entry's own strings to find the next entry.
    for (let i = 0; i < strings; i++) {
      const len = this.varint();
      this.pos += len;
    }
    return true;
  }

  /** The current entry's id as bigints (any entry, exact or not). */
  id(): StreamId {
    const msDelta = this.msDeltaBig ?? BigInt(this.msDelta);
    const seqField = this.seqFieldBig ?? BigInt(this.seqField);
    const ms = msDelta === 0n ? this.baseMs : this.baseMs + msDelta;
    const seq = msDelta === 0n ? this.baseSeq + seqField : seqField;
    return { ms, seq };
  }

  /** The current entry's strings in order (field, value, field, value, ...): sets strStart / strEnd. */
  nextString(): void {
    const i = this.strIndex++;
    if (this.same && (i & 1) === 0) {
      this.strStart = this.fieldOffs[i];
      this.strEnd = this.fieldOffs[i + 1];
      return;
    }
    const pos = this.pos;
    this.pos = this.valOff;
    const len = this.varint();
    this.strStart = this.pos;
    this.strEnd = this.pos + len;
    this.valOff = this.strEnd;
    this.pos = pos;
  }
}
