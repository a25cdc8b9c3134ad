/**
 * Hash commands (Redis 7.0 t_hash.c): arity, order of checks, error texts
 * and reply shapes as redis-server answers them. Data lives in
 * keyspace/hash.ts; writes are pure functions of (state, argv, ctx).
 */
import { ErrorReply, isError as isErr, MapReply, OK, PairsReply, type Reply } from '../../protocol/reply';
import { ERR_INCR_NAN, ERR_NOT_FLOAT, ERR_NOT_INTEGER, ERR_OVERFLOW, ERR_SYNTAX, errArity } from '../../protocol/errors';
import { collectionLimits, elementBuffer, elementString, keyString } from '../keyspace';
import { HashValue } from '../keyspace/hash';
import { arg, block, defineCommand, keyArg, pureToken } from './define';
import { ERR_INVALID_CURSOR } from './errors';
import { globMatchString } from './glob';
import { collectionWritten, readTyped, storeCollection, writeTyped } from './typed';
import type { CommandDoc, DataCommand, ExecContext } from './types';
import { addInt64, isToken, parseInt64 } from './util';
import { addLongDouble, formatLongDoubleHuman, isNanOrInf, parseLongDouble, type LongDouble } from './long-double';
import { parseCursor as parseScanCursor } from './keys';

export const ERR_HASH_NOT_INTEGER = new ErrorReply('ERR hash value is not an integer');
export const ERR_HASH_NOT_FLOAT = new ErrorReply('ERR hash value is not a float');
export const ERR_NAN_OR_INFINITY = new ErrorReply('ERR value is NaN or Infinity');
export const ERR_OUT_OF_RANGE = new ErrorReply('ERR value is out of range');
const ERR_COUNT_RANGE = new ErrorReply('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');

const HASH_READ = ['@read', '@hash'];
const HASH_WRITE = ['@write', '@hash'];


function doc(summary: string, since: string, complexity: string, args: CommandDoc['arguments']): CommandDoc {
  return { summary, since, group: 'hash', complexity, arguments: args };
}

/** The hash at key for a write, created (not yet stored) when absent; WRONGTYPE otherwise. */

const ERR_HASH_TOO_LARGE = new ErrorReply(`ERR hash would exceed ${collectionLimits.maxEntries} fields`);
function writeHash(ctx: ExecContext, key: string): { h: HashValue; created: boolean } | ErrorReply {
  const cur = writeTyped(ctx, key, HashValue);
  if (isErr(cur)) return cur;
  return cur === undefined ? { h: new HashValue(), created: true } : { h: cur, created: false };
}

/** After a write changed `h`: store it if this write created it, else record the in-place change. */
function written(ctx: ExecContext, key: string, h: HashValue, created: boolean): void {
  if (created) storeCollection(ctx, key, h);
  else collectionWritten(ctx, key, h);
}

/** A uniform index in [0, n). */
function randomIndex(ctx: ExecContext, n: number): number {
  return Math.min(n - 1, Math.floor(ctx.random() * n));
}

/** Field/value pairs as HRANDFIELD ... WITHVALUES answers them: flat in RESP2, [field, value] pairs in RESP3. */
function pairsReply(pairs: Array<[string, string]>): Reply {
  return new PairsReply(pairs.map(([f, v]): [Reply, Reply] => [elementBuffer(f), elementBuffer(v)]));
}

// ------------------------------------------------------------ HSET / HMSET / HSETNX

function setPairs(ctx: ExecContext, argv: Buffer[]): number | ErrorReply {
  const key = keyString(argv[1]);
  const w = writeHash(ctx, key);
  if (isErr(w)) return w;
  const { h, created } = w;
  if (h.length + (argv.length - 2) / 2 > collectionLimits.maxEntries) {
    // Near the ceiling only: count the fields that would be new.
    const fresh = new Set<string>();
    for (let i = 2; i < argv.length; i += 2) if (!h.has(elementString(argv[i]))) fresh.add(elementString(argv[i]));
    if (h.length + fresh.size > collectionLimits.maxEntries) return ERR_HASH_TOO_LARGE;
  }
  // Redis hashTypeTryConversion: any long argument converts before the first write.
  for (let i = 2; i < argv.length; i++) h.noteArgLength(argv[i].length);
  let added = 0;
  for (let i = 2; i < argv.length; i += 2) if (h.set(elementString(argv[i]), elementString(argv[i + 1]))) added++;
  written(ctx, key, h, created);
  return added;
}

/** HSET/HMSET need field value pairs: an odd count is an arity error (Redis addReplyErrorArity). */
const checkPairs = (name: string) => (argv: Buffer[]) => (argv.length % 2 === 1 ? errArity(name) : null);

const fieldValuePairs = block('data', [arg('field', 'string'), arg('value', 'string')], { multiple: true });

const hset = defineCommand({
  name: 'hset',
  arity: -4,
  flags: ['write', 'denyoom', 'fast'],
  keys: [1, 1, 1],
  acl: [...HASH_WRITE, '@fast'],
  doc: doc(
    'Set the string value of a hash field',
    '2.0.0',
    'O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.',
    [keyArg(), fieldValuePairs],
  ),
  check: checkPairs('hset'),
  exec(ctx, argv) {
    if (argv.length % 2 === 1) return errArity('hset');
    return setPairs(ctx, argv);
  },
});

const hmset = defineCommand({
  name: 'hmset',
  arity: -4,
  flags: ['write', 'denyoom', 'fast'],
  keys: [1, 1, 1],
  acl: [...HASH_WRITE, '@fast'],
  doc: doc('Set multiple hash fields to multiple values', '2.0.0', 'O(N) where N is the number of fields being set.', [keyArg(), fieldValuePairs]),
  check: checkPairs('hmset'),
  exec(ctx, argv) {
    if (argv.length % 2 === 1) return errArity('hmset');
    const r = setPairs(ctx, argv);
    return isErr(r) ? r : OK;
  },
});

const hsetnx = defineCommand({
  name: 'hsetnx',
  arity: 4,
  flags: ['write', 'denyoom', 'fast'],
  keys: [1, 1, 1],
  acl: [...HASH_WRITE, '@fast'],
  doc: doc('Set the value of a hash field, only if the field does not exist', '2.0.0', 'O(1)', [keyArg(), arg('field', 'string'), arg('value', 'string')]),
  exec(ctx, argv) {
    const key = keyString(argv[1]);
    const w = writeHash(ctx, key);
    if (isErr(w)) return w;
    const field = elementString(argv[2]);
    // An existing field: nothing written, and (as in Redis) no conversion either.
    if (w.h.has(field)) return 0;
    if (w.h.length >= collectionLimits.maxEntries) return ERR_HASH_TOO_LARGE;
    w.h.set(field, elementString(argv[3]));
    written(ctx, key, w.h, w.created);
    return 1;
  },
});

// ------------------------------------------------------------ reads of fields

const hget = defineCommand({
  name: 'hget',
  arity: 3,
  flags: ['readonly', 'fast'],
  keys: [1, 1, 1],
  acl: [...HASH_READ, '@fast'],
  doc: doc('Get the value of a hash field', '2.0.0', 'O(1)', [keyArg(), arg('field', 'string')]),
  exec(ctx, argv) {
    const h = readTyped(ctx, keyString(argv[1]), HashValue);
    if (h === null || isErr(h)) return h;
    const v = h.get(elementString(argv[2]));
    return v === undefined ? null : elementBuffer(v);
  },
});

const hmget = defineCommand({
  name: 'hmget',
  arity: -3,
  flags: ['readonly', 'fast'],
  keys: [1, 1, 1],
  acl: [...HASH_READ, '@fast'],
  doc: doc('Get the values of all the given hash fields', '2.0.0', 'O(N) where N is the number of fields being requested.', [
    keyArg(),
    arg('field', 'string', { multiple: true }),
  ]),
  exec(ctx, argv) {
    const h = readTyped(ctx, keyString(argv[1]), HashValue);
    if (isErr(h)) return h;
    const out: Reply[] = [];
    for (let i = 2; i < argv.length; i++) {
      const v = h?.get(elementString(argv[i]));
      out.push(v === undefined ? null : elementBuffer(v));
    }
    return out;
  },
});

const hdel = defineCommand({
  name: 'hdel',
  arity: -3,
  flags: ['write', 'fast'],
  keys: [1, 1, 1],
  acl: [...HASH_WRITE, '@fast'],
  doc: doc('Delete one or more hash fields', '2.0.0', 'O(N) where N is the number of fields to be removed.', [
    keyArg(),
    arg('field', 'string', { multiple: true }),
  ]),
  exec(ctx, argv) {
    const key = keyString(argv[1]);
    const h = writeTyped(ctx, key, HashValue);
    if (h === undefined || isErr(h)) return h ?? 0;
    let deleted = 0;
    for (let i = 2; i < argv.length && h.length > 0; i++) if (h.delete(elementString(argv[i]))) deleted++;
    // An emptied hash is deleted (collectionWritten).
    if (deleted > 0) collectionWritten(ctx, key, h);
    return deleted;
  },
});

const hlen = defineCommand({
  name: 'hlen',
  arity: 2,
  flags: ['readonly', 'fast'],
  keys: [1, 1, 1],
  acl: [...HASH_READ, '@fast'],
  doc: doc('Get the number of fields in a hash', '2.0.0', 'O(1)', [keyArg()]),
  exec(ctx, argv) {
    const h = readTyped(ctx, keyString(argv[1]), HashValue);
    return isErr(h) ? h : (h?.length ?? 0);
  },
});

const hstrlen = defineCommand({
  name: 'hstrlen',
  arity: 3,
  flags: ['readonly', 'fast'],
  keys: [1, 1, 1],
  acl: [...HASH_READ, '@fast'],
  doc: doc('Get the length of the value of a hash field', '3.2.0', 'O(1)', [keyArg(), arg('field', 'string')]),
  exec(ctx, argv) {
    const h = readTyped(ctx, keyString(argv[1]), HashValue);
    return isErr(h) ? h : (h?.get(elementString(argv[2]))?.length ?? 0);
  },
});

const hexists = defineCommand({
  name: 'hexists',
  arity: 3,
  flags: ['readonly', 'fast'],
  keys: [1, 1, 1],
  acl: [...HASH_READ, '@fast'],
  doc: doc('Determine if a hash field exists', '2.0.0', 'O(1)', [keyArg(), arg('field', 'string')]),
  exec(ctx, argv) {
    const h = readTyped(ctx, keyString(argv[1]), HashValue);
    if (isErr(h)) return h;
    return h !== null && h.has(elementString(argv[2])) ? 1 : 0;
  },
});

// ------------------------------------------------------------ whole-hash reads

function wholeHash(name: string, summary: string, what: 'keys' | 'values' | 'all'): DataCommand {
  return defineCommand({
    name,
    arity: 2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    acl: [...HASH_READ, '@slow'],
    doc: doc(summary, '2.0.0', 'O(N) where N is the size of the hash.', [keyArg()]),
    exec(ctx, argv) {
      const h = readTyped(ctx, keyString(argv[1]), HashValue);
      if (isErr(h)) return h;
      if (what === 'all') {
        const entries: Array<[Reply, Reply]> = [];
        if (h !== null) for (const [f, v] of h.entries()) entries.push([elementBuffer(f), elementBuffer(v)]);
        return new MapReply(entries);
      }
      const out: Reply[] = [];
      if (h !== null) for (const s of what === 'keys' ? h.elements() : h.fieldValues()) out.push(elementBuffer(s));
      return out;
    },
  });
}

const hkeys = wholeHash('hkeys', 'Get all the fields in a hash', 'keys');
const hvals = wholeHash('hvals', 'Get all the values in a hash', 'values');
const hgetall = wholeHash('hgetall', 'Get all the fields and values in a hash', 'all');

// ------------------------------------------------------------ counters

const hincrby = defineCommand({
  name: 'hincrby',
  arity: 4,
  flags: ['write', 'denyoom', 'fast'],
  keys: [1, 1, 1],
  acl: [...HASH_WRITE, '@fast'],
  doc: doc('Increment the integer value of a hash field by the given number', '2.0.0', 'O(1)', [
    keyArg(),
    arg('field', 'string'),
    arg('increment', 'integer'),
  ]),
  check: (argv) => (parseInt64(argv[3]) === null ? ERR_NOT_INTEGER : null),
  exec(ctx, argv) {
    const by = parseInt64(argv[3]);
    if (by === null) return ERR_NOT_INTEGER;
    const key = keyString(argv[1]);
    const w = writeHash(ctx, key);
    if (isErr(w)) return w;
    const field = elementString(argv[2]);
    const cur = w.h.get(field);
    let value: bigint | number = 0;
    if (cur !== undefined) {
      const v = parseInt64(Buffer.from(cur, 'latin1'));
      if (v === null) return ERR_HASH_NOT_INTEGER;
      value = v;
    }
    const result = addInt64(value, by);
    if (result === null) return ERR_OVERFLOW;
    if (cur === undefined && w.h.length >= collectionLimits.maxEntries) return ERR_HASH_TOO_LARGE;
    w.h.set(field, String(result));
    written(ctx, key, w.h, w.created);
    return result;
  },
});

/** HINCRBYFLOAT's increment: a float (string2ld), and neither NaN nor infinite. */
function parseFloatIncrement(b: Buffer): LongDouble | ErrorReply {
  const by = parseLongDouble(b);
  if (by === null) return ERR_NOT_FLOAT;
  if (isNanOrInf(by)) return ERR_NAN_OR_INFINITY;
  return by;
}

const hincrbyfloat = defineCommand({
  name: 'hincrbyfloat',
  arity: 4,
  flags: ['write', 'denyoom', 'fast'],
  keys: [1, 1, 1],
  acl: [...HASH_WRITE, '@fast'],
  doc: doc('Increment the float value of a hash field by the given amount', '2.6.0', 'O(1)', [
    keyArg(),
    arg('field', 'string'),
    arg('increment', 'double'),
  ]),
  check(argv) {
    const by = parseFloatIncrement(argv[3]);
    return isErr(by) ? by : null;
  },
  exec(ctx, argv) {
    const by = parseFloatIncrement(argv[3]);
    if (isErr(by)) return by;
    const key = keyString(argv[1]);
    const w = writeHash(ctx, key);
    if (isErr(w)) return w;
    const field = elementString(argv[2]);
    const cur = w.h.get(field);
    let value: LongDouble = 0;
    if (cur !== undefined) {
      const v = parseLongDouble(Buffer.from(cur, 'latin1'));
      if (v === null) return ERR_HASH_NOT_FLOAT;
      value = v;
    }
    // C long double arithmetic and "%.17Lf" printing, as INCRBYFLOAT (long-double.ts).
    const result = addLongDouble(value, by);
    if (isNanOrInf(result)) return ERR_INCR_NAN;
    // Redis logs the result as HSET; here apply is deterministic anyway.
    const text = formatLongDoubleHuman(result);
    if (!w.h.has(field) && w.h.length >= collectionLimits.maxEntries) return ERR_HASH_TOO_LARGE;
    w.h.set(field, text);
    written(ctx, key, w.h, w.created);
    return elementBuffer(text);
  },
});

// ------------------------------------------------------------ HRANDFIELD

/** Beyond this many picks with repetition we refuse rather than build a reply that cannot fit in memory. */
const MAX_RANDOM_PICKS = 1 << 24;

interface RandArgs {
  count: number | null;
  withValues: boolean;
}

/** HRANDFIELD key [count [WITHVALUES]]: the checks Redis makes before looking at the key. */
function parseRandArgs(argv: Buffer[]): RandArgs | ErrorReply {
  if (argv.length < 3) return { count: null, withValues: false };
  const n = parseInt64(argv[2]);
  if (n === null) return ERR_NOT_INTEGER;
  if (n === -9223372036854775808n) return ERR_COUNT_RANGE;
  if (argv.length > 4 || (argv.length === 4 && !isToken(argv[3], 'withvalues'))) return ERR_SYNTAX;
  const withValues = argv.length === 4;
  // Redis refuses counts whose reply length (count * 2) would overflow a long.
  if (withValues && (n < -4611686018427387903n || n > 4611686018427387903n)) return ERR_OUT_OF_RANGE;
  // Counts past 2^53 are clamped: no hash or reply gets near them.
  const count = typeof n === 'bigint' ? (n > 0n ? Number.MAX_SAFE_INTEGER : -Number.MAX_SAFE_INTEGER) : n;
  return { count, withValues };
}

function randomPairsReply(pairs: Array<[string, string]>, withValues: boolean): Reply {
  return withValues ? pairsReply(pairs) : pairs.map(([f]) => elementBuffer(f));
}

const hrandfield = defineCommand({
  name: 'hrandfield',
  arity: -2,
  flags: ['readonly'],
  keys: [1, 1, 1],
  acl: [...HASH_READ, '@slow'],
  doc: doc('Get one or multiple random fields from a hash', '6.2.0', 'O(N) where N is the number of fields returned', [
    keyArg(),
    block('options', [arg('count', 'integer'), pureToken('withvalues', 'WITHVALUES', { optional: true })], { optional: true }),
  ]),
  check(argv) {
    const a = parseRandArgs(argv);
    return isErr(a) ? a : null;
  },
  exec(ctx, argv) {
    const a = parseRandArgs(argv);
    if (isErr(a)) return a;
    const h = readTyped(ctx, keyString(argv[1]), HashValue);
    if (isErr(h)) return h;
    if (a.count === null) {
      if (h === null) return null;
      return elementBuffer(h.fieldArray()[randomIndex(ctx, h.length)]);
    }
    if (h === null || a.count === 0) return [];
    const size = h.length;
    const pair = (f: string): [string, string] => [f, h.get(f) as string];
    if (a.count < 0 || a.count === 1) {
      // Picks with repetition (count 1 is one pick either way).
      const n = Math.abs(a.count);
      if (n > MAX_RANDOM_PICKS) return ERR_OUT_OF_RANGE;
      const fields = h.fieldArray();
      const picks: Array<[string, string]> = new Array<[string, string]>(n);
      for (let i = 0; i < n; i++) picks[i] = pair(fields[randomIndex(ctx, size)]);
      return randomPairsReply(picks, a.withValues);
    }
    const entries = [...h.entries()];
    if (a.count >= size) return randomPairsReply(entries, a.withValues);
    // Distinct fields: a partial Fisher-Yates shuffle.
    for (let i = 0; i < a.count; i++) {
      const j = i + randomIndex(ctx, size - i);
      const t = entries[i];
      entries[i] = entries[j];
      entries[j] = t;
    }
    entries.length = a.count;
    return randomPairsReply(entries, a.withValues);
  },
});

// ------------------------------------------------------------ HSCAN

/** The cursor parser every *SCAN shares (keys.ts: Redis's parseScanCursorOrReply). */
export { parseCursor as parseScanCursor } from './keys';

interface HscanOptions {
  count: number;
  pattern: string | null;
}

/** [MATCH pattern] [COUNT count] (db.c scanGenericCommand; no TYPE for a key's scan). */
function parseHscanOptions(argv: Buffer[]): HscanOptions | ErrorReply {
  const o: HscanOptions = { count: 10, pattern: null };
  for (let i = 3; i < argv.length; i += 2) {
    const hasValue = argv.length - i >= 2;
    if (isToken(argv[i], 'count') && hasValue) {
      const n = parseInt64(argv[i + 1]);
      if (n === null) return ERR_NOT_INTEGER;
      if (n < 1) return ERR_SYNTAX;
      o.count = Number(n);
    } else if (isToken(argv[i], 'match') && hasValue) {
      const p = argv[i + 1].toString('latin1');
      o.pattern = p === '*' ? null : p;
    } else {
      return ERR_SYNTAX;
    }
  }
  return o;
}

const hscan = defineCommand({
  name: 'hscan',
  arity: -3,
  flags: ['readonly'],
  keys: [1, 1, 1],
  acl: [...HASH_READ, '@slow'],
  doc: doc(
    'Incrementally iterate hash fields and associated values',
    '2.8.0',
    'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..',
    [
      keyArg(),
      arg('cursor', 'integer'),
      arg('pattern', 'pattern', { token: 'MATCH', optional: true }),
      arg('count', 'integer', { token: 'COUNT', optional: true }),
    ],
  ),
  // Only the cursor is checked before the lookup: Redis answers an empty scan for a missing key whatever the options.
  check: (argv) => (parseScanCursor(argv[2]) === null ? ERR_INVALID_CURSOR : null),
  exec(ctx, argv) {
    const cursor = parseScanCursor(argv[2]);
    if (cursor === null) return ERR_INVALID_CURSOR;
    const h = readTyped(ctx, keyString(argv[1]), HashValue);
    if (isErr(h)) return h;
    if (h === null) return ['0', []];
    const o = parseHscanOptions(argv);
    if (isErr(o)) return o;
    let next = 0;
    let fields: Iterable<[string, string]>;
    if (h.encoding() === 'listpack') {
      // Like Redis: a small hash is returned whole, whatever the cursor.
      fields = h.entries();
    } else {
      const step = h.scan(cursor > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(cursor), o.count);
      next = step.cursor;
      fields = step.fields;
    }
    const out: Reply[] = [];
    for (const [f, v] of fields) {
      if (o.pattern !== null && !globMatchString(o.pattern, f)) continue;
      out.push(elementBuffer(f), elementBuffer(v));
    }
    return [String(next), out];
  },
});

export const hashCommands: DataCommand[] = [
  hset,
  hsetnx,
  hget,
  hmget,
  hmset,
  hdel,
  hlen,
  hstrlen,
  hexists,
  hkeys,
  hvals,
  hgetall,
  hincrby,
  hincrbyfloat,
  hrandfield,
  hscan,
];
