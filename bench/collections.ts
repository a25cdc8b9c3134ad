/**
 * Big collections on one node, side by side with redis-server:
 * - memory: a hash, a set and a sorted set of N members each (default
 *   1,000,000): `used_memory` growth on redis-server against raftcache's
 *   `used_memory` and RSS growth;
 * - stalls: while PINGs run back to back on a second connection, one HSET
 *   and one ZADD into the big collections, then the next keyspace flush:
 *   the longest PING round trip is how long the event loop was blocked;
 * - restart: time from process start to "ready" with them in the data dir.
 *
 *   tsc -p . && node dist/bench/collections.js [--members 1000000]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { startServer } from '../test/support/proc';
import { startRedisServer } from './redis-benchmark';

function infoField(info: string, name: string): number {
  const m = new RegExp(`^${name}:(\\d+)`, 'm').exec(info);
  return m ? Number(m[1]) : NaN;
}

async function memory(r: Redis, pid?: number): Promise<{ used: number; rss: number; anon: number }> {
  const info = await r.info('memory');
  return { used: infoField(info, 'used_memory'), rss: infoField(info, 'used_memory_rss'), anon: pid === undefined ? NaN : anonymousBytes(pid) };
}

/** Anonymous memory of a process (heap and the like): RSS without file pages such as LMDB's memory map. */
function anonymousBytes(pid: number): number {
  const m = /^Anonymous:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

async function fill(r: Redis, members: number): Promise<void> {
  const batch = 1000;
  for (let start = 0; start < members; start += batch) {
    const p = r.pipeline();
    const h: string[] = [];
    const s: string[] = [];
    const z: string[] = [];
    for (let i = start; i < Math.min(members, start + batch); i++) {
      h.push(`field:${i}`, `value:${i}`);
      s.push(`member:${i}`);
      z.push(String(i % 100000), `member:${i}`);
    }
    p.hset('big:hash', ...h);
    p.sadd('big:set', ...s);
    p.zadd('big:zset', ...z);
    await p.exec();
    if (start % 100000 === 0) process.stderr.write(`  ${start}/${members}\r`);
  }
  process.stderr.write('\n');
}

/** Longest PING round trip while `during` runs (and for `tailMs` after, to cover a flush). */
async function longestStall(pinger: Redis, during: () => Promise<unknown>, tailMs: number): Promise<number> {
  let worst = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const t = process.hrtime.bigint();
      await pinger.ping();
      worst = Math.max(worst, Number(process.hrtime.bigint() - t) / 1e6);
    }
  })();
  await during();
  await new Promise((r) => setTimeout(r, tailMs));
  running = false;
  await loop;
  return worst;
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--members');
  const members = i > 0 ? Number(process.argv[i + 1]) : 1_000_000;
  const ref = await startRedisServer();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'raftcache-bench-collections-'));
  const node = await startServer(['--sync', 'always'], { dir });
  try {
    const redis = new Redis({ port: ref.port });
    const rc = new Redis({ port: node.port });
    const r0 = await memory(redis);
    const pid = node.proc.pid;
    const c0 = await memory(rc, pid);
    process.stderr.write('filling redis-server\n');
    await fill(redis, members);
    process.stderr.write('filling raftcache\n');
    await fill(rc, members);
    const r1 = await memory(redis);
    // Let the durable copy catch up with the fill (SAVE writes it now), so the
    // stall measured next is one write's and its own flush's, not the fill's backlog.
    await rc.call('SAVE');
    await new Promise((r) => setTimeout(r, 2000));
    const c1 = await memory(rc, pid);
    const pinger = new Redis({ port: node.port });
    const hsetStall = await longestStall(pinger, () => rc.hset('big:hash', 'one-more', 'x'), 1500);
    const zaddStall = await longestStall(pinger, () => rc.zadd('big:zset', 5, 'one-more'), 1500);
    const sizes = await Promise.all([rc.hlen('big:hash'), rc.scard('big:set'), rc.zcard('big:zset')]);
    await rc.quit();
    await pinger.quit();
    await redis.quit();
    await node.stop('SIGTERM');
    const t0 = Date.now();
    const again = await startServer(['--sync', 'always'], { dir });
    const restartMs = Date.now() - t0;
    const check = new Redis({ port: again.port });
    const after = await Promise.all([check.hlen('big:hash'), check.scard('big:set'), check.zcard('big:zset')]);
    await check.quit();
    await again.stop();
    const mb = (n: number) => (n / 2 ** 20).toFixed(0);
    const redisUsed = r1.used - r0.used;
    console.log(`${members.toLocaleString('en-US')} members each in a hash, a set and a sorted set (sizes ${sizes.join('/')}; after restart ${after.join('/')})`);
    console.log(`redis-server used_memory growth: ${mb(redisUsed)} MB (RSS ${mb(r1.rss - r0.rss)} MB)`);
    console.log(
      `raftcache used_memory growth:    ${mb(c1.used - c0.used)} MB (RSS ${mb(c1.rss - c0.rss)} MB, anonymous ${mb(c1.anon - c0.anon)} MB) -> ` +
        `anonymous / redis used_memory = ${((c1.anon - c0.anon) / redisUsed).toFixed(2)}x, RSS / redis RSS = ${((c1.rss - c0.rss) / (r1.rss - r0.rss)).toFixed(2)}x`,
    );
    console.log(`longest PING round trip during one HSET into the hash and the next flush: ${hsetStall.toFixed(1)} ms; ZADD: ${zaddStall.toFixed(1)} ms`);
    console.log(`restart to ready: ${restartMs} ms`);
  } finally {
    await ref.stop();
    await node.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
