/**
 * Does a write cost the same with 1,000 keys as with 10,000,000? (issue 13:
 * "flat cost as the keyspace grows"). For each size N, on one raftcache node
 * (durable: --sync always) and, side by side, one redis-server with
 * `appendfsync always`: load exactly N keys (key:000000000000 .. the
 * redis-benchmark key names), then `redis-benchmark -t set -P 16 -c 20 -r N`
 * overwrites random keys among them. Prints rps per size, the ratio to the
 * smallest size, and the ratio to redis-server; plus VmRSS and RssAnon after the runs.
 *
 *   tsc -p . && node dist/bench/keyspace-scale.js [--sizes 1000,1000000,10000000] [--requests 500000] [--runs 3]
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import Redis from 'ioredis';
import { startServer } from '../test/support/proc';
import { load, procMem } from './keyspace-load';
import { median, startRedisServer } from './redis-benchmark';

interface Options {
  sizes: number[];
  requests: number;
  runs: number;
  valueBytes: number;
}

function parse(argv: string[]): Options {
  const o: Options = { sizes: [1000, 1000000], requests: 500000, runs: 3, valueBytes: 100 };
  for (let i = 0; i < argv.length; i += 2) {
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`option ${argv[i]} needs a value`);
    if (argv[i] === '--sizes') o.sizes = v.split(',').map(Number);
    else if (argv[i] === '--requests') o.requests = Number(v);
    else if (argv[i] === '--runs') o.runs = Number(v);
    else if (argv[i] === '--value') o.valueBytes = Number(v);
    else throw new Error(`unknown option ${argv[i]}`);
  }
  return o;
}

function benchSet(port: number, n: number, requests: number, valueBytes: number): number {
  const args = ['-p', String(port), '-t', 'set', '-P', '16', '-c', '20', '-n', String(requests), '-r', String(n), '-d', String(valueBytes), '--csv'];
  const r = spawnSync('redis-benchmark', args, { encoding: 'utf8', timeout: 1800000 });
  if (r.status !== 0 || /error/i.test(r.stdout + r.stderr)) throw new Error(`redis-benchmark failed: ${r.stdout}\n${r.stderr}`);
  const row = r.stdout.split('\n').find((l) => l.startsWith('"SET"'));
  if (!row) throw new Error(`no SET row in ${r.stdout}`);
  return Number(row.split(',')[1].replace(/"/g, ''));
}

/** VmRSS and RssAnon in MB: VmRSS also counts LMDB's mapped file pages (page cache the kernel can drop), RssAnon does not. */
function memMb(pid: number | undefined): string {
  if (pid === undefined) return '?';
  const m = procMem(pid);
  return `${Math.round(m.rss / 1048576)} (${Math.round(m.anon / 1048576)})`;
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const rows: Array<{ n: number; ours: number; redis: number; oursRss: string; redisRss: string }> = [];
  for (const n of o.sizes) {
    process.stderr.write(`bench: ${n} keys: starting one raftcache node (--sync always) and redis-server (appendfsync always)\n`);
    const node = await startServer(['--sync', 'always']);
    const redis = await startRedisServer(['--save', '', '--appendonly', 'yes', '--appendfsync', 'always']);
    try {
      for (const [port, name] of [[node.port, 'raftcache'], [redis.port, 'redis-server']] as const) {
        const r = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: null });
        try {
          const rate = await load(r, name, n, o.valueBytes);
          process.stderr.write(`  ${name}: loaded ${n} keys at ${Math.round(rate)} SET/s\n`);
        } finally {
          r.disconnect();
        }
      }
      const ours: number[] = [];
      const theirs: number[] = [];
      for (let run = 1; run <= o.runs; run++) {
        process.stderr.write(`  run ${run}/${o.runs}: SET -P 16 -c 20 -r ${n}\n`);
        ours.push(benchSet(node.port, n, o.requests, o.valueBytes));
        theirs.push(benchSet(redis.port, n, o.requests, o.valueBytes));
      }
      rows.push({ n, ours: median(ours), redis: median(theirs), oursRss: memMb(node.proc.pid), redisRss: memMb(redis.pid) });
    } finally {
      await node.stop();
      await redis.stop();
    }
  }
  const base = rows[0];
  console.log(`\nSET -P 16 -c 20 over N distinct keys (${o.valueBytes}-byte values), median of ${o.runs} runs of ${o.requests}; ${os.cpus()[0].model}, ${os.cpus().length} cores; ${new Date().toISOString().slice(0, 10)}`);
  console.log('| keys | raftcache rps | vs smallest | redis AOF always rps | ratio to redis | RSS (anon) after the runs, raftcache / redis (MB) |');
  console.log('|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.n.toLocaleString('en-US')} | ${Math.round(r.ours)} | ${(r.ours / base.ours).toFixed(2)}× | ${Math.round(r.redis)} | ${(r.ours / r.redis).toFixed(2)}× | ${r.oursRss} / ${r.redisRss} |`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
