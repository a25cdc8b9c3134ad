/**
 * How a sorted-set listpack stores a score (t_zset.c zzlInsertAt in 7.0):
 * an integral double within ±2^62 as an integer entry (double2ll; -0 becomes
 * 0), anything else as the text of "%.17g" (d2string).
 */

const TWO_POW_62 = 4611686018427387904;

export function listpackScore(d: number): string {
  if (Number.isInteger(d) && d >= -TWO_POW_62 && d <= TWO_POW_62) {
    return Number.isSafeInteger(d) ? String(d === 0 ? 0 : d) : BigInt(d).toString();
  }
  if (Number.isNaN(d)) return 'nan';
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  return formatG17(d);
}

/** C's printf("%.17g", d) for a finite non-zero d. */
export function formatG17(d: number): string {
  const neg = d < 0;
  const e = Math.abs(d).toExponential(16); // d.dddddddddddddddde±X: 17 significant digits
  const at = e.indexOf('e');
  const digits = e.slice(0, at).replace('.', '');
  const exp = Number(e.slice(at + 1));
  let out: string;
  if (exp < -4 || exp >= 17) {
    const frac = digits.slice(1).replace(/0+$/, '');
    const ae = Math.abs(exp);
    out = digits[0] + (frac ? '.' + frac : '') + 'e' + (exp < 0 ? '-' : '+') + (ae < 10 ? '0' : '') + ae;
  } else if (exp >= 0) {
    const int = digits.slice(0, exp + 1);
    const frac = digits.slice(exp + 1).replace(/0+$/, '');
    out = int + (frac ? '.' + frac : '');
  } else {
    const frac = ('0'.repeat(-exp - 1) + digits).replace(/0+$/, '');
    out = '0.' + frac;
  }
  return neg ? '-' + out : out;
}
