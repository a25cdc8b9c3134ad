/**
 * A read cache for score range scans of big sorted sets (geo searches): the
 * set's (score, member) order copied into flat arrays, so a scan reads
 * consecutive doubles instead of chasing skiplist nodes scattered over the
 * heap (profiled: a walk of 130,000 nodes is some 0.5 us a node of cache
 * misses; the array, a few ns).
 *
 * A copy is only used while the set's version is the one it was made at.
 * It is made once scans of the unchanged set have walked as many nodes as
 * the set has, so making it costs no more than the scans it replaces did
 * already, and a set written between scans never pays for one. It is a
 * cache of this node (not in the value's byte count, as the ZSCAN index):
 * scans read the same elements in the same order either way.
 */
import type { ZSetValue } from './zset';

/** Smaller sets scan fast enough through the skiplist (and fit in the CPU caches). */
const MIN_LENGTH = 1024;

export interface ScoreArray {
  /** Scores in the set's order (score, then member bytes). */
  readonly scores: Float64Array;
  /** members[i] has scores[i]. */
  readonly members: readonly string[];
}

interface Entry {
  version: number;
  /** Nodes walked by scans since `version`. */
  walked: number;
  array: ScoreArray | null;
}

const entries = new WeakMap<ZSetValue, Entry>();

function entryFor(z: ZSetValue): Entry {
  let e = entries.get(z);
  if (e === undefined || e.version !== z.version) {
    e = { version: z.version, walked: 0, array: null };
    entries.set(z, e);
  }
  return e;
}

/** The flat copy of z when it is worth having (made now if scans have earned it), else null. */
export function scoreArray(z: ZSetValue): ScoreArray | null {
  if (z.length < MIN_LENGTH) return null;
  const e = entryFor(z);
  if (e.array === null && e.walked >= z.length) {
    const scores = new Float64Array(z.length);
    const members = new Array<string>(z.length);
    let i = 0;
    for (const n of z.index) {
      scores[i] = n.score;
      members[i++] = n.member;
    }
    e.array = { scores, members };
  }
  return e.array;
}

/** Counts nodes a scan walked through the skiplist, toward making the copy. */
export function noteWalked(z: ZSetValue, nodes: number): void {
  if (z.length < MIN_LENGTH) return;
  entryFor(z).walked += nodes;
}

/** The first index whose score is >= min (scores.length when none). */
export function lowerBound(scores: Float64Array, min: number): number {
  let lo = 0;
  let hi = scores.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (scores[mid] < min) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
