import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';

/** What one preallocation came to (disk-reserve.ts). */
export type AllocateResult = 'ok' | 'full' | 'unsupported';

/**
 * Runs util-linux's `fallocate --keep-size` for one file through a small
 * shell started once, when the store opens.
 *
 * Why not execFile per allocation: starting a child process forks this one,
 * and forking a server holding gigabytes copies its page tables on the event
 * loop's thread. With a 10-million-entry stream in memory a top-up of the
 * disk reserve stalled every client for over a second. The shell is forked
 * while the process is small and forks `fallocate` from its own tiny image.
 *
 * Requests are lines with a length; answers are lines in the same order:
 * `ok`, or `fail <message>` (the message tells a full disk from an
 * unsupported one). The file path is the shell's $1, never interpolated.
 */
const SCRIPT = [
  'while IFS= read -r len; do',
  '  if out=$(LC_ALL=C fallocate --keep-size --offset 0 --length "$len" -- "$1" 2>&1); then echo ok;',
  '  else printf "fail %s\\n" "$(printf %s "$out" | tr "\\n" " ")"; fi',
  'done',
].join('\n');

export class Fallocator {
  private child: ChildProcess | undefined;
  private readonly waiting: Array<(r: AllocateResult) => void> = [];
  private pending = '';
  private closed = false;

  constructor(private readonly file: string) {
    this.start();
  }

  /** Allocates [0, length) of the file without changing its size or contents. */
  allocate(length: number): Promise<AllocateResult> {
    if (this.closed) return Promise.resolve('unsupported');
    // A shell that died (killed by an operator, OOM) is started again: a fork of the big process, but a rare one.
    if (!this.child) this.start();
    const child = this.child;
    if (!child?.stdin || !child.stdout) return Promise.resolve('unsupported');
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      // Keep the process alive only while an answer is due.
      if (this.waiting.length === 1) pipeOf(child)?.ref();
      child.stdin?.write(`${Math.floor(length)}\n`);
    });
  }

  /** Ends the shell; requests still waiting answer 'unsupported'. */
  close(): void {
    this.closed = true;
    const child = this.child;
    this.child = undefined;
    if (child) {
      child.stdin?.end();
      child.kill();
    }
    this.failWaiting();
  }

  private start(): void {
    let child: ChildProcess;
    try {
      child = spawn('sh', ['-c', SCRIPT, 'raftcache-fallocate', this.file], { stdio: ['pipe', 'pipe', 'ignore'] });
    } catch {
      return;
    }
    this.child = child;
    child.unref();
    pipeOf(child)?.unref();
    child.stdout?.setEncoding('latin1');
    child.stdout?.on('data', (chunk: string) => this.onOutput(chunk));
    child.stdin?.on('error', () => undefined); // EPIPE after the shell died: 'exit' answers the waiting
    child.on('error', () => this.lost(child));
    child.on('exit', () => this.lost(child));
  }

  private onOutput(chunk: string): void {
    this.pending += chunk;
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      const line = this.pending.slice(0, nl);
      this.pending = this.pending.slice(nl + 1);
      const resolve = this.waiting.shift();
      if (this.waiting.length === 0 && this.child) pipeOf(this.child)?.unref();
      resolve?.(line === 'ok' ? 'ok' : /No space left|Disk quota exceeded/i.test(line) ? 'full' : 'unsupported');
    }
  }

  private lost(child: ChildProcess): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.pending = '';
    this.failWaiting();
  }

  private failWaiting(): void {
    for (const resolve of this.waiting.splice(0)) resolve('unsupported');
  }
}

/** The shell's stdout: a pipe, which node opens as a Socket (ref/unref decide whether it keeps the process alive). */
function pipeOf(child: ChildProcess): Socket | null {
  return child.stdout as Socket | null;
}
