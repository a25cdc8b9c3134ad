/**
 * The RDB serialization modules (server/rdb/) on their own: checksums,
 * LZF, listpacks, intsets, ziplists, score text, and the decoder's
 * behaviour on every damaged payload (an RdbFormatError, never a crash).
 */
import { expect } from 'chai';
import { crc64 } from '../../server/rdb/crc64';
import { lzfCompress, lzfDecompress } from '../../server/rdb/lzf';
import { decodeListpack, encodeListpack } from '../../server/rdb/listpack';
import { decodeIntset, encodeIntset } from '../../server/rdb/intset';
import { decodeZiplist, decodeZipmap } from '../../server/rdb/ziplist';
import { formatG17, listpackScore } from '../../server/rdb/score';
import { RdbFormatError, RdbReader, RdbWriter, scanDouble, verifyPayload } from '../../server/rdb/format';
import { decodePayload } from '../../server/rdb/decode';
import { dumpValue } from '../../server/rdb/encode';
import { buildValue } from '../../server/rdb/build';
import { ListValue } from '../../server/keyspace/list';
import { HashValue } from '../../server/keyspace/hash';
import { SetValue } from '../../server/keyspace/set';
import { ZSetValue } from '../../server/keyspace/zset';
import { stringValue } from '../../server/keyspace/object';
import { legacy, ziplist, zipmap } from './rdb-legacy';

/** A small deterministic PRNG (xorshift32) so failures replay. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const INT_EDGES = [
  '0', '1', '12', '13', '127', '128', '-1', '-128', '-129', '4095', '4096', '-4096', '-4097', '32767', '32768', '-32768', '-32769',
  '8388607', '8388608', '-8388608', '-8388609', '2147483647', '2147483648', '-2147483648', '-2147483649',
  '9223372036854775807', '-9223372036854775808',
];
const NOT_INTS = ['', '-0', '007', '+1', ' 1', '1 ', '9223372036854775808', '-9223372036854775809', '1.5', 'abc'];

describe('rdb: checksums and compression', () => {
  it('crc64 is Redis\'s Jones CRC-64 (crc64.c test vector)', () => {
    expect(crc64(Buffer.from('123456789')).readBigUInt64LE(0)).to.equal(0xe9c6d914c4b8d9can);
    expect(crc64(Buffer.alloc(0)).readBigUInt64LE(0)).to.equal(0n);
  });

  it('LZF round-trips compressible and random data and refuses what does not fit', () => {
    const rand = rng(7);
    for (const len of [64, 1000, 70000]) {
      const text = Buffer.from('abcabcabd'.repeat(Math.ceil(len / 9)).slice(0, len));
      const c = lzfCompress(text, len - 4);
      expect(c, `len ${len}`).to.not.equal(null);
      expect(lzfDecompress(c!, len)!.equals(text)).to.equal(true);
      const noise = Buffer.from(Array.from({ length: len }, () => Math.floor(rand() * 256)));
      expect(lzfCompress(noise, len - 4)).to.equal(null);
    }
  });

  it('LZF decompression rejects bad references, overruns and short output', () => {
    expect(lzfDecompress(Buffer.from([0x20, 0x05]), 3)).to.equal(null); // reference before the start
    expect(lzfDecompress(Buffer.from([0x05, 0x61]), 6)).to.equal(null); // literal past the input
    expect(lzfDecompress(Buffer.from([0x01, 0x61, 0x62]), 3)).to.equal(null); // too short
    expect(lzfDecompress(Buffer.from([0x01, 0x61, 0x62]), 1)).to.equal(null); // too long
    expect(lzfDecompress(Buffer.from([0x00, 0x61, 0x20, 0x00]), 4)!.toString()).to.equal('aaaa');
  });
});

describe('rdb: element encodings', () => {
  it('listpacks round-trip integers of every width, strings of every length class and binary data', () => {
    const items = [...INT_EDGES, ...NOT_INTS, 'x'.repeat(63), 'y'.repeat(64), 'z'.repeat(4095), 'w'.repeat(4096), '\x00\xff\r\n', 'q'.repeat(20000)];
    const lp = encodeListpack(items);
    expect(decodeListpack(lp)).to.deep.equal(items);
    expect(lp.readUInt32LE(0)).to.equal(lp.length);
  });

  it('listpack entry bytes are Redis\'s (lpAppend)', () => {
    expect(encodeListpack(['a', '5', '-1', '300'])).to.deep.equal(
      Buffer.from([0x12, 0, 0, 0, 4, 0, 0x81, 0x61, 2, 0x05, 1, 0xdf, 0xff, 2, 0xc1, 0x2c, 2, 0xff]),
    );
  });

  it('damaged listpacks are refused', () => {
    const lp = encodeListpack(['abc', '12345', 'x'.repeat(200)]);
    for (let i = 0; i < lp.length; i++) {
      const bad = Buffer.from(lp);
      bad[i] ^= 0x5a;
      try {
        decodeListpack(bad);
      } catch (e) {
        expect(e).to.be.instanceOf(RdbFormatError);
      }
    }
    for (let n = 0; n < lp.length; n++) expect(() => decodeListpack(lp.subarray(0, n))).to.throw(RdbFormatError);
  });

  it('intsets pick the narrowest width and validate order', () => {
    expect(encodeIntset(['3', '1', '2']).readUInt32LE(0)).to.equal(2);
    expect(encodeIntset(['1', '40000']).readUInt32LE(0)).to.equal(4);
    expect(encodeIntset(['1', '-3000000000']).readUInt32LE(0)).to.equal(8);
    expect(decodeIntset(encodeIntset(['5', '-9223372036854775808', '0']))).to.deep.equal(['-9223372036854775808', '0', '5']);
    const bad = encodeIntset(['1', '2']);
    bad.writeInt16LE(5, 8);
    expect(() => decodeIntset(bad)).to.throw(RdbFormatError);
  });

  it('ziplists and zipmaps of older Redis versions decode', () => {
    const items = [...INT_EDGES, ...NOT_INTS, 'v'.repeat(300), 'u'.repeat(17000)];
    expect(decodeZiplist(ziplist(items))).to.deep.equal(items);
    expect(decodeZipmap(zipmap(['f', 'v', 'long', 'x'.repeat(300)], 3))).to.deep.equal(['f', 'v', 'long', 'x'.repeat(300)]);
    const zm = zipmap(['f', 'v']);
    zm[0] = 2;
    expect(() => decodeZipmap(zm)).to.throw(RdbFormatError, 'count');
    zm[0] = 255;
    expect(() => decodeZipmap(zm)).to.throw(RdbFormatError, 'count');
    zm[0] = 254;
    expect(decodeZipmap(zm)).to.deep.equal(['f', 'v']);
    const zl = ziplist(['a', 'b']);
    for (let n = 0; n < zl.length; n++) expect(() => decodeZiplist(zl.subarray(0, n))).to.throw(RdbFormatError);
  });

  it('listpack scores: integers within 2^62, else %.17g', () => {
    expect(listpackScore(-0)).to.equal('0');
    expect(listpackScore(3)).to.equal('3');
    expect(listpackScore(2 ** 62)).to.equal('4611686018427387904');
    expect(listpackScore(2 ** 63)).to.equal('9.2233720368547758e+18');
    expect(listpackScore(0.1)).to.equal('0.10000000000000001');
    expect(listpackScore(1.5)).to.equal('1.5');
    expect(listpackScore(1e-5)).to.equal('1.0000000000000001e-05');
    expect(listpackScore(0.0001)).to.equal('0.0001');
    expect(listpackScore(1e20)).to.equal('1e+20');
    expect(listpackScore(-1.5e-300)).to.equal('-1.5000000000000001e-300');
    expect(listpackScore(Infinity)).to.equal('inf');
    expect(listpackScore(-Infinity)).to.equal('-inf');
    expect(formatG17(123.456)).to.equal('123.456');
    expect(formatG17(5e-324)).to.equal('4.9406564584124654e-324');
  });
});

describe('rdb: payloads', () => {
  it('a payload footer carries version 10 and a verifiable CRC; any change breaks it', () => {
    const p = dumpValue(stringValue(Buffer.from('hello')));
    expect(p.readUInt16LE(p.length - 10)).to.equal(10);
    expect(verifyPayload(p)).to.deep.equal({ version: 10 });
    for (let i = 0; i < p.length; i++) {
      const bad = Buffer.from(p);
      bad[i] ^= 1;
      expect(verifyPayload(bad), `byte ${i}`).to.equal(null);
    }
    expect(verifyPayload(p.subarray(0, 9))).to.equal(null);
    const v12 = new RdbWriter();
    v12.byte(0);
    v12.string(Buffer.from('x'));
    expect(verifyPayload(v12.finish(12))).to.equal(null);
    expect(verifyPayload(v12.finish(11))).to.deep.equal({ version: 11 });
  });

  it('every type round-trips through dump, decode and build with its encoding', () => {
    const l = ListValue.from(['a', '1', '-70000', 'x'.repeat(5000)]);
    const h = new HashValue();
    h.set('f', 'v');
    h.set('n', '12');
    const s = new SetValue();
    for (const m of ['1', '2', '-5']) s.add(m);
    const z = ZSetValue.create();
    z.set('a', 1.5);
    z.set('b', -Infinity);
    for (const v of [stringValue(Buffer.from('12345')), l, h, s, z]) {
      const p = dumpValue(v);
      const back = buildValue(decodePayload(p, 10));
      expect(back.type).to.equal(v.type);
      expect(dumpValue(back).equals(p), v.type).to.equal(true);
      if (v.type !== 'string' && back.type !== 'string') expect(back.encoding()).to.equal(v.encoding());
    }
  });

  it('legacy encodings decode to the same elements', () => {
    const list = ['a', '7', '-300', 'b'.repeat(100)];
    for (const p of [legacy.listZiplist(list), legacy.quicklistV1([list.slice(0, 2), [], list.slice(2)]), legacy.list(list)]) {
      expect(decodePayload(p, 9)).to.deep.equal({ type: 'list', items: list });
    }
    const pairs = ['f', 'v', 'num', '42'];
    for (const p of [legacy.hash(pairs), legacy.hashZiplist(pairs), legacy.hashZipmap(pairs, 2)]) {
      expect(decodePayload(p, 9)).to.deep.equal({ type: 'hash', pairs });
    }
    expect(decodePayload(legacy.zsetZiplist(['a', 'xyz', 'b', '2junk']), 9)).to.deep.equal({ type: 'zset', members: ['a', 'b'], scores: [0, 2] });
    expect(decodePayload(legacy.zsetZiplist(['a', '1.5', 'b', '2']), 9)).to.deep.equal({ type: 'zset', members: ['a', 'b'], scores: [1.5, 2] });
    expect(decodePayload(legacy.zsetText([['a', '0.25'], ['b', 'inf'], ['c', '-inf']]), 9)).to.deep.equal({
      type: 'zset',
      members: ['a', 'b', 'c'],
      scores: [0.25, Infinity, -Infinity],
    });
  });

  it('empty values, duplicates, NaN scores and unknown types are bad data', () => {
    const bad = [
      legacy.list([]),
      legacy.listZiplist([]),
      legacy.quicklistV1([[], []]),
      legacy.set(['a', 'a']),
      legacy.hash(['f', '1', 'f', '2']),
      legacy.hashZiplist(['f', '1', 'f', '2']),
      legacy.hashZiplist(['f']),
      legacy.zsetZiplist(['a', 'nan']),
      legacy.zsetText([['a', '1'], ['a', '2']]),
      // A stream of no nodes claiming one entry (an empty one is valid: rdb-stream.test.ts).
      Buffer.concat([Buffer.of(15, 0, 1), Buffer.alloc(12)]),
      Buffer.concat([Buffer.of(99), Buffer.alloc(12)]),
    ];
    for (const p of bad) expect(() => decodePayload(p, 9)).to.throw(RdbFormatError);
  });

  it('random damage to valid bodies only ever throws RdbFormatError (or decodes)', () => {
    const rand = rng(42);
    const samples = [
      dumpValue(ListValue.from(Array.from({ length: 300 }, (_, i) => (i % 3 ? `e${i}` : String(i * 1000))))),
      dumpValue(stringValue(Buffer.from('abcdefgh'.repeat(40)))),
      legacy.hashZipmap(['a', 'b', 'cc', 'dd']),
      legacy.quicklistV1([['1', '2', 'x'.repeat(70)]]),
      legacy.zsetText([['m', '1.25']]),
    ];
    for (const s of samples) {
      for (let round = 0; round < 400; round++) {
        const body = Buffer.from(s.subarray(0, s.length - 10));
        const flips = 1 + Math.floor(rand() * 3);
        for (let f = 0; f < flips; f++) body[Math.floor(rand() * body.length)] = Math.floor(rand() * 256);
        const cut = rand() < 0.2 ? Math.floor(rand() * body.length) : body.length;
        const p = Buffer.concat([body.subarray(0, cut), Buffer.alloc(10)]);
        try {
          buildValue(decodePayload(p, 10));
        } catch (e) {
          expect(e, String(e)).to.be.instanceOf(RdbFormatError);
        }
      }
    }
  });

  it('the reader runs over the footer as Redis\'s does: a value may end inside it', () => {
    const w = new RdbWriter();
    w.byte(0);
    w.len(5);
    w.bytes(Buffer.from('hel'));
    const p = w.finish();
    expect(decodePayload(p, 10)).to.deep.equal({ type: 'string', value: p.subarray(2, 7) });
    expect(p.subarray(5, 7)).to.deep.equal(Buffer.from([10, 0])); // the version bytes
  });

  it('an LZF string claiming more than its data can expand to is refused before allocating', () => {
    const w = new RdbWriter();
    w.byte(0);
    w.byte(0xc3);
    w.len(3);
    w.len(400 * 1024 * 1024);
    w.bytes(Buffer.from([0x00, 0x61, 0xe0]));
    expect(() => decodePayload(w.finish(), 10)).to.throw(RdbFormatError, 'impossible LZF length');
    // The densest real stream: one literal, then 3-byte references of 264 bytes each.
    const big = Buffer.alloc(100000, 0x61);
    const c = lzfCompress(big, big.length - 4)!;
    expect(big.length).to.be.at.most(c.length * 88);
    expect(lzfDecompress(c, big.length)!.equals(big)).to.equal(true);
  });

  it('RDB_TYPE_ZSET text scores read as sscanf %lg does (a valid prefix counts)', () => {
    expect(scanDouble('1x2')).to.equal(1);
    expect(scanDouble('  -2.5e3junk')).to.equal(-2500);
    expect(scanDouble('1e')).to.equal(1);
    expect(scanDouble('.5')).to.equal(0.5);
    expect(scanDouble('-inf')).to.equal(-Infinity);
    expect(scanDouble('Infinity')).to.equal(Infinity);
    expect(Number.isNaN(scanDouble('nan'))).to.equal(true);
    expect(scanDouble('x1')).to.equal(null);
    expect(scanDouble('')).to.equal(null);
    expect(scanDouble('-')).to.equal(null);
    expect(scanDouble('0x1A')).to.equal(26);
    expect(scanDouble('-0x1.8p1')).to.equal(-3);
  });

  it('an encoding tag where a length belongs reads as its low 6 bits (rdbLoadLen)', () => {
    const w = new RdbWriter();
    w.byte(2); // SET
    w.byte(0xc2); // "int32 follows" as a length: 2
    w.string(Buffer.from('a'));
    w.string(Buffer.from('b'));
    expect(decodePayload(w.finish(), 10)).to.deep.equal({ type: 'set', members: ['a', 'b'] });
  });

  it('lengths: 6, 14, 32 and 64-bit forms read back', () => {
    for (const n of [0, 63, 64, 16383, 16384, 2 ** 32 - 1, 2 ** 32, 2 ** 40]) {
      const w = new RdbWriter();
      w.len(n);
      const r = new RdbReader(w.finish().subarray(0, -10));
      expect(r.len()).to.equal(n);
    }
  });
});
