/**
 * What the Prometheus endpoint costs the command path: redis-benchmark SET
 * and GET against single nodes with the endpoint off, on (histograms kept,
 * nobody scraping) and on while scraped every second. Each run starts fresh
 * servers and rotates the order of the modes, so machine noise and instance
 * differences hit every mode alike; medians and their ratio to "off". Besides
 * ops/s (noisy on a shared machine) it reports the server's CPU time per
 * request (user + system, from /proc), which is what the metrics add.
 *
 *   npx tsc -p . && node dist/bench/metrics-cost.js [--tests set,get] [--clients 50] [--requests 50000] [--pipeline 1]
 *                                                 [--runs 5] [--server-args "--sync none"]
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { startServer, type RunningServer } from '../test/support/proc';
import { CommandLatency } from '../server/metrics';
import { freePort, median, redisBenchmarkAsync, runningBenchmarks, type BenchResult } from './redis-benchmark';

interface Options {
  serverArgs: string[];
  tests: string[];
  clients: number;
  requests: number;
  pipeline: number;
  runs: number;
}

function parse(argv: string[]): Options {
  const o: Options = { serverArgs: [], tests: ['set', 'get'], clients: 50, requests: 50000, pipeline: 1, runs: 5 };
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
        o.pipeline = Number(v);
        break;
      case '--runs':
        o.runs = Number(v);
        break;
      case '--server-args':
        o.serverArgs = v.split(' ').filter(Boolean);
        break;
      default:
        throw new Error(`unknown option ${argv[i]}`);
    }
  }
  return o;
}

/** CPU seconds (user + system) process `pid` has used; Linux only (USER_HZ is 100 for user space). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

type Mode = 'off' | 'on' | 'scraped';
const MODES: Mode[] = ['off', 'on', 'scraped'];

/** One GET /metrics; resolves with the body's size and the time to the last byte (render + transfer, under load). */
function scrapeOnce(port: number): Promise<{ bytes: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
        let n = 0;
        res.on('data', (d: Buffer) => (n += d.length));
        res.on('end', () => (res.statusCode === 200 ? resolve({ bytes: n, ms: performance.now() - started }) : reject(new Error(`scrape answered ${res.statusCode}`))));
      })
      .on('error', reject);
  });
}

/** The hot path's addition in isolation: ns per CommandLatency.observe (map lookup, bucket scan, increments). */
function observeNs(): number {
  const lat = new CommandLatency();
  const names = ['get', 'set', 'incr', 'hset'];
  const n = 5_000_000;
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) lat.observe(names[i & 3], (i % 1000) * 0.000002);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / n);
  }
  return best;
}

interface Sample extends BenchResult {
  /** Server CPU microseconds (user + system) per request of this test. */
  cpuUsPerOp: number;
}

/**
 * Server CPU per scrape, on an idle node: CPU over a burst of sequential
 * scrapes minus what the node uses idle (ticks, timers) over the same time.
 */
async function scrapeCpuMs(o: Options): Promise<number> {
  const { srv, metricsPort } = await startMode('on', o);
  try {
    await redisBenchmarkAsync(srv.port, o.tests, { requests: 1000, clients: 5, pipeline: 1 }); // some commands to report
    const pid = srv.proc.pid!;
    let t0 = performance.now();
    let c0 = cpuSeconds(pid);
    await new Promise((r) => setTimeout(r, 2000));
    const idlePerMs = (cpuSeconds(pid) - c0) / (performance.now() - t0);
    const n = 200;
    t0 = performance.now();
    c0 = cpuSeconds(pid);
    for (let i = 0; i < n; i++) await scrapeOnce(metricsPort);
    const busy = cpuSeconds(pid) - c0 - idlePerMs * (performance.now() - t0);
    return (busy * 1000) / n;
  } finally {
    await srv.stop();
  }
}

async function startMode(mode: Mode, o: Options): Promise<{ srv: RunningServer; metricsPort: number }> {
  const metricsPort = mode === 'off' ? 0 : await freePort();
  const args = mode === 'off' ? o.serverArgs : [...o.serverArgs, '--metrics-port', String(metricsPort)];
  return { srv: await startServer(args), metricsPort };
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  process.env.RAFTCACHE_LOG_LEVEL = 'warn';
  const live = new Set<RunningServer>();
  const samples = new Map<string, Sample[]>();
  let scrapes = 0;
  let scrapeBytes = 0;
  const scrapeMs: number[] = [];
  process.once('SIGINT', () => {
    for (const p of runningBenchmarks) p.kill('SIGKILL');
    void Promise.all([...live].map((s) => s.stop())).then(() => process.exit(130));
  });
  for (let run = 1; run <= o.runs; run++) {
    const order = MODES.map((_, i) => MODES[(i + run) % MODES.length]);
    for (const mode of order) {
      process.stderr.write(`bench: run ${run}/${o.runs}, metrics ${mode}...\n`);
      const { srv, metricsPort } = await startMode(mode, o);
      live.add(srv);
      const scraper =
        mode === 'scraped'
          ? setInterval(() => {
              scrapeOnce(metricsPort).then(
                (r) => {
                  scrapes++;
                  scrapeBytes = r.bytes;
                  scrapeMs.push(r.ms);
                },
                (e: Error) => process.stderr.write(`scrape failed: ${e.message}\n`),
              );
            }, 1000)
          : undefined;
      try {
        // One invocation per test, so the server's CPU time is that test's.
        for (const test of o.tests) {
          const cpu0 = cpuSeconds(srv.proc.pid!);
          const rows = await redisBenchmarkAsync(srv.port, [test], { requests: o.requests, clients: o.clients, pipeline: o.pipeline });
          const cpuUsPerOp = ((cpuSeconds(srv.proc.pid!) - cpu0) * 1e6) / o.requests;
          for (const row of rows) {
            const key = `${row.test}\t${mode}`;
            samples.set(key, [...(samples.get(key) ?? []), { ...row, cpuUsPerOp }]);
          }
        }
      } finally {
        if (scraper) clearInterval(scraper);
        await srv.stop();
        live.delete(srv);
      }
    }
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  console.log(`\nredis-benchmark -c ${o.clients} -n ${o.requests} -P ${o.pipeline} -t ${o.tests.join(',')}, median of ${o.runs} runs (fresh servers, order rotated); ${os.cpus().length} x ${cpu}; ${new Date().toISOString().slice(0, 10)}`);
  console.log(`raftcache-server ${o.serverArgs.join(' ') || '(defaults: --sync always)'}; scraped: GET /metrics every second (${scrapes} scrapes, ${scrapeBytes} bytes each, median ${median(scrapeMs).toFixed(2)} ms to the last byte under load)`);
  console.log(`CommandLatency.observe in isolation: ${observeNs().toFixed(1)} ns per call; server CPU per scrape (idle node): ${(await scrapeCpuMs(o)).toFixed(2)} ms`);
  console.log('| test | metrics | ops/s | p50 ms | p99 ms | ops/s vs off | server CPU µs/op | CPU vs off |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|');
  const tests = [...new Set([...samples.keys()].map((k) => k.split('\t')[0]))];
  for (const test of tests) {
    const off = samples.get(`${test}\toff`) ?? [];
    const offRps = median(off.map((r) => r.rps));
    const offCpu = median(off.map((r) => r.cpuUsPerOp));
    for (const mode of MODES) {
      const rows = samples.get(`${test}\t${mode}`) ?? [];
      const rps = median(rows.map((r) => r.rps));
      const cpuOp = median(rows.map((r) => r.cpuUsPerOp));
      console.log(
        `| ${test} | ${mode} | ${Math.round(rps)} | ${median(rows.map((r) => r.p50)).toFixed(3)} | ${median(rows.map((r) => r.p99)).toFixed(3)} | ${((100 * rps) / offRps).toFixed(1)}% | ${cpuOp.toFixed(1)} | ${((100 * cpuOp) / offCpu).toFixed(1)}% |`,
      );
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
