import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import Redis, { type RedisOptions } from 'ioredis';
import { SERVER_NODE_OPTIONS } from '../../server/node-flags';

interface Started {
  proc: ChildProcess;
  /** The data directory, when startServer made it. */
  dir: string | undefined;
}

/**
 * Servers started and not yet stopped. A test that fails half-way may never
 * call stop(); when the test run exits, whatever is left is killed and its
 * directory removed, so no server outlives the run.
 */
const live = new Set<Started>();
process.once('exit', () => {
  for (const { proc, dir } of live) {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
});

/** Repository root, whether tests run from source (tsx) or from dist/. */
export const ROOT = __filename.endsWith('.ts') ? path.resolve(__dirname, '..', '..') : path.resolve(__dirname, '..', '..', '..');

/** Node arguments that run a TypeScript entry point either compiled (dist/) or from source via tsx. */
export function nodeEntry(relativeTs: string): string[] {
  if (__filename.endsWith('.ts')) return ['--require', 'tsx/cjs', path.join(ROOT, relativeTs)];
  return [path.join(ROOT, 'dist', relativeTs.replace(/\.ts$/, '.js'))];
}

export interface RunningServer {
  port: number;
  proc: ChildProcess;
  dir: string;
  /** Lines the server logged (pino JSON), for assertions on logging. */
  logs: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `raftcache-server --port 0` as a child process and resolves with the
 * port it reports in its 'ready' log line, so parallel runs never collide.
 */
export async function startServer(extraArgs: string[] = [], opts: { dir?: string } = {}): Promise<RunningServer> {
  const dir = opts.dir ?? mkdtempSync(path.join(os.tmpdir(), 'raftcache-test-'));
  const ownsDir = opts.dir === undefined;
  const proc = spawn(process.execPath, [...SERVER_NODE_OPTIONS, ...nodeEntry('server/main.ts'), '--port', '0', '--dir', dir, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RAFTCACHE_LOG_LEVEL: process.env.RAFTCACHE_LOG_LEVEL ?? 'info' },
  });
  const started: Started = { proc, dir: ownsDir ? dir : undefined };
  live.add(started);
  const logs: string[] = [];
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const rl = readline.createInterface({ input: proc.stdout! });
    const timer = setTimeout(() => reject(new Error(`server did not start in 15s; stderr: ${stderr}`)), 15000);
    rl.on('line', (line) => {
      logs.push(line);
      try {
        const rec = JSON.parse(line) as { msg?: string; port?: number };
        if (rec.msg === 'ready to accept connections' && typeof rec.port === 'number') {
          clearTimeout(timer);
          resolve(rec.port);
        }
      } catch {
        // not JSON; keep it in logs
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening; stderr: ${stderr}; last log lines: ${logs.slice(-3).join(" ")}`));
    });
  });
  let exited: Promise<number | null> = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    port,
    proc,
    dir,
    logs,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      const code = await exited;
      clearTimeout(timer);
      exited = Promise.resolve(code);
      if (ownsDir) rmSync(dir, { recursive: true, force: true });
      live.delete(started);
      return code;
    },
  };
}

/** Runs redis-cli one-shot against a port; returns stdout (raw, as redis-cli prints it non-interactively). */
export function redisCli(port: number, args: string[], input?: string): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync('redis-cli', ['-p', String(port), ...args], { input, encoding: 'utf8', timeout: 20000 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

export function hasBinary(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

/** The error message a command promise rejects with, or `no error: <value>` when it resolves. */
export function errorOf(p: Promise<unknown>): Promise<string> {
  return p.then(
    (v) => `no error: ${String(v)}`,
    (e: Error) => e.message,
  );
}

/**
 * One server and one ioredis client shared by the tests of a describe block:
 * started in before(), stopped in after(). Tests read them as `t.srv`, `t.r`.
 */
export function serverForSuite(args: string[] = [], client: RedisOptions = {}): { srv: RunningServer; r: Redis } {
  const t = {} as { srv: RunningServer; r: Redis };
  before(async () => {
    t.srv = await startServer(args);
    t.r = new Redis({ port: t.srv.port, ...client });
  });
  after(async () => {
    t.r?.disconnect();
    await t.srv?.stop();
  });
  return t;
}
