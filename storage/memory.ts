import type { ConfState, Entry, HardState, SnapshotMeta } from '../server/raft/types';
import type { LogStore, StableStore } from './types';

/**
 * LogStore + StableStore in memory, for the core's tests, the simulator and
 * benchmarks. Every write takes effect synchronously, before append()/
 * compact()/setHardState() return (the promise is already resolved), so a
 * simulated crash loses exactly the writes the driver had not started.
 *
 * Invalid writes (a gap, non-contiguous entries) reject and change nothing.
 *
 * Layout: `log[i]` holds index snapshot.index + 1 + i; appending at the end
 * is an amortised O(1) push per entry.
 */

const ENTRY_OVERHEAD_BYTES = 24; // index, term, type: what sizeBytes() charges per entry

const RESOLVED: Promise<void> = Promise.resolve();

function emptyConf(): ConfState {
  return { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
}

export class MemoryStorage implements LogStore, StableStore {
  private snap: SnapshotMeta;
  private log: Entry[] = [];
  private hs: HardState = { term: 0, vote: 0, commit: 0 };

  /** @param conf the bootstrap membership (the snapshot at index 0). */
  constructor(conf: Partial<ConfState> = {}) {
    this.snap = { index: 0, term: 0, conf: { ...emptyConf(), ...conf } };
  }

  firstIndex(): number {
    return this.snap.index + 1;
  }

  lastIndex(): number {
    return this.snap.index + this.log.length;
  }

  term(index: number): number | undefined {
    if (index === this.snap.index) return this.snap.term;
    const k = index - this.snap.index - 1;
    if (k < 0 || k >= this.log.length) return undefined;
    return this.log[k]!.term;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    const first = this.firstIndex();
    const last = this.lastIndex();
    if (lo < first) throw new RangeError(`entries: ${lo} is compacted (first index ${first})`);
    if (hi > last + 1 || lo > hi) throw new RangeError(`entries: [${lo}, ${hi}) out of range (last index ${last})`);
    const from = lo - first;
    let to = hi - first;
    if (maxBytes !== Infinity && to - from > 1) {
      let size = this.log[from]!.data.byteLength;
      let k = from + 1;
      while (k < to) {
        size += this.log[k]!.data.byteLength;
        if (size > maxBytes) break;
        k++;
      }
      to = k;
    }
    return this.log.slice(from, to);
  }

  snapshotMeta(): SnapshotMeta {
    return this.snap;
  }

  append(entries: Entry[]): Promise<void> {
    if (entries.length === 0) return RESOLVED;
    let start = 0;
    // Skip what compaction already covers.
    while (start < entries.length && entries[start]!.index <= this.snap.index) start++;
    if (start === entries.length) return RESOLVED;
    const from = entries[start]!.index;
    const last = this.lastIndex();
    if (from > last + 1) return Promise.reject(new RangeError(`append: gap, entry ${from} after last index ${last}`));
    // The core hands out contiguous runs; checking the ends catches a malformed batch.
    if (entries[entries.length - 1]!.index - from !== entries.length - 1 - start) {
      return Promise.reject(new RangeError(`append: entries [${from}..] are not contiguous`));
    }
    // A leader overwrote our suffix: drop it.
    if (from <= last) this.log.length = from - this.snap.index - 1;
    const log = this.log;
    for (let i = start; i < entries.length; i++) log.push(entries[i]!);
    return RESOLVED;
  }

  compact(upTo: number, meta: SnapshotMeta): Promise<void> {
    if (meta.index !== upTo) return Promise.reject(new RangeError(`compact: meta.index ${meta.index} !== upTo ${upTo}`));
    if (upTo <= this.snap.index) return RESOLVED;
    if (upTo <= this.lastIndex() && this.term(upTo) === meta.term) {
      // Compaction: keep what follows the snapshot.
      this.log = this.log.slice(upTo - this.snap.index);
    } else {
      // Snapshot install: the log does not contain the snapshot's last entry.
      this.log = [];
    }
    this.snap = { index: meta.index, term: meta.term, conf: structuredCloneConf(meta.conf) };
    return RESOLVED;
  }

  /** Computed on demand (INFO is rare; appends stay a plain push). */
  sizeBytes(): number {
    let n = 0;
    for (let k = 0; k < this.log.length; k++) n += this.log[k]!.data.byteLength + ENTRY_OVERHEAD_BYTES;
    return n;
  }

  hardState(): HardState {
    return { ...this.hs };
  }

  setHardState(hs: HardState): Promise<void> {
    this.hs = { term: hs.term, vote: hs.vote, commit: hs.commit };
    return RESOLVED;
  }
}

function structuredCloneConf(c: ConfState): ConfState {
  return {
    voters: [...c.voters],
    learners: [...c.learners],
    votersOutgoing: [...c.votersOutgoing],
    learnersNext: [...c.learnersNext],
    autoLeave: c.autoLeave,
  };
}
