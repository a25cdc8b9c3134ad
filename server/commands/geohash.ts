/**
 * Pure geohash arithmetic, as Redis 7 does it (geohash.c, geohash_helper.c):
 * 52-bit interleaved hashes (latitude on even bits, longitude on odd bits)
 * over Web Mercator's latitude limits, the neighbour boxes a radius/box
 * search scans, and the haversine distance with Redis's earth radius.
 *
 * Every floating-point step is done in the same order as the C code (double
 * arithmetic, truncating casts), so hashes, decoded coordinates and search
 * areas come out bit for bit as redis-server's. Hash bits are BigInt where
 * they may use all 64 bits (neighbour moves, hashes of stray scores).
 */

import { asin, cos, sin } from './geo-libm';

export const GEO_STEP_MAX = 26;
export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;

const D_R = Math.PI / 180.0;
/** Redis's EARTH_RADIUS_IN_METERS (geohash_helper.c). */
export const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;

export interface Range {
  min: number;
  max: number;
}

/** A hash of `step` bits per coordinate; step 0 with bits 0 is "no box" (GZERO). */
export interface HashBits {
  bits: bigint;
  step: number;
}

export interface Area {
  longitude: Range;
  latitude: Range;
}

const WGS84_LONG: Range = { min: GEO_LONG_MIN, max: GEO_LONG_MAX };
const WGS84_LAT: Range = { min: GEO_LAT_MIN, max: GEO_LAT_MAX };
/** GEOHASH re-encodes with the standard geohash world (latitude -90..90). */
const STANDARD_LAT: Range = { min: -90, max: 90 };

function degRad(ang: number): number {
  return ang * D_R;
}

function radDeg(ang: number): number {
  return ang / D_R;
}

const U64 = (1n << 64n) - 1n;
const EVEN_BITS = 0x5555555555555555n;
const ODD_BITS = 0xaaaaaaaaaaaaaaaan;

/** Spreads the 32 bits of x onto the even bit positions of a 64-bit value. */
function spread(x: number): bigint {
  let lo = 0; // bits 0..31 of the result (from x's bits 0..15)
  let hi = 0; // bits 32..63 (from x's bits 16..31)
  for (let i = 0; i < 16; i++) {
    lo |= ((x >>> i) & 1) << (2 * i);
    hi |= ((x >>> (i + 16)) & 1) << (2 * i);
  }
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** The even bits of a 32-bit word, compacted into 16 bits. */
function compactEven(x: number): number {
  x &= 0x55555555;
  x = (x | (x >>> 1)) & 0x33333333;
  x = (x | (x >>> 2)) & 0x0f0f0f0f;
  x = (x | (x >>> 4)) & 0x00ff00ff;
  x = (x | (x >>> 8)) & 0x0000ffff;
  return x;
}

/** deinterleave64 of the 64-bit value hi:lo (two uint32 words): [latitude bits, longitude bits]. */
function deinterleave(lo: number, hi: number): [number, number] {
  const lat = (compactEven(lo) | (compactEven(hi) << 16)) >>> 0;
  const lon = (compactEven(lo >>> 1) | (compactEven(hi >>> 1) << 16)) >>> 0;
  return [lat, lon];
}

/** C's (uint32_t) conversion of a non-negative double that fits (Redis only passes such). */
function toU32(d: number): number {
  return Math.trunc(d) >>> 0;
}

/**
 * geohashEncode: null when the point is outside the WGS84 limits or the
 * given ranges (Redis returns 0 and leaves bits 0).
 */
export function encode(longRange: Range, latRange: Range, longitude: number, latitude: number, step: number): HashBits | null {
  if (longitude > GEO_LONG_MAX || longitude < GEO_LONG_MIN || latitude > GEO_LAT_MAX || latitude < GEO_LAT_MIN) return null;
  if (latitude < latRange.min || latitude > latRange.max || longitude < longRange.min || longitude > longRange.max) return null;
  let latOffset = (latitude - latRange.min) / (latRange.max - latRange.min);
  let longOffset = (longitude - longRange.min) / (longRange.max - longRange.min);
  latOffset *= 2 ** step;
  longOffset *= 2 ** step;
  return { bits: spread(toU32(latOffset)) | (spread(toU32(longOffset)) << 1n), step };
}

/** The 52-bit score GEOADD stores for a (valid) point, as the exact integer Redis formats. */
export function encodeScoreBits(longitude: number, latitude: number): bigint {
  const h = encode(WGS84_LONG, WGS84_LAT, longitude, latitude, GEO_STEP_MAX);
  return h === null ? 0n : h.bits;
}

/** geohashDecode: the box a hash stands for. */
export function decode(longRange: Range, latRange: Range, hash: HashBits): Area {
  const [ilato, ilono] = deinterleave(Number(hash.bits & 0xffffffffn), Number((hash.bits >> 32n) & 0xffffffffn));
  return decodeCell(longRange, latRange, ilato, ilono, hash.step);
}

function decodeCell(longRange: Range, latRange: Range, ilato: number, ilono: number, step: number): Area {
  const latScale = latRange.max - latRange.min;
  const longScale = longRange.max - longRange.min;
  const div = 2 ** step;
  return {
    latitude: {
      min: latRange.min + (ilato * 1.0 / div) * latScale,
      max: latRange.min + (((ilato + 1) >>> 0) * 1.0 / div) * latScale,
    },
    longitude: {
      min: longRange.min + (ilono * 1.0 / div) * longScale,
      max: longRange.min + (((ilono + 1) >>> 0) * 1.0 / div) * longScale,
    },
  };
}

/** geohashDecodeAreaToLongLat: the centre of the box, clamped to the WGS84 limits. */
function areaCentre(area: Area): [number, number] {
  let x = (area.longitude.min + area.longitude.max) / 2;
  if (x > GEO_LONG_MAX) x = GEO_LONG_MAX;
  if (x < GEO_LONG_MIN) x = GEO_LONG_MIN;
  let y = (area.latitude.min + area.latitude.max) / 2;
  if (y > GEO_LAT_MAX) y = GEO_LAT_MAX;
  if (y < GEO_LAT_MIN) y = GEO_LAT_MIN;
  return [x, y];
}

const TWO_63 = 2 ** 63;
const TWO_64 = 2 ** 64;

/**
 * C's (uint64_t) conversion of a sorted-set score as gcc compiles it on
 * x86-64: truncation; a negative value wraps (cvttsd2si); 2^63 and up goes
 * through the subtract-2^63 path; out of range gives the "integer
 * indefinite" 2^63 (or 0 past 2^64). Geo scores are 52-bit integers; other
 * scores only come from ZADD on the same key.
 */
export function scoreToU64(score: number): bigint {
  if (Number.isNaN(score)) return 1n << 63n;
  if (score >= TWO_63) return score >= TWO_64 ? 0n : BigInt(Math.trunc(score));
  if (score <= -TWO_63) return 1n << 63n;
  return BigInt.asUintN(64, BigInt(Math.trunc(score)));
}

/** decodeGeohash: a member's score to [longitude, latitude] (Redis always succeeds at step 26). */
export function decodeScore(score: number): [number, number] {
  const out = new Float64Array(2);
  decodeScoreTo(score, out);
  return [out[0], out[1]];
}

const LONG_SCALE = GEO_LONG_MAX - GEO_LONG_MIN;
const LAT_SCALE = GEO_LAT_MAX - GEO_LAT_MIN;
const DIV_26 = 2 ** GEO_STEP_MAX;

/**
 * decodeScore into out[0] (longitude), out[1] (latitude), allocating nothing:
 * a search decodes every candidate. Geohash scores take the 32-bit word path
 * (decodeCell and areaCentre's arithmetic, step for step); any other score
 * takes the BigInt path.
 */
export function decodeScoreTo(score: number, out: Float64Array): void {
  if (!(score >= 0 && score < 2 ** 53)) {
    const [x, y] = areaCentre(decode(WGS84_LONG, WGS84_LAT, { bits: scoreToU64(score), step: GEO_STEP_MAX }));
    out[0] = x;
    out[1] = y;
    return;
  }
  const t = Math.trunc(score);
  const hi = Math.floor(t / 4294967296);
  const lo = (t - hi * 4294967296) >>> 0;
  const ilato = (compactEven(lo) | (compactEven(hi) << 16)) >>> 0;
  const ilono = (compactEven(lo >>> 1) | (compactEven(hi >>> 1) << 16)) >>> 0;
  const latMin = GEO_LAT_MIN + (ilato * 1.0 / DIV_26) * LAT_SCALE;
  const latMax = GEO_LAT_MIN + (((ilato + 1) >>> 0) * 1.0 / DIV_26) * LAT_SCALE;
  const longMin = GEO_LONG_MIN + (ilono * 1.0 / DIV_26) * LONG_SCALE;
  const longMax = GEO_LONG_MIN + (((ilono + 1) >>> 0) * 1.0 / DIV_26) * LONG_SCALE;
  let x = (longMin + longMax) / 2;
  if (x > GEO_LONG_MAX) x = GEO_LONG_MAX;
  if (x < GEO_LONG_MIN) x = GEO_LONG_MIN;
  let y = (latMin + latMax) / 2;
  if (y > GEO_LAT_MAX) y = GEO_LAT_MAX;
  if (y < GEO_LAT_MIN) y = GEO_LAT_MIN;
  out[0] = x;
  out[1] = y;
}

const ALPHABET = '0123456789bcdefghjkmnpqrstuvwxyz';

/** GEOHASH's 11-character string for a stored score (decode, re-encode with latitude -90..90). */
export function geohashString(score: number): string {
  const [x, y] = decodeScore(score);
  const h = encode(WGS84_LONG, STANDARD_LAT, x, y, GEO_STEP_MAX);
  const bits = h === null ? 0n : h.bits;
  let out = '';
  for (let i = 0; i < 11; i++) {
    // 52 bits make 10.4 characters; the 11th is always '0', as Redis prints it.
    const idx = i === 10 ? 0 : Number((bits >> BigInt(52 - (i + 1) * 5)) & 0x1fn);
    out += ALPHABET[idx];
  }
  return out;
}

// ------------------------------------------------------------- distances

/** geohashGetLatDistance. */
export function latDistance(lat1d: number, lat2d: number): number {
  return EARTH_RADIUS_IN_METERS * Math.abs(degRad(lat2d) - degRad(lat1d));
}

let memoLat = NaN;
let memoCos = NaN;

/**
 * geohashGetDistance: haversine in metres (same-longitude shortcut
 * included). sin/cos/asin are correctly rounded (geo-libm.ts), as glibc's
 * nearly always are; V8's Math versions differ in the last bit too often.
 */
export function distance(lon1d: number, lat1d: number, lon2d: number, lat2d: number): number {
  const lon1r = degRad(lon1d);
  const lon2r = degRad(lon2d);
  const v = sin((lon2r - lon1r) / 2);
  if (v === 0.0) return latDistance(lat1d, lat2d);
  const lat1r = degRad(lat1d);
  const lat2r = degRad(lat2d);
  const u = sin((lat2r - lat1r) / 2);
  if (lat1r !== memoLat) {
    // A search measures every candidate from the same centre: its cosine once.
    memoLat = lat1r;
    memoCos = cos(lat1r);
  }
  const a = u * u + memoCos * cos(lat2r) * v * v;
  return 2.0 * EARTH_RADIUS_IN_METERS * asin(Math.sqrt(a));
}

/**
 * distance()'s formula with V8's Math.sin/cos/asin (each within an ulp of
 * the correctly rounded result) instead of geo-libm's exact ones: about 20
 * times cheaper. Within 1e-13 relative of distance() while sqrt(a) <= 0.99
 * (asin's condition number stays below 5 there); NaN otherwise (nearly
 * antipodal points), meaning "ask distance()". `cosLat1`/`cosLat2` are
 * approxCos(lat1d)/approxCos(lat2d), passed in so a search computes its
 * centre's once. Exactly distance() when the longitudes are equal.
 */
export function approxDistance(lon1d: number, lat1d: number, lon2d: number, lat2d: number, cosLat1: number, cosLat2: number): number {
  const dLon = (degRad(lon2d) - degRad(lon1d)) / 2;
  // sin(dLon) is 0 exactly when dLon is (|dLon| < 4 here): distance()'s shortcut, with no trigonometry.
  if (dLon === 0) return latDistance(lat1d, lat2d);
  const v = Math.sin(dLon);
  const u = Math.sin((degRad(lat2d) - degRad(lat1d)) / 2);
  const a = u * u + cosLat1 * cosLat2 * v * v;
  const s = Math.sqrt(a);
  if (!(s <= 0.99)) return NaN;
  return 2.0 * EARTH_RADIUS_IN_METERS * Math.asin(s);
}

/** The cosine approxDistance takes for a latitude in degrees. */
export function approxCos(latd: number): number {
  return Math.cos(degRad(latd));
}

// --------------------------------------------------------------- shapes

/** A search shape: centre, and radius or box in the request's unit (`conversion` = metres per unit). */
export type Shape =
  | { type: 'radius'; x: number; y: number; conversion: number; radius: number }
  | { type: 'box'; x: number; y: number; conversion: number; width: number; height: number };

/**
 * geoAppendIfWithinShape's test: the distance from the centre when the
 * point (x2, y2) is inside the shape, else null.
 */
export function distanceIfWithin(shape: Shape, x2: number, y2: number): number | null {
  if (shape.type === 'radius') {
    const d = distance(shape.x, shape.y, x2, y2);
    return d > shape.radius * shape.conversion ? null : d;
  }
  // Latitude first: it is cheaper (geohashGetDistanceIfInRectangle).
  const widthM = shape.width * shape.conversion;
  const heightM = shape.height * shape.conversion;
  if (latDistance(y2, shape.y) > heightM / 2) return null;
  if (distance(x2, y2, shape.x, y2) > widthM / 2) return null;
  return distance(shape.x, shape.y, x2, y2);
}

/** geohashBoundingBox: [minLon, minLat, maxLon, maxLat]. */
function boundingBox(shape: Shape): [number, number, number, number] {
  const longitude = shape.x;
  const latitude = shape.y;
  const height = shape.conversion * (shape.type === 'radius' ? shape.radius : shape.height / 2);
  const width = shape.conversion * (shape.type === 'radius' ? shape.radius : shape.width / 2);
  const latDelta = radDeg(height / EARTH_RADIUS_IN_METERS);
  const longDeltaTop = radDeg(width / EARTH_RADIUS_IN_METERS / cos(degRad(latitude + latDelta)));
  const longDeltaBottom = radDeg(width / EARTH_RADIUS_IN_METERS / cos(degRad(latitude - latDelta)));
  // The hemispheres widen towards opposite edges.
  const southern = latitude < 0;
  return [
    southern ? longitude - longDeltaBottom : longitude - longDeltaTop,
    latitude - latDelta,
    southern ? longitude + longDeltaBottom : longitude + longDeltaTop,
    latitude + latDelta,
  ];
}

/** geohashEstimateStepsByRadius. */
export function estimateSteps(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2; // make sure the range is included in most of the base cases
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

function moveX(h: HashBits, d: number): HashBits {
  let x = h.bits & ODD_BITS;
  const y = h.bits & EVEN_BITS;
  const zz = EVEN_BITS >> BigInt(64 - h.step * 2);
  if (d > 0) x = x + (zz + 1n);
  else {
    x = x | zz;
    x = x - (zz + 1n);
  }
  x = BigInt.asUintN(64, x) & (ODD_BITS >> BigInt(64 - h.step * 2));
  return { bits: (x | y) & U64, step: h.step };
}

function moveY(h: HashBits, d: number): HashBits {
  const x = h.bits & ODD_BITS;
  let y = h.bits & EVEN_BITS;
  const zz = ODD_BITS >> BigInt(64 - h.step * 2);
  if (d > 0) y = y + (zz + 1n);
  else {
    y = y | zz;
    y = y - (zz + 1n);
  }
  y = BigInt.asUintN(64, y) & (EVEN_BITS >> BigInt(64 - h.step * 2));
  return { bits: (x | y) & U64, step: h.step };
}

const ZERO: HashBits = { bits: 0n, step: 0 };

function isZero(h: HashBits): boolean {
  return h.bits === 0n && h.step === 0;
}

/**
 * The boxes a search scans, in Redis's order: centre, north, south, east,
 * west, north-east, north-west, south-east, south-west; boxes the shape
 * cannot reach are ZERO.
 */
export function searchBoxes(shape: Shape): HashBits[] {
  const [minLon, minLat, maxLon, maxLat] = boundingBox(shape);
  const radiusUnits =
    shape.type === 'radius' ? shape.radius : Math.sqrt((shape.width / 2) * (shape.width / 2) + (shape.height / 2) * (shape.height / 2));
  let steps = estimateSteps(radiusUnits * shape.conversion, shape.y);

  const around = (step: number) => {
    // The centre is always within the limits here (checked when parsed, or a decoded member).
    const hash = encode(WGS84_LONG, WGS84_LAT, shape.x, shape.y, step) ?? { bits: 0n, step };
    return {
      hash,
      n: {
        north: moveY(hash, 1),
        south: moveY(hash, -1),
        east: moveX(hash, 1),
        west: moveX(hash, -1),
        northEast: moveY(moveX(hash, 1), 1),
        northWest: moveY(moveX(hash, -1), 1),
        southEast: moveY(moveX(hash, 1), -1),
        southWest: moveY(moveX(hash, -1), -1),
      },
      area: decode(WGS84_LONG, WGS84_LAT, hash),
    };
  };
  let c = around(steps);
  // A box at the edge of the centre's neighbours may not reach far enough: one step coarser then.
  const north = decode(WGS84_LONG, WGS84_LAT, c.n.north);
  const south = decode(WGS84_LONG, WGS84_LAT, c.n.south);
  const east = decode(WGS84_LONG, WGS84_LAT, c.n.east);
  const west = decode(WGS84_LONG, WGS84_LAT, c.n.west);
  const decrease = north.latitude.max < maxLat || south.latitude.min > minLat || east.longitude.max < maxLon || west.longitude.min > minLon;
  if (steps > 1 && decrease) {
    steps--;
    c = around(steps);
  }
  const n = c.n;
  if (steps >= 2) {
    if (c.area.latitude.min < minLat) n.south = n.southWest = n.southEast = ZERO;
    if (c.area.latitude.max > maxLat) n.north = n.northEast = n.northWest = ZERO;
    if (c.area.longitude.min < minLon) n.west = n.southWest = n.northWest = ZERO;
    if (c.area.longitude.max > maxLon) n.east = n.southEast = n.northEast = ZERO;
  }
  return [c.hash, n.north, n.south, n.east, n.west, n.northEast, n.northWest, n.southEast, n.southWest];
}

/**
 * The score ranges [min, max) to scan, in order (membersOfAllNeighbors):
 * ZERO boxes skipped, and a box equal to the last one scanned skipped too
 * (huge radii make neighbours coincide). As in Redis, the second box is
 * never compared with the first (its "last processed" index is still 0).
 */
export function scanRanges(boxes: HashBits[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let last = 0;
  for (let i = 0; i < boxes.length; i++) {
    const b = boxes[i];
    if (isZero(b)) continue;
    if (last !== 0 && b.bits === boxes[last].bits && b.step === boxes[last].step) continue;
    const shift = BigInt(52 - b.step * 2);
    const min = BigInt.asUintN(64, b.bits << shift);
    const max = BigInt.asUintN(64, (b.bits + 1n) << shift);
    out.push([Number(min), Number(max)]);
    last = i;
  }
  return out;
}
