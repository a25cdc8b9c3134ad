/**
 * A sorted set (Redis's t_zset.c data side): member -> score map plus an
 * ordered index by (score, member bytes) with ranks (skiplist.ts).
 *
 * Element records: sub-key = member, value = the score as an f64 (8 bytes,
 * big-endian). The order is canonical (score, member), and the skiplist's
 * shape is a function of its elements alone (levels hashed from members),
 * so a restore needs no sequence and rebuilds exactly what apply built.
 *
 * OBJECT ENCODING: 'listpack' until an add makes the set longer than
 * zset-max-listpack-entries or brings a member longer than
 * zset-max-listpack-value, then 'skiplist' for good (a rebuilt set, after
 * a restore or from a *STORE command, is judged afresh, as Redis does). The
 * in-memory structure is the same either way; in listpack encoding a score
 * of -0 is kept as 0, as Redis's listpack stores scores through d2string.
 */
import { Collection, encodingConfig, registerCollection, type RecordSink } from './object';
import { Skiplist, compare, memberHash, type SkipNode } from './skiplist';

/**
 * ZSCAN's order for skiplist-encoded sets: members by a hash of their own
 * (seeded apart from the level hash), so a cursor is a position in hash
 * space, meaningful on every node and unaffected by ranks shifting.
 */
export function scanHash(member: string): number {
  return memberHash('\u00a7' + member);
}

/**
 * Bytes accounted per element besides the member itself: the map entry, the
 * skiplist node and its link arrays (measured: about 250 bytes of heap per
 * member for 200,000 members on Node 20). The ZSCAN index, a cache built by
 * the first ZSCAN, is not counted: `bytes` stays a function of the contents.
 */
export const ZSET_ELEMENT_OVERHEAD = 240;

export type ZAddResult = 'added' | 'updated' | 'same';

export class ZSetValue extends Collection {
  readonly type = 'zset' as const;
  private readonly dict = new Map<string, number>();
  private readonly zsl = new Skiplist();
  private big = false;
  /** Members changed since the last drain (present = write the score, absent = delete the record). */
  private pending = new Set<string>();
  /**
   * Skiplist encoding only: the same members ordered by (scanHash, member),
   * for ZSCAN. Built by the first ZSCAN and kept up to date from then on (a
   * cache of this node: its order is canonical, so building it late changes
   * nothing a client sees), so sets nobody scans pay nothing for it.
   */
  private scanIdx: Skiplist | null = null;
  /** Members read back by restoreRecord, put in the skiplist by finishRestore. */
  private restoring: { scores: number[]; members: string[] } | null = null;
  private restoringDuplicate = false;
  /** Longest member seen while restoring (finishRestore decides the encoding). */
  private restoreMaxLen = 0;
  /** Bumped by every change of a score or of the membership (read caches check it: zset-score-array.ts). */
  private changes = 0;
  /**
   * Told of each add, re-score and removal after it is made (zset-score-array.ts
   * patches its flat copy with it); changes not told (restore, encoding) only bump `version`.
   */
  changeObserver: ((member: string, before: number | undefined, after: number | undefined) => void) | null = null;

  /**
   * An empty set sized for what the command is about to add (Redis 7.0's
   * zsetTypeCreate(size_hint, value_len_hint)): skiplist at once when the
   * hint already crosses a threshold.
   */
  static create(sizeHint = 0, maxLenHint = 0): ZSetValue {
    const z = new ZSetValue();
    if (exceeds(sizeHint, maxLenHint)) z.toSkiplist();
    return z;
  }

  get length(): number {
    return this.dict.size;
  }

  /** Changes so far: equal numbers mean the same (score, member) contents. */
  get version(): number {
    return this.changes;
  }

  /** The ordered index (read it; change the set only through this class). */
  get index(): Skiplist {
    return this.zsl;
  }

  *elements(): IterableIterator<string> {
    for (const n of this.zsl) yield n.member;
  }

  encoding(): string {
    return this.big ? 'skiplist' : 'listpack';
  }

  score(member: string): number | undefined {
    return this.dict.get(member);
  }

  has(member: string): boolean {
    return this.dict.has(member);
  }

  /** Adds or re-scores a member. The caller rejects NaN. */
  set(member: string, score: number): ZAddResult {
    const cur = this.dict.get(member);
    if (cur === undefined) {
      if (!this.big && exceeds(this.dict.size + 1, member.length)) this.toSkiplist();
      if (!this.big && score === 0) score = 0; // listpack: -0 is stored as 0
      this.dict.set(member, score);
      this.zsl.insert(score, member);
      this.scanIdx?.insert(scanHash(member), member);
      this.bytes += member.length + ZSET_ELEMENT_OVERHEAD;
      this.pending.add(member);
      this.changes++;
      this.changeObserver?.(member, undefined, score);
      return 'added';
    }
    // Redis (zsetAdd) changes nothing when the scores compare equal (0 and -0 too).
    if (cur === score) return 'same';
    if (!this.big && score === 0) score = 0;
    this.dict.set(member, score);
    this.zsl.updateScore(cur, member, score);
    this.pending.add(member);
    this.changes++;
    this.changeObserver?.(member, cur, score);
    return 'updated';
  }

  remove(member: string): boolean {
    const cur = this.dict.get(member);
    if (cur === undefined) return false;
    this.dict.delete(member);
    this.zsl.delete(cur, member);
    this.scanIdx?.delete(scanHash(member), member);
    this.bytes -= member.length + ZSET_ELEMENT_OVERHEAD;
    this.pending.add(member);
    this.changes++;
    this.changeObserver?.(member, cur, undefined);
    return true;
  }

  /** 0-based rank from the lowest (or the highest with rev), null when absent. O(log n). */
  rank(member: string, rev = false): number | null {
    const s = this.dict.get(member);
    if (s === undefined) return null;
    const r = this.zsl.rankOf(s, member);
    return rev ? this.dict.size - r : r - 1;
  }

  /** The node at 0-based rank (from the lowest), or null. O(log n). */
  at(rank: number): SkipNode | null {
    return this.zsl.byRank(rank + 1);
  }

  /** Skiplist encoding: the ZSCAN index (members by scanHash); null in listpack encoding (ZSCAN returns all). */
  get scanIndex(): Skiplist | null {
    if (!this.big) return null;
    if (this.scanIdx === null) {
      const idx = new Skiplist();
      for (const m of this.dict.keys()) idx.insert(scanHash(m), m);
      this.scanIdx = idx;
    }
    return this.scanIdx;
  }

  /**
   * A set built in skiplist encoding by ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE
   * takes the encoding its contents call for (zsetConvertToListpackIfNeeded);
   * converting to listpack turns -0 scores into 0, as Redis's listpack does.
   */
  settleEncoding(): void {
    if (this.dict.size > encodingConfig['zset-max-listpack-entries']) return this.toSkiplist();
    let maxLen = 0;
    for (const m of this.dict.keys()) maxLen = Math.max(maxLen, m.length);
    if (exceeds(this.dict.size, maxLen)) return this.toSkiplist();
    this.big = false;
    this.scanIdx = null;
    for (const n of this.zsl) {
      if (Object.is(n.score, -0)) {
        n.score = 0; // same place in the order
        this.dict.set(n.member, 0);
        this.changes++;
      }
    }
  }

  /** SORT converts a sorted set to skiplist encoding first, as Redis 7.0's sortCommand does (only OBJECT ENCODING shows it). */
  convertToSkiplist(): void {
    this.toSkiplist();
  }

  private setEncoding(big: boolean): void {
    if (big) this.toSkiplist();
    else {
      this.big = false;
      this.scanIdx = null;
    }
  }

  private toSkiplist(): void {
    this.big = true;
  }

  drainRecords(sink: RecordSink): void {
    const pending = this.pending;
    this.pending = new Set();
    for (const m of pending) {
      const s = this.dict.get(m);
      sink(m, s === undefined ? null : scoreRecord(s));
    }
  }

  clearDirty(): void {
    this.pending.clear();
  }

  forEachRecordKey(sink: (subkey: string) => void): void {
    for (const m of this.dict.keys()) sink(m);
    for (const m of this.pending) if (!this.dict.has(m)) sink(m);
  }

  restoreRecord(subkey: string, value: Buffer): void {
    if (value.length !== 8) throw new RangeError('zset element record: bad score');
    const score = value.readDoubleBE(0);
    if (this.dict.has(subkey)) {
      // Never written so; tolerated: the last record wins, the skiplist is then built from the dict.
      this.dict.set(subkey, score);
      this.restoringDuplicate = true;
      return;
    }
    this.bytes += subkey.length + ZSET_ELEMENT_OVERHEAD;
    this.dict.set(subkey, score);
    // The skiplist is built once all members are in (finishRestore): O(n log n) sort + O(n) build.
    (this.restoring ??= { scores: [], members: [] }).scores.push(score);
    this.restoring.members.push(subkey);
    if (subkey.length > this.restoreMaxLen) this.restoreMaxLen = subkey.length;
  }

  override finishRestore(): void {
    let r = this.restoring;
    this.restoring = null;
    if (r !== null && this.restoringDuplicate) r = { scores: [...this.dict.values()], members: [...this.dict.keys()] };
    this.restoringDuplicate = false;
    if (r !== null) {
      const order = new Uint32Array(r.members.length);
      for (let i = 0; i < order.length; i++) order[i] = i;
      order.sort((a, b) => compare(r.scores[a], r.members[a], r.scores[b], r.members[b]));
      this.zsl.buildSorted(r.scores, r.members, order);
    }
    this.setEncoding(exceeds(this.dict.size, this.restoreMaxLen));
    this.restoreMaxLen = 0;
    this.changes++;
  }

  clone(): ZSetValue {
    const z = new ZSetValue();
    for (const n of this.zsl) {
      z.dict.set(n.member, n.score);
      z.zsl.insert(n.score, n.member);
      z.pending.add(n.member);
    }
    z.bytes = this.bytes;
    if (this.big) z.toSkiplist();
    return z;
  }
}

function exceeds(entries: number, maxLen: number): boolean {
  return entries > encodingConfig['zset-max-listpack-entries'] || maxLen > encodingConfig['zset-max-listpack-value'];
}

function scoreRecord(score: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeDoubleBE(score, 0);
  return b;
}

registerCollection('zset', () => new ZSetValue());
