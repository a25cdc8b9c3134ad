/**
 * Streams side by side with redis-server in one run (issue 14's targets):
 *
 * 1. Durable XADD on a 3-node cluster (at the leader, --sync always) against
 *    redis-server with `appendfsync always`, next to SET measured the same way:
 *    XADD's ratio should reach SET's.
 * 2. XRANGE ... COUNT 100 and XREAD COUNT 100 on a follower against
 *    redis-server (no persistence): target >= 0.5x.
 * 3. With --fill N (default 1,000,000): N entries XADDed in pipelined batches
 *    into one single-node raftcache and one redis-server while a probe
 *    connection PINGs every 5 ms; the slowest PING (sent from another process)
 *    bounds how long the event loop stalled (target: no stall over 20 ms), then used_memory and RSS of
 *    both (target: memory <= 2x redis's used_memory). The writer is
 *    redis-benchmark (-c 1 -P 1000: one connection, 1,000 XADDs in flight),
 *    which needs a few percent of a CPU; `--writer ioredis` (the earlier
 *    writer) builds the same pipelines in node and takes most of a CPU, which
 *    on a 2-CPU machine competes with the server being measured.
 *
 *   tsc -p . && node dist/bench/streams.js [--requests 20000] [--clients 50] [--runs 3 (0: skip 1-2)] [--fill 1000000 (0: skip 3)] [--fields 5] [--only reads (skip part 1)] [--writer redis-benchmark|ioredis]
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import Redis from 'ioredis';
import { Cluster } from '../test/cluster/harness';
import { startServer, type RunningServer } from '../test/support/proc';
import { median, startRedisServer, type ReferenceRedis } from './redis-benchmark';

interface Options {
  /** 0: skip the throughput part (only the fill). */
  runs: number;
  requests: number;
  clients: number;
  fill: number;
  fields: number;
  /** Part 2 only (the follower reads), without part 1's durable writes. */
  readsOnly: boolean;
  /** Who sends the fill's XADDs. */
  writer: 'redis-benchmark' | 'ioredis';
}

function parse(argv: string[]): Options {
  const o: Options = { requests: 20000, clients: 50, runs: 3, fill: 1_000_000, fields: 5, readsOnly: false, writer: 'redis-benchmark' };
  for (let i = 0; i < argv.length; i += 2) {
    if (argv[i] === '--writer') {
      const w = argv[i + 1];
      if (w !== 'redis-benchmark' && w !== 'ioredis') throw new Error('--writer takes "redis-benchmark" or "ioredis"');
      o.writer = w;
      continue;
    }
    if (argv[i] === '--only') {
      if (argv[i + 1] !== 'reads') throw new Error('--only takes "reads"');
      o.readsOnly = true;
      continue;
    }
    const v = Number(argv[i + 1]);
    if (!Number.isFinite(v)) throw new Error(`option ${argv[i]} needs a number`);
    if (argv[i] === '--requests') o.requests = v;
    else if (argv[i] === '--clients') o.clients = v;
    else if (argv[i] === '--runs') o.runs = v;
    else if (argv[i] === '--fill') o.fill = v;
    else if (argv[i] === '--fields') o.fields = v;
    else throw new Error(`unknown option ${argv[i]}`);
  }
  return o;
}

/** One redis-benchmark command; requests/second from --csv. Any error reply fails the run. */
function rps(port: number, o: Options, cmd: string[]): number {
  const r = spawnSync('redis-benchmark', ['-p', String(port), '-n', String(o.requests), '-c', String(o.clients), '--csv', ...cmd], { encoding: 'utf8', timeout: 900000 });
  if (r.status !== 0) throw new Error(`redis-benchmark ${cmd.join(' ')} failed: ${r.stderr}`);
  const out = r.stdout;
  if (/ERR|WRONGTYPE|error/i.test(out.replace(/"test","rps".*\n/, ''))) throw new Error(`errors from ${cmd[0]} on port ${port}:\n${out}`);
  const line = out.split('\n').find((l) => l && !l.startsWith('"test"'));
  return Number(line?.split(',')[1]?.replace(/"/g, '') ?? NaN);
}

async function seed(port: number, key: string, n: number): Promise<void> {
  const r = new Redis({ port });
  const p = r.pipeline();
  for (let i = 0; i < n; i++) p.xadd(key, '*', 'field', `value-${i}`, 'n', String(i));
  await p.exec();
  r.disconnect();
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/**
 * A PING every 5 ms from a separate process (so the writer's own event loop,
 * busy building pipelines, does not delay it): the slowest round trip bounds
 * how long the server's event loop stalled.
 */
interface ProbeResult {
  /** Slowest round trip (ms). */
  max: number;
  /** Round trips over 20 ms, of n. */
  over: number;
  n: number;
}

function startProbe(port: number): { stop(): Promise<ProbeResult> } {
  const code = `
    const net = require('net');
    const s = net.connect(${port}, '127.0.0.1');
    let max = 0, over = 0, n = 0, t = 0, pending = false;
    s.on('data', () => { const ms = Number(process.hrtime.bigint() - t) / 1e6; if (ms > max) max = ms; if (ms > 20) over++; n++; pending = false; });
    const tick = setInterval(() => { if (pending) return; pending = true; t = process.hrtime.bigint(); s.write('PING\\r\\n'); }, 5);
    process.on('message', () => { clearInterval(tick); process.send({ max, over, n }, () => process.exit(0)); });
  `;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return {
    stop: () =>
      new Promise<ProbeResult>((resolve) => {
        child.once('message', (m) => resolve(m as ProbeResult));
        child.send('stop');
      }),
  };
}

/** XADDs `key` n times, 1,000 in flight, with redis-benchmark (its progress goes to stderr). */
function fillWithRedisBenchmark(port: number, n: number, args: string[]): Promise<void> {
  const rb = spawn('redis-benchmark', ['-p', String(port), '-c', '1', '-P', '1000', '-n', String(n), '-q', 'XADD', 'big', '*', ...args], {
    stdio: ['ignore', process.stderr, 'inherit'],
  });
  return new Promise((resolve, reject) => {
    rb.once('error', reject);
    rb.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`redis-benchmark exited with ${code}`))));
  });
}

/** The same with ioredis pipelines of 1,000. */
async function fillWithIoredis(port: number, n: number, args: string[]): Promise<void> {
  const w = new Redis({ port });
  const BATCH = 1000;
  for (let done = 0; done < n; done += BATCH) {
    const p = w.pipeline();
    for (let i = 0; i < Math.min(BATCH, n - done); i++) p.xadd('big', '*', ...args);
    await p.exec();
    if (done % 500000 === 0) process.stderr.write(`  ${port}: ${done.toLocaleString('en-US')} / ${n.toLocaleString('en-US')} entries\n`);
  }
  w.disconnect();
}

/** Fills `big` with n entries while the probe PINGs; checks XLEN; returns the slowest PING (ms) and the time. */
async function fill(port: number, n: number, fields: number, writer: Options['writer']): Promise<{ ping: ProbeResult; seconds: number; startedAt: number }> {
  const probe = startProbe(port);
  const args: string[] = [];
  for (let f = 0; f < fields; f++) args.push(`f${f}`, `v${f}-xxxxxxxx`);
  const start = Date.now();
  if (writer === 'redis-benchmark') await fillWithRedisBenchmark(port, n, args);
  else await fillWithIoredis(port, n, args);
  const seconds = (Date.now() - start) / 1000;
  const ping = await probe.stop();
  const r = new Redis({ port });
  const len = await r.xlen('big');
  r.disconnect();
  if (len !== n) throw new Error(`port ${port}: XLEN big is ${len} after ${n} XADDs`);
  return { ping, seconds, startedAt: start };
}

interface Stall {
  /** Unix second of the sample (the worst stall of that second). */
  at: number;
  ms: number;
  /** Of it, ms the server's main thread waited for a CPU (LATENCY's event-loop-cpu-wait; absent = 0). */
  cpuWaitMs: number;
}

/** LATENCY HISTORY event-loop-stall (the server keeps the last 160 seconds with one), with each one's CPU wait. */
async function loopStalls(port: number): Promise<Stall[]> {
  const r = new Redis({ port });
  const history = (await r.call('LATENCY', 'HISTORY', 'event-loop-stall')) as Array<[number, number]>;
  const cpuWait = new Map((await r.call('LATENCY', 'HISTORY', 'event-loop-cpu-wait')) as Array<[number, number]>);
  r.disconnect();
  return history.map(([at, ms]) => ({ at, ms, cpuWaitMs: cpuWait.get(at) ?? 0 }));
}

/** The stalls `keep` selects: how many, the worst, and when ("second into the fill: ms"). */
function stallsWhere(stalls: Stall[], keep: (s: Stall) => boolean, zeroMs: number): { seconds: number; worst: number; when: string } {
  const inside = stalls.filter(keep);
  const when = inside.map((s) => `${Math.round(s.at - zeroMs / 1000)} s: ${s.ms} ms (${s.cpuWaitMs} ms of it waiting for a CPU)`).join(', ');
  return { seconds: inside.length, worst: Math.max(0, ...inside.map((s) => s.ms)), when };
}

async function usedMemory(port: number): Promise<number> {
  const r = new Redis({ port });
  const info = String(await r.info('memory'));
  r.disconnect();
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

/** Part 1 and 2: durable XADD vs SET at a 3-node leader, XRANGE/XREAD on a follower, against redis-server. */
async function throughput(o: Options, refs: ReferenceRedis[]): Promise<void> {
  const cluster = await Cluster.start({ nodes: 3, args: ['--sync', 'always'] });
  try {
    const leader = await cluster.leader();
    const [follower] = await cluster.followers(leader);
    const plain = await startRedisServer();
    refs.push(plain);
    const aof = o.readsOnly ? plain : await startRedisServer(['--save', '', '--appendonly', 'yes', '--appendfsync', 'always']);
    if (aof !== plain) refs.push(aof);
    const lport = cluster.node(leader).port;
    const fport = cluster.node(follower).port;
    await seed(lport, 'bench:r', 1000);
    await seed(plain.port, 'bench:r', 1000);
    await cluster.settle();
    const s: Record<string, number[]> = {};
    const add = (k: string, v: number) => (s[k] ??= []).push(v);
    for (let run = 1; run <= o.runs; run++) {
      process.stderr.write(`run ${run}/${o.runs}\n`);
      if (!o.readsOnly) {
        add('xadd-cluster', rps(lport, o, ['XADD', 'bench:w', '*', 'field', 'value']));
        add('xadd-aof', rps(aof.port, o, ['XADD', 'bench:w', '*', 'field', 'value']));
        add('set-cluster', rps(lport, o, ['SET', 'bench:k', 'value']));
        add('set-aof', rps(aof.port, o, ['SET', 'bench:k', 'value']));
      }
      add('xrange-follower', rps(fport, o, ['XRANGE', 'bench:r', '-', '+', 'COUNT', '100']));
      add('xrange-redis', rps(plain.port, o, ['XRANGE', 'bench:r', '-', '+', 'COUNT', '100']));
      add('xread-follower', rps(fport, o, ['XREAD', 'COUNT', '100', 'STREAMS', 'bench:r', '0']));
      add('xread-redis', rps(plain.port, o, ['XREAD', 'COUNT', '100', 'STREAMS', 'bench:r', '0']));
    }
    const m = (k: string) => median(s[k]);
    const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
    console.log(`redis-benchmark -n ${o.requests} -c ${o.clients}; median of ${o.runs} interleaved runs; ${os.cpus().length} x ${cpu}, node ${process.version}; raftcache --sync always\n`);
    console.log('| command | raftcache | redis | ratio |');
    console.log('|---|---:|---:|---:|');
    if (!o.readsOnly) {
      console.log(`| XADD, 3 nodes at the leader vs redis AOF always | ${fmt(m('xadd-cluster'))} | ${fmt(m('xadd-aof'))} | ${(m('xadd-cluster') / m('xadd-aof')).toFixed(2)} |`);
      console.log(`| SET, 3 nodes at the leader vs redis AOF always | ${fmt(m('set-cluster'))} | ${fmt(m('set-aof'))} | ${(m('set-cluster') / m('set-aof')).toFixed(2)} |`);
    }
    console.log(`| XRANGE - + COUNT 100 (1,000 entries), follower vs redis | ${fmt(m('xrange-follower'))} | ${fmt(m('xrange-redis'))} | ${(m('xrange-follower') / m('xrange-redis')).toFixed(2)} |`);
    console.log(`| XREAD COUNT 100 STREAMS s 0, follower vs redis | ${fmt(m('xread-follower'))} | ${fmt(m('xread-redis'))} | ${(m('xread-follower') / m('xread-redis')).toFixed(2)} |`);
  } finally {
    await cluster.stopAll();
  }
}

/** Part 3: one big stream filled on one node and on redis-server: time, slowest PING, memory. */
async function fillBoth(o: Options, refs: ReferenceRedis[]): Promise<void> {
  // The server's own loop monitor records every stall of 20 ms or more (LATENCY HISTORY event-loop-stall).
  const single: RunningServer = await startServer(['--sync', 'always', '--latency-monitor-threshold', '20']);
  try {
    const big = await startRedisServer();
    refs.push(big);
    process.stderr.write(`filling ${fmt(o.fill)} entries (${o.fields} fields each)\n`);
    const mine = await fill(single.port, o.fill, o.fields, o.writer);
    const fillEnd = mine.startedAt + mine.seconds * 1000;
    // The target is about XADD: the stalls during the fill count. Also shown: those before it (start-up, the
    // connections) and after, while redis-server is filled beside the idle node (both CPUs taken) as it finishes
    // its last flush and collections; each with how much of it was a wait for a CPU.
    const theirs = await fill(big.port, o.fill, o.fields, o.writer);
    const stalls = await loopStalls(single.port);
    // LATENCY's samples are per second: one whose second overlaps the fill at all counts as during it.
    const before = stallsWhere(stalls, (s) => (s.at + 1) * 1000 <= mine.startedAt, mine.startedAt);
    const during = stallsWhere(stalls, (s) => (s.at + 1) * 1000 > mine.startedAt && s.at * 1000 <= fillEnd, mine.startedAt);
    const after = stallsWhere(stalls, (s) => s.at * 1000 > fillEnd, mine.startedAt);
    const [memMine, memTheirs] = [await usedMemory(single.port), await usedMemory(big.port)];
    const [rssMine, rssTheirs] = [rssOf(single.proc.pid ?? 0), rssOf(big.pid)];
    console.log(`\nOne stream of ${fmt(o.fill)} entries x ${o.fields} fields, XADD pipelined 1,000 at a time by ${o.writer}, a PING every 5 ms alongside (another process):\n`);
    console.log('| | raftcache (1 node) | redis-server | ratio |');
    console.log('|---|---:|---:|---:|');
    console.log(`| fill time (s) | ${mine.seconds.toFixed(1)} | ${theirs.seconds.toFixed(1)} | ${(mine.seconds / theirs.seconds).toFixed(2)} |`);
    console.log(`| slowest PING during the fill (ms) | ${mine.ping.max.toFixed(1)} | ${theirs.ping.max.toFixed(1)} | |`);
    console.log(`| PINGs over 20 ms | ${mine.ping.over} of ${fmt(mine.ping.n)} | ${theirs.ping.over} of ${fmt(theirs.ping.n)} | |`);
    console.log(`| event-loop stalls >= 20 ms during the fill (server's LATENCY monitor: seconds with one, worst ms) | ${during.seconds}, ${during.worst} | | |`);
    console.log(`| ... before it (start-up), and after it, idle while redis-server was filled | ${before.seconds}, ${after.seconds} | | |`);
    const all = [before, during, after].filter((x) => x.seconds > 0).map((x) => x.when);
    if (all.length > 0) console.log(`\nThe stalls, by second into raftcache's fill (${mine.seconds.toFixed(1)} s long): ${all.join(', ')}\n`);
    console.log(`| used_memory (MB) | ${(memMine / 1e6).toFixed(1)} | ${(memTheirs / 1e6).toFixed(1)} | ${(memMine / memTheirs).toFixed(2)} |`);
    console.log(`| RSS (MB) | ${(rssMine / 1e6).toFixed(1)} | ${(rssTheirs / 1e6).toFixed(1)} | ${(rssMine / rssTheirs).toFixed(2)} |`);
  } finally {
    await single.stop();
  }
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const refs: ReferenceRedis[] = [];
  try {
    if (o.runs > 0) await throughput(o, refs);
    if (o.fill > 0) await fillBoth(o, refs);
  } finally {
    await Promise.all(refs.map((r) => r.stop()));
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
