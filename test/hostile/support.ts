import { readFileSync } from 'node:fs';
import net from 'node:net';
import type { RunningServer } from '../support/proc';
import { rng } from '../support/rng';

/** Resident memory of a process in MiB, from /proc/<pid>/status (VmRSS). */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) / 1024;
}

/** Whether the server process is still running. */
export function alive(srv: RunningServer): boolean {
  return srv.proc.exitCode === null && srv.proc.signalCode === null;
}

export function connect(port: number, opts: { allowHalfOpen?: boolean } = {}): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection({ port, host: '127.0.0.1', allowHalfOpen: opts.allowHalfOpen ?? false }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Writes `data`, waiting for 'drain' when the socket buffers; false if the socket closed first. */
export async function send(s: net.Socket, data: Buffer | string): Promise<boolean> {
  if (s.destroyed) return false;
  if (s.write(data)) return true;
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      s.off('drain', onDrain);
      s.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    s.once('drain', onDrain);
    s.once('close', onClose);
  });
}

/** Resolves once the socket has closed (true) or after timeoutMs (false). */
export function closedWithin(s: net.Socket, timeoutMs: number): Promise<boolean> {
  if (s.destroyed && s.closed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), timeoutMs);
    s.once('close', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** Polls `cond` every 20 ms until it holds or timeoutMs passes. */
export async function eventually(cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A seeded generator, so a failing fuzz run replays from its seed. */
export const prng = rng;
