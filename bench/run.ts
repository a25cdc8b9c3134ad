/**
 * Side-by-side redis-benchmark: raftcache vs a real redis-server started in
 * the same run, runs interleaved so machine noise hits both alike.
 *
 *   npm run bench -- [--tests set,get] [--clients 50] [--requests 100000] [--pipeline 1,16] [--runs 3]
 *                    [--server-args "--sync none"] [--redis-args "--appendonly yes --appendfsync always"]
 */
import os from 'node:os';
import { startServer } from '../test/support/proc';
import { median, redisBenchmark, startRedisServer, type BenchResult } from './redis-benchmark';

interface Options {
  /** Extra raftcache-server arguments, e.g. `--sync none`. */
  serverArgs: string[];
  /** Extra redis-server arguments, e.g. `--appendonly yes --appendfsync always`. */
  redisArgs: string[];
  tests: string[];
  clients: number;
  requests: number;
  pipelines: number[];
  runs: number;
}

function parse(argv: string[]): Options {
  const o: Options = { serverArgs: [], redisArgs: ['--save', '', '--appendonly', 'no'], tests: ['set', 'get'], clients: 50, requests: 100000, pipelines: [1, 16], runs: 3 };
  for (let i = 0; i < argv.length; i += 2) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--tests':
        o.tests = v.split(',');
        break;
      case '--clients':
        o.clients = Number(v);
        break;
      case '--requests':
        o.requests = Number(v);
        break;
      case '--pipeline':
        o.pipelines = v.split(',').map(Number);
        break;
      case '--runs':
        o.runs = Number(v);
        break;
      case '--server-args':
        o.serverArgs = v.split(' ').filter(Boolean);
        break;
      case '--redis-args':
        o.redisArgs = v.split(' ').filter(Boolean);
        break;
      default:
        throw new Error(`unknown option ${argv[i]}`);
    }
  }
  return o;
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  process.env.RAFTCACHE_LOG_LEVEL = 'warn';
  const rc = await startServer(o.serverArgs);
  const redis = await startRedisServer(o.redisArgs.map((a) => (a === "''" ? '' : a)));
  const samples = new Map<string, { rc: BenchResult[]; redis: BenchResult[] }>();
  try {
    for (const pipeline of o.pipelines) {
      for (let run = 1; run <= o.runs; run++) {
        process.stderr.write(`bench: -P ${pipeline} run ${run}/${o.runs}...\n`);
        for (const [name, port] of [['rc', rc.port], ['redis', redis.port]] as const) {
          for (const row of redisBenchmark(port, o.tests, { requests: o.requests, clients: o.clients, pipeline })) {
            const key = `${row.test} -P ${pipeline}`;
            const s = samples.get(key) ?? { rc: [], redis: [] };
            s[name].push(row);
            samples.set(key, s);
          }
        }
      }
    }
  } finally {
    await rc.stop();
    await redis.stop();
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  console.log(`\nredis-benchmark -c ${o.clients} -n ${o.requests}, median of ${o.runs} interleaved runs; ${os.cpus().length} x ${cpu}; ${new Date().toISOString().slice(0, 10)}`);
  console.log(`raftcache-server ${o.serverArgs.join(' ') || '(defaults: --sync always)'} vs redis-server ${o.redisArgs.join(' ')}`);
  console.log('| test | raftcache ops/s | p50 ms | redis-server ops/s | p50 ms | ratio |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const [key, s] of samples) {
    const a = median(s.rc.map((r) => r.rps));
    const b = median(s.redis.map((r) => r.rps));
    const ap = median(s.rc.map((r) => r.p50));
    const bp = median(s.redis.map((r) => r.p50));
    console.log(`| ${key} | ${Math.round(a)} | ${ap.toFixed(3)} | ${Math.round(b)} | ${bp.toFixed(3)} | ${((100 * a) / b).toFixed(0)}% |`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
