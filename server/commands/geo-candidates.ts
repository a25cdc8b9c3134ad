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
 * within MARGIN of each other in a sort, a distance that is replied
 * (WITHDIST) or stored (STOREDIST). Every decision is the one the exact
 * distance makes, so replies are those of computing it everywhere.
 */
import type { ZSetValue } from '../keyspace/zset';
import { approxCos, approxDistance, decodeScoreTo, distance, latDistance, scanRanges, searchBoxes, type Shape } from './geohash';

/** Relative gap (with an absolute floor in metres) beyond which approxDistance decides: 10^4 times its error bound. */
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
 * Whether an approximate distance is clearly above (1) or below (-1) a
 * limit, or too close to tell (0: the exact distance decides; NaN too).
 */
function side(approx: number, limit: number): number {
  const gap = approx * MARGIN + FLOOR;
  return approx > limit + gap ? 1 : approx < limit - gap ? -1 : 0;
}

/** Points within the shape, box by box, each box in (score, member) order; at most `limit` of them when limit > 0 (ANY). */
export function collect(z: ZSetValue, shape: Shape, limit: number): GeoPoint[] {
  const out: GeoPoint[] = [];
  const xy = new Float64Array(2);
  const cx = shape.x;
  const cy = shape.y;
  const cosC = approxCos(cy);
  const radiusM = shape.type === 'radius' ? shape.radius * shape.conversion : 0;
  const widthM = shape.type === 'box' ? shape.width * shape.conversion : 0;
  const heightM = shape.type === 'box' ? shape.height * shape.conversion : 0;
  for (const [min, max] of scanRanges(searchBoxes(shape))) {
    if (limit > 0 && out.length >= limit) break;
    // [min, max): the first node at or above min, then forward until max.
    let n = z.index.firstInScoreRange({ min, max, minex: false, maxex: true }).node;
    while (n !== null && n.score < max) {
      decodeScoreTo(n.score, xy);
      const x = xy[0];
      const y = xy[1];
      const cosY = approxCos(y);
      let exact = false;
      let d: number;
      if (shape.type === 'radius') {
        d = approxDistance(cx, cy, x, y, cosC, cosY);
        const s = side(d, radiusM);
        if (s === 0) {
          d = distance(cx, cy, x, y);
          exact = true;
        }
        if (s > 0 || (s === 0 && d > radiusM)) {
          n = n.next[0];
          continue;
        }
      } else {
        // geohashGetDistanceIfInRectangle: latitude first (no trigonometry), then the east-west distance at the point's latitude.
        const halfW = widthM / 2;
        const s = latDistance(y, cy) > heightM / 2 ? 1 : side(approxDistance(x, y, cx, y, cosY, cosY), halfW);
        if (s > 0 || (s === 0 && distance(x, y, cx, y) > halfW)) {
          n = n.next[0];
          continue;
        }
        d = approxDistance(cx, cy, x, y, cosC, cosY);
      }
      const p: GeoPoint = { member: n.member, score: n.score, x, y, dist: d, exact };
      // NaN: nearly antipodal, or anything approxDistance does not vouch for.
      if (Number.isNaN(d)) exactDistance(shape, p);
      out.push(p);
      if (limit > 0 && out.length >= limit) break;
      n = n.next[0];
    }
  }
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
    const ea = exactDistance(shape, a);
    const eb = exactDistance(shape, b);
    return ea === eb ? 0 : ea > eb ? 1 : -1;
  };
  return desc ? (a, b) => -asc(a, b) : asc;
}
