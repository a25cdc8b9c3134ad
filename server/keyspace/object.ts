/**
 * What a key holds (Redis's object.c): a typed value with its encoding and
 * its byte size, kept up to date as the value changes.
 *
 * Strings are a plain record around their bytes. Every other type is a
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

/** TYPE's answer. */
export type ValueType = 'string' | 'list' | 'hash' | 'set' | 'zset';
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
 * A string value. The bytes a value exposes are never modified once stored,
 * so replies may be views of them. `capacity` (set by APPEND) says this value
 * owns `capacity` bytes of its ArrayBuffer from value.byteOffset: the next
 * APPEND may write past value.length there without copying, invisibly to
 * existing views. Values that share bytes (COPY) never carry it.
 *
 * `encoding` is set by the writers that do not go through Redis's
 * tryObjectEncoding (see StringEncoding); absent, the encoding is what
 * tryObjectEncoding gives the bytes (SET, MSET, GETSET, APPEND creating the
 * key, INCR's results, shared integers 0..9999 included). Writers set it at
 * apply time from the command alone, so it is a pure function of the log.
 * It is not persisted: a value loaded from the store has none, as Redis
 * re-encodes strings with tryObjectEncoding when it loads an RDB.
 */
export interface StringValue {
  type: 'string';
  value: Buffer;
  capacity?: number;
  encoding?: StringEncoding;
}

export function stringValue(value: Buffer, encoding?: StringEncoding): StringValue {
  return encoding === undefined ? { type: 'string', value } : { type: 'string', value, encoding };
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
  return v.type === 'string' ? (v.capacity ?? v.value.length) : v.bytes;
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
};
export type EncodingOption = keyof typeof encodingConfig;

/**
 * Type codes of key records (records.ts). 0 and 1 are the tombstone and the
 * string; collections follow Redis's RDB order shifted by one.
 */
export const TYPE_CODES: Record<CollectionType, number> = { list: 2, set: 3, zset: 4, hash: 5 };

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
