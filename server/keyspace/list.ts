/**
 * The list type (Redis's quicklist, t_list.c's data side): a sequence of
 * chunks of at most CHUNK_MAX_ITEMS elements / about CHUNK_MAX_BYTES bytes.
 *
 * Persistence: one element record per chunk. Each chunk carries a persistent
 * order key (a double): a new head chunk takes `first - GAP`, a new tail
 * chunk `last + GAP`, a chunk split off takes the midpoint between its
 * neighbours. The record's sub-key is that order key as 8 bytes that sort
 * like the number, so the store returns chunks in list order. When no key
 * fits between two neighbours (after ~50 splits at one spot) every chunk is
 * renumbered and rewritten: rare, and O(n) like the operation that caused it.
 * A mutation marks only the chunks it touched, so an RPUSH onto a
 * million-element list rewrites one record.
 *
 * Chunk boundaries are a function of the applied log (and are restored from
 * the records exactly), though nothing a client sees depends on them.
 */
import { Collection, registerCollection, type RecordSink } from './object';

/** Most elements in one chunk (Redis's quicklist node holds up to ~128 small entries at the default -2). */
export const CHUNK_MAX_ITEMS = 128;
/** A chunk holding this many element bytes takes no more elements (Redis: 8 KB per node at -2). A single larger element gets a chunk of its own. */
export const CHUNK_MAX_BYTES = 8192;
/** Neighbours merge when their sum is within these (below the maxima, so that one insert/remove at a boundary does not split and merge over and over). */
const MERGE_MAX_ITEMS = (CHUNK_MAX_ITEMS * 3) / 4;
const MERGE_MAX_BYTES = (CHUNK_MAX_BYTES * 3) / 4;
/** Distance between order keys of consecutive chunks created at an end or by renumbering. */
const GAP = 65536;

/** Accounting (Collection.bytes): per element (string header, array slot), per chunk, per list. */
const ELEMENT_OVERHEAD = 24;
const CHUNK_OVERHEAD = 80;
const LIST_OVERHEAD = 64;

export type ListEnd = 'left' | 'right';

interface Chunk {
  /** Persistent order key (see the file comment). */
  key: number;
  items: string[];
  /** Sum of the element lengths. */
  size: number;
}

/** An order key as 8 bytes whose unsigned byte order is the numeric order (IEEE 754 with the sign flipped). */
export function orderKeyBytes(key: number): string {
  const b = Buffer.allocUnsafe(8);
  b.writeDoubleBE(key === 0 ? 0 : key, 0); // no -0: it would sort apart from 0
  if (b[0] & 0x80) for (let i = 0; i < 8; i++) b[i] = ~b[i] & 0xff;
  else b[0] |= 0x80;
  return b.toString('latin1');
}

export function orderKeyOf(subkey: string): number {
  const b = Buffer.from(subkey, 'latin1');
  if (b.length !== 8) throw new RangeError('list chunk sub-key must be 8 bytes');
  if (b[0] & 0x80) b[0] &= 0x7f;
  else for (let i = 0; i < 8; i++) b[i] = ~b[i] & 0xff;
  return b.readDoubleBE(0);
}

/** A chunk's record value: each element as [u32 BE length][bytes]. */
function encodeChunk(c: Chunk): Buffer {
  const out = Buffer.allocUnsafe(4 * c.items.length + c.size);
  let off = 0;
  for (const s of c.items) {
    out.writeUInt32BE(s.length, off);
    off += 4;
    off += out.write(s, off, 'latin1');
  }
  return out;
}

function decodeChunk(value: Buffer): string[] {
  const items: string[] = [];
  let off = 0;
  while (off < value.length) {
    if (off + 4 > value.length) throw new RangeError('list chunk record truncated');
    const len = value.readUInt32BE(off);
    off += 4;
    if (off + len > value.length) throw new RangeError('list chunk record truncated');
    items.push(value.toString('latin1', off, off + len));
    off += len;
  }
  return items;
}

function sizeOf(items: readonly string[]): number {
  let n = 0;
  for (const s of items) n += s.length;
  return n;
}

export class ListValue extends Collection {
  readonly type = 'list' as const;
  private chunks: Chunk[] = [];
  private len = 0;
  /** Live chunks to write at the next drain. */
  private dirty = new Set<Chunk>();
  /** Order keys of chunks removed (or renumbered away) since the last drain. */
  private deleted = new Set<number>();
  /** Restore saw a key out of order: sort in finishRestore. */
  private unsorted = false;

  constructor() {
    super();
    this.bytes = LIST_OVERHEAD;
  }

  /** A list holding `items` in order (every chunk pending). */
  static from(items: Iterable<string>): ListValue {
    const l = new ListValue();
    for (const s of items) l.pushRight(s);
    return l;
  }

  get length(): number {
    return this.len;
  }

  *elements(): IterableIterator<string> {
    for (const c of this.chunks) yield* c.items;
  }

  /** Elements from the tail to the head. */
  *reversed(): IterableIterator<string> {
    for (let ci = this.chunks.length - 1; ci >= 0; ci--) {
      const items = this.chunks[ci].items;
      for (let i = items.length - 1; i >= 0; i--) yield items[i];
    }
  }

  encoding(): string {
    return 'quicklist'; // Redis 7.0 keeps every list in a quicklist
  }

  /** Number of chunks (tests and introspection). */
  get chunkCount(): number {
    return this.chunks.length;
  }

  // ------------------------------------------------------------ end operations

  push(end: ListEnd, s: string): void {
    if (end === 'left') this.pushLeft(s);
    else this.pushRight(s);
  }

  pushLeft(s: string): void {
    let c = this.chunks[0];
    if (c === undefined || !this.fits(c, s)) {
      c = this.newChunk(c === undefined ? 0 : c.key - GAP);
      this.chunks.unshift(c);
    }
    c.items.unshift(s);
    this.added(c, s);
  }

  pushRight(s: string): void {
    let c = this.chunks[this.chunks.length - 1];
    if (c === undefined || !this.fits(c, s)) {
      c = this.newChunk(c === undefined ? 0 : c.key + GAP);
      this.chunks.push(c);
    }
    c.items.push(s);
    this.added(c, s);
  }

  /** Removes and returns up to `count` elements from one end, in pop order. */
  pop(end: ListEnd, count: number): string[] {
    const out: string[] = [];
    while (out.length < count && this.len > 0) {
      const ci = end === 'left' ? 0 : this.chunks.length - 1;
      const c = this.chunks[ci];
      const s = end === 'left' ? c.items.shift()! : c.items.pop()!;
      out.push(s);
      this.removed(c, s);
      if (c.items.length === 0) this.dropChunk(ci);
    }
    return out;
  }

  // ------------------------------------------------------------ index access

  /** The element at a normalized index (0 <= index < length), or undefined. */
  get(index: number): string | undefined {
    const at = this.locate(index);
    return at === null ? undefined : this.chunks[at[0]].items[at[1]];
  }

  /** Replaces the element at a normalized index; false when out of range. */
  set(index: number, s: string): boolean {
    const at = this.locate(index);
    if (at === null) return false;
    const [ci, off] = at;
    const c = this.chunks[ci];
    const old = c.items[off];
    c.items[off] = s;
    c.size += s.length - old.length;
    this.bytes += s.length - old.length;
    this.markDirty(c);
    this.splitIfOversize(ci);
    return true;
  }

  /** Elements start..end inclusive (normalized, 0 <= start <= end < length). */
  range(start: number, end: number): string[] {
    const out: string[] = [];
    const at = this.locate(start);
    if (at === null) return out;
    let [ci, off] = at;
    let n = end - start + 1;
    while (n > 0 && ci < this.chunks.length) {
      const items = this.chunks[ci].items;
      const take = Math.min(n, items.length - off);
      for (let i = off; i < off + take; i++) out.push(items[i]);
      n -= take;
      ci++;
      off = 0;
    }
    return out;
  }

  /** Inserts `s` so that it ends up at normalized `index` (0 = head, length = tail). */
  insertAt(index: number, s: string): void {
    if (index <= 0) return this.pushLeft(s);
    if (index >= this.len) return this.pushRight(s);
    const [ci, off] = this.locate(index)!;
    const c = this.chunks[ci];
    // At a chunk boundary, the previous chunk may have room at its tail.
    if (off === 0 && ci > 0 && this.fits(this.chunks[ci - 1], s)) {
      const p = this.chunks[ci - 1];
      p.items.push(s);
      this.added(p, s);
      return;
    }
    c.items.splice(off, 0, s);
    this.added(c, s);
    this.splitIfOversize(ci);
  }

  /** Index of the first element equal to `s` from the head, or -1. */
  indexOf(s: string): number {
    let base = 0;
    for (const c of this.chunks) {
      const i = c.items.indexOf(s);
      if (i >= 0) return base + i;
      base += c.items.length;
    }
    return -1;
  }

  // ------------------------------------------------------------ bulk removal

  /**
   * LREM: removes elements equal to `s`: the first `count` from the head
   * (count > 0), the last -count from the tail (count < 0), or all (0).
   * Returns how many were removed.
   */
  removeValue(s: string, count: number): number {
    const limit = count === 0 ? Infinity : Math.abs(count);
    let removed = 0;
    const touched: number[] = [];
    const fromTail = count < 0;
    for (let k = 0; k < this.chunks.length && removed < limit; k++) {
      const ci = fromTail ? this.chunks.length - 1 - k : k;
      const c = this.chunks[ci];
      if (!c.items.includes(s)) continue;
      const items = c.items;
      const kept: string[] = [];
      if (fromTail) {
        for (let i = items.length - 1; i >= 0; i--) {
          if (removed < limit && items[i] === s) removed++;
          else kept.push(items[i]);
        }
        kept.reverse();
      } else {
        for (let i = 0; i < items.length; i++) {
          if (removed < limit && items[i] === s) removed++;
          else kept.push(items[i]);
        }
      }
      const gone = items.length - kept.length;
      c.items = kept;
      c.size -= gone * s.length;
      this.len -= gone;
      this.bytes -= gone * (s.length + ELEMENT_OVERHEAD);
      this.markDirty(c);
      touched.push(ci);
    }
    if (touched.length > 0) this.compact(touched);
    return removed;
  }

  /** LTRIM: removes `left` elements from the head and `right` from the tail. */
  trim(left: number, right: number): void {
    this.removeFromEnd('left', left);
    this.removeFromEnd('right', right);
  }

  private removeFromEnd(end: ListEnd, n: number): void {
    while (n > 0 && this.len > 0) {
      const ci = end === 'left' ? 0 : this.chunks.length - 1;
      const c = this.chunks[ci];
      if (c.items.length <= n) {
        n -= c.items.length;
        this.len -= c.items.length;
        this.bytes -= c.size + ELEMENT_OVERHEAD * c.items.length;
        this.dropChunk(ci);
        continue;
      }
      const gone = end === 'left' ? c.items.splice(0, n) : c.items.splice(c.items.length - n, n);
      const size = sizeOf(gone);
      c.size -= size;
      this.len -= n;
      this.bytes -= size + ELEMENT_OVERHEAD * n;
      this.markDirty(c);
      n = 0;
    }
  }

  // ------------------------------------------------------------ persistence

  drainRecords(sink: RecordSink): void {
    if (this.deleted.size > 0) {
      // A removed key may be reused by a live chunk (renumbering): that chunk's write replaces it.
      const live = new Set<number>();
      for (const c of this.dirty) live.add(c.key);
      for (const k of this.deleted) if (!live.has(k)) sink(orderKeyBytes(k), null);
    }
    for (const c of this.dirty) sink(orderKeyBytes(c.key), encodeChunk(c));
    this.clearDirty();
  }

  clearDirty(): void {
    this.dirty.clear();
    this.deleted.clear();
  }

  forEachRecordKey(sink: (subkey: string) => void): void {
    const seen = new Set<number>();
    for (const c of this.chunks) {
      seen.add(c.key);
      sink(orderKeyBytes(c.key));
    }
    for (const k of this.deleted) if (!seen.has(k)) sink(orderKeyBytes(k));
  }

  restoreRecord(subkey: string, value: Buffer): void {
    const key = orderKeyOf(subkey);
    const items = decodeChunk(value);
    if (items.length === 0) return;
    const last = this.chunks[this.chunks.length - 1];
    if (last !== undefined && key <= last.key) this.unsorted = true;
    const c: Chunk = { key, items, size: sizeOf(items) };
    this.chunks.push(c);
    this.len += items.length;
    this.bytes += CHUNK_OVERHEAD + c.size + ELEMENT_OVERHEAD * items.length;
  }

  override finishRestore(): void {
    if (this.unsorted) this.chunks.sort((a, b) => a.key - b.key);
    this.unsorted = false;
  }

  clone(): ListValue {
    const l = new ListValue();
    for (const c of this.chunks) {
      const copy: Chunk = { key: c.key, items: c.items.slice(), size: c.size };
      l.chunks.push(copy);
      l.dirty.add(copy);
    }
    l.len = this.len;
    l.bytes = this.bytes;
    return l;
  }

  // ------------------------------------------------------------ internals

  /** Whether `s` may join chunk `c` without exceeding the limits (an empty chunk takes anything). */
  private fits(c: Chunk, s: string): boolean {
    return c.items.length === 0 || (c.items.length < CHUNK_MAX_ITEMS && c.size + s.length <= CHUNK_MAX_BYTES);
  }

  private newChunk(key: number): Chunk {
    const c: Chunk = { key, items: [], size: 0 };
    this.bytes += CHUNK_OVERHEAD;
    this.dirty.add(c);
    return c;
  }

  private added(c: Chunk, s: string): void {
    c.size += s.length;
    this.len++;
    this.bytes += s.length + ELEMENT_OVERHEAD;
    this.dirty.add(c);
  }

  private removed(c: Chunk, s: string): void {
    c.size -= s.length;
    this.len--;
    this.bytes -= s.length + ELEMENT_OVERHEAD;
    this.dirty.add(c);
  }

  private markDirty(c: Chunk): void {
    this.dirty.add(c);
  }

  /** Removes chunk `ci` from the sequence (its elements are already accounted for). */
  private dropChunk(ci: number): void {
    const c = this.chunks[ci];
    if (ci === 0) this.chunks.shift();
    else if (ci === this.chunks.length - 1) this.chunks.pop();
    else this.chunks.splice(ci, 1);
    this.dirty.delete(c);
    this.deleted.add(c.key);
    this.bytes -= CHUNK_OVERHEAD;
  }

  /** [chunk index, offset] of a normalized element index, scanning from the nearer end; null when out of range. */
  private locate(index: number): [number, number] | null {
    if (!(index >= 0 && index < this.len)) return null;
    if (index < this.len / 2) {
      let i = index;
      for (let ci = 0; ci < this.chunks.length; ci++) {
        const n = this.chunks[ci].items.length;
        if (i < n) return [ci, i];
        i -= n;
      }
    } else {
      let i = this.len - 1 - index; // distance from the tail
      for (let ci = this.chunks.length - 1; ci >= 0; ci--) {
        const n = this.chunks[ci].items.length;
        if (i < n) return [ci, n - 1 - i];
        i -= n;
      }
    }
    return null;
  }

  /** An order key strictly between chunk `ci` and the next one (renumbering everything if none fits). */
  private keyAfter(ci: number): number {
    const a = this.chunks[ci].key;
    const next = this.chunks[ci + 1];
    if (next === undefined) return a + GAP;
    const mid = a + (next.key - a) / 2;
    if (mid > a && mid < next.key) return mid;
    this.renumber();
    return this.chunks[ci].key + GAP / 2;
  }

  /** Every chunk gets key i * GAP and is rewritten (its old record deleted). */
  private renumber(): void {
    this.chunks.forEach((c, i) => {
      this.deleted.add(c.key);
      c.key = i * GAP;
      this.dirty.add(c);
    });
  }

  /** Splits chunk `ci` while it holds more than the limits allow (never below one element per chunk). */
  private splitIfOversize(ci: number): void {
    const c = this.chunks[ci];
    if (c.items.length <= 1 || (c.items.length <= CHUNK_MAX_ITEMS && c.size <= CHUNK_MAX_BYTES)) return;
    let at = c.items.length >> 1;
    if (c.items.length <= CHUNK_MAX_ITEMS) {
      // Too many bytes: split where the first half reaches half the bytes (at least one element each side).
      let acc = 0;
      at = 0;
      while (at < c.items.length - 1 && acc + c.items[at].length <= c.size / 2) acc += c.items[at++].length;
      if (at === 0) at = 1;
    }
    const key = this.keyAfter(ci);
    const tail: Chunk = { key, items: c.items.splice(at), size: 0 };
    tail.size = sizeOf(tail.items);
    c.size -= tail.size;
    this.chunks.splice(ci + 1, 0, tail);
    this.bytes += CHUNK_OVERHEAD;
    this.dirty.add(c);
    this.dirty.add(tail);
    this.splitIfOversize(ci + 1);
    this.splitIfOversize(ci);
  }

  /** After removals from the chunks at `touched` (indexes at the time): drop empty ones and merge small neighbours. */
  private compact(touched: number[]): void {
    const set = new Set<Chunk>();
    for (const ci of touched) set.add(this.chunks[ci]);
    for (let ci = this.chunks.length - 1; ci >= 0; ci--) {
      const c = this.chunks[ci];
      if (!set.has(c)) continue;
      if (c.items.length === 0) {
        this.dropChunk(ci);
        continue;
      }
      const next = this.chunks[ci + 1];
      if (next !== undefined && c.items.length + next.items.length <= MERGE_MAX_ITEMS && c.size + next.size <= MERGE_MAX_BYTES) {
        for (const s of next.items) c.items.push(s);
        c.size += next.size;
        this.dirty.add(c);
        this.dropChunk(ci + 1);
      }
      const prev = this.chunks[ci - 1];
      if (prev !== undefined && !set.has(prev) && prev.items.length + c.items.length <= MERGE_MAX_ITEMS && prev.size + c.size <= MERGE_MAX_BYTES) {
        for (const s of c.items) prev.items.push(s);
        prev.size += c.size;
        this.dirty.add(prev);
        this.dropChunk(ci);
      }
    }
  }
}

registerCollection('list', () => new ListValue());
