/**
 * What a key holds (Redis's object.c): a typed value with its encoding and
 * its byte size, kept up to date as the value changes.
 *
 * Strings are a small StringValue around their bytes (a latin1 JS string
 * when small, a Buffer when big; the keyspace stores the commonest ones bare,
 * see database.ts Stored). Every other type is a
 * `Collection`: a module of its own (hash.ts, list.ts, set.ts, zset.ts) that
 * keeps its elements in memory, knows its OBJECT ENCODING, keeps `bytes`
 * current incrementally, and owns the layout of its element records in the
 * durable keyspace copy (one record per field/member/chunk, so one change
 * rewrites one record, never the whole collection). The keyspace
 * (database.ts) stores values and the record envelope (records.ts); it never
 * looks inside a collection.
 *
 * Elements are held as latin1 strings (one char per byte: binary-safe and
 * about a third the size of a Buffer object each); commands convert with
 * keyString / keyBuffer.
 */

import { keptOrCopied } from '../../storage/bytes';

/** TYPE's answer. */
export type ValueType = 'string' | 'list' | 'hash' | 'set' | 'zset' | 'stream';
export type CollectionType = Exclude<ValueType, 'string'>;

/**
 * OBJECT ENCODING of a string as its writer made it. Redis decides it by
 * how the value was written, not by its bytes alone: APPEND to an existing
 * key, SETRANGE and the bit commands leave a raw sds; INCRBYFLOAT creates a
 * plain string object (embstr up to EMBSTR_LIMIT bytes, even for "1"); COPY
 * duplicates the object (an int copy is never a shared integer).
 * 'int' set explicitly means an int with refcount 1 (not shared).
 */
export type StringEncoding = 'int' | 'embstr' | 'raw';

/** Redis keeps strings up to 44 bytes in one allocation with the object (embstr). */
export const EMBSTR_LIMIT = 44;

/**
 * Strings up to this many bytes are held as latin1 JS strings (one char per
 * byte: binary-safe): a V8 sequential string costs a 16-byte header, where a
 * Buffer costs a ~100-byte typed-array object plus its share of an 8 KiB pool
 * slab (or, unpooled, an ArrayBuffer and a malloc'd backing store). Bigger
 * values stay Buffers: a reply then needs no copy, and V8 strings stop at
 * 2^29 - 24 chars where a value may reach 512 MiB.
 */
export const SMALL_STRING_LIMIT = 16 * 1024;

/**
 * A string value. Its bytes are never modified once stored, so replies may
 * be views of them. They are held in `data`: a latin1 string for small
 * values (what SET, MSET, INCR... store), or a Buffer for big ones and for
 * values APPEND grows in place. Read them through the accessors (`value`,
 * `length`, `writeTo`), never `data` directly.
 *
 * `capacity` (set by APPEND, always with a Buffer) says this value owns
 * `capacity` bytes of its ArrayBuffer from data.byteOffset: the next APPEND
 * may write past value.length there without copying, invisibly to existing
 * views. Values that share bytes (COPY) never carry it.
 *
 * `encoding` is set by the writers that do not go through Redis's
 * tryObjectEncoding (see StringEncoding); absent, the encoding is what
 * tryObjectEncoding gives the bytes (SET, MSET, GETSET, APPEND creating the
 * key, INCR's results, shared integers 0..9999 included). Writers set it at
 * apply time from the command alone, so it is a pure function of the log.
 * It is not persisted: a value loaded from the store has none, as Redis
 * re-encodes strings with tryObjectEncoding when it loads an RDB.
 *
 * A class with `type` on the prototype, and the rare fields added only when
 * set, so that the common value is a one-field object (32 bytes).
 */
export class StringValue {
  declare capacity?: number;
  declare encoding?: StringEncoding;

  constructor(
    /** latin1 string (small) or Buffer: see the class comment. */
    readonly data: string | Buffer,
  ) {}

  get type(): 'string' {
    return 'string';
  }

  /** The bytes (a new Buffer for a small value: callers may keep it, never write it). */
  get value(): Buffer {
    const d = this.data;
    return typeof d === 'string' ? Buffer.from(d, 'latin1') : d;
  }

  /** Length in bytes (latin1: one char per byte). */
  get length(): number {
    return this.data.length;
  }

  /** Copies the bytes into `target` at `offset`; returns the number of bytes written. */
  writeTo(target: Buffer, offset: number): number {
    const d = this.data;
    return typeof d === 'string' ? target.write(d, offset, d.length, 'latin1') : d.copy(target, offset);
  }

  /** Byte-wise equality with `b` (SET IFEQ, DELEX). */
  equals(b: Buffer): boolean {
    const d = this.data;
    if (d.length !== b.length) return false;
    return typeof d === 'string' ? d === b.toString('latin1') : d.equals(b);
  }

  /** Bytes this value costs in memory (valueBytes): the string or Buffer and this object. */
  get memoryBytes(): number {
    const d = this.data;
    if (typeof d === 'string') return STRING_OBJECT_BYTES + stringBytes(d);
    return STRING_OBJECT_BYTES + BUFFER_OVERHEAD + (this.capacity ?? d.length);
  }
}

/**
 * Measured costs on Node 20 x64 (no pointer compression; bench/memory.ts
 * --keyspace): the StringValue object, a sequential one-byte string's header,
 * and a Buffer's typed-array object plus its ArrayBuffer and backing-store
 * bookkeeping (big values are never pooled).
 */
const STRING_OBJECT_BYTES = 32;
const V8_STRING_HEADER = 16;
const BUFFER_OVERHEAD = 250;

/**
 * What V8 spends on a sequential one-byte string of this many chars: its
 * 16-byte header, the chars, and 3.5 bytes of padding to 8 on average
 * (counted as an average so that the estimate grows byte for byte with the value).
 */
export function stringBytes(s: string): number {
  return V8_STRING_HEADER + 4 + s.length;
}

/**
 * True for the common value the keyspace stores unwrapped, as its bare
 * latin1 string (database.ts): small, no spare capacity, no writer's encoding.
 */
export function isPlainString(v: StringValue): v is StringValue & { data: string } {
  return typeof v.data === 'string' && v.encoding === undefined && v.capacity === undefined;
}

/**
 * A string value owning `bytes` as given (the caller must not modify them
 * later: pass a copy when they alias a request or log buffer, or use
 * copiedString). Small values are converted to a latin1 string (a copy).
 */
export function stringValue(bytes: Buffer, encoding?: StringEncoding): StringValue {
  const v = new StringValue(bytes.length <= SMALL_STRING_LIMIT ? bytes.toString('latin1') : bytes);
  if (encoding !== undefined) v.encoding = encoding;
  return v;
}

/** Values at least this long that are most of their buffer share it instead of copying (copiedString). */
const SHARE_BYTES = 1 << 20;

/**
 * A string value holding a copy of `bytes` (which may alias a request or log
 * buffer), so it does not keep a larger buffer alive. A huge value that is
 * most of its buffer (a log entry holding one SET) shares it instead: those
 * buffers are never written after they are made, a value's bytes are never
 * written in place either (only APPEND's own spare capacity is), and copying
 * 100 MB into fresh memory blocks the event loop ~300 ms here.
 */
export function copiedString(bytes: Buffer, encoding?: StringEncoding): StringValue {
  if (bytes.length >= SHARE_BYTES) return stringValue(keptOrCopied(bytes), encoding);
  return stringValue(bytes.length <= SMALL_STRING_LIMIT ? bytes : Buffer.from(bytes), encoding);
}

/** A string value sharing `v`'s immutable bytes, without its spare capacity (COPY). */
export function sharedString(v: StringValue, encoding?: StringEncoding): StringValue {
  const d = v.data;
  const c = new StringValue(typeof d === 'string' || d.length > SMALL_STRING_LIMIT ? d : d.toString('latin1'));
  if (encoding !== undefined) c.encoding = encoding;
  return c;
}

/**
 * APPEND's result: a Buffer-held value of `total` bytes owning `capacity`
 * bytes of `base` (see StringValue); raw, as sds growth leaves it.
 */
export function appendableString(base: Buffer, total: number, capacity: number): StringValue {
  const v = new StringValue(base.subarray(0, total));
  v.capacity = capacity;
  v.encoding = 'raw';
  return v;
}

/** Receives a collection's element record changes: sub-key (latin1) and value, null = delete. */
export type RecordSink = (subkey: string, value: Buffer | null) => void;

/**
 * A list, hash, set or sorted set.
 *
 * Persistence contract (records.ts wraps sub-keys into store keys with `id`):
 * - every mutation remembers what it changed, so `drainRecords` emits only
 *   the element records that differ from what was last drained;
 * - a collection built by commands (or `clone`) has every element pending;
 *   one rebuilt by `restoreRecord` has nothing pending;
 * - `forEachRecordKey` names every record the collection may have in the
 *   store (its current elements and pending deletes), so that dropping the
 *   key deletes them all;
 * - iteration order must be a function of the applied log alone: a node
 *   that restored from records (after `finishRestore`) iterates exactly as
 *   one that applied every entry (HGETALL, SMEMBERS, SCAN and Lua see the
 *   same order everywhere).
 */
export abstract class Collection {
  abstract readonly type: CollectionType;
  /** Identity of its element records in the store; 0 until the keyspace first stores it. RENAME/MOVE keep it. */
  id = 0;
  /** Bytes accounted for maxmemory and MEMORY USAGE (elements + per-element overhead), kept incrementally. */
  bytes = 0;
  /** @internal `bytes` as the keyspace last counted it in usedBytes (database.ts accountedSize). */
  accounted = 0;
  /** Number of elements (a collection with none is deleted by the command that emptied it). */
  abstract get length(): number;
  /**
   * The elements in iteration order (list order, set members, sorted-set
   * members by score, hash fields): what SORT and generic tools read.
   */
  abstract elements(): Iterable<string>;
  /** OBJECT ENCODING, by Redis's names and thresholds (`encodingConfig`). */
  abstract encoding(): string;
  /** Emit the element records changed since the last drain, then forget them. */
  abstract drainRecords(sink: RecordSink): void;
  /**
   * drainRecords in steps: emits about `maxBytes` of record values (at least
   * one record) and returns false while more remain, true once all are out.
   * Between steps the collection must not change. Only a collection whose
   * drain can be large (a stream filled fast) splits it.
   */
  drainRecordsSome(sink: RecordSink, maxBytes: number): boolean {
    void maxBytes;
    this.drainRecords(sink);
    return true;
  }
  /** Forget pending changes (nothing is being persisted). */
  abstract clearDirty(): void;
  /** Every sub-key this collection may have in the store (current elements and pending deletes). */
  abstract forEachRecordKey(sink: (subkey: string) => void): void;
  /** Rebuild one element from its record (no change is remembered). `value` may be reused after: copy what you keep. */
  abstract restoreRecord(subkey: string, value: Buffer): void;
  /** Called once all records are restored (e.g. to order elements by their insertion sequence). */
  finishRestore(): void {}
  /** A deep copy with every element pending and id 0 (COPY). */
  abstract clone(): Collection;
}

export type Value = StringValue | Collection;

/**
 * A V8 Map holds at most 2^24 entries; a collection kept in Maps refuses to
 * grow past this with an error instead of failing half-way through a write.
 */
export const collectionLimits = { maxEntries: 16_777_215 };

/** Bytes a value accounts for in `usedBytes`. */
export function valueBytes(v: Value): number {
  return v.type === 'string' ? v.memoryBytes : v.bytes;
}

/**
 * Encoding thresholds (redis.conf names; CONFIG SET changes them on this
 * node). Like Redis, a collection converts to its big encoding once it
 * crosses a threshold and never converts back until it is rebuilt (restart,
 * snapshot install).
 */
export const encodingConfig = {
  'hash-max-listpack-entries': 128,
  'hash-max-listpack-value': 64,
  'set-max-intset-entries': 512,
  'zset-max-listpack-entries': 128,
  'zset-max-listpack-value': 64,
  'list-max-listpack-size': -2,
  'list-compress-depth': 0,
  'hll-sparse-max-bytes': 3000,
};
export type EncodingOption = keyof typeof encodingConfig;

/**
 * Type codes of key records (records.ts). 0 and 1 are the tombstone and the
 * string; collections follow Redis's RDB order shifted by one.
 */
export const TYPE_CODES: Record<CollectionType, number> = { list: 2, set: 3, zset: 4, hash: 5, stream: 6 };

const factories = new Map<number, () => Collection>();

/** A collection module registers how to create an empty instance for restore. */
export function registerCollection(type: CollectionType, create: (() => Collection) | undefined): void {
  if (create === undefined) factories.delete(TYPE_CODES[type]);
  else factories.set(TYPE_CODES[type], create);
}

/** The registered factory of a type (tests that register their own put it back). */
export function collectionFactory(type: CollectionType): (() => Collection) | undefined {
  return factories.get(TYPE_CODES[type]);
}

/** An empty collection of the type with this record code, or undefined if no module registered it. */
export function createCollection(code: number): Collection | undefined {
  return factories.get(code)?.();
}

/** Element strings: latin1 <-> bytes. */
export function elementString(buf: Buffer): string {
  return buf.toString('latin1');
}

export function elementBuffer(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}
