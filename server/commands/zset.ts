/**
 * Sorted set commands (Redis 7.0 t_zset.c), non-blocking ones. The data
 * structure lives in keyspace/zset.ts (ZSetValue) and keyspace/skiplist.ts.
 *
 * For the blocking commands (BZPOPMIN/BZPOPMAX/BZMPOP, built elsewhere) this
 * module exports pure apply-time helpers, see "Pops" below:
 *   zpopFrom(ctx, key, where, count)   the popped [member, score] pairs (or null / WRONGTYPE)
 *   zpop(ctx, key, where, count?)      ZPOPMIN/ZPOPMAX's reply for one key
 *   zpopFirstKey(ctx, keys, where)     BZPOPMIN/BZPOPMAX's reply: [key, member, score] or null
 *   zmpopFirst(ctx, keys, where, count) ZMPOP/BZMPOP's reply: [key, [[member, score]...]] or null
 * Each deletes a zset it empties and records the write (collectionWritten).
 *
 * Replies: a score is a DoubleReply (RESP3 `,`; RESP2 a bulk string);
 * member/score pairs go through `scorePairs` (see there: RESP3 nesting
 * needs a shared reply type).
 */
import { DoubleReply, ErrorReply, NullArray, PairsReply, isError as isErr, type Reply } from '../../protocol/reply';
import { formatDouble } from '../../protocol/double';
import { ERR_NOT_FLOAT, ERR_NOT_INTEGER, ERR_SYNTAX, WRONGTYPE } from '../../protocol/errors';
import { collectionLimits, elementBuffer, elementString, keyBuffer, keyString } from '../keyspace';
import { ZSetValue } from '../keyspace/zset';
import {
  MINUS_INF,
  PLUS_INF,
  type LexRange,
  type ScoreRange,
  type SkipNode,
  lexGteMin,
  lexLteMax,
  scoreGteMin,
  scoreLteMax,
} from '../keyspace/skiplist';
import { arg, block, defineCommand, keyArg, oneOf, pureToken } from './define';
import { ERR_INVALID_CURSOR } from './errors';
import { globMatchString } from './glob';
import { parseCursor } from './keys';
import { collectionWritten, readTyped, storeCollection, writeTyped } from './typed';
import { lookupRead, type ArgDoc, type DataCommand, type ExecContext } from './types';
import { isToken, parseFloat64, parseInt64 } from './util';

// ------------------------------------------------------------------ errors

const ERR_XX_NX = new ErrorReply('ERR XX and NX options at the same time are not compatible');
const ERR_GT_LT_NX = new ErrorReply('ERR GT, LT, and/or NX options at the same time are not compatible');
const ERR_INCR_PAIR = new ErrorReply('ERR INCR option supports a single increment-element pair');
const ERR_NAN = new ErrorReply('ERR resulting score is not a number (NaN)');
const ERR_MINMAX_FLOAT = new ErrorReply('ERR min or max is not a float');
const ERR_MINMAX_LEX = new ErrorReply('ERR min or max not valid string range item');
const ERR_LIMIT_RANK = new ErrorReply('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
const ERR_WITHSCORES_LEX = new ErrorReply('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
const ERR_WEIGHT = new ErrorReply('ERR weight value is not a float');
const ERR_NUMKEYS = new ErrorReply('ERR numkeys should be greater than 0');
const ERR_COUNT_POSITIVE = new ErrorReply('ERR count should be greater than 0');
const ERR_OUT_OF_RANGE_POSITIVE = new ErrorReply('ERR value is out of range, must be positive');
const ERR_LIMIT_NEGATIVE = new ErrorReply('ERR LIMIT can\'t be negative');
const ERR_RANDMEMBER_RANGE = new ErrorReply('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');
const ERR_OUT_OF_RANGE = new ErrorReply('ERR value is out of range');

function errAtLeastOneKey(name: string): ErrorReply {
  return new ErrorReply(`ERR at least 1 input key is needed for '${name}' command`);
}


const ERR_ZSET_TOO_LARGE = new ErrorReply(`ERR sorted set would exceed ${collectionLimits.maxEntries} members`);
const LONG_MAX = 9223372036854775807n;

// -------------------------------------------------------------- formatting


/**
 * Member/score pairs (WITHSCORES, ZPOP with a count, ZRANDMEMBER, ZMPOP):
 * flat in RESP2 and [member, score] pairs in RESP3 (PairsReply); `nested`
 * forces pairs in RESP2 too (ZMPOP).
 */
function scorePairs(items: Array<[string, number]>, nested = false): Reply {
  if (nested) return items.map(([m, s]) => [elementBuffer(m), new DoubleReply(s)]);
  return new PairsReply(items.map(([m, s]): [Reply, Reply] => [elementBuffer(m), new DoubleReply(s)]));
}

// ----------------------------------------------------------------- parsing

const C_SPACE = /^[ \t\n\v\f\r]*/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const INF = /^[+-]?inf(?:inity)?$/i;

/**
 * A range bound as zslParseRange reads it: strtod with only "all consumed"
 * and "not NaN" checked, so leading spaces pass, overflow gives +-inf and the
 * empty string is 0. Null when invalid.
 */
export function parseRangeScore(s: string): number | null {
  const t = s.replace(C_SPACE, '');
  if (t === '') return s === '' ? 0 : null;
  if (DECIMAL.test(t)) return Number(t);
  if (INF.test(t)) return t[0] === '-' ? -Infinity : Infinity;
  const hex = HEX.exec(t);
  if (hex !== null) {
    const [, sign, int, frac = '', exp = '0'] = hex;
    if (int.length === 0 && frac.length === 0) return null;
    let mant = 0;
    for (const c of int + frac) mant = mant * 16 + parseInt(c, 16);
    const v = mant * 2 ** (Number(exp) - 4 * frac.length);
    return sign === '-' ? -v : v;
  }
  return null;
}

/** zslParseRange: '(' makes a bound exclusive. */
export function parseScoreRange(minArg: Buffer, maxArg: Buffer): ScoreRange | null {
  const a = minArg.toString('latin1');
  const b = maxArg.toString('latin1');
  const minex = a.startsWith('(');
  const maxex = b.startsWith('(');
  const min = parseRangeScore(minex ? a.slice(1) : a);
  const max = parseRangeScore(maxex ? b.slice(1) : b);
  if (min === null || max === null) return null;
  return { min, max, minex, maxex };
}

function parseLexItem(b: Buffer): { v: LexRange['min']; ex: boolean } | null {
  if (b.length === 0) return null;
  switch (b[0]) {
    case 0x2b /* + */:
      return b.length === 1 ? { v: PLUS_INF, ex: true } : null;
    case 0x2d /* - */:
      return b.length === 1 ? { v: MINUS_INF, ex: true } : null;
    case 0x28 /* ( */:
      return { v: b.toString('latin1', 1), ex: true };
    case 0x5b /* [ */:
      return { v: b.toString('latin1', 1), ex: false };
    default:
      return null;
  }
}

/** zslParseLexRange. */
export function parseLexRange(minArg: Buffer, maxArg: Buffer): LexRange | null {
  const a = parseLexItem(minArg);
  const b = parseLexItem(maxArg);
  if (a === null || b === null) return null;
  return { min: a.v, minex: a.ex, max: b.v, maxex: b.ex };
}

/** getLongFromObject: a 64-bit integer as a number (precision beyond 2^53 is irrelevant for ranks/counts). */
function parseLong(b: Buffer): number | null {
  const v = parseInt64(b);
  return v === null ? null : Number(v);
}

// ------------------------------------------------------------ range walks

type Pair = [string, number];

/** Rank range [start, end] (0-based, negative from the end), forward or reversed. O(log n + m). */
function rankRange(z: ZSetValue, start: number, end: number, rev: boolean): Pair[] {
  const len = z.length;
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (start > end || start >= len) return [];
  if (end >= len) end = len - 1;
  const out: Pair[] = [];
  let n = z.at(rev ? len - 1 - start : start);
  for (let i = start; i <= end && n !== null; i++) {
    out.push([n.member, n.score]);
    n = rev ? n.prev : n.next[0];
  }
  return out;
}

/** Elements in a score range, with LIMIT offset/count (count < 0 = all). O(log n + m). */
function scoreRange(z: ZSetValue, r: ScoreRange, rev: boolean, offset: number, limit: number): Pair[] {
  if (offset < 0 || limit === 0) return [];
  const zsl = z.index;
  const b = rev ? zsl.lastInScoreRange(r) : zsl.firstInScoreRange(r);
  if (b.node === null) return [];
  let n = offset === 0 ? b.node : zsl.byRank(rev ? b.rank - offset : b.rank + offset);
  const out: Pair[] = [];
  while (n !== null && (rev ? scoreGteMin(n.score, r) : scoreLteMax(n.score, r))) {
    out.push([n.member, n.score]);
    if (limit > 0 && out.length >= limit) break;
    n = rev ? n.prev : n.next[0];
  }
  return out;
}

/** Elements in a lex range, with LIMIT. O(log n + m). */
function lexRange(z: ZSetValue, r: LexRange, rev: boolean, offset: number, limit: number): Pair[] {
  if (offset < 0 || limit === 0) return [];
  const zsl = z.index;
  const b = rev ? zsl.lastInLexRange(r) : zsl.firstInLexRange(r);
  if (b.node === null) return [];
  let n = offset === 0 ? b.node : zsl.byRank(rev ? b.rank - offset : b.rank + offset);
  const out: Pair[] = [];
  while (n !== null && (rev ? lexGteMin(n.member, r) : lexLteMax(n.member, r))) {
    out.push([n.member, n.score]);
    if (limit > 0 && out.length >= limit) break;
    n = rev ? n.prev : n.next[0];
  }
  return out;
}

function countScore(z: ZSetValue, r: ScoreRange): number {
  const a = z.index.firstInScoreRange(r);
  if (a.node === null) return 0;
  return z.index.lastInScoreRange(r).rank - a.rank + 1;
}

function countLex(z: ZSetValue, r: LexRange): number {
  const a = z.index.firstInLexRange(r);
  if (a.node === null) return 0;
  return z.index.lastInLexRange(r).rank - a.rank + 1;
}

// ---------------------------------------------------------------- ZRANGE*

type RangeKind = 'rank' | 'score' | 'lex';

interface RangeSpec {
  kind: RangeKind;
  rev: boolean;
  withScores: boolean;
  offset: number;
  limit: number;
  start: number;
  end: number;
  score: ScoreRange | null;
  lex: LexRange | null;
}

/**
 * zrangeGenericCommand's parsing: options after <src> <min> <max>, then the
 * conflicts, then the range itself. `kind`/`rev` fixed by the legacy
 * commands (ZRANGEBYSCORE ...) make BYSCORE/BYLEX/REV syntax errors there.
 */
function parseRange(argv: Buffer[], srcIdx: number, fixedKind: RangeKind | null, fixedRev: boolean | null, store: boolean): RangeSpec | ErrorReply {
  let kind: RangeKind | null = fixedKind;
  let rev: boolean | null = fixedRev;
  let withScores = false;
  let offset = 0;
  let limit = -1;
  let limitGiven = false;
  for (let j = srcIdx + 3; j < argv.length; j++) {
    const a = argv[j];
    const left = argv.length - j - 1;
    if (!store && isToken(a, 'withscores')) withScores = true;
    else if (isToken(a, 'limit') && left >= 2) {
      const o = parseLong(argv[j + 1]);
      if (o === null) return ERR_NOT_INTEGER;
      const l = parseLong(argv[j + 2]);
      if (l === null) return ERR_NOT_INTEGER;
      offset = o;
      limit = l;
      limitGiven = true;
      j += 2;
    } else if (rev === null && isToken(a, 'rev')) rev = true;
    else if (kind === null && isToken(a, 'bylex')) kind = 'lex';
    else if (kind === null && isToken(a, 'byscore')) kind = 'score';
    else return ERR_SYNTAX;
  }
  kind ??= 'rank';
  rev ??= false;
  // Redis tests `opt_limit != -1`: LIMIT x -1 passes with a rank range.
  if (limitGiven && limit !== -1 && kind === 'rank') return ERR_LIMIT_RANK;
  if (withScores && kind === 'lex') return ERR_WITHSCORES_LEX;
  let minIdx = srcIdx + 1;
  let maxIdx = srcIdx + 2;
  if (rev && kind !== 'rank') [minIdx, maxIdx] = [maxIdx, minIdx];
  const spec: RangeSpec = { kind, rev, withScores, offset, limit, start: 0, end: 0, score: null, lex: null };
  if (kind === 'rank') {
    const s = parseLong(argv[minIdx]);
    const e = s === null ? null : parseLong(argv[maxIdx]);
    if (s === null || e === null) return ERR_NOT_INTEGER;
    spec.start = s;
    spec.end = e;
  } else if (kind === 'score') {
    spec.score = parseScoreRange(argv[minIdx], argv[maxIdx]);
    if (spec.score === null) return ERR_MINMAX_FLOAT;
  } else {
    spec.lex = parseLexRange(argv[minIdx], argv[maxIdx]);
    if (spec.lex === null) return ERR_MINMAX_LEX;
  }
  return spec;
}

function runRange(z: ZSetValue, s: RangeSpec): Pair[] {
  if (s.kind === 'rank') return rankRange(z, s.start, s.end, s.rev);
  if (s.kind === 'score') return scoreRange(z, s.score!, s.rev, s.offset, s.limit);
  return lexRange(z, s.lex!, s.rev, s.offset, s.limit);
}

function rangeReply(items: Pair[], withScores: boolean): Reply {
  return withScores ? scorePairs(items) : items.map(([m]) => elementBuffer(m));
}

const ZREAD = ['@read', '@sortedset'];
const ZWRITE = ['@write', '@sortedset'];

function doc(summary: string, since: string, complexity: string, args: ArgDoc[]) {
  return { summary, since, group: 'sorted-set' as const, complexity, arguments: args };
}

function rangeCommand(
  name: string,
  fixedKind: RangeKind | null,
  fixedRev: boolean | null,
  summary: string,
  since: string,
  args: ArgDoc[],
): DataCommand {
  return defineCommand({
    name,
    arity: -4,
    flags: ['readonly'],
    keys: [1, 1, 1],
    acl: [...ZREAD, '@slow'],
    doc: doc(summary, since, 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.', args),
    exec(ctx, argv) {
      const spec = parseRange(argv, 1, fixedKind, fixedRev, false);
      if (isErr(spec)) return spec;
      const z = readTyped(ctx, keyString(argv[1]), ZSetValue);
      if (z === null) return [];
      if (isErr(z)) return z;
      return rangeReply(runRange(z, spec), spec.withScores);
    },
  });
}

const KEY = keyArg();
const MIN = arg('min', 'string');
const MAX = arg('max', 'string');
const WITHSCORES = pureToken('withscores', 'WITHSCORES', { optional: true });
const LIMIT = block('limit', [arg('offset', 'integer'), arg('count', 'integer')], { token: 'LIMIT', optional: true });

const zrange = rangeCommand('zrange', null, null, 'Returns members in a sorted set within a range of indexes.', '1.2.0', [
  KEY,
  arg('start', 'string'),
  arg('stop', 'string'),
  oneOf('sortby', [pureToken('byscore', 'BYSCORE'), pureToken('bylex', 'BYLEX')], { optional: true, since: '6.2.0' }),
  pureToken('rev', 'REV', { optional: true, since: '6.2.0' }),
  { ...LIMIT, since: '6.2.0' },
  WITHSCORES,
]);
const zrangebyscore = rangeCommand('zrangebyscore', 'score', false, 'Returns members in a sorted set within a range of scores.', '1.0.5', [
  KEY,
  arg('min', 'double'),
  arg('max', 'double'),
  { ...WITHSCORES, since: '2.0.0' },
  LIMIT,
]);
const zrevrangebyscore = rangeCommand('zrevrangebyscore', 'score', true, 'Returns members in a sorted set within a range of scores in reverse order.', '2.2.0', [
  KEY,
  arg('max', 'double'),
  arg('min', 'double'),
  WITHSCORES,
  LIMIT,
]);
const zrangebylex = rangeCommand('zrangebylex', 'lex', false, 'Returns members in a sorted set within a lexicographical range.', '2.8.9', [KEY, MIN, MAX, LIMIT]);
const zrevrangebylex = rangeCommand('zrevrangebylex', 'lex', true, 'Returns members in a sorted set within a lexicographical range in reverse order.', '2.8.9', [
  KEY,
  MAX,
  MIN,
  LIMIT,
]);
const zrevrange = rangeCommand('zrevrange', 'rank', true, 'Returns members in a sorted set within a range of indexes in reverse order.', '1.2.0', [
  KEY,
  arg('start', 'integer'),
  arg('stop', 'integer'),
  WITHSCORES,
]);

const zrangestore = defineCommand({
  name: 'zrangestore',
  arity: -5,
  flags: ['write', 'denyoom'],
  keys: [1, 2, 1],
  acl: [...ZWRITE, '@slow'],
  doc: doc('Stores a range of members from sorted set in a key.', '6.2.0', 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.', [
    keyArg('dst'),
    keyArg('src'),
    MIN,
    MAX,
    oneOf('sortby', [pureToken('byscore', 'BYSCORE'), pureToken('bylex', 'BYLEX')], { optional: true }),
    pureToken('rev', 'REV', { optional: true }),
    LIMIT,
  ]),
  check(argv) {
    const s = parseRange(argv, 2, null, null, true);
    return isErr(s) ? s : null;
  },
  exec(ctx, argv) {
    const spec = parseRange(argv, 2, null, null, true);
    if (isErr(spec)) return spec;
    const src = writeTyped(ctx, keyString(argv[2]), ZSetValue);
    if (isErr(src)) return src;
    const items = src === undefined ? [] : runRange(src, spec);
    // Redis 7.0 sizes the destination by the result's length when it knows it (rank ranges),
    // else starts a listpack; then adds, converting as it grows (visible in -0 scores).
    const dst = ZSetValue.create(spec.kind === 'rank' ? items.length : 0, 0);
    for (const [m, s] of items) dst.set(m, s);
    storeCollection(ctx, keyString(argv[1]), dst);
    return dst.length;
  },
});

// -------------------------------------------------------------------- ZADD

interface ZAddOptions {
  nx: boolean;
  xx: boolean;
  gt: boolean;
  lt: boolean;
  ch: boolean;
  incr: boolean;
  scores: number[];
  first: number;
}

/** zaddGenericCommand's parsing: flags, pairs, conflicts, then every score (all before the key is looked up). */
function parseZAdd(argv: Buffer[], incrOnly: boolean): ZAddOptions | ErrorReply {
  const o: ZAddOptions = { nx: false, xx: false, gt: false, lt: false, ch: false, incr: incrOnly, scores: [], first: 2 };
  let i = 2;
  if (!incrOnly) {
    for (; i < argv.length; i++) {
      const a = argv[i];
      if (isToken(a, 'nx')) o.nx = true;
      else if (isToken(a, 'xx')) o.xx = true;
      else if (isToken(a, 'ch')) o.ch = true;
      else if (isToken(a, 'incr')) o.incr = true;
      else if (isToken(a, 'gt')) o.gt = true;
      else if (isToken(a, 'lt')) o.lt = true;
      else break;
    }
  }
  o.first = i;
  const elements = argv.length - i;
  if (elements === 0 || elements % 2 !== 0) return ERR_SYNTAX;
  if (o.nx && o.xx) return ERR_XX_NX;
  if ((o.gt && o.nx) || (o.lt && o.nx) || (o.gt && o.lt)) return ERR_GT_LT_NX;
  if (o.incr && elements > 2) return ERR_INCR_PAIR;
  for (let j = i; j < argv.length; j += 2) {
    const s = parseFloat64(argv[j]);
    if (s === null) return ERR_NOT_FLOAT;
    o.scores.push(s);
  }
  return o;
}

export function zaddExec(ctx: ExecContext, argv: Buffer[], incrOnly: boolean): Reply {
  const o = parseZAdd(argv, incrOnly);
  if (isErr(o)) return o;
  const key = keyString(argv[1]);
  let z = writeTyped(ctx, key, ZSetValue);
  if (isErr(z)) return z;
  let created = false;
  if (z === undefined) {
    if (o.xx) return o.incr ? null : 0;
    // Redis 7.0: a skiplist at once only if listpacks are off or the first member is too long;
    // otherwise a listpack that converts as members arrive (visible in -0 scores).
    z = ZSetValue.create(1, argv[o.first + 1].length);
    created = true;
  }
  if (!o.xx && z.length + o.scores.length > collectionLimits.maxEntries) {
    // Near the ceiling only: count the members that would be new.
    const fresh = new Set<string>();
    for (let k = 0; k < o.scores.length; k++) {
      const member = elementString(argv[o.first + 2 * k + 1]);
      if (z.score(member) === undefined) fresh.add(member);
    }
    if (z.length + fresh.size > collectionLimits.maxEntries) return ERR_ZSET_TOO_LARGE;
  }
  let added = 0;
  let updated = 0;
  let processed = 0;
  let score = 0;
  let error: ErrorReply | null = null;
  for (let k = 0; k < o.scores.length; k++) {
    const member = elementString(argv[o.first + 2 * k + 1]);
    score = o.scores[k];
    const cur = z.score(member);
    if (cur !== undefined) {
      if (o.nx) continue;
      if (o.incr) {
        score += cur;
        if (Number.isNaN(score)) {
          error = ERR_NAN;
          break;
        }
      }
      if ((o.lt && score >= cur) || (o.gt && score <= cur)) continue;
      processed++;
      if (z.set(member, score) === 'updated') updated++;
    } else {
      if (o.xx) continue;
      z.set(member, score);
      added++;
      processed++;
    }
  }
  if (created) {
    if (z.length > 0) storeCollection(ctx, key, z);
  } else if (added + updated > 0) collectionWritten(ctx, key, z);
  if (error) return error;
  if (o.incr) return processed > 0 ? new DoubleReply(score) : null;
  return o.ch ? added + updated : added;
}

const zadd = defineCommand({
  name: 'zadd',
  arity: -4,
  flags: ['write', 'denyoom', 'fast'],
  keys: [1, 1, 1],
  acl: [...ZWRITE, '@fast'],
  doc: doc('Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn\'t exist.', '1.2.0', 'O(log(N)) for each item added, where N is the number of elements in the sorted set.', [
    KEY,
    oneOf('condition', [pureToken('nx', 'NX'), pureToken('xx', 'XX')], { optional: true, since: '3.0.2' }),
    oneOf('comparison', [pureToken('gt', 'GT'), pureToken('lt', 'LT')], { optional: true, since: '6.2.0' }),
    pureToken('change', 'CH', { optional: true, since: '3.0.2' }),
    pureToken('increment', 'INCR', { optional: true, since: '3.0.2' }),
    block('data', [arg('score', 'double'), arg('member', 'string')], { multiple: true }),
  ]),
  check(argv) {
    const o = parseZAdd(argv, false);
    return isErr(o) ? o : null;
  },
  exec: (ctx, argv) => zaddExec(ctx, argv, false),
});

const zincrby = defineCommand({
  name: 'zincrby',
  arity: 4,
  flags: ['write', 'denyoom', 'fast'],
  keys: [1, 1, 1],
  acl: [...ZWRITE, '@fast'],
  doc: doc('Increments the score of a member in a sorted set.', '1.2.0', 'O(log(N)) where N is the number of elements in the sorted set.', [
    KEY,
    arg('increment', 'integer'),
    arg('member', 'string'),
  ]),
  check(argv) {
    const o = parseZAdd(argv, true);
    return isErr(o) ? o : null;
  },
  exec: (ctx, argv) => zaddExec(ctx, argv, true),
});

// ----------------------------------------------------- simple reads/writes

const zrem = defineCommand({
  name: 'zrem',
  arity: -3,
  flags: ['write', 'fast'],
  keys: [1, 1, 1],
  acl: [...ZWRITE, '@fast'],
  doc: doc('Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.', '1.2.0', 'O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.', [
    KEY,
    arg('member', 'string', { multiple: true }),
  ]),
  exec(ctx, argv) {
    const key = keyString(argv[1]);
    const z = writeTyped(ctx, key, ZSetValue);
    if (z === undefined) return 0;
    if (isErr(z)) return z;
    let n = 0;
    for (let i = 2; i < argv.length && z.length > 0; i++) if (z.remove(elementString(argv[i]))) n++;
    if (n > 0) collectionWritten(ctx, key, z);
    return n;
  },
});

function readCommand(name: string, arity: number, summary: string, since: string, complexity: string, args: ArgDoc[], fn: (z: ZSetValue | null, argv: Buffer[]) => Reply, parse?: (argv: Buffer[]) => ErrorReply | null): DataCommand {
  return defineCommand({
    name,
    arity,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    acl: [...ZREAD, '@fast'],
    doc: doc(summary, since, complexity, args),
    exec(ctx, argv) {
      const bad = parse?.(argv) ?? null;
      if (bad) return bad;
      const z = readTyped(ctx, keyString(argv[1]), ZSetValue);
      if (isErr(z)) return z;
      return fn(z, argv);
    },
  });
}

const zcard = readCommand('zcard', 2, 'Returns the number of members in a sorted set.', '1.2.0', 'O(1)', [KEY], (z) => z?.length ?? 0);

const zscore = readCommand('zscore', 3, 'Returns the score of a member in a sorted set.', '1.2.0', 'O(1)', [KEY, arg('member', 'string')], (z, argv) => {
  const s = z?.score(elementString(argv[2]));
  return s === undefined ? null : new DoubleReply(s);
});

const zmscore = readCommand('zmscore', -3, 'Returns the score of one or more members in a sorted set.', '6.2.0', 'O(N) where N is the number of members being requested.', [KEY, arg('member', 'string', { multiple: true })], (z, argv) => {
  const out: Reply[] = [];
  for (let i = 2; i < argv.length; i++) {
    const s = z?.score(elementString(argv[i]));
    out.push(s === undefined ? null : new DoubleReply(s));
  }
  return out;
});

const zrank = readCommand('zrank', 3, 'Returns the index of a member in a sorted set ordered by ascending scores.', '2.0.0', 'O(log(N))', [KEY, arg('member', 'string')], (z, argv) => z?.rank(elementString(argv[2])) ?? null);
const zrevrank = readCommand('zrevrank', 3, 'Returns the index of a member in a sorted set ordered by descending scores.', '2.0.0', 'O(log(N))', [KEY, arg('member', 'string')], (z, argv) => z?.rank(elementString(argv[2]), true) ?? null);

const zcount = readCommand(
  'zcount',
  4,
  'Returns the count of members in a sorted set that have scores within a range.',
  '2.0.0',
  'O(log(N)) with N being the number of elements in the sorted set.',
  [KEY, arg('min', 'double'), arg('max', 'double')],
  (z, argv) => (z === null ? 0 : countScore(z, parseScoreRange(argv[2], argv[3])!)),
  (argv) => (parseScoreRange(argv[2], argv[3]) === null ? ERR_MINMAX_FLOAT : null),
);

const zlexcount = readCommand(
  'zlexcount',
  4,
  'Returns the number of members in a sorted set within a lexicographical range.',
  '2.8.9',
  'O(log(N)) with N being the number of elements in the sorted set.',
  [KEY, MIN, MAX],
  (z, argv) => (z === null ? 0 : countLex(z, parseLexRange(argv[2], argv[3])!)),
  (argv) => (parseLexRange(argv[2], argv[3]) === null ? ERR_MINMAX_LEX : null),
);

// ----------------------------------------------------------- ZREMRANGEBY*

type RemoveKind = 'rank' | 'score' | 'lex';

function parseRemove(argv: Buffer[], kind: RemoveKind): RangeSpec | ErrorReply {
  const spec: RangeSpec = { kind, rev: false, withScores: false, offset: 0, limit: -1, start: 0, end: 0, score: null, lex: null };
  if (kind === 'rank') {
    const s = parseLong(argv[2]);
    const e = s === null ? null : parseLong(argv[3]);
    if (s === null || e === null) return ERR_NOT_INTEGER;
    spec.start = s;
    spec.end = e;
  } else if (kind === 'score') {
    spec.score = parseScoreRange(argv[2], argv[3]);
    if (spec.score === null) return ERR_MINMAX_FLOAT;
  } else {
    spec.lex = parseLexRange(argv[2], argv[3]);
    if (spec.lex === null) return ERR_MINMAX_LEX;
  }
  return spec;
}

function removeRangeCommand(name: string, kind: RemoveKind, summary: string, since: string, args: ArgDoc[]): DataCommand {
  return defineCommand({
    name,
    arity: 4,
    flags: ['write'],
    keys: [1, 1, 1],
    acl: [...ZWRITE, '@slow'],
    doc: doc(summary, since, 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.', args),
    check(argv) {
      const s = parseRemove(argv, kind);
      return isErr(s) ? s : null;
    },
    exec(ctx, argv) {
      const spec = parseRemove(argv, kind);
      if (isErr(spec)) return spec;
      const key = keyString(argv[1]);
      const z = writeTyped(ctx, key, ZSetValue);
      if (z === undefined) return 0;
      if (isErr(z)) return z;
      const items = runRange(z, spec);
      for (const [m] of items) z.remove(m);
      if (items.length > 0) collectionWritten(ctx, key, z);
      return items.length;
    },
  });
}

const zremrangebyrank = removeRangeCommand('zremrangebyrank', 'rank', 'Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.', '2.0.0', [
  KEY,
  arg('start', 'integer'),
  arg('stop', 'integer'),
]);
const zremrangebyscore = removeRangeCommand('zremrangebyscore', 'score', 'Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.', '1.2.0', [
  KEY,
  arg('min', 'double'),
  arg('max', 'double'),
]);
const zremrangebylex = removeRangeCommand('zremrangebylex', 'lex', 'Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed.', '2.8.9', [KEY, MIN, MAX]);

// -------------------------------------------------------------------- Pops

export type PopWhere = 'min' | 'max';

/**
 * Pops up to `count` elements (lowest first for 'min', highest first for
 * 'max') at apply time; deletes the key when emptied and records the write.
 * Null when the key is absent; WRONGTYPE for another type; [] when count <= 0.
 */
export function zpopFrom(ctx: ExecContext, key: string, where: PopWhere, count: number): Pair[] | null | ErrorReply {
  const z = writeTyped(ctx, key, ZSetValue);
  if (z === undefined) return null;
  if (isErr(z)) return z;
  const out: Pair[] = [];
  while (out.length < count && z.length > 0) {
    const n = where === 'min' ? z.index.first! : z.index.last!;
    out.push([n.member, n.score]);
    z.remove(n.member);
  }
  if (out.length > 0) collectionWritten(ctx, key, z);
  return out;
}

/**
 * ZPOPMIN/ZPOPMAX's reply for one key. `count` undefined = no COUNT argument
 * (a flat [member, score] in both protocols); with a count, pairs (RESP3 nests them).
 */
export function zpop(ctx: ExecContext, key: string, where: PopWhere, count?: number): Reply {
  const items = zpopFrom(ctx, key, where, count ?? 1);
  if (isErr(items)) return items;
  if (items === null) return [];
  if (count === undefined) return items.length === 0 ? [] : [elementBuffer(items[0][0]), new DoubleReply(items[0][1])];
  return scorePairs(items);
}

/**
 * The first key (in order) holding a non-empty zset, or null; WRONGTYPE if a
 * key of another type comes first (Redis's genericZpopCommand loop).
 */
export function firstZsetKey(ctx: ExecContext, keys: string[]): string | null | ErrorReply {
  for (const key of keys) {
    const z = writeTyped(ctx, key, ZSetValue);
    if (z === undefined) continue;
    if (isErr(z)) return z;
    if (z.length > 0) return key;
  }
  return null;
}

/** BZPOPMIN/BZPOPMAX's reply at apply time: [key, member, score] from the first non-empty key, or null when all are empty. */
export function zpopFirstKey(ctx: ExecContext, keys: string[], where: PopWhere): Reply {
  const key = firstZsetKey(ctx, keys);
  if (key === null || isErr(key)) return key;
  const items = zpopFrom(ctx, key, where, 1) as Pair[];
  return [keyBuffer(key), elementBuffer(items[0][0]), new DoubleReply(items[0][1])];
}

/** ZMPOP/BZMPOP's reply at apply time: [key, [[member, score], ...]] from the first non-empty key, or null when all are empty. */
export function zmpopFirst(ctx: ExecContext, keys: string[], where: PopWhere, count: number): Reply {
  const key = firstZsetKey(ctx, keys);
  if (key === null || isErr(key)) return key;
  const items = zpopFrom(ctx, key, where, count) as Pair[];
  return [keyBuffer(key), scorePairs(items, true)];
}

function parsePopCount(argv: Buffer[]): number | undefined | ErrorReply {
  if (argv.length > 3) return ERR_SYNTAX;
  if (argv.length < 3) return undefined;
  const n = parseInt64(argv[2]);
  if (n === null || n < 0) return ERR_OUT_OF_RANGE_POSITIVE;
  return Number(n);
}

function popCommand(name: string, where: PopWhere, summary: string): DataCommand {
  return defineCommand({
    name,
    arity: -2,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    acl: [...ZWRITE, '@fast'],
    doc: doc(summary, '5.0.0', 'O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.', [
      KEY,
      arg('count', 'integer', { optional: true }),
    ]),
    check(argv) {
      const c = parsePopCount(argv);
      return isErr(c) ? c : null;
    },
    exec(ctx, argv) {
      const c = parsePopCount(argv);
      if (isErr(c)) return c;
      return zpop(ctx, keyString(argv[1]), where, c);
    },
  });
}

const zpopmin = popCommand('zpopmin', 'min', 'Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.');
const zpopmax = popCommand('zpopmax', 'max', 'Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.');

/** ZMPOP numkeys key [key ...] MIN|MAX [COUNT count], from argv[numkeysIdx] (BZMPOP: after the timeout). */
export function parseZmpop(argv: Buffer[], numkeysIdx: number): { keys: string[]; where: PopWhere; count: number } | ErrorReply {
  const nk = parseInt64(argv[numkeysIdx]);
  if (nk === null || nk < 1) return ERR_NUMKEYS;
  const numkeys = Number(nk);
  const whereIdx = numkeysIdx + 1 + numkeys;
  if (whereIdx >= argv.length) return ERR_SYNTAX;
  let where: PopWhere;
  if (isToken(argv[whereIdx], 'min')) where = 'min';
  else if (isToken(argv[whereIdx], 'max')) where = 'max';
  else return ERR_SYNTAX;
  let count = -1;
  for (let j = whereIdx + 1; j < argv.length; j++) {
    if (count === -1 && isToken(argv[j], 'count') && j + 1 < argv.length) {
      const c = parseInt64(argv[j + 1]);
      if (c === null || c < 1) return ERR_COUNT_POSITIVE;
      count = Number(c);
      j++;
    } else return ERR_SYNTAX;
  }
  const keys: string[] = [];
  for (let i = numkeysIdx + 1; i < whereIdx; i++) keys.push(keyString(argv[i]));
  return { keys, where, count: count === -1 ? 1 : count };
}

const zmpop = defineCommand({
  name: 'zmpop',
  arity: -4,
  flags: ['write', 'movablekeys'],
  keys: [0, 0, 0],
  acl: [...ZWRITE, '@slow'],
  doc: doc('Returns the highest- or lowest-scoring members from one or more sorted sets after removing them. Deletes the sorted set if the last member was popped.', '7.0.0', 'O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.', [
    arg('numkeys', 'integer'),
    keyArg('key', { multiple: true }),
    oneOf('where', [pureToken('min', 'MIN'), pureToken('max', 'MAX')]),
    arg('count', 'integer', { token: 'COUNT', optional: true }),
  ]),
  check(argv) {
    const p = parseZmpop(argv, 1);
    return isErr(p) ? p : null;
  },
  exec(ctx, argv) {
    const p = parseZmpop(argv, 1);
    if (isErr(p)) return p;
    const r = zmpopFirst(ctx, p.keys, p.where, p.count);
    return r === null ? NullArray.instance : r;
  },
});

// ------------------------------------------------------------- ZRANDMEMBER

const zrandmember = defineCommand({
  name: 'zrandmember',
  arity: -2,
  flags: ['readonly'],
  keys: [1, 1, 1],
  acl: [...ZREAD, '@slow'],
  doc: doc('Returns one or more random members from a sorted set.', '6.2.0', 'O(N) where N is the number of members returned', [
    KEY,
    block('options', [arg('count', 'integer'), pureToken('withscores', 'WITHSCORES', { optional: true })], { optional: true }),
  ]),
  exec(ctx, argv) {
    let count: number | null = null;
    let withScores = false;
    if (argv.length >= 3) {
      const c = parseInt64(argv[2]);
      if (c === null) return ERR_NOT_INTEGER;
      if (BigInt(c) < -LONG_MAX) return ERR_RANDMEMBER_RANGE;
      if (argv.length > 4) return ERR_SYNTAX;
      if (argv.length === 4) {
        if (!isToken(argv[3], 'withscores')) return ERR_SYNTAX;
        withScores = true;
        if (BigInt(c) < -LONG_MAX / 2n || BigInt(c) > LONG_MAX / 2n) return ERR_OUT_OF_RANGE;
      }
      count = Number(c);
    }
    const z = readTyped(ctx, keyString(argv[1]), ZSetValue);
    if (isErr(z)) return z;
    if (count === null) {
      if (z === null) return null;
      return elementBuffer(z.at(Math.floor(ctx.random() * z.length))!.member);
    }
    if (z === null || count === 0) return [];
    return rangeReply(randomMembers(z, count, ctx.random), withScores);
  },
});

/** ZRANDMEMBER with a count: negative = |count| picks with repeats; positive = distinct, the whole set in order when count >= size. */
function randomMembers(z: ZSetValue, count: number, random: () => number): Pair[] {
  const len = z.length;
  const pick = (r: number): Pair => {
    const n = z.at(r)!;
    return [n.member, n.score];
  };
  if (count < 0) {
    const out: Pair[] = [];
    for (let i = 0; i < -count; i++) out.push(pick(Math.floor(random() * len)));
    return out;
  }
  if (count >= len) return rankRange(z, 0, -1, false);
  // Distinct ranks by a partial Fisher-Yates over a sparse permutation.
  const swapped = new Map<number, number>();
  const out: Pair[] = [];
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (len - i));
    const vj = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
    out.push(pick(vj));
  }
  return out;
}

// ------------------------------------------------ ZUNION / ZINTER / ZDIFF

type SetOp = 'union' | 'inter' | 'diff';
type Aggregate = 'sum' | 'min' | 'max';

/** An input: a zset, or a set (every member scores 1), or nothing. */
interface Source {
  members: () => Iterable<Pair>;
  score: (m: string) => number | undefined;
  size: number;
}

interface SetValueLike {
  type: 'set';
  length: number;
  elements(): Iterable<string>;
  has?(m: string): boolean;
}

function sourceOf(v: unknown): Source | null | ErrorReply {
  if (v === undefined) return null;
  if (v instanceof ZSetValue) {
    const z = v;
    return {
      size: z.length,
      score: (m) => z.score(m),
      *members() {
        for (const n of z.index) yield [n.member, n.score] as Pair;
      },
    };
  }
  const s = v as SetValueLike;
  if (s !== null && typeof s === 'object' && s.type === 'set') {
    // The set module is another helper's: use only the Collection contract (elements()), plus has() if it offers one.
    let lookup: Set<string> | null = null;
    return {
      size: s.length,
      score: (m) => {
        if (typeof s.has === 'function') return s.has(m) ? 1 : undefined;
        lookup ??= new Set(s.elements());
        return lookup.has(m) ? 1 : undefined;
      },
      *members() {
        for (const m of s.elements()) yield [m, 1] as Pair;
      },
    };
  }
  return WRONGTYPE;
}

interface SetOpArgs {
  numkeys: number;
  keysAt: number;
}

/** numkeys parsing shared by check() and exec(): only what Redis rejects before looking keys up. */
function parseNumkeys(argv: Buffer[], numkeysIdx: number, name: string): SetOpArgs | ErrorReply {
  const n = parseInt64(argv[numkeysIdx]);
  if (n === null) return ERR_NOT_INTEGER;
  if (n < 1) return errAtLeastOneKey(name);
  if (n > argv.length - numkeysIdx - 1) return ERR_SYNTAX;
  return { numkeys: Number(n), keysAt: numkeysIdx + 1 };
}

interface SetOpOptions {
  weights: number[];
  aggregate: Aggregate;
  withScores: boolean;
  limit: number;
}

/** The options after the keys (parsed after the key lookups, as Redis does). */
function parseSetOpOptions(argv: Buffer[], from: number, numkeys: number, op: SetOp, store: boolean, cardOnly: boolean): SetOpOptions | ErrorReply {
  const o: SetOpOptions = { weights: new Array<number>(numkeys).fill(1), aggregate: 'sum', withScores: false, limit: 0 };
  let j = from;
  while (j < argv.length) {
    const remaining = argv.length - j;
    const a = argv[j];
    if (op !== 'diff' && !cardOnly && remaining >= numkeys + 1 && isToken(a, 'weights')) {
      j++;
      for (let i = 0; i < numkeys; i++, j++) {
        const w = parseFloat64(argv[j]);
        if (w === null) return ERR_WEIGHT;
        o.weights[i] = w;
      }
    } else if (op !== 'diff' && !cardOnly && remaining >= 2 && isToken(a, 'aggregate')) {
      const v = argv[j + 1];
      if (isToken(v, 'sum')) o.aggregate = 'sum';
      else if (isToken(v, 'min')) o.aggregate = 'min';
      else if (isToken(v, 'max')) o.aggregate = 'max';
      else return ERR_SYNTAX;
      j += 2;
    } else if (!store && !cardOnly && isToken(a, 'withscores')) {
      o.withScores = true;
      j++;
    } else if (cardOnly && remaining >= 2 && isToken(a, 'limit')) {
      const l = parseInt64(argv[j + 1]);
      if (l === null || l < 0) return ERR_LIMIT_NEGATIVE;
      o.limit = Number(l);
      j += 2;
    } else return ERR_SYNTAX;
  }
  return o;
}

function aggregate(acc: number, v: number, how: Aggregate): number {
  if (how === 'sum') {
    const r = acc + v;
    return Number.isNaN(r) ? 0 : r; // inf + -inf
  }
  return how === 'min' ? Math.min(acc, v) : Math.max(acc, v);
}

function weighted(score: number, weight: number): number {
  const r = score * weight;
  return Number.isNaN(r) ? 0 : r; // inf * 0
}

/**
 * zunionInterDiffGenericCommand: numkeys, key lookups (WRONGTYPE), options,
 * then the result as a fresh zset (ordered by score, member) or, for
 * ZINTERCARD, a count.
 */
function setOp(ctx: ExecContext, argv: Buffer[], numkeysIdx: number, op: SetOp, name: string, store: boolean, cardOnly = false): { result: ZSetValue; withScores: boolean } | number | ErrorReply {
  const p = parseNumkeys(argv, numkeysIdx, name);
  if (isErr(p)) return p;
  const sources: Array<Source | null> = [];
  for (let i = 0; i < p.numkeys; i++) {
    const key = keyString(argv[p.keysAt + i]);
    const v = store ? ctx.db.lookupWrite(key, ctx.now, ctx.index) : lookupRead(ctx, key);
    const s = sourceOf(v);
    if (isErr(s)) return s;
    sources.push(s);
  }
  const o = parseSetOpOptions(argv, p.keysAt + p.numkeys, p.numkeys, op, store, cardOnly);
  if (isErr(o)) return o;
  // Built in skiplist encoding, as Redis builds dstzset (a -0 score survives until a listpack conversion).
  const result = ZSetValue.create(Infinity);
  // Inputs by ascending size, ties in argument order (Redis qsorts them, stable in glibc): with
  // NaN aggregated as 0 (inf + -inf), the order of aggregation shows in the result.
  const order = sources.map((s, i) => ({ s, i })).sort((a, b) => (a.s?.size ?? 0) - (b.s?.size ?? 0) || a.i - b.i);
  if (op === 'inter') {
    // Walk the smallest input, probe the others.
    if (order.some((x) => x.s === null || x.s.size === 0)) return cardOnly ? 0 : { result, withScores: o.withScores };
    const [first, ...rest] = order;
    let card = 0;
    for (const [m, s] of first.s!.members()) {
      let score = weighted(s, o.weights[first.i]);
      let all = true;
      for (const x of rest) {
        const v = x.s!.score(m);
        if (v === undefined) {
          all = false;
          break;
        }
        score = aggregate(score, weighted(v, o.weights[x.i]), o.aggregate);
      }
      if (!all) continue;
      if (cardOnly) {
        card++;
        if (o.limit > 0 && card >= o.limit) break;
        continue;
      }
      result.set(m, score);
    }
    if (cardOnly) return card;
  } else if (op === 'union') {
    const acc = new Map<string, number>();
    for (const { s, i } of order) {
      if (s === null) continue;
      for (const [m, sc] of s.members()) {
        const v = weighted(sc, o.weights[i]);
        const cur = acc.get(m);
        acc.set(m, cur === undefined ? v : aggregate(cur, v, o.aggregate));
      }
    }
    for (const [m, s] of acc) result.set(m, s);
  } else {
    const [first, ...rest] = sources;
    if (first !== null) {
      for (const [m, s] of first.members()) {
        if (rest.some((x) => x !== null && x.score(m) !== undefined)) continue;
        result.set(m, s);
      }
    }
  }
  return { result, withScores: o.withScores };
}

function setOpReadCommand(name: string, op: SetOp, summary: string, complexity: string): DataCommand {
  const args = [arg('numkeys', 'integer'), keyArg('key', { multiple: true })];
  if (op !== 'diff') {
    args.push(arg('weight', 'integer', { token: 'WEIGHTS', optional: true, multiple: true }));
    args.push(oneOf('aggregate', [pureToken('sum', 'SUM'), pureToken('min', 'MIN'), pureToken('max', 'MAX')], { token: 'AGGREGATE', optional: true }));
  }
  args.push(WITHSCORES);
  return defineCommand({
    name,
    arity: -3,
    flags: ['readonly', 'movablekeys'],
    keys: [0, 0, 0],
    acl: [...ZREAD, '@slow'],
    doc: doc(summary, '6.2.0', complexity, args),
    exec(ctx, argv) {
      const r = setOp(ctx, argv, 1, op, name, false);
      if (isErr(r) || typeof r === 'number') return r;
      const items: Pair[] = [];
      for (const n of r.result.index) items.push([n.member, n.score]);
      return rangeReply(items, r.withScores);
    },
  });
}

function setOpStoreCommand(name: string, op: SetOp, summary: string, complexity: string, since: string): DataCommand {
  const args = [keyArg('destination'), arg('numkeys', 'integer'), keyArg('key', { multiple: true })];
  if (op !== 'diff') {
    args.push(arg('weight', 'integer', { token: 'WEIGHTS', optional: true, multiple: true }));
    args.push(oneOf('aggregate', [pureToken('sum', 'SUM'), pureToken('min', 'MIN'), pureToken('max', 'MAX')], { token: 'AGGREGATE', optional: true }));
  }
  return defineCommand({
    name,
    arity: -4,
    flags: ['write', 'denyoom', 'movablekeys'],
    keys: [1, 1, 1],
    acl: [...ZWRITE, '@slow'],
    doc: doc(summary, since, complexity, args),
    check(argv) {
      const p = parseNumkeys(argv, 2, name);
      return isErr(p) ? p : null;
    },
    exec(ctx, argv) {
      const r = setOp(ctx, argv, 2, op, name, true);
      if (isErr(r) || typeof r === 'number') return r;
      r.result.settleEncoding();
      storeCollection(ctx, keyString(argv[1]), r.result);
      return r.result.length;
    },
  });
}

const UNION_CX = 'O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.';
const INTER_CX = 'O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.';
const DIFF_CX = 'O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.';

const zunion = setOpReadCommand('zunion', 'union', 'Returns the union of multiple sorted sets.', UNION_CX);
const zinter = setOpReadCommand('zinter', 'inter', 'Returns the intersect of multiple sorted sets.', INTER_CX);
const zdiff = setOpReadCommand('zdiff', 'diff', 'Returns the difference between multiple sorted sets.', DIFF_CX);
const zunionstore = setOpStoreCommand('zunionstore', 'union', 'Stores the union of multiple sorted sets in a key.', UNION_CX, '2.0.0');
const zinterstore = setOpStoreCommand('zinterstore', 'inter', 'Stores the intersect of multiple sorted sets in a key.', INTER_CX, '2.0.0');
const zdiffstore = setOpStoreCommand('zdiffstore', 'diff', 'Stores the difference of multiple sorted sets in a key.', DIFF_CX, '6.2.0');

const zintercard = defineCommand({
  name: 'zintercard',
  arity: -3,
  flags: ['readonly', 'movablekeys'],
  keys: [0, 0, 0],
  acl: [...ZREAD, '@slow'],
  doc: doc('Returns the number of members of the intersect of multiple sorted sets.', '7.0.0', 'O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.', [
    arg('numkeys', 'integer'),
    keyArg('key', { multiple: true }),
    arg('limit', 'integer', { token: 'LIMIT', optional: true }),
  ]),
  exec(ctx, argv) {
    const r = setOp(ctx, argv, 1, 'inter', 'zintercard', false, true);
    if (isErr(r) || typeof r === 'number') return r;
    return r.result.length;
  },
});

// ------------------------------------------------------------------- ZSCAN

/**
 * ZSCAN key cursor [MATCH pattern] [COUNT count].
 *
 * A listpack-encoded set answers everything at once with cursor 0 (as Redis
 * does). A skiplist-encoded one is walked in its scan index: members ordered
 * by scanHash(member) (keyspace/zset.ts), and the cursor is a position in
 * that 32-bit hash space: "every member whose hash is below the cursor was
 * returned". A batch ends after COUNT members and then finishes the hash it
 * stopped in, so the next cursor is that hash + 1. The cursor depends on the
 * members alone, not on ranks or insertion history, so it means the same on
 * every node and after a restart, and a member present for the whole scan is
 * returned (members added or removed meanwhile may or may not be).
 */
const zscan = defineCommand({
  name: 'zscan',
  arity: -3,
  flags: ['readonly'],
  keys: [1, 1, 1],
  acl: [...ZREAD, '@slow'],
  doc: doc('Iterates over members and scores of a sorted set.', '2.8.0', 'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.', [
    KEY,
    arg('cursor', 'integer'),
    arg('pattern', 'pattern', { token: 'MATCH', optional: true }),
    arg('count', 'integer', { token: 'COUNT', optional: true }),
  ]),
  exec(ctx, argv) {
    const cursor = parseCursor(argv[2]);
    if (cursor === null) return ERR_INVALID_CURSOR;
    const z = readTyped(ctx, keyString(argv[1]), ZSetValue);
    if (isErr(z)) return z;
    if (z === null) return ['0', []];
    let count = 10;
    let pattern: string | null = null;
    for (let i = 3; i < argv.length; i += 2) {
      const a = argv[i];
      if (isToken(a, 'count') && i + 1 < argv.length) {
        const n = parseInt64(argv[i + 1]);
        if (n === null) return ERR_NOT_INTEGER;
        if (n < 1) return ERR_SYNTAX;
        count = Number(n);
      } else if (isToken(a, 'match') && i + 1 < argv.length) {
        const p = argv[i + 1].toString('latin1');
        pattern = p === '*' ? null : p;
      } else return ERR_SYNTAX;
    }
    const out: Reply[] = [];
    const emit = (m: string, s: number): void => {
      if (pattern !== null && !globMatchString(pattern, m)) return;
      out.push(elementBuffer(m), Buffer.from(formatDouble(s))); // as ZSCORE prints it
    };
    const idx = z.scanIndex;
    if (idx === null) {
      for (const n of z.index) emit(n.member, n.score);
      return ['0', out];
    }
    if (cursor > 0xffffffffn) return ['0', []];
    let n: SkipNode | null = idx.firstInScoreRange({ min: Number(cursor), max: Infinity, minex: false, maxex: false }).node;
    let seen = 0;
    let lastHash = -1;
    while (n !== null && (seen < count || n.score === lastHash)) {
      emit(n.member, z.score(n.member)!);
      lastHash = n.score;
      seen++;
      n = n.next[0];
    }
    return [n === null ? '0' : String(lastHash + 1), out];
  },
});

export const zsetCommands: DataCommand[] = [
  zadd,
  zincrby,
  zrem,
  zcard,
  zcount,
  zlexcount,
  zscore,
  zmscore,
  zrank,
  zrevrank,
  zrange,
  zrangestore,
  zrangebyscore,
  zrevrangebyscore,
  zrangebylex,
  zrevrangebylex,
  zrevrange,
  zremrangebyrank,
  zremrangebyscore,
  zremrangebylex,
  zpopmin,
  zpopmax,
  zmpop,
  zrandmember,
  zunion,
  zinter,
  zdiff,
  zunionstore,
  zinterstore,
  zdiffstore,
  zintercard,
  zscan,
];
