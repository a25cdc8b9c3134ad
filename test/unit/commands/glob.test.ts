import { expect } from 'chai';
import { globMatch, globMatchString, globMatchWork } from '../../../server/commands/glob';

describe('commands/glob (Redis stringmatchlen)', () => {
  // [pattern, subject, matches]
  const table: Array<[string, string, boolean]> = [
    ['*', 'anything', true],
    ['*', '', false], // Redis quirk: the loop never runs on an empty subject (KEYS * short-circuits)
    ['', '', true],
    ['', 'a', false],
    ['a', '', false],
    ['hello', 'hello', true],
    ['hello', 'hellO', false],
    ['h?llo', 'hello', true],
    ['h?llo', 'hallo', true],
    ['h?llo', 'hllo', false],
    ['h*llo', 'hllo', true],
    ['h*llo', 'heeeello', true],
    ['h*llo', 'heeeellx', false],
    ['h[ae]llo', 'hello', true],
    ['h[ae]llo', 'hallo', true],
    ['h[ae]llo', 'hillo', false],
    ['h[^e]llo', 'hallo', true],
    ['h[^e]llo', 'hello', false],
    ['h[a-b]llo', 'hallo', true],
    ['h[a-b]llo', 'hbllo', true],
    ['h[a-b]llo', 'hcllo', false],
    ['[b-a]', 'a', true], // reversed ranges are swapped
    ['h\\*llo', 'h*llo', true],
    ['h\\*llo', 'hello', false],
    ['[\\]]', ']', true],
    ['[\\-]', '-', true],
    // '[a-]' reads as the range a..']' (93..97) in an unterminated class, as in Redis.
    ['[a-]', '-', false],
    ['[a-]', '^', true],
    ['[abc', 'a', true], // unterminated class tolerated
    ['[abc', 'ab', false],
    ['a*b', 'ab', true],
    ['a*b', 'axxb', true],
    ['a*b', 'axxc', false],
    ['a**', 'a', true],
    ['*a', 'a', true],
    ['*a*', 'bab', true],
    ['a?', 'a', false],
    ['\\', '\\', true],
    ['ab\\', 'ab\\', true],
    ['user:*:name', 'user:42:name', true],
    ['user:*:name', 'user:42:mail', false],
  ];
  for (const [p, s, m] of table) {
    it(`${JSON.stringify(p)} ${m ? 'matches' : 'does not match'} ${JSON.stringify(s)}`, () => {
      expect(globMatchString(p, s)).to.equal(m);
    });
  }

  it('nocase folds ASCII letters in literals and ranges', () => {
    expect(globMatchString('HELLO', 'hello', true)).to.equal(true);
    expect(globMatchString('H[A-Z]LLO', 'hello', true)).to.equal(true);
    expect(globMatchString('H[A-Z]LLO', 'hello', false)).to.equal(false);
  });

  it('is binary safe, and compares range bounds as signed chars like Redis on x86', () => {
    const m = (p: number[], s: number[]): boolean => globMatch(Buffer.from(p), Buffer.from(s));
    expect(m([0xff, 0x2a], [0xff, 0x00, 0x01])).to.equal(true);
    expect(m([0x00, 0x3f], [0x00, 0x80])).to.equal(true);
    // [\x00-\xff] is the signed range [-1, 0]: only 0xff and 0x00.
    const range = [0x5b, 0x00, 0x2d, 0xff, 0x5d];
    expect(m(range, [0x00])).to.equal(true);
    expect(m(range, [0xff])).to.equal(true);
    expect(m(range, [0x61])).to.equal(false);
    expect(m(range, [0x80])).to.equal(false);
  });

  it('does not blow up on abusive patterns (the work stays polynomial)', () => {
    const stars = globMatchWork('a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(60));
    expect(stars.matched).to.equal(false);
    // Naive backtracking would take ~C(60, 20) > 4e15 steps; skip-longer-matches keeps it near pattern x subject.
    expect(stars.calls).to.be.below(41 * 61 * 4);
    const many = globMatchWork('*'.repeat(2000) + 'x', 'a'.repeat(50) + 'x');
    expect(many.matched).to.equal(true);
    expect(many.calls).to.be.below(2001 * 52 * 2);
  });
});
