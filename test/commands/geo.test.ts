/**
 * Geo commands side by side with redis-server 7.0 (same inputs, replies
 * compared byte for byte in RESP2 and RESP3, through our own RESP parser
 * that keeps every wire distinction), then through real clients: ioredis,
 * node-redis in RESP3 and redis-py.
 */
import { expect } from 'chai';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { spawnSync } from 'node:child_process';
import { startServer, type RunningServer } from '../support/proc';
import { startReferenceRedis, type ReferenceRedis } from '../support/reference-redis';
import { RespConn, show, text, type Reply } from '../differential/resp';
import { Rng } from '../differential/generator';

interface Side {
  rc: RespConn;
  redis: RespConn;
}

async function both(s: Side, argv: string[]): Promise<[string, string]> {
  const [a, b] = await Promise.all([s.rc.call(argv), s.redis.call(argv)]);
  return [show(a), show(b)];
}

/** Runs every command on both servers; the first differing reply fails with its command. */
async function expectSame(s: Side, cmds: string[][]): Promise<number> {
  let nonEmpty = 0;
  for (const argv of cmds) {
    const [ours, theirs] = await both(s, argv);
    expect({ cmd: argv.join(' '), reply: ours }).to.deep.equal({ cmd: argv.join(' '), reply: theirs });
    if (ours.startsWith('[') && ours !== '[]') nonEmpty++;
  }
  return nonEmpty;
}

/** ZRANGE WITHSCORES as [member, score-as-number]: redis-server 7.0 prints "%.17g", raftcache the shortest form (7.2). */
async function scoresAsNumbers(c: RespConn, key: string): Promise<Array<[string, number]>> {
  const r = await c.call(['ZRANGE', key, '0', '-1', 'WITHSCORES']);
  const items = (r as { items?: Reply[] }).items ?? [];
  const flat = items.flatMap((x) => ((x as { items?: Reply[] }).items ? (x as { items: Reply[] }).items : [x]));
  const out: Array<[string, number]> = [];
  for (let i = 0; i < flat.length; i += 2) {
    const score = flat[i + 1] as { t: string; s?: string };
    out.push([text(flat[i]) ?? '?', Number(score.t === ',' ? score.s : text(flat[i + 1]))]);
  }
  return out;
}

const FIXED: string[][] = [
  ['GEOADD', 'k', '13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania'],
  ['GEOPOS', 'k', 'Palermo', 'nx', 'Catania'],
  ['GEODIST', 'k', 'Palermo', 'Catania'],
  ['GEODIST', 'k', 'Palermo', 'Catania', 'km'],
  ['GEODIST', 'k', 'Palermo', 'Catania', 'MI'],
  ['GEODIST', 'k', 'Palermo', 'Catania', 'ft'],
  ['GEODIST', 'k', 'Palermo', 'nx'],
  ['GEODIST', 'k', 'Palermo', 'Catania', 'foo'],
  ['GEODIST', 'k', 'Palermo', 'Catania', 'km', 'x'],
  ['GEOHASH', 'k', 'Palermo', 'Catania', 'nx'],
  ['GEOHASH', 'k'],
  ['GEOPOS', 'k'],
  ['GEORADIUS', 'k', '15', '37', '200', 'km', 'WITHDIST', 'WITHCOORD', 'WITHHASH'],
  ['GEORADIUS', 'k', '15', '37', '200', 'km', 'withdist', 'withcoord', 'withhash', 'COUNT', '1', 'DESC'],
  ['GEORADIUS_RO', 'k', '15', '37', '200', 'km', 'ASC', 'WITHDIST'],
  ['GEORADIUSBYMEMBER', 'k', 'Palermo', '200', 'km', 'WITHDIST'],
  ['GEORADIUSBYMEMBER_RO', 'k', 'Palermo', '0', 'm', 'WITHCOORD'],
  ['GEOSEARCH', 'k', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km', 'ASC', 'WITHDIST'],
  ['GEOSEARCH', 'k', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '0', 'km'],
  ['GEOSEARCH', 'k', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'COUNT', '1', 'ANY'],
  ['GEOSEARCHSTORE', 'dst', 'k', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '300', 'km'],
  ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
  ['GEORADIUS', 'k', '15', '37', '200', 'km', 'STORE', 'dst2'],
  ['ZRANGE', 'dst2', '0', '-1', 'WITHSCORES'],
  ['OBJECT', 'ENCODING', 'dst2'],
  ['GEOSEARCHSTORE', 'dst2', 'k', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'm'],
  ['EXISTS', 'dst2'],
  // GEOADD options and errors
  ['GEOADD', 'k', 'NX', '1', '2', 'Palermo', '3', '4', 'new'],
  ['GEOADD', 'k', 'XX', 'CH', '1', '2', 'Palermo', '3', '4', 'new2'],
  ['GEOADD', 'k', 'CH', '1', '2', 'Palermo'],
  ['GEOADD', 'k', 'xx', 'nx', '1', '2', 'm'],
  ['GEOADD', 'k', 'ch', '1', '2', 'm', '3'],
  ['GEOADD', 'k', 'ch', 'ch', 'ch'],
  ['GEOADD', 'k', '200', '100', 'x'],
  ['GEOADD', 'k', '-0', '-1e30', 'x'],
  ['GEOADD', 'k', '1e300', '0', 'x'],
  ['GEOADD', 'k', 'inf', '0', 'x'],
  ['GEOADD', 'k', 'abc', '0', 'x'],
  ['GEOADD', 'k', '0', '', 'x'],
  ['GEOADD', 'k', '0x10', '0x1p3', 'hex'],
  ['GEOADD', 'k', '180', '85.05112878', 'ne', '-180', '-85.05112878', 'sw', '180', '-85.05112878', 'se', '-180', '85.05112878', 'nw'],
  ['GEOADD', 'k', '180.0000001', '0', 'x'],
  ['GEOPOS', 'k', 'ne', 'sw', 'se', 'nw', 'hex'],
  ['GEOHASH', 'k', 'ne', 'sw', 'se', 'nw', 'hex'],
  ['GEOSEARCH', 'k', 'FROMMEMBER', 'ne', 'BYRADIUS', '0', 'm', 'WITHHASH', 'WITHCOORD', 'WITHDIST'],
  ['GEOSEARCH', 'k', 'FROMMEMBER', 'se', 'BYBOX', '0', '0', 'm', 'WITHDIST'],
  ['GEOSEARCH', 'k', 'FROMLONLAT', '0', '0', 'BYRADIUS', '30000', 'km', 'WITHHASH', 'WITHCOORD', 'WITHDIST'],
  // search errors, in Redis's order
  ['GEOSEARCH', 'k', 'FROMLONLAT', '0', '0', 'BYRADIUS', 'abc', 'km'],
  ['GEOSEARCH', 'k', 'FROMLONLAT', '0', '0', 'BYRADIUS', '-1', 'km'],
  ['GEOSEARCH', 'k', 'FROMLONLAT', '0', '0', 'BYBOX', 'abc', '1', 'km'],
  ['GEOSEARCH', 'k', 'FROMLONLAT', '0', '0', 'BYBOX', '1', 'abc', 'km'],
  ['GEOSEARCH', 'k', 'FROMLONLAT', '0', '0', 'BYBOX', '1', '-1', 'km'],
  ['GEOSEARCH', 'k', 'FROMLONLAT', '0', '0', 'BYBOX', '1', '1', 'kmx'],
  ['GEOSEARCH', 'k', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km', 'COUNT', 'abc'],
  ['GEOSEARCH', 'k', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km', 'COUNT', '0'],
  ['GEOSEARCH', 'k', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km', 'COUNT'],
  ['GEOSEARCH', 'k', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km', 'ANY'],
  ['GEOSEARCH', 'k', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km', 'BYBOX', '1', '1', 'km'],
  ['GEOSEARCH', 'k', 'FROMLONLAT', '0', '0', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km'],
  ['GEOSEARCH', 'k', 'FROMMEMBER', 'nosuch', 'BYRADIUS', '1', 'km'],
  ['GEOSEARCH', 'k', 'FROMLONLAT', '200', '0', 'BYRADIUS', '1', 'km'],
  ['geosearch', 'k', 'BYRADIUS', '1', 'km'],
  ['GeoSearch', 'k', 'FROMLONLAT', '0', '0', 'ASC', 'WITHDIST'],
  ['GEOSEARCH', 'k', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km', 'STOREDIST'],
  ['GEOSEARCHSTORE', 'd', 'k', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km', 'STORE', 'x'],
  ['GEOSEARCHSTORE', 'd', 'k', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km', 'WITHDIST'],
  ['GEOSEARCHSTORE', 'd', 'nokey', 'FROMMEMBER', 'zz', 'BYRADIUS', '1', 'km'],
  ['GEOSEARCH', 'nokey', 'FROMMEMBER', 'zz', 'BYRADIUS', '1', 'km'],
  ['GEOSEARCH', 'nokey', 'FROMMEMBER', 'zz', 'BYRADIUS', '1', 'km', 'foo'],
  ['GEORADIUS_RO', 'k', '0', '0', '1', 'km', 'STORE', 'x'],
  ['GEORADIUS', 'k', '0', '0', '1', 'km', 'STORE'],
  ['GEORADIUS', 'k', '0', '0', '1', 'km', 'STOREDIST', 'x', 'WITHHASH'],
  ['GEORADIUS', 'k', '0', '0', '1', 'yd'],
  ['GEORADIUS', 'nokey', '0', '0', '1', 'km', 'STORE', 'x'],
  ['GEORADIUS', 'nokey', '0', '0', '-1', 'km', 'STORE', 'x'],
  ['GEORADIUSBYMEMBER', 'k', 'nosuch', '1', 'km'],
  ['GEORADIUSBYMEMBER', 'nokey', 'x', '-1', 'km', 'STORE', 'x'],
  ['GEOSEARCH', 'k', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km', 'COUNT', '99999999999999999999'],
  ['GEOSEARCH', 'k', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1e400', 'km'],
  ['GEOSEARCH', 'k', 'FROMLONLAT', '0', '0', 'BYRADIUS', 'inf', 'km', 'COUNT', '3'],
  ['GEOSEARCH', 'k', 'FROMLONLAT', '0', '0', 'BYBOX', 'inf', 'inf', 'km', 'COUNT', '3'],
  ['GEOSEARCH', 'k', 'FROMLONLAT', '0', '0', 'BYBOX', '0', '40000', 'km', 'DESC', 'WITHDIST'],
  // non-geohash scores from ZADD on the same key
  ['ZADD', 'z', '-5', 'neg', '1.5', 'frac', 'inf', 'pinf', '-inf', 'ninf', '9007199254740993', 'p53', '1e19', 'e19', '0', 'zero'],
  ['GEOPOS', 'z', 'neg', 'frac', 'pinf', 'ninf', 'p53', 'e19', 'zero'],
  ['GEOHASH', 'z', 'neg', 'frac', 'pinf', 'ninf', 'p53', 'e19', 'zero'],
  ['GEODIST', 'z', 'neg', 'zero', 'km'],
  ['GEOSEARCH', 'z', 'FROMMEMBER', 'zero', 'BYBOX', '40000', '40000', 'km', 'WITHHASH', 'ASC'],
  // wrong types
  ['SET', 's', 'v'],
  ['GEOADD', 's', '1', '2', 'm'],
  ['GEOADD', 's', '1', '200', 'm'],
  ['GEOSEARCH', 's', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km', 'foo'],
  ['GEOPOS', 's', 'a'],
  ['GEOHASH', 's', 'a'],
  ['GEODIST', 's', 'a', 'b'],
  ['GEODIST', 's', 'a', 'b', 'foo'],
  ['GEORADIUS', 'k', '0', '0', '30000', 'km', 'STORE', 's'],
  ['TYPE', 's'],
  ['GEORADIUS', 'k', '0', '0', '30000', 'km', 'COUNT', '2', 'STORE', 'k'],
  ['ZRANGE', 'k', '0', '-1', 'WITHSCORES'],
  // through Lua (RESP2 inside the script: coordinates are bulk strings) and MULTI
  ['EVAL', "return redis.call('geopos', KEYS[1], 'hex', 'nx')", '1', 'k'],
  ['EVAL', "return redis.call('georadius', KEYS[1], 15, 37, 200, 'km', 'withcoord', 'withdist', 'withhash')", '1', 'k'],
  ['EVAL', "return redis.call('geodist', KEYS[1], 'ne', 'sw', 'km')", '1', 'k'],
  ['MULTI'],
  ['GEOADD', 'k', '1', '1', 'multi'],
  ['GEOSEARCH', 'k', 'FROMMEMBER', 'multi', 'BYRADIUS', '1', 'km', 'WITHCOORD'],
  ['GEOADD', 'k', '1', '100', 'multi'],
  ['EXEC'],
  // arity
  ['GEOADD', 'k', '1', '2'],
  ['GEOSEARCH', 'k', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1'],
  ['GEORADIUS', 'k', '0', '0', '1'],
];

/** Many members with the same position: distance ties, ordered by Redis's sorts (a stable full sort, pqsort under COUNT). */
function tiesCorpus(): string[][] {
  const cmds: string[][] = [];
  for (let i = 0; i < 60; i++) cmds.push(['GEOADD', 't', '10.5', '20.5', `a${i}`]);
  for (let i = 0; i < 30; i++) cmds.push(['GEOADD', 't', '10.6', `20.${(i % 3) + 5}`, `b${i}`]);
  for (const c of ['1', '3', '6', '7', '8', '20', '41', '45', '59', '61', '89']) {
    cmds.push(['GEOSEARCH', 't', 'FROMLONLAT', '10.5', '20.5', 'BYRADIUS', '100', 'km', 'COUNT', c]);
    cmds.push(['GEOSEARCH', 't', 'FROMLONLAT', '10.5', '20.5', 'BYRADIUS', '100', 'km', 'COUNT', c, 'DESC']);
    cmds.push(['GEORADIUS', 't', '10.5', '20.5', '100', 'km', 'COUNT', c, 'ANY', 'DESC']);
  }
  cmds.push(['GEOSEARCH', 't', 'FROMLONLAT', '10.5', '20.5', 'BYRADIUS', '100', 'km', 'DESC']);
  return cmds;
}

/**
 * Random points: clusters (metres to hundreds of km apart), near the
 * Mercator latitude limits, across the antimeridian, duplicates; then
 * radius and box searches of every kind, zero radius included.
 */
function randomCorpus(seed: number): { adds: string[][]; queries: string[][] } {
  const rng = new Rng(seed);
  const u = () => rng.next() / 0x100000000;
  const centres: Array<[number, number]> = [
    [u() * 360 - 180, u() * 170 - 85],
    [179.9995, u() * 10],
    [-179.9995, -u() * 10],
    [u() * 40 - 20, 84.9 + u() * 0.15],
    [u() * 40 - 20, -84.9 - u() * 0.15],
    [0, 0],
  ];
  const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));
  const point = (): [number, number] => {
    const [cx, cy] = rng.pick(centres);
    const spread = rng.pick([0.00001, 0.001, 0.1, 2, 20]);
    return [clamp(cx + (u() - 0.5) * 2 * spread, -180, 180), clamp(cy + (u() - 0.5) * 2 * spread, -85.05112878, 85.05112878)];
  };
  const adds: string[][] = [];
  let last: [number, number] = [0, 0];
  for (let i = 0; i < 150; i++) {
    const p = rng.chance(0.08) ? last : point();
    last = p;
    adds.push(['GEOADD', rng.pick(['g1', 'g2']), String(p[0]), String(p[1]), `m${rng.int(120)}`]);
  }
  const units: Array<[string, number]> = [['m', 1], ['km', 1000], ['ft', 0.3048], ['mi', 1609.34]];
  const queries: string[][] = [];
  for (let i = 0; i < 120; i++) {
    const [unit, toM] = rng.pick(units);
    const meters = rng.pick([0, 1, 10, 500, 5000, 50000, 500000, 3e6, 2e7]) * rng.pick([1, 1, 0.37]);
    const r = String(meters / toM);
    const opts: string[] = [];
    for (const o of ['WITHDIST', 'WITHCOORD', 'WITHHASH']) if (rng.chance(0.4)) opts.push(o);
    if (rng.chance(0.5)) opts.push(rng.pick(['ASC', 'DESC']));
    if (rng.chance(0.4)) {
      opts.push('COUNT', String(1 + rng.int(10)));
      if (rng.chance(0.3)) opts.push('ANY');
    }
    const key = rng.pick(['g1', 'g2']);
    const [x, y] = point();
    const from = rng.chance(0.5) ? ['FROMMEMBER', `m${rng.int(120)}`] : ['FROMLONLAT', String(x), String(y)];
    switch (rng.int(6)) {
      case 0:
        queries.push(['GEORADIUS', key, String(x), String(y), r, unit, ...opts]);
        break;
      case 1:
        queries.push(['GEORADIUSBYMEMBER_RO', key, `m${rng.int(120)}`, r, unit, ...opts]);
        break;
      case 2:
        queries.push(['GEOSEARCH', key, ...from, 'BYBOX', String((meters / toM) * u() * 2), String((meters / toM) * u() * 2), unit, ...opts]);
        break;
      case 3:
        queries.push(['GEOSEARCH', key, ...from, 'BYRADIUS', r, unit, ...opts]);
        break;
      case 4:
        queries.push(['GEOSEARCHSTORE', 'st', key, ...from, 'BYRADIUS', r, unit, ...opts.filter((o) => !o.startsWith('WITH'))], ['ZRANGE', 'st', '0', '-1', 'WITHSCORES']);
        break;
      default: {
        const ms = [0, 1, 2].map(() => `m${rng.int(120)}`);
        queries.push(['GEOPOS', key, ...ms], ['GEOHASH', key, ...ms], ['GEODIST', key, ms[0], ms[1], unit]);
      }
    }
  }
  return { adds, queries };
}

describe('geo commands side by side with redis-server', function () {
  this.timeout(60000);
  let srv: RunningServer;
  let ref: ReferenceRedis;
  const resp2 = {} as Side;
  const resp3 = {} as Side;

  before(async () => {
    [srv, ref] = await Promise.all([startServer(), startReferenceRedis()]);
    for (const s of [resp2, resp3]) {
      s.rc = await RespConn.connect(srv.port);
      s.redis = await RespConn.connect(ref.port);
    }
    await both(resp3, ['HELLO', '3']);
  });
  after(async () => {
    for (const s of [resp2, resp3]) {
      s.rc?.close();
      s.redis?.close();
    }
    await Promise.all([srv?.stop(), ref?.stop()]);
  });
  beforeEach(async () => {
    await both(resp2, ['FLUSHALL']);
  });

  it('replies alike, byte for byte, to options, edge points and every error (RESP2)', async () => {
    await expectSame(resp2, FIXED);
  });

  it('replies alike in RESP3: coordinates are doubles, distances bulk strings, a missing GEOPOS member a null', async () => {
    await expectSame(resp3, FIXED);
    await both(resp3, ['GEOADD', 'k', '13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania']);
    const [pos] = await both(resp3, ['GEOPOS', 'k', 'Palermo', 'nx']);
    expect(pos).to.equal('[[(double) 13.36138933897018433, (double) 38.11555639549629859], (nil _)]');
    const [dist] = await both(resp3, ['GEOSEARCH', 'k', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'WITHDIST', 'WITHHASH']);
    expect(dist).to.equal('[["Palermo", "190.4424", (integer) 3479099956230698], ["Catania", "56.4413", (integer) 3479447370796909]]');
  });

  it('orders distance ties as Redis does, with and without COUNT', async () => {
    await expectSame(resp2, tiesCorpus());
  });

  for (const seed of [1, 2, 3]) {
    it(`random points near the poles, the antimeridian and clusters: same results (seed ${seed})`, async () => {
      const { adds, queries } = randomCorpus(seed);
      const side = seed === 2 ? resp3 : resp2;
      await expectSame(side, adds);
      const nonEmpty = await expectSame(side, queries);
      expect(nonEmpty, 'searches that found something').to.be.greaterThan(30);
      await expectSame(side, [['ZRANGE', 'g1', '0', '-1', 'WITHSCORES'], ['ZRANGE', 'g2', '0', '-1', 'WITHSCORES']]);
    });
  }

  it('STOREDIST stores the same distances (compared as numbers: 7.0 prints them "%.17g", we print as 7.2)', async () => {
    const { adds } = randomCorpus(4);
    await expectSame(resp2, adds);
    const queries = [
      ['GEOSEARCHSTORE', 'd1', 'g1', 'FROMLONLAT', '0', '0', 'BYRADIUS', '20000', 'km', 'STOREDIST'],
      ['GEOSEARCHSTORE', 'd2', 'g2', 'FROMMEMBER', 'm1', 'BYBOX', '3000', '2000', 'mi', 'STOREDIST', 'COUNT', '7', 'DESC'],
      ['GEORADIUS', 'g1', '179', '1', '2000', 'km', 'STOREDIST', 'd3'],
      ['GEORADIUSBYMEMBER', 'g2', 'm2', '20000', 'ft', 'COUNT', '3', 'STOREDIST', 'd4'],
    ];
    await expectSame(resp2, queries);
    let stored = 0;
    for (const k of ['d1', 'd2', 'd3', 'd4']) {
      const [ours, theirs] = await Promise.all([scoresAsNumbers(resp2.rc, k), scoresAsNumbers(resp2.redis, k)]);
      expect(ours, k).to.deep.equal(theirs);
      stored += ours.length;
    }
    expect(stored).to.be.greaterThan(10);
  });

  it('COMMAND INFO matches redis-server for every geo command', async () => {
    for (const name of ['geoadd', 'geodist', 'geohash', 'geopos', 'georadius', 'georadius_ro', 'georadiusbymember', 'georadiusbymember_ro', 'geosearch', 'geosearchstore']) {
      const [ours, theirs] = await both(resp2, ['COMMAND', 'INFO', name]);
      // name, arity, flags, first/last key, step, ACL categories (the key specs and subcommands that follow are not compared).
      const head = (s: string) => s.split(', [{')[0].split('], [], [')[0];
      expect(head(ours).slice(0, 120), name).to.equal(head(theirs).slice(0, 120));
    }
  });
});

describe('geo commands through ioredis', function () {
  this.timeout(30000);
  let srv: RunningServer;
  let r: Redis;
  before(async () => {
    srv = await startServer();
    r = new Redis({ port: srv.port });
  });
  after(async () => {
    r?.disconnect();
    await srv?.stop();
  });

  it('the redis.io examples give the documented answers', async () => {
    expect(await r.geoadd('Sicily', 13.361389, 38.115556, 'Palermo', 15.087269, 37.502669, 'Catania')).to.equal(2);
    expect(await r.geodist('Sicily', 'Palermo', 'Catania')).to.equal('166274.1516');
    expect(await r.geodist('Sicily', 'Palermo', 'Catania', 'KM')).to.equal('166.2742');
    expect(await r.geodist('Sicily', 'Foo', 'Bar')).to.equal(null);
    expect(await r.geopos('Sicily', 'Palermo', 'Catania', 'NonExisting')).to.deep.equal([
      ['13.36138933897018433', '38.11555639549629859'],
      ['15.08726745843887329', '37.50266842333162032'],
      null,
    ]);
    expect(await r.geohash('Sicily', 'Palermo', 'Catania')).to.deep.equal(['sqc8b49rny0', 'sqdtr74hyu0']);
    expect(await r.georadius('Sicily', 15, 37, 200, 'km', 'WITHDIST')).to.deep.equal([
      ['Palermo', '190.4424'],
      ['Catania', '56.4413'],
    ]);
    expect(await r.georadius('Sicily', 15, 37, 200, 'km', 'WITHCOORD')).to.deep.equal([
      ['Palermo', ['13.36138933897018433', '38.11555639549629859']],
      ['Catania', ['15.08726745843887329', '37.50266842333162032']],
    ]);
    expect(await r.georadius('Sicily', 15, 37, 200, 'km', 'WITHDIST', 'WITHCOORD')).to.deep.equal([
      ['Palermo', '190.4424', ['13.36138933897018433', '38.11555639549629859']],
      ['Catania', '56.4413', ['15.08726745843887329', '37.50266842333162032']],
    ]);
    expect(await r.georadiusbymember('Sicily', 'Palermo', 200, 'km')).to.deep.equal(['Palermo', 'Catania']);
    await r.geoadd('Sicily', 12.758489, 38.788135, 'edge1', 17.241510, 38.788135, 'edge2');
    expect(await r.geosearch('Sicily', 'FROMLONLAT', 15, 37, 'BYRADIUS', 200, 'km', 'ASC')).to.deep.equal(['Catania', 'Palermo']);
    expect(await r.geosearch('Sicily', 'FROMLONLAT', 15, 37, 'BYBOX', 400, 400, 'km', 'ASC', 'WITHCOORD', 'WITHDIST')).to.deep.equal([
      ['Catania', '56.4413', ['15.08726745843887329', '37.50266842333162032']],
      ['Palermo', '190.4424', ['13.36138933897018433', '38.11555639549629859']],
      ['edge2', '279.7403', ['17.24151045083999634', '38.78813451624225195']],
      ['edge1', '279.7405', ['12.7584877610206604', '38.78813451624225195']],
    ]);
    expect(await r.geosearchstore('key1', 'Sicily', 'FROMLONLAT', 15, 37, 'BYBOX', 400, 400, 'km', 'ASC', 'COUNT', 3)).to.equal(3);
    expect(await r.zrange('key1', '0', '-1', 'WITHSCORES')).to.deep.equal(['Palermo', '3479099956230698', 'Catania', '3479447370796909', 'edge2', '3481342659049484']);
    expect(await r.geosearchstore('key2', 'Sicily', 'FROMLONLAT', 15, 37, 'BYBOX', 400, 400, 'km', 'ASC', 'COUNT', 3, 'ANY', 'STOREDIST')).to.equal(3);
    expect(await r.zrange('key2', '0', '-1')).to.have.length(3);
    expect(await r.type('Sicily')).to.equal('zset');
  });

  it('errors carry Redis wording', async () => {
    const err = (p: Promise<unknown>) => p.then((v) => `no error: ${String(v)}`, (e: Error) => e.message);
    expect(await err(r.geoadd('g', 200, 100, 'x'))).to.equal('ERR invalid longitude,latitude pair 200.000000,100.000000');
    expect(await err(r.georadiusbymember('Sicily', 'nosuch', 1, 'km'))).to.equal('ERR could not decode requested zset member');
    expect(await err(r.call('geodist', 'Sicily', 'a', 'b', 'yards'))).to.equal('ERR unsupported unit provided. please use M, KM, FT, MI');
    expect(await err(r.geosearch('Sicily', 'FROMLONLAT', 0, 0, 'BYRADIUS', 1, 'km', 'COUNT', 0))).to.equal('ERR COUNT must be > 0');
    expect(await err(r.geosearch('Sicily', 'FROMLONLAT', 0, 0, 'BYRADIUS', 1, 'km', 'ANY'))).to.equal('ERR the ANY argument requires COUNT argument');
    expect(await err(r.call('georadius', 'Sicily', 0, 0, 1, 'km', 'STORE', 'x', 'WITHDIST'))).to.equal(
      'ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options',
    );
    expect(await err(r.call('geosearchstore', 'x', 'Sicily', 'FROMLONLAT', 0, 0, 'BYRADIUS', 1, 'km', 'WITHHASH'))).to.equal(
      'ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options',
    );
    expect(await err(r.call('geosearch', 'Sicily', 'BYRADIUS', 1, 'km', 'ASC', 'WITHDIST'))).to.equal('ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for geosearch');
    expect(await err(r.call('GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'ASC', 'WITHDIST', 'WITHHASH'))).to.equal('ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH');
    expect(await err(r.call('geoadd', 'g', 'xx', 'nx', 1, 2, 'm'))).to.equal('ERR syntax error');
    await r.set('str', 'v');
    expect(await err(r.geoadd('str', 1, 2, 'm'))).to.equal('WRONGTYPE Operation against a key holding the wrong kind of value');
  });
});

describe('geo replies in RESP3 (node-redis)', function () {
  this.timeout(30000);
  let srv: RunningServer;
  type Client = ReturnType<typeof createClient>;
  let c: Client;
  before(async () => {
    srv = await startServer();
    c = createClient({ RESP: 3, socket: { port: srv.port, host: '127.0.0.1', reconnectStrategy: false } }) as unknown as Client;
    await c.connect();
  });
  after(async () => {
    await c?.quit().catch(() => undefined);
    await srv?.stop();
  });

  it('coordinates arrive as numbers, distances as strings, hashes as integers', async () => {
    await c.sendCommand(['GEOADD', 'Sicily', '13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania']);
    expect(await c.sendCommand(['GEOPOS', 'Sicily', 'Palermo', 'nx'])).to.deep.equal([[13.361389338970184, 38.1155563954963], null]);
    expect(await c.sendCommand(['GEODIST', 'Sicily', 'Palermo', 'Catania', 'km'])).to.equal('166.2742');
    expect(await c.sendCommand(['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'ASC', 'WITHDIST', 'WITHHASH', 'WITHCOORD'])).to.deep.equal([
      ['Catania', '56.4413', 3479447370796909, [15.087267458438873, 37.50266842333162]],
      ['Palermo', '190.4424', 3479099956230698, [13.361389338970184, 38.1155563954963]],
    ]);
    expect(await c.sendCommand(['GEOHASH', 'Sicily', 'Palermo', 'nx'])).to.deep.equal(['sqc8b49rny0', null]);
  });
});

describe('geo through redis-py, side by side with redis-server', function () {
  this.timeout(60000);
  const SCRIPT = `
import json, sys, redis
r = redis.Redis(port=int(sys.argv[1]), decode_responses=True)
r.flushdb()
out = {}
out["add"] = r.geoadd("Sicily", [13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania"])
out["add_nx"] = r.geoadd("Sicily", [13.5, 38.1, "Palermo", 14.0, 37.0, "Enna"], nx=True)
out["add_xx_ch"] = r.geoadd("Sicily", [13.361389, 38.115556, "Palermo", 1, 1, "nobody"], xx=True, ch=True)
out["dist"] = r.geodist("Sicily", "Palermo", "Catania", unit="km")
out["pos"] = r.geopos("Sicily", "Palermo", "nope")
out["hash"] = r.geohash("Sicily", "Palermo", "Enna")
out["radius"] = r.georadius("Sicily", 15, 37, 200, unit="km", withdist=True, withcoord=True, withhash=True, sort="ASC")
out["bymember"] = r.georadiusbymember("Sicily", "Enna", 100, unit="km", count=2, sort="DESC")
out["search"] = r.geosearch("Sicily", longitude=15, latitude=37, width=400, height=300, unit="km", sort="ASC", withdist=True)
out["store"] = r.geosearchstore("dst", "Sicily", member="Enna", radius=500, unit="km")
out["stored"] = r.zrange("dst", 0, -1)
try:
    r.geoadd("Sicily", [200, 100, "x"])
except redis.ResponseError as e:
    out["err"] = str(e)
print(json.dumps(out))
`;
  let srv: RunningServer;
  let ref: ReferenceRedis;
  before(async () => {
    [srv, ref] = await Promise.all([startServer(), startReferenceRedis()]);
  });
  after(async () => {
    await Promise.all([srv?.stop(), ref?.stop()]);
  });

  it('prints the same document against both servers', function () {
    const py = spawnSync('python3', ['-c', 'import redis']).status === 0 ? 'python3' : '/usr/bin/python3';
    if (spawnSync(py, ['-c', 'import redis']).status !== 0) this.skip();
    const run = (port: number) => spawnSync(py, ['-c', SCRIPT, String(port)], { encoding: 'utf8' });
    const [a, b] = [run(srv.port), run(ref.port)];
    expect(a.stderr).to.equal('');
    expect(b.stderr).to.equal('');
    const ours = JSON.parse(a.stdout) as Record<string, unknown>;
    expect(ours).to.deep.equal(JSON.parse(b.stdout));
    expect(ours.dist).to.equal(166.2742);
    expect(ours.err).to.equal('invalid longitude,latitude pair 200.000000,100.000000');
  });
});
