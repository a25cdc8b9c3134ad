/**
 * The set type (Redis's t_set.c with intset.c): members in memory, their
 * OBJECT ENCODING, incremental byte size and their element records.
 *
 * Layout. `slots` is a dense array of members (swap-remove on delete) so a
 * random member is one index away (SPOP, SRANDMEMBER); `pos` maps a member
 * to its slot, and its insertion order is the set's iteration order in the
 * hashtable encoding. Every member carries an insertion sequence number
 * (`seqs`, parallel to `slots`): the per-set counter `nextSeq` hands them out.
 * While intset-encoded (every member an integer Redis's string2ll accepts and
 * at most set-max-intset-entries of them, as in Redis 7.0) the set also keeps
 * its members in ascending numeric order and iterates in that order, as
 * Redis's intset does; once it leaves intset it stays a hashtable for good.
 *
 * Determinism. Everything a command can observe is a function of the applied
 * log and survives a restore: the iteration order (Map order = seq order,
 * rebuilt by sorting on seq), the slot layout (random picks index it; slots
 * are persisted), the encoding (a hashtable mark is persisted) and the
 * counter (SSCAN cursors are seqs, so every node must hand out the same ones).
 *
 * Element records: sub-key = member, value = [seq f64][slot u32]. One member
 * (the "anchor": any live one; the one in slot 0 when it has to move)
 * carries [seq f64][slot u32][counter f64][flags u8] when the counter cannot
 * be recomputed from the members (the most recently added one was removed)
 * or the set is a hashtable. Counters only grow and the hashtable mark is
 * never cleared, so a stale anchor left on another member is harmless:
 * restore takes the largest counter and any mark. A change writes the changed members' records only:
 * SADD one, SREM/SPOP the removed member plus the one moved into its slot
 * (plus the anchor when it had to move).
 */
import { seqOrder } from './seq-order';
import { parseInt64, type Int64 } from '../commands/util';
import { Collection, encodingConfig, registerCollection, type RecordSink } from './object';

/**
 * Heap a member costs beyond its bytes, measured with 1,000,000 members
 * (test/unit/commands/set.test.ts prints it): the Map entry and its share of
 * buckets, the string header, two array slots (member, seq) and array slack.
 */
export const SET_MEMBER_OVERHEAD = 70;
/** The SetValue object, its Map and arrays when empty. */
const SET_BASE_BYTES = 200;
/** A V8 Map holds at most 2^24 entries; SADD refuses to grow a set past this. */
export const MAX_SET_MEMBERS = 16_777_215;
/** Redis caps set-max-intset-entries at 1G (intset internals). */
const INTSET_HARD_LIMIT = 1 << 30;

const RECORD_BYTES = 12;
const ANCHOR_BYTES = 21;
const FLAG_HASHTABLE = 1;
/** Resumable SSCAN positions kept per set (node-local, an accelerator only). */
const SCAN_CACHE_SIZE = 16;

/** The member as an int64 if Redis's string2ll accepts it (canonical decimal within int64), else null. */
export function memberInt(member: string): Int64 | null {
  if (member.length === 0 || member.length > 20) return null;
  return parseInt64(Buffer.from(member, 'latin1'));
}

function intsetLimit(): number {
  return Math.min(encodingConfig['set-max-intset-entries'], INTSET_HARD_LIMIT);
}

/** A suspended SSCAN: the live Map iterator and the member it already read but did not return. */
interface ScanResume {
  it: Iterator<string>;
  pending: string;
  pendingSeq: number;
}

export interface SetScanStep {
  /** Next cursor: the seq of the next member to return, 0 when done. */
  cursor: number;
  members: string[];
}

export class SetValue extends Collection {
  readonly type = 'set' as const;
  /** member -> slot; Map order is insertion (= seq) order. */
  private readonly pos = new Map<string, number>();
  private slots: string[] = [];
  private seqs: number[] = [];
  private nextSeq = 1;
  /** The member that received seq nextSeq - 1 (may since have been removed). */
  private lastAdded: string | null = null;
  /** Intset encoding: members in ascending numeric order (values and strings); null once a hashtable. */
  private ints: Int64[] | null = [];
  private intStrs: string[] | null = [];

  /** No record of this collection is stored yet: the next drain writes every member. */
  private allPending = true;
  /** Members whose record must be rewritten (live) or deleted (gone) at the next drain. */
  private pending = new Set<string>();
  /** What the stored anchor record says (see the header). */
  private anchorMember: string | null = null;
  private anchorCounter = 0;
  private anchorHashtable = false;

  /** Records read by restoreRecord, ordered by finishRestore. */
  private staged: {
    members: string[];
    seqs: number[];
    slots: number[];
    /** Largest counter and any hashtable mark over every anchor record. */
    counter: number;
    hashtable: boolean;
    /** The anchor record with the largest counter, and what it says. */
    anchor: string | null;
    anchorCounter: number;
    anchorHashtable: boolean;
  } | null = null;
  private scanCache: Map<number, ScanResume> | null = null;

  constructor() {
    super();
    this.bytes = SET_BASE_BYTES;
  }

  /** An empty set to rebuild from element records (nothing pending). */
  static forRestore(): SetValue {
    const s = new SetValue();
    s.allPending = false;
    return s;
  }

  get length(): number {
    return this.pos.size;
  }

  has(member: string): boolean {
    return this.pos.has(member);
  }

  encoding(): string {
    return this.ints === null ? 'hashtable' : 'intset';
  }

  /** Iteration order: ascending integers while intset, insertion order once a hashtable. */
  elements(): Iterable<string> {
    return this.intStrs ?? this.pos.keys();
  }

  /** Adds a member; false if it was already there. Throws past MAX_SET_MEMBERS (callers check first). */
  add(member: string): boolean {
    if (this.pos.has(member)) return false;
    if (this.pos.size >= MAX_SET_MEMBERS) throw new RangeError('set too large');
    const slot = this.slots.length;
    this.slots.push(member);
    this.seqs.push(this.nextSeq++);
    this.pos.set(member, slot);
    this.lastAdded = member;
    this.bytes += member.length + SET_MEMBER_OVERHEAD;
    if (this.ints !== null) {
      const v = memberInt(member);
      if (v === null || this.pos.size > intsetLimit()) this.toHashtable();
      else this.insertInt(v, member);
    }
    this.changed(member);
    return true;
  }

  /** Removes a member; false if it was not there. */
  remove(member: string): boolean {
    const slot = this.pos.get(member);
    if (slot === undefined) return false;
    this.pos.delete(member);
    const last = this.slots.length - 1;
    const movedMember = this.slots[last];
    const movedSeq = this.seqs[last];
    this.slots.pop();
    this.seqs.pop();
    if (slot !== last) {
      this.slots[slot] = movedMember;
      this.seqs[slot] = movedSeq;
      this.pos.set(movedMember, slot);
      this.changed(movedMember);
    }
    this.bytes -= member.length + SET_MEMBER_OVERHEAD;
    if (this.ints !== null) this.removeInt(member);
    this.changed(member);
    return true;
  }

  /** A member chosen uniformly by `rand` (the set must not be empty). Depends only on the log-determined slot layout. */
  randomMember(rand: () => number): string {
    const n = this.slots.length;
    return this.slots[Math.min(n - 1, Math.floor(rand() * n))];
  }

  /** The member in slot i (0 <= i < length): for sampling without replacement. */
  memberAt(i: number): string {
    return this.slots[i];
  }

  /**
   * SSCAN. Intset: everything at once, cursor 0 (as Redis). Hashtable: the
   * cursor is the seq of the next member to return, the same on every node;
   * every member present for the whole scan is returned exactly once (members
   * come in seq order and a re-added member gets a new seq). A node-local
   * cache resumes the live Map iterator, so a full scan is O(n); without it
   * (another node, evicted) the position is found by a linear walk.
   */
  scan(cursor: number, count: number): SetScanStep {
    if (this.intStrs !== null) return { cursor: 0, members: this.intStrs.slice() };
    let it: Iterator<string>;
    let first: string | undefined;
    const cached = cursor !== 0 ? this.scanCache?.get(cursor) : undefined;
    if (cached !== undefined) {
      this.scanCache!.delete(cursor);
      it = cached.it;
      if (this.seqOf(cached.pending) === cached.pendingSeq) first = cached.pending;
    } else {
      it = this.pos.keys();
      if (cursor !== 0) {
        for (let r = it.next(); !r.done; r = it.next()) {
          if (this.seqOf(r.value)! >= cursor) {
            first = r.value;
            break;
          }
        }
        if (first === undefined) return { cursor: 0, members: [] };
      }
    }
    const members: string[] = [];
    if (first !== undefined) members.push(first);
    let r = it.next();
    for (; !r.done && members.length < count; r = it.next()) members.push(r.value);
    if (r.done) return { cursor: 0, members };
    const pendingSeq = this.seqOf(r.value)!;
    if (this.scanCache === null) this.scanCache = new Map();
    if (this.scanCache.size >= SCAN_CACHE_SIZE) this.scanCache.delete(this.scanCache.keys().next().value!);
    this.scanCache.set(pendingSeq, { it, pending: r.value, pendingSeq });
    return { cursor: pendingSeq, members };
  }

  private seqOf(member: string): number | undefined {
    const slot = this.pos.get(member);
    return slot === undefined ? undefined : this.seqs[slot];
  }

  // ------------------------------------------------------------- encoding

  private toHashtable(): void {
    this.ints = null;
    this.intStrs = null;
  }

  /** First index whose value is >= v. */
  private intIndex(v: Int64): number {
    const ints = this.ints!;
    let lo = 0;
    let hi = ints.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ints[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private insertInt(v: Int64, member: string): void {
    const i = this.intIndex(v);
    this.ints!.splice(i, 0, v);
    this.intStrs!.splice(i, 0, member);
  }

  private removeInt(member: string): void {
    // Members of an intset are canonical integers: the parse succeeds.
    const i = this.intIndex(memberInt(member)!);
    this.ints!.splice(i, 1);
    this.intStrs!.splice(i, 1);
  }

  // ---------------------------------------------------------- persistence

  private changed(member: string): void {
    if (!this.allPending) this.pending.add(member);
  }

  drainRecords(sink: RecordSink): void {
    const hashtable = this.ints === null;
    let anchor: string | null = null;
    let needAnchor = false;
    if (this.pos.size > 0) {
      const lastLive = this.lastAdded !== null && this.seqOf(this.lastAdded) === this.nextSeq - 1;
      needAnchor = hashtable || !lastLive;
      if (needAnchor) {
        const current = this.anchorMember !== null && this.pos.has(this.anchorMember) ? this.anchorMember : null;
        const upToDate =
          current !== null &&
          !this.allPending &&
          !this.pending.has(current) &&
          (this.anchorHashtable || !hashtable) &&
          (lastLive || this.anchorCounter === this.nextSeq);
        // Rewrite the anchor on its member if still there, else on the member in slot 0:
        // O(1) (the Map's first entry may sit behind many deleted ones).
        if (!upToDate) anchor = current ?? this.slots[0];
      }
    }
    const emit = (m: string): void => {
      const slot = this.pos.get(m);
      if (slot === undefined) {
        sink(m, null);
        return;
      }
      const v = Buffer.allocUnsafe(m === anchor ? ANCHOR_BYTES : RECORD_BYTES);
      v.writeDoubleBE(this.seqs[slot], 0);
      v.writeUInt32BE(slot, 8);
      if (m === anchor) {
        v.writeDoubleBE(this.nextSeq, 12);
        v[20] = hashtable ? FLAG_HASHTABLE : 0;
      }
      sink(m, v);
    };
    let anchorWritten = false;
    if (this.allPending) {
      for (const m of this.pos.keys()) emit(m);
      anchorWritten = anchor !== null;
    } else {
      for (const m of this.pending) emit(m);
      if (anchor !== null && this.pending.has(anchor)) anchorWritten = true;
    }
    if (anchor !== null && !anchorWritten) emit(anchor);
    if (anchor !== null) {
      this.anchorMember = anchor;
      this.anchorCounter = this.nextSeq;
      this.anchorHashtable = hashtable;
    } else if (!needAnchor && this.anchorMember !== null && (this.allPending || this.pending.has(this.anchorMember) || !this.pos.has(this.anchorMember))) {
      // Its record was just rewritten without the anchor (or deleted).
      this.anchorMember = null;
    }
    this.allPending = false;
    this.pending.clear();
  }

  clearDirty(): void {
    this.allPending = false;
    this.pending.clear();
  }

  forEachRecordKey(sink: (subkey: string) => void): void {
    for (const m of this.pos.keys()) sink(m);
    if (!this.allPending) for (const m of this.pending) if (!this.pos.has(m)) sink(m);
  }

  restoreRecord(subkey: string, value: Buffer): void {
    if (value.length < RECORD_BYTES) throw new RangeError('set element record truncated');
    const st = (this.staged ??= { members: [], seqs: [], slots: [], counter: 0, hashtable: false, anchor: null, anchorCounter: -1, anchorHashtable: false });
    st.members.push(subkey);
    st.seqs.push(value.readDoubleBE(0));
    st.slots.push(value.readUInt32BE(8));
    if (value.length >= ANCHOR_BYTES) {
      const counter = value.readDoubleBE(12);
      const hashtable = (value[20] & FLAG_HASHTABLE) !== 0;
      if (hashtable) st.hashtable = true;
      if (counter > st.counter) st.counter = counter;
      if (counter > st.anchorCounter) {
        st.anchor = subkey;
        st.anchorCounter = counter;
        st.anchorHashtable = hashtable;
      }
    }
  }

  /** Orders restored members by seq (iteration order), puts them in their slots, recomputes the encoding. */
  override finishRestore(): void {
    const st = this.staged;
    this.staged = null;
    this.allPending = false;
    this.pending.clear();
    if (st === null) return;
    const n = st.members.length;
    const order = seqOrder(st.seqs);
    // Slots as stored (random picks index them); a copy not written by
    // drainRecords (damaged) falls back to seq order, deterministic from here on.
    const slotOf = new Uint32Array(n);
    const taken = new Uint8Array(n);
    let slotsValid = true;
    for (let i = 0; i < n && slotsValid; i++) {
      const s = st.slots[i];
      if (s >= n || taken[s] === 1) slotsValid = false;
      else {
        taken[s] = 1;
        slotOf[i] = s;
      }
    }
    if (!slotsValid) for (let k = 0; k < n; k++) slotOf[order[k]] = k;
    this.slots = new Array<string>(n);
    this.seqs = new Array<number>(n);
    this.pos.clear();
    // Map order is iteration order: insert by seq.
    for (let k = 0; k < n; k++) {
      const i = order[k];
      this.slots[slotOf[i]] = st.members[i];
      this.seqs[slotOf[i]] = st.seqs[i];
      this.pos.set(st.members[i], slotOf[i]);
    }
    let bytes = SET_BASE_BYTES;
    for (let i = 0; i < n; i++) bytes += st.members[i].length + SET_MEMBER_OVERHEAD;
    this.bytes = bytes;
    const maxSeq = n > 0 ? st.seqs[order[n - 1]] : 0;
    this.nextSeq = Math.max(st.counter, maxSeq + 1, 1);
    this.lastAdded = n > 0 ? st.members[order[n - 1]] : null;
    this.anchorMember = st.anchor;
    this.anchorCounter = st.anchorCounter;
    this.anchorHashtable = st.anchorHashtable;
    this.ints = null;
    this.intStrs = null;
    // Every hashtable carries the mark (drainRecords), so no mark means intset,
    // whatever set-max-intset-entries says now: the live nodes have an intset
    // too (it converts at its next SADD, here as there). Unlike Redis, which
    // re-encodes at load, so that the order never differs between nodes.
    if (!st.hashtable) {
      const vals: Array<[Int64, string]> = [];
      for (const m of this.pos.keys()) {
        const v = memberInt(m);
        if (v === null) break;
        vals.push([v, m]);
      }
      if (vals.length === n) {
        vals.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        this.ints = vals.map((e) => e[0]);
        this.intStrs = vals.map((e) => e[1]);
      }
    }
  }

  /** Same members, order, slots, encoding and counter; every record pending, id 0 (COPY). */
  clone(): SetValue {
    const c = new SetValue();
    for (const [m, s] of this.pos) c.pos.set(m, s);
    c.slots = this.slots.slice();
    c.seqs = this.seqs.slice();
    c.nextSeq = this.nextSeq;
    c.lastAdded = this.lastAdded;
    c.ints = this.ints === null ? null : this.ints.slice();
    c.intStrs = this.intStrs === null ? null : this.intStrs.slice();
    c.bytes = this.bytes;
    return c;
  }
}

registerCollection('set', () => SetValue.forRestore());
