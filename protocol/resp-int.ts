/**
 * Integer parsing with the exact acceptance rules of Redis's string2ll()
 * (util.c), which the request parser uses for `*N` and `$N` headers:
 * no sign other than a leading '-', no leading zeros, no "-0", no spaces,
 * at most 20 characters, and the value must fit a signed 64-bit integer.
 */

/** Returned for text string2ll() rejects. */
export const NOT_AN_INTEGER = Number.NaN;

const LL_MAX = 9223372036854775807n;
const LL_MIN = -9223372036854775808n;

/**
 * Parses bytes [start, end) of `buf`. Returns NaN when Redis would reject the
 * text. Values beyond 2^53 come back approximate (callers only compare them
 * with limits far below that), but whether they fit 64 bits is decided exactly.
 */
export function parseRedisInteger(buf: Uint8Array, start: number, end: number): number {
  const len = end - start;
  if (len === 0 || len >= 21) return NOT_AN_INTEGER;
  let i = start;
  if (len === 1 && buf[i] === 48) return 0;
  let negative = false;
  if (buf[i] === 45) {
    negative = true;
    i++;
    if (i === end) return NOT_AN_INTEGER;
  }
  const first = buf[i];
  if (first < 49 || first > 57) return NOT_AN_INTEGER;
  let value = first - 48;
  for (i++; i < end; i++) {
    const c = buf[i];
    if (c < 48 || c > 57) return NOT_AN_INTEGER;
    value = value * 10 + (c - 48);
  }
  if (value > Number.MAX_SAFE_INTEGER) {
    // Rare path: decide 64-bit overflow exactly, as string2ll does.
    let text = '';
    for (let j = start; j < end; j++) text += String.fromCharCode(buf[j]);
    const big = BigInt(text);
    if (big > LL_MAX || big < LL_MIN) return NOT_AN_INTEGER;
  }
  return negative ? -value : value;
}

/** The value of the last header fastHeader() accepted. */
export const fastHeaderValue = { value: 0 };

/**
 * The common request header, read without a native call: prefix byte at
 * `pos`, 1 to 15 digits without a leading zero, '\r' and one more byte.
 * Returns the position after the line (value in fastHeaderValue), or -1 to
 * take the exact path, which also covers errors and incomplete lines.
 */
export function fastHeader(buf: Uint8Array, pos: number, end: number): number {
  let i = pos + 1;
  let n = 0;
  let c = 0;
  while (i < end && (c = buf[i]) >= 48 && c <= 57) {
    n = n * 10 + (c - 48);
    i++;
  }
  const digits = i - pos - 1;
  if (i + 1 >= end || c !== 13 || digits === 0 || digits > 15 || (digits > 1 && buf[pos + 1] === 48)) return -1;
  fastHeaderValue.value = n;
  return i + 2;
}
