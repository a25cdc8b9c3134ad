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

function benchArgs(port: number, tests: string[], opts: { requests: number; clients: number; pipeline: number }): string[] {
  return ['-p', String(port), '-t', tests.join(','), '-n', String(opts.requests), '-c', String(opts.clients), '-P', String(opts.pipeline), '--csv'];
}

function parseCsv(stdout: string, stderr: string): BenchResult[] {
  const rows: BenchResult[] = [];
  for (const line of stdout.split('\n')) {
    const cells = line.split(',').map((c) => c.replace(/^"|"$/g, ''));
    if (cells.length < 7 || cells[0] === 'test') continue;
    rows.push({ test: cells[0], rps: Number(cells[1]), p50: Number(cells[4]), p99: Number(cells[6]) });
  }
  if (/error/i.test(stdout + stderr)) throw new Error(`redis-benchmark reported errors:\n${stdout}\n${stderr}`);
  return rows;
}

/** Runs redis-benchmark with --csv and parses its rows. */
export function redisBenchmark(port: number, tests: string[], opts: { requests: number; clients: number; pipeline: number }): BenchResult[] {
  const r = spawnSync('redis-benchmark', benchArgs(port, tests, opts), { encoding: 'utf8', timeout: 600000 });
  if (r.status !== 0) throw new Error(`redis-benchmark failed: ${r.stderr}`);
  return parseCsv(r.stdout, r.stderr);
}

/** redis-benchmark processes running now (from redisBenchmarkAsync), so an interrupted bench can kill them. */
export const runningBenchmarks = new Set<ChildProcess>();

/**
 * redisBenchmark without blocking the event loop, so a Ctrl-C handler can
 * still run (and kill this child) while it measures.
 */
export function redisBenchmarkAsync(port: number, tests: string[], opts: { requests: number; clients: number; pipeline: number }): Promise<BenchResult[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn('redis-benchmark', benchArgs(port, tests, opts), { stdio: ['ignore', 'pipe', 'pipe'] });
    runningBenchmarks.add(proc);
    let stdout = '';
    let stderr = '';
    proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 600000);
    proc.once('error', reject);
    proc.once('close', (code, signal) => {
      clearTimeout(timer);
      runningBenchmarks.delete(proc);
      if (code !== 0) return reject(new Error(`redis-benchmark failed (${signal ?? code}): ${stderr}`));
      try {
        resolve(parseCsv(stdout, stderr));
      } catch (e) {
        reject(e);
      }
    });
  });
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
