import { expect } from 'chai';
import { ZSetValue } from '../../server/keyspace/zset';
import { approxCos, approxDistance, decodeScore, distance, distanceIfWithin, encodeScoreBits, scanRanges, searchBoxes, type Shape } from '../../server/commands/geohash';
import { collect, distanceOrder, distanceText, exactDistance, type GeoPoint } from '../../server/commands/geo-candidates';
import { formatCoord, formatFixed, formatFixedExact, pqsort, toFixedAsPrintf } from '../../server/commands/geo';
import { formatLongDoubleHuman } from '../../server/commands/long-double';
import { rng } from '../support/rng';

/** The search as it was before approximations: the exact distance for every candidate. */
function collectExact(z: ZSetValue, shape: Shape, limit: number): Array<{ member: string; dist: number }> {
  const out: Array<{ member: string; dist: number }> = [];
  for (const [min, max] of scanRanges(searchBoxes(shape))) {
    if (limit > 0 && out.length >= limit) break;
    for (let n = z.index.firstInScoreRange({ min, max, minex: false, maxex: true }).node; n !== null && n.score < max; n = n.next[0]) {
      const [x, y] = decodeScore(n.score);
      const d = distanceIfWithin(shape, x, y);
      if (d !== null) out.push({ member: n.member, dist: d });
      if (limit > 0 && out.length >= limit) break;
    }
  }
  return out;
}

const exactAsc = (a: { dist: number }, b: { dist: number }) => (a.dist === b.dist ? 0 : a.dist > b.dist ? 1 : -1);

describe('geo search candidates (approximate distance, exact decisions)', () => {
  it('approxDistance is within 1e-13 of distance(), NaN for nearly antipodal points', () => {
    const r = rng(1);
    let nan = 0;
    for (let i = 0; i < 50000; i++) {
      const x1 = r() * 360 - 180;
      const y1 = r() * 170 - 85;
      const near = i % 2 === 0;
      const x2 = near ? x1 + (r() - 0.5) * 10 ** (-r() * 6) : r() * 360 - 180;
      const y2 = near ? Math.max(-85, Math.min(85, y1 + (r() - 0.5) * 10 ** (-r() * 6))) : r() * 170 - 85;
      const a = approxDistance(x1, y1, x2, y2, approxCos(y1), approxCos(y2));
      const e = distance(x1, y1, x2, y2);
      if (Number.isNaN(a)) {
        nan++;
        expect(e).to.be.above(2 * 6372797.560856 * Math.asin(0.98));
        continue;
      }
      expect(Math.abs(a - e)).to.be.at.most(e * 1e-13, `${x1},${y1} -> ${x2},${y2}`);
    }
    expect(nan).to.be.above(0);
    expect(approxDistance(10, 20, 10, 21, approxCos(20), approxCos(21))).to.equal(distance(10, 20, 10, 21));
  });

  it('formats distances ("%.4f") and coordinates ("%.17Lf" trimmed) as the BigInt expansion does, ties to even included', () => {
    const r = rng(4);
    const values: number[] = [0, -0, 0.03125, 0.09375, -0.09375, 2.5, 0.00005, 1e21, 1e20, -1e-30, 5e-324, 123456.78125, 1 / 3, 166274.15156960038];
    for (let i = 0; i < 4000; i++) {
      values.push(r() * 20037726 * 2, (r() - 0.5) * 360, Math.round(r() * 1e6) / 32, Math.round(r() * 1e9) / 2 ** 18, (r() - 0.5) * 10 ** (r() * 30 - 15));
      values.push(...decodeScore(Math.floor(r() * 2 ** 52)));
    }
    let ties = 0;
    for (const v of values) {
      expect(formatFixed(v, 4), String(v)).to.equal(formatFixedExact(v, 4));
      expect(formatFixed(v, 6), String(v)).to.equal(formatFixedExact(v, 6));
      expect(formatCoord(v), String(v)).to.equal(formatLongDoubleHuman(v));
      if (toFixedAsPrintf(v, 4) === null) ties++;
    }
    // The BigInt path was taken for ties (0.03125 at 4 places: "0.0312", not toFixed's "0.0313").
    expect(formatFixed(0.03125, 4)).to.equal('0.0312');
    expect(ties).to.be.above(100);
  });

  it('WITHDIST prints what the exact distance prints, also when it sits on a rounding boundary', () => {
    const r = rng(5);
    const z = ZSetValue.create(1000);
    for (let i = 0; i < 3000; i++) z.set(`m${i}`, Number(encodeScoreBits(-73.98 + (r() - 0.5) * 0.8, 40.75 + (r() - 0.5) * 0.8)));
    const f4 = (d: number) => formatFixed(d, 4);
    let checked = 0;
    for (const conversion of [1, 1000, 0.3048, 1609.34]) {
      const shape: Shape = { type: 'radius', x: -73.98, y: 40.75, conversion, radius: 50000 / conversion };
      for (const p of collect(z, shape, 0)) {
        expect(distanceText(shape, { ...p }, f4)).to.equal(f4(exactDistance(shape, { ...p }) / conversion));
        checked++;
      }
    }
    // Units chosen so that the distance lands on a "%.4f" tie (x.xxxx5): the approximation cannot decide those.
    const shape0: Shape = { type: 'radius', x: -73.98, y: 40.75, conversion: 1, radius: 50000 };
    for (const p of collect(z, shape0, 0).slice(0, 500)) {
      const exact = exactDistance(shape0, { ...p });
      const shape: Shape = { ...shape0, conversion: exact / 1234.56785 };
      const approx = { ...p, exact: false, dist: p.exact ? approxDistance(-73.98, 40.75, p.x, p.y, approxCos(40.75), approxCos(p.y)) : p.dist };
      expect(distanceText(shape, approx, f4)).to.equal(f4(exact / shape.conversion));
      checked++;
    }
    expect(checked).to.be.above(5000);
  });

  it('a set changed between searches is searched as changed (the flat score copy follows the version)', () => {
    const r = rng(3);
    const z = ZSetValue.create(2000);
    for (let i = 0; i < 3000; i++) z.set(`m${i}`, Number(encodeScoreBits(10 + r(), 50 + r())));
    const shape: Shape = { type: 'radius', x: 10.5, y: 50.5, conversion: 1000, radius: 30 };
    const members = () => collect(z, shape, 0).map((p) => p.member);
    const same = () => expect(members()).to.deep.equal(collectExact(z, shape, 0).map((p) => p.member));
    // Enough searches of the unchanged set to make the copy, then each kind of change.
    for (let k = 0; k < 4; k++) same();
    const before = z.version;
    z.set('new', Number(encodeScoreBits(10.5, 50.5)));
    expect(z.version).to.not.equal(before);
    expect(members()).to.include('new');
    for (let k = 0; k < 4; k++) same();
    z.set('new', Number(encodeScoreBits(10.5, 55)));
    expect(members()).to.not.include('new');
    for (let k = 0; k < 4; k++) same();
    z.set('new', Number(encodeScoreBits(10.5001, 50.5)));
    z.remove('m1');
    same();
    for (let k = 0; k < 4; k++) same();
    expect(z.remove('new')).to.equal(true);
    expect(members()).to.not.include('new');
    same();
  });

  it('a flat copy patched by many writes scans as the skiplist does (adds, re-scores, removals, ties, overflow)', function () {
    this.timeout(20000);
    const r = rng(6);
    const z = ZSetValue.create(2000);
    // A few shared positions, so equal scores are ordered by member bytes in the merge.
    const pos = () => (r() < 0.3 ? Number(encodeScoreBits(10.5 + 0.001 * Math.floor(r() * 4), 50.5)) : Number(encodeScoreBits(10 + r(), 50 + r())));
    for (let i = 0; i < 3000; i++) z.set(`m${i}`, pos());
    const shapes: Shape[] = [
      { type: 'radius', x: 10.5, y: 50.5, conversion: 1000, radius: 30 },
      { type: 'radius', x: 10.5, y: 50.5, conversion: 1000, radius: 1 },
      { type: 'box', x: 10.3, y: 50.6, conversion: 1000, width: 40, height: 20 },
    ];
    const same = () => {
      for (const shape of shapes) {
        for (const limit of [0, 7]) {
          expect(collect(z, shape, limit).map((p) => p.member)).to.deep.equal(collectExact(z, shape, limit).map((p) => p.member));
        }
      }
    };
    let next = 3000;
    let patched = 0;
    for (let round = 0; round < 60; round++) {
      if (z.changeObserver !== null) patched++; // a copy exists and is being patched
      const writes = round < 20 ? 1 + Math.floor(r() * 5) : Math.floor(r() * 60);
      for (let w = 0; w < writes; w++) {
        const x = r();
        const m = `m${Math.floor(r() * next)}`;
        if (x < 0.3) z.set(`m${next++}${r() < 0.1 ? '\xff' : ''}`, pos());
        else if (x < 0.7) z.set(m, pos());
        else if (x < 0.9) z.remove(m);
        else z.set(m, z.score(`m${Math.floor(r() * next)}`) ?? pos()); // onto another member's score
      }
      same();
    }
    expect(patched, 'rounds that patched a copy').to.be.above(30);
  });

  it('finds and orders the points the exact distance does, also on the limit, in ties and under COUNT', function () {
    this.timeout(20000);
    const r = rng(2);
    const z = ZSetValue.create(1000);
    const centre: [number, number] = [13.361389, 38.115556];
    for (let i = 0; i < 6000; i++) {
      // A third of the points share a few positions: equal distances.
      const dup = i % 3 === 0;
      const lon = dup ? centre[0] + 0.01 * (i % 7) : centre[0] + (r() - 0.5) * 2;
      const lat = dup ? centre[1] + 0.01 * (i % 5) : centre[1] + (r() - 0.5) * 2;
      z.set(`m${i}`, Number(encodeScoreBits(lon, lat)));
    }
    const members = [...z.elements()];
    const shapes: Shape[] = [];
    for (let k = 0; k < 12; k++) {
      // Radii equal to a member's exact distance (it is inside, by ==), and one ulp below (outside).
      const [x, y] = decodeScore(z.score(members[Math.floor(r() * members.length)])!);
      const d = distance(centre[0], centre[1], x, y);
      shapes.push({ type: 'radius', x: centre[0], y: centre[1], conversion: 1, radius: d });
      shapes.push({ type: 'radius', x: centre[0], y: centre[1], conversion: 1, radius: d * (1 - Number.EPSILON) });
      // A box whose east edge passes through the member: the east-west test at its limit.
      const w = distance(x, y, centre[0], y);
      shapes.push({ type: 'box', x: centre[0], y: centre[1], conversion: 1, width: 2 * w, height: 2e5 });
    }
    shapes.push({ type: 'radius', x: centre[0], y: centre[1], conversion: 1000, radius: 60 });
    shapes.push({ type: 'box', x: centre[0] + 0.3, y: centre[1], conversion: 1609.34, width: 50, height: 30 });
    for (const shape of shapes) {
      for (const limit of [0, 5]) {
        const want = collectExact(z, shape, limit);
        const got = collect(z, shape, limit);
        expect(got.map((p) => p.member)).to.deep.equal(want.map((p) => p.member));
        expect(got.map((p) => exactDistance(shape, p))).to.deep.equal(want.map((p) => p.dist));
        for (const desc of [false, true]) {
          const cmp = distanceOrder(shape, desc);
          const wcmp = desc ? (a: { dist: number }, b: { dist: number }) => -exactAsc(a, b) : exactAsc;
          // A full stable sort, and pqsort's partial one (COUNT 10).
          const full = collect(z, shape, limit).sort(cmp);
          expect(full.map((p) => p.member)).to.deep.equal([...want].sort(wcmp).map((p) => p.member));
          const cut: GeoPoint[] = collect(z, shape, limit);
          const wcut = [...want];
          if (cut.length > 10) {
            pqsort(cut, cmp, 0, 9);
            pqsort(wcut, wcmp, 0, 9);
            expect(cut.map((p) => p.member)).to.deep.equal(wcut.map((p) => p.member));
          }
        }
      }
    }
  });
});
