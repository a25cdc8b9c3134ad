import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** One redis-benchmark measurement of one test. */
export interface BenchResult {
  test: string;
  rps: number;
  p50: number;
  p99: number;
}

/** Runs redis-benchmark with --csv and parses its rows. */
export function redisBenchmark(port: number, tests: string[], opts: { requests: number; clients: number; pipeline: number }): BenchResult[] {
  const args = ['-p', String(port), '-t', tests.join(','), '-n', String(opts.requests), '-c', String(opts.clients), '-P', String(opts.pipeline), '--csv'];
  const r = spawnSync('redis-benchmark', args, { encoding: 'utf8', timeout: 600000 });
  if (r.status !== 0) throw new Error(`redis-benchmark failed: ${r.stderr}`);
  const rows: BenchResult[] = [];
  for (const line of r.stdout.split('\n')) {
    const cells = line.split(',').map((c) => c.replace(/^"|"$/g, ''));
    if (cells.length < 7 || cells[0] === 'test') continue;
    rows.push({ test: cells[0], rps: Number(cells[1]), p50: Number(cells[4]), p99: Number(cells[6]) });
  }
  if (/error/i.test(r.stdout + r.stderr)) throw new Error(`redis-benchmark reported errors:\n${r.stdout}\n${r.stderr}`);
  return rows;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
    s.once('error', reject);
  });
}

async function waitForPort(port: number, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.createConnection({ port, host: '127.0.0.1' }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listening on ${port}`);
}

export interface ReferenceRedis {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** redis-servers started and not yet stopped: killed when this process exits, whatever happens. */
const liveRedis = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of liveRedis) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

/** Starts a real redis-server on a free loopback port with the given extra settings. */
export async function startRedisServer(extra: string[] = ['--save', '', '--appendonly', 'no']): Promise<ReferenceRedis> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'raftcache-bench-redis-'));
  const proc: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'no', ...extra], {
    stdio: 'ignore',
  });
  liveRedis.add(proc);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.once('exit', () => liveRedis.delete(proc));
  try {
    await waitForPort(port);
  } catch (e) {
    proc.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    port,
    pid: proc.pid ?? 0,
    // The exit promise exists from spawn on, so stop() also returns when the server already died
    // (e.g. a terminal's Ctrl-C reached it first).
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
