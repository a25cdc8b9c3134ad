/**
 * Segment log vs LMDB log (issue 13): `npx tsc -p . && node dist/bench/segment-log.js [--seconds S] [--runs N] [--dir /tmp]`.
 *
 * One writer awaits each durable append of a batch of 1, 16 or 64 entries of
 * 100 bytes, then 16 concurrent writers of 1 entry each (every append is one fdatasync for the segment log, one LMDB
 * commit with sync always for the LMDB log), for --seconds (default 2) per
 * case; reports appends/s, entries/s, p50 and p99 latency, the median of
 * --runs runs (default 3). A raw baseline: 100-byte pwrite + fdatasync into a
 * preallocated file. Last, the segment log's restart (recovery) and
 * compaction times for --restart-entries (default 1,000,000) x 100 B. Each store lives in a fresh directory under --dir
 * (default the OS tmpdir) and is removed afterwards.
 */
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { fdatasync } from 'node:fs';
import { EntryType, type Entry } from '../server/raft/types';
import { openLmdbStorage } from '../storage/lmdb';
import { openSegmentLog } from '../storage/segment-log';
import type { LogStore } from '../storage/types';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : fallback;
};
const SECONDS = Number(option('seconds', '2'));
const RUNS = Number(option('runs', '3'));
const ROOT = option('dir', tmpdir());
const VALUE = Buffer.alloc(100, 0x61);
const BATCHES = [1, 16, 64];

interface Figures {
  appendsPerSec: number;
  entriesPerSec: number;
  p50: number;
  p99: number;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];

function batchOf(from: number, count: number): Entry[] {
  return Array.from({ length: count }, (_, i) => ({ index: from + i, term: 1, type: EntryType.Normal, data: VALUE }));
}

/** `writers` loops, each awaiting its own appends of `batch` entries (indexes are taken in call order, so the log stays contiguous). */
async function measure(append: (entries: Entry[]) => Promise<void>, batch: number, writers = 1): Promise<Figures> {
  let next = 1;
  // warm up
  for (let i = 0; i < 20; i++, next += batch) await append(batchOf(next, batch));
  const latencies: number[] = [];
  const start = performance.now();
  const deadline = start + SECONDS * 1000;
  const writer = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const entries = batchOf(next, batch);
      next += batch;
      const t0 = performance.now();
      await append(entries);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: writers }, writer));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { appendsPerSec: latencies.length / seconds, entriesPerSec: (latencies.length * batch) / seconds, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
}

async function inTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(ROOT, 'raftcache-seglog-bench-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const segmentCase = (batch: number, writers = 1): Promise<Figures> =>
  inTempDir(async (dir) => {
    const log = await openSegmentLog(dir);
    await log.append(batchOf(1, 1)); // creates the first segment (64 MiB, zero-filled)
    await log.idle(); // and let the spare segment finish preallocating
    const offset = 1;
    try {
      return await measure((entries) => log.append(entries.map((e) => ({ ...e, index: e.index + offset }))), batch, writers);
    } finally {
      await log.close();
    }
  });

const lmdbCase = (batch: number, writers = 1): Promise<Figures> =>
  inTempDir(async (dir) => {
    const storage = openLmdbStorage(dir, { sync: 'always' });
    try {
      return await measure((entries) => (storage.log as LogStore).append(entries), batch, writers);
    } finally {
      await storage.close();
    }
  });

const fdatasyncAsync = promisify(fdatasync);

/** 100 bytes written + fdatasync, into a preallocated file: the floor for one durable append. */
const rawCase = (): Promise<Figures> =>
  inTempDir(async (dir) => {
    const fd = openSync(join(dir, 'raw'), 'w+');
    const zeros = Buffer.alloc(1 << 20);
    for (let i = 0; i < 64; i++) writeSync(fd, zeros, 0, zeros.length, i * zeros.length);
    fdatasyncSync(fd);
    let position = 0;
    try {
      return await measure(async () => {
        writeSync(fd, VALUE, 0, VALUE.length, position);
        position += VALUE.length;
        await fdatasyncAsync(fd);
      }, 1);
    } finally {
      closeSync(fd);
    }
  });

/** Write `count` x 100 B (batches of 1,000), then time close + open (recovery scans every segment) and a compaction of 90%. */
async function restartFigures(count: number): Promise<string> {
  return inTempDir(async (dir) => {
    let log = await openSegmentLog(dir);
    for (let from = 1; from <= count; from += 1000) await log.append(batchOf(from, Math.min(1000, count - from + 1)));
    await log.close();
    const t0 = performance.now();
    log = await openSegmentLog(dir);
    const openMs = performance.now() - t0;
    const segments = log.segmentCount();
    const t1 = performance.now();
    const upTo = Math.floor(count * 0.9);
    await log.compact(upTo, { index: upTo, term: 1, conf: { voters: [1], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } });
    const compactMs = performance.now() - t1;
    await log.close();
    return `${count} x 100 B in ${segments} segments: open (recovery) ${openMs.toFixed(0)} ms, compact 90% ${compactMs.toFixed(0)} ms`;
  });
}

async function main(): Promise<void> {
  const rows: Array<[string, Figures]> = [];
  const run = async (label: string, fn: () => Promise<Figures>): Promise<void> => {
    const runs: Figures[] = [];
    for (let r = 0; r < RUNS; r++) runs.push(await fn());
    const f: Figures = {
      appendsPerSec: median(runs.map((x) => x.appendsPerSec)),
      entriesPerSec: median(runs.map((x) => x.entriesPerSec)),
      p50: median(runs.map((x) => x.p50)),
      p99: median(runs.map((x) => x.p99)),
    };
    rows.push([label, f]);
    console.log(
      `${label.padEnd(36)} ${f.appendsPerSec.toFixed(0).padStart(7)} appends/s ${f.entriesPerSec.toFixed(0).padStart(8)} entries/s  p50 ${f.p50.toFixed(3)} ms  p99 ${f.p99.toFixed(3)} ms`,
    );
  };
  console.log(`dir ${ROOT}, ${SECONDS} s per case, median of ${RUNS} runs`);
  await run('raw pwrite 100 B + fdatasync', rawCase);
  for (const batch of BATCHES) {
    await run(`segment log, batch ${batch}`, () => segmentCase(batch));
    await run(`LMDB log (sync always), batch ${batch}`, () => lmdbCase(batch));
  }
  // Concurrent appenders: both stores share one sync among the appends that arrive during the previous one.
  await run('segment log, 16 writers x 1 entry', () => segmentCase(1, 16));
  await run('LMDB log (sync always), 16 writers x 1', () => lmdbCase(1, 16));
  console.log(await restartFigures(Number(option('restart-entries', '1000000'))));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
