/**
 * One per-entry column of the segment log's in-memory index (terms, offsets,
 * cached entries...), indexed from 0 = the oldest live entry.
 *
 * Why not a plain array: the log drops its front at every compaction and
 * its back on a truncation, and a plain array shrunk with `length -= n`
 * gives its backing store back, so the pushes that follow grow (allocate and
 * copy) it again. The index has tens of thousands of entries, so each growth
 * is a fresh large object; touching new memory costs about 10 us a page on
 * the machines we run on, and the six columns grew together: one append took
 * 15-20 ms, the longest event-loop stall of a pipelined stream fill. Here the
 * backing array only ever grows; a dropped front is reclaimed by moving the
 * live entries down in place when the end is reached.
 */
export class LogColumn<T> {
  private items: T[] = [];
  /** Where entry 0 sits in `items`. */
  private head = 0;
  private count = 0;

  /** `empty` fills slots that hold no entry (so dropped objects are not kept alive). */
  constructor(private readonly empty: T) {}

  get length(): number {
    return this.count;
  }

  /** Entry k (0 <= k < length). */
  get(k: number): T {
    return this.items[this.head + k];
  }

  set(k: number, v: T): void {
    this.items[this.head + k] = v;
  }

  push(v: T): void {
    let at = this.head + this.count;
    if (at === this.items.length && this.head > 0 && this.head >= this.count) {
      // At least half the array is dropped front: move the live entries down instead of growing.
      this.items.copyWithin(0, this.head, at);
      this.items.fill(this.empty, this.count, at);
      this.head = 0;
      at = this.count;
    }
    this.items[at] = v;
    this.count++;
  }

  /** Keeps entries [0, k). */
  truncate(k: number): void {
    if (k >= this.count) return;
    this.items.fill(this.empty, this.head + k, this.head + this.count);
    this.count = k;
    if (k === 0) this.head = 0;
  }

  /** Drops entries [0, n). */
  dropFront(n: number): void {
    if (n <= 0) return;
    if (n >= this.count) {
      this.clear();
      return;
    }
    this.items.fill(this.empty, this.head, this.head + n);
    this.head += n;
    this.count -= n;
  }

  clear(): void {
    this.items.fill(this.empty, this.head, this.head + this.count);
    this.head = 0;
    this.count = 0;
  }

  *values(): IterableIterator<T> {
    for (let k = 0; k < this.count; k++) yield this.items[this.head + k];
  }
}
