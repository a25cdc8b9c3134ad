/**
 * A read cache for score range scans of big sorted sets (geo searches): the
 * set's (score, member) order copied into flat arrays, so a scan reads
 * consecutive doubles instead of chasing skiplist nodes scattered over the
 * heap (profiled: a walk of 130,000 nodes is some 0.5 us a node of cache
 * misses; the array, a few ns).
 *
 * A copy is made once scans have walked as many skiplist nodes as the set
 * has, so making it costs no more than the walks it replaces. Writes then
 * patch it (the set tells its changeObserver): a changed member's old entry
 * is marked gone and its new (score, member) goes into a small sorted list
 * that scans merge in. After n/32 patches (or a change the set did not tell)
 * the copy is dropped, and scans walk the skiplist until they earn a new
 * one. It is a cache of this node (not in the value's byte count, as the
 * ZSCAN index): scans visit the same elements in the same order either way.
 */
import type { ZSetValue } from './zset';

/** Smaller sets scan fast enough through the skiplist (and fit in the CPU caches). */
const MIN_LENGTH = 1024;

interface Extra {
  score: number;
  member: string;
}

/** (score, member) order, members as bytes (latin1 strings: `<` is memcmp). */
function before(s1: number, m1: string, s2: number, m2: string): boolean {
  return s1 < s2 || (s1 === s2 && m1 < m2);
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

export class FlatCopy {
  /** Scores in the set's order at the time of the copy; members[i] had scores[i]. */
  private readonly scores: Float64Array;
  private readonly members: string[];
  /** gone[i] = 1: members[i] changed or left since (its present entry, if any, is in extra). */
  private readonly gone: Uint8Array;
  /** Members added or re-scored since the copy, in (score, member) order. */
  private readonly extra: Extra[] = [];
  private patches = 0;

  constructor(z: ZSetValue) {
    const n = z.length;
    this.scores = new Float64Array(n);
    this.members = new Array<string>(n);
    this.gone = new Uint8Array(n);
    let i = 0;
    for (const node of z.index) {
      this.scores[i] = node.score;
      this.members[i++] = node.member;
    }
  }

  /** Applies one change of the set; false when the copy is not worth patching further. */
  patch(member: string, was: number | undefined, now: number | undefined): boolean {
    if (was !== undefined) {
      const i = this.baseIndex(was, member);
      if (i >= 0) this.gone[i] = 1;
      else {
        const k = this.extraIndex(was, member);
        if (k >= this.extra.length || this.extra[k].member !== member || this.extra[k].score !== was) return false;
        this.extra.splice(k, 1);
      }
    }
    if (now !== undefined) this.extra.splice(this.extraIndex(now, member), 0, { score: now, member });
    return ++this.patches <= Math.max(256, this.scores.length >>> 5);
  }

  /** The live base entry (score, member), or -1. */
  private baseIndex(score: number, member: string): number {
    let lo = 0;
    let hi = this.scores.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(this.scores[mid], this.members[mid], score, member)) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.scores.length && this.scores[lo] === score && this.members[lo] === member && this.gone[lo] === 0 ? lo : -1;
  }

  /** Where (score, member) is or would go in extra. */
  private extraIndex(score: number, member: string): number {
    let lo = 0;
    let hi = this.extra.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = this.extra[mid];
      if (before(e.score, e.member, score, member)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Visits the elements with min <= score < max in the set's order, until visit returns true. */
  forEachInRange(min: number, max: number, visit: (score: number, member: string) => boolean): void {
    const scores = this.scores;
    const n = scores.length;
    let i = lowerBound(scores, min);
    if (this.patches === 0) {
      for (; i < n && scores[i] < max; i++) if (visit(scores[i], this.members[i])) return;
      return;
    }
    const extra = this.extra;
    let k = this.extraIndex(min, '');
    for (;;) {
      while (i < n && this.gone[i] === 1) i++;
      const base = i < n && scores[i] < max;
      const more = k < extra.length && extra[k].score < max;
      if (!base && !more) return;
      if (base && (!more || before(scores[i], this.members[i], extra[k].score, extra[k].member))) {
        if (visit(scores[i], this.members[i])) return;
        i++;
      } else {
        const e = extra[k++];
        if (visit(e.score, e.member)) return;
      }
    }
  }
}

interface Entry {
  /** Skiplist nodes walked by scans since the last copy was made or dropped. */
  walked: number;
  copy: FlatCopy | null;
  /** The set's version the copy reflects. */
  version: number;
}

const entries = new WeakMap<ZSetValue, Entry>();

function entryFor(z: ZSetValue): Entry {
  let e = entries.get(z);
  if (e === undefined) {
    e = { walked: 0, copy: null, version: z.version };
    entries.set(z, e);
  }
  return e;
}

function drop(e: Entry, z: ZSetValue): void {
  e.copy = null;
  e.walked = 0;
  z.changeObserver = null;
}

/** The flat copy of z when it is worth having (made now if scans have earned it), else null. */
export function flatCopy(z: ZSetValue): FlatCopy | null {
  if (z.length < MIN_LENGTH) return null;
  const e = entryFor(z);
  if (e.copy !== null && e.version !== z.version) drop(e, z); // a change it was not told of
  if (e.copy === null && e.walked >= z.length) {
    const copy = new FlatCopy(z);
    e.copy = copy;
    e.walked = 0;
    e.version = z.version;
    z.changeObserver = (member, was, now) => {
      // Told after the change: the version is one past the copy's unless a change went untold.
      if (e.copy !== copy || z.version !== e.version + 1 || !copy.patch(member, was, now)) drop(e, z);
      else e.version = z.version;
    };
  }
  return e.copy;
}

/** Counts nodes a scan walked through the skiplist, toward making the copy. */
export function noteWalked(z: ZSetValue, nodes: number): void {
  if (z.length < MIN_LENGTH) return;
  entryFor(z).walked += nodes;
}
