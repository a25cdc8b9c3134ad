/**
 * Redis's glob matcher (util.c stringmatchlen), binary-safe: `*`, `?`,
 * `[abc]`, `[^a]`, `[a-z]` (reversed ranges allowed), `\` escapes, an
 * unterminated `[` tolerated the way Redis does, and the same protection
 * against exponential patterns (skip-longer-matches and a nesting limit).
 *
 * Works on latin1 strings (one char per byte, as keyspace keys are held);
 * `globMatch` takes Buffers. Like Redis on x86, range bounds compare as
 * signed chars, so bytes >= 0x80 sort before ASCII in `[a-z]` ranges.
 */

const STAR = 42; // *
const QUESTION = 63; // ?
const OPEN = 91; // [
const CLOSE = 93; // ]
const CARET = 94; // ^
const BACKSLASH = 92; // \
const DASH = 45; // -

function signed(c: number): number {
  return c >= 0x80 ? c - 0x100 : c;
}

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

interface MatchState {
  skipLonger: boolean;
  /** Calls of matchFrom, so tests can bound the work without timing it. */
  calls: number;
}

function matchFrom(p: string, pi: number, s: string, si: number, nocase: boolean, st: MatchState, nesting: number): boolean {
  st.calls++;
  if (nesting > 1000) return false;
  const plen = p.length;
  const slen = s.length;
  while (pi < plen && si < slen) {
    const pc = p.charCodeAt(pi);
    switch (pc) {
      case STAR: {
        while (pi + 1 < plen && p.charCodeAt(pi + 1) === STAR) pi++;
        if (pi + 1 === plen) return true;
        while (si < slen) {
          if (matchFrom(p, pi + 1, s, si, nocase, st, nesting + 1)) return true;
          if (st.skipLonger) return false;
          si++;
        }
        // The rest of the pattern matches nowhere in the rest of the string,
        // so no earlier '*' can help by consuming more: stop all of them.
        st.skipLonger = true;
        return false;
      }
      case QUESTION:
        si++;
        break;
      case OPEN: {
        pi++;
        const not = pi < plen && p.charCodeAt(pi) === CARET;
        if (not) pi++;
        const c = s.charCodeAt(si);
        let matched = false;
        for (;;) {
          // Past the end, C reads the NUL terminator.
          const cur = pi < plen ? p.charCodeAt(pi) : 0;
          if (cur === BACKSLASH && plen - pi >= 2) {
            pi++;
            if (p.charCodeAt(pi) === c) matched = true;
          } else if (pi < plen && cur === CLOSE) {
            break;
          } else if (pi >= plen) {
            pi--; // unterminated class: leave the pattern at its end
            break;
          } else if (plen - pi >= 3 && p.charCodeAt(pi + 1) === DASH) {
            let start = signed(cur);
            let end = signed(p.charCodeAt(pi + 2));
            let x = signed(c);
            if (start > end) [start, end] = [end, start];
            if (nocase) {
              start = lower(start);
              end = lower(end);
              x = lower(x);
            }
            pi += 2;
            if (x >= start && x <= end) matched = true;
          } else if (nocase ? lower(cur) === lower(c) : cur === c) {
            matched = true;
          }
          pi++;
        }
        if (not) matched = !matched;
        if (!matched) return false;
        si++;
        break;
      }
      case BACKSLASH:
      default: {
        if (pc === BACKSLASH && plen - pi >= 2) pi++;
        const cur = p.charCodeAt(pi);
        const c = s.charCodeAt(si);
        if (nocase ? lower(cur) !== lower(c) : cur !== c) return false;
        si++;
        break;
      }
    }
    pi++;
    if (si === slen) {
      while (pi < plen && p.charCodeAt(pi) === STAR) pi++;
      break;
    }
  }
  return pi === plen && si === slen;
}

/** Matches a latin1 string (e.g. a keyspace key) against a latin1 pattern. */
export function globMatchString(pattern: string, subject: string, nocase = false): boolean {
  return globMatchWork(pattern, subject, nocase).matched;
}

/** The match and how many steps it took (tests bound the work of abusive patterns with it). */
export function globMatchWork(pattern: string, subject: string, nocase = false): { matched: boolean; calls: number } {
  const st: MatchState = { skipLonger: false, calls: 0 };
  return { matched: matchFrom(pattern, 0, subject, 0, nocase, st, 0), calls: st.calls };
}

/** Redis stringmatchlen over raw bytes. */
export function globMatch(pattern: Buffer, subject: Buffer, nocase = false): boolean {
  return globMatchString(pattern.toString('latin1'), subject.toString('latin1'), nocase);
}
