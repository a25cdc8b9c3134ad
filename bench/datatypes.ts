/**
 * redis-benchmark's DEFAULT test list (no -t: PING, SET, GET, INCR, LPUSH,
 * RPUSH, LPOP, RPOP, SADD, HSET, SPOP, ZADD, ZPOPMIN, LPUSH (LRANGE setup),
 * LRANGE_100/300/500/600, MSET) plus HGET and ZSCORE as custom commands,
 * side by side in one run against: one raftcache node, a 3-node raftcache
 * cluster (at its leader), redis-server without persistence and
 * redis-server with `appendfsync always`. Targets are interleaved within
 * each run; every cell is the median of the runs; any error reply fails the
 * benchmark (the default run must complete with zero errors).
 *
 *   tsc -p . && node dist/bench/datatypes.js [--requests 20000] [--clients 50] [--runs 3] [--pipeline 1]
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { Cluster } from '../test/cluster/harness';
import { startServer, type RunningServer } from '../test/support/proc';
import { median, startRedisServer, type ReferenceRedis } from './redis-benchmark';

interface Options {
  requests: number;
  clients: number;
  runs: number;
  pipeline: number;
}

function parse(argv: string[]): Options {
  const o: Options = { requests: 20000, clients: 50, runs: 3, pipeline: 1 };
  for (let i = 0; i < argv.length; i += 2) {
    const v = Number(argv[i + 1]);
    if (!Number.isFinite(v)) throw new Error(`option ${argv[i]} needs a number`);
    if (argv[i] === '--requests') o.requests = v;
    else if (argv[i] === '--clients') o.clients = v;
    else if (argv[i] === '--runs') o.runs = v;
    else if (argv[i] === '--pipeline') o.pipeline = v;
    else throw new Error(`unknown option ${argv[i]}`);
  }
  return o;
}

interface Target {
  name: string;
  port: number;
}

type Row = Map<string, number[]>; // target -> rps samples

function run(port: number, args: string[]): string {
  const r = spawnSync('redis-benchmark', ['-p', String(port), ...args], { encoding: 'utf8', timeout: 900000 });
  if (r.status !== 0) throw new Error(`redis-benchmark ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout + r.stderr;
}

/** Parses --csv output into test -> rps; throws on any error line (the run must be error-free). */
function parseCsv(out: string, where: string): Map<string, number> {
  if (/ERR|WRONGTYPE|error/i.test(out.replace(/"test","rps".*\n/, ''))) throw new Error(`redis-benchmark reported errors against ${where}:\n${out}`);
  const rows = new Map<string, number>();
  for (const line of out.split('\n')) {
    const cells = line.split(',').map((c) => c.replace(/^"|"$/g, ''));
    if (cells.length < 2 || cells[0] === 'test') continue;
    rows.set(cells[0], Number(cells[1]));
  }
  return rows;
}

function benchTarget(t: Target, o: Options): Map<string, number> {
  const common = ['-n', String(o.requests), '-c', String(o.clients), '-P', String(o.pipeline), '--csv'];
  const rows = parseCsv(run(t.port, common), t.name);
  // Reads of the types the default list only writes: one hash field and one member, as the targets name them.
  run(t.port, ['-n', '1', 'HSET', 'bench:hash', 'field', 'value']);
  run(t.port, ['-n', '1', 'ZADD', 'bench:zset', '1', 'member']);
  for (const [name, cmd] of [
    ['HGET', ['HGET', 'bench:hash', 'field']],
    ['ZSCORE', ['ZSCORE', 'bench:zset', 'member']],
  ] as const) {
    const custom = parseCsv(run(t.port, [...common, ...cmd]), t.name);
    for (const v of custom.values()) rows.set(name, v);
  }
  return rows;
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const refs: ReferenceRedis[] = [];
  let single: RunningServer | undefined;
  let cluster: Cluster | undefined;
  try {
    single = await startServer(['--sync', 'always']);
    cluster = await Cluster.start({ nodes: 3, args: ['--sync', 'always'] });
    const leader = await cluster.leader();
    const plain = await startRedisServer();
    refs.push(plain);
    const aof = await startRedisServer(['--save', '', '--appendonly', 'yes', '--appendfsync', 'always']);
    refs.push(aof);
    const targets: Target[] = [
      { name: 'raftcache 1 node', port: single.port },
      { name: 'raftcache 3 nodes', port: cluster.node(leader).port },
      { name: 'redis', port: plain.port },
      { name: 'redis AOF always', port: aof.port },
    ];
    const table = new Map<string, Row>();
    for (let r = 1; r <= o.runs; r++) {
      for (const t of targets) {
        process.stderr.write(`run ${r}/${o.runs}: ${t.name}...\n`);
        for (const [test, rps] of benchTarget(t, o)) {
          let row = table.get(test);
          if (!row) table.set(test, (row = new Map()));
          const samples = row.get(t.name) ?? [];
          samples.push(rps);
          row.set(t.name, samples);
        }
      }
    }
    const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
    console.log(`redis-benchmark default tests + HGET/ZSCORE, -n ${o.requests} -c ${o.clients} -P ${o.pipeline}; median of ${o.runs} interleaved runs`);
    console.log(`${os.cpus().length} x ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; raftcache --sync always\n`);
    const names = targets.map((t) => t.name);
    console.log(`| test | ${names.join(' | ')} | 1 node / redis | 1 node / AOF | 3 nodes / AOF |`);
    console.log(`|---|${names.map(() => '---:').join('|')}|---:|---:|---:|`);
    for (const [test, row] of table) {
      const m = (n: string) => median(row.get(n) ?? [0]);
      const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : '-');
      console.log(
        `| ${test} | ${names.map((n) => Math.round(m(n)).toLocaleString('en-US')).join(' | ')} | ${ratio(m(names[0]), m('redis'))} | ${ratio(m(names[0]), m('redis AOF always'))} | ${ratio(m(names[1]), m('redis AOF always'))} |`,
      );
    }
  } finally {
    await Promise.all(refs.map((r) => r.stop()));
    await single?.stop();
    await cluster?.stopAll();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
