import { expect } from 'chai';
import {
  HLL_DENSE_SIZE,
  HLL_HDR_SIZE,
  HLL_REGISTERS,
  Sds,
  cachedCard,
  createHll,
  decodeSparse,
  denseGet,
  denseSetRaw,
  estimate,
  hllAdd,
  histogram,
  isValidHll,
  mergeInto,
  murmurHash64A,
  patLen,
  sparseToDense,
} from '../../server/keyspace/hyperloglog';
import { rng } from '../support/rng';

/** MurmurHash64A written plainly with BigInt, to check the 32-bit-halves version. */
function murmurRef(data: Uint8Array, seed: bigint): bigint {
  const M = 0xc6a4a7935bd1e995n;
  const mask = (1n << 64n) - 1n;
  const len = data.length;
  let h = (seed ^ BigInt(len) * M) & mask;
  const blocks = len - (len & 7);
  for (let i = 0; i < blocks; i += 8) {
    let k = 0n;
    for (let j = 7; j >= 0; j--) k = (k << 8n) | BigInt(data[i + j]);
    k = (k * M) & mask;
    k ^= k >> 47n;
    k = (k * M) & mask;
    h ^= k;
    h = (h * M) & mask;
  }
  const rest = len & 7;
  if (rest) {
    for (let j = rest - 1; j >= 0; j--) h ^= BigInt(data[blocks + j]) << BigInt(8 * j);
    h = (h * M) & mask;
  }
  h ^= h >> 47n;
  h = (h * M) & mask;
  h ^= h >> 47n;
  return h;
}

const registersOf = (s: Sds): number[] => {
  const d = sparseToDense(s);
  if (d === null) throw new Error('corrupt');
  return Array.from({ length: HLL_REGISTERS }, (_, i) => denseGet(d.b, HLL_HDR_SIZE, i));
};

describe('HyperLogLog representation (keyspace/hyperloglog)', () => {
  it('MurmurHash64A matches a BigInt reference for every tail length', () => {
    const r = rng(1);
    for (let len = 0; len < 70; len++) {
      const data = Uint8Array.from({ length: len }, () => Math.floor(r() * 256));
      for (const seed of [0, 0xadc83b19]) {
        const [hi, lo] = murmurHash64A(data, seed);
        expect((BigInt(hi) << 32n) | BigInt(lo), `len ${len}`).to.equal(murmurRef(data, BigInt(seed)));
      }
    }
  });

  it('patLen: index is the low 14 bits, count 1 + trailing zeros of the rest, at most 51', () => {
    for (let i = 0; i < 2000; i++) {
      const ele = Buffer.from(`x${i}`);
      const h = murmurRef(ele, 0xadc83b19n);
      const { index, count } = patLen(ele);
      expect(index).to.equal(Number(h & 0x3fffn));
      let rest = (h >> 14n) | (1n << 50n);
      let expected = 1;
      while ((rest & 1n) === 0n) {
        rest >>= 1n;
        expected++;
      }
      expect(count).to.equal(expected);
    }
  });

  it('dense registers: 6-bit set/get without touching neighbours', () => {
    const b = new Uint8Array(HLL_DENSE_SIZE);
    const vals = Array.from({ length: HLL_REGISTERS }, (_, i) => (i * 37) % 64);
    for (let i = 0; i < HLL_REGISTERS; i++) denseSetRaw(b, HLL_HDR_SIZE, i, vals[i]);
    for (let i = 0; i < HLL_REGISTERS; i++) expect(denseGet(b, HLL_HDR_SIZE, i)).to.equal(vals[i]);
    denseSetRaw(b, HLL_HDR_SIZE, 5, 0);
    expect([4, 5, 6].map((i) => denseGet(b, HLL_HDR_SIZE, i))).to.deep.equal([vals[4], 0, vals[6]]);
  });

  it('an empty HLL is one XZERO, cache 0 valid; its estimate is 0', () => {
    const s = createHll();
    expect(s.len).to.equal(18);
    expect(decodeSparse(s.bytes())).to.equal('Z:16384');
    expect(cachedCard(s.bytes())).to.equal(0n);
    expect(estimate(histogram(s.bytes())!)).to.equal(0);
  });

  it('sparse edits hold the same registers as a dense HLL fed the same elements, across promotion', () => {
    for (const maxBytes of [3000, 200, 16]) {
      let sparse = createHll();
      const dense = sparseToDense(createHll())!;
      for (let i = 0; i < 3000; i++) {
        const ele = Buffer.from(`el-${maxBytes}-${i}`);
        sparse = hllAdd(sparse, ele, maxBytes).hll;
        hllAdd(dense, ele, maxBytes);
        if (i % 500 === 0 || i === 2999) {
          expect(registersOf(sparse)).to.deep.equal(registersOf(dense));
          expect(estimate(histogram(sparse.bytes())!)).to.equal(estimate(histogram(dense.bytes())!));
        }
      }
    }
  });

  it('validity: header, encoding byte, dense length; sparse opcodes must cover exactly 16384 registers', () => {
    const empty = createHll().bytes();
    expect(isValidHll(empty)).to.equal(true);
    expect(isValidHll(empty.subarray(0, 15))).to.equal(false);
    expect(isValidHll(Buffer.concat([Buffer.from('HYLX'), empty.subarray(4)]))).to.equal(false);
    const badEnc = Buffer.from(empty);
    badEnc[4] = 2;
    expect(isValidHll(badEnc)).to.equal(false);
    const dense = sparseToDense(createHll())!.bytes();
    expect(isValidHll(dense)).to.equal(true);
    expect(isValidHll(dense.subarray(0, dense.length - 1))).to.equal(false);
    const over = Buffer.concat([empty, Buffer.from([0x80])]); // one VAL past the end
    expect(histogram(over)).to.equal(null);
    expect(mergeInto(new Uint8Array(HLL_REGISTERS), over)).to.equal(false);
    expect(sparseToDense(new Sds(over))).to.equal(null);
    const short = Buffer.from(empty);
    short[17] = 0xfe; // XZERO of 16383
    expect(histogram(short)).to.equal(null);
  });

  it('a sparse set past the end of the opcodes answers corrupt (-1)', () => {
    const s = new Sds(Buffer.concat([createHll().bytes().subarray(0, 16), Buffer.from([0x00])])); // ZERO of 1 register only
    let corrupt = false;
    for (let i = 0; i < 50 && !corrupt; i++) corrupt = hllAdd(s, Buffer.from(`e${i}`), 3000).result === -1;
    expect(corrupt).to.equal(true);
  });
});
