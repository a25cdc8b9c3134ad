/**
 * List commands (Redis 7.0 t_list.c, non-blocking): LPUSH RPUSH LPUSHX
 * RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET LINSERT LREM LTRIM LPOS LMOVE
 * RPOPLPUSH LMPOP.
 *
 * Pure helpers for the blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH,
 * BLMPOP), each one apply-time step with Redis's lookups, WRONGTYPE checks,
 * empty-key deletion and WATCH/persistence bookkeeping done:
 *   popFromList(ctx, key, end, count)  -> elements popped | null (no key) | WRONGTYPE
 *   moveBetween(ctx, src, dst, from, to) -> element moved | null (no src) | WRONGTYPE
 *   lmpopFirst(ctx, keys, end, count)  -> LMPOP's reply: [key, elements] | NullArray | WRONGTYPE
 * Order of checks matches Redis: options are parsed before the key is
 * looked up exactly where Redis does so (LRANGE, LTRIM, LREM, LINSERT, LPOS,
 * LPOP's count), after it where Redis does (LINDEX, LSET).
 */
import { ErrorReply, isError as isErr, NullArray, OK, type Reply } from '../../protocol/reply';
import { ERR_NOT_INTEGER, ERR_NO_SUCH_KEY, ERR_SYNTAX } from '../../protocol/errors';
import { elementBuffer, elementString, keyBuffer, keyString } from '../keyspace';
import { ListValue, type ListEnd } from '../keyspace/list';
import { arg, defineCommand, keyArg, oneOf, pureToken } from './define';
import { collectionWritten, readTyped, storeCollection, writeTyped } from './typed';
import type { DataCommand, ExecContext } from './types';
import { isToken, parseInt64, parseLongLong } from './util';

export type { ListEnd } from '../keyspace/list';

const LONG_MAX = 9223372036854775807;
const LONG_MIN_BIG = -9223372036854775808n;

export const ERR_INDEX_RANGE = new ErrorReply('ERR index out of range');
const ERR_POP_COUNT = new ErrorReply('ERR value is out of range, must be positive');
const ERR_RANK_ZERO = new ErrorReply(
  "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
);
const ERR_LPOS_COUNT = new ErrorReply("ERR COUNT can't be negative");
const ERR_LPOS_MAXLEN = new ErrorReply("ERR MAXLEN can't be negative");
const ERR_NUMKEYS = new ErrorReply('ERR numkeys should be greater than 0');
const ERR_MPOP_COUNT = new ErrorReply('ERR count should be greater than 0');


function toKey(k: Buffer | string): string {
  return typeof k === 'string' ? k : keyString(k);
}

/** Redis's getPositiveLongFromObjectOrReply with a message: unparsable or negative -> `err`. */
function positiveLong(buf: Buffer, err: ErrorReply): number | ErrorReply {
  const v = parseLongLong(buf);
  return v === null || v < 0 ? err : v;
}

/** getLongFromObjectOrReply. */
function long(buf: Buffer): number | ErrorReply {
  const v = parseLongLong(buf);
  return v === null ? ERR_NOT_INTEGER : v;
}

/** LEFT | RIGHT (getListPositionFromObjectOrReply), else a syntax error. */
export function parseListEnd(buf: Buffer): ListEnd | ErrorReply {
  if (isToken(buf, 'left')) return 'left';
  if (isToken(buf, 'right')) return 'right';
  return ERR_SYNTAX;
}

// ------------------------------------------------------------ pure helpers

/**
 * Pushes `values` one by one onto `end` of the list at `key` (LPUSH a b c
 * leaves c at the head), creating it unless `onlyIfExists`. Returns the new
 * length (0 when onlyIfExists and the key is absent) or WRONGTYPE.
 */
export function pushToList(ctx: ExecContext, key: Buffer | string, end: ListEnd, values: Buffer[], onlyIfExists = false): number | ErrorReply {
  const k = toKey(key);
  const l = writeTyped(ctx, k, ListValue);
  if (isErr(l)) return l;
  if (l === undefined) {
    if (onlyIfExists) return 0;
    const created = new ListValue();
    for (const v of values) created.push(end, elementString(v));
    storeCollection(ctx, k, created);
    return created.length;
  }
  for (const v of values) l.push(end, elementString(v));
  collectionWritten(ctx, k, l);
  return l.length;
}

/**
 * Pops up to `count` elements from `end` of the list at `key` (an emptied
 * list is deleted). Returns them in pop order, null when the key is absent,
 * or WRONGTYPE. `count` 0 answers [] for an existing list without touching it.
 * BLPOP/BRPOP: popFromList(ctx, key, end, 1) -> [key, elements[0]].
 */
export function popFromList(ctx: ExecContext, key: Buffer | string, end: ListEnd, count: number): Buffer[] | null | ErrorReply {
  const k = toKey(key);
  const l = writeTyped(ctx, k, ListValue);
  if (isErr(l)) return l;
  if (l === undefined) return null;
  if (count <= 0) return [];
  const out = l.pop(end, count).map(elementBuffer);
  collectionWritten(ctx, k, l);
  return out;
}

/**
 * LMOVE's step: pops one element from `from` of `src` and pushes it onto
 * `to` of `dst` (which may be `src`: a rotation). Returns the element, null
 * when `src` is absent (whatever `dst` holds), or WRONGTYPE when either key
 * holds another type (then nothing moves). BLMOVE/BRPOPLPUSH reply with it.
 */
export function moveBetween(ctx: ExecContext, src: Buffer | string, dst: Buffer | string, from: ListEnd, to: ListEnd): Buffer | null | ErrorReply {
  const sk = toKey(src);
  const dk = toKey(dst);
  const s = writeTyped(ctx, sk, ListValue);
  if (isErr(s)) return s;
  if (s === undefined) return null;
  const d = sk === dk ? s : writeTyped(ctx, dk, ListValue);
  if (isErr(d)) return d;
  const [v] = s.pop(from, 1);
  if (d === undefined) {
    const created = new ListValue();
    created.push(to, v);
    storeCollection(ctx, dk, created);
  } else {
    d.push(to, v);
    if (d !== s) collectionWritten(ctx, dk, d);
  }
  collectionWritten(ctx, sk, s);
  return elementBuffer(v);
}

/**
 * LMPOP's step: the first of `keys` that holds a non-empty list gives up to
 * `count` elements from `end`. Returns exactly LMPOP's reply: [key,
 * [elements...]], NullArray when no key holds a list, or WRONGTYPE when a key
 * met before the first list holds another type. BLMPOP replies with it too.
 */
export function lmpopFirst(ctx: ExecContext, keys: Array<Buffer | string>, end: ListEnd, count: number): [Buffer, Buffer[]] | NullArray | ErrorReply {
  for (const key of keys) {
    const k = toKey(key);
    const l = writeTyped(ctx, k, ListValue);
    if (isErr(l)) return l;
    if (l === undefined || l.length === 0) continue;
    const out = l.pop(end, count).map(elementBuffer);
    collectionWritten(ctx, k, l);
    return [typeof key === 'string' ? keyBuffer(key) : key, out];
  }
  return NullArray.instance;
}

// ------------------------------------------------------------ command specs

const LIST_READ = ['@read', '@list'];
const LIST_WRITE = ['@write', '@list'];

function pushCommand(name: string, end: ListEnd, onlyIfExists: boolean, summary: string, since: string): DataCommand {
  return defineCommand({
    name,
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    acl: [...LIST_WRITE, '@fast'],
    doc: {
      summary,
      since,
      group: 'list',
      complexity: 'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.',
      arguments: [keyArg(), arg('element', 'string', { multiple: true })],
    },
    exec: (ctx, argv) => pushToList(ctx, argv[1], end, argv.slice(2), onlyIfExists),
  });
}

const lpush = pushCommand('lpush', 'left', false, 'Prepends one or more elements to a list. Creates the key if it does not exist.', '1.0.0');
const rpush = pushCommand('rpush', 'right', false, 'Appends one or more elements to a list. Creates the key if it does not exist.', '1.0.0');
const lpushx = pushCommand('lpushx', 'left', true, 'Prepends one or more elements to a list only when the list exists.', '2.2.0');
const rpushx = pushCommand('rpushx', 'right', true, 'Appends an element to a list only when the list exists.', '2.2.0');

/** LPOP/RPOP key [count]: count parsed before the lookup; a missing key answers a null array when count is given. */
function popCommand(name: string, end: ListEnd, summary: string): DataCommand {
  const parseCount = (argv: Buffer[]): number | ErrorReply | undefined => {
    if (argv.length > 3) return new ErrorReply(`ERR wrong number of arguments for '${name}' command`);
    return argv.length === 3 ? positiveLong(argv[2], ERR_POP_COUNT) : undefined;
  };
  return defineCommand({
    name,
    arity: -2,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    acl: [...LIST_WRITE, '@fast'],
    doc: {
      summary,
      since: '1.0.0',
      group: 'list',
      complexity: 'O(N) where N is the number of elements returned',
      arguments: [keyArg(), arg('count', 'integer', { optional: true, since: '6.2.0' })],
    },
    check(argv) {
      const c = parseCount(argv);
      return isErr(c) ? c : null;
    },
    exec(ctx, argv) {
      const count = parseCount(argv);
      if (isErr(count)) return count;
      const popped = popFromList(ctx, argv[1], end, count ?? 1);
      if (isErr(popped)) return popped;
      if (popped === null) return count === undefined ? null : NullArray.instance;
      return count === undefined ? popped[0] : popped;
    },
  });
}

const lpop = popCommand('lpop', 'left', 'Returns the first elements in a list after removing it. Deletes the list if the last element was popped.');
const rpop = popCommand('rpop', 'right', 'Returns and removes the last elements of a list. Deletes the list if the last element was popped.');

const llen = defineCommand({
  name: 'llen',
  arity: 2,
  flags: ['readonly', 'fast'],
  keys: [1, 1, 1],
  acl: [...LIST_READ, '@fast'],
  doc: { summary: 'Returns the length of a list.', since: '1.0.0', group: 'list', complexity: 'O(1)', arguments: [keyArg()] },
  exec(ctx, argv) {
    const l = readTyped(ctx, keyString(argv[1]), ListValue);
    if (isErr(l)) return l;
    return l === null ? 0 : l.length;
  },
});

/** Redis's start/end normalization for LRANGE: [start, end] within the list, or null when empty. */
function normalizeRange(start: number, end: number, len: number): [number, number] | null {
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (start > end || start >= len) return null;
  if (end >= len) end = len - 1;
  return [start, end];
}

function parseTwoLongs(a: Buffer, b: Buffer): [number, number] | ErrorReply {
  const x = long(a);
  if (isErr(x)) return x;
  const y = long(b);
  if (isErr(y)) return y;
  return [x, y];
}

const lrange = defineCommand({
  name: 'lrange',
  arity: 4,
  flags: ['readonly'],
  keys: [1, 1, 1],
  acl: [...LIST_READ, '@slow'],
  doc: {
    summary: 'Returns a range of elements from a list.',
    since: '1.0.0',
    group: 'list',
    complexity:
      'O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.',
    arguments: [keyArg(), arg('start', 'integer'), arg('stop', 'integer')],
  },
  check(argv) {
    const r = parseTwoLongs(argv[2], argv[3]);
    return isErr(r) ? r : null;
  },
  exec(ctx, argv) {
    const r = parseTwoLongs(argv[2], argv[3]);
    if (isErr(r)) return r;
    const l = readTyped(ctx, keyString(argv[1]), ListValue);
    if (isErr(l)) return l;
    if (l === null) return [];
    const range = normalizeRange(r[0], r[1], l.length);
    return range === null ? [] : l.range(range[0], range[1]).map(elementBuffer);
  },
});

const lindex = defineCommand({
  name: 'lindex',
  arity: 3,
  flags: ['readonly'],
  keys: [1, 1, 1],
  acl: [...LIST_READ, '@slow'],
  doc: {
    summary: 'Returns an element from a list by its index.',
    since: '1.0.0',
    group: 'list',
    complexity:
      'O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).',
    arguments: [keyArg(), arg('index', 'integer')],
  },
  exec(ctx, argv) {
    const l = readTyped(ctx, keyString(argv[1]), ListValue);
    if (isErr(l)) return l;
    if (l === null) return null;
    let i = long(argv[2]);
    if (isErr(i)) return i;
    if (i < 0) i += l.length;
    const v = l.get(i);
    return v === undefined ? null : elementBuffer(v);
  },
});

const lset = defineCommand({
  name: 'lset',
  arity: 4,
  flags: ['write', 'denyoom'],
  keys: [1, 1, 1],
  acl: [...LIST_WRITE, '@slow'],
  doc: {
    summary: 'Sets the value of an element in a list by its index.',
    since: '1.0.0',
    group: 'list',
    complexity: 'O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).',
    arguments: [keyArg(), arg('index', 'integer'), arg('element', 'string')],
  },
  exec(ctx, argv) {
    const key = keyString(argv[1]);
    const l = writeTyped(ctx, key, ListValue);
    if (isErr(l)) return l;
    if (l === undefined) return ERR_NO_SUCH_KEY;
    let i = long(argv[2]);
    if (isErr(i)) return i;
    if (i < 0) i += l.length;
    if (!l.set(i, elementString(argv[3]))) return ERR_INDEX_RANGE;
    collectionWritten(ctx, key, l);
    return OK;
  },
});

function parseWhere(buf: Buffer): 'before' | 'after' | null {
  if (isToken(buf, 'before')) return 'before';
  if (isToken(buf, 'after')) return 'after';
  return null;
}

const linsert = defineCommand({
  name: 'linsert',
  arity: 5,
  flags: ['write', 'denyoom'],
  keys: [1, 1, 1],
  acl: [...LIST_WRITE, '@slow'],
  doc: {
    summary: 'Inserts an element before or after another element in a list.',
    since: '2.2.0',
    group: 'list',
    complexity:
      'O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).',
    arguments: [keyArg(), oneOf('where', [pureToken('before', 'BEFORE'), pureToken('after', 'AFTER')]), arg('pivot', 'string'), arg('element', 'string')],
  },
  check: (argv) => (parseWhere(argv[2]) === null ? ERR_SYNTAX : null),
  exec(ctx, argv) {
    const where = parseWhere(argv[2]);
    if (where === null) return ERR_SYNTAX;
    const key = keyString(argv[1]);
    const l = writeTyped(ctx, key, ListValue);
    if (isErr(l)) return l;
    if (l === undefined) return 0;
    const at = l.indexOf(elementString(argv[3]));
    if (at < 0) return -1;
    l.insertAt(where === 'before' ? at : at + 1, elementString(argv[4]));
    collectionWritten(ctx, key, l);
    return l.length;
  },
});

const lrem = defineCommand({
  name: 'lrem',
  arity: 4,
  flags: ['write'],
  keys: [1, 1, 1],
  acl: [...LIST_WRITE, '@slow'],
  doc: {
    summary: 'Removes elements from a list. Deletes the list if the last element was removed.',
    since: '1.0.0',
    group: 'list',
    complexity: 'O(N+M) where N is the length of the list and M is the number of elements removed.',
    arguments: [keyArg(), arg('count', 'integer'), arg('element', 'string')],
  },
  check(argv) {
    const c = long(argv[2]);
    return isErr(c) ? c : null;
  },
  exec(ctx, argv) {
    const count = long(argv[2]);
    if (isErr(count)) return count;
    const key = keyString(argv[1]);
    const l = writeTyped(ctx, key, ListValue);
    if (isErr(l)) return l;
    if (l === undefined) return 0;
    const removed = l.removeValue(elementString(argv[3]), count);
    if (removed > 0) collectionWritten(ctx, key, l);
    return removed;
  },
});

const ltrim = defineCommand({
  name: 'ltrim',
  arity: 4,
  flags: ['write'],
  keys: [1, 1, 1],
  acl: [...LIST_WRITE, '@slow'],
  doc: {
    summary: 'Removes elements from both ends a list. Deletes the list if all elements were trimmed.',
    since: '1.0.0',
    group: 'list',
    complexity: 'O(N) where N is the number of elements to be removed by the operation.',
    arguments: [keyArg(), arg('start', 'integer'), arg('stop', 'integer')],
  },
  check(argv) {
    const r = parseTwoLongs(argv[2], argv[3]);
    return isErr(r) ? r : null;
  },
  exec(ctx, argv) {
    const r = parseTwoLongs(argv[2], argv[3]);
    if (isErr(r)) return r;
    const key = keyString(argv[1]);
    const l = writeTyped(ctx, key, ListValue);
    if (isErr(l)) return l;
    if (l === undefined) return OK;
    const len = l.length;
    const range = normalizeRange(r[0], r[1], len);
    const [left, right] = range === null ? [len, 0] : [range[0], len - range[1] - 1];
    l.trim(left, right);
    // Even a trim that removes nothing counts as a modification (Redis signals the key: WATCH sees it).
    collectionWritten(ctx, key, l);
    return OK;
  },
});

interface LposOptions {
  /** Matches to skip before the first reported one is rank - 1 (LONG_MIN: every match qualifies, as 7.0's overflow does). */
  rank: number;
  fromTail: boolean;
  /** -1 = no COUNT option; 0 = all. */
  count: number;
  maxlen: number;
  /** RANK was LONG_MIN: Redis 7.0 negates it into itself, so every match qualifies and COUNT never stops the scan. */
  rankOverflow: boolean;
}

function parseLpos(argv: Buffer[]): LposOptions | ErrorReply {
  const o: LposOptions = { rank: 1, fromTail: false, count: -1, maxlen: 0, rankOverflow: false };
  for (let j = 3; j < argv.length; j++) {
    const more = j < argv.length - 1;
    if (isToken(argv[j], 'rank') && more) {
      j++;
      const big = parseInt64(argv[j]);
      if (big === null) return ERR_NOT_INTEGER;
      if (big === 0) return ERR_RANK_ZERO;
      o.rankOverflow = big === LONG_MIN_BIG;
      const r = Number(big);
      o.fromTail = r < 0;
      o.rank = Math.abs(r);
    } else if (isToken(argv[j], 'count') && more) {
      j++;
      const c = positiveLong(argv[j], ERR_LPOS_COUNT);
      if (isErr(c)) return c;
      o.count = c;
    } else if (isToken(argv[j], 'maxlen') && more) {
      j++;
      const m = positiveLong(argv[j], ERR_LPOS_MAXLEN);
      if (isErr(m)) return m;
      o.maxlen = m;
    } else {
      return ERR_SYNTAX;
    }
  }
  return o;
}

const lpos = defineCommand({
  name: 'lpos',
  arity: -3,
  flags: ['readonly'],
  keys: [1, 1, 1],
  acl: [...LIST_READ, '@slow'],
  doc: {
    summary: 'Returns the index of matching elements in a list.',
    since: '6.0.6',
    group: 'list',
    complexity: 'O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.',
    arguments: [
      keyArg(),
      arg('element', 'string'),
      arg('rank', 'integer', { token: 'RANK', optional: true }),
      arg('num-matches', 'integer', { token: 'COUNT', optional: true }),
      arg('len', 'integer', { token: 'MAXLEN', optional: true }),
    ],
  },
  check(argv) {
    const o = parseLpos(argv);
    return isErr(o) ? o : null;
  },
  exec(ctx, argv) {
    const o = parseLpos(argv);
    if (isErr(o)) return o;
    const l = readTyped(ctx, keyString(argv[1]), ListValue);
    if (isErr(l)) return l;
    if (l === null) return o.count !== -1 ? [] : null;
    const ele = elementString(argv[2]);
    const len = l.length;
    const out: number[] = [];
    let matches = 0;
    let index = 0;
    for (const s of o.fromTail ? l.reversed() : l.elements()) {
      if (o.maxlen !== 0 && index >= o.maxlen) break;
      if (s === ele) {
        matches++;
        if (o.rankOverflow || matches >= o.rank) {
          const at = o.fromTail ? len - index - 1 : index;
          if (o.count === -1) return at;
          out.push(at);
          if (o.count !== 0 && !o.rankOverflow && matches - o.rank + 1 >= o.count) break;
        }
      }
      index++;
    }
    return o.count === -1 ? null : out;
  },
});

function moveCommand(name: 'lmove' | 'rpoplpush'): DataCommand {
  const lmove = name === 'lmove';
  const ends = (argv: Buffer[]): [ListEnd, ListEnd] | ErrorReply => {
    if (!lmove) return ['right', 'left'];
    const from = parseListEnd(argv[3]);
    if (isErr(from)) return from;
    const to = parseListEnd(argv[4]);
    if (isErr(to)) return to;
    return [from, to];
  };
  const side = (n: string): ReturnType<typeof oneOf> => oneOf(n, [pureToken('left', 'LEFT'), pureToken('right', 'RIGHT')]);
  return defineCommand({
    name,
    arity: lmove ? 5 : 3,
    flags: ['write', 'denyoom'],
    keys: [1, 2, 1],
    acl: [...LIST_WRITE, '@slow'],
    doc: lmove
      ? {
          summary: 'Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.',
          since: '6.2.0',
          group: 'list',
          complexity: 'O(1)',
          arguments: [keyArg('source'), keyArg('destination'), side('wherefrom'), side('whereto')],
        }
      : {
          summary: 'Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.',
          since: '1.2.0',
          group: 'list',
          complexity: 'O(1)',
          arguments: [keyArg('source'), keyArg('destination')],
        },
    check(argv) {
      const e = ends(argv);
      return isErr(e) ? e : null;
    },
    exec(ctx, argv) {
      const e = ends(argv);
      if (isErr(e)) return e;
      return moveBetween(ctx, argv[1], argv[2], e[0], e[1]);
    },
  });
}

interface MpopArgs {
  keys: Buffer[];
  end: ListEnd;
  count: number;
}

/**
 * `numkeys key... LEFT|RIGHT [COUNT n]` from argv[at] on (Redis's
 * lmpopGenericCommand parsing, shared with BLMPOP whose numkeys is argv[2]).
 */
export function parseMpopArgs(argv: Buffer[], at: number): MpopArgs | ErrorReply {
  const numkeys = parseLongLong(argv[at]);
  if (numkeys === null || numkeys < 1) return ERR_NUMKEYS;
  const whereAt = at + numkeys + 1;
  if (whereAt >= argv.length) return ERR_SYNTAX;
  const end = parseListEnd(argv[whereAt]);
  if (isErr(end)) return end;
  let count = -1;
  for (let j = whereAt + 1; j < argv.length; j++) {
    if (count === -1 && isToken(argv[j], 'count') && j < argv.length - 1) {
      j++;
      const c = parseLongLong(argv[j]);
      if (c === null || c < 1 || c > LONG_MAX) return ERR_MPOP_COUNT;
      count = c;
    } else {
      return ERR_SYNTAX;
    }
  }
  return { keys: argv.slice(at + 1, whereAt), end, count: count === -1 ? 1 : count };
}

const lmpop = defineCommand({
  name: 'lmpop',
  arity: -4,
  flags: ['write', 'movablekeys'],
  keys: [0, 0, 0],
  acl: [...LIST_WRITE, '@slow'],
  doc: {
    summary: 'Returns multiple elements from a list after removing them. Deletes the list if the last element was popped.',
    since: '7.0.0',
    group: 'list',
    complexity: 'O(N+M) where N is the number of provided keys and M is the number of elements returned.',
    arguments: [
      arg('numkeys', 'integer'),
      keyArg('key', { multiple: true }),
      oneOf('where', [pureToken('left', 'LEFT'), pureToken('right', 'RIGHT')]),
      arg('count', 'integer', { token: 'COUNT', optional: true }),
    ],
  },
  check(argv) {
    const a = parseMpopArgs(argv, 1);
    return isErr(a) ? a : null;
  },
  exec(ctx, argv): Reply {
    const a = parseMpopArgs(argv, 1);
    if (isErr(a)) return a;
    return lmpopFirst(ctx, a.keys, a.end, a.count);
  },
});

export const listCommands: DataCommand[] = [
  lpush,
  rpush,
  lpushx,
  rpushx,
  lpop,
  rpop,
  llen,
  lrange,
  lindex,
  lset,
  linsert,
  lrem,
  ltrim,
  lpos,
  moveCommand('lmove'),
  moveCommand('rpoplpush'),
  lmpop,
];
