import type { Entry } from '../server/raft/types';

/**
 * In-memory helpers of the LMDB log store: the entries submitted but not yet
 * committed (lmdb-js only shows a write to readers once its transaction
 * commits, but the Raft core must read back what it appended at once), and
 * the run-length table of terms that answers term(i) without touching disk.
 */

/**
 * Entries not yet committed, contiguous by index; each remembers the write
 * that carries it. It also keeps the most recent committed entries (up to
 * RECENT_CACHE) so that applying and replicating what was just appended is
 * served from memory instead of being read back and decoded from LMDB.
 */
export class PendingTail {
  static readonly RECENT_CACHE = 16384;
  private entries: Entry[] = [];
  private seqs: number[] = [];
  /** Array position of the oldest cached (committed or pending) entry. */
  private base = 0;
  /** Array position of the oldest pending (not yet committed) entry. */
  private head = 0;

  get size(): number {
    return this.entries.length - this.head;
  }

  /** Index of the oldest pending entry, or undefined when nothing is pending. */
  get firstIndex(): number | undefined {
    return this.size > 0 ? this.entries[this.head].index : undefined;
  }

  /** Index of the oldest entry held in memory (pending or recently committed). */
  get cachedFirstIndex(): number | undefined {
    return this.entries.length > this.base ? this.entries[this.base].index : undefined;
  }

  get(index: number): Entry | undefined {
    const first = this.cachedFirstIndex;
    if (first === undefined || index < first) return undefined;
    return this.entries[this.base + index - first];
  }

  /** Drop entries with index >= from (a leader overwrote them). */
  truncateFrom(from: number): void {
    const first = this.cachedFirstIndex;
    if (first === undefined) return;
    if (from <= first) {
      this.clear();
      return;
    }
    const keep = this.base + (from - first);
    if (keep < this.entries.length) {
      this.entries.length = keep;
      this.seqs.length = keep;
      if (this.head > keep) this.head = keep;
    }
  }

  /** Forget entries with index < below (compacted; their puts are deleted by the compaction). */
  dropBelow(below: number): void {
    while (this.base < this.entries.length && this.entries[this.base].index < below) this.base++;
    if (this.head < this.base) this.head = this.base;
    this.shrink();
  }

  push(entries: readonly Entry[], seq: number): void {
    for (const entry of entries) {
      this.entries.push(entry);
      this.seqs.push(seq);
    }
  }

  /** The write numbered seq (and all before it) committed: those entries are now readable from LMDB. */
  release(seq: number): void {
    while (this.size > 0 && this.seqs[this.head] <= seq) this.head++;
    if (this.head - this.base > PendingTail.RECENT_CACHE) this.base = this.head - PendingTail.RECENT_CACHE;
    this.shrink();
  }

  clear(): void {
    this.entries = [];
    this.seqs = [];
    this.base = 0;
    this.head = 0;
  }

  private shrink(): void {
    if (this.entries.length === this.base) {
      this.clear();
    } else if (this.base > 1024 && this.base * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.base);
      this.seqs = this.seqs.slice(this.base);
      this.head -= this.base;
      this.base = 0;
    }
  }
}

interface TermRun {
  /** First index of a run of entries sharing one term. */
  start: number;
  term: number;
}

/**
 * Terms of log entries as runs (terms never decrease along a Raft log), so
 * memory is one record per term change and term(i) is a binary search.
 */
export class TermRuns {
  private runs: TermRun[] = [];

  clear(): void {
    this.runs = [];
  }

  /** Term of index i, assuming i lies within the log the runs describe. */
  termAt(index: number): number | undefined {
    const runs = this.runs;
    let lo = 0;
    let hi = runs.length - 1;
    if (hi < 0 || index < runs[0].start) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (runs[mid].start <= index) lo = mid;
      else hi = mid - 1;
    }
    return runs[lo].term;
  }

  /** Record that index (one past the previous last) has term. */
  append(index: number, term: number): void {
    const last = this.runs[this.runs.length - 1];
    if (last === undefined || last.term !== term) this.runs.push({ start: index, term });
  }

  /** Forget indexes >= from. */
  truncateFrom(from: number): void {
    while (this.runs.length > 0 && this.runs[this.runs.length - 1].start >= from) this.runs.pop();
  }

  /** Forget indexes < below. */
  dropBelow(below: number): void {
    let drop = 0;
    while (drop + 1 < this.runs.length && this.runs[drop + 1].start <= below) drop++;
    if (drop > 0) this.runs.splice(0, drop);
    if (this.runs.length > 0 && this.runs[0].start < below) this.runs[0].start = below;
  }

  /**
   * Build the runs for [lo, hi] from a point lookup, by bisection: O(runs * log n)
   * reads instead of a scan of the whole log at open.
   */
  build(lo: number, hi: number, termAt: (index: number) => number): void {
    this.runs = [];
    if (hi < lo) return;
    const visit = (a: number, ta: number, b: number, tb: number): void => {
      // invariant: runs cover up to a-1; a has term ta, b has term tb, a <= b
      if (ta === tb) {
        this.append(a, ta);
        return;
      }
      if (b === a + 1) {
        this.append(a, ta);
        this.append(b, tb);
        return;
      }
      const mid = Math.floor((a + b) / 2);
      const tm = termAt(mid);
      visit(a, ta, mid, tm);
      this.append(mid, tm);
      visit(mid, tm, b, tb);
    };
    const tlo = termAt(lo);
    visit(lo, tlo, hi, lo === hi ? tlo : termAt(hi));
  }
}
