/**
 * How redis-server 7.0 prints a double (printf "%.17g"), for tests that
 * compare with that reference. raftcache prints doubles as Redis >= 7.2
 * does (protocol/double.ts: the shortest round-trip form, what INFO's
 * redis_version 7.2.4 promises): 1.1 is "1.1" here, "1.1000000000000001" there.
 */
export function formatDoubleRedis70(d: number): string {
  if (Number.isNaN(d)) return 'nan';
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const exp = d.toExponential(16); // 17 significant digits, correctly rounded
  const e = exp.indexOf('e');
  const neg = exp[0] === '-';
  const digits = exp.slice(neg ? 1 : 0, e).replace('.', '');
  const x = Number(exp.slice(e + 1));
  let out: string;
  if (x < -4 || x >= 17) {
    const frac = digits.slice(1).replace(/0+$/, '');
    out = digits[0] + (frac ? '.' + frac : '') + 'e' + (x < 0 ? '-' : '+') + String(Math.abs(x)).padStart(2, '0');
  } else if (x >= 0) {
    const int = digits.slice(0, x + 1);
    const frac = digits.slice(x + 1).replace(/0+$/, '');
    out = int + (frac ? '.' + frac : '');
  } else {
    out = ('0.' + '0'.repeat(-x - 1) + digits).replace(/0+$/, '');
  }
  return neg ? '-' + out : out;
}
