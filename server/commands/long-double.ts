/**
 * An exact emulation of the C `long double` that Redis 7.0 uses for
 * INCRBYFLOAT and HINCRBYFLOAT on x86-64: the x87 80-bit extended format
 * (64-bit significand with explicit integer bit, exponent range giving
 * normals in [2^-16382, 2^16384) and subnormals down to 2^-16445), with
 * round-to-nearest, ties-to-even.
 *
 * Three operations are emulated, each exactly as glibc + x87 do them:
 *  - parseLongDouble: Redis string2ld (strtold, correctly rounded; no
 *    leading space, nothing after the number, no NaN, no overflow to
 *    infinity, no underflow to zero of a non-zero literal; "inf" is fine);
 *  - addLongDouble: the x87 FADD (exact sum rounded once);
 *  - formatLongDoubleHuman: ld2string(LD_STR_HUMAN): "%.17Lf" (exact
 *    binary-to-decimal, rounded half-even as glibc printf does), trailing
 *    zeros and '.' trimmed, "-0" turned into "0".
 *
 * A value is either a JS number, meaning exactly that double (every double
 * is a long double, and NaN stands for the x87's NaN), or a BigLD whose
 * value is (-1)^neg * mant * 2^exp. The number form is the fast path:
 * small literals that are exact in binary (integers, "1.5", "-0.25") and
 * sums that are exact in double never touch BigInt.
 */

/** A finite long double as sign, integer significand and binary exponent. */
export interface BigLD {
  readonly neg: boolean;
  /** At most 64 bits once rounded; 0n for zero. */
  readonly mant: bigint;
  readonly exp: number;
}

export type LongDouble = number | BigLD;

/** Exponent of the least significant bit of the smallest subnormal (2^-16445). */
const MIN_LSB_EXP = -16445;
/** Values at or above 2^16384 are infinite. */
const MAX_TOP_EXP = 16384;
const MANT_BITS = 64;
/** Redis's MAX_LONG_DOUBLE_CHARS: string2ld refuses strings this long or longer. */
const MAX_LONG_DOUBLE_CHARS = 5 * 1024;

/** Number of bits of n >= 0 (hex digits are cheaper to produce than binary ones). */
function bitLength(n: bigint): number {
  if (n <= 0xffffffffn) return 32 - Math.clz32(Number(n));
  const hex = n.toString(16);
  return (hex.length - 1) * 4 + 32 - Math.clz32(parseInt(hex[0], 16));
}

/**
 * Rounds (-1)^neg * (n + frac) * 2^exp, where 0 <= frac < 1 and `sticky`
 * says whether frac > 0, to a long double: +-Infinity when it overflows,
 * a (signed) zero when it underflows. `sticky` may only be set when the
 * caller provided at least two bits below the rounding position.
 */
function round(neg: boolean, n: bigint, exp: number, sticky: boolean): LongDouble {
  if (n === 0n && !sticky) return neg ? -0 : 0;
  const bl = bitLength(n);
  const lsb = Math.max(bl + exp - MANT_BITS, MIN_LSB_EXP);
  if (lsb > exp) {
    const shift = lsb - exp;
    if (shift > bl + 1) return neg ? -0 : 0; // below half of the last place
    const q = n >> BigInt(shift);
    const rem = n - (q << BigInt(shift));
    const half = 1n << BigInt(shift - 1);
    let up: boolean;
    if (rem > half) up = true;
    else if (rem < half) up = false;
    else up = sticky || (q & 1n) === 1n;
    n = up ? q + 1n : q;
    exp = lsb;
    if (n === 1n << BigInt(MANT_BITS)) {
      n >>= 1n;
      exp += 1;
    }
  } else if (sticky) {
    throw new Error('long double rounding: not enough bits given');
  }
  if (n === 0n) return neg ? -0 : 0;
  if (bitLength(n) + exp > MAX_TOP_EXP) return neg ? -Infinity : Infinity;
  return { neg, mant: n, exp };
}

/** The exact value of a finite double as a BigLD. */
function fromDouble(x: number): BigLD {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const neg = hi >>> 31 === 1;
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biased === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  return { neg, mant, exp };
}

function toBig(x: LongDouble): BigLD {
  return typeof x === 'number' ? fromDouble(x) : x;
}

/** True for +-Infinity and NaN (Redis's isnan || isinf). */
export function isNanOrInf(x: LongDouble): boolean {
  return typeof x === 'number' && !Number.isFinite(x);
}

// ---------------------------------------------------------------- parsing

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const INFINITY = /^([+-]?)inf(?:inity)?$/i;
/** The fast path's literals: up to 15 significant digits, no exponent. */
const SIMPLE = /^-?\d{1,15}(?:\.\d{0,15})?$/;

/**
 * An exponent field as a number, clamped: beyond 1e9 the value over- or
 * underflows whatever the digits are (there are fewer than 5120 of them).
 */
function exponentField(s: string | undefined): number {
  if (s === undefined) return 0;
  const digits = s.replace(/^[+-]/, '').replace(/^0+/, '');
  const mag = digits.length > 10 ? 1e10 : Number(digits || '0');
  return s[0] === '-' ? -mag : mag;
}

/** Powers of 5 that are exact doubles (5^22 < 2^53). */
const POW5: number[] = Array.from({ length: 23 }, (_, i) => 5 ** i);

/**
 * A "simple" literal (at most 15 digits each side, so exact as integers)
 * whose value is exact in double, else undefined. d / 10^f is a double
 * exactly when 5^f divides d (then it is (d / 5^f) / 2^f, both exact).
 */
function parseSimple(s: string): number | undefined {
  if (!SIMPLE.test(s)) return undefined;
  const neg = s[0] === '-';
  const body = neg ? s.slice(1) : s;
  const dot = body.indexOf('.');
  const frac = dot < 0 ? '' : body.slice(dot + 1);
  const digits = dot < 0 ? body : body.slice(0, dot) + frac;
  if (digits.length > 15) return undefined;
  const d = Number(digits);
  const f = frac.length;
  if (d % POW5[f] !== 0) return undefined;
  const v = d / POW5[f] / 2 ** f;
  return neg ? -v : v;
}

/**
 * Redis string2ld: the long double a strtold would give, or null when
 * Redis refuses the string ("value is not a valid float").
 */
export function parseLongDouble(buf: Buffer): LongDouble | null {
  if (buf.length === 0 || buf.length >= MAX_LONG_DOUBLE_CHARS) return null;
  const s = buf.toString('latin1');
  const simple = parseSimple(s);
  if (simple !== undefined) return simple;
  let m = DECIMAL.exec(s);
  if (m !== null) {
    const [, sign, int, frac = ''] = m;
    if (int.length === 0 && frac.length === 0) return null;
    return checkRange(sign === '-', parseDecimal(sign === '-', int + frac, exponentField(m[4]) - frac.length));
  }
  m = HEX.exec(s);
  if (m !== null) {
    const [, sign, int, frac = ''] = m;
    if (int.length === 0 && frac.length === 0) return null;
    return checkRange(sign === '-', parseHex(sign === '-', int + frac, exponentField(m[4]) - 4 * frac.length));
  }
  m = INFINITY.exec(s);
  if (m !== null) return m[1] === '-' ? -Infinity : Infinity;
  return null; // includes NaN, which strtold parses and Redis refuses
}

/** strtold's ERANGE cases that Redis refuses: a literal that overflowed or underflowed to zero. */
function checkRange(neg: boolean, x: LongDouble | 'zero'): LongDouble | null {
  if (x === 'zero') return neg ? -0 : 0;
  if (typeof x === 'number') return Number.isFinite(x) && x !== 0 ? x : null;
  return x;
}

/**
 * digits * 10^e10 correctly rounded; 'zero' for a literal whose digits are
 * all zeros (exact, so no ERANGE), a zero result for an underflow.
 */
function parseDecimal(neg: boolean, digits: string, e10: number): LongDouble | 'zero' {
  digits = digits.replace(/^0+/, '');
  if (digits.length === 0) return 'zero';
  const trimmed = digits.replace(/0+$/, '');
  e10 += digits.length - trimmed.length;
  digits = trimmed;
  const magnitude = digits.length + e10; // value < 10^magnitude
  if (magnitude > 4934) return neg ? -Infinity : Infinity;
  if (magnitude < -4952) return 0; // below half the smallest subnormal (~3.6e-4951)
  const d = BigInt(digits);
  if (e10 >= 0) return round(neg, d * 10n ** BigInt(e10), 0, false);
  const div = 10n ** BigInt(-e10);
  // Enough quotient bits for a 64-bit significand plus guard and sticky
  // bits; in the subnormal range this also reaches below 2^-16445.
  const k = Math.max(0, bitLength(div) - bitLength(d) + MANT_BITS + 3);
  const scaled = d << BigInt(k);
  const q = scaled / div;
  return round(neg, q, -k, q * div !== scaled);
}

/** hexDigits * 2^e2 correctly rounded (glibc rounds hex literals too). */
function parseHex(neg: boolean, hexDigits: string, e2: number): LongDouble | 'zero' {
  hexDigits = hexDigits.replace(/^0+/, '');
  if (hexDigits.length === 0) return 'zero';
  const h = BigInt('0x' + hexDigits);
  const top = bitLength(h) + e2;
  if (top > MAX_TOP_EXP + 1) return neg ? -Infinity : Infinity;
  if (top < MIN_LSB_EXP - 2) return 0;
  return round(neg, h, e2, false);
}

// --------------------------------------------------------------- addition

/**
 * a + b rounded once, as the x87 adds long doubles. NaN when the sum is
 * undefined (inf - inf), +-Infinity when it overflows.
 */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble {
  if (typeof a === 'number' && typeof b === 'number') {
    const s = a + b;
    if (!Number.isFinite(a) || !Number.isFinite(b)) return s;
    if (Number.isFinite(s)) {
      // Knuth's TwoSum: err is the exact rounding error of s.
      const bv = s - a;
      const err = a - (s - bv) + (b - bv);
      if (err === 0) return s;
    }
  } else if (typeof a === 'number' && !Number.isFinite(a)) return a;
  else if (typeof b === 'number' && !Number.isFinite(b)) return b;
  const x = toBig(a);
  const y = toBig(b);
  if (x.mant === 0n) return y.mant === 0n ? (x.neg && y.neg ? -0 : 0) : b;
  if (y.mant === 0n) return a;
  const e = Math.min(x.exp, y.exp);
  const xs = x.mant << BigInt(x.exp - e);
  const ys = y.mant << BigInt(y.exp - e);
  const n = (x.neg ? -xs : xs) + (y.neg ? -ys : ys);
  if (n === 0n) return 0; // x + (-x) is +0 when rounding to nearest
  return round(n < 0n, n < 0n ? -n : n, e, false);
}

// ------------------------------------------------------------- formatting

const FRAC_DIGITS = 17;
const SCALE = 10n ** BigInt(FRAC_DIGITS);

/** Drops trailing zeros after the point, then a trailing point; "-0" is "0". */
function trim(s: string): string {
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s === '-0' ? '0' : s;
}

/**
 * ld2string(value, LD_STR_HUMAN) for a finite value: "%.17Lf" with
 * trailing zeros trimmed and "-0" printed as "0".
 */
export function formatLongDoubleHuman(x: LongDouble): string {
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) return x > 0 ? 'inf' : x < 0 ? '-inf' : 'nan';
    // At most 17 fractional bits and below 2^53: the decimal expansion has
    // at most 17 fractional digits, so toFixed(17) is exact (no rounding).
    if (Math.abs(x) < 2 ** 53 && Number.isInteger(x * 131072)) return trim(x.toFixed(FRAC_DIGITS));
  }
  const { neg, mant, exp } = toBig(x);
  const sign = neg ? '-' : '';
  if (exp >= 0) return trim(sign + (mant << BigInt(exp)).toString());
  const shift = BigInt(-exp);
  const scaled = mant * SCALE;
  let q = scaled >> shift;
  const rem = scaled - (q << shift);
  const half = 1n << (shift - 1n);
  if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  const digits = q.toString().padStart(FRAC_DIGITS + 1, '0');
  const point = digits.length - FRAC_DIGITS;
  return trim(sign + digits.slice(0, point) + '.' + digits.slice(point));
}
