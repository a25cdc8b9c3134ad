/**
 * redis-benchmark against a local 3-node raftcache cluster (at the leader and
 * at a follower) and, in the same run, against redis-server with no
 * persistence and with `--appendonly yes --appendfsync always`. Targets are
 * interleaved within each run so machine noise hits all alike; each cell is
 * the median of the runs.
 *
 *   tsc -p . && node dist/bench/cluster.js [--tests set,get,incr] [--clients 50] [--requests 100000]
 *       [--pipeline 1,16] [--runs 3] [--single-requests 10000] [--sync always]
 */
import os from 'node:os';
import { Cluster } from '../test/cluster/harness';
import { median, redisBenchmark, startRedisServer, type BenchResult, type ReferenceRedis } from './redis-benchmark';

interface Options {
  tests: string[];
  clients: number;
  requests: number;
  pipelines: number[];
  runs: number;
  /** Requests for the one-client durable SET latency run. */
  singleRequests: number;
  sync: string;
}

function parse(argv: string[]): Options {
  const o: Options = { tests: ['set', 'get', 'incr'], clients: 50, requests: 100000, pipelines: [1, 16], runs: 3, singleRequests: 10000, sync: 'always' };
  for (let i = 0; i < argv.length; i += 2) {
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`option ${argv[i]} needs a value`);
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
      case '--single-requests':
        o.singleRequests = Number(v);
        break;
      case '--sync':
        o.sync = v;
        break;
      default:
        throw new Error(`unknown option ${argv[i]}`);
    }
  }
  return o;
}

type Target = 'leader' | 'follower' | 'redis' | 'redis-aof';
const TARGETS: Target[] = ['leader', 'follower', 'redis', 'redis-aof'];
const LABEL: Record<Target, string> = {
  leader: 'raftcache 3 nodes, at the leader',
  follower: 'raftcache 3 nodes, at a follower',
  redis: 'redis-server, no persistence',
  'redis-aof': 'redis-server, appendfsync always',
};

/** Samples per row ("SET -P 16") and target. */
type Samples = Map<string, Map<Target, BenchResult[]>>;

function record(samples: Samples, row: string, target: Target, r: BenchResult): void {
  const byTarget = samples.get(row) ?? new Map<Target, BenchResult[]>();
  byTarget.set(target, [...(byTarget.get(target) ?? []), r]);
  samples.set(row, byTarget);
}

function pct(a: number, b: number): string {
  return b > 0 ? `${((100 * a) / b).toFixed(0)}%` : '-';
}

function table(samples: Samples): string {
  const lines = ['| test | target | ops/s | p50 ms | p99 ms | vs redis AOF always | vs redis no persistence |', '|---|---|---:|---:|---:|---:|---:|'];
  for (const [row, byTarget] of samples) {
    const rps = (t: Target) => median((byTarget.get(t) ?? []).map((r) => r.rps));
    for (const t of TARGETS) {
      const rs = byTarget.get(t);
      if (!rs || rs.length === 0) continue;
      const a = rps(t);
      const p50 = median(rs.map((r) => r.p50));
      const p99 = median(rs.map((r) => r.p99));
      const vsAof = t === 'redis-aof' ? '' : pct(a, rps('redis-aof'));
      const vsRedis = t === 'redis' ? '' : pct(a, rps('redis'));
      lines.push(`| ${row} | ${LABEL[t]} | ${Math.round(a)} | ${p50.toFixed(3)} | ${p99.toFixed(3)} | ${vsAof} | ${vsRedis} |`);
    }
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  process.stderr.write(`bench: starting a 3-node cluster (--sync ${o.sync}) and two redis-servers...\n`);
  const cluster = await Cluster.start({ nodes: 3, args: ['--sync', o.sync] });
  const refs: ReferenceRedis[] = [];
  const samples: Samples = new Map();
  try {
    refs.push(await startRedisServer(['--save', '', '--appendonly', 'no']));
    refs.push(await startRedisServer(['--save', '', '--appendonly', 'yes', '--appendfsync', 'always']));
    const leader = await cluster.leader();
    const follower = (await cluster.followers(leader))[0];
    const ports: Record<Target, number> = {
      leader: cluster.node(leader).port,
      follower: cluster.node(follower).port,
      redis: refs[0].port,
      'redis-aof': refs[1].port,
    };
    for (let run = 1; run <= o.runs; run++) {
      for (const pipeline of o.pipelines) {
        process.stderr.write(`bench: run ${run}/${o.runs}, -c ${o.clients} -P ${pipeline}...\n`);
        for (const t of TARGETS) {
          for (const r of redisBenchmark(ports[t], o.tests, { requests: o.requests, clients: o.clients, pipeline })) {
            record(samples, `${r.test} -c ${o.clients}${pipeline > 1 ? ` -P ${pipeline}` : ''}`, t, r);
          }
        }
      }
      process.stderr.write(`bench: run ${run}/${o.runs}, -c 1 SET...\n`);
      for (const t of TARGETS) {
        for (const r of redisBenchmark(ports[t], ['set'], { requests: o.singleRequests, clients: 1, pipeline: 1 })) record(samples, `${r.test} -c 1`, t, r);
      }
    }
    // The leader must not have changed during the run, or the "leader" column measured something else.
    const after = await cluster.leader();
    if (after !== leader) process.stderr.write(`bench: warning: leadership moved from node ${leader} to node ${after} during the run\n`);
  } finally {
    await cluster.stopAll();
    for (const r of refs) await r.stop();
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  console.log(
    `\n${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} x ${cpu}; \`node dist/bench/cluster.js ${process.argv.slice(2).join(' ')}\`` +
      `\nredis-benchmark -n ${o.requests} (-c 1: -n ${o.singleRequests}); median of ${o.runs} interleaved runs; raftcache --sync ${o.sync}, 3 nodes on this machine\n`,
  );
  console.log(table(samples));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
