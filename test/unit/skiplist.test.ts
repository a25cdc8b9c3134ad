import { expect } from 'chai';
import { MINUS_INF, PLUS_INF, Skiplist, compare, levelOf } from '../../server/keyspace/skiplist';
import { rng } from '../support/rng';

type El = [number, string];

function sortModel(m: El[]): void {
  m.sort((a, b) => compare(a[0], a[1], b[0], b[1]));
}

describe('skiplist (ordered index with spans)', () => {
  it('levels come from the member hash: deterministic, about 1/4 promoted per level', () => {
    expect(levelOf('abc')).to.equal(levelOf('abc'));
    const counts = new Array<number>(20).fill(0);
    for (let i = 0; i < 100000; i++) counts[levelOf(`m${i}`)]++;
    expect(counts[1] / 100000).to.be.within(0.73, 0.77);
    expect(counts[2] / 100000).to.be.within(0.17, 0.2);
    expect(counts[3] / 100000).to.be.within(0.04, 0.055);
  });

  it('the structure depends on the elements only, not on insertion order', () => {
    const a = new Skiplist();
    const b = new Skiplist();
    const els: El[] = [];
    for (let i = 0; i < 500; i++) els.push([i % 17, `m${i}`]);
    for (const [s, m] of els) a.insert(s, m);
    for (const [s, m] of [...els].reverse()) b.insert(s, m);
    const shape = (z: Skiplist): string[] => [...z].map((n) => `${n.score}:${n.member}:${n.next.length}:${n.span.slice(0, n.next.length).map((x, i) => (n.next[i] ? x : '-')).join(',')}`);
    expect(shape(a)).to.deep.equal(shape(b));
  });

  for (const seed of [1, 2, 3, 42, 1234]) {
    it(`random inserts, deletes and score updates match a sorted-array model (seed ${seed})`, () => {
      const rand = rng(seed);
      const z = new Skiplist();
      const scores = new Map<string, number>();
      const model: El[] = [];
      const pickScore = (): number => {
        const r = rand();
        if (r < 0.05) return rand() < 0.5 ? -Infinity : Infinity;
        if (r < 0.5) return Math.floor(rand() * 20); // many ties: member order decides
        return (rand() - 0.5) * 1000;
      };
      for (let step = 0; step < 4000; step++) {
        const member = `k${Math.floor(rand() * 600)}`;
        const op = rand();
        const cur = scores.get(member);
        if (op < 0.5) {
          const s = pickScore();
          if (cur === undefined) {
            z.insert(s, member);
            model.push([s, member]);
          } else {
            z.updateScore(cur, member, s);
            model.find((e) => e[1] === member)![0] = s;
          }
          scores.set(member, s);
          sortModel(model);
        } else if (op < 0.8) {
          const ok = z.delete(cur ?? 0, member);
          expect(ok).to.equal(cur !== undefined && true);
          if (cur !== undefined) {
            model.splice(model.findIndex((e) => e[1] === member), 1);
            scores.delete(member);
          }
        } else {
          // Rank queries both ways.
          if (model.length > 0) {
            const r = Math.floor(rand() * model.length);
            const n = z.byRank(r + 1)!;
            expect([n.score, n.member]).to.deep.equal(model[r]);
            expect(z.rankOf(model[r][0], model[r][1])).to.equal(r + 1);
          }
          expect(z.rankOf(0, 'absent')).to.equal(0);
        }
        if (step % 200 === 0) z.verify();
      }
      z.verify();
      expect([...z].map((n) => [n.score, n.member])).to.deep.equal(model);
      // Score ranges: first/last in range and their ranks against the model.
      for (let i = 0; i < 200; i++) {
        let min = pickScore();
        let max = pickScore();
        if (min > max) [min, max] = [max, min];
        const r = { min, max, minex: rand() < 0.5, maxex: rand() < 0.5 };
        const inR = model.map((e, k) => ({ e, k })).filter(({ e }) => (r.minex ? e[0] > min : e[0] >= min) && (r.maxex ? e[0] < max : e[0] <= max));
        const f = z.firstInScoreRange(r);
        const l = z.lastInScoreRange(r);
        if (inR.length === 0) {
          expect(f.node).to.equal(null);
          expect(l.node).to.equal(null);
        } else {
          expect(f.rank).to.equal(inR[0].k + 1);
          expect(l.rank).to.equal(inR[inR.length - 1].k + 1);
          expect(f.node!.member).to.equal(inR[0].e[1]);
          expect(l.node!.member).to.equal(inR[inR.length - 1].e[1]);
        }
      }
    });
  }

  it('lex ranges over equal scores', () => {
    const z = new Skiplist();
    for (const m of ['a', 'b', 'c', 'd', 'e']) z.insert(0, m);
    const range = (min: string | symbol, minex: boolean, max: string | symbol, maxex: boolean): [number, number] => {
      const r = { min: min as string, max: max as string, minex, maxex };
      return [z.firstInLexRange(r).rank, z.lastInLexRange(r).rank];
    };
    expect(range(MINUS_INF, true, PLUS_INF, true)).to.deep.equal([1, 5]);
    expect(range('b', false, 'd', false)).to.deep.equal([2, 4]);
    expect(range('b', true, 'd', true)).to.deep.equal([3, 3]);
    expect(range('bb', false, 'cc', false)).to.deep.equal([3, 3]);
    expect(range('c', true, 'c', false)).to.deep.equal([0, 0]);
    expect(range(PLUS_INF, true, MINUS_INF, true)).to.deep.equal([0, 0]);
    expect(range('z', false, PLUS_INF, true)).to.deep.equal([0, 0]);
  });

  it('ranks on 100,000 members', () => {
    const z = new Skiplist();
    const n = 100000;
    for (let i = 0; i < n; i++) z.insert(i % 1000, `m${String(i).padStart(6, '0')}`);
    z.verify();
    // Order: score = i % 1000, then member; rank of (s, m) = s*100 + (i div 1000) + 1.
    for (const i of [0, 1, 999, 1000, 54321, 99999]) {
      const s = i % 1000;
      const rank = s * 100 + Math.floor(i / 1000) + 1;
      expect(z.rankOf(s, `m${String(i).padStart(6, '0')}`)).to.equal(rank);
      expect(z.byRank(rank)!.member).to.equal(`m${String(i).padStart(6, '0')}`);
    }
    expect(z.byRank(n)!.member).to.equal('m099999');
    expect(z.byRank(n + 1)).to.equal(null);
  });

  it('buildSorted (restore) makes the same list as inserts, and it keeps working after', () => {
    const rand = rng(42);
    const scores: number[] = [];
    const members: string[] = [];
    for (let i = 0; i < 5000; i++) {
      scores.push(Math.floor(rand() * 300));
      members.push(`m${i}:${Math.floor(rand() * 1e6)}`);
    }
    const inserted = new Skiplist();
    for (let i = 0; i < scores.length; i++) inserted.insert(scores[i], members[i]);
    const order = new Uint32Array(scores.length).map((_, i) => i);
    order.sort((a, b) => compare(scores[a], members[a], scores[b], members[b]));
    const built = new Skiplist();
    built.buildSorted(scores, members, order);
    built.verify();
    expect([...built].map((n) => [n.score, n.member])).to.deep.equal([...inserted].map((n) => [n.score, n.member]));
    // The same toggles on both: they must agree on every step and end identical.
    for (let i = 0; i < 2000; i++) {
      const k = Math.floor(rand() * scores.length);
      const gone = built.delete(scores[k], members[k]);
      expect(inserted.delete(scores[k], members[k])).to.equal(gone);
      if (!gone) {
        built.insert(scores[k], members[k]);
        inserted.insert(scores[k], members[k]);
      }
    }
    expect([...built].map((n) => n.member)).to.deep.equal([...inserted].map((n) => n.member));
    for (let k = 0; k < 50; k++) expect(built.rankOf(scores[k], members[k])).to.equal(inserted.rankOf(scores[k], members[k]));
    built.verify();
  });
});
