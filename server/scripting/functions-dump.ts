/**
 * FUNCTION DUMP / RESTORE payloads in Redis's format, so that a payload
 * dumped here restores on redis-server 7.x and the reverse:
 *
 *   ( RDB_OPCODE_FUNCTION2 (245)  RDB string: the library code )*
 *   RDB version (u16 little-endian, 10)  CRC64 (Jones, as Redis) of all before it (u64 little-endian)
 *
 * Strings are written uncompressed; a payload from Redis may carry
 * LZF-compressed or integer-encoded strings, which are read.
 */
const OPCODE_FUNCTION2 = 245;
const OPCODE_FUNCTION_PRE_GA = 246;
/** RDB version Redis 7.0 writes and the newest it reads. */
const RDB_VERSION = 10;

// ------------------------------------------------------------------ CRC64

const POLY = 0x95ac9329ac4bc9b5n; // Jones polynomial 0xad93d23594c935a9, bit-reflected
const MASK = 0xffffffffffffffffn;
let table: bigint[] | undefined;

function crcTable(): bigint[] {
  if (table !== undefined) return table;
  table = [];
  for (let i = 0; i < 256; i++) {
    let c = BigInt(i);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ POLY : c >> 1n;
    table.push(c);
  }
  return table;
}

/** Redis's crc64(0, data): reflected, no final xor (crc64("123456789") = 0xe9c6d914c4b8d9ca). */
export function crc64(data: Buffer): bigint {
  const t = crcTable();
  let crc = 0n;
  for (const b of data) crc = t[Number((crc ^ BigInt(b)) & 0xffn)] ^ (crc >> 8n);
  return crc & MASK;
}

// ------------------------------------------------------------- encoding

function rdbLength(n: number): Buffer {
  if (n < 64) return Buffer.from([n]);
  if (n < 16384) return Buffer.from([0x40 | (n >> 8), n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = 0x80;
  b.writeUInt32BE(n, 1);
  return b;
}

/** The payload for these library codes (in the order given). */
export function encodeFunctionDump(codes: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const code of codes) parts.push(Buffer.from([OPCODE_FUNCTION2]), rdbLength(code.length), code);
  parts.push(Buffer.from([RDB_VERSION, 0]));
  const body = Buffer.concat(parts);
  const crc = Buffer.alloc(8);
  crc.writeBigUInt64LE(crc64(body));
  return Buffer.concat([body, crc]);
}

// ------------------------------------------------------------- decoding

export const ERR_PAYLOAD = 'ERR DUMP payload version or checksum are wrong';

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  byte(): number {
    if (this.pos >= this.buf.length) throw new PayloadError();
    return this.buf[this.pos++];
  }

  take(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw new PayloadError();
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** An RDB length: the value, or the encoding kind for "11" lengths. */
  length(): { encoded: boolean; value: number } {
    const first = this.byte();
    const kind = first >> 6;
    if (kind === 0) return { encoded: false, value: first & 0x3f };
    if (kind === 1) return { encoded: false, value: ((first & 0x3f) << 8) | this.byte() };
    if (kind === 3) return { encoded: true, value: first & 0x3f };
    if (first === 0x80) return { encoded: false, value: this.take(4).readUInt32BE(0) };
    if (first === 0x81) {
      const v = this.take(8).readBigUInt64BE(0);
      if (v > BigInt(this.buf.length)) throw new PayloadError();
      return { encoded: false, value: Number(v) };
    }
    throw new PayloadError();
  }

  string(): Buffer {
    const { encoded, value } = this.length();
    if (!encoded) return Buffer.from(this.take(value));
    switch (value) {
      case 0:
        return Buffer.from(String(this.take(1).readInt8(0)));
      case 1:
        return Buffer.from(String(this.take(2).readInt16LE(0)));
      case 2:
        return Buffer.from(String(this.take(4).readInt32LE(0)));
      case 3: {
        const clen = this.length().value;
        const len = this.length().value;
        // LZF expands at most 264 bytes per 2 input bytes: a larger claim is a damaged payload, not an allocation.
        if (len > clen * 132 + 8) throw new PayloadError();
        return lzfDecompress(this.take(clen), len);
      }
      default:
        throw new PayloadError();
    }
  }
}

/** A payload that does not parse (answered as Redis's load failure). */
export class PayloadError extends Error {
  constructor(readonly reply = 'ERR failed loading the given functions payload') {
    super(reply);
  }
}

/** LZF (liblzf's lzf_decompress), as RDB compresses long strings. */
export function lzfDecompress(input: Buffer, outLen: number): Buffer {
  const out = Buffer.alloc(outLen);
  let ip = 0;
  let op = 0;
  while (ip < input.length) {
    const ctrl = input[ip++];
    if (ctrl < 32) {
      const n = ctrl + 1;
      if (op + n > outLen || ip + n > input.length) throw new PayloadError();
      input.copy(out, op, ip, ip + n);
      ip += n;
      op += n;
    } else {
      let len = ctrl >> 5;
      if (len === 7) {
        if (ip >= input.length) throw new PayloadError();
        len += input[ip++];
      }
      if (ip >= input.length) throw new PayloadError();
      let ref = op - ((ctrl & 0x1f) << 8) - 1 - input[ip++];
      len += 2;
      if (ref < 0 || op + len > outLen) throw new PayloadError();
      while (len-- > 0) out[op++] = out[ref++];
    }
  }
  if (op !== outLen) throw new PayloadError();
  return out;
}

/**
 * The library codes in a payload, or the error Redis answers: a bad footer
 * (version or CRC), a record that is not a function, a string that does
 * not parse.
 */
export function decodeFunctionDump(payload: Buffer): Buffer[] | PayloadError {
  if (payload.length < 10) return new PayloadError(ERR_PAYLOAD);
  const footer = payload.length - 10;
  const version = payload.readUInt16LE(footer);
  if (version > RDB_VERSION) return new PayloadError(ERR_PAYLOAD);
  if (crc64(payload.subarray(0, payload.length - 8)) !== payload.readBigUInt64LE(payload.length - 8)) return new PayloadError(ERR_PAYLOAD);
  const r = new Reader(payload.subarray(0, footer));
  const codes: Buffer[] = [];
  try {
    while (r.pos < r.buf.length) {
      const type = r.byte();
      if (type === OPCODE_FUNCTION_PRE_GA) return new PayloadError('ERR Pre-GA function format not supported');
      if (type !== OPCODE_FUNCTION2) return new PayloadError('ERR given type is not a function');
      codes.push(r.string());
    }
  } catch (err) {
    if (err instanceof PayloadError) return err;
    throw err;
  }
  return codes;
}
