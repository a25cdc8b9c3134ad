/**
 * Number parsing and formatting with Redis's exact rules (util.c string2ll,
 * string2ld, ld2string), shared by every data command.
 */

export const INT64_MAX = 9223372036854775807n;
export const INT64_MIN = -9223372036854775808n;

/** An int64 as a number when it is a safe integer, else as a bigint (exact either way). */
export type Int64 = number | bigint;

/**
 * Redis string2ll: optional '-', no '+', no spaces, no leading zeros (except
 * "0" itself), within int64. Returns null when invalid.
 */
export function parseInt64(buf: Buffer): Int64 | null {
  const len = buf.length;
  if (len === 0 || len > 20) return null;
  if (len === 1 && buf[0] === 0x30) return 0;
  let i = 0;
  const neg = buf[0] === 0x2d;
  if (neg) {
    i = 1;
    if (len === 1) return null;
  }
  // First digit must be 1-9.
  if (buf[i] < 0x31 || buf[i] > 0x39) return null;
  if (len - i <= 15) {
    let v = 0;
    for (; i < len; i++) {
      const d = buf[i] - 0x30;
      if (d < 0 || d > 9) return null;
      v = v * 10 + d;
    }
    return neg ? -v : v;
  }
  for (let j = i; j < len; j++) if (buf[j] < 0x30 || buf[j] > 0x39) return null;
  const big = BigInt(buf.toString('latin1'));
  if (big > INT64_MAX || big < INT64_MIN) return null;
  return normalize(big);
}

/** The int64 as a plain number; precision may be lost beyond 2^53 (fine for offsets and counts). */
export function parseLongLong(buf: Buffer): number | null {
  const v = parseInt64(buf);
  return v === null ? null : Number(v);
}

/** A bigint returned as a number when it is a safe integer. */
export function normalize(v: bigint): Int64 {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

/** a + b if the result fits in int64, else null (Redis's overflow check). */
export function addInt64(a: Int64, b: Int64): Int64 | null {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a + b;
    if (Number.isSafeInteger(r)) return r;
  }
  const r = BigInt(a) + BigInt(b);
  if (r > INT64_MAX || r < INT64_MIN) return null;
  return normalize(r);
}

const DECIMAL_FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX_FLOAT = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const INFINITY = /^[+-]?inf(?:inity)?$/i;
/** Redis refuses float strings this long (MAX_LONG_DOUBLE_CHARS). */
const MAX_FLOAT_CHARS = 5 * 1024;

/**
 * Redis string2ld (strtold): decimal or hex floats, "inf"/"infinity", no
 * leading or trailing spaces, no NaN, no overflow to infinity and no
 * underflow to zero of a non-zero literal. Returns null when invalid.
 */
export function parseFloat64(buf: Buffer): number | null {
  if (buf.length === 0 || buf.length >= MAX_FLOAT_CHARS) return null;
  const s = buf.toString('latin1');
  if (DECIMAL_FLOAT.test(s)) {
    const v = Number(s);
    if (!Number.isFinite(v)) return null; // overflow (ERANGE)
    if (v === 0 && /[1-9]/.test(s.replace(/[eE].*$/, ''))) return null; // underflow (ERANGE)
    return v;
  }
  if (INFINITY.test(s)) return s[0] === '-' ? -Infinity : Infinity;
  const hex = HEX_FLOAT.exec(s);
  if (hex !== null) {
    const [, sign, int, frac = '', exp = '0'] = hex;
    if (int.length === 0 && frac.length === 0) return null;
    let mant = 0;
    for (const c of int + frac) mant = mant * 16 + parseInt(c, 16);
    const v = mant * 2 ** (Number(exp) - 4 * frac.length);
    if (!Number.isFinite(v)) return null;
    return sign === '-' ? -v : v;
  }
  return null;
}

/**
 * INCRBYFLOAT's output (ld2string LD_STR_HUMAN: "%.17Lf", trailing zeros
 * trimmed, never exponent notation, "-0" -> "0").
 *
 * Redis adds in 80-bit long double, whose extra bits hide the noise of
 * decimal fractions (1 - 1.1 prints -0.1). We add in double, so when the
 * result is within 2 ulps of the operands' magnitude (`magnitude`, e.g.
 * max(|value|, |increment|)) of its 15-significant-digit rounding, that
 * rounding is printed (0.1 + 0.2 -> "0.3"); otherwise the digits are real
 * and the shortest round-trip form is kept (1e15 + 0.5 stays exact); a
 * result within that noise of zero is 0 (x + -x after rounding). At most
 * 17 digits follow the point, as in Redis. Integers print exactly.
 */
export function formatIncrFloat(x: number, magnitude = Math.abs(x)): string {
  const noise = 2 * magnitude * Number.EPSILON;
  const r15 = Number(x.toPrecision(15));
  const v = Math.abs(x) <= noise ? 0 : Math.abs(r15 - x) <= noise ? r15 : x;
  if (Number.isInteger(v)) return v === 0 ? '0' : BigInt(v).toString();
  let s = toPlainDecimal(v);
  const dot = s.indexOf('.');
  if (dot >= 0 && s.length - dot - 1 > 17) s = v.toFixed(17);
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s === '-0' || s === '' ? '0' : s;
}

/** The shortest round-trip decimal of x without exponent notation. */
function toPlainDecimal(x: number): string {
  const s = String(x);
  const e = s.search(/e/i);
  if (e < 0) return s;
  const neg = s[0] === '-';
  const mantissa = s.slice(neg ? 1 : 0, e);
  const exp = Number(s.slice(e + 1));
  const [ip, fp = ''] = mantissa.split('.');
  const digits = ip + fp;
  const point = ip.length + exp;
  let out: string;
  if (point <= 0) out = '0.' + '0'.repeat(-point) + digits;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = digits.slice(0, point) + '.' + digits.slice(point);
  return neg ? '-' + out : out;
}

/** Case-insensitive compare of an argument with an ASCII token (token given in lower case). */
export function isToken(arg: Buffer, lowerToken: string): boolean {
  if (arg.length !== lowerToken.length) return false;
  for (let i = 0; i < arg.length; i++) {
    let c = arg[i];
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== lowerToken.charCodeAt(i)) return false;
  }
  return true;
}

/** Lower-cased latin1 text of an argument (for switch statements over option names). */
export function lowerArg(arg: Buffer): string {
  return arg.toString('latin1').toLowerCase();
}
