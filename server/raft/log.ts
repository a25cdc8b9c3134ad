import type { Entry, LogReader, SnapshotMeta } from './types';

/**
 * The Raft log as the core sees it (etcd-io/raft log.go + log_unstable.go):
 * the durable prefix lives in the driver's storage (a LogReader), the suffix
 * not yet persisted lives here in `Unstable`. Entries move from unstable to
 * storage when the driver has written them and calls advance().
 *
 * Invariant: storage is only read below `unstable.offset`; at and above it the
 * unstable entries win (storage may still hold a stale suffix being overwritten).
 */

export const NO_ENTRIES: Entry[] = Object.freeze([]) as unknown as Entry[];

export function entriesBytes(ents: readonly Entry[]): number {
  let n = 0;
  for (let i = 0; i < ents.length; i++) n += ents[i]!.data.byteLength;
  return n;
}

/** The longest prefix of `ents` within maxBytes, at least one entry. */
export function limitSize(ents: Entry[], maxBytes: number): Entry[] {
  if (ents.length <= 1 || maxBytes === Infinity) return ents;
  let size = ents[0]!.data.byteLength;
  let n = 1;
  while (n < ents.length) {
    const next = size + ents[n]!.data.byteLength;
    if (next > maxBytes) break;
    size = next;
    n++;
  }
  return n === ents.length ? ents : ents.slice(0, n);
}

export class Unstable {
  /** A snapshot received from the leader, not yet installed by the driver. */
  snapshot: SnapshotMeta | undefined = undefined;
  /** Set when a Ready handed the snapshot out and advance() has not confirmed it. */
  snapshotInProgress = false;
  entries: Entry[] = [];
  /** Index of entries[0]. */
  offset: number;
  /** Entries below this index were handed out in a Ready (being persisted). */
  offsetInProgress: number;

  constructor(offset: number) {
    this.offset = offset;
    this.offsetInProgress = offset;
  }

  lastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    if (this.snapshot !== undefined) return this.snapshot.index;
    return undefined;
  }

  /** Entries not yet handed out in a Ready. */
  nextEntries(): Entry[] {
    const from = this.offsetInProgress - this.offset;
    if (from >= this.entries.length) return NO_ENTRIES;
    return this.entries.slice(from);
  }

  hasNextEntries(): boolean {
    return this.offsetInProgress - this.offset < this.entries.length;
  }

  nextSnapshot(): SnapshotMeta | undefined {
    return this.snapshot !== undefined && !this.snapshotInProgress ? this.snapshot : undefined;
  }

  /** Everything handed out so far is now in progress. */
  acceptInProgress(): void {
    this.offsetInProgress = this.offset + this.entries.length;
    if (this.snapshot !== undefined) this.snapshotInProgress = true;
  }

  /** Entries up to (index, term) are durable: drop them from memory. */
  stableTo(index: number, term: number): void {
    if (index < this.offset) return; // already stable (or replaced by a snapshot)
    const k = index - this.offset;
    if (k >= this.entries.length || this.entries[k]!.term !== term) return; // overwritten meanwhile
    this.entries = k + 1 === this.entries.length ? [] : this.entries.slice(k + 1);
    this.offset = index + 1;
    if (this.offsetInProgress < this.offset) this.offsetInProgress = this.offset;
  }

  stableSnapTo(index: number): void {
    if (this.snapshot !== undefined && this.snapshot.index === index) {
      this.snapshot = undefined;
      this.snapshotInProgress = false;
    }
  }

  restore(s: SnapshotMeta): void {
    this.offset = s.index + 1;
    this.offsetInProgress = this.offset;
    this.entries = [];
    this.snapshot = s;
    this.snapshotInProgress = false;
  }

  /** Append, first discarding any unstable suffix from ents[0].index. ents is copied. */
  truncateAndAppend(ents: readonly Entry[]): void {
    const from = ents[0]!.index;
    const end = this.offset + this.entries.length;
    if (from === end) {
      const dst = this.entries;
      for (let i = 0; i < ents.length; i++) dst.push(ents[i]!);
    } else if (from <= this.offset) {
      // Replaces everything unstable (and a persisted suffix, overwritten by the driver).
      this.offset = from;
      this.entries = ents.slice();
    } else {
      const keep = this.entries.slice(0, from - this.offset);
      for (let i = 0; i < ents.length; i++) keep.push(ents[i]!);
      this.entries = keep;
    }
    if (this.offsetInProgress > from) this.offsetInProgress = from;
  }

  slice(lo: number, hi: number): Entry[] {
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}

export class RaftLog {
  readonly unstable: Unstable;
  committed: number;
  /** Highest index handed out in Ready.committedEntries (or snapshot). */
  applying: number;
  /** Highest index the driver confirmed applied (advance()). */
  applied: number;

  constructor(
    readonly storage: LogReader,
    applied: number,
    committed: number,
  ) {
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable(last + 1);
    this.applied = Math.max(applied, first - 1);
    if (this.applied > last) throw new Error(`applied index ${this.applied} is beyond the log's last index ${last}`);
    this.applying = this.applied;
    this.committed = Math.min(Math.max(committed, this.applied), last);
  }

  firstIndex(): number {
    const s = this.unstable.snapshot;
    return s !== undefined ? s.index + 1 : this.storage.firstIndex();
  }

  lastIndex(): number {
    const u = this.unstable.lastIndex();
    return u !== undefined ? u : this.storage.lastIndex();
  }

  /** Entries below this index are durable (for the leader's self-acknowledgement). */
  persistedIndex(): number {
    return this.unstable.offset - 1;
  }

  /** Term at index; undefined when compacted or beyond the last index. */
  term(index: number): number | undefined {
    const u = this.unstable;
    if (index >= u.offset) {
      const k = index - u.offset;
      return k < u.entries.length ? u.entries[k]!.term : undefined;
    }
    if (u.snapshot !== undefined) return index === u.snapshot.index ? u.snapshot.term : undefined;
    return this.storage.term(index);
  }

  lastTerm(): number {
    const t = this.term(this.lastIndex());
    if (t === undefined) throw new Error('raft log: term of the last index is unavailable');
    return t;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Is a candidate log ending at (lastIndex, lastTerm) at least as up to date as ours? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  snapshotMeta(): SnapshotMeta {
    return this.unstable.snapshot ?? this.storage.snapshotMeta();
  }

  hasPendingSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  /** Leader append. Returns the new last index. */
  append(ents: readonly Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    if (ents[0]!.index - 1 < this.committed) throw new Error(`raft log: append at ${ents[0]!.index} would overwrite committed ${this.committed}`);
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /**
   * Follower append (AppendEntries): if our log matches (index, logTerm),
   * append what is new in ents (truncating a conflicting suffix), advance the
   * commit index and return the index of the last new entry; -1 on mismatch.
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: readonly Entry[]): number {
    if (!this.matchTerm(index, logTerm)) return -1;
    const lastNew = index + ents.length;
    const conflict = this.findConflict(ents);
    if (conflict !== 0) {
      if (conflict <= this.committed) throw new Error(`raft log: entry ${conflict} conflicts with committed entry ${this.committed}`);
      const k = conflict - (index + 1);
      this.unstable.truncateAndAppend(k === 0 ? ents : ents.slice(k));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  /** Index of the first entry of ents that is new or conflicts with ours; 0 when all are present. */
  findConflict(ents: readonly Entry[]): number {
    if (ents.length === 0) return 0;
    const last = this.lastIndex();
    for (let i = 0; i < ents.length; i++) {
      const e = ents[i]!;
      if (e.index > last) return e.index;
      if (this.term(e.index) !== e.term) return e.index;
    }
    return 0;
  }

  /**
   * The largest index <= `index` whose term is <= `term`, with that term;
   * the fast back-off of a rejected AppendEntries skips whole terms this way.
   * Stops at the compaction point (term 0 when unknown).
   */
  findConflictByTerm(index: number, term: number): [number, number] {
    for (; index > 0; index--) {
      const t = this.term(index);
      if (t === undefined) return [index, 0];
      if (t <= term) return [index, t];
    }
    return [0, 0];
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    const last = this.lastIndex();
    if (index > last) throw new Error(`raft log: commit ${index} is out of range [last ${last}]`);
    this.committed = index;
  }

  /** Commit up to maxIndex if that entry is of `term` (the leader's current term). */
  maybeCommit(maxIndex: number, term: number): boolean {
    if (maxIndex > this.committed && this.term(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  appliedTo(index: number): void {
    if (index <= this.applied) return;
    if (index > this.committed) throw new Error(`raft log: applied ${index} beyond committed ${this.committed}`);
    this.applied = index;
    if (this.applying < index) this.applying = index;
  }

  /** Committed entries not handed out yet (none while a snapshot is pending). */
  hasNextCommittedEnts(): boolean {
    return !this.hasPendingSnapshot() && this.committed > this.applying;
  }

  nextCommittedEnts(maxBytes: number): Entry[] {
    if (!this.hasNextCommittedEnts()) return NO_ENTRIES;
    return this.slice(this.applying + 1, this.committed + 1, maxBytes);
  }

  /** Entries in [lo, hi) limited to maxBytes (at least one). */
  slice(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo >= hi) return NO_ENTRIES;
    const first = this.firstIndex();
    if (lo < first) throw new Error(`raft log: entries from ${lo} are compacted (first index ${first})`);
    const last = this.lastIndex();
    if (hi > last + 1) throw new Error(`raft log: slice [${lo}, ${hi}) beyond last index ${last}`);
    const off = this.unstable.offset;
    if (lo >= off) return limitSize(this.unstable.slice(lo, hi), maxBytes);
    if (hi <= off) return this.storage.entries(lo, hi, maxBytes);
    const stored = this.storage.entries(lo, off, maxBytes);
    if (stored.length < off - lo) return stored;
    const room = maxBytes === Infinity ? Infinity : maxBytes - entriesBytes(stored);
    if (room <= 0) return stored;
    const rest = this.unstable.slice(off, hi);
    // limitSize keeps at least one entry; here the first must fit as well.
    let n = 0;
    let size = 0;
    while (n < rest.length) {
      size += rest[n]!.data.byteLength;
      if (size > room) break;
      n++;
    }
    return stored.concat(n === rest.length ? rest : rest.slice(0, n));
  }

  restore(s: SnapshotMeta): void {
    this.committed = s.index;
    this.unstable.restore(s);
  }
}
