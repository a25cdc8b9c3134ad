/**
 * Formats a double the way Redis 7.2+ replies with one (util.c d2string):
 *  - "nan", "inf", "-inf", "0" and "-0" spelled out;
 *  - integral values within ±2^62 as exact integers (double2ll + ll2string);
 *  - anything else as the shortest digits that round-trip, laid out by the
 *    rules of fpconv_dtoa's emit_digits (deps/fpconv): plain when the decimal
 *    exponent is small, else d.ddde±X with no exponent padding.
 * Digits come from JavaScript's shortest round-trip conversion; Redis uses
 * Grisu2, which in rare cases prints a longer (still round-tripping) form.
 */

const TWO_POW_62 = 4611686018427387904;

export function formatDouble(d: number): string {
  if (Number.isNaN(d)) return 'nan';
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  if (Number.isInteger(d) && d >= -TWO_POW_62 && d <= TWO_POW_62) {
    return Number.isSafeInteger(d) ? String(d) : BigInt(d).toString();
  }

  const negative = d < 0;
  // toExponential() without an argument gives the shortest round-trip digits.
  const exp = Math.abs(d).toExponential();
  const e = exp.indexOf('e');
  const digits = exp.slice(0, e).replace('.', '');
  const ndigits = digits.length;
  const pointExp = Number(exp.slice(e + 1)); // value = d.ddd × 10^pointExp
  const K = pointExp - (ndigits - 1); // value = digits × 10^K
  const absExp = Math.abs(pointExp);
  let out: string;
  if (K >= 0 && absExp < ndigits + 7) {
    out = digits + '0'.repeat(K);
  } else if (K < 0 && (K > -7 || absExp < 4)) {
    const intLen = ndigits + K;
    out = intLen <= 0 ? '0.' + '0'.repeat(-intLen) + digits : digits.slice(0, intLen) + '.' + digits.slice(intLen);
  } else {
    out = digits[0] + (ndigits > 1 ? '.' + digits.slice(1) : '') + 'e' + (pointExp < 0 ? '-' : '+') + absExp;
  }
  return negative ? '-' + out : out;
}
