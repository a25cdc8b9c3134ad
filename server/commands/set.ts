/**
 * Set commands (Redis 7.0 t_set.c): SADD SREM SMOVE SISMEMBER SMISMEMBER
 * SCARD SMEMBERS SPOP SRANDMEMBER SINTER SINTERCARD SINTERSTORE SUNION
 * SUNIONSTORE SDIFF SDIFFSTORE SSCAN.
 *
 * Writes run at apply time on every node: SPOP draws from ctx.random (seeded
 * by the log entry) and picks by slot, which the set keeps identical on every
 * node, so every node pops the same members. Reads (SRANDMEMBER) use the
 * node's own randomness: they change nothing.
 */
import { ErrorReply, isError as isErr, SetReply, type Reply } from '../../protocol/reply';
import { ERR_NOT_INTEGER, ERR_SYNTAX, WRONGTYPE } from '../../protocol/errors';
import { elementBuffer, elementString, keyString } from '../keyspace';
import { MAX_SET_MEMBERS, SetValue } from '../keyspace/set';
import { arg, defineCommand, keyArg } from './define';
import { ERR_INVALID_CURSOR } from './errors';
import { globMatchString } from './glob';
import { collectionWritten, readTyped, storeCollection, writeTyped } from './typed';
import type { ArgDoc, CommandDoc, DataCommand, ExecContext } from './types';
import { INT64_MIN, isToken, parseInt64 } from './util';
import { parseCursor as parseScanCursor } from './keys';

const ERR_SPOP_COUNT = new ErrorReply('ERR value is out of range, must be positive');
const ERR_RANDMEMBER_RANGE = new ErrorReply('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');
const ERR_NUMKEYS = new ErrorReply('ERR numkeys should be greater than 0');
const ERR_NUMKEYS_ARGS = new ErrorReply("ERR Number of keys can't be greater than number of args");
const ERR_LIMIT = new ErrorReply("ERR LIMIT can't be negative");
const ERR_SET_TOO_LARGE = new ErrorReply(`ERR set would exceed ${MAX_SET_MEMBERS} members`);

/**
 * SRANDMEMBER with a negative count repeats members, so its reply is not
 * bounded by the set: Redis would build any size (and run out of memory).
 * A reply this long is refused instead of taking the node down.
 */
export const MAX_RANDOM_REPLY = 10_000_000;
const ERR_RANDMEMBER_TOO_MANY = new ErrorReply(`ERR value is out of range, value must between -${MAX_RANDOM_REPLY} and 9223372036854775807`);

const SET_READ = ['@read', '@set'];
const SET_WRITE = ['@write', '@set'];


function doc(summary: string, since: string, complexity: string, args: ArgDoc[]): CommandDoc {
  return { summary, since, group: 'set', complexity, arguments: args };
}

function members(set: SetValue | null | undefined): Reply[] {
  const out: Reply[] = [];
  if (set) for (const m of set.elements()) out.push(elementBuffer(m));
  return out;
}

const EMPTY_SET = (): SetReply => new SetReply([]);

// ------------------------------------------------------------ SADD / SREM

const sadd = defineCommand({
  name: 'sadd',
  arity: -3,
  flags: ['write', 'denyoom', 'fast'],
  keys: [1, 1, 1],
  acl: [...SET_WRITE, '@fast'],
  doc: doc(
    "Adds one or more members to a set. Creates the key if it doesn't exist.",
    '1.0.0',
    'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.',
    [keyArg(), arg('member', 'string', { multiple: true })],
  ),
  exec(ctx, argv) {
    const key = keyString(argv[1]);
    const found = writeTyped(ctx, key, SetValue);
    if (isErr(found)) return found;
    const set = found ?? new SetValue();
    if (set.length + argv.length - 2 > MAX_SET_MEMBERS) {
      let fresh = 0;
      const seen = new Set<string>();
      for (let j = 2; j < argv.length; j++) {
        const m = elementString(argv[j]);
        if (!set.has(m) && !seen.has(m)) fresh++;
        seen.add(m);
      }
      if (set.length + fresh > MAX_SET_MEMBERS) return ERR_SET_TOO_LARGE;
    }
    let added = 0;
    for (let j = 2; j < argv.length; j++) if (set.add(elementString(argv[j]))) added++;
    if (found === undefined) storeCollection(ctx, key, set);
    else if (added > 0) collectionWritten(ctx, key, set);
    return added;
  },
});

const srem = defineCommand({
  name: 'srem',
  arity: -3,
  flags: ['write', 'fast'],
  keys: [1, 1, 1],
  acl: [...SET_WRITE, '@fast'],
  doc: doc(
    'Removes one or more members from a set. Deletes the set if the last member was removed.',
    '1.0.0',
    'O(N) where N is the number of members to be removed.',
    [keyArg(), arg('member', 'string', { multiple: true })],
  ),
  exec(ctx, argv) {
    const key = keyString(argv[1]);
    const set = writeTyped(ctx, key, SetValue);
    if (set === undefined || isErr(set)) return set ?? 0;
    let removed = 0;
    for (let j = 2; j < argv.length && set.length > 0; j++) if (set.remove(elementString(argv[j]))) removed++;
    if (removed > 0) collectionWritten(ctx, key, set);
    return removed;
  },
});

const smove = defineCommand({
  name: 'smove',
  arity: 4,
  flags: ['write', 'fast'],
  keys: [1, 2, 1],
  acl: [...SET_WRITE, '@fast'],
  doc: doc('Moves a member from one set to another.', '1.0.0', 'O(1)', [keyArg('source'), keyArg('destination'), arg('member', 'string')]),
  exec(ctx, argv) {
    const srcKey = keyString(argv[1]);
    const dstKey = keyString(argv[2]);
    const src = writeTyped(ctx, srcKey, SetValue);
    const dst = writeTyped(ctx, dstKey, SetValue);
    // A missing source answers 0 before any type check (t_set.c smoveCommand).
    if (src === undefined) return 0;
    if (isErr(src) || isErr(dst)) return WRONGTYPE;
    const member = elementString(argv[3]);
    if (src === dst) return src.has(member) ? 1 : 0;
    if (dst !== undefined && !dst.has(member) && dst.length >= MAX_SET_MEMBERS) return ERR_SET_TOO_LARGE;
    if (!src.remove(member)) return 0;
    collectionWritten(ctx, srcKey, src);
    if (dst === undefined) {
      const created = new SetValue();
      created.add(member);
      storeCollection(ctx, dstKey, created);
    } else if (dst.add(member)) {
      collectionWritten(ctx, dstKey, dst);
    }
    return 1;
  },
});

// ------------------------------------------------------- membership reads

const sismember = defineCommand({
  name: 'sismember',
  arity: 3,
  flags: ['readonly', 'fast'],
  keys: [1, 1, 1],
  acl: [...SET_READ, '@fast'],
  doc: doc('Determines whether a member belongs to a set.', '1.0.0', 'O(1)', [keyArg(), arg('member', 'string')]),
  exec(ctx, argv) {
    const set = readTyped(ctx, keyString(argv[1]), SetValue);
    if (isErr(set)) return set;
    return set !== null && set.has(elementString(argv[2])) ? 1 : 0;
  },
});

const smismember = defineCommand({
  name: 'smismember',
  arity: -3,
  flags: ['readonly', 'fast'],
  keys: [1, 1, 1],
  acl: [...SET_READ, '@fast'],
  doc: doc('Determines whether multiple members belong to a set.', '6.2.0', 'O(N) where N is the number of elements being checked for membership', [
    keyArg(),
    arg('member', 'string', { multiple: true }),
  ]),
  exec(ctx, argv) {
    const set = readTyped(ctx, keyString(argv[1]), SetValue);
    if (isErr(set)) return set;
    const out: Reply[] = [];
    for (let j = 2; j < argv.length; j++) out.push(set !== null && set.has(elementString(argv[j])) ? 1 : 0);
    return out;
  },
});

const scard = defineCommand({
  name: 'scard',
  arity: 2,
  flags: ['readonly', 'fast'],
  keys: [1, 1, 1],
  acl: [...SET_READ, '@fast'],
  doc: doc('Returns the number of members in a set.', '1.0.0', 'O(1)', [keyArg()]),
  exec(ctx, argv) {
    const set = readTyped(ctx, keyString(argv[1]), SetValue);
    if (isErr(set)) return set;
    return set === null ? 0 : set.length;
  },
});

const smembers = defineCommand({
  name: 'smembers',
  arity: 2,
  flags: ['readonly'],
  keys: [1, 1, 1],
  acl: [...SET_READ, '@slow'],
  doc: doc('Returns all members of a set.', '1.0.0', 'O(N) where N is the set cardinality.', [keyArg()]),
  exec(ctx, argv) {
    const set = readTyped(ctx, keyString(argv[1]), SetValue);
    if (isErr(set)) return set;
    return new SetReply(members(set));
  },
});

// --------------------------------------------------- SPOP / SRANDMEMBER

/** SPOP's count (getPositiveLongFromObjectOrReply): a non-negative int64, or the error Redis gives for anything else. */
function spopCount(argv: Buffer[]): number | ErrorReply | null {
  if (argv.length === 2) return null;
  if (argv.length > 3) return ERR_SYNTAX;
  const n = parseInt64(argv[2]);
  if (n === null || n < 0) return ERR_SPOP_COUNT;
  return Number(n);
}

const spop = defineCommand({
  name: 'spop',
  arity: -2,
  flags: ['write', 'fast'],
  keys: [1, 1, 1],
  acl: [...SET_WRITE, '@fast'],
  doc: doc(
    'Returns one or more random members from a set after removing them. Deletes the set if the last member was popped.',
    '1.0.0',
    'Without the count argument O(1), otherwise O(N) where N is the value of the passed count.',
    [keyArg(), arg('count', 'integer', { optional: true, since: '3.2.0' })],
  ),
  check(argv) {
    const c = spopCount(argv);
    return isErr(c) ? c : null;
  },
  exec(ctx, argv) {
    const count = spopCount(argv);
    if (isErr(count)) return count;
    const key = keyString(argv[1]);
    const set = writeTyped(ctx, key, SetValue);
    if (isErr(set)) return set;
    if (count === null) {
      if (set === undefined) return null;
      const m = set.randomMember(ctx.random);
      set.remove(m);
      collectionWritten(ctx, key, set);
      return elementBuffer(m);
    }
    if (set === undefined || count === 0) return EMPTY_SET();
    if (count >= set.length) {
      // The whole set, in its iteration order (Redis replies with SUNION of it).
      const all = members(set);
      ctx.db.delete(key, ctx.index);
      return new SetReply(all);
    }
    const out: Reply[] = [];
    for (let i = 0; i < count; i++) {
      const m = set.randomMember(ctx.random);
      set.remove(m);
      out.push(elementBuffer(m));
    }
    collectionWritten(ctx, key, set);
    return new SetReply(out);
  },
});

/** SRANDMEMBER's count (getRangeLongFromObjectOrReply -LONG_MAX..LONG_MAX), bounded for negative counts (MAX_RANDOM_REPLY). */
function randCount(argv: Buffer[]): number | ErrorReply | null {
  if (argv.length === 2) return null;
  if (argv.length > 3) return ERR_SYNTAX;
  const n = parseInt64(argv[2]);
  if (n === null) return ERR_NOT_INTEGER;
  if (n === INT64_MIN) return ERR_RANDMEMBER_RANGE;
  if (n < -MAX_RANDOM_REPLY) return ERR_RANDMEMBER_TOO_MANY;
  // Positive counts beyond the set size mean "the whole set": any huge one will do.
  return typeof n === 'bigint' ? Number.MAX_SAFE_INTEGER : n;
}

/** `count` distinct members in random order (count < length). */
function sampleDistinct(set: SetValue, count: number, rand: () => number): string[] {
  const n = set.length;
  const out: string[] = [];
  if (count * 3 > n) {
    // Partial Fisher-Yates over slot numbers.
    const idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    for (let i = 0; i < count; i++) {
      const j = i + Math.min(n - i - 1, Math.floor(rand() * (n - i)));
      const t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
      out.push(set.memberAt(idx[i]));
    }
    return out;
  }
  const picked = new Set<string>();
  while (out.length < count) {
    const m = set.randomMember(rand);
    if (picked.has(m)) continue;
    picked.add(m);
    out.push(m);
  }
  return out;
}

const srandmember = defineCommand({
  name: 'srandmember',
  arity: -2,
  flags: ['readonly'],
  keys: [1, 1, 1],
  acl: [...SET_READ, '@slow'],
  doc: doc(
    'Get one or multiple random members from a set',
    '1.0.0',
    'Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.',
    [keyArg(), arg('count', 'integer', { optional: true, since: '2.6.0' })],
  ),
  check(argv) {
    const c = randCount(argv);
    return isErr(c) ? c : null;
  },
  exec(ctx, argv) {
    const count = randCount(argv);
    if (isErr(count)) return count;
    const set = readTyped(ctx, keyString(argv[1]), SetValue);
    if (isErr(set)) return set;
    if (count === null) return set === null ? null : elementBuffer(set.randomMember(ctx.random));
    if (set === null || count === 0) return [];
    if (count < 0 || count === 1) {
      // Repeats allowed: one Buffer per distinct member, however long the reply.
      const n = count < 0 ? -count : 1;
      const bufs = new Map<string, Buffer>();
      const out: Reply[] = new Array<Reply>(n);
      for (let i = 0; i < n; i++) {
        const m = set.randomMember(ctx.random);
        let b = bufs.get(m);
        if (b === undefined) bufs.set(m, (b = elementBuffer(m)));
        out[i] = b;
      }
      return out;
    }
    if (count >= set.length) return members(set);
    return sampleDistinct(set, count, ctx.random).map(elementBuffer);
  },
});

// --------------------------------------------- SINTER / SUNION / SDIFF

/**
 * The sets at `keys` (undefined when absent), or WRONGTYPE if any of them
 * holds another type (every key is checked, even after a missing one). A
 * write (STORE) deletes expired source keys first, deterministically.
 */
function lookupSets(ctx: ExecContext, argv: Buffer[], from: number, to: number, write: boolean): Array<SetValue | undefined> | ErrorReply {
  const sets: Array<SetValue | undefined> = [];
  for (let j = from; j < to; j++) {
    const key = keyString(argv[j]);
    const s = write ? writeTyped(ctx, key, SetValue) : readTyped(ctx, key, SetValue);
    if (isErr(s)) return s;
    sets.push(s ?? undefined);
  }
  return sets;
}

/**
 * Members of the intersection in the smallest set's iteration order (ties:
 * first given). `limit` > 0 stops after that many (SINTERCARD). Null when a
 * set is absent (the intersection is empty).
 */
function intersect(sets: Array<SetValue | undefined>, limit = 0): string[] {
  if (sets.some((s) => s === undefined)) return [];
  const sorted = (sets as SetValue[]).slice().sort((a, b) => a.length - b.length);
  const first = sorted[0];
  const out: string[] = [];
  for (const m of first.elements()) {
    let all = true;
    for (let j = 1; j < sorted.length; j++) {
      if (sorted[j] !== first && !sorted[j].has(m)) {
        all = false;
        break;
      }
    }
    if (!all) continue;
    out.push(m);
    if (limit > 0 && out.length >= limit) break;
  }
  return out;
}

/** SUNION / SDIFF into a new set (intset while it can be, like Redis's dstset); an error past MAX_SET_MEMBERS. */
function unionOrDiff(sets: Array<SetValue | undefined>, op: 'union' | 'diff'): SetValue | ErrorReply {
  const result = new SetValue();
  if (op === 'union') {
    for (const s of sets) {
      if (s === undefined) continue;
      for (const m of s.elements()) {
        if (result.length >= MAX_SET_MEMBERS && !result.has(m)) return ERR_SET_TOO_LARGE;
        result.add(m);
      }
    }
    return result;
  }
  const first = sets[0];
  if (first === undefined) return result;
  // The same key again among the others: nothing is left (Redis's `sameset`).
  for (let j = 1; j < sets.length; j++) if (sets[j] === first) return result;
  // Redis picks one of two algorithms by estimated work; the result's
  // encoding shows which (the second adds every member of the first set,
  // so a non-integer member makes it a hashtable even if it is then removed).
  let oneWork = 0;
  let twoWork = 0;
  for (const s of sets) {
    if (s === undefined) continue;
    oneWork += first.length;
    twoWork += s.length;
  }
  if (Math.floor(oneWork / 2) <= twoWork) {
    outer: for (const m of first.elements()) {
      for (let j = 1; j < sets.length; j++) if (sets[j]?.has(m)) continue outer;
      result.add(m);
    }
    return result;
  }
  for (const m of first.elements()) result.add(m);
  for (let j = 1; j < sets.length && result.length > 0; j++) {
    const s = sets[j];
    if (s === undefined) continue;
    for (const m of s.elements()) result.remove(m);
  }
  return result;
}

/** Stores a computed set (replacing any value, TTL cleared; an empty result deletes the key) and replies its size. */
function storeResult(ctx: ExecContext, dstArg: Buffer, result: SetValue): number {
  storeCollection(ctx, keyString(dstArg), result);
  return result.length;
}

const multiKeyRead = (name: string, summary: string, complexity: string, op: 'inter' | 'union' | 'diff'): DataCommand =>
  defineCommand({
    name,
    arity: -2,
    flags: ['readonly'],
    keys: [1, -1, 1],
    acl: [...SET_READ, '@slow'],
    doc: doc(summary, '1.0.0', complexity, [keyArg('key', { multiple: true })]),
    exec(ctx, argv) {
      const sets = lookupSets(ctx, argv, 1, argv.length, false);
      if (isErr(sets)) return sets;
      if (op === 'inter') return new SetReply(intersect(sets).map(elementBuffer));
      const result = unionOrDiff(sets, op);
      return isErr(result) ? result : new SetReply(members(result));
    },
  });

const multiKeyStore = (name: string, summary: string, complexity: string, op: 'inter' | 'union' | 'diff'): DataCommand =>
  defineCommand({
    name,
    arity: -3,
    flags: ['write', 'denyoom'],
    keys: [1, -1, 1],
    acl: [...SET_WRITE, '@slow'],
    doc: doc(summary, '1.0.0', complexity, [keyArg('destination'), keyArg('key', { multiple: true })]),
    exec(ctx, argv) {
      const sets = lookupSets(ctx, argv, 2, argv.length, true);
      if (isErr(sets)) return sets;
      let result: SetValue | ErrorReply;
      if (op === 'inter') {
        result = new SetValue();
        for (const m of intersect(sets)) result.add(m);
      } else {
        result = unionOrDiff(sets, op);
      }
      return isErr(result) ? result : storeResult(ctx, argv[1], result);
    },
  });

const sinter = multiKeyRead(
  'sinter',
  'Returns the intersect of multiple sets.',
  'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.',
  'inter',
);
const sunion = multiKeyRead('sunion', 'Returns the union of multiple sets.', 'O(N) where N is the total number of elements in all given sets.', 'union');
const sdiff = multiKeyRead('sdiff', 'Returns the difference of multiple sets.', 'O(N) where N is the total number of elements in all given sets.', 'diff');
const sinterstore = multiKeyStore(
  'sinterstore',
  'Stores the intersect of multiple sets in a key.',
  'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.',
  'inter',
);
const sunionstore = multiKeyStore(
  'sunionstore',
  'Stores the union of multiple sets in a key.',
  'O(N) where N is the total number of elements in all given sets.',
  'union',
);
const sdiffstore = multiKeyStore(
  'sdiffstore',
  'Stores the difference of multiple sets in a key.',
  'O(N) where N is the total number of elements in all given sets.',
  'diff',
);

interface InterCardArgs {
  numkeys: number;
  limit: number;
}

/** SINTERCARD numkeys key [key ...] [LIMIT limit] (sinterCardCommand), all checked before any key is read. */
function parseInterCard(argv: Buffer[]): InterCardArgs | ErrorReply {
  const nk = parseInt64(argv[1]);
  if (nk === null || nk < 1) return ERR_NUMKEYS;
  if (nk > argv.length - 2) return ERR_NUMKEYS_ARGS;
  const numkeys = Number(nk);
  let limit = 0;
  for (let j = 2 + numkeys; j < argv.length; j++) {
    if (isToken(argv[j], 'limit') && j + 1 < argv.length) {
      const l = parseInt64(argv[++j]);
      if (l === null || l < 0) return ERR_LIMIT;
      limit = Number(l);
    } else {
      return ERR_SYNTAX;
    }
  }
  return { numkeys, limit };
}

const sintercard = defineCommand({
  name: 'sintercard',
  arity: -3,
  flags: ['readonly', 'movablekeys'],
  keys: [0, 0, 0],
  acl: [...SET_READ, '@slow'],
  doc: doc(
    'Returns the number of members of the intersect of multiple sets.',
    '7.0.0',
    'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.',
    [arg('numkeys', 'integer'), keyArg('key', { multiple: true }), arg('limit', 'integer', { token: 'LIMIT', optional: true })],
  ),
  check(argv) {
    const a = parseInterCard(argv);
    return isErr(a) ? a : null;
  },
  exec(ctx, argv) {
    const a = parseInterCard(argv);
    if (isErr(a)) return a;
    const sets = lookupSets(ctx, argv, 2, 2 + a.numkeys, false);
    if (isErr(sets)) return sets;
    return intersect(sets, a.limit).length;
  },
});

// -------------------------------------------------------------- SSCAN

/** The cursor parser every *SCAN shares (keys.ts: Redis's parseScanCursorOrReply). */
export { parseCursor as parseScanCursor } from './keys';

const sscan = defineCommand({
  name: 'sscan',
  arity: -3,
  flags: ['readonly'],
  keys: [1, 1, 1],
  acl: [...SET_READ, '@slow'],
  doc: doc(
    'Iterates over members of a set.',
    '2.8.0',
    'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.',
    [
      keyArg(),
      arg('cursor', 'integer'),
      arg('pattern', 'pattern', { token: 'MATCH', optional: true }),
      arg('count', 'integer', { token: 'COUNT', optional: true }),
    ],
  ),
  exec(ctx, argv) {
    // Order as in Redis: the cursor, then the key, then the options (a missing key ignores bad options).
    const cursor = parseScanCursor(argv[2]);
    if (cursor === null) return ERR_INVALID_CURSOR;
    const set = readTyped(ctx, keyString(argv[1]), SetValue);
    if (isErr(set)) return set;
    if (set === null) return ['0', []];
    let count = 10;
    let pattern: string | null = null;
    for (let i = 3; i < argv.length; i += 2) {
      const hasValue = argv.length - i >= 2;
      if (isToken(argv[i], 'count') && hasValue) {
        const n = parseInt64(argv[i + 1]);
        if (n === null) return ERR_NOT_INTEGER;
        if (n < 1) return ERR_SYNTAX;
        count = typeof n === 'bigint' ? Number.MAX_SAFE_INTEGER : n;
      } else if (isToken(argv[i], 'match') && hasValue) {
        const p = argv[i + 1].toString('latin1');
        pattern = p === '*' ? null : p;
      } else {
        return ERR_SYNTAX;
      }
    }
    // Seqs stay below 2^53: a larger cursor is past every member.
    const step = set.scan(cursor > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(cursor), count);
    const out: Reply[] = [];
    for (const m of step.members) if (pattern === null || globMatchString(pattern, m)) out.push(elementBuffer(m));
    return [String(step.cursor), out];
  },
});

export const setCommands: DataCommand[] = [
  sadd,
  srem,
  smove,
  sismember,
  smismember,
  scard,
  smembers,
  spop,
  srandmember,
  sinter,
  sintercard,
  sinterstore,
  sunion,
  sunionstore,
  sdiff,
  sdiffstore,
  sscan,
];
