import type { ConfState, Entry, HardState, LogReader, SnapshotMeta } from '../../server/raft/types';

/**
 * The durable state of one simulated node: hard state, log, and the state
 * machine (which in raftcache's design is persisted together with its
 * applied index, and *is* the snapshot). Writes are synchronous and take
 * effect at once; the simulator decides *when* the driver performs them, so
 * a crash loses exactly what the driver had not yet written. The core reads
 * the log through the LogReader methods, like it would read LMDB.
 */

/** The simulated state machine: a hash chain over applied entries, plus membership. */
export interface SmState {
  applied: number;
  appliedTerm: number;
  /** FNV-1a chain over (index, term, data) of every applied entry. */
  hash: number;
  conf: ConfState;
}

export function emptyConf(): ConfState {
  return { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
}

export function cloneConf(c: ConfState): ConfState {
  return {
    voters: [...c.voters],
    learners: [...c.learners],
    votersOutgoing: [...c.votersOutgoing],
    learnersNext: [...c.learnersNext],
    autoLeave: c.autoLeave,
  };
}

export function chainHash(prev: number, e: Entry): number {
  let h = (prev ^ 0x811c9dc5) >>> 0;
  const mix = (b: number): void => {
    h ^= b & 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
  };
  for (const v of [e.index, e.term, e.type]) {
    mix(v);
    mix(v >>> 8);
    mix(v >>> 16);
    mix(v >>> 24);
  }
  for (const b of e.data) mix(b);
  return h;
}

export function entryBytes(e: Entry): number {
  return e.data.length;
}

/**
 * Log semantics follow storage/types.ts LogStore: snapshotMeta() is the
 * snapshot the log starts after (index firstIndex()-1); compact(upTo, meta)
 * drops applied entries or, on a snapshot install, the whole log.
 */
export class SimDisk implements LogReader {
  hardState: HardState = { term: 0, vote: 0, commit: 0 };
  /** Log entries after the snapshot index. */
  private log: Entry[] = [];
  private snap: SnapshotMeta;
  /** State-machine state at the snapshot index (the data a leader streams). */
  private snapState: SmState;
  /** The durable state machine, written with its applied index in one transaction. */
  sm: SmState;
  /** States after each applied index above the snapshot, so the log can be compacted to any applied index. */
  private history: SmState[] = [];

  constructor(conf: ConfState) {
    this.sm = { applied: 0, appliedTerm: 0, hash: 0, conf: cloneConf(conf) };
    this.snap = { index: 0, term: 0, conf: cloneConf(conf) };
    this.snapState = this.sm;
  }

  // ---- LogReader (what the core reads) ----

  firstIndex(): number {
    return this.snap.index + 1;
  }

  lastIndex(): number {
    return this.snap.index + this.log.length;
  }

  term(index: number): number | undefined {
    if (index === this.snap.index) return this.snap.term;
    if (index < this.snap.index || index > this.lastIndex()) return undefined;
    return this.log[index - this.snap.index - 1]!.term;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo < this.firstIndex() || hi > this.lastIndex() + 1 || lo > hi) {
      throw new RangeError(`entries(${lo}, ${hi}) outside [${this.firstIndex()}, ${this.lastIndex() + 1}]`);
    }
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.log[i - this.snap.index - 1]!;
      bytes += entryBytes(e);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  snapshotMeta(): SnapshotMeta {
    return { index: this.snap.index, term: this.snap.term, conf: cloneConf(this.snap.conf) };
  }

  /** The state machine at the snapshot index: what a leader streams with a Snap message. */
  snapshotState(): SmState {
    return this.snapState;
  }

  /** Entry at index, if still in the log. */
  entry(index: number): Entry | undefined {
    if (index <= this.snap.index || index > this.lastIndex()) return undefined;
    return this.log[index - this.snap.index - 1];
  }

  // ---- Writes (what the driver does) ----

  setHardState(hs: HardState): void {
    this.hardState = { term: hs.term, vote: hs.vote, commit: hs.commit };
  }

  /** Append, discarding any existing suffix from entries[0].index; compacted entries are skipped. */
  append(entries: readonly Entry[]): void {
    let k = 0;
    while (k < entries.length && entries[k]!.index <= this.snap.index) k++;
    if (k === entries.length) return;
    const first = entries[k]!.index;
    if (first > this.lastIndex() + 1) {
      throw new Error(`append leaves a gap: first ${first}, last ${this.lastIndex()}`);
    }
    this.log.length = first - this.snap.index - 1;
    for (; k < entries.length; k++) this.log.push(entries[k]!);
  }

  /** Fault injection only: forget every entry after `index` (an fsync that never happened). */
  loseTailAfter(index: number): void {
    if (index >= this.lastIndex()) return;
    this.log.length = Math.max(0, index - this.snap.index);
  }

  /** Drop log entries up to `upTo`, which must be applied (driver-side compaction). */
  compact(upTo: number): void {
    if (upTo <= this.snap.index) return;
    if (upTo > this.sm.applied) throw new Error(`compact(${upTo}) beyond applied ${this.sm.applied}`);
    const state = this.history[upTo - this.snap.index - 1];
    const t = this.term(upTo);
    if (state === undefined || t === undefined || state.applied !== upTo) {
      throw new Error(`compact(${upTo}): no state or term recorded`);
    }
    this.history = this.history.slice(upTo - this.snap.index);
    this.log = this.log.slice(upTo - this.snap.index);
    this.snap = { index: upTo, term: t, conf: cloneConf(state.conf) };
    this.snapState = state;
  }

  /** Replace the state machine (and the log, unless it already holds the snapshot's entry) with a snapshot. */
  installSnapshot(meta: SnapshotMeta, state: SmState): void {
    if (meta.index <= this.snap.index) return;
    if (this.term(meta.index) === meta.term) {
      this.log = this.log.slice(meta.index - this.snap.index);
    } else {
      this.log = [];
    }
    this.snap = { index: meta.index, term: meta.term, conf: cloneConf(meta.conf) };
    this.snapState = { ...state, conf: cloneConf(meta.conf) };
    this.sm = this.snapState;
    this.history = [];
  }

  /** Apply one committed entry to the state machine (durably, with its index). */
  applyEntry(e: Entry, conf: ConfState | undefined): void {
    if (e.index !== this.sm.applied + 1) {
      throw new Error(`apply out of order: entry ${e.index} after applied ${this.sm.applied}`);
    }
    this.sm = {
      applied: e.index,
      appliedTerm: e.term,
      hash: chainHash(this.sm.hash, e),
      conf: conf ? cloneConf(conf) : this.sm.conf,
    };
    if (e.index > this.snap.index) this.history[e.index - this.snap.index - 1] = this.sm;
  }
}
