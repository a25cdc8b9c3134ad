import { crc32 } from 'node:zlib';
import type { Entry, SnapshotMeta } from '../server/raft/types';
import { EMPTY_SNAPSHOT, cloneSnapshotMeta } from './lmdb-codec';
import {
  StorageClosedError,
  StorageCorruptionError,
  StorageError,
  StorageFullError,
  StorageReadOnlyError,
  classifyStorageError,
} from './lmdb-errors';
import { LogColumn } from './log-column';
import { NodeLogFiles, type LogFiles } from './log-files';
import {
  RECORD_HEADER_BYTES,
  SEGMENT_HEADER_BYTES,
  decodeRecord,
  decodeSegmentHeader,
  encodeRecordHeader,
  encodeRecords,
  encodeSegmentHeader,
  isZeroHeader,
  parseSegmentName,
  recordBytes,
  recordPadding,
  recordEntry,
  segmentName,
  type RecordInfo,
} from './segment-format';
import type { LogStore } from './types';

/**
 * The Raft log as an append-only file log (issue 13): preallocated segment
 * files, a checksum per record, one fdatasync per write group, reads served
 * synchronously (recent entries from memory, older ones with one readSync).
 * Format: segment-format.ts. The snapshot the log starts after lives in
 * `snapshot.meta`, replaced atomically (temp file, fdatasync, rename, fsync
 * of the directory).
 *
 * Writes are only ever made into the preallocated (zero) space after the
 * last record: nothing durable is overwritten. A suffix truncation starts a
 * new segment after the kept prefix instead (see segment-format.ts), a
 * snapshot install a new segment after the snapshot. So a power loss can
 * only leave, at the end of the last segment, a torn part of the one group
 * that was being written, over zeros.
 *
 * Recovery (open) replays the segments in order and:
 *  - stops the last segment at the first invalid record and, if what
 *    follows holds nothing but zeros and pieces of that same group (its
 *    group number or the next), zeroes it (a torn write) and carries on;
 *  - refuses to open (StorageCorruptionError naming file and offset) when an
 *    invalid record is followed by records of later groups (so it had been
 *    synced: real corruption), or is in any segment but the last (those
 *    were synced before the next segment was created).
 * Limit, as for etcd's WAL: damage to the last synced group itself, with
 * nothing after it, looks like a torn write and is truncated.
 */

export interface SegmentLogOptions {
  /** Size of a segment file (default 64 MiB). A batch larger than this gets a segment of its own size. */
  segmentBytes?: number;
  /** Bytes of recent entries kept in memory for reads (default 4 MiB; unsynced entries are always kept). */
  cacheBytes?: number;
  /** Keep one zero-filled segment ready so rollover and truncation do not wait for preallocation (default true). */
  spare?: boolean;
  /** Membership of a fresh log's snapshotMeta(). */
  bootstrap?: SnapshotMeta;
  /** Called with a description when open() repaired a torn tail. */
  onRepair?: (message: string) => void;
  /**
   * When an append resolves, as LMDB's modes (storage/lmdb.ts SyncMode): `always` (default) after
   * fdatasync; `batch` once written (the fdatasync follows at once, in the background); `none`
   * never fdatasyncs records (segment creation and the meta file are still synced).
   */
  sync?: 'always' | 'batch' | 'none';
  /**
   * Open for reading only (a read-only data directory): nothing on disk is
   * changed (a torn tail is ignored, not zeroed) and writes fail with StorageReadOnlyError.
   */
  readOnly?: boolean;
}

const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
/**
 * Entries kept in memory once they are written and applied: none by default.
 * Entries not yet written or applied always stay (keepCachedFrom), so the
 * leader applies and replicates to followers that keep up from memory; a
 * follower that lags reads from the page cache. Kept entries survive
 * young-generation collections and die old, their data in ArrayBuffers that
 * V8 counts as external memory: a 4 MiB cache turned over 17 MB/s of them in a
 * pipelined XADD fill, and that churn started old-generation collections
 * whose marking ran in 4.5-10 ms steps inside allocations (the fill's slowest
 * event-loop stalls). Without it the fill was ~10% faster and the 3-node
 * benchmark unchanged (bench/streams.ts).
 */
const DEFAULT_CACHE_BYTES = 0;
/**
 * What a cached entry costs beyond its data: the Entry object and its
 * Uint8Array/ArrayBuffer (small SETs are ~50 data bytes: counting data alone
 * would let the cache hold several times its budget in objects, all of them
 * old-generation garbage for the GC to walk).
 */
const ENTRY_OVERHEAD_BYTES = 160;

function cacheCost(e: Entry): number {
  return e.data.byteLength + ENTRY_OVERHEAD_BYTES;
}
const META_FILE = 'snapshot.meta';
const META_TMP = 'snapshot.meta.tmp';
const SPARE_FILE = 'spare.tmp';

interface Segment {
  seq: number;
  name: string;
  /** -1 until the writer created the file. */
  fd: number;
  size: number;
  prevIndex: number;
  prevTerm: number;
  /** Layout end: where the next record goes (assigned synchronously by append). */
  end: number;
  /** Index of the last record laid out in it (prevIndex if none). */
  lastIndex: number;
}

/** Entries at least this long are written from their own bytes, not copied into the write buffer (writeRecords). */
const LARGE_RECORD_BYTES = 1 << 20;
/** The largest write buffer kept for reuse (writeBuffer). */
const MAX_KEPT_WRITE_BUFFER = 4 << 20;
const EMPTY_BUFFER = Buffer.alloc(0);

/** What the segment column holds in slots without an entry. */
const NO_SEGMENT: Segment = { seq: 0, name: '', fd: -1, size: 0, prevIndex: 0, prevTerm: 0, end: 0, lastIndex: 0 };

type Op =
  | { kind: 'create'; seg: Segment }
  | { kind: 'write'; seg: Segment; pos: number; entries: Entry[]; seq: number }
  | { kind: 'meta'; meta: SnapshotMeta }
  | { kind: 'delete'; segs: Segment[] }
  | { kind: 'done'; resolve(): void; reject(error: unknown): void };

/** Open (or create) the segment log in `dir`, or over any LogFiles (tests). */
export async function openSegmentLog(where: string | LogFiles, options: SegmentLogOptions = {}): Promise<SegmentLog> {
  const files = typeof where === 'string' ? new NodeLogFiles(where, options.readOnly) : where;
  const log = new SegmentLog(files, options);
  await log.recover();
  return log;
}

export class SegmentLog implements LogStore {
  private readonly segmentBytes: number;
  private readonly cacheBudget: number;
  /** Entries from here on stay cached over the budget (keepCachedFrom); until told, none. */
  private pinnedFrom = Infinity;
  private snap: SnapshotMeta;
  private last = 0;
  /** Per live entry, index base + k: term, segment, offset, data length, write op, cached entry. */
  private base = 1;
  private readonly terms = new LogColumn<number>(0);
  private readonly segOf = new LogColumn<Segment>(NO_SEGMENT);
  private readonly offs = new LogColumn<number>(0);
  private readonly lens = new LogColumn<number>(0);
  private readonly opOf = new LogColumn<number>(0);
  private readonly cache = new LogColumn<Entry | undefined>(undefined);
  /** All of the above: they always hold the same entries. */
  private readonly columns: ReadonlyArray<LogColumn<unknown>> = [this.terms, this.segOf, this.offs, this.lens, this.opOf, this.cache];
  private cacheFrom = 1;
  private cachedBytes = 0;
  /** Segments on disk or queued for creation, in order. */
  private segments: Segment[] = [];
  /** The segment appends continue in; undefined: the next append starts a new one. */
  private current: Segment | undefined;
  private nextSeq = 1;
  private allocatedBytes = 0;

  // writer
  private queue: Op[] = [];
  private running = false;
  private opSeq = 0;
  private writtenOp = 0;
  private group = 0;
  private readonly dirty = new Set<Segment>();
  private waiting: Array<Extract<Op, { kind: 'done' }>> = [];
  private failed: StorageError | undefined;
  /** A full or read-only disk stopped the writer before anything unsafe happened: retry() resumes. */
  private stalled: StorageError | undefined;
  /** An fdatasync or directory sync failed: what reached the disk is unknown (fsyncgate), never retried. */
  private syncFailed = false;
  private closed = false;
  private spareFd = -1;
  private writeBuf = EMPTY_BUFFER;
  private spareJob: Promise<void> | undefined;
  private creatingSegment = false;

  constructor(
    private readonly files: LogFiles,
    private readonly options: SegmentLogOptions = {},
  ) {
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.cacheBudget = options.cacheBytes ?? DEFAULT_CACHE_BYTES;
    this.snap = cloneSnapshotMeta(options.bootstrap ?? EMPTY_SNAPSHOT);
    if (this.segmentBytes < SEGMENT_HEADER_BYTES + RECORD_HEADER_BYTES * 2) throw new StorageError('INVALID', 'segmentBytes is too small');
  }

  // ---- LogReader -------------------------------------------------------------------

  firstIndex(): number {
    return this.snap.index + 1;
  }

  lastIndex(): number {
    return this.last;
  }

  term(index: number): number | undefined {
    if (index === this.snap.index) return this.snap.term;
    if (index <= this.snap.index || index > this.last) return undefined;
    return this.terms.get(index - this.base);
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo < this.firstIndex()) throw new StorageError('INVALID', `entries(${lo}, ${hi}): index ${lo} is compacted (first index ${this.firstIndex()})`);
    if (hi > this.last + 1 || lo > hi) throw new StorageError('INVALID', `entries(${lo}, ${hi}): beyond last index ${this.last}`);
    const out: Entry[] = [];
    let bytes = 0;
    let index = lo;
    while (index < hi) {
      const k = index - this.base;
      let entry = this.cache.get(k);
      if (entry === undefined) {
        // Read the run of uncached entries in the same segment with one read.
        const seg = this.segOf.get(k);
        let end = index + 1;
        let runBytes = this.lens.get(k);
        while (end < hi && this.cache.get(end - this.base) === undefined && this.segOf.get(end - this.base) === seg && runBytes <= maxBytes) {
          runBytes += this.lens.get(end - this.base);
          end++;
        }
        const read = this.readRun(index, end);
        for (const e of read) {
          bytes += e.data.byteLength;
          if (out.length > 0 && bytes > maxBytes) return out;
          out.push(e);
        }
        index = end;
        continue;
      }
      bytes += entry.data.byteLength;
      if (out.length > 0 && bytes > maxBytes) return out;
      out.push(entry);
      index++;
    }
    return out;
  }

  snapshotMeta(): SnapshotMeta {
    return this.snap;
  }

  // ---- LogStore ----------------------------------------------------------------------

  append(input: Entry[]): Promise<void> {
    try {
      this.checkWritable();
      const first = this.firstIndex();
      const entries = input.length > 0 && input[0].index < first ? input.filter((e) => e.index >= first) : input;
      if (entries.length === 0) return Promise.resolve();
      const from = entries[0].index;
      if (from > this.last + 1) throw new StorageError('INVALID', `append: entry ${from} would leave a gap after last index ${this.last}`);
      for (let i = 1; i < entries.length; i++) {
        if (entries[i].index !== from + i) throw new StorageError('INVALID', `append: entries are not contiguous at index ${entries[i].index}`);
      }
      if (from <= this.last) {
        // A leader replaced our suffix: later appends go to a new segment that follows from - 1.
        this.truncateMemory(from - 1);
        this.current = undefined;
      }
      let total = 0;
      for (const e of entries) total += recordBytes(e.data.byteLength);
      let seg = this.current;
      if (seg === undefined || seg.end + total > seg.size) {
        const size = Math.max(this.segmentBytes, SEGMENT_HEADER_BYTES + total + RECORD_HEADER_BYTES);
        seg = this.newSegment(size);
      }
      const seq = ++this.opSeq;
      const pos = seg.end;
      let at = pos;
      for (const e of entries) {
        this.terms.push(e.term);
        this.segOf.push(seg);
        this.offs.push(at);
        this.lens.push(e.data.byteLength);
        this.opOf.push(seq);
        this.cache.push(e);
        this.cachedBytes += cacheCost(e);
        at += recordBytes(e.data.byteLength);
      }
      seg.end = at;
      this.prepareSpareWhenHalfFull(seg);
      seg.lastIndex = entries[entries.length - 1].index;
      this.last = seg.lastIndex;
      this.queue.push({ kind: 'write', seg, pos, entries: entries.slice(), seq });
      return this.done();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  compact(upTo: number, meta: SnapshotMeta): Promise<void> {
    try {
      this.checkWritable();
      if (meta.index !== upTo) throw new StorageError('INVALID', `compact(${upTo}): snapshot meta is for index ${meta.index}`);
      if (upTo <= this.snap.index) return Promise.resolve();
      const snapshot = cloneSnapshotMeta(meta);
      const holds = upTo <= this.last && this.term(upTo) === meta.term;
      let drop: Segment[];
      if (holds) {
        this.dropPrefix(upTo);
        this.snap = snapshot;
        // Segments before the one holding the first live entry hold nothing live.
        const keepFrom = this.last > upTo ? this.segOf.get(0) : this.current;
        const at = keepFrom ? this.segments.indexOf(keepFrom) : this.segments.length;
        drop = this.segments.slice(0, Math.max(0, at));
      } else {
        // Snapshot install: the log does not hold the snapshot's entry; all of it goes.
        this.snap = snapshot;
        this.resetTo(upTo);
        this.cacheFrom = upTo + 1;
        this.current = undefined;
        drop = this.segments.slice();
      }
      this.queue.push({ kind: 'meta', meta: snapshot });
      if (drop.length > 0) {
        this.segments = this.segments.filter((s) => !drop.includes(s));
        this.queue.push({ kind: 'delete', segs: drop });
      }
      return this.done();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Bytes of segment files on disk (preallocated: they are allocated in full). */
  sizeBytes(): number {
    return this.allocatedBytes;
  }

  /** Resolves once queued writes are durable; closes the files. */
  async close(): Promise<void> {
    if (this.closed) return;
    const flushed = this.failed || this.stalled ? Promise.resolve() : this.done();
    this.closed = true;
    await flushed.catch(() => undefined);
    await this.spareJob?.catch(() => undefined);
    for (const seg of this.segments) if (seg.fd >= 0) this.files.close(seg.fd);
    if (this.spareFd >= 0) this.files.close(this.spareFd);
    this.segments = [];
    this.spareFd = -1;
  }

  /** Resolves when background work (preparing the spare segment) is done (benchmarks, tests). */
  async idle(): Promise<void> {
    while (this.spareJob) await this.spareJob.catch(() => undefined);
  }

  /** Number of segment files (tests, INFO). */
  segmentCount(): number {
    return this.segments.length;
  }

  // ---- in-memory log -------------------------------------------------------------------

  private checkWritable(): void {
    if (this.closed) throw new StorageClosedError();
    if (this.options.readOnly) throw new StorageReadOnlyError('EROFS', 'the Raft log was opened read-only');
    if (this.failed) throw this.failed;
    if (this.stalled) throw this.stalled;
  }

  /** Keep entries <= keep (keep >= snapshot index). */
  private truncateMemory(keep: number): void {
    const k = Math.max(0, keep + 1 - this.base);
    for (let i = k; i < this.cache.length; i++) {
      const e = this.cache.get(i);
      if (e) this.cachedBytes -= cacheCost(e);
    }
    for (const c of this.columns) c.truncate(k);
    this.last = Math.max(keep, this.snap.index);
    if (this.cacheFrom > this.last + 1) this.cacheFrom = this.last + 1;
  }

  /** Drop entries <= upTo (upTo <= last). */
  private dropPrefix(upTo: number): void {
    const n = upTo + 1 - this.base;
    if (n <= 0) return;
    for (let i = 0; i < n; i++) {
      const e = this.cache.get(i);
      if (e) this.cachedBytes -= cacheCost(e);
    }
    for (const c of this.columns) c.dropFront(n);
    this.base = upTo + 1;
    this.cacheFrom = Math.max(this.cacheFrom, this.base);
  }

  private newSegment(size: number): Segment {
    const prevIndex = this.last;
    const prevTerm = this.term(prevIndex) ?? 0;
    const seq = this.nextSeq++;
    const seg: Segment = { seq, name: segmentName(seq), fd: -1, size, prevIndex, prevTerm, end: SEGMENT_HEADER_BYTES, lastIndex: prevIndex };
    this.segments.push(seg);
    this.current = seg;
    this.queue.push({ kind: 'create', seg });
    return seg;
  }

  /** Entries [lo, hi) from one segment, from disk. */
  private readRun(lo: number, hi: number): Entry[] {
    const k0 = lo - this.base;
    const k1 = hi - 1 - this.base;
    const seg = this.segOf.get(k0);
    const start = this.offs.get(k0);
    const end = this.offs.get(k1) + recordBytes(this.lens.get(k1));
    const buf = Buffer.allocUnsafe(end - start);
    const n = this.files.read(seg.fd, buf, start);
    if (n < buf.length) throw new StorageCorruptionError(`${seg.name}: short read at offset ${start} (entries ${lo}..${hi - 1})`);
    const out: Entry[] = [];
    for (let index = lo; index < hi; index++) {
      const at = this.offs.get(index - this.base) - start;
      const info = decodeRecord(buf, at);
      if (typeof info === 'string' || info.index !== index) {
        throw new StorageCorruptionError(
          `${seg.name}: entry ${index} at offset ${at + start} does not read back: ${typeof info === 'string' ? info : `found index ${info.index}`}`,
        );
      }
      out.push(recordEntry(buf, at, info));
    }
    return out;
  }

  keepCachedFrom(index: number): void {
    this.pinnedFrom = index;
    this.trimCache();
  }

  /** Forget cached entries (oldest first) beyond the budget, once they are written and applied. */
  private trimCache(): void {
    while (this.cachedBytes > this.cacheBudget && this.cacheFrom <= this.last && this.cacheFrom < this.pinnedFrom) {
      const k = this.cacheFrom - this.base;
      if (this.opOf.get(k) > this.writtenOp) return;
      const e = this.cache.get(k);
      if (e) {
        this.cachedBytes -= cacheCost(e);
        this.cache.set(k, undefined);
      }
      this.cacheFrom++;
    }
  }

  // ---- writer ----------------------------------------------------------------------------

  /** A promise for everything queued so far being durable; starts the writer. */
  private done(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ kind: 'done', resolve, reject });
      if (!this.running) {
        this.running = true;
        void this.drain();
      }
    });
  }

  /**
   * After an append or compact rejected with a full or read-only disk
   * (StorageFullError, StorageReadOnlyError: only preallocating a segment,
   * writing the meta file or deleting segments can meet those, never writing
   * records into an allocated segment), run the stopped writes again, in
   * order, from where they stopped; resolves once everything queued is
   * durable. The in-memory log kept them: a rejected append is not undone.
   * Any other failure (an fdatasync error above all) is final: reopen the
   * log, which recovers what reached the disk.
   */
  retry(): Promise<void> {
    if (this.closed) return Promise.reject(new StorageClosedError());
    if (this.failed) return Promise.reject(this.failed);
    this.stalled = undefined;
    return this.done();
  }

  private async drain(): Promise<void> {
    let ops: Op[] = [];
    let at = 0;
    try {
      while (this.queue.length > 0) {
        ops = this.queue;
        this.queue = [];
        for (at = 0; at < ops.length; at++) {
          const op = ops[at];
          if (op.kind === 'done') this.waiting.push(op);
          else await this.execute(op);
        }
        ops = [];
        // `batch`: written (a process crash keeps it); the sync follows before the next group.
        if (this.options.sync !== 'batch') await this.flush();
        const waiting = this.waiting;
        this.waiting = [];
        for (const w of waiting) w.resolve();
        if (this.options.sync === 'batch') await this.flush();
        this.trimCache();
      }
    } catch (raw) {
      const error = classifyStorageError(raw, '(segment log)', 'segment log');
      const isDone = (op: Op): op is Extract<Op, { kind: 'done' }> => op.kind === 'done';
      const rest = [...ops.slice(at), ...this.queue];
      const waiting = [...this.waiting, ...rest.filter(isDone)];
      const failedOp = ops[at];
      const retryable =
        !this.syncFailed &&
        failedOp !== undefined &&
        failedOp.kind !== 'write' &&
        (error instanceof StorageFullError || error instanceof StorageReadOnlyError);
      this.waiting = [];
      if (retryable) {
        this.stalled = error;
        this.queue = rest.filter((op) => !isDone(op));
      } else {
        this.failed = error;
        this.queue = [];
      }
      for (const w of waiting) w.reject(error);
    } finally {
      this.running = false;
    }
  }

  private async execute(op: Exclude<Op, { kind: 'done' }>): Promise<void> {
    switch (op.kind) {
      case 'write':
        await this.writeRecords(op.seg.fd, op.pos, op.entries);
        this.dirty.add(op.seg);
        this.writtenOp = op.seq;
        return;
      case 'create':
        // A segment is created only once everything before it is durable, so
        // only the last segment can ever hold a torn write.
        await this.flush();
        await this.createSegment(op.seg);
        return;
      case 'meta':
        await this.flush();
        await this.writeMeta(op.meta);
        return;
      case 'delete':
        for (const seg of op.segs) {
          if (seg.fd < 0) continue;
          this.files.close(seg.fd);
          seg.fd = -1;
          await this.files.unlink(seg.name);
          this.allocatedBytes -= seg.size;
        }
        await this.sync();
        return;
    }
  }

  /**
   * Writes entries as records from `pos`. Runs of ordinary entries are
   * encoded into the reused write buffer, one write each; an entry of
   * LARGE_RECORD_BYTES or more is written as its header, its own bytes and
   * its padding. Copying 100 MB into fresh memory costs ~300 ms on the event
   * loop here (page faults), which cost an election; a crash between these
   * writes leaves a torn last record, as a torn single write does.
   */
  private async writeRecords(fd: number, pos: number, entries: readonly Entry[]): Promise<void> {
    let from = 0;
    while (from < entries.length) {
      let to = from;
      let bytes = 0;
      while (to < entries.length && entries[to].data.byteLength < LARGE_RECORD_BYTES) bytes += recordBytes(entries[to++].data.byteLength);
      if (to > from) {
        const buf = this.writeBuffer(bytes);
        encodeRecords(buf, 0, to === entries.length && from === 0 ? entries : entries.slice(from, to), this.group);
        await this.files.write(fd, buf, pos);
        pos += bytes;
      }
      if (to === entries.length) return;
      const big = entries[to];
      const len = big.data.byteLength;
      await this.files.write(fd, encodeRecordHeader(big, this.group), pos);
      await this.files.write(fd, big.data, pos + RECORD_HEADER_BYTES);
      const pad = recordPadding(len);
      if (pad > 0) await this.files.write(fd, Buffer.alloc(pad), pos + RECORD_HEADER_BYTES + len);
      pos += recordBytes(len);
      from = to + 1;
    }
  }

  /**
   * A zeroed buffer of `size` bytes for one write (record padding stays zero).
   * One buffer, reused: writes run one at a time, and a fresh 100 KB+
   * allocation per write is fresh memory to fault in (see log-column.ts).
   */
  private writeBuffer(size: number): Buffer {
    if (this.writeBuf.length < size) this.writeBuf = Buffer.allocUnsafeSlow(Math.max(size, Math.min(2 * this.writeBuf.length, MAX_KEPT_WRITE_BUFFER)));
    const buf = this.writeBuf.subarray(0, size);
    buf.fill(0);
    if (this.writeBuf.length > MAX_KEPT_WRITE_BUFFER) this.writeBuf = EMPTY_BUFFER; // a rare huge write is not kept
    return buf;
  }

  private async flush(): Promise<void> {
    if (this.dirty.size === 0) return;
    const segs = [...this.dirty];
    this.dirty.clear();
    if (this.options.sync === 'none') {
      this.group++;
      return;
    }
    await Promise.all(segs.map((seg) => this.sync(seg.fd)));
    this.group++;
  }

  private async sync(fd?: number): Promise<void> {
    try {
      await (fd === undefined ? this.files.syncDir() : this.files.fdatasync(fd));
    } catch (error) {
      this.syncFailed = true;
      throw error;
    }
  }

  private async createSegment(seg: Segment): Promise<void> {
    // No spare may be started meanwhile: it would be created at the path this one may be renamed from.
    this.creatingSegment = true;
    try {
      await this.createSegmentFile(seg);
    } finally {
      this.creatingSegment = false;
    }
    this.prepareSpareWhenHalfFull(this.current);
  }

  private async createSegmentFile(seg: Segment): Promise<void> {
    let fd = -1;
    let tmp = SPARE_FILE;
    if (this.spareJob) await this.spareJob.catch(() => undefined);
    if (this.spareFd >= 0 && seg.size === this.segmentBytes) {
      fd = this.spareFd;
      this.spareFd = -1;
    } else {
      tmp = `${seg.name}.tmp`;
      fd = await this.files.create(tmp);
      await this.files.zeroFill(fd, seg.size);
    }
    await this.files.write(fd, encodeSegmentHeader({ seq: seg.seq, prevIndex: seg.prevIndex, prevTerm: seg.prevTerm, group: this.group, size: seg.size }), 0);
    await this.sync(fd);
    await this.files.rename(tmp, seg.name);
    await this.sync();
    seg.fd = fd;
    this.allocatedBytes += seg.size;
  }

  /**
   * The next segment is zero-filled once `seg` (the one appends go to) is
   * half full: early enough to be ready when needed, and a fresh node (every
   * test cluster) does not write two segments of zeros at once.
   */
  private prepareSpareWhenHalfFull(seg: Segment | undefined): void {
    if (seg !== undefined && seg.end * 2 >= seg.size) this.prepareSpare();
  }

  /** Zero-fill the next segment in the background. */
  private prepareSpare(): void {
    if (this.options.spare === false || this.options.readOnly || this.spareFd >= 0 || this.spareJob || this.creatingSegment || this.closed || this.failed || this.stalled) return;
    const job = (async () => {
      const fd = await this.files.create(SPARE_FILE);
      try {
        await this.files.zeroFill(fd, this.segmentBytes);
        await this.files.fdatasync(fd);
      } catch (error) {
        this.files.close(fd);
        throw error;
      }
      if (this.closed) this.files.close(fd);
      else this.spareFd = fd;
    })();
    this.spareJob = job.finally(() => {
      this.spareJob = undefined;
    });
    this.spareJob.catch(() => undefined);
  }

  private async writeMeta(meta: SnapshotMeta): Promise<void> {
    const json = Buffer.from(JSON.stringify(meta), 'utf8');
    const buf = Buffer.alloc(8 + json.length);
    buf.writeUInt32LE(json.length, 0);
    buf.writeUInt32LE(crc32(json), 4);
    json.copy(buf, 8);
    const fd = await this.files.create(META_TMP);
    try {
      await this.files.write(fd, buf, 0);
      await this.sync(fd);
    } finally {
      this.files.close(fd);
    }
    await this.files.rename(META_TMP, META_FILE);
    await this.sync();
  }

  // ---- recovery ------------------------------------------------------------------------------

  private readMeta(): SnapshotMeta | undefined {
    if (!this.files.list().includes(META_FILE)) return undefined;
    const fd = this.files.open(META_FILE);
    try {
      const buf = Buffer.alloc(this.files.size(fd));
      this.files.read(fd, buf, 0);
      const len = buf.length >= 8 ? buf.readUInt32LE(0) : -1;
      if (len < 0 || 8 + len !== buf.length || crc32(buf.subarray(8)) !== buf.readUInt32LE(4)) {
        throw new StorageCorruptionError(`${META_FILE} is damaged (length or checksum mismatch)`);
      }
      return JSON.parse(buf.subarray(8).toString('utf8')) as SnapshotMeta;
    } finally {
      this.files.close(fd);
    }
  }

  /** Rebuild the in-memory log from the files; repairs a torn tail. Called once by openSegmentLog. */
  async recover(): Promise<void> {
    let dirChanged = false;
    for (const name of this.files.list()) {
      if (name === SPARE_FILE && this.options.spare !== false && !this.options.readOnly) {
        // A spare left by the last run is zeros (at most a segment header, written before the rename
        // that never happened, which the next use overwrites): keep it rather than zero-fill 64 MiB again.
        const fd = this.files.open(name);
        if (this.files.size(fd) === this.segmentBytes) {
          await this.files.fdatasync(fd);
          this.spareFd = fd;
          continue;
        }
        this.files.close(fd);
      }
      if (name.endsWith('.tmp') && !this.options.readOnly) {
        await this.files.unlink(name);
        dirChanged = true;
      }
    }
    const meta = this.readMeta();
    if (meta) this.snap = cloneSnapshotMeta(meta);
    const names = this.files
      .list()
      .map((name) => ({ name, seq: parseSegmentName(name) }))
      .filter((s): s is { name: string; seq: number } => s.seq !== undefined)
      .sort((a, b) => a.seq - b.seq);

    // Replay state: entries base..last (base - 1 has baseTerm).
    let started = false;
    let baseTerm = 0;
    let superseded = 0; // segments before this index do not count
    const segs: Segment[] = [];
    const termAt = (index: number): number | undefined =>
      index === this.base - 1 ? baseTerm : index >= this.base && index - this.base < this.terms.length ? this.terms.get(index - this.base) : undefined;

    for (let s = 0; s < names.length; s++) {
      const { name } = names[s];
      const isLast = s === names.length - 1;
      const fd = this.files.open(name);
      const size = this.files.size(fd);
      const buf = Buffer.alloc(size);
      this.files.read(fd, buf, 0);
      const header = decodeSegmentHeader(buf);
      if (typeof header === 'string') {
        this.files.close(fd);
        throw new StorageCorruptionError(`log segment ${name} is corrupt at offset 0: ${header}`);
      }
      const seg: Segment = { seq: header.seq, name, fd, size, prevIndex: header.prevIndex, prevTerm: header.prevTerm, end: SEGMENT_HEADER_BYTES, lastIndex: header.prevIndex };
      segs.push(seg);
      this.allocatedBytes += size;
      this.nextSeq = Math.max(this.nextSeq, header.seq + 1);

      // Where does this segment attach?
      const p = header.prevIndex;
      const t = header.prevTerm;
      if (started && p === this.last && termAt(p) === t) {
        // continues the log
      } else if (started && p < this.last && p >= this.base - 1 && termAt(p) === t) {
        this.truncateMemory(p); // a truncation segment: later records in earlier segments are stale
        this.last = p;
      } else if (!started || p <= this.snap.index) {
        this.resetTo(p);
        baseTerm = t;
        superseded = segs.length - 1;
        started = true;
      } else {
        throw new StorageCorruptionError(
          `log segment ${name} follows index ${p} (term ${t}), which is not in the log before it (last index ${this.last}, snapshot ${this.snap.index})`,
        );
      }

      // Scan the records.
      let pos = SEGMENT_HEADER_BYTES;
      let expected = p + 1;
      let group = header.group - 1;
      let bad: string | undefined;
      let lastIndex = p;
      while (pos + RECORD_HEADER_BYTES <= size && !isZeroHeader(buf, pos)) {
        const info = decodeRecord(buf, pos);
        if (typeof info === 'string') bad = info;
        else if (info.index !== expected) bad = `record for index ${info.index} where ${expected} was expected`;
        else if (info.group < group) bad = `write group ${info.group} after group ${group}`;
        if (bad !== undefined) break;
        const rec = info as RecordInfo;
        this.terms.push(rec.term);
        this.segOf.push(seg);
        this.offs.push(pos);
        this.lens.push(rec.len);
        this.opOf.push(0);
        this.cache.push(undefined);
        lastIndex = rec.index;
        group = rec.group;
        this.group = Math.max(this.group, rec.group + 1);
        expected++;
        pos += recordBytes(rec.len);
      }
      const rest = nonZeroAfter(buf, pos);
      if (bad !== undefined || rest) {
        const reason = bad ?? 'data after the end of the records';
        if (!isLast) throw new StorageCorruptionError(`log segment ${name} is corrupt at offset ${pos}: ${reason} (not the last segment, so it was synced)`);
        const later = laterGroupAfter(buf, pos, group);
        if (later !== undefined) {
          throw new StorageCorruptionError(
            `log segment ${name} is corrupt at offset ${pos}: ${reason}, but a valid record of a later write group (${later.group} at offset ${later.pos}) follows, so this is not a torn write`,
          );
        }
        // A torn write: zero everything from pos on.
        const zeros = Buffer.alloc(rest ? rest - pos : 0);
        if (zeros.length > 0 && !this.options.readOnly) {
          await this.files.write(fd, zeros, pos);
          await this.files.fdatasync(fd);
        }
        this.options.onRepair?.(`log segment ${name}: torn write at offset ${pos} (${reason}); ${zeros.length} bytes zeroed`);
      }
      this.group = Math.max(this.group, header.group);
      this.last = lastIndex;
      seg.end = pos;
      seg.lastIndex = this.last;
    }

    // Apply the snapshot the log starts after.
    const snap = this.snap;
    if (!started) {
      this.resetTo(snap.index);
    } else if (snap.index < this.base - 1) {
      throw new StorageCorruptionError(`the log starts after index ${this.base - 1} but the snapshot (${META_FILE}) is at ${snap.index}`);
    } else if (snap.index <= this.last && termAt(snap.index) === snap.term) {
      this.dropPrefix(snap.index);
    } else {
      this.resetTo(snap.index);
      superseded = segs.length;
    }
    this.cacheFrom = this.base;

    // Keep the segments holding live entries and the one appends continue in.
    const tail = segs[segs.length - 1];
    const live = new Set<Segment>(this.segOf.values());
    this.current = tail !== undefined && segs.indexOf(tail) >= superseded && tail.lastIndex === this.last ? tail : undefined;
    for (const seg of segs) {
      if (live.has(seg) || seg === this.current || this.options.readOnly) {
        this.segments.push(seg);
      } else {
        this.files.close(seg.fd);
        await this.files.unlink(seg.name);
        this.allocatedBytes -= seg.size;
        dirChanged = true;
      }
    }
    // Segments must stay in order with live ones; a gap between kept segments is harmless (recovery restarts).
    if (dirChanged) await this.files.syncDir();
    this.prepareSpareWhenHalfFull(this.current);
  }

  private resetTo(index: number): void {
    for (const c of this.columns) c.clear();
    this.cachedBytes = 0;
    this.base = index + 1;
    this.last = index;
  }
}

/** One past the last non-zero byte at or after pos, or 0 if all zero. */
function nonZeroAfter(buf: Buffer, pos: number): number {
  const chunk = 64 * 1024;
  let end = buf.length;
  while (end > pos) {
    const start = Math.max(pos, end - chunk);
    if (buf.subarray(start, end).equals(ZERO_CHUNK.subarray(0, end - start))) {
      end = start;
      continue;
    }
    for (let i = end - 1; i >= start; i--) if (buf[i] !== 0) return i + 1;
  }
  return 0;
}

const ZERO_CHUNK = Buffer.alloc(64 * 1024);

/**
 * After an invalid record at pos in the last segment: a valid record of a
 * group later than the one being written when the power went (lastGroup or
 * lastGroup + 1) proves the bad record had been synced.
 */
function laterGroupAfter(buf: Buffer, pos: number, lastGroup: number): { group: number; pos: number } | undefined {
  for (let at = pos + 8; at + RECORD_HEADER_BYTES <= buf.length; at += 8) {
    if (buf.readUInt32LE(at + 8) === 0 && buf.readUInt32LE(at + 12) === 0) continue; // index 0 is never a record
    const info = decodeRecord(buf, at);
    if (typeof info !== 'string' && (info.group > lastGroup + 1 || info.group < lastGroup)) return { group: info.group, pos: at };
  }
  return undefined;
}
