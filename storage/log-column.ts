/**
 * One per-entry column of the segment log's in-memory index (terms, offsets,
 * cached entries...), indexed from 0 = the oldest live entry.
 *
 * Held in fixed chunks of CHUNK slots, not one array: the log drops its front
 * at every compaction, grows at its back with every append and is cut back on
 * a truncation. With one backing array, growing it allocates and copies all of
 * it (a fresh large object; touching new memory costs about 10 us a page on the
 * machines we run on), and reclaiming a dropped front means moving the live
 * entries down: with six columns of tens to hundreds of thousands of entries,
 * one append's push took 15-31 ms, the longest event-loop stalls of a
 * pipelined stream fill. With chunks a push writes one slot (now and then a
 * new 32 KiB chunk), a dropped front or a truncated back lets whole chunks go,
 * and nothing is ever moved. One emptied chunk is kept for the next growth.
 */
const SHIFT = 12;
const CHUNK = 1 << SHIFT;
const MASK = CHUNK - 1;

export class LogColumn<T> {
  private chunks: T[][] = [];
  /** Where entry 0 sits in chunks[0]. */
  private head = 0;
  private count = 0;
  private spare: T[] | undefined;

  /** `empty` fills slots that hold no entry (so dropped objects are not kept alive). */
  constructor(private readonly empty: T) {}

  get length(): number {
    return this.count;
  }

  /** Entry k (0 <= k < length). */
  get(k: number): T {
    const i = this.head + k;
    return this.chunks[i >>> SHIFT][i & MASK];
  }

  set(k: number, v: T): void {
    const i = this.head + k;
    this.chunks[i >>> SHIFT][i & MASK] = v;
  }

  push(v: T): void {
    const i = this.head + this.count;
    const c = i >>> SHIFT;
    if (c === this.chunks.length) this.chunks.push(this.newChunk());
    this.chunks[c][i & MASK] = v;
    this.count++;
  }

  /** Keeps entries [0, k). */
  truncate(k: number): void {
    if (k >= this.count) return;
    if (k <= 0) {
      this.clear();
      return;
    }
    const end = this.head + k;
    const oldEnd = this.head + this.count;
    const c = end >>> SHIFT;
    const from = end & MASK;
    if (from > 0) {
      // The chunk holding the new last entry keeps [0, from); the rest of its entries go.
      this.chunks[c].fill(this.empty, from, Math.min(CHUNK, oldEnd - c * CHUNK));
      this.release(c + 1);
    } else {
      this.release(c);
    }
    this.count = k;
  }

  /** Drops entries [0, n). */
  dropFront(n: number): void {
    if (n <= 0) return;
    if (n >= this.count) {
      this.clear();
      return;
    }
    const end = this.head + n;
    const whole = end >>> SHIFT;
    // The chunk that will hold entry 0 lets go of the dropped entries before it.
    this.chunks[whole].fill(this.empty, whole === 0 ? this.head : 0, end & MASK);
    if (whole > 0) {
      this.keepSpare(this.chunks[0]);
      this.chunks.splice(0, whole);
    }
    this.head = end & MASK;
    this.count -= n;
  }

  clear(): void {
    this.release(0);
    this.head = 0;
    this.count = 0;
  }

  *values(): IterableIterator<T> {
    for (let k = 0; k < this.count; k++) yield this.get(k);
  }

  /** Lets chunks [from, end) go (one is kept as the spare). */
  private release(from: number): void {
    if (from >= this.chunks.length) return;
    this.keepSpare(this.chunks[from]);
    this.chunks.length = from;
  }

  private keepSpare(chunk: T[]): void {
    if (this.spare !== undefined) return;
    chunk.fill(this.empty);
    this.spare = chunk;
  }

  private newChunk(): T[] {
    const s = this.spare;
    if (s !== undefined) {
      this.spare = undefined;
      return s;
    }
    return new Array<T>(CHUNK).fill(this.empty);
  }
}
