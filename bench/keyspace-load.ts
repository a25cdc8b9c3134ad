import { readFileSync } from 'node:fs';
import type Redis from 'ioredis';

/**
 * Filling a server with N string keys for the benchmarks that measure a big
 * keyspace (memory.ts, keyspace-scale.ts): redis-benchmark's key names, so its
 * `-r N` overwrites the same keys, and the process's memory from /proc.
 */

export function keyName(i: number): string {
  return `key:${String(i).padStart(12, '0')}`;
}

/** The value loaded under every key: `size` bytes, printable, different per key in its tail so no layer dedupes it. */
export function valueFor(i: number, size: number): Buffer {
  const b = Buffer.alloc(size, 'x');
  const tag = String(i);
  if (tag.length <= size) b.write(tag, size - tag.length, 'latin1');
  return b;
}

export interface ProcMem {
  rss: number;
  anon: number;
}

/** VmRSS and RssAnon of a process, in bytes (RssAnon leaves out file pages such as LMDB's map). */
export function procMem(pid: number): ProcMem {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(s);
    return m ? Number(m[1]) * 1024 : NaN;
  };
  return { rss: kb('VmRSS'), anon: kb('RssAnon') };
}

/** N pipelined SETs, a few batches in flight at once; progress on stderr. */
export async function load(r: Redis, name: string, keys: number, size: number): Promise<number> {
  const batch = 1000;
  const inFlight = 4;
  const t0 = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < keys) {
      const start = next;
      const end = Math.min(keys, start + batch);
      next = end;
      const p = r.pipeline();
      for (let i = start; i < end; i++) p.set(keyName(i), valueFor(i, size));
      const res = await p.exec();
      for (const [err] of res ?? []) if (err) throw err;
      if (Math.floor(start / 100_000) !== Math.floor(end / 100_000)) process.stderr.write(`  ${name}: ${end}/${keys}\r`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  process.stderr.write('\n');
  return (keys / (Date.now() - t0)) * 1000;
}
