/**
 * Intsets (intset.c): encoding width (u32 LE: 2, 4 or 8), length (u32 LE),
 * then the members ascending, little-endian, all of that width.
 */
import { fail } from './format';

/** An intset of these canonical-integer members (any order), in the smallest width that holds them all. */
export function encodeIntset(members: Iterable<string>): Buffer {
  const values = [...members].map((m) => BigInt(m)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let width = 2;
  for (const v of values) {
    if (v < -2147483648n || v > 2147483647n) width = 8;
    else if ((v < -32768n || v > 32767n) && width < 4) width = 4;
  }
  const out = Buffer.alloc(8 + width * values.length);
  out.writeUInt32LE(width, 0);
  out.writeUInt32LE(values.length, 4);
  values.forEach((v, i) => {
    const at = 8 + i * width;
    if (width === 2) out.writeInt16LE(Number(v), at);
    else if (width === 4) out.writeInt32LE(Number(v), at);
    else out.writeBigInt64LE(v, at);
  });
  return out;
}

/** The members of an intset, validated (intsetValidateIntegrity deep: size, width, strictly ascending). */
export function decodeIntset(is: Buffer): string[] {
  if (is.length < 8) fail('intset too short');
  const width = is.readUInt32LE(0);
  if (width !== 2 && width !== 4 && width !== 8) fail('bad intset encoding');
  const count = is.readUInt32LE(4);
  if (8 + count * width !== is.length) fail('intset size mismatch');
  const out: string[] = [];
  let prev: bigint | null = null;
  for (let i = 0; i < count; i++) {
    const at = 8 + i * width;
    const v = width === 8 ? is.readBigInt64LE(at) : BigInt(width === 4 ? is.readInt32LE(at) : is.readInt16LE(at));
    if (prev !== null && v <= prev) fail('intset not ascending');
    prev = v;
    out.push(v.toString());
  }
  return out;
}
