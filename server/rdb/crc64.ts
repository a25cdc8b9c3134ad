/**
 * Redis's CRC-64 (crc64.c: the "Jones" polynomial 0xad93d23594c935a9,
 * reflected, initial value 0, no final xor): the checksum in a DUMP
 * payload's footer. Computed on two 32-bit halves with a byte table, so a
 * large payload costs no BigInt arithmetic.
 */

const POLY_REFLECTED = 0x95ac9329ac4bc9b5n;

const TABLE_LO = new Uint32Array(256);
const TABLE_HI = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = BigInt(n);
  for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ POLY_REFLECTED : c >> 1n;
  TABLE_LO[n] = Number(c & 0xffffffffn);
  TABLE_HI[n] = Number(c >> 32n);
}

/** The checksum of `data` as 8 little-endian bytes (the footer layout). */
export function crc64(data: Uint8Array, start = 0, end = data.length): Buffer {
  let lo = 0;
  let hi = 0;
  for (let i = start; i < end; i++) {
    const idx = (lo ^ data[i]) & 0xff;
    lo = ((lo >>> 8) | (hi << 24)) ^ TABLE_LO[idx];
    hi = (hi >>> 8) ^ TABLE_HI[idx];
  }
  const out = Buffer.allocUnsafe(8);
  out.writeUInt32LE(lo >>> 0, 0);
  out.writeUInt32LE(hi >>> 0, 4);
  return out;
}
