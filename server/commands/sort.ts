/**
 * SORT and SORT_RO (Redis 7.0 sort.c): sorts a list, set or sorted set read
 * through Collection.elements(), numerically (strtod rules) or ALPHA, with
 * BY weights and GET values looked up by pattern (`*` replaced by the
 * element, `->field` for a hash field, `#` for the element itself), LIMIT,
 * ASC/DESC and STORE (a list; an empty result deletes the destination).
 *
 * Comparisons are binary (Redis uses strcoll for ALPHA without STORE, which
 * is byte order under the C locale Redis normally runs with).
 */
import { HashValue } from '../keyspace/hash';
import { ZSetValue } from '../keyspace/zset';
import { ErrorReply, type Reply } from '../../protocol/reply';
import { ERR_NOT_INTEGER, ERR_SYNTAX, WRONGTYPE } from '../../protocol/errors';
import { Collection, elementBuffer, keyString, type Value } from '../keyspace';
import { ListValue } from '../keyspace/list';
import { arg, block, defineCommand, keyArg, oneOf, pureToken } from './define';
import { storeCollection } from './typed';
import { lookupRead, type DataCommand, type ExecContext } from './types';
import { isToken, parseLongLong } from './util';

export const ERR_SORT_SCORE = new ErrorReply("ERR One or more scores can't be converted into double");

interface SortOptions {
  desc: boolean;
  alpha: boolean;
  limitStart: number;
  limitCount: number;
  /** BY pattern (latin1), or null. */
  by: string | null;
  /** Some BY pattern had no '*': keep the native order (Redis never resets this). */
  dontsort: boolean;
  /** GET patterns (latin1), in order. */
  gets: string[];
  store: Buffer | null;
}

/** Redis's option loop: the last ASC/DESC and LIMIT win; STORE only for SORT. */
function parseSort(argv: Buffer[], readonly: boolean): SortOptions | ErrorReply {
  const o: SortOptions = { desc: false, alpha: false, limitStart: 0, limitCount: -1, by: null, dontsort: false, gets: [], store: null };
  for (let j = 2; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const a = argv[j];
    if (isToken(a, 'asc')) o.desc = false;
    else if (isToken(a, 'desc')) o.desc = true;
    else if (isToken(a, 'alpha')) o.alpha = true;
    else if (isToken(a, 'limit') && left >= 2) {
      const s = parseLongLong(argv[j + 1]);
      const c = parseLongLong(argv[j + 2]);
      if (s === null || c === null) return ERR_NOT_INTEGER;
      o.limitStart = s;
      o.limitCount = c;
      j += 2;
    } else if (!readonly && isToken(a, 'store') && left >= 1) {
      o.store = argv[++j];
    } else if (isToken(a, 'by') && left >= 1) {
      o.by = argv[++j].toString('latin1');
      if (!cString(o.by).includes('*')) o.dontsort = true;
    } else if (isToken(a, 'get') && left >= 1) {
      o.gets.push(argv[++j].toString('latin1'));
    } else {
      return ERR_SYNTAX;
    }
  }
  return o;
}

/** The part of a string C functions (strchr, strstr, strtod) see: up to the first NUL. */
function cString(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

/** A hash field for BY/GET `key->field` patterns, or null (missing field, or not a hash). */
export function hashFieldOf(v: Value, field: string): Buffer | null {
  if (!(v instanceof HashValue)) return null;
  const s = v.get(field);
  return s === undefined ? null : elementBuffer(s);
}

/** Redis's lookupKeyByPattern: the string (or hash field) a pattern names for `element`, or null. */
export function lookupByPattern(ctx: ExecContext, pattern: string, element: string): Buffer | null {
  if (pattern[0] === '#' && (pattern.length === 1 || pattern[1] === '\0')) return elementBuffer(element);
  const c = cString(pattern);
  const star = c.indexOf('*');
  if (star < 0) return null;
  const arrow = c.indexOf('->', star + 1);
  const hasField = arrow >= 0 && arrow + 2 < c.length;
  const field = hasField ? pattern.slice(arrow + 2) : '';
  const postfixEnd = hasField ? arrow : pattern.length;
  const key = pattern.slice(0, star) + element + pattern.slice(star + 1, postfixEnd);
  const v = lookupRead(ctx, key);
  if (v === undefined) return null;
  if (hasField) return v.type === 'hash' ? hashFieldOf(v, field) : null;
  return v.type === 'string' ? v.value : null;
}

const SPACE = /^[ \t\n\v\f\r]*/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const INF = /^[+-]?inf(?:inity)?$/i;
const MIN_NORMAL = 2.2250738585072014e-308;

/**
 * A sort weight as sortCommand reads it with strtod: leading whitespace
 * skipped, decimal, hex or inf accepted, the whole (C) string consumed, no
 * NaN, no ERANGE (overflow, or an inexact result below the normal range).
 * The empty string is 0. Returns null for a conversion error.
 */
export function sortScore(element: string): number | null {
  const full = cString(element);
  if (full.length === 0) return 0;
  const s = full.slice(SPACE.exec(full)![0].length);
  if (DECIMAL.test(s)) {
    const v = Number(s);
    if (!Number.isFinite(v)) return null;
    const digits = s.replace(/[eE].*$/, '');
    if (v === 0) return /[1-9]/.test(digits) ? null : v;
    return Math.abs(v) < MIN_NORMAL ? null : v;
  }
  if (INF.test(s)) return s[0] === '-' ? -Infinity : Infinity;
  const hex = HEX.exec(s);
  if (hex === null) return null;
  const [, sign, int, frac = '', exp = '0'] = hex;
  if (int.length === 0 && frac.length === 0) return null;
  const mant = BigInt('0x0' + int + frac);
  const e2 = Number(exp) - 4 * frac.length;
  const v = Number(mant) * 2 ** e2;
  if (!Number.isFinite(v)) return null;
  if (mant !== 0n && Math.abs(v) < MIN_NORMAL) {
    // glibc reports ERANGE for a subnormal result only when it is inexact.
    const shift = -1074 - e2;
    if (v === 0 || (shift > 0 && mant % (1n << BigInt(shift)) !== 0n)) return null;
  }
  return sign === '-' ? -v : v;
}

interface Item {
  element: string;
  score: number;
  /** ALPHA with BY: the weight string, null when its key is missing. */
  cmp: string | null;
}

function binaryCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function runSort(ctx: ExecContext, argv: Buffer[], readonly: boolean): Reply {
  const o = parseSort(argv, readonly);
  if (o instanceof ErrorReply) return o;
  const key = keyString(argv[1]);
  const found = o.store !== null ? ctx.db.lookupWrite(key, ctx.now, ctx.index) : lookupRead(ctx, key);
  if (found !== undefined && found.type !== 'list' && found.type !== 'set' && found.type !== 'zset') return WRONGTYPE;
  const value: Collection | undefined = found instanceof Collection ? found : undefined;
  const type = value?.type ?? 'list';
  let { dontsort, alpha, by } = o;
  const { desc } = o;
  // Redis sorts a set that would otherwise keep its (hash-table) order when storing, so replicas agree.
  if (dontsort && type === 'set' && o.store !== null) {
    dontsort = false;
    alpha = true;
    by = null;
  }
  const len = value?.length ?? 0;
  let start = o.limitStart < 0 ? 0 : o.limitStart;
  let end = o.limitCount < 0 ? len - 1 : start + o.limitCount - 1;
  if (start >= len) {
    start = len - 1;
    end = len - 2;
  }
  if (end >= len) end = len - 1;

  if (value instanceof ZSetValue) value.convertToSkiplist();
  let items: Item[];
  if (dontsort && (type === 'list' || type === 'zset')) {
    // Native order (reversed by DESC), only the LIMIT range is loaded.
    let elements: string[] = [];
    if (end >= start && value !== undefined) {
      if (value instanceof ListValue) {
        elements = desc ? value.range(len - 1 - end, len - 1 - start).reverse() : value.range(start, end);
      } else {
        const all = Array.from(value.elements());
        if (desc) all.reverse();
        elements = all.slice(start, end + 1);
      }
    }
    items = elements.map((element) => ({ element, score: 0, cmp: null }));
    end -= start;
    start = 0;
  } else {
    items = value === undefined ? [] : Array.from(value.elements(), (element) => ({ element, score: 0, cmp: null }));
  }

  if (!dontsort) {
    let conversionError = false;
    for (const it of items) {
      let weight: string;
      if (by !== null) {
        const w = lookupByPattern(ctx, by, it.element);
        if (w === null) continue;
        weight = w.toString('latin1');
      } else {
        weight = it.element;
      }
      if (alpha) {
        if (by !== null) it.cmp = weight;
      } else {
        const score = sortScore(weight);
        if (score === null) conversionError = true;
        else it.score = score;
      }
    }
    if (conversionError) return ERR_SORT_SCORE;
    const sign = desc ? -1 : 1;
    const byPattern = by !== null;
    items.sort((a, b) => {
      let cmp: number;
      if (!alpha) {
        cmp = a.score > b.score ? 1 : a.score < b.score ? -1 : binaryCompare(a.element, b.element);
      } else if (byPattern) {
        if (a.cmp === null || b.cmp === null) cmp = a.cmp === b.cmp ? 0 : a.cmp === null ? -1 : 1;
        else cmp = binaryCompare(a.cmp, b.cmp);
      } else {
        cmp = binaryCompare(a.element, b.element);
      }
      return sign * cmp;
    });
  }

  const selected = end >= start ? items.slice(start, end + 1) : [];
  if (o.store === null) {
    const out: Reply[] = [];
    for (const it of selected) {
      if (o.gets.length === 0) out.push(elementBuffer(it.element));
      for (const g of o.gets) out.push(lookupByPattern(ctx, g, it.element));
    }
    return out;
  }
  const list = new ListValue();
  for (const it of selected) {
    if (o.gets.length === 0) list.pushRight(it.element);
    for (const g of o.gets) list.pushRight(lookupByPattern(ctx, g, it.element)?.toString('latin1') ?? '');
  }
  const storeKey = keyString(o.store);
  if (list.length > 0) storeCollection(ctx, storeKey, list);
  else ctx.db.delete(storeKey, ctx.index);
  return list.length;
}

function sortArgs(withStore: boolean): ReturnType<typeof arg>[] {
  const args = [
    keyArg(),
    arg('by-pattern', 'pattern', { token: 'BY', optional: true }),
    block('limit', [arg('offset', 'integer'), arg('count', 'integer')], { token: 'LIMIT', optional: true }),
    arg('get-pattern', 'pattern', { token: 'GET', optional: true, multiple: true, multipleToken: true }),
    oneOf('order', [pureToken('asc', 'ASC'), pureToken('desc', 'DESC')], { optional: true }),
    pureToken('sorting', 'ALPHA', { optional: true }),
  ];
  if (withStore) args.push(keyArg('destination', { token: 'STORE', optional: true }));
  return args;
}

const sort = defineCommand({
  name: 'sort',
  arity: -2,
  flags: ['write', 'denyoom', 'movablekeys'],
  keys: [1, 1, 1],
  acl: ['@write', '@set', '@sortedset', '@list', '@slow', '@dangerous'],
  doc: {
    summary: 'Sorts the elements in a list, a set, or a sorted set, optionally storing the result.',
    since: '1.0.0',
    group: 'generic',
    complexity:
      'O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).',
    arguments: sortArgs(true),
  },
  check(argv) {
    const o = parseSort(argv, false);
    return o instanceof ErrorReply ? o : null;
  },
  exec: (ctx, argv) => runSort(ctx, argv, false),
});

// Without STORE, SORT only reads (lookupRead): served where the client is, as SORT_RO. Any argument spelled STORE counts.
sort.readOnlyWhen = (argv) => !argv.some((a, i) => i >= 2 && a.length === 5 && a.toString('latin1').toLowerCase() === 'store');

const sortRo = defineCommand({
  name: 'sort_ro',
  arity: -2,
  flags: ['readonly', 'movablekeys'],
  keys: [1, 1, 1],
  acl: ['@read', '@set', '@sortedset', '@list', '@slow', '@dangerous'],
  doc: {
    summary: 'Returns the sorted elements of a list, a set, or a sorted set.',
    since: '7.0.0',
    group: 'generic',
    complexity:
      'O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).',
    arguments: sortArgs(false),
  },
  check(argv) {
    const o = parseSort(argv, true);
    return o instanceof ErrorReply ? o : null;
  },
  exec: (ctx, argv) => runSort(ctx, argv, true),
});

export const sortCommands: DataCommand[] = [sort, sortRo];
