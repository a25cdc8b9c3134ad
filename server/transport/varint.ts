/**
 * Unsigned LEB128 varints for non-negative safe integers (up to 2^53 - 1),
 * the number encoding of the peer wire format: Raft terms, indexes and node
 * ids are small most of the time and take one to four bytes.
 */

/** A malformed or truncated payload, or a value that cannot be encoded. */
export class CodecError extends Error {
  override readonly name = 'CodecError';
}

/** At most 8 bytes: 8 * 7 = 56 bits covers Number.MAX_SAFE_INTEGER. */
const MAX_VARINT_BYTES = 8;

/** Bytes needed for `v`; throws CodecError unless v is a non-negative safe integer. */
export function uvarintSize(v: number, field = 'value'): number {
  if (v < 0x80 && v >= 0 && Number.isInteger(v)) return 1;
  if (!Number.isSafeInteger(v) || v < 0) throw new CodecError(`${field} must be a non-negative safe integer, got ${v}`);
  if (v < 2 ** 14) return 2;
  if (v < 2 ** 21) return 3;
  if (v < 2 ** 28) return 4;
  if (v < 2 ** 35) return 5;
  if (v < 2 ** 42) return 6;
  if (v < 2 ** 49) return 7;
  return 8;
}

/** Writes `v` (already checked by uvarintSize) at `pos`; returns the position after it. */
export function writeUvarint(buf: Uint8Array, pos: number, v: number): number {
  // Bit operations are exact below 2^31; above, fall back to arithmetic.
  while (v >= 0x80000000) {
    buf[pos++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

/** A cursor over a payload; every read checks bounds and throws CodecError. */
export class Reader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  u8(): number {
    if (this.pos >= this.end) throw new CodecError('truncated payload');
    return this.buf[this.pos++];
  }

  uvarint(): number {
    const buf = this.buf;
    let pos = this.pos;
    if (pos < this.end && buf[pos] < 0x80) {
      this.pos = pos + 1;
      return buf[pos];
    }
    let result = 0;
    let scale = 1;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      if (pos >= this.end) throw new CodecError('truncated varint');
      const b = buf[pos++];
      result += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (result > Number.MAX_SAFE_INTEGER) throw new CodecError('varint exceeds 2^53 - 1');
        if (i > 0 && b === 0) throw new CodecError('non-canonical varint');
        this.pos = pos;
        return result;
      }
      scale *= 0x80;
    }
    throw new CodecError('varint longer than 8 bytes');
  }

  /** `n` bytes as a view of the underlying buffer. */
  bytes(n: number): Uint8Array {
    if (n > this.end - this.pos) throw new CodecError('truncated payload');
    const view = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return view;
  }

  /** A length-prefixed byte string, as a view. */
  lengthPrefixed(): Uint8Array {
    return this.bytes(this.uvarint());
  }
}
