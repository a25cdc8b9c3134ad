/**
 * Memory of one big stream, side by side with redis-server: XADDs N entries
 * (default 1,000,000; 5 fields of small values, the same field names each
 * time, as an event log has) into one key of each, then prints INFO
 * used_memory and the process RSS (/proc/PID/status) of both, and the ratios.
 *
 *   tsc -p . && node dist/bench/stream-memory.js [--entries 1000000] [--sync none|...]
 *
 * The raftcache node runs with `--sync none` (what is measured is memory,
 * not the write path). Ids are explicit (i-1) so both hold the same entries.
 *
 * 2026-12-03, 2-core shared machine, node v20.20.2, 1,000,000 entries:
 *
 *   | server                | used_memory MB | RSS MB | used B/entry | RSS growth B/entry | XADD/s |
 *   | redis-server 7.0.15   |  31.7          |  43.1  | 32.3         |  32.7              | 43,497 |
 *   | raftcache --sync none |  26.2          | 218.4  | 27.5         | 164.6              | 20,536 |
 *
 * The stream itself is as compact as Redis's: built in one process and
 * measured after a full GC (V8 heap + external), 1M such entries take 32.4
 * B/entry in 10,000 blocks (the accounted `bytes` says 27.5). The RSS
 * beyond it is the node's, not the stream's: the Raft log entries kept in
 * memory until compaction, V8's old-generation headroom and the garbage of
 * the request and flush paths (as bench/memory.ts found for strings).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import Redis from 'ioredis';
import { SERVER_NODE_OPTIONS } from '../server/node-flags';
import { nodeEntry } from '../test/support/proc';
import { procMem } from './keyspace-load';
import { startRedisServer } from './redis-benchmark';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

function infoField(info: string, name: string): number {
  const m = new RegExp(`^${name}:(\\d+)`, 'm').exec(info);
  return m ? Number(m[1]) : NaN;
}

async function startNode(dir: string): Promise<{ port: number; pid: number; stop(): Promise<void> }> {
  const proc = spawn(process.execPath, [...SERVER_NODE_OPTIONS, ...nodeEntry('server/main.ts'), '--port', '0', '--dir', dir, '--sync', 'none'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, RAFTCACHE_LOG_LEVEL: 'warn' },
  });
  const exited = new Promise<void>((res) => proc.once('exit', () => res()));
  const port = await new Promise<number>((resolve, reject) => {
    const rl = readline.createInterface({ input: proc.stdout! });
    rl.on('line', (line) => {
      try {
        const rec = JSON.parse(line) as { msg?: string; port?: number };
        if (rec.msg === 'ready to accept connections' && typeof rec.port === 'number') resolve(rec.port);
      } catch {
        // not JSON
      }
    });
    void exited.then(() => reject(new Error('raftcache exited before it was ready')));
  });
  return {
    port,
    pid: proc.pid as number,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** XADDs `n` entries in pipelines of 1000; returns entries per second. */
async function load(r: Redis, n: number): Promise<number> {
  const start = Date.now();
  for (let base = 0; base < n; base += 1000) {
    const p = r.pipeline();
    for (let i = base; i < Math.min(n, base + 1000); i++) {
      p.xadd('events', `${i + 1}-1`, 'type', 'click', 'user', String(i % 5000), 'page', `/p/${i % 97}`, 'ms', String(100 + (i % 900)), 'ok', '1');
    }
    await p.exec();
  }
  return n / ((Date.now() - start) / 1000);
}

const MB = (n: number): string => (n / 2 ** 20).toFixed(1);

async function main(): Promise<void> {
  const n = arg('--entries', 1_000_000);
  const ref = await startRedisServer();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'raftcache-bench-stream-'));
  const node = await startNode(dir);
  const redis = new Redis({ port: ref.port });
  const rc = new Redis({ port: node.port });
  try {
    const redisPid = infoField(await redis.info('server'), 'process_id');
    const used = async (r: Redis): Promise<number> => infoField(await r.info('memory'), 'used_memory');
    const r0 = { used: await used(redis), ...procMem(redisPid) };
    const c0 = { used: await used(rc), ...procMem(node.pid) };
    const rRate = await load(redis, n);
    const cRate = await load(rc, n);
    await new Promise((res) => setTimeout(res, 5000));
    const r1 = { used: await used(redis), ...procMem(redisPid) };
    const c1 = { used: await used(rc), ...procMem(node.pid) };
    const [rl, cl] = [await redis.xlen('events'), await rc.xlen('events')];
    console.log(`${n.toLocaleString('en-US')} entries x 5 fields, ${new Date().toISOString().slice(0, 10)}, node ${process.version}`);
    console.log('| server | XLEN | used_memory MB | RSS MB | RssAnon MB | used_memory growth B/entry | RSS growth B/entry | XADD/s |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const [name, a, b, len, rate] of [
      ['redis-server', r0, r1, rl, rRate],
      ['raftcache --sync none', c0, c1, cl, cRate],
    ] as const) {
      console.log(`| ${name} | ${len} | ${MB(b.used)} | ${MB(b.rss)} | ${MB(b.anon)} | ${((b.used - a.used) / n).toFixed(1)} | ${((b.rss - a.rss) / n).toFixed(1)} | ${rate.toFixed(0)} |`);
    }
    console.log(`used_memory ratio raftcache / redis-server: ${(c1.used / r1.used).toFixed(2)}x; RSS ratio: ${(c1.rss / r1.rss).toFixed(2)}x`);
  } finally {
    redis.disconnect();
    rc.disconnect();
    await ref.stop();
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
