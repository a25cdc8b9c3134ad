/**
 * Redis's HyperLogLog representation (hyperloglog.c), byte for byte: pure
 * functions over the string value, no keyspace access.
 *
 * Layout: a 16-byte header ("HYLL", encoding byte 0 = dense / 1 = sparse,
 * three unused bytes, the cached cardinality as a little-endian uint64 whose
 * top bit set means "stale"), then either 16384 6-bit registers packed LSB
 * first (dense, 12288 bytes) or a run-length opcode stream (sparse):
 *   ZERO  00xxxxxx           1..64 zero registers
 *   XZERO 01xxxxxx yyyyyyyy  1..16384 zero registers
 *   VAL   1vvvvvxx           1..4 registers of value 1..32
 *
 * Values written by PFADD/PFMERGE must be the bytes redis-server writes for
 * the same commands (clients move them with GET/SET between the two), so the
 * sparse editing below follows Redis's in-place algorithm step by step,
 * including how it treats malformed input. `Sds` models the one detail of
 * C strings that algorithm relies on: the byte just past the end reads as
 * the NUL terminator.
 */

export const HLL_P = 14;
export const HLL_Q = 64 - HLL_P;
export const HLL_REGISTERS = 1 << HLL_P;
const HLL_P_MASK = HLL_REGISTERS - 1;
const HLL_BITS = 6;
const HLL_REGISTER_MAX = (1 << HLL_BITS) - 1;
export const HLL_HDR_SIZE = 16;
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + Math.floor((HLL_REGISTERS * HLL_BITS + 7) / 8);
export const HLL_DENSE = 0;
export const HLL_SPARSE = 1;
const HLL_MAX_ENCODING = 1;

const SPARSE_VAL_MAX_VALUE = 32;
const SPARSE_VAL_MAX_LEN = 4;
const SPARSE_ZERO_MAX_LEN = 64;
const SPARSE_XZERO_MAX_LEN = 16384;
const ALPHA_INF = 0.721347520444481703680; // 0.5 / ln(2)
const MAGIC = Buffer.from('HYLL', 'latin1');
/** Index of the cache byte whose top bit marks the cached cardinality stale. */
const CARD_MSB = 15;

// ------------------------------------------------------------------ hashing

/** (aHi:aLo) * (bHi:bLo) mod 2^64, as two uint32 halves. */
function mul64(aHi: number, aLo: number, bHi: number, bLo: number): [number, number] {
  const a0 = aLo & 0xffff;
  const a1 = aLo >>> 16;
  const b0 = bLo & 0xffff;
  const b1 = bLo >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const lo = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;
  const carry = p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  const hi = (carry + Math.imul(aHi, bLo) + Math.imul(aLo, bHi)) >>> 0;
  return [hi, lo];
}

const M_HI = 0xc6a4a793;
const M_LO = 0x5bd1e995;
/** The seed Redis hashes HLL elements with. */
export const HLL_SEED = 0xadc83b19;

/** MurmurHash64A (little-endian reading, as Redis's endian-neutral version), as [hi, lo] uint32 halves. */
export function murmurHash64A(data: Uint8Array, seed: number): [number, number] {
  const len = data.length;
  let [hi, lo] = mul64(0, len >>> 0, M_HI, M_LO);
  lo = (lo ^ seed) >>> 0;
  const blocks = len - (len & 7);
  for (let i = 0; i < blocks; i += 8) {
    let kLo = (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)) >>> 0;
    let kHi = (data[i + 4] | (data[i + 5] << 8) | (data[i + 6] << 16) | (data[i + 7] << 24)) >>> 0;
    [kHi, kLo] = mul64(kHi, kLo, M_HI, M_LO);
    kLo = (kLo ^ (kHi >>> 15)) >>> 0; // k ^= k >> 47
    [kHi, kLo] = mul64(kHi, kLo, M_HI, M_LO);
    hi = (hi ^ kHi) >>> 0;
    lo = (lo ^ kLo) >>> 0;
    [hi, lo] = mul64(hi, lo, M_HI, M_LO);
  }
  const rest = len & 7;
  if (rest > 0) {
    for (let j = rest - 1; j >= 0; j--) {
      const b = data[blocks + j];
      if (j >= 4) hi = (hi ^ (b << ((j - 4) * 8))) >>> 0;
      else lo = (lo ^ (b << (j * 8))) >>> 0;
    }
    [hi, lo] = mul64(hi, lo, M_HI, M_LO);
  }
  lo = (lo ^ (hi >>> 15)) >>> 0;
  [hi, lo] = mul64(hi, lo, M_HI, M_LO);
  lo = (lo ^ (hi >>> 15)) >>> 0;
  return [hi, lo];
}

/**
 * The register an element lands in and its run length: the low 14 bits of
 * the hash pick the register, the count is 1 + the trailing zeros of the
 * other 50 bits (at most 51).
 */
export function patLen(ele: Uint8Array): { index: number; count: number } {
  const [hi, lo] = murmurHash64A(ele, HLL_SEED);
  const index = lo & HLL_P_MASK;
  const vLo = ((lo >>> HLL_P) | (hi << (32 - HLL_P))) >>> 0;
  const vHi = ((hi >>> HLL_P) | (1 << (HLL_Q - 32))) >>> 0; // bit Q set: the count stops at Q + 1
  const tz = vLo !== 0 ? 31 - Math.clz32(vLo & -vLo) : 32 + 31 - Math.clz32(vHi & -vHi);
  return { index, count: tz + 1 };
}

// ------------------------------------------------------------ the work area

/**
 * A mutable copy of a value with C-string behaviour: `b` has spare room and
 * b[len] is the terminator (0 after every length change), which Redis's
 * sparse code reads when an XZERO opcode is cut short by the end.
 */
export class Sds {
  b: Uint8Array;
  len: number;
  constructor(bytes: Uint8Array, room = 0) {
    this.b = new Uint8Array(bytes.length + room + 1);
    this.b.set(bytes);
    this.len = bytes.length;
  }
  makeRoomFor(n: number): void {
    if (this.b.length >= this.len + n + 1) return;
    const nb = new Uint8Array(Math.max(this.len + n + 1, this.b.length * 2));
    nb.set(this.b);
    this.b = nb;
  }
  incrLen(d: number): void {
    this.len += d;
    this.b[this.len] = 0;
  }
  get encoding(): number {
    return this.b[4];
  }
  bytes(): Buffer {
    return Buffer.from(this.b.buffer, this.b.byteOffset, this.len);
  }
}

// ------------------------------------------------------------------ checks

/** Redis's isHLLObjectOrReply on a string's bytes: header, known encoding, dense length exact. */
export function isValidHll(v: Uint8Array): boolean {
  if (v.length < HLL_HDR_SIZE) return false;
  if (v[0] !== MAGIC[0] || v[1] !== MAGIC[1] || v[2] !== MAGIC[2] || v[3] !== MAGIC[3]) return false;
  if (v[4] > HLL_MAX_ENCODING) return false;
  if (v[4] === HLL_DENSE && v.length !== HLL_DENSE_SIZE) return false;
  return true;
}

/** The cached cardinality, or null when marked stale. */
export function cachedCard(v: Uint8Array): bigint | null {
  if (v[CARD_MSB] & 0x80) return null;
  let card = 0n;
  for (let i = CARD_MSB; i >= 8; i--) card = (card << 8n) | BigInt(v[i]);
  return card;
}

export function invalidateCache(s: Sds): void {
  s.b[CARD_MSB] |= 0x80;
}

/** An empty HLL as PFADD creates it: sparse, one XZERO per 16384 registers, cache 0 and valid. */
export function createHll(): Sds {
  const xzeros = Math.ceil(HLL_REGISTERS / SPARSE_XZERO_MAX_LEN);
  const s = new Sds(new Uint8Array(HLL_HDR_SIZE + xzeros * 2));
  s.b.set(MAGIC, 0);
  s.b[4] = HLL_SPARSE;
  let p = HLL_HDR_SIZE;
  for (let left = HLL_REGISTERS; left > 0; ) {
    const n = Math.min(left, SPARSE_XZERO_MAX_LEN);
    setXzero(s.b, p, n);
    p += 2;
    left -= n;
  }
  return s;
}

// --------------------------------------------------------- opcode helpers

const isZero = (op: number): boolean => (op & 0xc0) === 0;
const isXzero = (op: number): boolean => (op & 0xc0) === 0x40;
const isVal = (op: number): boolean => (op & 0x80) !== 0;
const zeroLen = (op: number): number => (op & 0x3f) + 1;
const xzeroLen = (b: Uint8Array, p: number): number => ((((b[p] & 0x3f) << 8) | (b[p + 1] ?? 0)) + 1);
const valValue = (op: number): number => ((op >> 2) & 0x1f) + 1;
const valLen = (op: number): number => (op & 0x3) + 1;
const valOp = (value: number, len: number): number => (((value - 1) << 2) | (len - 1) | 0x80) & 0xff;
function setXzero(b: Uint8Array, p: number, len: number): void {
  const l = len - 1;
  b[p] = ((l >> 8) | 0x40) & 0xff;
  b[p + 1] = l & 0xff;
}

// ------------------------------------------------------------ dense form

/** Register `i` of dense registers starting at `off` (the byte past the end reads 0). */
export function denseGet(b: Uint8Array, off: number, i: number): number {
  const byte = off + ((i * HLL_BITS) >> 3);
  const fb = (i * HLL_BITS) & 7;
  const b0 = b[byte];
  const b1 = b[byte + 1] ?? 0;
  return ((b0 >> fb) | (b1 << (8 - fb))) & HLL_REGISTER_MAX;
}

export function denseSetRaw(b: Uint8Array, off: number, i: number, val: number): void {
  const byte = off + ((i * HLL_BITS) >> 3);
  const fb = (i * HLL_BITS) & 7;
  const fb8 = 8 - fb;
  b[byte] = (b[byte] & ~(HLL_REGISTER_MAX << fb)) | ((val << fb) & 0xff);
  if (byte + 1 < b.length) b[byte + 1] = (b[byte + 1] & ~(HLL_REGISTER_MAX >> fb8)) | (val >> fb8);
}

/** Raises register `index` to `count`; 1 if it changed. */
function denseSet(b: Uint8Array, index: number, count: number): 0 | 1 {
  if (count > denseGet(b, HLL_HDR_SIZE, index)) {
    denseSetRaw(b, HLL_HDR_SIZE, index, count);
    return 1;
  }
  return 0;
}

// ----------------------------------------------------------- sparse form

/**
 * Sparse to dense (hllSparseToDense): the 16-byte header is kept (cache
 * included) with the encoding byte set to dense. Null when the opcodes do
 * not cover exactly 16384 registers. A dense input is returned as is.
 */
export function sparseToDense(s: Sds): Sds | null {
  if (s.encoding === HLL_DENSE) return s;
  const d = new Sds(new Uint8Array(HLL_DENSE_SIZE));
  d.b.set(s.b.subarray(0, HLL_HDR_SIZE), 0);
  d.b[4] = HLL_DENSE;
  const b = s.b;
  let idx = 0;
  let p = HLL_HDR_SIZE;
  while (p < s.len) {
    const op = b[p];
    const runlen = isZero(op) ? zeroLen(op) : isXzero(op) ? xzeroLen(b, p) : valLen(op);
    // Any opcode past 16384 registers is corrupt: the overflow checks of current Redis, which the reference 7.0.15 build has.
    if (runlen + idx > HLL_REGISTERS) return null;
    if (isVal(op)) for (let k = 0; k < runlen; k++) denseSetRaw(d.b, HLL_HDR_SIZE, idx + k, valValue(op));
    idx += runlen;
    p += isXzero(op) ? 2 : 1;
  }
  return idx === HLL_REGISTERS ? d : null;
}

/** What a set did: 1 changed, 0 no change, -1 corrupt; `hll` may be a new (dense) work area. */
export interface SetResult {
  result: 1 | 0 | -1;
  hll: Sds;
}

/**
 * Raises register `index` to `count` in a sparse HLL (hllSparseSet): the
 * opcode covering it is split in place, neighbouring equal VALs are merged,
 * and the HLL is promoted to dense when `count` exceeds 32 or the value
 * would grow past `maxBytes` (hll-sparse-max-bytes).
 */
export function sparseSet(s: Sds, index: number, count: number, maxBytes: number): SetResult {
  if (count > SPARSE_VAL_MAX_VALUE) return promote(s, index, count);
  s.makeRoomFor(3); // the worst split (XZERO -> XZERO VAL XZERO) grows it by 3
  const b = s.b;
  const sparse = HLL_HDR_SIZE;
  let end = s.len;

  // 1: find the opcode covering `index`.
  let p = sparse;
  let first = 0;
  let prev = -1;
  let span = 0;
  while (p < end) {
    let oplen = 1;
    const op = b[p];
    if (isZero(op)) span = zeroLen(op);
    else if (isVal(op)) span = valLen(op);
    else {
      span = xzeroLen(b, p);
      oplen = 2;
    }
    if (index <= first + span - 1) break;
    prev = p;
    p += oplen;
    first += span;
  }
  if (span === 0 || p >= end) return { result: -1, hll: s };
  let next = isXzero(b[p]) ? p + 2 : p + 1;
  if (next >= end) next = -1;

  const op = b[p];
  const zero = isZero(op);
  const xzero = isXzero(op);
  const runlen = zero ? zeroLen(op) : xzero ? xzeroLen(b, p) : valLen(op);

  let updated = false;
  if (!zero && !xzero) {
    if (valValue(op) >= count) return { result: 0, hll: s };
    if (runlen === 1) {
      b[p] = valOp(count, 1);
      updated = true;
    }
  }
  if (!updated && zero && runlen === 1) {
    b[p] = valOp(count, 1);
    updated = true;
  }

  if (!updated) {
    // 2: split the opcode into at most three (before, ours, after).
    const seq: number[] = [];
    const last = first + span - 1;
    if (zero || xzero) {
      const zeros = (n: number): void => {
        if (n > SPARSE_ZERO_MAX_LEN) seq.push(((n - 1) >> 8) | 0x40, (n - 1) & 0xff);
        else seq.push(n - 1);
      };
      if (index !== first) zeros(index - first);
      seq.push(valOp(count, 1));
      if (index !== last) zeros(last - index);
    } else {
      const curval = valValue(op);
      if (index !== first) seq.push(valOp(curval, index - first));
      seq.push(valOp(count, 1));
      if (index !== last) seq.push(valOp(curval, last - index));
    }
    // 3: put the new sequence in place of the old opcode.
    const oldlen = xzero ? 2 : 1;
    const deltalen = seq.length - oldlen;
    if (deltalen > 0 && s.len + deltalen > maxBytes) return promote(s, index, count);
    if (deltalen !== 0 && next >= 0) b.copyWithin(next + deltalen, next, end);
    s.incrLen(deltalen);
    for (let i = 0; i < seq.length; i++) b[p + i] = seq[i];
    end += deltalen;
  }

  // 4: merge adjacent VALs of equal value, scanning up to 5 opcodes from prev.
  p = prev >= 0 ? prev : sparse;
  let scanlen = 5;
  while (p < end && scanlen-- > 0) {
    const cur = b[p];
    if (isXzero(cur)) {
      p += 2;
      continue;
    }
    if (isZero(cur)) {
      p++;
      continue;
    }
    if (p + 1 < end && isVal(b[p + 1])) {
      const v1 = valValue(cur);
      const v2 = valValue(b[p + 1]);
      if (v1 === v2) {
        const len = valLen(cur) + valLen(b[p + 1]);
        if (len <= SPARSE_VAL_MAX_LEN) {
          b[p + 1] = valOp(v1, len);
          b.copyWithin(p, p + 1, end + 1);
          s.incrLen(-1);
          end--;
          continue;
        }
      }
    }
    p++;
  }
  invalidateCache(s);
  return { result: 1, hll: s };
}

function promote(s: Sds, index: number, count: number): SetResult {
  const d = sparseToDense(s);
  if (d === null) return { result: -1, hll: s };
  denseSet(d.b, index, count);
  return { result: 1, hll: d };
}

/** PFADD of one element (hllAdd): 1 changed, 0 not, -1 corrupt. */
export function hllAdd(s: Sds, ele: Uint8Array, maxBytes: number): SetResult {
  const { index, count } = patLen(ele);
  return hllSet(s, index, count, maxBytes);
}

/** Raises one register in either encoding. */
export function hllSet(s: Sds, index: number, count: number, maxBytes: number): SetResult {
  if (s.encoding === HLL_DENSE) return { result: denseSet(s.b, index, count), hll: s };
  if (s.encoding === HLL_SPARSE) return sparseSet(s, index, count, maxBytes);
  return { result: -1, hll: s };
}

// -------------------------------------------------------------- estimate

/** hllSigma (Ertl, arXiv:1702.01284). */
function sigma(x: number): number {
  if (x === 1) return Infinity;
  let zPrime: number;
  let y = 1;
  let z = x;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

/** hllTau (Ertl, arXiv:1702.01284). */
function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime: number;
  let y = 1.0;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    const d = 1 - x;
    z -= d * d * y;
  } while (zPrime !== z);
  return z / 3;
}

/** Redis >= 5's estimator from a histogram of register values (64 slots). */
export function estimate(reghisto: Int32Array | number[]): number {
  const m = HLL_REGISTERS;
  let z = m * tau((m - reghisto[HLL_Q + 1]) / m);
  for (let j = HLL_Q; j >= 1; --j) {
    z += reghisto[j];
    z *= 0.5;
  }
  z += m * sigma(reghisto[0] / m);
  return roundHalfAway((ALPHA_INF * m * m) / z);
}

/** llroundl of a non-negative double: halves away from zero (x - trunc(x) is exact). */
function roundHalfAway(x: number): number {
  const t = Math.trunc(x);
  return x - t >= 0.5 ? t + 1 : t;
}

/** The histogram of a valid HLL's registers; null for a sparse one not covering exactly 16384 registers. */
export function histogram(v: Uint8Array): Int32Array | null {
  const h = new Int32Array(64);
  if (v[4] === HLL_DENSE) {
    for (let i = 0; i < HLL_REGISTERS; i++) h[denseGet(v, HLL_HDR_SIZE, i)]++;
    return h;
  }
  let idx = 0;
  let p = HLL_HDR_SIZE;
  while (p < v.length) {
    const op = v[p];
    const n = isZero(op) ? zeroLen(op) : isXzero(op) ? xzeroLen(v, p) : valLen(op);
    if (n + idx > HLL_REGISTERS) return null;
    h[isVal(op) ? valValue(op) : 0] += n;
    idx += n;
    p += isXzero(op) ? 2 : 1;
  }
  return idx === HLL_REGISTERS ? h : null;
}

/** Histogram of one byte per register (PFCOUNT over several keys). */
export function rawHistogram(max: Uint8Array): Int32Array {
  const h = new Int32Array(64);
  for (let i = 0; i < HLL_REGISTERS; i++) h[max[i] & 63]++;
  return h;
}

/** max[i] = MAX(max[i], register i of `v`) (hllMerge); false for a corrupt sparse value. */
export function mergeInto(max: Uint8Array, v: Uint8Array): boolean {
  if (v[4] === HLL_DENSE) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const r = denseGet(v, HLL_HDR_SIZE, i);
      if (r > max[i]) max[i] = r;
    }
    return true;
  }
  let i = 0;
  let p = HLL_HDR_SIZE;
  while (p < v.length) {
    const op = v[p];
    const runlen = isZero(op) ? zeroLen(op) : isXzero(op) ? xzeroLen(v, p) : valLen(op);
    if (runlen + i > HLL_REGISTERS) return false;
    if (isVal(op)) {
      const regval = valValue(op);
      for (let k = i; k < i + runlen; k++) if (regval > max[k]) max[k] = regval;
    }
    i += runlen;
    p += isXzero(op) ? 2 : 1;
  }
  return i === HLL_REGISTERS;
}

/** PFDEBUG DECODE: the opcodes of a sparse HLL as "z:N Z:N v:V,N" words. */
export function decodeSparse(v: Uint8Array): string {
  const words: string[] = [];
  let p = HLL_HDR_SIZE;
  while (p < v.length) {
    const op = v[p];
    if (isZero(op)) {
      words.push(`z:${zeroLen(op)}`);
      p++;
    } else if (isXzero(op)) {
      words.push(`Z:${xzeroLen(v, p)}`);
      p += 2;
    } else {
      words.push(`v:${valValue(op)},${valLen(op)}`);
      p++;
    }
  }
  return words.join(' ');
}
