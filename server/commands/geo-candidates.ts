/**
 * The candidates of a geo search (Redis's membersOfAllNeighbors and
 * geoAppendIfWithinShape): the members in the score ranges of the
 * neighbour boxes, walked in skiplist order, kept when inside the shape.
 *
 * Speed without changing a reply: the exact distance (geo-libm's correctly
 * rounded sin/cos/asin, as glibc's) costs about 20 times V8's Math ones, and
 * most candidates of a search are outside the shape. So each candidate gets
 * approxDistance (within 1e-13 relative of the exact one), and the exact
 * distance is computed only where the approximation could decide otherwise
 * than the exact value: a distance within MARGIN of a limit, two distances
 * within MARGIN of each other in a sort (unless their scores are equal), a
 * WITHDIST distance whose "%.4f" the approximation cannot settle, a
 * distance that is stored (STOREDIST). Every decision is the one the exact
 * distance makes, so replies are those of computing it everywhere.
 *
 * The walk itself: a flat copy of the set's scores when scans have earned
 * one (zset-score-array.ts), else the skiplist, its ranges walked in step.
 */
import type { ZSetValue } from '../keyspace/zset';
import { flatCopy, noteWalked } from '../keyspace/zset-score-array';
import { approxCos, approxDistance, decodeScoreTo, distance, latDistance, scanRanges, searchBoxes, type Shape } from './geohash';

/** Relative gap (with an absolute floor in metres) beyond which approxDistance decides: 10^5 times its analysed error bound (about 1e-14). */
const MARGIN = 1e-9;
const FLOOR = 1e-9;

export interface GeoPoint {
  member: string;
  score: number;
  x: number;
  y: number;
  /** The distance from the centre: exact when `exact` is true, else within 1e-13 relative of it. */
  dist: number;
  exact: boolean;
}

/** The exact distance of a point from the centre (distance()), computed once. */
export function exactDistance(shape: Shape, p: GeoPoint): number {
  if (!p.exact) {
    p.dist = distance(shape.x, shape.y, p.x, p.y);
    p.exact = true;
  }
  return p.dist;
}

/**
 * What a replied distance trusts approxDistance to: 1e-12 relative, 100
 * times its analysed error bound (a few ulps through haversine, times
 * asin's condition number <= 5), 1,500 times the worst error measured.
 */
const PRINT_ERROR = 1e-12;

/**
 * A point's distance from the centre in the reply's unit, printed by
 * `format` (a monotonic rounding, such as "%.4f"): from the approximation
 * when both ends of its error interval print the same (then so does every
 * value between, the exact one included), else from the exact distance.
 */
export function distanceText(shape: Shape, p: GeoPoint, format: (d: number) => string): string {
  if (!p.exact) {
    const err = p.dist * PRINT_ERROR + FLOOR;
    const lo = format((p.dist - err) / shape.conversion);
    if (lo === format((p.dist + err) / shape.conversion)) return lo;
  }
  return format(exactDistance(shape, p) / shape.conversion);
}

/**
 * Whether an approximate distance is clearly above (1) or below (-1) a
 * limit, or too close to tell (0: the exact distance decides; NaN too).
 */
function side(approx: number, limit: number): number {
  const gap = approx * MARGIN + FLOOR;
  return approx > limit + gap ? 1 : approx < limit - gap ? -1 : 0;
}

/**
 * geoAppendIfWithinShape's test for one candidate at a time: within()
 * decodes a score and answers whether the point is inside the shape,
 * leaving the point and its distance in x, y, dist, exact.
 */
class ShapeTest {
  x = 0;
  y = 0;
  dist = 0;
  exact = false;
  private readonly xy = new Float64Array(2);
  private readonly cosC: number;
  private readonly radiusM: number;
  private readonly halfW: number;
  private readonly halfH: number;

  constructor(private readonly shape: Shape) {
    this.cosC = approxCos(shape.y);
    this.radiusM = shape.type === 'radius' ? shape.radius * shape.conversion : 0;
    this.halfW = shape.type === 'box' ? (shape.width * shape.conversion) / 2 : 0;
    this.halfH = shape.type === 'box' ? (shape.height * shape.conversion) / 2 : 0;
  }

  within(score: number): boolean {
    decodeScoreTo(score, this.xy);
    const x = this.xy[0];
    const y = this.xy[1];
    const cx = this.shape.x;
    const cy = this.shape.y;
    const cosY = approxCos(y);
    this.x = x;
    this.y = y;
    this.exact = false;
    if (this.shape.type === 'radius') {
      let d = approxDistance(cx, cy, x, y, this.cosC, cosY);
      const s = side(d, this.radiusM);
      if (s === 0) {
        d = distance(cx, cy, x, y);
        this.exact = true;
      }
      this.dist = d;
      return s < 0 || (s === 0 && !(d > this.radiusM));
    }
    // geohashGetDistanceIfInRectangle: latitude first (no trigonometry), then the east-west distance at the point's latitude.
    if (latDistance(y, cy) > this.halfH) return false;
    const s = side(approxDistance(x, y, cx, y, cosY, cosY), this.halfW);
    if (s > 0 || (s === 0 && distance(x, y, cx, y) > this.halfW)) return false;
    this.dist = approxDistance(cx, cy, x, y, this.cosC, cosY);
    return true;
  }
}

/**
 * Visits the elements of every range, range after range, each in the set's
 * order, having first walked the ranges' skiplist chains side by side: a
 * walk is a chain of cache misses (each node's address is in the one
 * before), and independent chains walked in step let the CPU wait for
 * several at once (measured: 2.7 times faster for 4 ranges). Returns the
 * nodes walked. For searches that take every point (no ANY).
 */
function walkInterleaved(z: ZSetValue, ranges: Array<[number, number]>, visit: (score: number, member: string) => boolean): number {
  const heads = ranges.map(([min, max]) => z.index.firstInScoreRange({ min, max, minex: false, maxex: true }).node);
  const scores = ranges.map(() => [] as number[]);
  const members = ranges.map(() => [] as string[]);
  let live = true;
  while (live) {
    live = false;
    for (let j = 0; j < heads.length; j++) {
      const n = heads[j];
      if (n === null) continue;
      if (n.score < ranges[j][1]) {
        scores[j].push(n.score);
        members[j].push(n.member);
        heads[j] = n.next[0];
        live = true;
      } else heads[j] = null;
    }
  }
  let walked = 0;
  for (let j = 0; j < ranges.length; j++) {
    const s = scores[j];
    const m = members[j];
    walked += s.length;
    for (let i = 0; i < s.length; i++) visit(s[i], m[i]);
  }
  return walked;
}

/** Points within the shape, box by box, each box in (score, member) order; at most `limit` of them when limit > 0 (ANY). */
export function collect(z: ZSetValue, shape: Shape, limit: number): GeoPoint[] {
  const out: GeoPoint[] = [];
  const t = new ShapeTest(shape);
  const keep = (member: string, score: number): boolean => {
    const p: GeoPoint = { member, score, x: t.x, y: t.y, dist: t.dist, exact: t.exact };
    // NaN: nearly antipodal, or anything approxDistance does not vouch for.
    if (Number.isNaN(p.dist)) exactDistance(shape, p);
    out.push(p);
    return limit > 0 && out.length >= limit;
  };
  const flat = flatCopy(z);
  const ranges = scanRanges(searchBoxes(shape));
  let walked = 0;
  // True when the search has all it wants (ANY's count).
  const visit = (score: number, member: string): boolean => t.within(score) && keep(member, score);
  if (flat === null && limit === 0) {
    walked = walkInterleaved(z, ranges, visit);
  } else {
    for (const [min, max] of ranges) {
      if (limit > 0 && out.length >= limit) break;
      // [min, max): the first element at or above min, then forward until max.
      if (flat !== null) {
        flat.forEachInRange(min, max, visit);
        continue;
      }
      for (let n = z.index.firstInScoreRange({ min, max, minex: false, maxex: true }).node; n !== null && n.score < max; n = n.next[0]) {
        walked++;
        if (visit(n.score, n.member)) break;
      }
    }
  }
  if (flat === null) noteWalked(z, walked);
  return out;
}

/**
 * ASC/DESC by distance, as a comparison of exact distances answers (equal
 * distances compare 0): far-apart approximations decide alone, close ones
 * are settled exactly.
 */
export function distanceOrder(shape: Shape, desc: boolean): (a: GeoPoint, b: GeoPoint) => number {
  const asc = (a: GeoPoint, b: GeoPoint): number => {
    const da = a.dist;
    const db = b.dist;
    const gap = (da + db) * MARGIN + FLOOR;
    if (da > db + gap) return 1;
    if (db > da + gap) return -1;
    // The same score is the same position, so the same distance (many members often share one);
    // but NaN (from asin past 1, nearly antipodal) compares -1 even with itself, as sort_gp_asc.
    if (a.score === b.score && !Number.isNaN(da)) return 0;
    const ea = exactDistance(shape, a);
    const eb = exactDistance(shape, b);
    return ea === eb ? 0 : ea > eb ? 1 : -1;
  };
  return desc ? (a, b) => -asc(a, b) : asc;
}
