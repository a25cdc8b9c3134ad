import { ErrorReply, MapReply, PairsReply, PushReply, RawReply, SetReply, type Reply } from '../protocol/reply';

/**
 * INFO errorstats: error replies counted per error code, as Redis's
 * afterErrorReply does: the code is the error's first word if a space
 * follows within its first 32 bytes, else `ERR`. Every error reply a client
 * receives counts, also the ones nested in an EXEC array.
 */

/** Distinct codes kept before new ones are counted together (Redis's ERRORSTATS_LIMIT). */
export const ERRORSTATS_LIMIT = 128;
export const ERRORSTATS_OVERFLOW = 'ERRORSTATS_OVERFLOW';

/** Redis's error prefix of an error message (without the leading `-`). */
export function errorCode(message: string): string {
  const sp = message.indexOf(' ');
  // Redis searches the 32 bytes that start with '-': the space must come within 31 of ours.
  return sp > 0 && sp < 31 ? message.slice(0, sp) : 'ERR';
}

export class ErrorCounts {
  readonly byCode = new Map<string, number>();

  add(code: string): void {
    let key = code;
    if (!this.byCode.has(key) && this.byCode.size >= ERRORSTATS_LIMIT) key = ERRORSTATS_OVERFLOW;
    this.byCode.set(key, (this.byCode.get(key) ?? 0) + 1);
  }

  clear(): void {
    this.byCode.clear();
  }
}

/**
 * Calls `onError(code)` for every error in a reply: the reply itself, the
 * elements of arrays (EXEC), and errors inside already encoded RESP (a
 * follower's forwarded reply). Returns whether the top-level reply is an error.
 */
export function forEachError(reply: Reply, onError: (code: string) => void): boolean {
  if (reply instanceof ErrorReply) {
    onError(errorCode(reply.message));
    return true;
  }
  if (Array.isArray(reply)) {
    for (const r of reply) forEachError(r, onError);
  } else if (reply instanceof SetReply || reply instanceof PushReply) {
    for (const r of reply.items) forEachError(r, onError);
  } else if (reply instanceof MapReply) {
    for (const [, v] of reply.entries) forEachError(v, onError);
  } else if (reply instanceof PairsReply) {
    for (const [, v] of reply.pairs) forEachError(v, onError);
  } else if (reply instanceof RawReply) {
    const b = reply.bytes;
    const top = b.length > 0 && (b[0] === 0x2d || b[0] === 0x21); // '-' or RESP3 '!'
    scanResp(b, 0, onError);
    return top;
  }
  return false;
}

/** Walks one RESP value at `off`; returns the offset after it (or b.length if malformed). */
function scanResp(b: Buffer, off: number, onError: (code: string) => void): number {
  const eol = b.indexOf('\r\n', off, 'latin1');
  if (eol < 0) return b.length;
  const type = b[off];
  const line = b.toString('latin1', off + 1, eol);
  let next = eol + 2;
  switch (type) {
    case 0x2d: // '-'
      onError(errorCode(line));
      return next;
    case 0x24: // '$' bulk
    case 0x3d: // '=' verbatim
    case 0x21: {
      // '!' blob error
      const len = Number(line);
      if (len < 0) return next;
      if (type === 0x21) onError(errorCode(b.toString('latin1', next, next + len)));
      return next + len + 2;
    }
    case 0x2a: // '*' array
    case 0x7e: // '~' set
    case 0x3e: // '>' push
    case 0x25: // '%' map
    case 0x7c: {
      // '|' attribute (followed by the value it describes)
      const n = Number(line);
      const items = type === 0x25 || type === 0x7c ? 2 * n : n;
      for (let i = 0; i < items && next < b.length; i++) next = scanResp(b, next, onError);
      return type === 0x7c ? scanResp(b, next, onError) : next;
    }
    default:
      return next;
  }
}
