/**
 * The stream type (Redis's t_stream.c data side): entries in blocks
 * (stream-block.ts) kept in id order, the stream's metadata (last id,
 * max deleted id, entries added) and its consumer groups with their pending
 * entries lists (PEL) and consumers.
 *
 * Unlike other collections a stream may be empty and still exist (XADD
 * MAXLEN 0, XTRIM, XDEL, XGROUP CREATE MKSTREAM): commands store it with
 * db.set / db.touched, never the helpers that delete an emptied collection.
 *
 * Element records (sub-keys, so one change rewrites one small record):
 *   'b' + id key of the block's first entry  a block: [Redis listpack size u32][block bytes]
 *   'm'                                       [last id][max deleted id][entries added u64]
 *   'g' + group                               [last delivered id][entries read i64, -1 = unknown]
 *   'c' + [group length u32] group consumer   [seen time f64][active time f64]
 *   'p' + [group length u32] group id key     [delivery time f64][delivery count f64][consumer]
 * An XADD rewrites the last block's record and 'm'; trimming from the front
 * deletes whole block records; XREADGROUP writes one 'p' record per entry
 * delivered, 'g' and its consumer's 'c'.
 */
import { Collection, registerCollection, type RecordSink } from './object';
import { BlockWalker, StreamBlock, type StreamEntry } from './stream-block';
import { compareIds, idFromKey, idKey, MIN_ID, readId, writeId, type StreamId } from './stream-id';

export type { StreamEntry } from './stream-block';

/** Accounting (Collection.bytes): per stream, per block, per group, per consumer, per pending entry. */
const STREAM_OVERHEAD = 200;
const BLOCK_OVERHEAD = 160;
const GROUP_OVERHEAD = 200;
const CONSUMER_OVERHEAD = 120;
const PENDING_OVERHEAD = 120;

const lastWalker = new BlockWalker();

/** Redis's SCG_INVALID_ENTRIES_READ. */
export const ENTRIES_READ_UNKNOWN = -1n;

/** Keys kept in sorted order with a value each (a PEL: id key -> entry). */
export class SortedIdMap<T> {
  private keys: string[] = [];
  private map = new Map<string, T>();

  get size(): number {
    return this.keys.length;
  }

  get(k: string): T | undefined {
    return this.map.get(k);
  }

  set(k: string, v: T): void {
    if (!this.map.has(k)) {
      const n = this.keys.length;
      if (n === 0 || this.keys[n - 1] < k) this.keys.push(k);
      else this.keys.splice(this.lowerBound(k), 0, k);
    }
    this.map.set(k, v);
  }

  delete(k: string): boolean {
    if (!this.map.delete(k)) return false;
    const i = this.lowerBound(k);
    if (i === 0) this.keys.shift();
    else this.keys.splice(i, 1);
    return true;
  }

  /** Index of the first key >= k. */
  private lowerBound(k: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.keys[mid] < k) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Values with keys in [from, to] in order (reverse: from `to` down), at most `count` (0 = all). */
  *range(from: string, to: string): IterableIterator<T> {
    for (let i = this.lowerBound(from); i < this.keys.length && this.keys[i] <= to; i++) yield this.map.get(this.keys[i])!;
  }

  first(): T | undefined {
    return this.keys.length === 0 ? undefined : this.map.get(this.keys[0]);
  }

  last(): T | undefined {
    return this.keys.length === 0 ? undefined : this.map.get(this.keys[this.keys.length - 1]);
  }

  values(): IterableIterator<T> {
    return this.range('', '\uffff');
  }
}

export interface PendingEntry {
  readonly id: StreamId;
  readonly key: string;
  consumer: Consumer;
  deliveryTime: number;
  deliveryCount: number;
}

export class Consumer {
  readonly pel = new SortedIdMap<PendingEntry>();
  constructor(
    readonly name: string,
    /** Last time it was seen (Redis seen_time). */
    public seenTime: number,
    /** Last successful read or claim (Redis 7.2 active_time; -1 = never). */
    public activeTime: number,
  ) {}
}

export class ConsumerGroup {
  readonly pel = new SortedIdMap<PendingEntry>();
  readonly consumers = new Map<string, Consumer>();
  constructor(
    readonly name: string,
    public lastId: StreamId,
    /** Redis entries_read; ENTRIES_READ_UNKNOWN when it cannot be known. */
    public entriesRead: bigint,
  ) {}

  /** Consumers by name (Redis keeps them in a rax). */
  sortedConsumers(): Consumer[] {
    return [...this.consumers.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

function groupPrefix(group: string): string {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(group.length, 0);
  return b.toString('latin1') + group;
}

/** Where to trim (XADD / XTRIM MAXLEN or MINID). */
export interface TrimSpec {
  maxlen?: number;
  minid?: StreamId;
  approx: boolean;
  /** Most entries removed (0 = no limit). */
  limit: number;
}

export class StreamValue extends Collection {
  readonly type = 'stream' as const;
  private blocks: StreamBlock[] = [];
  private len = 0;
  lastId: StreamId = MIN_ID;
  maxDeletedId: StreamId = MIN_ID;
  entriesAdded = 0n;
  readonly groups = new Map<string, ConsumerGroup>();

  private dirtyBlocks = new Set<StreamBlock>();
  private deletedBlocks = new Set<string>();
  /** Sub-keys of meta / group / consumer / pending records to rewrite (or delete) at the next drain. */
  private dirtyKeys = new Set<string>();
  /** Records read by restoreRecord, built in finishRestore (groups before their consumers and PELs). */
  private restored: Array<[string, Buffer]> = [];

  constructor() {
    super();
    this.bytes = STREAM_OVERHEAD;
    this.dirtyKeys.add('m');
  }

  get length(): number {
    return this.len;
  }

  /** Entry ids in order (generic tools: SORT refuses streams before this is read). */
  *elements(): IterableIterator<string> {
    for (const e of this.range(MIN_ID, { ms: 0xffffffffffffffffn, seq: 0xffffffffffffffffn }, 0, false)) yield `${e.id.ms}-${e.id.seq}`;
  }

  encoding(): string {
    return 'stream';
  }

  get blockCount(): number {
    return this.blocks.length;
  }

  /**
   * XINFO's radix-tree-keys / radix-tree-nodes: the blocks, and the nodes a
   * fully compressed radix tree (Redis's rax) over their 16-byte ids has:
   * the root, each key, each branching prefix and each prefix one byte past
   * a branch.
   */
  raxStats(): { keys: number; nodes: number } {
    const keys = this.blocks.map((b) => idKey(b.base));
    const nodes = new Set<string>(['']);
    for (let i = 0; i < keys.length; i++) {
      nodes.add(keys[i]);
      if (i === 0) continue;
      const a = keys[i - 1];
      const b = keys[i];
      let l = 0;
      while (l < a.length && a[l] === b[l]) l++;
      nodes.add(a.slice(0, l));
      nodes.add(a.slice(0, l + 1));
      nodes.add(b.slice(0, l + 1));
    }
    return { keys: keys.length, nodes: nodes.size };
  }

  // ------------------------------------------------------------ entries

  /** Appends an entry whose id is greater than lastId. */
  add(id: StreamId, pairs: Buffer[]): void {
    let b = this.blocks[this.blocks.length - 1];
    if (b === undefined || !b.accepts(pairs)) {
      if (b !== undefined) this.resized(b, () => b!.seal());
      b = StreamBlock.create(id, pairs);
      this.blocks.push(b);
      this.bytes += BLOCK_OVERHEAD + b.memoryBytes;
    }
    const blk = b;
    this.resized(blk, () => blk.append(id, pairs));
    this.dirtyBlocks.add(blk);
    this.len++;
    this.entriesAdded++;
    this.lastId = id;
    this.dirtyKeys.add('m');
  }

  /**
   * RESTORE: appends one whole node as Redis serialized it (its master
   * fields, then its entries, deleted ones included) as a block after the
   * existing ones, built by the same appends XADD makes; ids are the
   * caller's to check (none below `base`, bases increasing from block to
   * block). The metadata (lastId, entriesAdded, ...) is the caller's to set.
   */
  restoreNode(base: StreamId, masterFields: Buffer[], entries: ReadonlyArray<{ id: StreamId; pairs: Buffer[]; deleted: boolean }>): void {
    const prev = this.blocks[this.blocks.length - 1];
    if (prev !== undefined) this.resized(prev, () => prev.seal());
    const b = StreamBlock.create(base, masterFields.flatMap((f) => [f, f]));
    this.blocks.push(b);
    this.bytes += BLOCK_OVERHEAD + b.memoryBytes;
    for (const e of entries) this.resized(b, () => b.append(e.id, e.pairs, e.deleted));
    this.len += b.live;
    this.dirtyBlocks.add(b);
    this.dirtyKeys.add('m');
  }

  /** The blocks in id order (DUMP writes one RDB node per block). */
  nodes(): readonly StreamBlock[] {
    return this.blocks;
  }

  private resized(b: StreamBlock, fn: () => void): void {
    const before = b.memoryBytes;
    fn();
    this.bytes += b.memoryBytes - before;
  }

  /** Index (in nodes()) of the last block whose base is <= id (0 when none). */
  blockFor(id: StreamId): number {
    let lo = 0;
    let hi = this.blocks.length - 1;
    let ans = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (compareIds(this.blocks[mid].base, id) <= 0) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  /** Live entries with start <= id <= end, in order (reverse: from end down), at most `count` (0 = all). */
  range(start: StreamId, end: StreamId, count: number, reverse: boolean): StreamEntry[] {
    const out: StreamEntry[] = [];
    if (this.blocks.length === 0 || compareIds(start, end) > 0) return out;
    if (!reverse) {
      for (let bi = this.blockFor(start); bi < this.blocks.length; bi++) {
        const b = this.blocks[bi];
        if (compareIds(b.base, end) > 0) break;
        if (b.live === 0 || compareIds(b.last, start) < 0) continue;
        let done = false;
        // Deleted entries are skipped before any comparison: after XSETID lowered the last id, a
        // deleted entry may have a greater id than live ones after it (Redis's iterator does the same).
        b.forEach((id, deleted, off) => {
          if (deleted) return true;
          if (compareIds(id, end) > 0) return !(done = true);
          if (compareIds(id, start) < 0) return true;
          out.push({ id, pairs: b.pairsAt(off) });
          if (count > 0 && out.length >= count) return !(done = true);
          return true;
        });
        if (done) break;
      }
      return out;
    }
    for (let bi = this.blockFor(end); bi >= 0; bi--) {
      const b = this.blocks[bi];
      if (compareIds(b.last, start) < 0) break;
      if (b.live === 0 || compareIds(b.base, end) > 0) continue;
      const here: Array<[StreamId, number]> = [];
      b.forEach((id, deleted, off) => {
        if (deleted) return true;
        if (compareIds(id, end) > 0) return false;
        if (compareIds(id, start) >= 0) here.push([id, off]);
        return true;
      });
      for (let i = here.length - 1; i >= 0; i--) {
        out.push({ id: here[i][0], pairs: b.pairsAt(here[i][1]) });
        if (count > 0 && out.length >= count) return out;
      }
    }
    return out;
  }

  /** The live entry with this id, or undefined. */
  get(id: StreamId): StreamEntry | undefined {
    return this.range(id, id, 1, false)[0];
  }

  /** First / last live entry. */
  first(): StreamEntry | undefined {
    return this.range(MIN_ID, { ms: 0xffffffffffffffffn, seq: 0xffffffffffffffffn }, 1, false)[0];
  }

  last(): StreamEntry | undefined {
    return this.range(MIN_ID, { ms: 0xffffffffffffffffn, seq: 0xffffffffffffffffn }, 1, true)[0];
  }

  /** Redis's first_id: the first live entry's id, 0-0 when empty. */
  firstId(): StreamId {
    return this.first()?.id ?? MIN_ID;
  }

  /**
   * Redis streamLastValidID: the last live entry's id, 0-0 when empty. (XREAD
   * asks for it on every call: a walk of the last live block without
   * collecting its entries, as last() does.)
   */
  lastValidId(): StreamId {
    for (let bi = this.blocks.length - 1; bi >= 0; bi--) {
      const b = this.blocks[bi];
      if (b.live === 0) continue;
      const w = lastWalker;
      b.walk(w);
      let off = -1;
      while (w.next()) if (!w.deleted) off = w.entryOff;
      if (off < 0) continue; // (live counts agree with flags; never taken)
      b.walk(w, off);
      w.next();
      return w.id();
    }
    return MIN_ID;
  }

  /** Marks one entry deleted; false when no live entry has this id. */
  delete(id: StreamId): boolean {
    if (this.blocks.length === 0) return false;
    const bi = this.blockFor(id);
    const b = this.blocks[bi];
    if (compareIds(id, b.base) < 0 || compareIds(id, b.last) > 0) return false;
    let found = false;
    b.forEach((eid, deleted, off) => {
      if (deleted) return true;
      const c = compareIds(eid, id);
      if (c > 0) return false;
      if (c === 0) {
        b.markDeleted(off);
        found = true;
        return false;
      }
      return true;
    });
    if (!found) return false;
    this.len--;
    if (b.live === 0) this.dropBlock(bi);
    else this.dirtyBlocks.add(b);
    return true;
  }

  private dropBlock(bi: number): void {
    const b = this.blocks[bi];
    if (bi === 0) this.blocks.shift();
    else this.blocks.splice(bi, 1);
    this.dirtyBlocks.delete(b);
    this.deletedBlocks.add('b' + idKey(b.base));
    this.bytes -= BLOCK_OVERHEAD + b.memoryBytes;
  }

  /** Redis streamTrim: removes entries from the front; returns how many. */
  trim(t: TrimSpec): number {
    let removed = 0;
    while (this.blocks.length > 0) {
      if (t.maxlen !== undefined ? this.len <= t.maxlen : false) break;
      const b = this.blocks[0];
      const entries = b.live;
      if (t.limit > 0 && removed + entries > t.limit) break;
      const whole = t.maxlen !== undefined ? this.len - entries >= t.maxlen : compareIds(b.last, t.minid!) < 0;
      if (whole) {
        this.len -= entries;
        removed += entries;
        this.dropBlock(0);
        continue;
      }
      if (t.approx) break;
      // Exact: mark entries deleted at the front of this block, which stays.
      b.forEach((id, deleted, off) => {
        if (t.maxlen !== undefined ? this.len <= t.maxlen : compareIds(id, t.minid!) >= 0) return false;
        if (deleted) return true;
        b.markDeleted(off);
        this.len--;
        removed++;
        return true;
      });
      this.dirtyBlocks.add(b);
      break;
    }
    if (removed > 0) this.dirtyKeys.add('m');
    return removed;
  }

  /** XSETID and friends changed lastId / maxDeletedId / entriesAdded. */
  metaChanged(): void {
    this.dirtyKeys.add('m');
  }

  // ------------------------------------------------------------ groups

  /** A group, its consumer or one of its pending entries changed (or was removed): rewrite its record. */
  groupChanged(g: ConsumerGroup): void {
    this.dirtyKeys.add('g' + g.name);
  }

  consumerChanged(g: ConsumerGroup, c: Consumer): void {
    this.dirtyKeys.add('c' + groupPrefix(g.name) + c.name);
  }

  pendingChanged(g: ConsumerGroup, key: string): void {
    this.dirtyKeys.add('p' + groupPrefix(g.name) + key);
  }

  createGroup(name: string, lastId: StreamId, entriesRead: bigint): ConsumerGroup {
    const g = new ConsumerGroup(name, lastId, entriesRead);
    this.groups.set(name, g);
    this.bytes += GROUP_OVERHEAD + name.length;
    this.groupChanged(g);
    return g;
  }

  destroyGroup(g: ConsumerGroup): void {
    for (const c of g.consumers.values()) this.deleteConsumer(g, c);
    this.groups.delete(g.name);
    this.bytes -= GROUP_OVERHEAD + g.name.length;
    this.groupChanged(g);
  }

  createConsumer(g: ConsumerGroup, name: string, now: number): Consumer {
    const c = new Consumer(name, now, -1);
    g.consumers.set(name, c);
    this.bytes += CONSUMER_OVERHEAD + name.length;
    this.consumerChanged(g, c);
    return c;
  }

  /** Removes a consumer and its pending entries; returns how many were pending. */
  deleteConsumer(g: ConsumerGroup, c: Consumer): number {
    const n = c.pel.size;
    for (const p of [...c.pel.values()]) this.removePending(g, p);
    g.consumers.delete(c.name);
    this.bytes -= CONSUMER_OVERHEAD + c.name.length;
    this.consumerChanged(g, c);
    return n;
  }

  /** Adds (or reassigns to `c`) the pending entry of `id`. */
  addPending(g: ConsumerGroup, c: Consumer, id: StreamId, now: number): PendingEntry {
    const key = idKey(id);
    let p = g.pel.get(key);
    if (p === undefined) {
      p = { id, key, consumer: c, deliveryTime: now, deliveryCount: 1 };
      g.pel.set(key, p);
      this.bytes += PENDING_OVERHEAD;
    } else {
      p.consumer.pel.delete(key);
      p.consumer = c;
      p.deliveryTime = now;
      p.deliveryCount = 1;
    }
    c.pel.set(key, p);
    this.pendingChanged(g, key);
    return p;
  }

  removePending(g: ConsumerGroup, p: PendingEntry): void {
    g.pel.delete(p.key);
    p.consumer.pel.delete(p.key);
    this.bytes -= PENDING_OVERHEAD;
    this.pendingChanged(g, p.key);
  }

  /** Moves an existing pending entry to consumer `c`. */
  reassignPending(g: ConsumerGroup, p: PendingEntry, c: Consumer): void {
    if (p.consumer !== c) {
      p.consumer.pel.delete(p.key);
      p.consumer = c;
      c.pel.set(p.key, p);
    }
    this.pendingChanged(g, p.key);
  }

  // ------------------------------------------------------------ persistence

  private metaRecord(): Buffer {
    const out = Buffer.allocUnsafe(40);
    writeId(out, this.lastId, 0);
    writeId(out, this.maxDeletedId, 16);
    out.writeBigUInt64BE(this.entriesAdded, 32);
    return out;
  }

  /** The current record of a meta / group / consumer / pending sub-key, null when it no longer exists. */
  private recordOf(sub: string): Buffer | null {
    const kind = sub[0];
    if (kind === 'm') return this.metaRecord();
    if (kind === 'g') {
      const g = this.groups.get(sub.slice(1));
      if (g === undefined) return null;
      const out = Buffer.allocUnsafe(24);
      writeId(out, g.lastId, 0);
      out.writeBigInt64BE(g.entriesRead, 16);
      return out;
    }
    const [g, rest] = this.splitGroupKey(sub);
    if (g === undefined) return null;
    if (kind === 'c') {
      const c = g.consumers.get(rest);
      if (c === undefined) return null;
      const out = Buffer.allocUnsafe(16);
      out.writeDoubleBE(c.seenTime, 0);
      out.writeDoubleBE(c.activeTime, 8);
      return out;
    }
    const p = g.pel.get(rest);
    if (p === undefined) return null;
    const out = Buffer.allocUnsafe(16 + p.consumer.name.length);
    out.writeDoubleBE(p.deliveryTime, 0);
    out.writeDoubleBE(p.deliveryCount, 8);
    out.write(p.consumer.name, 16, 'latin1');
    return out;
  }

  drainRecords(sink: RecordSink): void {
    this.drainRecordsSome(sink, Infinity);
  }

  /**
   * A flush of a fast-growing stream holds hundreds of new blocks (MBs): in
   * steps of about `maxBytes` the copy into their records (fresh memory, ~3 ms
   * a MB on a VM) is spread over event-loop turns (keyspace-copy.ts).
   */
  override drainRecordsSome(sink: RecordSink, maxBytes: number): boolean {
    if (this.deletedBlocks.size > 0) {
      const live = new Set<string>();
      for (const b of this.dirtyBlocks) live.add('b' + idKey(b.base));
      for (const k of this.deletedBlocks) if (!live.has(k)) sink(k, null);
      this.deletedBlocks.clear();
    }
    const blocks: StreamBlock[] = [];
    let total = 0;
    for (const b of this.dirtyBlocks) {
      if (blocks.length > 0 && total + b.encodedLength > maxBytes) break;
      blocks.push(b);
      total += b.encodedLength;
    }
    // One buffer for this step's block records: one allocation instead of one per block, which fed the GC.
    const out = Buffer.allocUnsafeSlow(total);
    let off = 0;
    for (const b of blocks) {
      const n = b.encodeInto(out, off);
      sink('b' + idKey(b.base), out.subarray(off, off + n));
      off += n;
      this.dirtyBlocks.delete(b);
    }
    if (this.dirtyBlocks.size > 0) return false;
    for (const k of this.dirtyKeys) sink(k, this.recordOf(k));
    this.clearDirty();
    return true;
  }

  clearDirty(): void {
    this.dirtyBlocks.clear();
    this.deletedBlocks.clear();
    this.dirtyKeys.clear();
  }

  forEachRecordKey(sink: (subkey: string) => void): void {
    const seen = new Set<string>();
    const emit = (k: string): void => {
      if (seen.has(k)) return;
      seen.add(k);
      sink(k);
    };
    for (const b of this.blocks) emit('b' + idKey(b.base));
    for (const k of this.deletedBlocks) emit(k);
    emit('m');
    for (const g of this.groups.values()) {
      emit('g' + g.name);
      const pre = groupPrefix(g.name);
      for (const c of g.consumers.values()) emit('c' + pre + c.name);
      for (const p of g.pel.values()) emit('p' + pre + p.key);
    }
    for (const k of this.dirtyKeys) emit(k);
  }

  restoreRecord(subkey: string, value: Buffer): void {
    this.restored.push([subkey, Buffer.from(value)]);
  }

  override finishRestore(): void {
    const records = this.restored;
    this.restored = [];
    // Groups before their consumers, consumers before the pending entries naming them.
    for (const [sub, v] of records) {
      if (sub[0] === 'b') {
        const b = StreamBlock.decode(idFromKey(sub, 1), v);
        this.blocks.push(b);
        this.len += b.live;
        this.bytes += BLOCK_OVERHEAD + b.memoryBytes;
      } else if (sub[0] === 'm') {
        this.lastId = readId(v, 0);
        this.maxDeletedId = readId(v, 16);
        this.entriesAdded = v.readBigUInt64BE(32);
      } else if (sub[0] === 'g') {
        const g = new ConsumerGroup(sub.slice(1), readId(v, 0), v.readBigInt64BE(16));
        this.groups.set(g.name, g);
        this.bytes += GROUP_OVERHEAD + g.name.length;
      }
    }
    this.blocks.sort((a, b) => compareIds(a.base, b.base));
    for (const [sub, v] of records) {
      if (sub[0] !== 'c') continue;
      const [g, name] = this.splitGroupKey(sub);
      if (g === undefined) continue;
      g.consumers.set(name, new Consumer(name, v.readDoubleBE(0), v.readDoubleBE(8)));
      this.bytes += CONSUMER_OVERHEAD + name.length;
    }
    for (const [sub, v] of records) {
      if (sub[0] !== 'p') continue;
      const [g, key] = this.splitGroupKey(sub);
      if (g === undefined) continue;
      const name = v.toString('latin1', 16);
      let c = g.consumers.get(name);
      if (c === undefined) {
        c = new Consumer(name, 0, -1);
        g.consumers.set(name, c);
        this.bytes += CONSUMER_OVERHEAD + name.length;
      }
      const p: PendingEntry = { id: idFromKey(key), key, consumer: c, deliveryTime: v.readDoubleBE(0), deliveryCount: v.readDoubleBE(8) };
      g.pel.set(key, p);
      c.pel.set(key, p);
      this.bytes += PENDING_OVERHEAD;
    }
    this.clearDirty();
  }

  /** A 'c' or 'p' sub-key's group and the rest (consumer name or id key). */
  private splitGroupKey(sub: string): [ConsumerGroup | undefined, string] {
    const glen = Buffer.from(sub.slice(1, 5), 'latin1').readUInt32BE(0);
    return [this.groups.get(sub.slice(5, 5 + glen)), sub.slice(5 + glen)];
  }

  clone(): StreamValue {
    const s = new StreamValue();
    for (const b of this.blocks) {
      const copy = b.clone();
      s.blocks.push(copy);
      s.dirtyBlocks.add(copy);
      s.bytes += BLOCK_OVERHEAD + copy.memoryBytes;
    }
    s.len = this.len;
    s.lastId = this.lastId;
    s.maxDeletedId = this.maxDeletedId;
    s.entriesAdded = this.entriesAdded;
    for (const g of this.groups.values()) {
      const ng = s.createGroup(g.name, g.lastId, g.entriesRead);
      for (const c of g.consumers.values()) {
        const nc = s.createConsumer(ng, c.name, c.seenTime);
        nc.activeTime = c.activeTime;
      }
      for (const p of g.pel.values()) {
        const np = s.addPending(ng, ng.consumers.get(p.consumer.name)!, p.id, p.deliveryTime);
        np.deliveryCount = p.deliveryCount;
      }
    }
    return s;
  }
}

registerCollection('stream', () => new StreamValue());
