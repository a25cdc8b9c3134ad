/**
 * The hash type (Redis's t_hash.c data side): fields in insertion order, as
 * Redis's listpack keeps a small hash, so HGETALL of a small hash answers in
 * the same order as redis-server.
 *
 * In memory: `values` (field -> value) and `seqs` (field -> insertion
 * sequence number, from a per-hash counter). Two Maps measured leaner than
 * one Map to small records (1,000,000 fields of 12+7 bytes on Node 20: 115
 * vs 125 heap bytes per field). A Map iterates in insertion order; updating
 * an existing field keeps its position and its seq, deleting and re-adding
 * moves it to the end with a new seq, so Map order is always seq order.
 *
 * Element records: sub-key = field, value = [seq f64][value bytes]. A
 * restore collects the records and inserts them sorted by seq
 * (finishRestore), so a restored node iterates exactly like a live one.
 *
 * The counter must survive a restore too (HSCAN cursors are seqs, and a
 * script may keep one): it is always (highest seq any record holds) + 1,
 * except after the field holding the highest seq was deleted. Then that
 * field's record is kept as a marker, value [-seq f64], until a new field
 * takes a higher seq. There is at most one marker per hash, and a write of a
 * new field still drains one record (plus the marker's delete, once).
 */
import { Collection, encodingConfig, registerCollection, type RecordSink } from './object';
import { seqOrder } from './seq-order';

/**
 * Heap bytes per field beyond the field and value bytes: two Map entries,
 * two string headers and the boxed seq. Measured on Node 20 (pointer
 * compression) with 1,000,000 fields: about 96 B.
 */
export const HASH_FIELD_OVERHEAD = 96;
/** The HashValue object and its two empty Maps. */
const HASH_BASE_OVERHEAD = 200;
/** Live scan iterators kept per hash (node-local, an optimization only). */
const MAX_SCAN_CURSORS = 8;

export class HashValue extends Collection {
  readonly type = 'hash';
  private values = new Map<string, string>();
  private seqs = new Map<string, number>();
  /** Seq of the next new field. */
  private nextSeq = 1;
  /** OBJECT ENCODING is 'hashtable' for good once a threshold was crossed (until rebuilt). */
  private big = false;
  /** Fields whose record changed since the last drain (written if live or the marker, else deleted). */
  private pending = new Set<string>();
  /** The field whose record marks the counter after the highest field was deleted (see the file comment). */
  private marker: string | null = null;
  private markerSeq = 0;
  /** HSCAN: cursor -> live iterator positioned at it (Map iterators survive mutations). Not replicated state. */
  private scanCursors: Map<number, Iterator<[string, string]>> | null = null;
  /** See fieldArray (node-local cache, not replicated state). */
  private snapshot: string[] | null = null;
  /** During a restore: records not yet ordered. */
  private restoring: Array<{ field: string; seq: number; value: string }> | null = null;

  constructor() {
    super();
    this.bytes = HASH_BASE_OVERHEAD;
  }

  get length(): number {
    return this.values.size;
  }

  elements(): Iterable<string> {
    return this.values.keys();
  }

  /** Field -> value in iteration order. */
  entries(): IterableIterator<[string, string]> {
    return this.values.entries();
  }

  /** Values in iteration order. */
  fieldValues(): IterableIterator<string> {
    return this.values.values();
  }

  encoding(): string {
    return this.big ? 'hashtable' : 'listpack';
  }

  get(field: string): string | undefined {
    return this.values.get(field);
  }

  has(field: string): boolean {
    return this.values.has(field);
  }

  /**
   * Redis hashTypeTryConversion: a field or value longer than
   * hash-max-listpack-value converts the hash before anything is written.
   */
  noteArgLength(len: number): void {
    if (!this.big && len > encodingConfig['hash-max-listpack-value']) this.big = true;
  }

  /**
   * Sets a field; true if it is new. An existing field keeps its position.
   * The caller has already applied noteArgLength to what it writes
   * (HINCRBY* results are checked here, as Redis's hashTypeSet does).
   */
  set(field: string, value: string): boolean {
    this.noteArgLength(field.length);
    this.noteArgLength(value.length);
    const old = this.values.get(field);
    this.pending.add(field);
    if (old !== undefined) {
      this.values.set(field, value);
      this.bytes += value.length - old.length;
      return false;
    }
    this.values.set(field, value);
    this.seqs.set(field, this.nextSeq++);
    this.bytes += field.length + value.length + HASH_FIELD_OVERHEAD;
    this.snapshot = null;
    if (this.marker !== null) {
      // The new field's record now holds the highest seq: the marker is not needed.
      this.pending.add(this.marker);
      this.marker = null;
    }
    if (!this.big && this.values.size > encodingConfig['hash-max-listpack-entries']) this.big = true;
    return true;
  }

  /** Deletes a field; true if it existed. */
  delete(field: string): boolean {
    const old = this.values.get(field);
    if (old === undefined) return false;
    const seq = this.seqs.get(field) as number;
    this.values.delete(field);
    this.seqs.delete(field);
    this.snapshot = null;
    this.bytes -= field.length + old.length + HASH_FIELD_OVERHEAD;
    this.pending.add(field);
    if (seq === this.nextSeq - 1) {
      // The highest seq is gone from the records: keep it in a marker (see the file comment).
      if (this.marker !== null) this.pending.add(this.marker);
      this.marker = field;
      this.markerSeq = seq;
    }
    return true;
  }

  /**
   * The fields in iteration order as an array, for random picks by index
   * (HRANDFIELD). Built on demand, O(n), and kept until a field is added or
   * deleted, so repeated picks from an unchanged hash are O(1). A pure
   * function of the contents: picks at apply time stay deterministic.
   */
  fieldArray(): readonly string[] {
    if (this.snapshot === null) this.snapshot = [...this.values.keys()];
    return this.snapshot;
  }

  /**
   * One HSCAN step over the hashtable encoding. The cursor is the seq to
   * resume from (0 = start): the step returns up to `count` fields with seq
   * >= cursor in seq order and, as the next cursor, one more than the last
   * seq returned (0 when none is left). A field present for the whole scan
   * keeps its seq, so it is returned by the step whose range holds it, on
   * any node (seqs are replicated state).
   */
  scan(cursor: number, count: number): { cursor: number; fields: Array<[string, string]> } {
    const fields: Array<[string, string]> = [];
    let it = this.scanCursors?.get(cursor);
    if (it !== undefined) this.scanCursors?.delete(cursor);
    else {
      // Cache miss: walk from the start to the first field with seq >= cursor.
      it = this.values.entries();
      if (cursor > 0) {
        for (;;) {
          const r = it.next();
          if (r.done === true) return { cursor: 0, fields };
          if ((this.seqs.get(r.value[0]) as number) >= cursor) {
            fields.push(r.value);
            break;
          }
        }
      }
    }
    while (fields.length < count) {
      const r = it.next();
      if (r.done === true) return { cursor: 0, fields };
      fields.push(r.value);
    }
    const last = fields[fields.length - 1];
    const next = (this.seqs.get(last[0]) as number) + 1;
    // The last field returned holds the highest seq: nothing is left, say so now (as Redis does when it can).
    if (next === this.nextSeq && this.marker === null) return { cursor: 0, fields };
    if (this.scanCursors === null) this.scanCursors = new Map();
    if (this.scanCursors.size >= MAX_SCAN_CURSORS) {
      const oldest = this.scanCursors.keys().next().value as number;
      this.scanCursors.delete(oldest);
    }
    this.scanCursors.set(next, it);
    return { cursor: next, fields };
  }

  // ------------------------------------------------------------ records

  drainRecords(sink: RecordSink): void {
    for (const field of this.pending) {
      const value = this.values.get(field);
      if (value !== undefined) sink(field, encodeField(this.seqs.get(field) as number, value));
      else if (field === this.marker) sink(field, encodeMarker(this.markerSeq));
      else sink(field, null);
    }
    this.pending.clear();
  }

  clearDirty(): void {
    this.pending.clear();
  }

  forEachRecordKey(sink: (subkey: string) => void): void {
    for (const field of this.values.keys()) sink(field);
    for (const field of this.pending) if (!this.values.has(field)) sink(field);
    if (this.marker !== null && !this.pending.has(this.marker)) sink(this.marker);
  }

  restoreRecord(subkey: string, value: Buffer): void {
    if (value.length < 8) throw new RangeError('hash field record truncated');
    const seq = value.readDoubleBE(0);
    if (seq < 0) {
      this.marker = subkey;
      this.markerSeq = -seq;
      return;
    }
    if (this.restoring === null) this.restoring = [];
    this.restoring.push({ field: subkey, seq, value: value.toString('latin1', 8) });
  }

  override finishRestore(): void {
    const unordered = this.restoring ?? [];
    this.restoring = null;
    const list = Array.from(seqOrder(unordered.map((x) => x.seq)), (i) => unordered[i]);
    let max = this.marker !== null ? this.markerSeq : 0;
    const maxValue = encodingConfig['hash-max-listpack-value'];
    let big = list.length > encodingConfig['hash-max-listpack-entries'];
    for (const { field, seq, value } of list) {
      this.values.set(field, value);
      this.seqs.set(field, seq);
      this.bytes += field.length + value.length + HASH_FIELD_OVERHEAD;
      if (field.length > maxValue || value.length > maxValue) big = true;
      if (seq > max) max = seq;
    }
    // A marker below a live field's seq cannot be written; were it there, it would only be dropped by the next new field.
    this.nextSeq = max + 1;
    this.big = big;
  }

  clone(): HashValue {
    // Renumbered 1..n: same order, and the counter needs no marker.
    const c = new HashValue();
    for (const [field, value] of this.values) {
      c.values.set(field, value);
      c.seqs.set(field, c.nextSeq++);
      c.pending.add(field);
    }
    c.bytes = this.bytes;
    c.big = this.big;
    return c;
  }
}

function encodeField(seq: number, value: string): Buffer {
  const out = Buffer.allocUnsafe(8 + value.length);
  out.writeDoubleBE(seq, 0);
  out.write(value, 8, 'latin1');
  return out;
}

function encodeMarker(seq: number): Buffer {
  const out = Buffer.allocUnsafe(8);
  out.writeDoubleBE(-seq, 0);
  return out;
}

registerCollection('hash', () => new HashValue());
