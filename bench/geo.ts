/**
 * Geo searches on a big sorted set, side by side with redis-server: both get
 * the same N points (default 200,000, seeded, uniform over a 2 x 2 degree
 * square around 13E 52N), loaded by pipelined GEOADDs; then GEOSEARCH
 * FROMLONLAT at the centre BYRADIUS r km ASC, with COUNT 10 and without, at
 * radii matching about 100, 5,000 and 50,000 points. Each search is timed
 * (client round trip) several times after 20 untimed runs (V8 optimizes hot
 * code late); the median and raftcache / redis are printed. Before them: the
 * first search after the load (raftcache walks the skiplist; later searches
 * of the unchanged set use its flat copy, zset-score-array.ts) and a PING
 * round trip on each server, the floor under the small searches. The
 * replies of both servers are compared once per search, so a faster but
 * different answer does not go unnoticed. About 40 s on a 2-core machine.
 *
 *   tsc -p . && node dist/bench/geo.js [--members 200000] [--runs 7]
 */
import { isDeepStrictEqual } from 'node:util';
import Redis from 'ioredis';
import { startServer } from '../test/support/proc';
import { median, startRedisServer } from './redis-benchmark';
import { rng } from '../test/support/rng';

const KEY = 'bench:geo';
const CENTRE = [13, 52] as const;

async function load(r: Redis, members: number): Promise<void> {
  const next = rng(20261203);
  const batch = 1000;
  for (let start = 0; start < members; start += batch) {
    const p = r.pipeline();
    for (let j = start; j < Math.min(members, start + batch); j += 100) {
      const args: Array<string | number> = [];
      for (let i = j; i < Math.min(members, j + 100, start + batch); i++) {
        args.push((CENTRE[0] - 1 + 2 * next()).toFixed(6), (CENTRE[1] - 1 + 2 * next()).toFixed(6), `p:${i}`);
      }
      p.geoadd(KEY, ...args);
    }
    await p.exec();
  }
}

async function timeIt(r: Redis, args: Array<string | number>, runs: number): Promise<{ ms: number; reply: unknown }> {
  const times: number[] = [];
  let reply: unknown;
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    reply = await r.call('GEOSEARCH', ...args);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return { ms: median(times), reply };
}

/** Median PING round trip: what any command costs on each server, for the small searches' scale. */
async function pingMs(r: Redis): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = process.hrtime.bigint();
    await r.ping();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(times);
}

async function main(): Promise<void> {
  const opt = (name: string, dflt: number) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : dflt;
  };
  const members = opt('--members', 200_000);
  const runs = opt('--runs', 7);
  const ref = await startRedisServer();
  const node = await startServer(['--sync', 'none']);
  const redis = new Redis({ port: ref.port });
  const rc = new Redis({ port: node.port });
  try {
    let t = Date.now();
    await load(redis, members);
    const redisLoad = Date.now() - t;
    t = Date.now();
    await load(rc, members);
    const rcLoad = Date.now() - t;
    console.log(`${members.toLocaleString('en-US')} points loaded with GEOADD (pipelined, 100 a command): redis-server ${redisLoad} ms, raftcache ${rcLoad} ms`);
    // The first searches after writes walk the skiplist; once they have walked as many nodes as
    // the set holds, raftcache keeps a flat copy of the scores (zset-score-array.ts): show both.
    const cold: Array<string | number> = [KEY, 'FROMLONLAT', CENTRE[0], CENTRE[1], 'BYRADIUS', 49, 'km', 'ASC', 'COUNT', 10];
    const coldRedis = await timeIt(redis, cold, 1);
    const coldRc = await timeIt(rc, cold, 1);
    console.log(`first search after the load, BYRADIUS 49 km ASC COUNT 10: redis-server ${coldRedis.ms.toFixed(2)} ms, raftcache ${coldRc.ms.toFixed(2)} ms (${(coldRc.ms / coldRedis.ms).toFixed(1)}x)`);
    // The set has now been walked once; one more walk and the third search uses the flat copy.
    await timeIt(rc, cold, 2);
    const [pingRedis, pingRc] = [await pingMs(redis), await pingMs(rc)];
    console.log(`PING round trip (median of 200): redis-server ${pingRedis.toFixed(3)} ms, raftcache ${pingRc.toFixed(3)} ms`);
    console.log(`median of ${runs} runs after 20 untimed ones, client round trip; ratio = raftcache / redis-server`);
    console.log('command'.padEnd(66) + 'results'.padStart(8) + 'redis ms'.padStart(10) + 'raftcache ms'.padStart(14) + 'ratio'.padStart(8));
    // Density is about 6.6 points per km^2: radii for ~100, ~5,000 and ~50,000 points.
    for (const radius of [2.2, 15.5, 49]) {
      for (const count of [true, false]) {
        const args: Array<string | number> = [KEY, 'FROMLONLAT', CENTRE[0], CENTRE[1], 'BYRADIUS', radius, 'km', 'ASC'];
        if (count) args.push('COUNT', 10);
        const matches = ((await redis.call('GEOSEARCH', ...args.slice(0, 8))) as unknown[]).length;
        await timeIt(redis, args, 20);
        await timeIt(rc, args, 20);
        const a = await timeIt(redis, args, runs);
        const b = await timeIt(rc, args, runs);
        const same = isDeepStrictEqual(a.reply, b.reply) ? '' : '  REPLIES DIFFER';
        const name = `GEOSEARCH FROMLONLAT ${CENTRE.join(' ')} BYRADIUS ${radius} km ASC${count ? ' COUNT 10' : ''}`;
        console.log(name.padEnd(66) + String(matches).padStart(8) + a.ms.toFixed(2).padStart(10) + b.ms.toFixed(2).padStart(14) + (b.ms / a.ms).toFixed(1).padStart(8) + same);
      }
    }
    // A set written between searches: raftcache's flat copy is never current, every search walks the skiplist.
    const written = async (r: Redis): Promise<number> => {
      const times: number[] = [];
      for (let i = 0; i < runs + 3; i++) {
        await r.geoadd(KEY, CENTRE[0] + i * 1e-4, CENTRE[1], `moving:${i % 3}`); // a new score each time
        const t = process.hrtime.bigint();
        await r.call('GEOSEARCH', ...cold);
        if (i >= 3) times.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
      return median(times);
    };
    const [wRedis, wRc] = [await written(redis), await written(rc)];
    console.log(`BYRADIUS 49 km ASC COUNT 10 right after a GEOADD each time: redis-server ${wRedis.toFixed(2)} ms, raftcache ${wRc.toFixed(2)} ms (${(wRc / wRedis).toFixed(1)}x)`);
  } finally {
    redis.disconnect();
    rc.disconnect();
    await ref.stop();
    await node.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
