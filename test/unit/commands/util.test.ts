import { expect } from 'chai';
import { addInt64, formatIncrFloat, isToken, parseFloat64, parseInt64 } from '../../../server/commands/util';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('commands/util', () => {
  describe('parseInt64 (Redis string2ll)', () => {
    const valid: Array<[string, number | bigint]> = [
      ['0', 0],
      ['1', 1],
      ['-1', -1],
      ['123456789', 123456789],
      ['9007199254740991', 9007199254740991],
      ['9007199254740992', 9007199254740992n],
      ['-9007199254740992', -9007199254740992n],
      ['9223372036854775807', 9223372036854775807n],
      ['-9223372036854775808', -9223372036854775808n],
    ];
    for (const [s, v] of valid) {
      it(`accepts ${JSON.stringify(s)}`, () => expect(parseInt64(b(s))).to.equal(v));
    }
    const invalid = ['', '-', '+1', ' 1', '1 ', '01', '-0', '00', '1.0', '1e3', 'abc', '0x10', '9223372036854775808',
      '-9223372036854775809', '123456789012345678901', '1\x002'];
    for (const s of invalid) {
      it(`rejects ${JSON.stringify(s)}`, () => expect(parseInt64(b(s))).to.equal(null));
    }
  });

  describe('addInt64', () => {
    it('adds exactly across the safe-integer boundary', () => {
      expect(addInt64(9007199254740991, 1)).to.equal(9007199254740992n);
      expect(addInt64(9007199254740992n, -1)).to.equal(9007199254740991);
    });
    it('reports int64 overflow as null', () => {
      expect(addInt64(9223372036854775807n, 1)).to.equal(null);
      expect(addInt64(-9223372036854775808n, -1)).to.equal(null);
      expect(addInt64(9223372036854775806n, 1)).to.equal(9223372036854775807n);
    });
  });

  describe('parseFloat64 (Redis string2ld)', () => {
    const valid: Array<[string, number]> = [
      ['1', 1],
      ['-1.5', -1.5],
      ['.5', 0.5],
      ['5.', 5],
      ['+2', 2],
      ['1e3', 1000],
      ['1E-3', 0.001],
      ['inf', Infinity],
      ['-inf', -Infinity],
      ['+Infinity', Infinity],
      ['0x10', 16],
      ['0x1p4', 16],
      ['0x.8', 0.5],
      ['0', 0],
      ['0.0e10', 0],
    ];
    for (const [s, v] of valid) {
      it(`accepts ${JSON.stringify(s)}`, () => expect(parseFloat64(b(s))).to.equal(v));
    }
    const invalid = ['', ' 1', '1 ', 'nan', 'NaN', 'abc', '1e400', '1e-400', '1.2.3', '0x', '.', 'e5', '1\x002', '--1'];
    for (const s of invalid) {
      it(`rejects ${JSON.stringify(s)}`, () => expect(parseFloat64(b(s))).to.equal(null));
    }
  });

  describe('formatIncrFloat', () => {
    const cases: Array<[number, number | undefined, string]> = [
      [10.5 + 0.1, 10.5, '10.6'],
      [10.6 - 5, 10.6, '5.6'],
      [5000 + 200, 5000, '5200'],
      [3000, undefined, '3000'],
      [0.1 + 0.2, 0.2, '0.3'],
      [1 - 1.1, 1.1, '-0.1'],
      [1e15 + 0.5, 1e15, '1000000000000000.5'],
      [17179869184 + 1.5, 17179869184, '17179869185.5'],
      [-0, undefined, '0'],
      [1.5e-18, undefined, '0'],
      [1e-7, undefined, '0.0000001'],
      [1.5e21, undefined, '1500000000000000000000'],
      [-2.5, undefined, '-2.5'],
      [Math.PI, undefined, '3.141592653589793'],
    ];
    for (const [x, mag, out] of cases) {
      it(`${x} -> ${out}`, () => expect(formatIncrFloat(x, mag)).to.equal(out));
    }
  });

  it('isToken compares ASCII case-insensitively and by length', () => {
    expect(isToken(b('NX'), 'nx')).to.equal(true);
    expect(isToken(b('nX'), 'nx')).to.equal(true);
    expect(isToken(b('nxx'), 'nx')).to.equal(false);
    expect(isToken(b('n'), 'nx')).to.equal(false);
  });
});
