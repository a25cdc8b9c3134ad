import type { Entry, NodeId } from '../../server/raft/types';
import type { SimDisk, SmState } from './disk';

/** The invariants the simulator checks; a violation names one of these. */
export type Invariant =
  | 'election-safety' // at most one leader per term
  | 'log-matching' // same index+term => identical entries and prefixes
  | 'leader-completeness' // an entry committed in term T is in the log of every leader of a term > T
  | 'state-machine-safety' // every node commits/applies the same entry at each index
  | 'commit-monotonic' // commit never decreases, including across restarts
  | 'stale-read' // a read misses a write acknowledged before the read began
  | 'liveness' // after heal: a leader, and every pending proposal commits, within a bound
  | 'driver-contract' // the core handed the driver something impossible (e.g. apply beyond commit)
  | 'core-error'; // the core threw where it must not

export class Violation extends Error {
  constructor(
    readonly invariant: Invariant,
    readonly detail: string,
  ) {
    super(`${invariant}: ${detail}`);
  }
}

/** A node's log as the core sees it: the persisted log plus entries not yet persisted. */
export interface LogView {
  firstIndex(): number;
  lastIndex(): number;
  term(index: number): number | undefined;
  entry(index: number): Entry | undefined;
}

/** The disk's log with unpersisted entry batches laid over it in order (each may overwrite a suffix). */
export function overlayView(disk: SimDisk, pending: ReadonlyArray<readonly Entry[]>): LogView {
  const merged: Entry[] = [];
  for (const batch of pending) {
    if (batch.length === 0) continue;
    if (merged.length > 0) merged.length = Math.max(0, Math.min(merged.length, batch[0]!.index - merged[0]!.index));
    merged.push(...batch);
  }
  if (merged.length === 0) return disk;
  const first = merged[0]!.index;
  const last = merged[merged.length - 1]!.index;
  return {
    firstIndex: () => disk.firstIndex(),
    lastIndex: () => last,
    term: (i) => (i >= first && i <= last ? merged[i - first]!.term : i < first ? disk.term(i) : undefined),
    entry: (i) => (i >= first && i <= last ? merged[i - first] : i < first ? disk.entry(i) : undefined),
  };
}

interface CommittedEntry {
  term: number;
  key: string;
  /** Term of the first node seen with this index committed: the entry was committed in that term. */
  commitTerm: number;
}

export function entryKey(e: Entry): string {
  let s = `${e.type}:`;
  for (const b of e.data) s += String.fromCharCode(b);
  return s;
}

/**
 * The canonical history (TigerBeetle's state_checker): one committed entry
 * per index and the state-machine hash after applying it. Every node's
 * commits, applies and snapshots must match it, and every leader must hold it.
 */
export class Checker {
  private readonly leaders = new Map<number, NodeId>();
  /** index:term -> entry key and the term of the entry before it (log matching, inductively). */
  private readonly seen = new Map<string, { key: string; prevTerm: number | undefined }>();
  private readonly committed: CommittedEntry[] = []; // by index (slot 0 unused)
  private readonly stateHash: number[] = [0]; // state hash after applying index i
  private maxAcked = 0;
  private maxCommitted = 0;

  /** Highest index any node has reported committed. */
  get commitIndex(): number {
    return this.maxCommitted;
  }

  get ackedIndex(): number {
    return this.maxAcked;
  }

  committedAt(index: number): { term: number; key: string } | undefined {
    return this.committed[index];
  }

  onLeader(node: NodeId, term: number): void {
    const prev = this.leaders.get(term);
    if (prev !== undefined && prev !== node) {
      throw new Violation('election-safety', `term ${term} has two leaders: ${prev} and ${node}`);
    }
    this.leaders.set(term, node);
  }

  /** Entries just persisted by `node`; `disk` already holds them. */
  onLogWrite(node: NodeId, disk: SimDisk, written: readonly Entry[]): void {
    for (const e of written) {
      if (e.index <= disk.firstIndex() - 1) continue;
      const prevTerm = disk.term(e.index - 1);
      const k = `${e.index}:${e.term}`;
      const key = entryKey(e);
      const rec = this.seen.get(k);
      if (rec === undefined) {
        this.seen.set(k, { key, prevTerm });
      } else if (rec.key !== key) {
        throw new Violation('log-matching', `node ${node}: entry ${k} has different contents than elsewhere`);
      } else if (rec.prevTerm !== undefined && prevTerm !== undefined && rec.prevTerm !== prevTerm) {
        throw new Violation(
          'log-matching',
          `node ${node}: entry ${k} follows term ${prevTerm} here but term ${rec.prevTerm} elsewhere`,
        );
      }
    }
  }

  /** `node` (at `term`) reports commit index `commit`; entries (from, commit] must agree with history. */
  onCommit(node: NodeId, term: number, from: number, commit: number, log: LogView): void {
    for (let i = from + 1; i <= commit; i++) {
      const e = log.entry(i);
      if (e === undefined) {
        if (i < log.firstIndex()) continue; // compacted: it was applied, and applies are checked
        throw new Violation('driver-contract', `node ${node} commits ${commit} but has no entry ${i}`);
      }
      const key = entryKey(e);
      const c = this.committed[i];
      if (c === undefined) {
        this.committed[i] = { term: e.term, key, commitTerm: term };
        if (i > this.maxCommitted) this.maxCommitted = i;
      } else if (c.term !== e.term || c.key !== key) {
        throw new Violation(
          'state-machine-safety',
          `node ${node} commits index ${i} with term ${e.term}, but index ${i} was committed with term ${c.term}` +
            (c.term === e.term ? ' and different data' : ''),
        );
      }
    }
  }

  /** A new leader of `term`: every entry committed in an earlier term must be in its log. */
  onLeaderLog(node: NodeId, term: number, log: LogView): void {
    const first = log.firstIndex();
    for (let i = Math.max(1, first); i <= this.maxCommitted; i++) {
      const c = this.committed[i];
      if (c === undefined || c.commitTerm >= term) continue;
      const t = log.term(i);
      if (t !== c.term) {
        throw new Violation(
          'leader-completeness',
          `leader ${node} of term ${term} has ${t === undefined ? 'no entry' : `term ${t}`} at index ${i}, ` +
            `committed with term ${c.term} in term ${c.commitTerm}`,
        );
      }
    }
  }

  /** `node` applied `e`, reaching state `sm`. */
  onApply(node: NodeId, e: Entry, sm: SmState): void {
    const c = this.committed[e.index];
    const key = entryKey(e);
    if (c === undefined) {
      throw new Violation('driver-contract', `node ${node} applies index ${e.index} before any node committed it`);
    }
    if (c.term !== e.term || c.key !== key) {
      throw new Violation(
        'state-machine-safety',
        `node ${node} applies index ${e.index} term ${e.term}, committed entry has term ${c.term}` +
          (c.term === e.term ? ' and different data' : ''),
      );
    }
    this.checkStateHash(node, sm, 'apply');
  }

  onSnapshotInstalled(node: NodeId, sm: SmState): void {
    this.checkStateHash(node, sm, 'snapshot');
  }

  private checkStateHash(node: NodeId, sm: SmState, how: string): void {
    const h = this.stateHash[sm.applied];
    if (h === undefined) {
      if (sm.applied === this.stateHash.length) this.stateHash.push(sm.hash);
      else this.stateHash[sm.applied] = sm.hash;
    } else if (h !== sm.hash) {
      throw new Violation(
        'state-machine-safety',
        `node ${node} state after ${how} of index ${sm.applied} differs from the canonical state`,
      );
    }
  }

  /** A client write was acknowledged; its entry is at `index`. */
  onWriteAcked(index: number): void {
    if (index > this.maxAcked) this.maxAcked = index;
  }
}
