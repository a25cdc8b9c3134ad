import { expect } from 'chai';
import { lockVerdict, type Grant, type LockHistory, type Section } from './lockload';
import type { FinalState } from './verdicts';

const grant = (owner: string, token: number, invoke: number, complete: number): Grant => ({ process: 0, node: 1, owner, token, invoke, complete });
const section = (owner: string, token: number | undefined, read: number, outcome: Section['outcome'] = 'ok', t = 0): Section => ({ process: 0, node: 1, owner, token, read, wrote: read + 1, invoke: t, complete: t + 1, outcome });
const history = (grants: Grant[], sections: Section[]): LockHistory => ({ lock: 'mutex', counter: 'ctr', grants, sections, nils: 0, errors: {} });
const finals = (v: number | null, other = v): FinalState =>
  new Map([
    [1, new Map([['ctr', v === null ? null : String(v)]])],
    [2, new Map([['ctr', other === null ? null : String(other)]])],
  ]);

describe('faults: lock verdict', () => {
  it('accepts a chain of sections, with an unknown one in between that did apply', () => {
    const h = history([grant('a', 5, 0, 1), grant('b', 9, 2, 3), grant('c', 12, 4, 5)], [section('a', 5, 0), section('b', 9, 1, 'info'), section('c', 12, 2)]);
    const v = lockVerdict(h, finals(3));
    expect(v.safety).to.deep.equal([]);
    expect(v.lost).to.deep.equal([]);
  });

  it('flags two acknowledged sections that read the same value (overlap lost an increment)', () => {
    const h = history([grant('a', 5, 0, 1), grant('b', 9, 2, 3)], [section('a', 5, 0), section('b', 9, 0)]);
    const v = lockVerdict(h, finals(1));
    expect(v.safety.join('\n')).to.match(/lost increment/);
    expect(v.lost.join('\n')).to.match(/final 1 < 2 acknowledged/);
  });

  it('flags a section that did not see its predecessor when no unknown section can explain it', () => {
    const h = history([grant('a', 5, 0, 1), grant('b', 9, 2, 3)], [section('a', 5, 3), section('b', 9, 7)]);
    expect(lockVerdict(h, finals(8)).safety.join('\n')).to.match(/read 7, but the previous acknowledged section/);
  });

  it('flags tokens that do not increase in grant order, and one token granted twice', () => {
    const h = history([grant('a', 9, 0, 1), grant('b', 5, 2, 3), grant('c', 5, 4, 5)], []);
    const s = lockVerdict(h, finals(0)).safety.join('\n');
    expect(s).to.match(/token 5 \(b.*is not above token 9/);
    expect(s).to.match(/token 5 granted to both b/);
  });

  it('flags a final counter outside [acknowledged, acknowledged + unknown] and nodes that disagree', () => {
    const h = history([grant('a', 5, 0, 1)], [section('a', 5, 0), section('x', 7, 1, 'info')]);
    expect(lockVerdict(h, finals(3)).lost.join('\n')).to.match(/final 3 > 1 acknowledged \+ 1 unknown/);
    expect(lockVerdict(h, finals(0)).lost.join('\n')).to.match(/final 0 < 1/);
    expect(lockVerdict(h, finals(1, 2)).lost.join('\n')).to.match(/nodes disagree/);
  });
});
