/**
 * The ordered index of a sorted set (Redis's zskiplist, t_zset.c): nodes in
 * (score, member bytes) order, each level link carrying a span (how many
 * nodes it skips) so rank <-> node is O(log n) in both directions.
 *
 * Determinism: a node's level is not drawn from Math.random (every replica
 * must build the same structure, and a restored set must equal one built by
 * commands). It is derived from a hash of the member with Redis's
 * distribution (P = 1/4 per extra level): deterministic, and balanced for
 * members that are not chosen adversarially. The structure is therefore a
 * function of the set of (score, member) pairs alone, whatever order they
 * were inserted in.
 *
 * Members are latin1 strings (one char per byte): JS `<` on them is memcmp.
 */

import { hashKey } from './hash32';

/** Enough for 4^16 elements at P = 1/4 (the hash gives 16 pairs of bits). */
export const MAX_LEVEL = 17;

export class SkipNode {
  /** Forward links per level; length = this node's level. */
  readonly next: Array<SkipNode | null>;
  /** span[i]: how many ranks next[i] advances (only meaningful while next[i] is not null). */
  readonly span: number[];
  /** The previous node at level 0 (null for the first). */
  prev: SkipNode | null = null;
  constructor(
    readonly member: string,
    public score: number,
    level: number,
  ) {
    this.next = new Array<SkipNode | null>(level).fill(null);
    this.span = new Array<number>(level).fill(0);
  }
}

/** A member's 32-bit hash (the keyspace's key hash: FNV-1a + murmur3 finalizer). */
export const memberHash = hashKey;

/** 1 + the number of low 2-bit groups that are zero: level k with probability (3/4)(1/4)^(k-1). */
export function levelOf(member: string): number {
  let h = memberHash(member);
  let level = 1;
  while ((h & 3) === 0 && level < MAX_LEVEL) {
    level++;
    h >>>= 2;
  }
  return level;
}

/** (score, member) order. */
export function compare(aScore: number, aMember: string, bScore: number, bMember: string): number {
  if (aScore < bScore) return -1;
  if (aScore > bScore) return 1;
  return aMember < bMember ? -1 : aMember > bMember ? 1 : 0;
}

function before(n: SkipNode, score: number, member: string): boolean {
  return n.score < score || (n.score === score && n.member < member);
}

/** A score interval (zrangespec): min/max with exclusivity. */
export interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}

/**
 * A lex interval (zlexrangespec). `min`/`max` are member strings, or the
 * open ends: '-' is below everything and '+' above everything.
 */
export interface LexRange {
  min: string | typeof MINUS_INF | typeof PLUS_INF;
  max: string | typeof MINUS_INF | typeof PLUS_INF;
  minex: boolean;
  maxex: boolean;
}
export const MINUS_INF = Symbol('-');
export const PLUS_INF = Symbol('+');

export function scoreGteMin(v: number, r: ScoreRange): boolean {
  return r.minex ? v > r.min : v >= r.min;
}
export function scoreLteMax(v: number, r: ScoreRange): boolean {
  return r.maxex ? v < r.max : v <= r.max;
}
/** An empty score range (zslIsInRange's first test). */
export function emptyScoreRange(r: ScoreRange): boolean {
  return r.min > r.max || (r.min === r.max && (r.minex || r.maxex));
}

function lexCmp(a: string, b: LexRange['min']): number {
  if (b === MINUS_INF) return 1;
  if (b === PLUS_INF) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}
export function lexGteMin(v: string, r: LexRange): boolean {
  const c = lexCmp(v, r.min);
  return r.minex ? c > 0 : c >= 0;
}
export function lexLteMax(v: string, r: LexRange): boolean {
  const c = lexCmp(v, r.max);
  return r.maxex ? c < 0 : c <= 0;
}
/** An empty lex range (zslIsInLexRange's first test). */
export function emptyLexRange(r: LexRange): boolean {
  if (r.min === PLUS_INF || r.max === MINUS_INF) return true;
  if (r.min === MINUS_INF || r.max === PLUS_INF) return false;
  return r.min > r.max || (r.min === r.max && (r.minex || r.maxex));
}

export class Skiplist {
  private readonly head = new SkipNode('', -Infinity, MAX_LEVEL);
  private tail: SkipNode | null = null;
  private level = 1;
  length = 0;
  /** Scratch vectors (no allocation per operation). */
  private readonly update: SkipNode[] = new Array<SkipNode>(MAX_LEVEL);
  private readonly rank: number[] = new Array<number>(MAX_LEVEL).fill(0);

  get first(): SkipNode | null {
    return this.head.next[0];
  }

  get last(): SkipNode | null {
    return this.tail;
  }

  /** Inserts a (score, member) that is not present. */
  insert(score: number, member: string): SkipNode {
    const update = this.update;
    const rank = this.rank;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : rank[i + 1];
      let n = x.next[i];
      while (n !== null && before(n, score, member)) {
        rank[i] += x.span[i];
        x = n;
        n = x.next[i];
      }
      update[i] = x;
    }
    const level = levelOf(member);
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.head;
        update[i].span[i] = this.length;
      }
      this.level = level;
    }
    const node = new SkipNode(member, score, level);
    for (let i = 0; i < level; i++) {
      node.next[i] = update[i].next[i];
      update[i].next[i] = node;
      node.span[i] = update[i].span[i] - (rank[0] - rank[i]);
      update[i].span[i] = rank[0] - rank[i] + 1;
    }
    for (let i = level; i < this.level; i++) update[i].span[i]++;
    node.prev = update[0] === this.head ? null : update[0];
    const after = node.next[0];
    if (after !== null) after.prev = node;
    else this.tail = node;
    this.length++;
    return node;
  }

  /**
   * Builds an empty list from (score, member) pairs already in order, in
   * O(n) by appending (a restore: no search per element). The result is the
   * list inserts would build: levels come from the members, not the order.
   */
  buildSorted(scores: ArrayLike<number>, members: ArrayLike<string>, order: ArrayLike<number>): void {
    if (this.length !== 0) throw new Error('buildSorted needs an empty list');
    const last: SkipNode[] = new Array<SkipNode>(MAX_LEVEL).fill(this.head);
    const lastRank: number[] = new Array<number>(MAX_LEVEL).fill(0);
    let prev: SkipNode | null = null;
    let r = 0;
    for (let k = 0; k < order.length; k++) {
      const i = order[k];
      const member = members[i];
      const level = levelOf(member);
      if (level > this.level) this.level = level;
      const node = new SkipNode(member, scores[i], level);
      r++;
      for (let l = 0; l < level; l++) {
        last[l].next[l] = node;
        last[l].span[l] = r - lastRank[l];
        last[l] = node;
        lastRank[l] = r;
      }
      node.prev = prev;
      prev = node;
    }
    // Links to the end keep the distance to it, as inserts leave them.
    for (let l = 0; l < MAX_LEVEL; l++) last[l].span[l] = r - lastRank[l];
    this.tail = prev;
    this.length = r;
  }

  /** Removes (score, member); false when absent. */
  delete(score: number, member: string): boolean {
    const update = this.update;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n !== null && before(n, score, member)) {
        x = n;
        n = x.next[i];
      }
      update[i] = x;
    }
    const node = x.next[0];
    if (node === null || node.score !== score || node.member !== member) return false;
    this.unlink(node, update);
    return true;
  }

  private unlink(node: SkipNode, update: SkipNode[]): void {
    for (let i = 0; i < this.level; i++) {
      if (update[i].next[i] === node) {
        update[i].span[i] += node.span[i] - 1;
        update[i].next[i] = node.next[i];
      } else {
        update[i].span[i]--;
      }
    }
    const after = node.next[0];
    if (after !== null) after.prev = node.prev;
    else this.tail = node.prev;
    while (this.level > 1 && this.head.next[this.level - 1] === null) this.level--;
    this.length--;
  }

  /**
   * Changes a member's score (zslUpdateScore): in place when the node stays
   * between its neighbours, else removed and inserted again.
   */
  updateScore(cur: number, member: string, score: number): void {
    const update = this.update;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n !== null && before(n, cur, member)) {
        x = n;
        n = x.next[i];
      }
      update[i] = x;
    }
    const node = x.next[0];
    if (node === null || node.score !== cur || node.member !== member) throw new Error('skiplist: updateScore of a missing element');
    const prev = node.prev;
    const after = node.next[0];
    if ((prev === null || before(prev, score, member)) && (after === null || !before(after, score, member))) {
      node.score = score;
      return;
    }
    this.unlink(node, update);
    this.insert(score, member);
  }

  /** 1-based rank of (score, member), 0 when absent. */
  rankOf(score: number, member: string): number {
    let rank = 0;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n !== null && (before(n, score, member) || (n.score === score && n.member === member))) {
        rank += x.span[i];
        x = n;
        n = x.next[i];
      }
      if (x !== this.head && x.score === score && x.member === member) return rank;
    }
    return 0;
  }

  /** The node at 1-based rank, or null. */
  byRank(rank: number): SkipNode | null {
    if (rank < 1 || rank > this.length) return null;
    let traversed = 0;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n !== null && traversed + x.span[i] <= rank) {
        traversed += x.span[i];
        x = n;
        n = x.next[i];
      }
      if (traversed === rank) return x;
    }
    return null;
  }

  /**
   * The last node strictly "below" the bound: walking with `isBelow` (a
   * monotone predicate over the order), returns the last node for which it
   * holds (or null) and its 1-based rank (0 when null).
   */
  private lastWhere(isBelow: (n: SkipNode) => boolean): { node: SkipNode | null; rank: number } {
    let rank = 0;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n !== null && isBelow(n)) {
        rank += x.span[i];
        x = n;
        n = x.next[i];
      }
    }
    return x === this.head ? { node: null, rank: 0 } : { node: x, rank };
  }

  /** First node within the score range and its rank (node null, rank 0 when none). */
  firstInScoreRange(r: ScoreRange): { node: SkipNode | null; rank: number } {
    if (emptyScoreRange(r)) return { node: null, rank: 0 };
    const b = this.lastWhere((n) => !scoreGteMin(n.score, r));
    const node = b.node === null ? this.first : b.node.next[0];
    if (node === null || !scoreLteMax(node.score, r)) return { node: null, rank: 0 };
    return { node, rank: b.rank + 1 };
  }

  /** Last node within the score range and its rank. */
  lastInScoreRange(r: ScoreRange): { node: SkipNode | null; rank: number } {
    if (emptyScoreRange(r)) return { node: null, rank: 0 };
    const b = this.lastWhere((n) => scoreLteMax(n.score, r));
    if (b.node === null || !scoreGteMin(b.node.score, r)) return { node: null, rank: 0 };
    return b;
  }

  firstInLexRange(r: LexRange): { node: SkipNode | null; rank: number } {
    if (emptyLexRange(r)) return { node: null, rank: 0 };
    const b = this.lastWhere((n) => !lexGteMin(n.member, r));
    const node = b.node === null ? this.first : b.node.next[0];
    if (node === null || !lexLteMax(node.member, r)) return { node: null, rank: 0 };
    return { node, rank: b.rank + 1 };
  }

  lastInLexRange(r: LexRange): { node: SkipNode | null; rank: number } {
    if (emptyLexRange(r)) return { node: null, rank: 0 };
    const b = this.lastWhere((n) => lexLteMax(n.member, r));
    if (b.node === null || !lexGteMin(b.node.member, r)) return { node: null, rank: 0 };
    return b;
  }

  /** First node strictly after (score, member) in the order, or null (ZSCAN resumes here). */
  firstAfter(score: number, member: string): SkipNode | null {
    const b = this.lastWhere((n) => compare(n.score, n.member, score, member) <= 0);
    return b.node === null ? this.first : b.node.next[0];
  }

  *[Symbol.iterator](): IterableIterator<SkipNode> {
    for (let n = this.first; n !== null; n = n.next[0]) yield n;
  }

  /** Checks every invariant (tests): order, prev links, spans, tail, length, levels. */
  verify(): void {
    const nodes: SkipNode[] = [];
    let prev: SkipNode | null = null;
    for (let n = this.first; n !== null; n = n.next[0]) {
      if (n.prev !== prev) throw new Error('prev link broken');
      if (prev !== null && compare(prev.score, prev.member, n.score, n.member) >= 0) throw new Error('order broken');
      if (n.next.length !== levelOf(n.member)) throw new Error('level is not the member hash level');
      nodes.push(n);
      prev = n;
    }
    if (this.tail !== prev) throw new Error('tail broken');
    if (nodes.length !== this.length) throw new Error('length broken');
    const rankOf = new Map<SkipNode, number>(nodes.map((n, i) => [n, i + 1]));
    for (let i = 0; i < MAX_LEVEL; i++) {
      let x: SkipNode = this.head;
      let r = 0;
      if (i >= this.level && this.head.next[i] !== null) throw new Error('level count broken');
      if (i >= this.level) continue;
      for (;;) {
        const n = x.next[i];
        if (n === null) break;
        const nr = rankOf.get(n);
        if (nr === undefined) throw new Error('link to a node not at level 0');
        if (x.span[i] !== nr - r) throw new Error(`span broken at level ${i}`);
        r = nr;
        x = n;
      }
      // Nodes of level > i must all be reached at level i.
      const expect = nodes.filter((n) => n.next.length > i).length;
      let seen = 0;
      for (let n = this.head.next[i]; n !== null; n = n.next[i]) seen++;
      if (seen !== expect) throw new Error(`level ${i} misses nodes`);
    }
    if (this.level > 1 && this.head.next[this.level - 1] === null) throw new Error('empty top level kept');
  }
}
