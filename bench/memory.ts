/**
 * Memory per key for many small string keys, side by side with redis-server.
 *
 * Process mode (default): starts one raftcache node (`--sync none`, so the
 * load is quick; what is measured is memory, not the write path) and a
 * redis-server, loads the same N keys into each with pipelined SETs, then
 * prints for each: RSS and anonymous RSS (/proc/PID/status VmRSS, RssAnon),
 * INFO `used_memory`, the growth of each per key, and the ratios.
 *
 *   tsc -p . && node dist/bench/memory.js --keys 1000000 --value 100
 *
 * Keyspace mode: no server, the `Keyspace` alone in this process, to find
 * where the per-key bytes go (needs --expose-gc: it measures V8's heap after
 * a full collection, plus the ArrayBuffer backing stores outside the heap):
 *
 *   node --expose-gc dist/bench/memory.js --keyspace --keys 1000000 --value 100
 *
 * `--node-flag F` (repeatable) starts the node as `node F ... main.js`, to
 * weigh V8's heap policy, e.g. `--node-flag=--optimize-for-size` or
 * `--node-flag=--heap-growing-percent=25` (most of the RSS beyond the live
 * keyspace is old-generation headroom and uncollected garbage).
 *
 * Keys are `key:<12 digits>` (16 bytes, redis-benchmark's `key:__rand_int__`
 * shape); values are `--value` bytes (default 100).
 *
 * Where the bytes went, 2026-12-03, 2-core shared machine, node v20.20.2
 * (x64, no pointer compression), 1,000,000 keys x 100 B:
 *
 *   per key                         before   after
 *   Map<string, Entry> slot          ~30      -     (the SCAN hash table is the index)
 *   Entry                             88      80    (no `size` field: recomputed)
 *   Entry fields boxed as HeapNumber  32      -     (hash > 2^31, accessedAt in ms)
 *   StringValue wrapper               48      -     (plain strings stored bare)
 *   Buffer (typed-array object)       96      -
 *   its share of 8 KiB pool slabs   ~105      -     (slabs shared with short-lived buffers)
 *   value as latin1 string             -     120    (16 B header + 100 chars, padded)
 *   scan bucket slot                  ~4      ~4
 *   key string                        32      32
 *   keyspace total (live)           ~420     236   (--keyspace mode; usedBytes 396 -> 236)
 *
 *   process (default mode)           RSS     RssAnon  used_memory  RSS vs redis  load SET/s
 *   redis-server                     206 MB  197 MB   192 MB
 *   raftcache before                 839 MB  685 MB   378 MB       4.06x        17,800
 *   raftcache after                  637 MB  493 MB   225 MB       3.09x        20,800
 *   after, --optimize-for-size       464 MB  312 MB   225 MB       2.25x         8,600
 *   (an earlier commit of this branch, --heap-growing-percent=25: 546 MB, 2.64x, 9,100/s)
 *
 * The rest of the RSS is not the keyspace: V8's old-generation headroom and
 * the garbage of the request, log and flush paths awaiting a major GC
 * (heapTotal ~1.6x the live heap; dead ArrayBuffers), the 32 MB young
 * generation, lmdb-js's 16 MB read buffer, and ~150 MB of file-backed pages
 * of the durable copy's memory map (VmRSS - RssAnon). Load rates are noisy
 * (other work shared the machine).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import v8 from 'node:v8';
import Redis from 'ioredis';
import { SERVER_NODE_OPTIONS } from '../server/node-flags';
import { nodeEntry } from '../test/support/proc';
import { Keyspace, keyString, stringValue } from '../server/keyspace';
import { keyName, load, procMem, valueFor, type ProcMem } from './keyspace-load';
import { startRedisServer } from './redis-benchmark';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

function infoField(info: string, name: string): number {
  const m = new RegExp(`^${name}:(\\d+)`, 'm').exec(info);
  return m ? Number(m[1]) : NaN;
}

interface Sample extends ProcMem {
  used: number;
}

async function sample(r: Redis, pid: number): Promise<Sample> {
  const info = await r.info('memory');
  return { ...procMem(pid), used: infoField(info, 'used_memory') };
}

interface Node {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** One raftcache node, `--sync none`, with extra node (V8) flags; resolves on its 'ready' log line. */
async function startNode(dir: string, nodeFlags: string[]): Promise<Node> {
  const proc = spawn(process.execPath, [...SERVER_NODE_OPTIONS, ...nodeFlags, ...nodeEntry('server/main.ts'), '--port', '0', '--dir', dir, '--sync', 'none'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, RAFTCACHE_LOG_LEVEL: 'info' },
  });
  const exited = new Promise<void>((res) => proc.once('exit', () => res()));
  const port = await new Promise<number>((resolve, reject) => {
    const rl = readline.createInterface({ input: proc.stdout });
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

function nodeFlags(): string[] {
  const out: string[] = [];
  process.argv.forEach((a, i) => {
    if (a === '--node-flag') out.push(process.argv[i + 1]);
    else if (a.startsWith('--node-flag=')) out.push(a.slice('--node-flag='.length));
  });
  return out;
}

const MB = (n: number) => (n / 2 ** 20).toFixed(1);
const perKey = (n: number, keys: number) => (n / keys).toFixed(0);

async function processMode(keys: number, size: number): Promise<void> {
  const ref = await startRedisServer();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'raftcache-bench-memory-'));
  const flags = nodeFlags();
  const node = await startNode(dir, flags);
  const redis = new Redis({ port: ref.port });
  const rc = new Redis({ port: node.port });
  try {
    const redisPid = infoField(await redis.info('server'), 'process_id');
    const nodePid = node.pid;
    const r0 = await sample(redis, redisPid);
    const c0 = await sample(rc, nodePid);
    const rRate = await load(redis, 'redis-server', keys, size);
    const cRate = await load(rc, 'raftcache', keys, size);
    // Let the node finish its keyspace flush and the garbage of the load settle.
    await new Promise((res) => setTimeout(res, 5000));
    const r1 = await sample(redis, redisPid);
    const c1 = await sample(rc, nodePid);
    const [rSize, cSize] = await Promise.all([redis.dbsize(), rc.dbsize()]);
    const row = (name: string, a: Sample, b: Sample, n: number, rate: number) =>
      `| ${name} | ${n} | ${MB(b.rss)} | ${MB(b.anon)} | ${MB(b.used)} | ${perKey(b.rss - a.rss, keys)} | ${perKey(b.anon - a.anon, keys)} | ${perKey(b.used - a.used, keys)} | ${((b.used - a.used) / (b.rss - a.rss)).toFixed(2)} | ${rate.toFixed(0)} |`;
    console.log(`${keys.toLocaleString('en-US')} keys x ${size} B values, ${new Date().toISOString().slice(0, 10)}, node ${process.version}`);
    console.log('| server | keys | RSS MB | RssAnon MB | used_memory MB | RSS growth B/key | anon growth B/key | used_memory growth B/key | used/RSS growth | load SET/s |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    console.log(row('redis-server', r0, r1, rSize, rRate));
    console.log(row(`raftcache --sync none${flags.length ? ` (node ${flags.join(' ')})` : ''}`, c0, c1, cSize, cRate));
    console.log(`RSS ratio raftcache / redis-server: ${(c1.rss / r1.rss).toFixed(2)}x (growth: ${((c1.rss - c0.rss) / (r1.rss - r0.rss)).toFixed(2)}x)`);
  } finally {
    redis.disconnect();
    rc.disconnect();
    await ref.stop();
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g === undefined) throw new Error('run with node --expose-gc');
  g();
  g();
}

interface Heap {
  heap: number;
  external: number;
  arrayBuffers: number;
}

function heap(): Heap {
  gc();
  const m = process.memoryUsage();
  return { heap: v8.getHeapStatistics().used_heap_size, external: m.external, arrayBuffers: m.arrayBuffers };
}

/** Where the bytes of N string keys go, in this process, layer by layer. */
function keyspaceMode(keys: number, size: number): void {
  const rows: Array<[string, number, number]> = [];
  const step = (name: string, before: Heap, after: Heap) =>
    rows.push([name, (after.heap - before.heap) / keys, (after.external - before.external) / keys]);

  // The inputs a command sees: the key arrives as a Buffer and is converted to a latin1 string.
  const h0 = heap();
  const names: string[] = new Array<string>(keys);
  for (let i = 0; i < keys; i++) names[i] = keyString(Buffer.from(keyName(i), 'latin1'));
  const h1 = heap();
  step('key strings (latin1, kept by the caller)', h0, h1);

  const ks = new Keyspace();
  const db = ks.dbs[0];
  // Buffer.from(bytes): what SET stores (string.ts copyBytes: a view into Node's 8 KiB pool for small values).
  for (let i = 0; i < keys; i++) db.set(names[i], stringValue(Buffer.from(valueFor(i, size))), i + 1);
  const h2 = heap();
  step('keyspace (entries, values, key index), trackChanges off', h1, h2);

  ks.trackChanges = true;
  for (let i = 0; i < keys; i++) db.set(names[i], stringValue(Buffer.from(valueFor(i, size))), keys + i + 1);
  const h3 = heap();
  step('changed-key set of the durable copy (before a drain), and the rewritten values', h2, h3);
  let drained: unknown[] | null = ks.drainChanges();
  if (drained.length !== keys) throw new Error('lost changes');
  drained = null;
  const h4 = heap();
  step('after drainChanges (its output dropped)', h3, h4);

  const used = ks.usedBytes;
  console.log(`Keyspace alone: ${keys.toLocaleString('en-US')} keys x ${size} B, node ${process.version}`);
  console.log('| layer | heap B/key | external (ArrayBuffer stores) B/key |');
  console.log('|---|---:|---:|');
  for (const [name, h, x] of rows) console.log(`| ${name} | ${h.toFixed(1)} | ${x.toFixed(1)} |`);
  // The keyspace with the key strings it keeps (the caller's array of names costs 8 B/key on top).
  const real = (h2.heap - h0.heap + h2.external - h0.external) / keys - 8;
  console.log(`keyspace with its key strings: ${real.toFixed(1)} B/key; usedBytes estimate ${(used / keys).toFixed(1)} B/key (ratio ${((used / keys) / real).toFixed(2)})`);
  // Keep everything alive to the end of the measurement.
  if (names.length !== keys || db.size() !== keys) throw new Error('lost keys');
}

async function main(): Promise<void> {
  const keys = arg('--keys', 1_000_000);
  const size = arg('--value', 100);
  if (process.argv.includes('--keyspace')) keyspaceMode(keys, size);
  else await processMode(keys, size);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
