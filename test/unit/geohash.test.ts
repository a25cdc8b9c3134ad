import { expect } from 'chai';
import {
  EARTH_RADIUS_IN_METERS,
  decodeScore,
  distance,
  distanceIfWithin,
  encodeScoreBits,
  estimateSteps,
  geohashString,
  scanRanges,
  scoreToU64,
  searchBoxes,
} from '../../server/commands/geohash';
import { formatFixed, pqsort } from '../../server/commands/geo';
import { formatLongDoubleHuman } from '../../server/commands/long-double';
import { asin, cos, sin } from '../../server/commands/geo-libm';
import { DoubleReply } from '../../protocol/reply';
import { encodeReply } from '../../protocol/encoder';
import { ReplyReader, serializeReply } from '../../server/reply-codec';

/**
 * The pure geohash functions against values redis-server 7.0.15 printed for
 * the same inputs (GEOADD then ZSCORE / GEOPOS / GEOHASH / GEODIST).
 */
describe('geohash (Redis geohash.c / geohash_helper.c)', () => {
  const palermo = [13.361389, 38.115556] as const;
  const catania = [15.087269, 37.502669] as const;

  it('encodes a point into the 52-bit score GEOADD stores', () => {
    expect(encodeScoreBits(...palermo)).to.equal(3479099956230698n);
    expect(encodeScoreBits(...catania)).to.equal(3479447370796909n);
    expect(encodeScoreBits(0, 0)).to.equal(3377699720527872n);
    // The extreme corners: the top row/column spill into bit 52/53, as Redis's (uint32) offsets do.
    expect(encodeScoreBits(-180, -85.05112878)).to.equal(0n);
    expect(encodeScoreBits(180, 85.05112878)).to.equal((1n << 53n) | (1n << 52n));
  });

  it('decodes a score to the centre of its cell, printing the digits GEOPOS prints', () => {
    const [x, y] = decodeScore(3479099956230698);
    expect(formatLongDoubleHuman(x)).to.equal('13.36138933897018433');
    expect(formatLongDoubleHuman(y)).to.equal('38.11555639549629859');
    const [x2, y2] = decodeScore(3479447370796909);
    expect(formatLongDoubleHuman(x2)).to.equal('15.08726745843887329');
    expect(formatLongDoubleHuman(y2)).to.equal('37.50266842333162032');
  });

  it('round-trips random points to within half a cell', () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 2000; i++) {
      const lon = rnd() * 360 - 180;
      const lat = rnd() * 170.10225756 - 85.05112878;
      const [x, y] = decodeScore(Number(encodeScoreBits(lon, lat)));
      expect(Math.abs(x - lon)).to.be.below(360 / 2 ** 26);
      expect(Math.abs(y - lat)).to.be.below(170.2 / 2 ** 26);
    }
  });

  it('GEOHASH strings are standard geohashes (latitude -90..90), 11 characters ending in 0', () => {
    expect(geohashString(3479099956230698)).to.equal('sqc8b49rny0');
    expect(geohashString(3479447370796909)).to.equal('sqdtr74hyu0');
    expect(geohashString(0)).to.have.length(11);
  });

  it('scores that are not geohashes convert as C casts them to uint64', () => {
    expect(scoreToU64(1.5)).to.equal(1n);
    expect(scoreToU64(-5)).to.equal((1n << 64n) - 5n);
    expect(scoreToU64(Infinity)).to.equal(0n);
    expect(scoreToU64(-Infinity)).to.equal(1n << 63n);
  });

  it('haversine distance with Redis earth radius, same-meridian shortcut', () => {
    const [x1, y1] = decodeScore(3479099956230698);
    const [x2, y2] = decodeScore(3479447370796909);
    expect(formatFixed(distance(x1, y1, x2, y2), 4)).to.equal('166274.1516');
    expect(distance(10, 0, 10, 1)).to.equal(EARTH_RADIUS_IN_METERS * Math.abs(1 * (Math.PI / 180) - 0));
    expect(distance(5, 5, 5, 5)).to.equal(0);
  });

  it('box test checks latitude, then the longitude span at the point, then answers the distance', () => {
    const box = { type: 'box' as const, x: 0, y: 0, conversion: 1000, width: 200, height: 100 };
    expect(distanceIfWithin(box, 0.5, 0.3)).to.be.a('number');
    expect(distanceIfWithin(box, 0, 0.5)).to.equal(null); // 55 km north: outside a 100 km tall box
    expect(distanceIfWithin(box, 0.85, 0)).to.be.a('number');
    expect(distanceIfWithin(box, 0.95, 0)).to.equal(null); // 105 km east: outside a 200 km wide box
    expect(distanceIfWithin(box, 0.8, 0.4)).to.be.a('number');
    const circle = { type: 'radius' as const, x: 0, y: 0, conversion: 1, radius: 0 };
    expect(distanceIfWithin(circle, 0, 0)).to.equal(0);
    expect(distanceIfWithin(circle, 0, 1e-9)).to.equal(null);
  });

  it('step estimate: 26 for a zero radius, coarser near the poles', () => {
    expect(estimateSteps(0, 0)).to.equal(26);
    expect(estimateSteps(1000, 0)).to.equal(14);
    expect(estimateSteps(1000, 70)).to.equal(13);
    expect(estimateSteps(1000, 81)).to.equal(12);
    expect(estimateSteps(5e7, 0)).to.equal(1);
  });

  it('search boxes: nine around the centre, unreachable ones zeroed, repeated ones scanned once', () => {
    const small = searchBoxes({ type: 'radius', x: 13.36, y: 38.11, conversion: 1000, radius: 1 });
    expect(small).to.have.length(9);
    const ranges = scanRanges(small);
    expect(ranges.length).to.be.within(1, 9);
    for (const [min, max] of ranges) expect(max).to.be.greaterThan(min);
    // The centre's own cell holds the centre's score.
    const centre = Number(encodeScoreBits(13.36, 38.11));
    expect(ranges.some(([min, max]) => centre >= min && centre < max)).to.equal(true);
    // A radius bigger than the world: step 1, neighbours wrap onto each other.
    const huge = scanRanges(searchBoxes({ type: 'radius', x: 0, y: 0, conversion: 1000, radius: 40000 }));
    expect(huge.length).to.be.below(9);
  });

  it('sin/cos/asin give glibc\'s answer where V8 Math is one ulp off', () => {
    // Argument and glibc's result (printed by a C program on this machine); Math.* gives the neighbouring double.
    const cases: Array<[(x: number) => number, (x: number) => number, number, number]> = [
      [cos, Math.cos, 0.6693118956017585, 0.7842487834711179],
      [asin, Math.asin, 0.8810724313904463, 1.0781248202603535],
      [sin, Math.sin, -1.1908951727739825, -0.9287012950366409],
    ];
    for (const [f, m, x, want] of cases) {
      expect(f(x), String(x)).to.equal(want);
      expect(m(x), `Math on ${x}`).to.not.equal(want);
    }
    // Correctly rounded (300-bit mpmath), where glibc itself is off by one ulp: near-midpoint cases.
    expect(cos(-0.6284841844439513)).to.equal(0.8089196144580858);
    expect(asin(0.8324304029829229)).to.equal(0.9834793264448752);
    // Agreement with Math to within one ulp everywhere, and exact special values.
    for (let i = -2000; i <= 2000; i++) {
      const x = i / 317;
      expect(Math.abs(sin(x) - Math.sin(x))).to.be.at.most(2.3e-16);
      expect(Math.abs(cos(x) - Math.cos(x))).to.be.at.most(2.3e-16);
      if (Math.abs(x) <= 1) expect(Math.abs(asin(x) - Math.asin(x))).to.be.at.most(4.5e-16);
    }
    expect(sin(0)).to.equal(0);
    expect(Object.is(sin(-0), -0)).to.equal(true);
    expect(cos(0)).to.equal(1);
    expect(asin(1)).to.equal(Math.PI / 2);
    expect(Number.isNaN(asin(1.0000000000000002))).to.equal(true);
  });

  it('formatFixed is printf %.Nf: exact expansion, ties to even', () => {
    expect(formatFixed(0.03125, 4)).to.equal('0.0312'); // an exact tie: glibc rounds to even
    expect(formatFixed(0.09375, 4)).to.equal('0.0938');
    expect(formatFixed(166274.15156960038, 4)).to.equal('166274.1516');
    expect(formatFixed(200, 6)).to.equal('200.000000');
    expect(formatFixed(-0, 6)).to.equal('-0.000000');
    expect(formatFixed(1e22, 6)).to.equal('10000000000000000000000.000000');
    expect(formatFixed(Infinity, 6)).to.equal('inf');
    expect(formatFixed(0.1, 20)).to.equal('0.10000000000000000555');
  });

  it('pqsort sorts the requested rank range like a full sort would (ties aside)', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 300; round++) {
      const n = 1 + Math.floor(rnd() * 120);
      const a = Array.from({ length: n }, () => Math.floor(rnd() * 50));
      const sorted = [...a].sort((x, y) => x - y);
      const hi = Math.floor(rnd() * n);
      const b = [...a];
      pqsort(b, (x, y) => (x === y ? 0 : x > y ? 1 : -1), 0, hi);
      expect(b.slice(0, hi + 1), `n=${n} hi=${hi}`).to.deep.equal(sorted.slice(0, hi + 1));
      expect([...b].sort((x, y) => x - y)).to.deep.equal(sorted); // a permutation
    }
  });

  it('a coordinate reply keeps its text: RESP2 bulk, RESP3 double, and through the dedupe cache codec', () => {
    const r = new DoubleReply(13.361389338970184, '13.36138933897018433');
    expect(encodeReply(r, 2).toString()).to.equal('$20\r\n13.36138933897018433\r\n');
    expect(encodeReply(r, 3).toString()).to.equal(',13.36138933897018433\r\n');
    const back = new ReplyReader(serializeReply([r, new DoubleReply(1.5)])).reply();
    expect(back).to.deep.equal([r, new DoubleReply(1.5)]);
    expect(encodeReply(back, 3).toString()).to.equal('*2\r\n,13.36138933897018433\r\n,1.5\r\n');
  });
});
