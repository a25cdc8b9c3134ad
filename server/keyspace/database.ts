/**
 * The in-memory keyspace: the state the Raft log is applied to.
 *
 * Determinism: every mutation takes the log `index` of the entry being
 * applied (and commands take `now` = the entry's cluster time), so every node
 * that applies the same log holds the same data, the same per-key versions
 * (for WATCH) and the same tombstones. Nothing here reads the clock or
 * Math.random. Reads (`lookupRead`, `scan`, `randomKey`, ...) never mutate.
 * One exception, outside the replicated state: each entry's `accessedAt`
 * (OBJECT IDLETIME), which this node's client reads set with its own clock
 * and writes with the entry's time; nothing applied ever reads it.
 *
 * Keys are binary-safe: a key is held as a `latin1` string (one char per
 * byte, lossless); `keyString`/`keyBuffer` convert.
 */
import { LockTable } from '../locks';
import { AclTable } from '../acl/table';
import { FunctionTable } from '../scripting/functions-table';

import { hashKey } from './hash32';
import { Collection, StringValue, TYPE_CODES, copiedString, createCollection, isPlainString, stringBytes, valueBytes, type Value } from './object';
import {
  ELEMENT_DB,
  FUNCTION_DB,
  LOCK_DB,
  ACL_DB,
  META_DB,
  NO_EXPIRE,
  SCRIPT_DB,
  TYPE_STRING,
  TYPE_TOMBSTONE,
  decodeElementRecordKey,
  decodeKeyRecord,
  elementRecordKey,
  keyRecordKey,
  keyRecordValue,
  deadline,
  type Deadline,
} from './records';

export { hashKey } from './hash32';
export { stringValue, StringValue, type Value, type ValueType } from './object';

export function keyString(buf: Buffer): string {
  return buf.toString('latin1');
}

export function keyBuffer(key: string): Buffer {
  return Buffer.from(key, 'latin1');
}

/** Keys touched since the last drain, for the durable (LMDB) copy. */
export type KeyspaceChange = { db: number; key: string } | { flushDb: number } | { flushAll: true };

export { META_DB, SCRIPT_DB, LOCK_DB, ELEMENT_DB, NO_EXPIRE, deadline, type Deadline } from './records';

/**
 * Per-key cost beyond the key's bytes and the value (valueBytes), for
 * `usedBytes`: the Entry (80 B), its share of the key index's bucket array
 * (~4 B) and the key string's header and padding (~16 B). Measured on Node 20
 * x64 (no pointer compression) with `node --expose-gc dist/bench/memory.js
 * --keyspace`: 1M keys of 16 B with 100-byte values take 236 B/key of heap
 * (204 keyspace + 32 the key string), which this and the value's bytes
 * (object.ts stringBytes) estimate as 236.
 */
export const KEY_OVERHEAD = 100;
/** An entry in `expires` and a boxed deadline. */
const EXPIRE_OVERHEAD = 40;
/** Tombstones kept per db before the oldest half is folded into the db's version floor. */
const MAX_TOMBSTONES = 4096;
/** Scan-index table size bounds (log2 of the bucket count). */
const MIN_BITS = 4;
const MAX_BITS = 30;
const HASH_SPACE = 2 ** 32;
/** Old buckets migrated per add/remove during an incremental resize. */
const MIGRATE_PER_OP = 2;

/**
 * One key. Every field holds a small integer (a V8 Smi, stored inline) or a
 * pointer, so an entry is one 80-byte object: a field that ever held a
 * non-Smi number would box that field in a 16-byte heap number in every
 * entry. Hence `hash` as int32 and `accessedAt` in seconds.
 */
/**
 * What an entry holds: a plain string value (object.ts isPlainString) as its
 * bare latin1 string, saving a 32-byte StringValue per key, or as a number
 * when its bytes are a canonical int32 (Redis's int encoding: the value costs
 * nothing beyond the entry); anything else as the Value itself. Lookups hand
 * out a fresh StringValue around a bare string or number (short-lived: the
 * young generation collects it almost for free).
 */
type Stored = string | number | Value;

function pack(v: Value): Stored {
  if (!(v instanceof StringValue) || !isPlainString(v)) return v;
  return canonicalInt32(v.data) ?? v.data;
}

function unpack(s: Stored): Value {
  if (typeof s === 'string') return new StringValue(s);
  if (typeof s === 'number') return new StringValue(String(s));
  return s;
}

function storedBytes(s: Stored): number {
  if (typeof s === 'string') return stringBytes(s);
  if (typeof s === 'number') return 0;
  return valueBytes(s);
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * The int32 whose decimal form is exactly `s` ("0", "-12"; never "007",
 * "+1", "-0", " 1"), so String(n) gives the same bytes back; else undefined.
 * An int32 is a V8 Smi: stored in the entry itself.
 */
export function canonicalInt32(s: string): number | undefined {
  const len = s.length;
  if (len === 0 || len > 11) return undefined;
  const neg = s.charCodeAt(0) === 45; // '-'
  let i = neg ? 1 : 0;
  if (i === len) return undefined;
  const first = s.charCodeAt(i);
  if (first === 48) return len === 1 ? 0 : undefined; // '0' alone; no leading zeros, no "-0"
  let n = 0;
  for (; i < len; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    n = n * 10 + c;
  }
  if (neg) n = -n;
  return n >= INT32_MIN && n <= INT32_MAX ? n : undefined;
}

interface Entry {
  readonly key: string;
  /** hashKey(key) | 0 (int32: read it with `>>> 0`). */
  readonly hash: number;
  value: Stored;
  /** Log index of the last mutation (WATCH compares it). */
  version: number;
  /** Absolute deadline in ms, or NO_EXPIRE (past 2^53 rounded: `exactExpire` has it exactly). */
  expireAt: number;
  /** The exact deadline when it is past 2^53 ms (a far future no clock reaches; replies still answer it exactly). */
  exactExpire?: bigint;
  /**
   * Per node, never replicated nor persisted: when this node last read the
   * key for a client or applied a write to it, in whole seconds since the
   * epoch (Redis's LRU clock also ticks in seconds); 0 = not since it loaded it.
   */
  accessedAt: number;
  /** Next entry in the same scan bucket. */
  next: Entry | null;
}

/** Entry.accessedAt from a time in ms (a Smi until 2038; 0 stays 0). */
function accessSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}

function isExpired(e: Entry, now: number): boolean {
  return e.expireAt !== NO_EXPIRE && e.expireAt <= now;
}

function entrySize(key: string, value: Stored, expireAt: number): number {
  return KEY_OVERHEAD + key.length + storedBytes(value) + (expireAt === NO_EXPIRE ? 0 : EXPIRE_OVERHEAD);
}

/**
 * What an entry adds to usedBytes (recomputed, not kept in the entry: 8 B
 * per key less): entrySize, except that a collection counts the bytes last
 * accounted for it, since commands change it in place before `touched`.
 */
function accountedSize(e: Entry): number {
  const v = e.value;
  const valueSize = v instanceof Collection ? v.accounted : storedBytes(v);
  return KEY_OVERHEAD + e.key.length + valueSize + (e.expireAt === NO_EXPIRE ? 0 : EXPIRE_OVERHEAD);
}

/**
 * The key index (there is no Map beside it: a V8 Map costs ~30-50 B per key
 * and stops at 2^24 entries) and the SCAN order: lookups hash the key and walk
 * one chain. Every key sits in a chained hash table whose bucket is the
 * TOP `bits` bits of a fixed 32-bit hash, so bucket b holds exactly the
 * hashes in [b * 2^(32-bits), (b+1) * 2^(32-bits)). The SCAN cursor is a
 * position in hash space (not a bucket number), so it means the same thing
 * whatever the table size and on every node. A step at cursor c takes the
 * coarsest bucket range [start, end) containing c, returns the keys with
 * hash in [c, end) and returns `end` as the next cursor (2^32 -> 0, done).
 *
 * Proof that a key present for the whole scan is returned: the cursors
 * 0 = c0 < c1 < ... < cn = 2^32 tile the hash space, step i returns every key
 * present at that moment with hash in [ci, ci+1), and a key's hash never
 * changes; so the key is returned at the one step whose range holds its
 * hash (exactly once, in fact).
 *
 * Resizing is incremental, like Redis's: while it runs, an entry lives in
 * the old table if its old bucket has not been migrated yet, else in the
 * new one; each add/remove migrates a few old buckets. A scan step looks at
 * the buckets of both tables that overlap its range, so the proof holds
 * unchanged. No single write pays for rehashing millions of keys.
 */
class ScanTable {
  /** Entries in both tables. */
  count = 0;
  /** The last key looked up and its hash: a command looks its key up several times (lookupWrite, set...). */
  private memoKey = '';
  private memoHash = hashKey('') | 0;
  private main: Array<Entry | null> = emptyBuckets(MIN_BITS);
  private bits = MIN_BITS;
  /** The table being migrated away from, during a resize. */
  private old: Array<Entry | null> | null = null;
  private oldBits = 0;
  /** Old buckets below this index are migrated (and empty). */
  private migrated = 0;
  private oldCount = 0;

  /** The entry for `key`, or undefined. */
  get(key: string): Entry | undefined {
    let h: number;
    if (key === this.memoKey) h = this.memoHash;
    else {
      h = hashKey(key) | 0;
      this.memoKey = key;
      this.memoHash = h;
    }
    const old = this.old;
    let e = old !== null && this.inOld(h) ? old[h >>> (32 - this.oldBits)] : this.main[h >>> (32 - this.bits)];
    for (; e !== null; e = e.next) if (e.hash === h && e.key === key) return e;
    return undefined;
  }

  /**
   * Every entry, in an order that depends only on the set of keys: by hash,
   * then by key (chains are in insertion order, so each coarse bucket is
   * sorted). Callers must not add or remove entries while iterating.
   */
  *entries(): Generator<Entry, void, undefined> {
    const old = this.old;
    const coarse = old === null ? this.bits : Math.min(this.bits, this.oldBits);
    const width = 2 ** (32 - coarse);
    const group: Entry[] = [];
    for (let b = 0, n = 2 ** coarse; b < n; b++) {
      group.length = 0;
      collectEntries(this.main, this.bits, b * width, (b + 1) * width, group);
      if (old !== null) collectEntries(old, this.oldBits, b * width, (b + 1) * width, group);
      if (group.length > 1) group.sort(byHashThenKey);
      yield* group;
    }
  }

  add(e: Entry): void {
    if (this.inOld(e.hash)) {
      this.push(this.old as Array<Entry | null>, this.oldBits, e);
      this.oldCount++;
    } else {
      this.push(this.main, this.bits, e);
    }
    this.count++;
    this.step();
    if (this.old === null && this.count > 2 << this.bits && this.bits < MAX_BITS) this.start(this.bits + 1);
  }

  remove(e: Entry): void {
    if (this.inOld(e.hash)) {
      this.oldCount--;
      this.pull(this.old as Array<Entry | null>, this.oldBits, e);
    } else {
      this.pull(this.main, this.bits, e);
    }
    this.count--;
    this.step();
    if (this.old === null && this.bits > MIN_BITS && this.count < (1 << this.bits) >>> 3) this.start(this.bits - 1);
  }

  scan(cursor: number, count: number): { cursor: number; keys: string[] } {
    const keys: string[] = [];
    if (!Number.isInteger(cursor) || cursor < 0 || cursor >= HASH_SPACE) return { cursor: 0, keys };
    const coarse = this.old === null ? this.bits : Math.min(this.bits, this.oldBits);
    const width = 2 ** (32 - coarse);
    let visits = Math.max(1, count * 10);
    let pos = cursor;
    do {
      const end = (Math.floor(pos / width) + 1) * width;
      collect(this.main, this.bits, pos, end, keys);
      if (this.old !== null) collect(this.old, this.oldBits, pos, end, keys);
      pos = end;
    } while (pos < HASH_SPACE && --visits > 0 && keys.length < count);
    return { cursor: pos >= HASH_SPACE ? 0 : pos, keys };
  }

  /** A random entry (uniform over buckets, then over the chain), or null when empty. */
  random(rand: () => number): Entry | null {
    if (this.count === 0) return null;
    const mainCount = this.count - this.oldCount;
    const useOld = this.old !== null && this.oldCount > 0 && (mainCount === 0 || rand() * this.count < this.oldCount);
    const t = useOld ? (this.old as Array<Entry | null>) : this.main;
    const n = t.length;
    let b = Math.min(n - 1, Math.floor(rand() * n));
    while (t[b] === null) b = (b + 1) & (n - 1);
    let len = 0;
    for (let e = t[b]; e !== null; e = e.next) len++;
    let e = t[b] as Entry;
    for (let k = Math.min(len - 1, Math.floor(rand() * len)); k > 0; k--) e = e.next as Entry;
    return e;
  }

  private inOld(hash: number): boolean {
    return this.old !== null && hash >>> (32 - this.oldBits) >= this.migrated;
  }

  private start(bits: number): void {
    this.old = this.main;
    this.oldBits = this.bits;
    this.oldCount = this.count;
    this.migrated = 0;
    this.main = emptyBuckets(bits);
    this.bits = bits;
  }

  /** Migrates up to MIGRATE_PER_OP non-empty old buckets (and skips at most 10x as many empty ones). */
  private step(): void {
    const old = this.old;
    if (old === null) return;
    let moved = 0;
    let empty = 0;
    while (this.migrated < old.length && moved < MIGRATE_PER_OP && empty < 10 * MIGRATE_PER_OP) {
      let e = old[this.migrated];
      if (e === null) empty++;
      else moved++;
      while (e !== null) {
        const next: Entry | null = e.next;
        this.push(this.main, this.bits, e);
        this.oldCount--;
        e = next;
      }
      old[this.migrated++] = null;
    }
    if (this.migrated === old.length) {
      this.old = null;
      this.oldCount = 0;
    }
  }

  private push(t: Array<Entry | null>, bits: number, e: Entry): void {
    const b = e.hash >>> (32 - bits);
    e.next = t[b];
    t[b] = e;
  }

  private pull(t: Array<Entry | null>, bits: number, e: Entry): void {
    const b = e.hash >>> (32 - bits);
    let p = t[b];
    if (p === e) {
      t[b] = e.next;
    } else {
      while (p !== null && p.next !== e) p = p.next;
      if (p !== null) p.next = e.next;
    }
    e.next = null;
  }
}

function emptyBuckets(bits: number): Array<Entry | null> {
  return new Array<Entry | null>(1 << bits).fill(null);
}

/** Pushes the entries of table `t` with hash in [pos, end) (pos and end are bucket boundaries of `t` or coarser). */
function collectEntries(t: Array<Entry | null>, bits: number, pos: number, end: number, out: Entry[]): void {
  const w = 2 ** (32 - bits);
  for (let i = Math.floor(pos / w); i * w < end; i++) for (let e = t[i]; e !== null; e = e.next) out.push(e);
}

function byHashThenKey(a: Entry, b: Entry): number {
  const ha = a.hash >>> 0;
  const hb = b.hash >>> 0;
  if (ha !== hb) return ha - hb;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Pushes the keys of table `t` with hash in [pos, end) (end is a bucket boundary of `t`). */
function collect(t: Array<Entry | null>, bits: number, pos: number, end: number, out: string[]): void {
  const w = 2 ** (32 - bits);
  for (let i = Math.floor(pos / w); i * w < end; i++) {
    for (let e = t[i]; e !== null; e = e.next) if (e.hash >>> 0 >= pos) out.push(e.key);
  }
}

/**
 * One numbered database.
 *
 * Versions (WATCH): a live key's version is the index of its last mutation. A
 * deleted key leaves a tombstone with the deleting index; when tombstones
 * overflow, the oldest half is dropped and the db's `floor` rises to the
 * highest dropped version, and a key with neither entry nor tombstone
 * reports `floor`. So a key deleted or created after a WATCH never reports
 * the watched version again (false aborts are possible, missed changes not).
 * FLUSHDB/SWAPDB raise the floor to their index. Versions, tombstones and
 * floors are part of the durable records, so a node restored from a
 * snapshot answers WATCH exactly like one that replayed the log.
 *
 * A key WATCHed while absent is judged differently (Redis: FLUSHALL only
 * touches keys that existed): it broke iff it exists now, or its tombstone
 * is newer than the applied index the watcher saw, or — its tombstone gone —
 * `writeFloor` is: the highest version of any entry or tombstone dropped
 * without a trace (flush, swap, tombstone compaction). writeFloor <= floor.
 */
export class Database {
  private expiresMap = new Map<string, number>();
  private tombstones = new Map<string, number>();
  private floor = 0;
  private writeFloor = 0;
  private table = new ScanTable();
  private bytes = 0;
  /** Sum of (deadline - TTL_BASE) over volatile keys, for avgTtl in O(1). */
  private ttlSum = 0;
  /** Leader-side cursor for expiredCandidates (not replicated state). */
  private expireCursor: Iterator<[string, number]> | undefined;

  constructor(
    readonly id: number,
    private readonly keyspace: Keyspace,
  ) {}

  // ------------------------------------------------------------- reading

  /** The value, or undefined when absent or past its deadline. Never mutates (any node may read). */
  lookupRead(key: string, now: number): Value | undefined {
    const e = this.table.get(key);
    if (e === undefined || isExpired(e, now)) return undefined;
    return unpack(e.value);
  }

  /**
   * For writes at apply time: deletes the key first if its deadline has
   * passed (deterministic, `now` is the entry's time) and returns the live value.
   */
  lookupWrite(key: string, now: number, index?: number): Value | undefined {
    const e = this.table.get(key);
    if (e === undefined) return undefined;
    if (isExpired(e, now)) {
      this.removeEntry(e, index ?? e.version);
      return undefined;
    }
    e.accessedAt = accessSeconds(now);
    return unpack(e.value);
  }

  /** A client read the key on this node at `now` (Redis's LRU clock update in lookupKey). */
  noteAccess(key: string, now: number): void {
    const e = this.table.get(key);
    if (e !== undefined) e.accessedAt = accessSeconds(now);
  }

  /** RESTORE IDLETIME: the key was last accessed at `ms` (entry time minus the idle time, so every node agrees). */
  setAccessedAt(key: string, ms: number): void {
    const e = this.table.get(key);
    if (e !== undefined) e.accessedAt = accessSeconds(Math.max(0, ms));
  }

  /** When this node last read or wrote the key (see Entry.accessedAt), or undefined if absent at `now`. */
  accessedAt(key: string, now: number): number | undefined {
    const e = this.table.get(key);
    if (e === undefined || isExpired(e, now)) return undefined;
    return e.accessedAt * 1000;
  }

  /** Bytes the key and its value are accounted for (maxmemory's measure), or undefined if absent at `now`. */
  memoryUsage(key: string, now: number): number | undefined {
    const e = this.table.get(key);
    if (e === undefined || isExpired(e, now)) return undefined;
    return entrySize(e.key, e.value, e.expireAt);
  }

  /** True if the key is still stored but past its deadline at `now` (a stale key awaiting deletion). */
  isStale(key: string, now: number): boolean {
    const e = this.table.get(key);
    return e !== undefined && isExpired(e, now);
  }

  /** Deadline in ms, or NO_EXPIRE (also for absent keys). Does not check expiry. Past 2^53 rounded: see getDeadline. */
  getExpire(key: string): number {
    const e = this.table.get(key);
    return e === undefined ? NO_EXPIRE : e.expireAt;
  }

  /** The exact deadline (what TTL replies, GT/LT and carrying a TTL along use), or NO_EXPIRE. */
  getDeadline(key: string): Deadline {
    const e = this.table.get(key);
    return e === undefined ? NO_EXPIRE : (e.exactExpire ?? e.expireAt);
  }

  /** Index of the key's last mutation (see the class comment); 0 if never written. */
  version(key: string): number {
    const e = this.table.get(key);
    if (e !== undefined) return e.version;
    return this.tombstones.get(key) ?? this.floor;
  }

  /** Number of keys, including expired ones not yet deleted (like Redis's DBSIZE). */
  size(): number {
    return this.table.count;
  }

  expiresCount(): number {
    return this.expiresMap.size;
  }

  /** Key -> deadline for keys with a TTL. */
  get expires(): ReadonlyMap<string, number> {
    return this.expiresMap;
  }

  /** Average remaining TTL in ms over volatile keys (0 when none), as INFO keyspace reports. */
  avgTtl(now: number): number {
    const n = this.expiresMap.size;
    if (n === 0) return 0;
    return Math.max(0, Math.round(this.ttlSum / n + TTL_BASE - now));
  }

  /** Estimated bytes held by this db (keys, values, fixed per-key overhead). */
  usedBytes(): number {
    return this.bytes;
  }

  /**
   * All keys (including expired-not-deleted); callers filter with lookupRead.
   * In hash order, the same on every node holding the same keys (KEYS in a
   * script at apply time sees the same order everywhere, restored or not).
   * Do not add or delete keys while iterating.
   */
  *keys(): Generator<string, void, undefined> {
    for (const e of this.table.entries()) yield e.key;
  }

  /**
   * One SCAN step from `cursor` (a position in 32-bit hash space, 0 = start).
   * Visits buckets until at least `count` keys are collected or `count * 10`
   * buckets were visited. Returns raw keys (callers filter expired/MATCH/TYPE)
   * and the next cursor (0 = done).
   */
  scan(cursor: number, count: number): { cursor: number; keys: string[] } {
    return this.table.scan(cursor, count);
  }

  /** A random key that has not expired at `now`, or null. `rand` returns [0, 1). */
  randomKey(now: number, rand: () => number): string | null {
    if (this.table.count === 0) return null;
    for (let attempt = 0; attempt < 100; attempt++) {
      const e = this.table.random(rand);
      if (e !== null && !isExpired(e, now)) return e.key;
    }
    // Nearly everything is expired: fall back to a linear search.
    for (const e of this.table.entries()) if (!isExpired(e, now)) return e.key;
    return null;
  }

  /**
   * Up to `max` keys whose deadline is <= now, for the leader to propose
   * deleting. Resumes where the previous call stopped and examines at most
   * `max * 20` volatile keys per call, so the cost is bounded however large
   * the keyspace is. A key may be returned again until its delete is applied.
   */
  expiredCandidates(now: number, max: number): string[] {
    const out: string[] = [];
    const limit = Math.min(this.expiresMap.size, Math.max(1, max) * 20);
    let wrapped = false;
    for (let examined = 0; examined < limit && out.length < max; ) {
      if (this.expireCursor === undefined) this.expireCursor = this.expiresMap.entries();
      const r = this.expireCursor.next();
      if (r.done) {
        this.expireCursor = undefined;
        if (wrapped) break;
        wrapped = true;
        continue;
      }
      examined++;
      if (r.value[1] <= now) out.push(r.value[0]);
    }
    return out;
  }

  // ------------------------------------------------------------- writing

  /**
   * Deletes the key if its deadline is <= now (the leader's proposed expiry,
   * applied at the entry's time: a key re-set meanwhile survives).
   */
  deleteIfExpired(key: string, now: number, index?: number): boolean {
    const e = this.table.get(key);
    if (e === undefined || !isExpired(e, now)) return false;
    this.removeEntry(e, index ?? e.version);
    return true;
  }

  /** Creates or replaces the value. The TTL is cleared unless keepTtl. */
  set(key: string, value: Value, index: number, keepTtl = false): void {
    const e = this.table.get(key);
    if (e === undefined) {
      this.insert(key, pack(value), NO_EXPIRE, index);
      return;
    }
    const before = accountedSize(e);
    if (!keepTtl && e.expireAt !== NO_EXPIRE) this.clearDeadline(e);
    if (e.value !== value) {
      if (e.value instanceof Collection) this.keyspace.noteDropped(e.value);
      if (value instanceof Collection) this.keyspace.adopt(value);
    }
    e.value = pack(value);
    e.version = index;
    e.accessedAt = accessSeconds(this.keyspace.accessClock);
    this.resize(e, before);
  }

  /** Records an in-place change to the key's value (e.g. a mutated list) and its new size. */
  touched(key: string, index: number): void {
    const e = this.table.get(key);
    if (e === undefined) return;
    if (e.value instanceof Collection) this.keyspace.noteCollection(e.value);
    const before = accountedSize(e);
    e.version = index;
    e.accessedAt = accessSeconds(this.keyspace.accessClock);
    this.resize(e, before);
  }

  delete(key: string, index: number): boolean {
    const e = this.table.get(key);
    if (e === undefined) return false;
    this.removeEntry(e, index);
    return true;
  }

  /** Sets the deadline of an existing key; false if the key is absent. */
  setExpire(key: string, exact: Deadline, index: number): boolean {
    const e = this.table.get(key);
    if (e === undefined) return false;
    const before = accountedSize(e);
    if (e.expireAt !== NO_EXPIRE) this.ttlSum -= e.expireAt - TTL_BASE;
    const d = deadline(exact);
    const at = Number(d);
    e.expireAt = at;
    if (typeof d === 'bigint') e.exactExpire = d;
    else if (e.exactExpire !== undefined) e.exactExpire = undefined; // not `delete`: that turns the object into a slow dictionary
    this.expiresMap.set(key, at);
    this.ttlSum += at - TTL_BASE;
    e.version = index;
    e.accessedAt = accessSeconds(this.keyspace.accessClock);
    this.resize(e, before);
    return true;
  }

  /** Removes the deadline; true if there was one. */
  removeExpire(key: string, index: number): boolean {
    const e = this.table.get(key);
    if (e === undefined || e.expireAt === NO_EXPIRE) return false;
    const before = accountedSize(e);
    this.clearDeadline(e);
    e.version = index;
    e.accessedAt = accessSeconds(this.keyspace.accessClock);
    this.resize(e, before);
    return true;
  }

  /** FLUSHDB at log index `index`. */
  flush(index: number): void {
    this.writeFloor = Math.max(this.writeFloor, this.maxRecordVersion());
    for (const e of this.table.entries()) if (e.value instanceof Collection) this.keyspace.noteDropped(e.value);
    this.reset();
    this.floor = index;
    this.keyspace.noteFlush(this.id);
  }

  /** Empties the db without recording a change (restore from a snapshot starts here). */
  clear(): void {
    this.reset();
    this.floor = 0;
    this.writeFloor = 0;
  }

  /**
   * SWAPDB: exchanges the contents of two dbs (the Database objects stay, so
   * connections holding one keep their number). Every key in both reports
   * `index` as its version afterwards.
   */
  swapWith(other: Database, index: number): void {
    if (other === this) return;
    // Keys leave both dbs without a tombstone: whatever either held is dropped.
    const dropped = Math.max(this.writeFloor, other.writeFloor, this.maxRecordVersion(), other.maxRecordVersion());
    const a = this.state();
    this.load(other.state());
    other.load(a);
    for (const db of [this, other]) {
      db.tombstones.clear();
      db.floor = index;
      db.writeFloor = dropped;
      for (const e of db.table.entries()) e.version = index;
      db.keyspace.noteFlush(db.id);
      for (const e of db.table.entries()) db.keyspace.noteKey(db.id, e.key);
    }
  }

  // ------------------------------------------------------------ restoring

  /** Restores a live key exactly as recorded (no change is recorded). */
  restoreEntry(key: string, value: Value, expireAt: Deadline, version: number): void {
    const old = this.table.get(key);
    if (old !== undefined) this.unindex(old);
    this.tombstones.delete(key);
    this.insertRaw(key, pack(value), expireAt, version, 0);
  }

  restoreTombstone(key: string, version: number): void {
    if (this.table.get(key) === undefined) this.tombstones.set(key, version);
  }

  /** Recomputes every entry's size (after a restore filled collections in place). */
  refreshSizes(): void {
    let bytes = 0;
    for (const e of this.table.entries()) {
      if (e.value instanceof Collection) e.value.accounted = e.value.bytes;
      bytes += accountedSize(e);
    }
    this.bytes = bytes;
  }

  /** The version reported for keys with neither entry nor tombstone. */
  get versionFloor(): number {
    return this.floor;
  }

  set versionFloor(v: number) {
    this.floor = v;
  }

  /** See the class comment; restored from the meta record (older records: the floor). */
  get droppedFloor(): number {
    return this.writeFloor;
  }

  set droppedFloor(v: number) {
    this.writeFloor = v;
  }

  /**
   * WATCH of a key that was absent when the watcher's node had applied
   * `seenIndex`: has the key been written since? (See the class comment.)
   */
  writtenSinceAbsent(key: string, seenIndex: number): boolean {
    if (this.table.get(key) !== undefined) return true;
    const t = this.tombstones.get(key);
    return t !== undefined ? t > seenIndex : this.writeFloor > seenIndex;
  }

  /** Tombstone version of an absent key, if one is kept. */
  tombstone(key: string): number | undefined {
    return this.tombstones.get(key);
  }

  /** For encodeRecord: the live entry's raw fields (expired or not). */
  rawEntry(key: string): Readonly<{ value: Stored; expireAt: number; exactExpire?: bigint; version: number }> | undefined {
    return this.table.get(key);
  }

  // ------------------------------------------------------------- internals

  private insert(key: string, value: Stored, expireAt: number, index: number): void {
    if (value instanceof Collection) this.keyspace.adopt(value);
    this.tombstones.delete(key);
    this.insertRaw(key, value, expireAt, index, this.keyspace.accessClock);
    this.keyspace.noteKey(this.id, key);
  }

  private insertRaw(key: string, value: Stored, exact: Deadline, version: number, accessedAt: number): void {
    const d = deadline(exact);
    const expireAt = Number(d);
    const e: Entry = {
      key,
      hash: hashKey(key) | 0,
      value,
      version,
      expireAt,
      accessedAt: accessSeconds(accessedAt),
      next: null,
    };
    if (typeof d === 'bigint') e.exactExpire = d;
    if (expireAt !== NO_EXPIRE) {
      this.expiresMap.set(key, expireAt);
      this.ttlSum += expireAt - TTL_BASE;
    }
    if (value instanceof Collection) value.accounted = value.bytes;
    this.bytes += accountedSize(e);
    this.table.add(e);
  }

  /** Removes the entry from every index, leaving a tombstone at `version`. */
  private removeEntry(e: Entry, version: number): void {
    if (e.value instanceof Collection) this.keyspace.noteDropped(e.value);
    this.unindex(e);
    this.tombstones.set(e.key, version);
    if (this.tombstones.size > MAX_TOMBSTONES) this.compactTombstones();
    this.keyspace.noteKey(this.id, e.key);
  }

  private unindex(e: Entry): void {
    if (e.expireAt !== NO_EXPIRE) {
      this.expiresMap.delete(e.key);
      this.ttlSum -= e.expireAt - TTL_BASE;
      if (this.expiresMap.size === 0) this.ttlSum = 0;
    }
    this.bytes -= accountedSize(e);
    this.table.remove(e);
  }

  private clearDeadline(e: Entry): void {
    this.expiresMap.delete(e.key);
    this.ttlSum -= e.expireAt - TTL_BASE;
    if (this.expiresMap.size === 0) this.ttlSum = 0;
    e.expireAt = NO_EXPIRE;
    if (e.exactExpire !== undefined) e.exactExpire = undefined;
  }

  /** Accounts the entry's new size after a change (it added `before` until now) and records the key as changed. */
  private resize(e: Entry, before: number): void {
    if (e.value instanceof Collection) e.value.accounted = e.value.bytes;
    this.bytes += accountedSize(e) - before;
    this.keyspace.noteKey(this.id, e.key);
  }

  /**
   * Drops the older half of the tombstones (by version, so the choice depends
   * only on the set, not on insertion order, and a restored node drops the
   * same ones) and raises the floor to the highest dropped version.
   */
  private compactTombstones(): void {
    const versions = Float64Array.from(this.tombstones.values()).sort();
    const cut = versions[versions.length >>> 1];
    for (const [k, v] of this.tombstones) {
      if (v <= cut) {
        this.tombstones.delete(k);
        this.keyspace.noteKey(this.id, k);
      }
    }
    if (cut > this.floor) this.floor = cut;
    if (cut > this.writeFloor) this.writeFloor = cut;
    this.keyspace.noteMeta();
  }

  /** Highest version among entries and tombstones (O(n); flush and swap are O(n) in Redis too). */
  private maxRecordVersion(): number {
    let max = 0;
    for (const e of this.table.entries()) if (e.version > max) max = e.version;
    for (const v of this.tombstones.values()) if (v > max) max = v;
    return max;
  }

  private reset(): void {
    this.expiresMap = new Map();
    this.tombstones = new Map();
    this.table = new ScanTable();
    this.bytes = 0;
    this.ttlSum = 0;
    this.expireCursor = undefined;
  }

  private state(): DbState {
    return {
      expiresMap: this.expiresMap,
      tombstones: this.tombstones,
      floor: this.floor,
      table: this.table,
      bytes: this.bytes,
      ttlSum: this.ttlSum,
    };
  }

  private load(s: DbState): void {
    this.expiresMap = s.expiresMap;
    this.tombstones = s.tombstones;
    this.floor = s.floor;
    this.table = s.table;
    this.bytes = s.bytes;
    this.ttlSum = s.ttlSum;
    this.expireCursor = undefined;
  }
}

/** Element record deletes per drain of the durable copy (see drainElementRecords). */
const GARBAGE_PER_DRAIN = 100_000;

/** Deadlines are summed relative to this (about 2023) to keep the float sum small. */
const TTL_BASE = 1.7e12;

interface DbState {
  expiresMap: Map<string, number>;
  tombstones: Map<string, number>;
  floor: number;
  table: ScanTable;
  bytes: number;
  ttlSum: number;
}

// Record layout: see records.ts (the one owner of it).

/** The 16 (by default) numbered databases, change tracking and record encoding. */
export class Keyspace {
  readonly dbs: Database[];
  /** When true, mutations are remembered until drainChanges() (the durable copy turns it on). */
  trackChanges = false;
  /** Time of the entry being applied (the state machine sets it): what writes record in Entry.accessedAt. */
  accessClock = 0;
  private readonly changed: Array<Set<string>>;
  private marks: KeyspaceChange[] = [];
  private metaChanged = false;
  /** Distributed locks (server/locks.ts): replicated state, like the keys. */
  readonly locks = new LockTable(() => this.trackChanges);
  /** Told of every key changed and every flush (client-side caching invalidations: server/tracking.ts). */
  observer: { keyChanged(key: string): void; flushed(): void } | undefined;
  /** ACL users (server/acl/table.ts): replicated state, like the keys. */
  readonly acl = new AclTable(() => this.trackChanges);
  /** Function libraries (FUNCTION LOAD): replicated state, like the script cache. */
  readonly functions = new FunctionTable(() => this.trackChanges);
  /** Lua scripts by lower-case SHA1 hex: replicated state, like the keys. */
  private readonly scripts = new Map<string, Buffer>();
  private readonly changedScripts = new Set<string>();
  /** Next collection id (replicated: assigned at apply time, kept in the meta record). */
  private nextCollectionId = 1;
  /** Collections with element records pending since the last drain. */
  private dirtyCollections = new Set<Collection>();
  /** Collections whose key was deleted or overwritten: their element records are deleted at the next drain. */
  private droppedCollections: Collection[] = [];
  /** During a restore: collections by id, and element records that arrived before their key record. */
  private restoring = new Map<number, Collection>();
  private orphanElements = new Map<number, Array<[string, Buffer]>>();
  /** Store keys of element records to delete (not in-memory state: kept across dropChanges). */
  private garbage: Buffer[] = [];

  constructor(dbCount = 16) {
    if (!(dbCount >= 1 && dbCount < SCRIPT_DB)) throw new RangeError(`database count must be 1..${SCRIPT_DB - 1}`);
    this.dbs = [];
    this.changed = [];
    for (let i = 0; i < dbCount; i++) {
      this.dbs.push(new Database(i, this));
      this.changed.push(new Set());
    }
  }

  /** Estimated memory held by all keys and values (INFO used_memory, maxmemory). */
  get usedBytes(): number {
    let n = 0;
    for (const db of this.dbs) n += db.usedBytes();
    return n;
  }

  /** Total keys over all dbs. */
  size(): number {
    let n = 0;
    for (const db of this.dbs) n += db.size();
    return n;
  }

  /** Empties every db and the script cache without recording changes (before a restore). */
  clear(): void {
    // A snapshot is about to replace everything: clients caching keys must drop them all.
    if (this.observer !== undefined) this.observer.flushed();
    for (const db of this.dbs) db.clear();
    this.scripts.clear();
    this.locks.clear();
    this.acl.clear();
    this.functions.clear();
    this.nextCollectionId = 1;
    this.garbage = [];
    this.restoring.clear();
    this.orphanElements.clear();
    this.dropChanges();
  }

  // ---------------------------------------------------------- collections

  /** @internal A collection is stored under a key: give it an id the first time (deterministic: apply order). */
  adopt(c: Collection): void {
    if (c.id === 0) {
      c.id = this.nextCollectionId++;
      this.noteMeta();
    }
    this.noteCollection(c);
  }

  /** @internal A stored collection changed: drain its element records (or forget them when nothing persists). */
  noteCollection(c: Collection): void {
    if (this.trackChanges) this.dirtyCollections.add(c);
    else c.clearDirty();
  }

  /** @internal The key holding this collection was deleted or overwritten. */
  noteDropped(c: Collection): void {
    if (!this.trackChanges) return;
    this.dirtyCollections.delete(c);
    this.droppedCollections.push(c);
  }

  /**
   * Element record changes since the last call, as store records (key,
   * value or null = delete): records of dropped collections are deleted,
   * changed elements of live ones written. Call after encoding drainChanges().
   */
  drainElementRecords(sink: (key: Buffer, value: Buffer | null) => void): void {
    for (const c of this.liveForDrain()) c.drainRecords((sub, value) => sink(elementRecordKey(c.id, sub), value));
    this.drainGarbage(sink);
  }

  /**
   * drainElementRecords, calling `nextTurn` whenever about `maxBytesPerTurn`
   * of record values were emitted (a collection drains in steps:
   * Collection.drainRecordsSome). The caller keeps the keyspace still until
   * it resolves.
   */
  async drainElementRecordsInTurns(sink: (key: Buffer, value: Buffer | null) => void, maxBytesPerTurn: number, nextTurn: () => Promise<void>): Promise<void> {
    let bytes = 0;
    for (const c of this.liveForDrain()) {
      const put = (sub: string, value: Buffer | null) => {
        bytes += value?.length ?? 0;
        sink(elementRecordKey(c.id, sub), value);
      };
      while (!c.drainRecordsSome(put, Math.max(1, maxBytesPerTurn - bytes))) {
        await nextTurn();
        bytes = 0;
      }
      if (bytes >= maxBytesPerTurn) {
        await nextTurn();
        bytes = 0;
      }
    }
    this.drainGarbage(sink);
  }

  /** The collections whose records changed; dropped ones' records are queued as garbage. */
  private liveForDrain(): Set<Collection> {
    const dropped = this.droppedCollections;
    this.droppedCollections = [];
    const live = new Set<Collection>();
    for (const c of this.dirtyCollections) live.add(c);
    this.dirtyCollections = new Set();
    for (const c of dropped) {
      // A dropped collection may have been stored again (RENAME puts it back under another key).
      if (live.has(c)) continue;
      c.forEachRecordKey((sub) => this.garbage.push(elementRecordKey(c.id, sub)));
      c.clearDirty();
    }
    return live;
  }

  private drainGarbage(sink: (key: Buffer, value: Buffer | null) => void): void {
    // Deleting a huge collection's records is spread over several flushes, so
    // no single transaction stalls the node. Until then they are orphans: a
    // restore ignores them and queues them here again (finishRestore).
    const n = Math.min(this.garbage.length, GARBAGE_PER_DRAIN);
    for (let i = 0; i < n; i++) sink(this.garbage[i], null);
    this.garbage = n === this.garbage.length ? [] : this.garbage.slice(n);
  }

  /** Element records of deleted collections still to be removed from the store. */
  get pendingGarbage(): number {
    return this.garbage.length;
  }

  /** After every record of a restore was applied: attach early element records, let collections order themselves. */
  finishRestore(): void {
    for (const [id, list] of this.orphanElements) {
      const c = this.restoring.get(id);
      if (c === undefined) {
        // Elements of a collection whose key is gone (its deletion was under way): remove them.
        for (const [sub] of list) this.garbage.push(elementRecordKey(id, sub));
        continue;
      }
      for (const [sub, value] of list) c.restoreRecord(sub, value);
    }
    for (const c of this.restoring.values()) c.finishRestore();
    for (const db of this.dbs) db.refreshSizes();
    this.restoring.clear();
    this.orphanElements.clear();
  }

  // ------------------------------------------------------- script cache

  /** The body of a cached script, by lower-case SHA1 hex. */
  getScript(sha: string): Buffer | undefined {
    return this.scripts.get(sha);
  }

  hasScript(sha: string): boolean {
    return this.scripts.has(sha);
  }

  /** Caches a script (EVAL, SCRIPT LOAD at apply time). The body is kept as given: callers pass a copy they own. */
  addScript(sha: string, body: Buffer): void {
    if (this.scripts.has(sha)) return;
    this.scripts.set(sha, body);
    if (this.trackChanges) this.changedScripts.add(sha);
  }

  /** SCRIPT FLUSH. */
  flushScripts(): void {
    if (this.trackChanges) for (const sha of this.scripts.keys()) this.changedScripts.add(sha);
    this.scripts.clear();
  }

  get scriptCount(): number {
    return this.scripts.size;
  }

  /** Bytes of cached script bodies (INFO used_memory_scripts). */
  get scriptBytes(): number {
    let n = 0;
    for (const b of this.scripts.values()) n += b.length;
    return n;
  }

  /** FLUSHALL at log index `index`. */
  flushAll(index: number): void {
    const tracking = this.trackChanges;
    if (tracking) {
      // Element records are found by collection id, not by db: name them before the dbs forget them.
      for (const db of this.dbs) {
        for (const key of db.keys()) {
          const v = db.rawEntry(key)?.value;
          if (v instanceof Collection) this.noteDropped(v);
        }
      }
    }
    this.trackChanges = false;
    for (const db of this.dbs) db.flush(index);
    this.trackChanges = tracking;
    if (tracking) {
      // Only the numbered dbs are flushed: their pending key changes are replaced by the
      // flushAll mark (it deletes their records). Pending changes of what FLUSHALL keeps
      // (scripts, functions, locks, ACL users) stay pending: dropping them lost a lock
      // granted or a SCRIPT FLUSH just before a FLUSHALL from the durable copy.
      for (const c of this.dirtyCollections) c.clearDirty();
      this.dirtyCollections = new Set();
      for (const set of this.changed) set.clear();
      this.marks = [{ flushAll: true }];
      this.metaChanged = true;
    }
  }

  swapDb(a: number, b: number, index: number): void {
    this.dbs[a].swapWith(this.dbs[b], index);
  }

  /**
   * Changes since the last call, deduplicated: flush markers first (keys
   * touched before a flush of their db are dropped), then keys, then the
   * meta pseudo-key if the floors changed, then cached scripts (SCRIPT_DB).
   */
  drainChanges(): KeyspaceChange[] {
    const out: KeyspaceChange[] = this.marks;
    this.marks = [];
    this.changed.forEach((set, db) => {
      for (const key of set) out.push({ db, key });
      set.clear();
    });
    if (this.metaChanged) out.push({ db: META_DB, key: '' });
    this.metaChanged = false;
    for (const sha of this.changedScripts) out.push({ db: SCRIPT_DB, key: sha });
    this.changedScripts.clear();
    for (const name of this.locks.drainChanged()) out.push({ db: LOCK_DB, key: name });
    for (const name of this.acl.drainChanged()) out.push({ db: ACL_DB, key: name });
    for (const name of this.functions.drainChanged()) out.push({ db: FUNCTION_DB, key: name });
    return out;
  }

  /** @internal called by Database */
  noteKey(db: number, key: string): void {
    if (this.trackChanges) this.changed[db].add(key);
    if (this.observer !== undefined) this.observer.keyChanged(key);
  }

  /** @internal called by Database */
  noteFlush(db: number): void {
    if (this.observer !== undefined) this.observer.flushed();
    if (!this.trackChanges) return;
    this.changed[db].clear();
    this.marks.push({ flushDb: db });
    this.metaChanged = true;
  }

  /** @internal called by Database */
  noteMeta(): void {
    if (this.trackChanges) this.metaChanged = true;
  }

  /**
   * The record for one key: its value, a tombstone, or null when neither is
   * kept. With `deferFrom`, a string value at least that long is not copied:
   * `fill` says which bytes go where in `value`, for the caller to copy (in
   * slices, between event-loop turns, while the keyspace holds still).
   */
  encodeRecord(db: number, key: string, deferFrom = Infinity): { key: Buffer; value: Buffer; fill?: { from: Buffer; at: number } } | null {
    if (db === META_DB) return this.encodeMeta();
    if (db === SCRIPT_DB) return this.encodeScript(key);
    if (db === LOCK_DB) return this.locks.encodeRecord(key);
    if (db === ACL_DB) return this.acl.encodeRecord(key);
    if (db === FUNCTION_DB) return this.functions.encodeRecord(key);
    const d = this.dbs[db];
    if (d === undefined) return null;
    const rkey = keyRecordKey(db, key);
    const e = d.rawEntry(key);
    if (e !== undefined) {
      const v = unpack(e.value);
      if (v.type === 'string') {
        const value = keyRecordValue(TYPE_STRING, e.exactExpire ?? e.expireAt, e.version, v.length);
        const d = v.data;
        if (v.length >= deferFrom && typeof d !== 'string') return { key: rkey, value, fill: { from: d, at: value.length - v.length } };
        v.writeTo(value, value.length - v.length);
        return { key: rkey, value };
      }
      const value = keyRecordValue(TYPE_CODES[v.type], e.exactExpire ?? e.expireAt, e.version, 8);
      value.writeDoubleBE(v.id, value.length - 8);
      return { key: rkey, value };
    }
    const t = d.tombstone(key);
    if (t === undefined) return null;
    return { key: rkey, value: keyRecordValue(TYPE_TOMBSTONE, NO_EXPIRE, t, 0) };
  }

  /** Restores one record written by encodeRecord (into a cleared keyspace). Copies the bytes. */
  applyRecord(recordKey: Buffer, recordValue: Buffer, keyStart = 0): void {
    const k0 = keyStart;
    if (recordKey.length <= k0) throw new RangeError('empty record key');
    if (recordKey[k0] === META_DB) {
      const n = Math.min(recordValue[0] ?? 0, this.dbs.length);
      const count = recordValue[0] ?? 0;
      const hasDropped = recordValue.length >= 1 + 16 * count;
      for (let i = 0; i < n; i++) {
        const floor = recordValue.readDoubleBE(1 + 8 * i);
        this.dbs[i].versionFloor = floor;
        this.dbs[i].droppedFloor = hasDropped ? recordValue.readDoubleBE(1 + 8 * (count + i)) : floor;
      }
      // Older records end after the floors; collection ids then restart above those restored.
      if (recordValue.length >= 1 + 16 * count + 8) {
        this.nextCollectionId = Math.max(this.nextCollectionId, recordValue.readDoubleBE(1 + 16 * count));
      }
      return;
    }
    if (recordKey[k0] === SCRIPT_DB) {
      this.scripts.set(recordKey.toString('latin1', k0 + 1), Buffer.from(recordValue));
      return;
    }
    if (recordKey[k0] === LOCK_DB) {
      this.locks.applyRecord(k0 === 0 ? recordKey : recordKey.subarray(k0), recordValue);
      return;
    }
    if (recordKey[k0] === ACL_DB) {
      this.acl.applyRecord(k0 === 0 ? recordKey : recordKey.subarray(k0), recordValue);
      return;
    }
    if (recordKey[k0] === FUNCTION_DB) {
      this.functions.applyRecord(k0 === 0 ? recordKey : recordKey.subarray(k0), recordValue);
      return;
    }
    if (recordKey[k0] === ELEMENT_DB) {
      const { id, subkey } = decodeElementRecordKey(recordKey, k0);
      // Not copied: collections read what they need out of it (restoreRecord keeps no Buffer).
      const value = recordValue;
      const c = this.restoring.get(id);
      if (c !== undefined) c.restoreRecord(subkey, value);
      else {
        let list = this.orphanElements.get(id);
        if (list === undefined) this.orphanElements.set(id, (list = []));
        list.push([subkey, value]);
      }
      return;
    }
    const db = this.dbs[recordKey[k0]];
    if (db === undefined) throw new RangeError(`record for db ${recordKey[k0]} out of range`);
    const { type, expireAt, version, payload } = decodeKeyRecord(recordValue);
    const key = recordKey.toString('latin1', k0 + 1);
    if (type === TYPE_TOMBSTONE) {
      db.restoreTombstone(key, version);
      return;
    }
    if (type === TYPE_STRING) {
      db.restoreEntry(key, copiedString(payload), expireAt, version);
      return;
    }
    const c = createCollection(type);
    if (c === undefined || payload.length < 8) throw new RangeError(`unknown record type ${type}`);
    c.id = payload.readDoubleBE(0);
    if (c.id >= this.nextCollectionId) this.nextCollectionId = c.id + 1;
    this.restoring.set(c.id, c);
    db.restoreEntry(key, c, expireAt, version);
  }

  private encodeMeta(): { key: Buffer; value: Buffer } {
    const n = this.dbs.length;
    const value = Buffer.allocUnsafe(1 + 16 * n + 8);
    value[0] = n;
    this.dbs.forEach((d, i) => {
      value.writeDoubleBE(d.versionFloor, 1 + 8 * i);
      value.writeDoubleBE(d.droppedFloor, 1 + 8 * (n + i));
    });
    value.writeDoubleBE(this.nextCollectionId, 1 + 16 * n);
    return { key: Buffer.from([META_DB]), value };
  }

  /** Script record: key [SCRIPT_DB][sha hex], value the script body. */
  private encodeScript(sha: string): { key: Buffer; value: Buffer } | null {
    const body = this.scripts.get(sha);
    if (body === undefined) return null;
    const key = Buffer.allocUnsafe(1 + sha.length);
    key[0] = SCRIPT_DB;
    key.write(sha, 1, 'latin1');
    return { key, value: Buffer.from(body) };
  }

  /** Forget every pending change (the store was just reloaded). */
  dropChanges(): void {
    for (const c of this.dirtyCollections) c.clearDirty();
    this.dirtyCollections = new Set();
    this.droppedCollections = [];
    for (const s of this.changed) s.clear();
    this.marks = [];
    this.metaChanged = false;
    this.changedScripts.clear();
    this.locks.drainChanged();
    this.acl.drainChanged();
    this.functions.drainChanged();
  }
}
