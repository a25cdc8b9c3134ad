/**
 * Stream entry ids (Redis's streamID: two unsigned 64-bit numbers, ms and
 * seq). Held as a pair of bigints: exact over the whole u64 range, and only
 * the edges (parse, format, a block's base id) pay for them; inside a block
 * ids are delta-encoded varints (stream-block.ts).
 */

export interface StreamId {
  readonly ms: bigint;
  readonly seq: bigint;
}

export const U64_MAX = 0xffffffffffffffffn;
export const MIN_ID: StreamId = { ms: 0n, seq: 0n };
export const MAX_ID: StreamId = { ms: U64_MAX, seq: U64_MAX };

export function compareIds(a: StreamId, b: StreamId): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

export function isZeroId(a: StreamId): boolean {
  return a.ms === 0n && a.seq === 0n;
}

/** The next id (Redis streamIncrID); null past the maximum. */
export function nextId(a: StreamId): StreamId | null {
  if (a.seq === U64_MAX) return a.ms === U64_MAX ? null : { ms: a.ms + 1n, seq: 0n };
  return { ms: a.ms, seq: a.seq + 1n };
}

/** The previous id (Redis streamDecrID); null below 0-0. */
export function prevId(a: StreamId): StreamId | null {
  if (a.seq === 0n) return a.ms === 0n ? null : { ms: a.ms - 1n, seq: U64_MAX };
  return { ms: a.ms, seq: a.seq - 1n };
}

export function formatId(a: StreamId): string {
  return `${a.ms}-${a.seq}`;
}

export function idBuffer(a: StreamId): Buffer {
  return Buffer.from(formatId(a), 'latin1');
}

/**
 * 16 bytes (ms, seq big-endian) as a latin1 string: sorts like the id, so it
 * is both a Map key and a record sub-key in id order.
 */
export function idKey(a: StreamId): string {
  const b = Buffer.allocUnsafe(16);
  b.writeBigUInt64BE(a.ms, 0);
  b.writeBigUInt64BE(a.seq, 8);
  return b.toString('latin1');
}

export function idFromKey(k: string, offset = 0): StreamId {
  const b = Buffer.from(k.slice(offset, offset + 16), 'latin1');
  if (b.length !== 16) throw new RangeError('stream id key must be 16 bytes');
  return { ms: b.readBigUInt64BE(0), seq: b.readBigUInt64BE(8) };
}

export function writeId(buf: Buffer, a: StreamId, off: number): number {
  buf.writeBigUInt64BE(a.ms, off);
  buf.writeBigUInt64BE(a.seq, off + 8);
  return off + 16;
}

export function readId(buf: Buffer, off: number): StreamId {
  return { ms: buf.readBigUInt64BE(off), seq: buf.readBigUInt64BE(off + 8) };
}

const INT64_MAX = 0x7fffffffffffffffn;
const SPACE = new Set([0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d]);

/**
 * Redis string2ull: a canonical int64 (string2ll) that is not negative, or
 * else whatever C's strtoull accepts whole (leading spaces, a sign, leading
 * zeros; '-' negates modulo 2^64, no overflow). null when invalid.
 */
export function parseU64(s: string): bigint | null {
  if (/^(0|-?[1-9][0-9]{0,18})$/.test(s)) {
    const v = BigInt(s);
    if (v <= INT64_MAX && v >= -INT64_MAX - 1n) return v < 0n ? null : v;
  }
  let i = 0;
  while (i < s.length && SPACE.has(s.charCodeAt(i))) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') neg = s[i++] === '-';
  const digits = s.slice(i);
  if (!/^[0-9]+$/.test(digits)) return null;
  const v = BigInt(digits);
  if (v > U64_MAX) return null;
  return neg ? (U64_MAX + 1n - v) & U64_MAX : v;
}

/** How an id argument may be written (Redis streamGenericParseIDOrReply's modes). */
export interface IdParseOptions {
  /** Seq when only the ms part is given. */
  missingSeq: bigint;
  /** Refuse the special ids `-` and `+` (Redis's strict parse). */
  strict: boolean;
  /** Accept `ms-*` (XADD): seq is then null. */
  seqStar?: boolean;
}

export interface ParsedId {
  id: StreamId;
  /** False for `ms-*`. */
  seqGiven: boolean;
}

/** Parses a stream id argument; null when invalid. */
export function parseStreamId(arg: Buffer, o: IdParseOptions): ParsedId | null {
  if (arg.length > 127) return null;
  const s = arg.toString('latin1');
  if (s === '-' || s === '+') {
    if (o.strict) return null;
    return { id: s === '-' ? MIN_ID : MAX_ID, seqGiven: true };
  }
  const dash = s.indexOf('-');
  if (dash < 0) {
    const ms = parseU64(s);
    return ms === null ? null : { id: { ms, seq: o.missingSeq }, seqGiven: true };
  }
  const ms = parseU64(s.slice(0, dash));
  if (ms === null) return null;
  const rest = s.slice(dash + 1);
  if (o.seqStar && rest === '*') return { id: { ms, seq: 0n }, seqGiven: false };
  const seq = parseU64(rest);
  return seq === null ? null : { id: { ms, seq }, seqGiven: true };
}
