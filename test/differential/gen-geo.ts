import type { Family, Gen } from './generator';

/**
 * The "geo" family: geo commands on the sorted-set keys, mixed with ZADD,
 * ZRANGE, ZREM, DEL and SET on the same keys, so geo commands meet members
 * with non-geohash scores, emptied and deleted sets and wrong types.
 * Points cluster around a few centres (so searches find something), with
 * the edges of the geohash world: the poles' Mercator limits and the
 * antimeridian, plus invalid pairs.
 */

/**
 * STOREDIST's destination. Its scores are distances with 17 significant
 * digits, which redis-server 7.0 prints with "%.17g" and raftcache as Redis
 * 7.2 does (shortest round trip), so it is kept out of KEYS (the state
 * checks print scores) and read back by rank only (the order of the
 * distances). test/commands/geo.test.ts compares those scores as numbers.
 */
const DIST_KEY = 'geo:dist';

/** Mostly the zset family's home keys (so ZADD/ZRANGE share them), then a string key, then any. */
const GEO_KEYS = ['{k}7', 'k\x00\xff', 'k6'];
const gkey = (g: Gen): string => (g.rng.chance(0.85) ? g.rng.pick(GEO_KEYS) : g.key());

/** Centres: ordinary places, near the poles' limits, on the antimeridian, on the equator/prime meridian. */
const CENTRES: ReadonlyArray<[number, number]> = [
  [13.361389, 38.115556],
  [15.087269, 37.502669],
  [179.99, 0.5],
  [-179.99, -0.5],
  [0, 0],
  [-73.9857, 40.7484],
  [20, 84.9],
  [-120, -84.95],
  [151.2093, -33.8688],
];

const BAD_COORDS: ReadonlyArray<[string, string]> = [
  ['200', '100'],
  ['-180.0001', '0'],
  ['0', '85.06'],
  ['0', '-85.0511288'],
  ['abc', '1'],
  ['1', ''],
  ['inf', '0'],
  ['1e400', '0'],
];

const EDGE_COORDS: ReadonlyArray<[string, string]> = [
  ['180', '85.05112878'],
  ['-180', '-85.05112878'],
  ['180', '0'],
  ['-180', '0'],
  ['0', '85.05112878'],
  ['-0', '-0'],
];

/** A point: near a centre (spread from metres to hundreds of km), an edge, sometimes invalid. */
function lonLat(g: Gen): [string, string] {
  const r = g.rng.next() / 0x100000000;
  if (r < 0.04) return g.rng.pick(BAD_COORDS);
  if (r < 0.1) return g.rng.pick(EDGE_COORDS);
  const [cx, cy] = g.rng.pick(CENTRES);
  const spread = g.rng.pick([0, 0.0001, 0.01, 0.5, 3]);
  const x = Math.max(-180, Math.min(180, cx + (g.rng.next() / 0x100000000 - 0.5) * 2 * spread));
  const y = Math.max(-85.05112878, Math.min(85.05112878, cy + (g.rng.next() / 0x100000000 - 0.5) * 2 * spread));
  return [x.toFixed(g.rng.pick([6, 4, 9])), y.toFixed(g.rng.pick([6, 4, 9]))];
}

const unit = (g: Gen): string => g.word(g.rng.chance(0.03) ? g.rng.pick(['yd', '', 'meters']) : g.rng.pick(['m', 'km', 'ft', 'mi']));
const radius = (g: Gen): string => g.mostly(() => g.rng.pick(['0', '1', '50', '500', '2000', '30000', '1e6', '7000000', '2.5']), () => g.rng.pick(['-1', 'x', '', 'inf']), 0.04);

/** WITH*, ASC/DESC, COUNT [ANY] in random order (COUNT sometimes invalid, ANY sometimes alone). */
function searchOptions(g: Gen, withs: boolean): string[] {
  const opts: Array<() => string[]> = [
    () => [g.word('ASC')],
    () => [g.word('DESC')],
    () => [g.word('COUNT'), g.mostly(() => g.rng.pick(['1', '2', '3', '5', '10', '100']), () => g.rng.pick(['0', '-1', 'x']), 0.08)],
    () => [g.word('COUNT'), g.rng.pick(['1', '2', '4']), g.word('ANY')],
    () => (g.rng.chance(0.1) ? [g.word('ANY')] : [g.word('ASC')]),
  ];
  if (withs) opts.push(() => [g.word('WITHDIST')], () => [g.word('WITHCOORD')], () => [g.word('WITHHASH')]);
  return g.options(opts, 4);
}

/** GEORADIUS's STORE (into any key) or STOREDIST (into DIST_KEY). */
const storeOption = (g: Gen): string[] => (g.rng.chance(0.5) ? [g.word('STORE'), gkey(g)] : [g.word('STOREDIST'), DIST_KEY]);

const from = (g: Gen): string[] => (g.rng.chance(0.5) ? [g.word('FROMMEMBER'), g.member()] : [g.word('FROMLONLAT'), ...lonLat(g)]);
const by = (g: Gen): string[] => (g.rng.chance(0.5) ? [g.word('BYRADIUS'), radius(g), unit(g)] : [g.word('BYBOX'), radius(g), radius(g), unit(g)]);

export const geoFamily: Family = {
  name: 'geo',
  defaultOn: true,
  templates: [
    {
      cmd: 'GEOADD',
      weight: 8,
      args: (g) => [
        gkey(g),
        ...g.options([() => [g.word('NX')], () => [g.word('XX')], () => [g.word('CH')]], 2),
        ...Array.from({ length: g.rng.range(1, 4) }, () => [...lonLat(g), g.member()]).flat(),
      ],
    },
    {
      cmd: 'GEOADD',
      args: (g) => {
        // Enough members to turn the listpack into a skiplist.
        const [cx, cy] = g.rng.pick(CENTRES);
        const n = g.rng.pick([20, 130]);
        return [gkey(g), ...Array.from({ length: n }, (_, i) => [(cx + ((i % 13) - 6) * 0.01).toFixed(5), (cy + ((i % 7) - 3) * 0.01).toFixed(5), `p${i}`]).flat()];
      },
    },
    { cmd: 'GEOPOS', weight: 2, args: (g) => [gkey(g), ...g.members(0, 3)] },
    { cmd: 'GEOHASH', weight: 2, args: (g) => [gkey(g), ...g.members(0, 3)] },
    { cmd: 'GEODIST', weight: 2, args: (g) => [gkey(g), g.member(), g.member(), ...(g.rng.chance(0.6) ? [unit(g)] : [])] },
    { cmd: 'GEOSEARCH', weight: 5, args: (g) => [gkey(g), ...from(g), ...by(g), ...searchOptions(g, true)] },
    {
      cmd: 'GEOSEARCH',
      args: (g) => [gkey(g), ...g.options([() => from(g), () => by(g), () => [g.word('STOREDIST')], () => [g.word('WITHDIST')]], 3)],
    },
    {
      cmd: 'GEOSEARCHSTORE',
      weight: 3,
      args: (g) => {
        const dist = g.rng.chance(0.5);
        return [dist ? DIST_KEY : gkey(g), gkey(g), ...from(g), ...by(g), ...searchOptions(g, g.rng.chance(0.1)), ...(dist ? [g.word('STOREDIST')] : [])];
      },
    },
    { cmd: 'GEORADIUS', weight: 3, args: (g) => [gkey(g), ...lonLat(g), radius(g), unit(g), ...searchOptions(g, true)] },
    {
      cmd: 'GEORADIUS',
      args: (g) => [gkey(g), ...lonLat(g), radius(g), unit(g), ...searchOptions(g, g.rng.chance(0.1)), ...storeOption(g)],
    },
    { cmd: 'GEORADIUS_RO', args: (g) => [gkey(g), ...lonLat(g), radius(g), unit(g), ...searchOptions(g, true), ...(g.rng.chance(0.1) ? [g.word('STORE'), gkey(g)] : [])] },
    { cmd: 'GEORADIUSBYMEMBER', weight: 2, args: (g) => [gkey(g), g.member(), radius(g), unit(g), ...searchOptions(g, true)] },
    {
      cmd: 'GEORADIUSBYMEMBER',
      args: (g) => [gkey(g), g.member(), radius(g), unit(g), ...searchOptions(g, false), ...storeOption(g)],
    },
    { cmd: 'GEORADIUSBYMEMBER_RO', args: (g) => [gkey(g), g.member(), radius(g), unit(g), ...searchOptions(g, true)] },
    // Plain sorted-set commands on the same keys: foreign scores, removals, deletions, wrong types.
    { cmd: 'ZADD', weight: 2, args: (g) => [gkey(g), g.rng.pick(['0', '1', '-1', '3.5', '3479099956230698', '4503599627370495', '4503599627370496', '1e20', 'inf']), g.member()] },
    { cmd: 'ZRANGE', weight: 2, args: (g) => [gkey(g), '0', '-1', ...(g.rng.chance(0.6) ? [g.word('WITHSCORES')] : [])] },
    { cmd: 'ZRANGE', weight: 2, args: () => [DIST_KEY, '0', '-1'] },
    { cmd: 'ZCARD', args: () => [DIST_KEY] },
    { cmd: 'ZREM', args: (g) => [gkey(g), ...g.members(1, 2)] },
    { cmd: 'DEL', args: (g) => [gkey(g)] },
    { cmd: 'SET', args: (g) => [gkey(g), g.value()] },
  ],
};
