/**
 * Geo commands (Redis 7 geo.c): points are sorted-set members whose score
 * is the 52-bit geohash (geohash.ts). GEOADD is ZADD with computed scores
 * (it calls zset.ts's ZADD, as Redis rewrites GEOADD into ZADD); searches
 * scan the score ranges of the neighbour boxes and filter by distance.
 *
 * Replies as redis-server 7 sends them: distances are bulk strings with
 * four decimals ("%.4f") in both protocols, coordinates are
 * addReplyHumanLongDouble ("%.17Lf" trimmed; a RESP3 double), hashes are
 * integers, and a missing GEOPOS member is a null array.
 */
import { DoubleReply, ErrorReply, NullArray, isError as isErr, type Reply } from '../../protocol/reply';
import { ERR_NOT_FLOAT, ERR_NOT_INTEGER, ERR_SYNTAX } from '../../protocol/errors';
import { elementBuffer, elementString, keyString } from '../keyspace';
import { ZSetValue } from '../keyspace/zset';
import { arg, block, defineCommand, keyArg, oneOf, pureToken } from './define';
import {
  GEO_LAT_MAX,
  GEO_LAT_MIN,
  GEO_LONG_MAX,
  GEO_LONG_MIN,
  decodeScore,
  distance,
  encodeScoreBits,
  geohashString,
  type Shape,
} from './geohash';
import { collect, distanceOrder, distanceText, exactDistance, type GeoPoint } from './geo-candidates';
import { formatLongDoubleHuman } from './long-double';
import { readTyped, storeCollection, writeTyped } from './typed';
import type { ArgDoc, CommandFlag, DataCommand, ExecContext } from './types';
import { isToken, parseFloat64, parseInt64 } from './util';
import { zaddExec } from './zset';

// ------------------------------------------------------------------ errors

const ERR_MEMBER = new ErrorReply('ERR could not decode requested zset member');
const ERR_UNIT = new ErrorReply('ERR unsupported unit provided. please use M, KM, FT, MI');
const ERR_RADIUS = new ErrorReply('ERR need numeric radius');
const ERR_RADIUS_NEGATIVE = new ErrorReply('ERR radius cannot be negative');
const ERR_WIDTH = new ErrorReply('ERR need numeric width');
const ERR_HEIGHT = new ErrorReply('ERR need numeric height');
const ERR_BOX_NEGATIVE = new ErrorReply('ERR height or width cannot be negative');
const ERR_COUNT = new ErrorReply('ERR COUNT must be > 0');
const ERR_ANY = new ErrorReply('ERR the ANY argument requires COUNT argument');

// -------------------------------------------------------------- formatting

const SIGN_BIT = 1n << 63n;

/**
 * printf("%.<digits>f", x) for a finite double, exactly as glibc: the
 * binary value's exact decimal expansion rounded half to even.
 */
export function formatFixed(x: number, digits: number): string {
  return toFixedAsPrintf(x, digits) ?? formatFixedExact(x, digits);
}

/** formatFixed by BigInt arithmetic, for every double. */
export function formatFixedExact(x: number, digits: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  const buf = Buffer.allocUnsafe(8);
  buf.writeDoubleBE(x, 0);
  const raw = buf.readBigUInt64BE(0);
  const neg = (raw & SIGN_BIT) !== 0n;
  const bexp = Number((raw >> 52n) & 0x7ffn);
  let mant = raw & 0xfffffffffffffn;
  let exp: number;
  if (bexp === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = bexp - 1075;
  }
  // value = mant * 2^exp; scaled = value * 10^digits, rounded half-even.
  const scale = 10n ** BigInt(digits);
  let q: bigint;
  if (exp >= 0) q = (mant << BigInt(exp)) * scale;
  else {
    const shift = BigInt(-exp);
    const num = mant * scale;
    q = num >> shift;
    const rem = num - (q << shift);
    const half = 1n << (shift - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  }
  let s = q.toString();
  if (digits > 0) {
    s = s.padStart(digits + 1, '0');
    s = s.slice(0, s.length - digits) + '.' + s.slice(s.length - digits);
  }
  return neg ? '-' + s : s;
}

/**
 * "%.<digits>f" through Number#toFixed (native, about 20 times faster than
 * the BigInt expansion: WITHDIST and WITHCOORD format every point) when it
 * is the same string, else null. toFixed also rounds the exact binary value,
 * but breaks ties upward where glibc breaks them to even; a double is a tie
 * at `digits` decimals only when it is an odd multiple of 2^-(digits+1)
 * (its exact expansion then ends with that 5, one place further), so those
 * go the slow way, as do -0 (toFixed drops its sign) and values toFixed
 * would print in exponent form.
 */
export function toFixedAsPrintf(x: number, digits: number): string | null {
  if (!(Math.abs(x) < 1e21) || digits > 20 || Object.is(x, -0)) return null;
  const p = 2 ** (digits + 1);
  if (Number.isInteger(x * p) && !Number.isInteger(x * (p / 2))) return null;
  return x.toFixed(digits);
}

/** ld2string(LD_STR_HUMAN) of a double: "%.17Lf", trailing zeros and '.' trimmed, "-0" as "0". */
export function formatCoord(v: number): string {
  const fast = toFixedAsPrintf(v, 17);
  if (fast === null) return formatLongDoubleHuman(v);
  const s = fast.replace(/\.?0+$/, '');
  return s === '-0' ? '0' : s;
}

/** addReplyDoubleDistance: "%.4f" as a bulk string, in RESP2 and RESP3 alike (ASCII: a string is the same bytes as a Buffer, without one). */
function distanceReply(d: number): string {
  return formatFixed(d, 4);
}

/**
 * A member as a bulk string: an ASCII member goes as the string itself (the
 * encoder writes strings as UTF-8, the same bytes), sparing a Buffer per
 * point of a big reply; any other byte needs the latin1 Buffer.
 */
function memberReply(m: string): string | Buffer {
  for (let i = 0; i < m.length; i++) if (m.charCodeAt(i) > 0x7f) return elementBuffer(m);
  return m;
}

/** addReplyHumanLongDouble: "%.17Lf" trimmed; RESP3 sends it as a double. */
function coordReply(v: number): DoubleReply {
  return new DoubleReply(v, formatCoord(v));
}

function coordsReply(xy: [number, number]): Reply[] {
  return [coordReply(xy[0]), coordReply(xy[1])];
}

const TWO_63 = 2 ** 63;

/** WITHHASH: the score as C's (long long) cast (x86-64: out of range gives -2^63), an integer reply. */
function hashReply(score: number): number | bigint {
  if (!(Math.abs(score) < TWO_63)) return -(1n << 63n);
  const t = Math.trunc(score);
  return Number.isSafeInteger(t) ? t : BigInt(t);
}

// ----------------------------------------------------------------- parsing

/** extractLongLatOrReply: two floats within the WGS84 limits. */
function parseLonLat(lon: Buffer, lat: Buffer): [number, number] | ErrorReply {
  const x = parseFloat64(lon);
  if (x === null) return ERR_NOT_FLOAT;
  const y = parseFloat64(lat);
  if (y === null) return ERR_NOT_FLOAT;
  if (x < GEO_LONG_MIN || x > GEO_LONG_MAX || y < GEO_LAT_MIN || y > GEO_LAT_MAX) {
    return new ErrorReply(`ERR invalid longitude,latitude pair ${formatFixed(x, 6)},${formatFixed(y, 6)}`);
  }
  return [x, y];
}

/** extractUnitOrReply: metres per unit. */
function parseUnit(u: Buffer): number | ErrorReply {
  if (isToken(u, 'm')) return 1;
  if (isToken(u, 'km')) return 1000;
  if (isToken(u, 'ft')) return 0.3048;
  if (isToken(u, 'mi')) return 1609.34;
  return ERR_UNIT;
}

/** extractDistanceOrReply: radius then unit. */
function parseRadius(r: Buffer, unit: Buffer): { radius: number; conversion: number } | ErrorReply {
  const radius = parseFloat64(r);
  if (radius === null) return ERR_RADIUS;
  if (radius < 0) return ERR_RADIUS_NEGATIVE;
  const conversion = parseUnit(unit);
  if (isErr(conversion)) return conversion;
  return { radius, conversion };
}

/** extractBoxOrReply: width, height, unit. */
function parseBox(w: Buffer, h: Buffer, unit: Buffer): { width: number; height: number; conversion: number } | ErrorReply {
  const width = parseFloat64(w);
  if (width === null) return ERR_WIDTH;
  const height = parseFloat64(h);
  if (height === null) return ERR_HEIGHT;
  if (height < 0 || width < 0) return ERR_BOX_NEGATIVE;
  const conversion = parseUnit(unit);
  if (isErr(conversion)) return conversion;
  return { width, height, conversion };
}

/** A member's decoded position (longLatFromMember), null when absent. */
function memberPosition(z: ZSetValue, member: Buffer): [number, number] | null {
  const s = z.score(elementString(member));
  return s === undefined ? null : decodeScore(s);
}

type Variant = 'georadius' | 'georadiusbymember' | 'geosearch';

interface SearchSpec {
  /** Null when the source key is absent (parsing went on only to find errors). */
  shape: Shape | null;
  withDist: boolean;
  withHash: boolean;
  withCoord: boolean;
  sort: 'none' | 'asc' | 'desc';
  any: boolean;
  count: number;
  storeKey: Buffer | null;
  storeDist: boolean;
}

/**
 * georadiusGeneric's parsing, in its order: the centre/radius of the
 * GEORADIUS forms, then every option left to right (FROMMEMBER looks the
 * member up as it is met), then the cross-option checks.
 */
function parseSearch(argv: Buffer[], variant: Variant, readOnly: boolean, store: boolean, z: ZSetValue | null): SearchSpec | ErrorReply {
  let x = 0;
  let y = 0;
  let radius: { radius: number; conversion: number } | null = null;
  let box: { width: number; height: number; conversion: number } | null = null;
  let base: number;
  if (variant === 'georadius') {
    base = 6;
    const xy = parseLonLat(argv[2], argv[3]);
    if (isErr(xy)) return xy;
    [x, y] = xy;
    const r = parseRadius(argv[4], argv[5]);
    if (isErr(r)) return r;
    radius = r;
  } else if (variant === 'georadiusbymember') {
    base = 5;
    if (z !== null) {
      const xy = memberPosition(z, argv[2]);
      if (xy === null) return ERR_MEMBER;
      [x, y] = xy;
      const r = parseRadius(argv[3], argv[4]);
      if (isErr(r)) return r;
      radius = r;
    }
  } else {
    base = store ? 3 : 2;
  }
  const geosearch = variant === 'geosearch';
  const spec: SearchSpec = {
    shape: null,
    withDist: false,
    withHash: false,
    withCoord: false,
    sort: 'none',
    any: false,
    count: 0,
    storeKey: store ? argv[1] : null,
    storeDist: false,
  };
  let fromMember = false;
  let fromLoc = false;
  let byRadius = false;
  let byBox = false;
  const remaining = argv.length - base;
  for (let i = 0; i < remaining; i++) {
    const a = argv[base + i];
    if (isToken(a, 'withdist')) spec.withDist = true;
    else if (isToken(a, 'withhash')) spec.withHash = true;
    else if (isToken(a, 'withcoord')) spec.withCoord = true;
    else if (isToken(a, 'any')) spec.any = true;
    else if (isToken(a, 'asc')) spec.sort = 'asc';
    else if (isToken(a, 'desc')) spec.sort = 'desc';
    else if (isToken(a, 'count') && i + 1 < remaining) {
      const c = parseInt64(argv[base + i + 1]);
      if (c === null) return ERR_NOT_INTEGER;
      if (c <= 0n) return ERR_COUNT;
      spec.count = Number(c);
      i++;
    } else if ((isToken(a, 'store') || isToken(a, 'storedist')) && i + 1 < remaining && !readOnly && !geosearch) {
      spec.storeKey = argv[base + i + 1];
      spec.storeDist = isToken(a, 'storedist');
      i++;
    } else if (isToken(a, 'storedist') && geosearch && store) {
      spec.storeDist = true;
    } else if (isToken(a, 'frommember') && i + 1 < remaining && geosearch && !fromLoc) {
      if (z !== null) {
        const xy = memberPosition(z, argv[base + i + 1]);
        if (xy === null) return ERR_MEMBER;
        [x, y] = xy;
      }
      fromMember = true;
      i++;
    } else if (isToken(a, 'fromlonlat') && i + 2 < remaining && geosearch && !fromMember) {
      const xy = parseLonLat(argv[base + i + 1], argv[base + i + 2]);
      if (isErr(xy)) return xy;
      [x, y] = xy;
      fromLoc = true;
      i += 2;
    } else if (isToken(a, 'byradius') && i + 2 < remaining && geosearch && !byBox) {
      const r = parseRadius(argv[base + i + 1], argv[base + i + 2]);
      if (isErr(r)) return r;
      radius = r;
      byRadius = true;
      i += 2;
    } else if (isToken(a, 'bybox') && i + 3 < remaining && geosearch && !byRadius) {
      const b = parseBox(argv[base + i + 1], argv[base + i + 2], argv[base + i + 3]);
      if (isErr(b)) return b;
      box = b;
      radius = null;
      byBox = true;
      i += 3;
    } else {
      return ERR_SYNTAX;
    }
  }
  if (spec.storeKey !== null && (spec.withDist || spec.withHash || spec.withCoord)) {
    const who = geosearch ? 'GEOSEARCHSTORE' : 'STORE option in GEORADIUS';
    return new ErrorReply(`ERR ${who} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`);
  }
  const name = argv[0].toString('latin1');
  if (geosearch && !(fromMember || fromLoc)) return new ErrorReply(`ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${name}`);
  if (geosearch && !(byRadius || byBox)) return new ErrorReply(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${name}`);
  if (spec.any && spec.count === 0) return ERR_ANY;
  if (z !== null) {
    if (box !== null) spec.shape = { type: 'box', x, y, conversion: box.conversion, width: box.width, height: box.height };
    else if (radius !== null) spec.shape = { type: 'radius', x, y, conversion: radius.conversion, radius: radius.radius };
  }
  return spec;
}

// ------------------------------------------------------------------ search

/**
 * Redis's pqsort (pqsort.c, a NetBSD quicksort that only recurses into
 * partitions overlapping [lrange, rrange]): used when COUNT cuts the
 * result, so ties in distance land where redis-server puts them.
 */
export function pqsort<T>(a: T[], cmp: (x: T, y: T) => number, lrange: number, rrange: number): void {
  const swap = (i: number, j: number) => {
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  };
  const vecswap = (i: number, j: number, n: number) => {
    for (let k = 0; k < n; k++) swap(i + k, j + k);
  };
  const med3 = (i: number, j: number, k: number) =>
    cmp(a[i], a[j]) < 0 ? (cmp(a[j], a[k]) < 0 ? j : cmp(a[i], a[k]) < 0 ? k : i) : cmp(a[j], a[k]) > 0 ? j : cmp(a[i], a[k]) < 0 ? i : k;
  const outside = (l: number, r: number) => (lrange < l && rrange < l) || (lrange > r && rrange > r);
  const sort = (base: number, n: number): void => {
    for (;;) {
      if (n < 7) {
        for (let pm = base + 1; pm < base + n; pm++) for (let pl = pm; pl > base && cmp(a[pl - 1], a[pl]) > 0; pl--) swap(pl, pl - 1);
        return;
      }
      let pm = base + Math.floor(n / 2);
      if (n > 7) {
        let pl = base;
        let pn = base + n - 1;
        if (n > 40) {
          const d = Math.floor(n / 8);
          pl = med3(pl, pl + d, pl + 2 * d);
          pm = med3(pm - d, pm, pm + d);
          pn = med3(pn - 2 * d, pn - d, pn);
        }
        pm = med3(pl, pm, pn);
      }
      swap(base, pm);
      let pa = base + 1;
      let pb = pa;
      let pc = base + n - 1;
      let pd = pc;
      for (;;) {
        let r: number;
        while (pb <= pc && (r = cmp(a[pb], a[base])) <= 0) {
          if (r === 0) swap(pa++, pb);
          pb++;
        }
        while (pb <= pc && (r = cmp(a[pc], a[base])) >= 0) {
          if (r === 0) swap(pc, pd--);
          pc--;
        }
        if (pb > pc) break;
        swap(pb++, pc--);
      }
      const pn = base + n;
      let r = Math.min(pa - base, pb - pa);
      vecswap(base, pb - r, r);
      r = Math.min(pd - pc, pn - pd - 1);
      vecswap(pb, pn - r, r);
      r = pb - pa;
      if (r > 1 && !outside(base, base + r - 1)) sort(base, r);
      r = pd - pc;
      if (r <= 1) return;
      base = pn - r;
      n = r;
      if (outside(base, base + r - 1)) return;
    }
  };
  sort(0, a.length);
}

/** ASC/DESC: a full sort is glibc's qsort (a stable merge sort for these sizes); a cut one is pqsort. */
function sortPoints(points: GeoPoint[], shape: Shape, sort: 'asc' | 'desc', returned: number): void {
  const cmp = distanceOrder(shape, sort === 'desc');
  if (returned === points.length) points.sort(cmp);
  else pqsort(points, cmp, 0, returned - 1);
}

function runSearch(ctx: ExecContext, argv: Buffer[], variant: Variant, readOnly: boolean, store: boolean, srcIdx: number): Reply {
  const srcKey = keyString(argv[srcIdx]);
  // Reads look up as clients' reads do; at apply time an expired source is deleted first.
  const z = readOnly || !namesStore(argv) ? readTyped(ctx, srcKey, ZSetValue) : writeTyped(ctx, srcKey, ZSetValue);
  if (isErr(z)) return z;
  const src = z ?? null;
  const spec = parseSearch(argv, variant, readOnly, store, src);
  if (isErr(spec)) return spec;
  if (src === null || spec.shape === null) {
    if (spec.storeKey === null) return [];
    storeCollection(ctx, keyString(spec.storeKey), ZSetValue.create());
    return 0;
  }
  const shape = spec.shape;
  // COUNT without ordering would return arbitrary points: Redis sorts ascending (but not with ANY).
  const sort = spec.count !== 0 && spec.sort === 'none' && !spec.any ? 'asc' : spec.sort;
  const points = collect(src, shape, spec.any ? spec.count : 0);
  if (points.length === 0 && spec.storeKey === null) return [];
  const returned = spec.count === 0 || points.length < spec.count ? points.length : spec.count;
  if (sort !== 'none') sortPoints(points, shape, sort, returned);

  if (spec.storeKey === null) {
    const options = spec.withDist || spec.withHash || spec.withCoord;
    const out: Reply[] = [];
    for (let i = 0; i < returned; i++) {
      const p = points[i];
      const member = memberReply(p.member);
      if (!options) {
        out.push(member);
        continue;
      }
      const item: Reply[] = [member];
      if (spec.withDist) item.push(distanceText(shape, p, distanceReply));
      if (spec.withHash) item.push(hashReply(p.score));
      if (spec.withCoord) item.push(coordsReply([p.x, p.y]));
      out.push(item);
    }
    return out;
  }
  // Built as a skiplist, then settled into the encoding its contents call for (zsetConvertToListpackIfNeeded).
  const dst = ZSetValue.create();
  dst.convertToSkiplist();
  for (let i = 0; i < returned; i++) {
    const p = points[i];
    dst.set(p.member, spec.storeDist ? exactDistance(shape, p) / shape.conversion : p.score);
  }
  dst.settleEncoding();
  storeCollection(ctx, keyString(spec.storeKey), dst);
  return returned;
}

// ---------------------------------------------------------------- commands

const GREAD = ['@read', '@geo', '@slow'];
const GWRITE = ['@write', '@geo', '@slow'];

function doc(summary: string, since: string, complexity: string, args: ArgDoc[]) {
  return { summary, since, group: 'geo' as const, complexity, arguments: args };
}

const KEY = keyArg();
const UNIT = oneOf('unit', [pureToken('m', 'M'), pureToken('km', 'KM'), pureToken('ft', 'FT'), pureToken('mi', 'MI')]);
const LON_LAT = [arg('longitude', 'double'), arg('latitude', 'double')];
const WITH = [
  pureToken('withcoord', 'WITHCOORD', { optional: true }),
  pureToken('withdist', 'WITHDIST', { optional: true }),
  pureToken('withhash', 'WITHHASH', { optional: true }),
];
const COUNT = block('count-block', [arg('count', 'integer', { token: 'COUNT' }), pureToken('any', 'ANY', { optional: true, since: '6.2.0' })], { optional: true });
const ORDER = oneOf('order', [pureToken('asc', 'ASC'), pureToken('desc', 'DESC')], { optional: true });
const STORE_ARGS = [
  keyArg('key', { token: 'STORE', optional: true }),
  keyArg('key', { token: 'STOREDIST', optional: true }),
];
const RADIUS_CX = 'O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.';
const SEARCH_CX = 'O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape';

const geoadd = defineCommand({
  name: 'geoadd',
  arity: -5,
  flags: ['write', 'denyoom'],
  keys: [1, 1, 1],
  acl: GWRITE,
  doc: doc('Adds one or more members to a geospatial index. The key is created if it doesn\'t exist.', '3.2.0', 'O(log(N)) for each item added, where N is the number of elements in the sorted set.', [
    KEY,
    oneOf('condition', [pureToken('nx', 'NX'), pureToken('xx', 'XX')], { optional: true, since: '6.2.0' }),
    pureToken('change', 'CH', { optional: true, since: '6.2.0' }),
    block('data', [...LON_LAT, arg('member', 'string')], { multiple: true }),
  ]),
  check(argv) {
    const z = geoaddToZadd(argv);
    return isErr(z) ? z : null;
  },
  exec(ctx, argv) {
    const z = geoaddToZadd(argv);
    return isErr(z) ? z : zaddExec(ctx, z, false);
  },
});

/** GEOADD's options and points, turned into the ZADD it runs (scores = geohashes, formatted as Redis does). */
function geoaddToZadd(argv: Buffer[]): Buffer[] | ErrorReply {
  let nx = false;
  let xx = false;
  let i = 2;
  for (; i < argv.length; i++) {
    if (isToken(argv[i], 'nx')) nx = true;
    else if (isToken(argv[i], 'xx')) xx = true;
    else if (!isToken(argv[i], 'ch')) break;
  }
  if ((argv.length - i) % 3 !== 0 || (xx && nx)) return ERR_SYNTAX;
  const out = [Buffer.from('zadd'), ...argv.slice(1, i)];
  for (let j = i; j < argv.length; j += 3) {
    const xy = parseLonLat(argv[j], argv[j + 1]);
    if (isErr(xy)) return xy;
    out.push(Buffer.from(encodeScoreBits(xy[0], xy[1]).toString(), 'latin1'), argv[j + 2]);
  }
  return out;
}

function readCommand(name: string, arity: number, summary: string, since: string, complexity: string, args: ArgDoc[], exec: (ctx: ExecContext, argv: Buffer[]) => Reply): DataCommand {
  return defineCommand({ name, arity, flags: ['readonly'], keys: [1, 1, 1], acl: GREAD, doc: doc(summary, since, complexity, args), exec });
}

const geopos = readCommand('geopos', -2, 'Returns the longitude and latitude of members from a geospatial index.', '3.2.0', 'O(N) where N is the number of members requested.', [KEY, arg('member', 'string', { optional: true, multiple: true })], (ctx, argv) => {
  const z = readTyped(ctx, keyString(argv[1]), ZSetValue);
  if (isErr(z)) return z;
  const out: Reply[] = [];
  for (let j = 2; j < argv.length; j++) {
    const s = z?.score(elementString(argv[j]));
    out.push(s === undefined ? NullArray.instance : coordsReply(decodeScore(s)));
  }
  return out;
});

const geohash = readCommand('geohash', -2, 'Returns members from a geospatial index as geohash strings.', '3.2.0', 'O(1) for each member requested.', [KEY, arg('member', 'string', { optional: true, multiple: true })], (ctx, argv) => {
  const z = readTyped(ctx, keyString(argv[1]), ZSetValue);
  if (isErr(z)) return z;
  const out: Reply[] = [];
  for (let j = 2; j < argv.length; j++) {
    const s = z?.score(elementString(argv[j]));
    out.push(s === undefined ? null : geohashString(s));
  }
  return out;
});

const geodist = readCommand('geodist', -4, 'Returns the distance between two members of a geospatial index.', '3.2.0', 'O(1)', [KEY, arg('member1', 'string'), arg('member2', 'string'), { ...UNIT, optional: true }], (ctx, argv) => {
  let toMeter = 1;
  if (argv.length === 5) {
    const u = parseUnit(argv[4]);
    if (isErr(u)) return u;
    toMeter = u;
  } else if (argv.length > 5) return ERR_SYNTAX;
  const z = readTyped(ctx, keyString(argv[1]), ZSetValue);
  if (isErr(z)) return z;
  if (z === null) return null;
  const s1 = z.score(elementString(argv[2]));
  const s2 = z.score(elementString(argv[3]));
  if (s1 === undefined || s2 === undefined) return null;
  const [x1, y1] = decodeScore(s1);
  const [x2, y2] = decodeScore(s2);
  return distanceReply(distance(x1, y1, x2, y2) / toMeter);
});

function searchCommand(name: string, arity: number, flags: CommandFlag[], keys: [number, number, number], summary: string, since: string, complexity: string, args: ArgDoc[], variant: Variant, store: boolean): DataCommand {
  const readOnly = flags.includes('readonly');
  const srcIdx = store ? 2 : 1;
  return defineCommand({
    name,
    arity,
    flags,
    keys,
    acl: readOnly ? GREAD : GWRITE,
    doc: doc(summary, since, complexity, args),
    // No stateless pre-check: a wrong-typed source and FROMMEMBER's lookup come before syntax errors in Redis.
    exec: (ctx, argv) => runSearch(ctx, argv, variant, readOnly, store, srcIdx),
  });
}

const RADIUS_ARGS = [...LON_LAT, arg('radius', 'double'), UNIT, ...WITH, COUNT, ORDER];
const BYMEMBER_ARGS = [arg('member', 'string'), arg('radius', 'double'), UNIT, ...WITH, COUNT, ORDER];
const FROM = oneOf('from', [arg('member', 'string', { token: 'FROMMEMBER' }), block('fromlonlat', LON_LAT, { token: 'FROMLONLAT' })]);
const BY = oneOf('by', [
  block('circle', [arg('radius', 'double', { token: 'BYRADIUS' }), UNIT]),
  block('box', [arg('width', 'double', { token: 'BYBOX' }), arg('height', 'double'), UNIT]),
]);

const georadius = searchCommand('georadius', -6, ['write', 'denyoom', 'movablekeys'], [1, 1, 1], 'Queries a geospatial index for members within a distance from a coordinate, optionally stores the result.', '3.2.0', RADIUS_CX, [KEY, ...RADIUS_ARGS, ...STORE_ARGS], 'georadius', false);
const georadiusRo = searchCommand('georadius_ro', -6, ['readonly'], [1, 1, 1], 'Returns members from a geospatial index that are within a distance from a coordinate.', '3.2.10', RADIUS_CX, [KEY, ...RADIUS_ARGS], 'georadius', false);
const georadiusbymember = searchCommand('georadiusbymember', -5, ['write', 'denyoom', 'movablekeys'], [1, 1, 1], 'Queries a geospatial index for members within a distance from a member, optionally stores the result.', '3.2.0', RADIUS_CX, [KEY, ...BYMEMBER_ARGS, ...STORE_ARGS], 'georadiusbymember', false);
const georadiusbymemberRo = searchCommand('georadiusbymember_ro', -5, ['readonly'], [1, 1, 1], 'Returns members from a geospatial index that are within a distance from a member.', '3.2.10', RADIUS_CX, [KEY, ...BYMEMBER_ARGS], 'georadiusbymember', false);
const geosearch = searchCommand('geosearch', -7, ['readonly'], [1, 1, 1], 'Queries a geospatial index for members inside an area of a box or a circle.', '6.2.0', SEARCH_CX, [KEY, FROM, BY, ORDER, COUNT, ...WITH], 'geosearch', false);
const geosearchstore = searchCommand('geosearchstore', -8, ['write', 'denyoom'], [1, 2, 1], 'Queries a geospatial index for members inside an area of a box or a circle, optionally stores the result.', '6.2.0', SEARCH_CX, [keyArg('destination'), keyArg('source'), FROM, BY, ORDER, COUNT, pureToken('storedist', 'STOREDIST', { optional: true })], 'geosearch', true);

/**
 * Whether GEORADIUS / GEORADIUSBYMEMBER name STORE or STOREDIST. Any argument
 * spelled so counts (a member or key could be, but never a real option's
 * value): erring toward "stores" only sends a search through the log.
 */
function namesStore(argv: Buffer[]): boolean {
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if ((a.length === 5 || a.length === 9) && /^store(dist)?$/i.test(a.toString('latin1'))) return true;
  }
  return false;
}
// Without STORE they only read: served where the client is, as GEORADIUS_RO.
georadius.readOnlyWhen = (argv) => !namesStore(argv);
georadiusbymember.readOnlyWhen = (argv) => !namesStore(argv);

export const geoCommands: DataCommand[] = [geoadd, geopos, geohash, geodist, georadius, georadiusRo, georadiusbymember, georadiusbymemberRo, geosearch, geosearchstore];
