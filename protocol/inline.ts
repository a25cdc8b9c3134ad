/**
 * Splits an inline command line (`set a "b c"`) the way Redis's sdssplitargs()
 * (sds.c) does, so telnet-style and redis-cli-style input behaves the same:
 *  - arguments are separated by blanks (C isspace: space \t \n \v \f \r);
 *  - "double quotes" understand \xHH, \n \r \t \b \a, and backslash before any
 *    other character yields that character;
 *  - 'single quotes' understand only \' ;
 *  - a closing quote must be followed by a blank or the end of the line;
 *  - quotes may start inside a token (a"b c" is the single argument `ab c`).
 * Returns null for unbalanced quotes. Unlike C, a NUL byte is an ordinary byte
 * here (Redis stops at it because it works on C strings).
 */

const SPACE = 32;
const TAB = 9;
const LF = 10;
const CR = 13;
const DQUOTE = 34;
const SQUOTE = 39;
const BACKSLASH = 92;

function isBlank(c: number): boolean {
  return c === SPACE || (c >= TAB && c <= CR);
}

/** Ends an unquoted token (sdssplitargs checks ' ', \n, \r, \t only, not \v \f). */
function endsToken(c: number): boolean {
  return c === SPACE || c === LF || c === CR || c === TAB;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Splits bytes [start, end) of `line` into arguments; null on unbalanced quotes. */
export function splitInlineArgs(line: Uint8Array, start: number, end: number): Buffer[] | null {
  const args: Buffer[] = [];
  let p = start;
  for (;;) {
    while (p < end && isBlank(line[p])) p++;
    if (p >= end) return args;

    // Fast path: a token without quotes is a plain copy of its bytes.
    const tokenStart = p;
    while (p < end && !endsToken(line[p]) && line[p] !== DQUOTE && line[p] !== SQUOTE) p++;
    if (p >= end || endsToken(line[p])) {
      args.push(Buffer.from(line.subarray(tokenStart, p)));
      continue;
    }

    // Slow path: the token contains quotes; build it byte by byte.
    const bytes: number[] = [];
    for (let j = tokenStart; j < p; j++) bytes.push(line[j]);
    let inDouble = false;
    let inSingle = false;
    for (;;) {
      const c = p < end ? line[p] : -1;
      if (inDouble) {
        if (c === -1) return null;
        if (c === BACKSLASH && p + 3 < end && line[p + 1] === 120 /* x */ &&
            hexValue(line[p + 2]) >= 0 && hexValue(line[p + 3]) >= 0) {
          bytes.push(hexValue(line[p + 2]) * 16 + hexValue(line[p + 3]));
          p += 4;
        } else if (c === BACKSLASH && p + 1 < end) {
          const e = line[p + 1];
          bytes.push(e === 110 ? LF : e === 114 ? CR : e === 116 ? TAB : e === 98 ? 8 : e === 97 ? 7 : e);
          p += 2;
        } else if (c === DQUOTE) {
          if (p + 1 < end && !isBlank(line[p + 1])) return null;
          p++;
          break;
        } else {
          bytes.push(c);
          p++;
        }
      } else if (inSingle) {
        if (c === -1) return null;
        if (c === BACKSLASH && p + 1 < end && line[p + 1] === SQUOTE) {
          bytes.push(SQUOTE);
          p += 2;
        } else if (c === SQUOTE) {
          if (p + 1 < end && !isBlank(line[p + 1])) return null;
          p++;
          break;
        } else {
          bytes.push(c);
          p++;
        }
      } else if (c === -1 || endsToken(c)) {
        break;
      } else if (c === DQUOTE) {
        inDouble = true;
        p++;
      } else if (c === SQUOTE) {
        inSingle = true;
        p++;
      } else {
        bytes.push(c);
        p++;
      }
    }
    args.push(Buffer.from(bytes));
  }
}
