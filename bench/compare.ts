/**
 * raftcache's 3-node durable SET against what a user would pick instead, all
 * started and measured in one run on this machine:
 *   - redis-server, no persistence, and with `appendfsync always`;
 *   - a Redis primary with two replicas, AOF always everywhere, each write
 *     followed by `WAIT 1` (the closest Redis gets to "acknowledged = on two
 *     machines");
 *   - a 3-member etcd (fsync on), puts over its v3 JSON gateway.
 * redis-benchmark cannot send WAIT after each SET nor talk to etcd, so every
 * target that speaks Redis is also measured with one small Node client of the
 * same shape (bench/node-client.ts); redis-benchmark figures are reported
 * beside them for the targets it can drive. Targets are interleaved within a
 * run so machine noise hits all alike; each cell is the median of the runs.
 * Prints markdown tables with ratios and writes them as an SVG bar chart.
 *
 *   npm run bench:compare -- [--requests 20000] [--runs 3] [--clients 50] [--pipeline 16]
 *       [--single-requests 3000] [--sync always] [--targets leader,follower,redis,redis-aof,redis-wait,etcd]
 *       [--svg docs/bench-compare.svg | --svg ''] [--node-client ioredis|raw]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Cluster, sleep } from '../test/cluster/harness';
import { barChartSvg, type PanelSpec } from './chart-svg';
import { etcdVersion, startEtcdCluster, type EtcdCluster } from './etcd';
import { etcdPutLoad, redisSetLoad, type LoadShape } from './node-client';
import { median, redisBenchmarkAsync, runningBenchmarks, startRedisServer } from './redis-benchmark';
import { startReplicatedRedis } from './redis-replicated';

type Target = 'leader' | 'follower' | 'redis' | 'redis-aof' | 'redis-wait' | 'etcd';
const TARGETS: Target[] = ['leader', 'follower', 'redis', 'redis-aof', 'redis-wait', 'etcd'];
const LABEL: Record<Target, string> = {
  leader: 'raftcache 3 nodes (at the leader)',
  follower: 'raftcache 3 nodes (at a follower)',
  redis: 'redis-server, no persistence',
  'redis-aof': 'redis-server, AOF fsync always',
  'redis-wait': 'Redis primary + 2 replicas, AOF always, WAIT 1',
  etcd: 'etcd 3 members',
};

type Client = 'node' | 'redis-benchmark';
type Shape = 'c' | 'P' | 'c1';

/** What each client can measure: redis-benchmark cannot WAIT nor speak etcd; the follower is the existing cluster bench's business. */
const MEASURED: Record<Client, Target[]> = {
  'redis-benchmark': ['leader', 'follower', 'redis', 'redis-aof'],
  node: ['leader', 'redis', 'redis-aof', 'redis-wait', 'etcd'],
};

interface Options {
  clients: number;
  requests: number;
  pipeline: number;
  singleRequests: number;
  runs: number;
  sync: string;
  targets: Target[];
  svg: string;
  /** How the Node client speaks RESP: ioredis (what users run) or raw (cheaper, for when ioredis is the bottleneck). */
  driver: 'ioredis' | 'raw';
}

function parse(argv: string[]): Options {
  const o: Options = { clients: 50, requests: 20000, pipeline: 16, singleRequests: 3000, runs: 3, sync: 'always', targets: TARGETS, svg: 'docs/bench-compare.svg', driver: 'ioredis' };
  for (let i = 0; i < argv.length; i += 2) {
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`option ${argv[i]} needs a value`);
    const n = Number(v);
    switch (argv[i]) {
      case '--clients':
        o.clients = n;
        break;
      case '--requests':
        o.requests = n;
        break;
      case '--pipeline':
        o.pipeline = n;
        break;
      case '--single-requests':
        o.singleRequests = n;
        break;
      case '--runs':
        o.runs = n;
        break;
      case '--sync':
        o.sync = v;
        break;
      case '--targets':
        o.targets = v.split(',') as Target[];
        for (const t of o.targets) if (!TARGETS.includes(t)) throw new Error(`unknown target ${t} (known: ${TARGETS.join(',')})`);
        if (!o.targets.includes('leader')) throw new Error('--targets must include leader: every ratio is against it');
        break;
      case '--svg':
        o.svg = v;
        break;
      case '--node-client':
        if (v !== 'ioredis' && v !== 'raw') throw new Error('--node-client is ioredis or raw');
        o.driver = v;
        break;
      default:
        throw new Error(`unknown option ${argv[i]}`);
    }
  }
  for (const [k, x] of [['--clients', o.clients], ['--requests', o.requests], ['--pipeline', o.pipeline], ['--single-requests', o.singleRequests], ['--runs', o.runs]] as const) {
    if (!Number.isInteger(x) || x < 1) throw new Error(`${k} must be a positive integer`);
  }
  return o;
}

interface Sample {
  rps: number;
  p50: number;
  p99: number;
  failed: number;
}

/** Samples by client, shape and target. */
class Samples {
  private readonly m = new Map<string, Sample[]>();
  add(client: Client, shape: Shape, t: Target, s: Sample): void {
    const k = `${client}/${shape}/${t}`;
    this.m.set(k, [...(this.m.get(k) ?? []), s]);
  }
  /** The median of each field over the runs, or undefined when not measured. */
  get(client: Client, shape: Shape, t: Target): Sample | undefined {
    const xs = this.m.get(`${client}/${shape}/${t}`);
    if (!xs || xs.length === 0) return undefined;
    return { rps: median(xs.map((x) => x.rps)), p50: median(xs.map((x) => x.p50)), p99: median(xs.map((x) => x.p99)), failed: xs.reduce((a, x) => a + x.failed, 0) };
  }
}

/** Things to stop at the end, also on Ctrl-C or an error; run newest first. */
const cleanups: Array<{ what: string; stop: () => Promise<void> }> = [];
let cleaning: Promise<void> | undefined;
/** Idempotent: a second caller (the error path after a Ctrl-C) waits for the same cleanup instead of exiting half-way. */
function cleanupAll(): Promise<void> {
  cleaning ??= (async () => {
    for (const p of runningBenchmarks) p.kill('SIGKILL');
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c.stop();
      } catch (e) {
        process.stderr.write(`bench: stopping ${c.what} failed: ${(e as Error).message}\n`);
      }
    }
  })();
  return cleaning;
}
/** Set by Ctrl-C: the measuring loop stops before its next measurement. */
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    interrupted = true;
    process.stderr.write(`\nbench: ${sig}: stopping every server this bench started...\n`);
    void cleanupAll().finally(() => process.exit(130));
  });
}

function log(s: string): void {
  process.stderr.write(`bench: ${s}\n`);
}

const fmtRps = (v: number) => `${Math.round(v).toLocaleString('en-US')}/s`;
const fmtMs = (v: number) => `${v.toFixed(2)} ms`;

function shapeName(shape: Shape, o: Options): string {
  return shape === 'c' ? `SET -c ${o.clients}` : shape === 'P' ? `SET -c ${o.clients} -P ${o.pipeline}` : 'SET -c 1';
}

function firstLine(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0].trim() : 'not found';
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const command = `npm run bench:compare -- ${process.argv.slice(2).join(' ')}`.trim().replace(/ --$/, '');
  let targets = o.targets;
  const etcdV = etcdVersion();
  if (targets.includes('etcd') && !etcdV) {
    log('WARNING: etcd is not installed (apt-get install -y etcd-server): the etcd column is skipped');
    targets = targets.filter((t) => t !== 'etcd');
  }
  const has = (t: Target) => targets.includes(t);
  const samples = new Samples();
  // Other work on the machine moves every figure: the caption records the load around the run.
  const loadBefore = os.loadavg()[0];

  log(`starting a 3-node raftcache cluster (--sync ${o.sync})...`);
  const cluster = await Cluster.start({ nodes: 3, args: ['--sync', o.sync] });
  cleanups.push({ what: 'the raftcache cluster', stop: () => cluster.stopAll() });
  const ports = new Map<Target, number>();
  let etcd: EtcdCluster | undefined;
  /** Leader changes seen between measurements (on a loaded machine election timeouts can fire). */
  let moves = 0;
  /** Measurements repeated because they failed (an election, most likely). */
  let retries = 0;
  try {
    let leader = await cluster.leader();
    // Re-resolved before every raftcache measurement, so the "leader" column always measures the leader of the moment.
    const placeRaftcache = async () => {
      const now = await cluster.leader();
      if (now !== leader) {
        moves++;
        log(`WARNING: raftcache leadership moved from node ${leader} to node ${now}; measuring at the new leader from here on`);
        leader = now;
      }
      ports.set('leader', cluster.node(leader).port);
      ports.set('follower', cluster.node((await cluster.followers(leader))[0]).port);
    };
    await placeRaftcache();
    if (has('redis')) {
      log('starting redis-server (no persistence)...');
      const r = await startRedisServer(['--save', '', '--appendonly', 'no']);
      cleanups.push({ what: 'redis-server', stop: () => r.stop() });
      ports.set('redis', r.port);
    }
    if (has('redis-aof')) {
      log('starting redis-server (appendfsync always)...');
      const r = await startRedisServer(['--save', '', '--appendonly', 'yes', '--appendfsync', 'always']);
      cleanups.push({ what: 'redis-server AOF', stop: () => r.stop() });
      ports.set('redis-aof', r.port);
    }
    if (has('redis-wait')) {
      log('starting a Redis primary with 2 replicas (AOF always) and waiting for both replicas to be online...');
      const r = await startReplicatedRedis(2);
      cleanups.push({ what: 'the replicated Redis', stop: () => r.stop() });
      ports.set('redis-wait', r.primaryPort);
    }
    let etcdLeaderPort = 0;
    if (has('etcd')) {
      log(`starting a 3-member etcd (${etcdV})...`);
      const e = await startEtcdCluster(3);
      etcd = e;
      cleanups.push({ what: 'the etcd cluster', stop: () => e.stop() });
      etcdLeaderPort = await e.leaderPort();
      ports.set('etcd', etcdLeaderPort);
    }
    const placeEtcd = async () => {
      if (!etcd) return;
      const now = await etcd.leaderPort();
      if (now !== etcdLeaderPort) {
        moves++;
        log('WARNING: etcd leadership moved; measuring at the new leader from here on');
        etcdLeaderPort = now;
      }
      ports.set('etcd', etcdLeaderPort);
    };

    /**
     * Runs one measurement; for a Raft target (raftcache, etcd) a failure is
     * most likely an election under load (CLUSTERDOWN, writes refused), so it
     * finds the leader again and repeats the measurement, up to 3 times.
     */
    const retried = async <T>(t: Target, where: string, fn: () => Promise<T>): Promise<T> => {
      for (let attempt = 1; ; attempt++) {
        if (interrupted) throw new Error('interrupted');
        try {
          return await fn();
        } catch (e) {
          if (interrupted || attempt >= 3 || !(t === 'leader' || t === 'follower' || t === 'etcd')) throw e;
          retries++;
          log(`WARNING: ${where}: ${(e as Error).message.split('\n')[0]}; finding the leader and measuring again`);
          await sleep(2000);
          if (t === 'etcd') await placeEtcd();
          else await placeRaftcache();
        }
      }
    };

    const shapes: Array<[Shape, LoadShape]> = [
      ['c', { clients: o.clients, requests: o.requests, pipeline: 1 }],
      ['P', { clients: o.clients, requests: o.requests, pipeline: o.pipeline }],
      ['c1', { clients: 1, requests: o.singleRequests, pipeline: 1 }],
    ];
    for (let run = 1; run <= o.runs; run++) {
      for (const [shape, load] of shapes) {
        for (const t of targets) {
          if (t === 'leader' || t === 'follower') await placeRaftcache();
          if (t === 'etcd') await placeEtcd();
          const port = ports.get(t);
          if (port === undefined) continue;
          const where = `run ${run}/${o.runs}, ${shapeName(shape, o)}, ${LABEL[t]}`;
          if (MEASURED['redis-benchmark'].includes(t)) {
            const r = await retried(t, where, async () => {
              const [x] = await redisBenchmarkAsync(ports.get(t) ?? port, ['set'], load);
              return { ...x, failed: 0 };
            });
            samples.add('redis-benchmark', shape, t, r);
            log(`${where}, redis-benchmark: ${fmtRps(r.rps)}, p50 ${fmtMs(r.p50)}`);
          }
          if (MEASURED.node.includes(t) && !(t === 'etcd' && shape === 'P')) {
            const r = await retried(t, where, async () => {
              const at = ports.get(t) ?? port;
              const x = t === 'etcd' ? await etcdPutLoad(at, load) : await redisSetLoad(at, load, { driver: o.driver, wait: t === 'redis-wait' ? { replicas: 1, timeoutMs: 1000 } : undefined });
              if (x.failed > 0 && (t === 'leader' || t === 'follower' || t === 'etcd')) throw new Error(`${x.failed} failed: ${x.firstError}`);
              return x;
            });
            samples.add('node', shape, t, r);
            log(`${where}, node client: ${fmtRps(r.rps)}, p50 ${fmtMs(r.p50)}${r.failed ? `, ${r.failed} FAILED (${r.firstError})` : ''}`);
          }
        }
      }
    }
    // A change during the last measurement would mean it measured something else.
    await placeRaftcache();
    await placeEtcd();
  } finally {
    await cleanupAll();
  }

  const date = new Date().toISOString().slice(0, 10);
  const cpus = os.cpus();
  const machine = `${cpus.length} x ${cpus[0]?.model.trim() ?? 'unknown cpu'}, ${os.platform()} ${os.release()}, load average ${loadBefore.toFixed(1)} before the run, ${os.loadavg()[0].toFixed(1)} after`;
  const versions = `node ${process.version}, redis-server ${firstLine('redis-server', ['--version']).replace(/.* v=(\S+).*/, '$1')}${etcdV ? `, etcd ${etcdV.replace(/.*Version:\s*/, '')}` : ''}`;
  const method =
    `-n ${o.requests} (-c 1: -n ${o.singleRequests}), 3-byte values, median of ${o.runs} interleaved runs; ` +
    `raftcache --sync ${o.sync}${o.sync === 'always' ? ' (acknowledged = fsynced on 2 of 3 nodes)' : ''}; Node client: ${o.driver === 'raw' ? 'raw RESP' : 'ioredis'}; all servers on this one machine`;
  console.log(`\n${date}, ${machine}; ${versions}\n\`${command}\`\n${method}\n`);
  console.log(report(samples, targets, o));
  if (moves + retries > 0) console.log(`\n${moves} leadership change(s) during the run; ${retries} measurement(s) failed and were repeated (a measurement that straddles a change without failing is in the medians).`);
  const failed = targets.flatMap((t) => (['c', 'P', 'c1'] as Shape[]).map((s) => samples.get('node', s, t)?.failed ?? 0)).reduce((a, b) => a + b, 0);
  if (failed > 0) log(`WARNING: ${failed} operations failed or were not acknowledged in all (see the progress lines)`);

  if (o.svg) {
    const svg = barChartSvg({
      title: 'Durable SET: raftcache (3 nodes) against what users would pick instead',
      lines: [`${date} · ${machine}`, versions, `\`${command}\``, method],
      panels: chartPanels(samples, targets, o),
      footnotes: [
        `Node client: ${o.driver === 'raw' ? 'raw RESP over net.Socket' : 'ioredis'} / HTTP keep-alive, one connection per client, same code for every target; Redis + WAIT sends SET(s) then WAIT 1 1000 back to back and counts a write only when WAIT answers ≥ 1.`,
        'etcd: POST /v3/kv/put on the leader through its JSON gateway (HTTP/1.1: no pipelining). Redis 7.0 WAIT counts replicas that received the write, not fsynced it.',
        '"raftcache = r×": the raftcache leader\'s figure ÷ this bar\'s, measured by the same client (ops/s: below 1 = raftcache slower; p50: above 1 = raftcache slower).',
        ...(moves + retries > 0 ? [`${moves} leadership change(s) during the run; ${retries} failed measurement(s) repeated; one that straddles a change without failing is in the medians.`] : []),
      ],
    });
    mkdirSync(path.dirname(path.resolve(o.svg)), { recursive: true });
    writeFileSync(o.svg, svg);
    log(`chart written to ${o.svg}`);
  }
}

/** raftcache leader ÷ target, by the same client; for latency the p50s (above 1 = raftcache slower). */
function ratio(samples: Samples, client: Client, shape: Shape, t: Target): number | undefined {
  const base = samples.get(client, shape, 'leader');
  const other = samples.get(client, shape, t);
  if (!base || !other) return undefined;
  return shape === 'c1' ? base.p50 / other.p50 : base.rps / other.rps;
}

const fmtRatio = (r: number | undefined) => (r === undefined ? '-' : `${r >= 10 ? r.toFixed(0) : r.toFixed(2)}×`);

function report(samples: Samples, targets: Target[], o: Options): string {
  const out: string[] = [];
  out.push(
    `| target | client | ${shapeName('c', o)} ops/s | ${shapeName('P', o)} ops/s | SET -c 1 p50 ms | raftcache ÷ this, -c ${o.clients} | -P ${o.pipeline} | -c 1 p50 |`,
    '|---|---|---:|---:|---:|---:|---:|---:|',
  );
  for (const client of ['node', 'redis-benchmark'] as Client[]) {
    for (const t of MEASURED[client].filter((x) => targets.includes(x))) {
      const c = samples.get(client, 'c', t);
      const p = samples.get(client, 'P', t);
      const one = samples.get(client, 'c1', t);
      const cells = [
        c ? Math.round(c.rps).toLocaleString('en-US') : '-',
        p ? Math.round(p.rps).toLocaleString('en-US') : t === 'etcd' ? 'n/a' : '-',
        one ? one.p50.toFixed(3) : '-',
        ...(t === 'leader' || t === 'follower' ? ['', '', ''] : (['c', 'P', 'c1'] as Shape[]).map((s) => fmtRatio(ratio(samples, client, s, t)))),
      ];
      const name = t === 'leader' ? `**${LABEL[t]}**` : LABEL[t];
      out.push(`| ${name} | ${client === 'node' ? 'Node client' : 'redis-benchmark'} | ${cells.join(' | ')} |`);
    }
  }
  out.push('', 'Every cell (median ops/s, p50 / p99 ms of one round trip):', '', '| test | target | client | ops/s | p50 ms | p99 ms | failed |', '|---|---|---|---:|---:|---:|---:|');
  for (const shape of ['c', 'P', 'c1'] as Shape[]) {
    for (const client of ['node', 'redis-benchmark'] as Client[]) {
      for (const t of MEASURED[client].filter((x) => targets.includes(x))) {
        const s = samples.get(client, shape, t);
        if (!s) continue;
        out.push(`| ${shapeName(shape, o)} | ${LABEL[t]} | ${client} | ${Math.round(s.rps)} | ${s.p50.toFixed(3)} | ${s.p99.toFixed(3)} | ${client === 'node' ? s.failed : ''} |`);
      }
    }
  }
  return out.join('\n');
}

function chartPanels(samples: Samples, targets: Target[], o: Options): PanelSpec[] {
  const panels: PanelSpec[] = [];
  const titles: Record<Shape, string> = {
    c: `${shapeName('c', o)}: throughput, ops/s (higher is better)`,
    P: `${shapeName('P', o)}: throughput, ops/s (higher is better)`,
    c1: 'SET -c 1: median latency, ms (lower is better)',
  };
  for (const client of ['node', 'redis-benchmark'] as Client[]) {
    for (const shape of ['c', 'P', 'c1'] as Shape[]) {
      const bars = MEASURED[client]
        .filter((t) => targets.includes(t))
        .map((t) => {
          const s = samples.get(client, shape, t);
          const r = ratio(samples, client, shape, t);
          return {
            label: LABEL[t],
            value: s === undefined ? undefined : shape === 'c1' ? s.p50 : s.rps,
            highlight: t === 'leader' || t === 'follower',
            // Ratios are against the other systems; the follower is raftcache itself.
            note: t === 'leader' || t === 'follower' || r === undefined ? undefined : `raftcache = ${fmtRatio(r)}`,
            missing: t === 'etcd' && shape === 'P' ? 'n/a (HTTP gateway: no pipelining)' : undefined,
          };
        });
      panels.push({
        title: `${titles[shape]} · ${client === 'node' ? 'Node client' : 'redis-benchmark'}`,
        subtitle: client === 'node' ? 'the same Node client against every target' : 'redis-benchmark (C) against the targets it can drive: no WAIT, no etcd',
        bars,
        format: shape === 'c1' ? fmtMs : fmtRps,
      });
    }
  }
  return panels;
}

main().catch(async (e) => {
  if (!interrupted) process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
  await cleanupAll();
  process.exit(interrupted ? 130 : 1);
});
