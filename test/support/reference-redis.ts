/**
 * A reference redis-server for side-by-side tests, on a free loopback port.
 *
 * Ready means redis-server said "Ready to accept connections" (it prints that
 * once it listens). A server that exits first, e.g. because another process
 * took the port between our probe and its bind, is started again on another
 * port; one that never gets ready fails with what it printed. (Six tests used
 * to carry their own copy of this, each with its own race: a ping retried 20
 * times at 50 ms failed once in a full run when redis-server was slow to
 * start.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface ReferenceRedis {
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

const READY = 'Ready to accept connections';
const START_TIMEOUT_MS = 20000;
const ATTEMPTS = 5;

/** Started servers, killed when the test process exits whatever happens. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts redis-server with `--save '' --appendonly no` plus `extra`, in a temp dir removed by stop(). */
export async function startReferenceRedis(extra: string[] = []): Promise<ReferenceRedis> {
  let lastOutput = '';
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = await freePort();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'raftcache-ref-'));
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(proc);
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    void exited.then(() => live.delete(proc));
    let output = '';
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), START_TIMEOUT_MS);
      const onData = (d: Buffer) => {
        output += d.toString();
        if (output.includes(READY)) {
          clearTimeout(timer);
          resolve(true);
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (ready) {
      // Keep draining its output so a chatty server never blocks on a full pipe.
      proc.stdout!.resume();
      proc.stderr!.resume();
      return {
        port,
        proc,
        async stop() {
          if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
          await exited;
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    lastOutput = output;
    proc.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
  throw new Error(`redis-server did not start in ${ATTEMPTS} attempts; it last printed:\n${lastOutput.slice(-2000)}`);
}
