/**
 * sin, cos and asin rounded correctly (to the nearest double), for the geo
 * distance. redis-server calls glibc's libm, whose results are the
 * correctly rounded ones in all but about one call in a thousand; V8's
 * Math.sin/cos/asin (fdlibm) differ from them in the last bit in 2-9% of
 * calls, which shows in STOREDIST scores and, rarely, in a "%.4f" distance
 * or a point on the radius. Computing in double-double (about 106 bits)
 * and rounding once brings us to glibc's answer nearly always.
 *
 * Arguments are what the geo code passes: |x| up to a few thousand radians
 * for sin/cos (reduced by pi/2 in three parts; beyond 1e5 we fall back to
 * Math), and [-1, 1] for asin.
 */

/** A double-double: the unevaluated sum hi + lo, |lo| <= ulp(hi) / 2. */
interface DD {
  hi: number;
  lo: number;
}

const SPLITTER = 134217729; // 2^27 + 1, Veltkamp's split

function twoSum(a: number, b: number): DD {
  const s = a + b;
  const bb = s - a;
  return { hi: s, lo: a - (s - bb) + (b - bb) };
}

function quickTwoSum(a: number, b: number): DD {
  const s = a + b;
  return { hi: s, lo: b - (s - a) };
}

function twoProd(a: number, b: number): DD {
  const p = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return { hi: p, lo: ah * bh - p + ah * bl + al * bh + al * bl };
}

function add(a: DD, b: DD): DD {
  const s = twoSum(a.hi, b.hi);
  const t = twoSum(a.lo, b.lo);
  let r = quickTwoSum(s.hi, s.lo + t.hi);
  r = quickTwoSum(r.hi, r.lo + t.lo);
  return r;
}

function mul(a: DD, b: DD): DD {
  const p = twoProd(a.hi, b.hi);
  return quickTwoSum(p.hi, p.lo + (a.hi * b.lo + a.lo * b.hi));
}

function divSmall(a: DD, n: number): DD {
  const q1 = a.hi / n;
  const p = twoProd(q1, n);
  const q2 = (a.hi - p.hi - p.lo + a.lo) / n;
  return quickTwoSum(q1, q2);
}

/** 1/(k!) for k = 0..40, as double-doubles. */
const INV_FACT: DD[] = (() => {
  const out: DD[] = [{ hi: 1, lo: 0 }];
  for (let k = 1; k <= 40; k++) out.push(divSmall(out[k - 1], k));
  return out;
})();

// pi/2 in three parts (fdlibm's pio2_1, pio2_2, pio2_3): k * part is exact for the k we meet.
const PIO2_1 = 1.57079632673412561417e0;
const PIO2_2 = 6.07710050630396597660e-11;
const PIO2_3 = 2.02226624871116645580e-21;
const PIO2_3T = 8.47842766036889956997e-32;
const TWO_OVER_PI = 6.36619772367581382433e-1;

/** x - k*pi/2 as a double-double, |result| <= about pi/4. */
function reduce(x: number, k: number): DD {
  let r: DD = { hi: x - k * PIO2_1, lo: 0 }; // exact: k*PIO2_1 has few bits and is close to x
  r = add(r, { hi: -k * PIO2_2, lo: -twoProd(k, PIO2_2).lo });
  r = add(r, { hi: -k * PIO2_3, lo: -twoProd(k, PIO2_3).lo });
  return add(r, { hi: -k * PIO2_3T, lo: 0 });
}

/** 1/(k!) as plain doubles, for the tail of the series. */
const INV_FACT_HI = INV_FACT.map((d) => d.hi);

/**
 * sin(r) (odd) or cos(r) (even) for |r| <= ~pi/4 by the Taylor series,
 * Horner form s = 1/k! - r^2 * s (the signs alternate). Terms of order
 * 18 and up weigh less than 2^-60 of the sum: they are summed in plain
 * doubles; the rest in double-double, with scalars (no allocation: this
 * runs for every candidate point of a search).
 */
function series(r: DD, odd: boolean): DD {
  // r2 = r * r
  let p = r.hi * r.hi;
  let t = SPLITTER * r.hi;
  const rh = t - (t - r.hi);
  const rl = r.hi - rh;
  let e = rh * rh - p + 2 * rh * rl + rl * rl + 2 * r.hi * r.lo;
  const r2h = p + e;
  const r2l = e - (r2h - p);
  t = SPLITTER * r2h;
  const qh = t - (t - r2h);
  const ql = r2h - qh;

  const top = odd ? 31 : 30;
  const split = odd ? 17 : 16;
  let tail = INV_FACT_HI[top];
  for (let k = top - 2; k > split; k -= 2) tail = INV_FACT_HI[k] - r2h * tail;
  let sh = tail;
  let sl = 0;
  for (let k = split; k >= (odd ? 1 : 0); k -= 2) {
    // m = s * r2 (double-double product)
    p = sh * r2h;
    t = SPLITTER * sh;
    const ah = t - (t - sh);
    const al = sh - ah;
    e = ah * qh - p + ah * ql + al * qh + al * ql + (sh * r2l + sl * r2h);
    const mh = p + e;
    const ml = e - (mh - p);
    // s = c - m
    const c = INV_FACT[k];
    const s1 = c.hi - mh;
    const bb = s1 - c.hi;
    const err = c.hi - (s1 - bb) + (-mh - bb) + (c.lo - ml);
    sh = s1 + err;
    sl = err - (sh - s1);
  }
  return odd ? mul({ hi: sh, lo: sl }, r) : { hi: sh, lo: sl };
}

function sinDD(r: DD): DD {
  return series(r, true);
}

function cosDD(r: DD): DD {
  return series(r, false);
}

const LIMIT = 1e5;

function sinCosQuadrant(x: number, cos: boolean): number {
  const k = Math.round(x * TWO_OVER_PI);
  const r = reduce(x, k);
  const q = (((k % 4) + 4) % 4 + (cos ? 1 : 0)) % 4;
  const v = q === 0 || q === 2 ? sinDD(r) : cosDD(r);
  const s = v.hi + v.lo;
  return q >= 2 ? -s : s;
}

/** sin(x), correctly rounded for |x| < 1e5. */
export function sin(x: number): number {
  if (!(Math.abs(x) < LIMIT)) return Math.sin(x);
  if (x === 0) return x;
  return sinCosQuadrant(x, false);
}

/** cos(x), correctly rounded for |x| < 1e5. */
export function cos(x: number): number {
  if (!(Math.abs(x) < LIMIT)) return Math.cos(x);
  return sinCosQuadrant(x, true);
}

/**
 * asin(x): one Newton step from Math.asin, y - (sin(y) - x) / cos(y),
 * with sin(y) in double-double, then one rounding.
 */
export function asin(x: number): number {
  if (!(Math.abs(x) < 1)) return Math.asin(x); // +-1, NaN and out of range as Math (pi/2 and NaN, as glibc)
  if (x === 0) return x;
  const y0 = Math.asin(x);
  const k = Math.round(y0 * TWO_OVER_PI); // |y0| <= pi/2: k in -1..1
  const r = reduce(y0, k);
  const s = k === 0 ? sinDD(r) : k === 1 ? cosDD(r) : negate(cosDD(r));
  // sin(y0) - x: s.hi is within a few ulps of x, so s.hi - x is exact.
  const diff = s.hi - x + s.lo;
  return y0 - diff / Math.cos(y0);
}

function negate(a: DD): DD {
  return { hi: -a.hi, lo: -a.lo };
}
