import type { NodeId } from './types';

/**
 * Quorum arithmetic, pure (etcd-io/raft quorum/). A majority config is a
 * sorted list of voter ids; a joint config is two of them (incoming,
 * outgoing) and a decision needs a majority in each. An empty majority
 * config "agrees" to everything, so a non-joint config is a joint config
 * with an empty outgoing half.
 */

export type MajorityConfig = readonly NodeId[];

export interface JointConfig {
  incoming: MajorityConfig;
  outgoing: MajorityConfig;
}

/** The acknowledged index of a voter (0 when unknown). */
export type AckedIndexer = (id: NodeId) => number;

export enum VoteResult {
  Pending = 0,
  Lost = 1,
  Won = 2,
}

// One scratch buffer: the core runs on one thread and never re-enters.
let scratch: number[] = [];

/**
 * The largest index acknowledged by a majority of `voters`.
 * Infinity for an empty config (so min() with it is the identity).
 */
export function majorityCommitted(voters: MajorityConfig, acked: AckedIndexer): number {
  const n = voters.length;
  if (n === 0) return Infinity;
  if (scratch.length < n) scratch = new Array<number>(n).fill(0);
  const s = scratch;
  // Insertion sort, ascending: n is tiny (3–7) and this avoids allocation.
  for (let i = 0; i < n; i++) {
    const v = acked(voters[i]!);
    let j = i - 1;
    while (j >= 0 && s[j]! > v) {
      s[j + 1] = s[j]!;
      j--;
    }
    s[j + 1] = v;
  }
  // The value at position n - quorum is held by at least `quorum` voters.
  return s[n - (Math.floor(n / 2) + 1)]!;
}

export function jointCommitted(cfg: JointConfig, acked: AckedIndexer): number {
  const a = majorityCommitted(cfg.incoming, acked);
  const b = majorityCommitted(cfg.outgoing, acked);
  return a < b ? a : b;
}

/** Votes: true granted, false rejected, absent not yet answered. */
export function majorityVoteResult(voters: MajorityConfig, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const n = voters.length;
  if (n === 0) return VoteResult.Won;
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
  }
  const q = Math.floor(n / 2) + 1;
  if (granted >= q) return VoteResult.Won;
  if (granted + missing >= q) return VoteResult.Pending;
  return VoteResult.Lost;
}

export function jointVoteResult(cfg: JointConfig, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const a = majorityVoteResult(cfg.incoming, votes);
  const b = majorityVoteResult(cfg.outgoing, votes);
  if (a === b) return a;
  if (a === VoteResult.Lost || b === VoteResult.Lost) return VoteResult.Lost;
  return VoteResult.Pending;
}

/** All voters of a joint config, sorted, without duplicates. */
export function jointVoters(cfg: JointConfig): NodeId[] {
  return sortedUnion(cfg.incoming, cfg.outgoing);
}

export function sortedUnion(a: readonly NodeId[], b: readonly NodeId[]): NodeId[] {
  return [...new Set([...a, ...b])].sort((x, y) => x - y);
}

/** True when the config's only voter is `id` (decisions need nobody else). */
export function isSingleton(cfg: JointConfig, id: NodeId): boolean {
  const only = (c: MajorityConfig): boolean => c.length === 0 || (c.length === 1 && c[0] === id);
  return cfg.incoming.length + cfg.outgoing.length > 0 && only(cfg.incoming) && only(cfg.outgoing);
}
