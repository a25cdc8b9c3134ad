/**
 * Storage benchmark (issue 4): `npx tsx bench/storage.ts [--runs N] [--keys N]`.
 *
 *  - durable appends/s: one writer awaiting each append of 1, 16 or 256
 *    100-byte entries (sync always: every append is an fsync), and 64
 *    concurrent writers of single entries (group commit shares the fsyncs);
 *  - a keyspace of 1,000,000 keys of 100 bytes: size on disk, time to write it
 *    (in applies of 1,000 keys), the longest event-loop stall meanwhile; the
 *    same for compacting a 1,000,000-entry log; restart (open + iterate all
 *    records); streaming it as a snapshot to a second store (256 KiB chunks).
 *
 * Each figure is the median of --runs runs (default 3). Data lives under
 * /tmp and is deleted afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { EntryType, type Entry, type SnapshotMeta } from '../server/raft/types';
import { openLmdbStorage, type LmdbStorage } from '../storage/lmdb';
import { SnapshotReceiver, SnapshotSender } from '../storage/snapshot';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const RUNS = option('runs', 3);
const KEYS = option('keys', 1_000_000);
const APPEND_SECONDS = option('seconds', 1.5);
const VALUE = Buffer.alloc(100, 0x61);
const CONF = { voters: [1], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
const meta = (index: number): SnapshotMeta => ({ index, term: 1, conf: CONF });

function entries(from: number, count: number): Entry[] {
  return Array.from({ length: count }, (_, i) => ({ index: from + i, term: 1, type: EntryType.Normal, data: VALUE }));
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

/** Runs fn while measuring the longest event-loop stall (ms). */
async function withStallMonitor<T>(fn: () => Promise<T>): Promise<{ result: T; stallMs: number; ms: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const start = performance.now();
  const result = await fn();
  const ms = performance.now() - start;
  histogram.disable();
  return { result, stallMs: histogram.max / 1e6, ms };
}

async function withStore<T>(fn: (storage: LmdbStorage, dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'raftcache-bench-'));
  const storage = openLmdbStorage(dir, { sync: 'always' });
  try {
    return await fn(storage, dir);
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function appendRate(batch: number, writers: number): Promise<{ entriesPerSec: number; txPerSec: number }> {
  return withStore(async (storage) => {
    let next = 1;
    const deadline = performance.now() + APPEND_SECONDS * 1000;
    const start = performance.now();
    const tx0 = storage.stats().transactions;
    const writer = async (): Promise<void> => {
      while (performance.now() < deadline) {
        const from = next;
        next += batch;
        await storage.log.append(entries(from, batch));
      }
    };
    await Promise.all(Array.from({ length: writers }, writer));
    const seconds = (performance.now() - start) / 1000;
    return { entriesPerSec: (next - 1) / seconds, txPerSec: (storage.stats().transactions - tx0) / seconds };
  });
}

const keyOf = (i: number): Buffer => Buffer.from(`key:${String(i).padStart(8, '0')}`);

async function writeKeyspace(storage: LmdbStorage, keys: number): Promise<void> {
  const perApply = 1000;
  const inFlight: Array<Promise<void>> = [];
  for (let from = 0; from < keys; from += perApply) {
    const changes = [];
    for (let i = from; i < Math.min(keys, from + perApply); i++) changes.push({ key: keyOf(i), value: VALUE });
    inFlight.push(storage.keyspace.write(changes, meta(from / perApply + 1)));
    // a few applies in flight, as a node applying committed batches would have
    if (inFlight.length >= 4) await inFlight.shift();
  }
  await Promise.all(inFlight);
}

interface KeyspaceFigures {
  writeMs: number;
  writeStallMs: number;
  fileMB: number;
  keyspaceMB: number;
  restartMs: number;
  snapshotMs: number;
  snapshotStallMs: number;
}

async function keyspaceRun(): Promise<KeyspaceFigures> {
  return withStore(async (storage, dir) => {
    const write = await withStallMonitor(() => writeKeyspace(storage, KEYS));
    const stats = storage.stats();
    // snapshot streaming to a second store (1 MiB chunks), while measuring stalls
    const snapshot = await withStore((follower) =>
      withStallMonitor(async () => {
        const sender = new SnapshotSender(storage);
        const receiver = await SnapshotReceiver.start(follower);
        for (let chunk = sender.nextChunk(); chunk; chunk = sender.nextChunk()) await receiver.receive(chunk);
        if (follower.keyspace.count() !== KEYS) throw new Error('snapshot lost records');
      }),
    );
    await storage.close();
    const start = performance.now();
    const reopened = openLmdbStorage(dir);
    let records = 0;
    for (const record of reopened.keyspace.records()) if (record.value.byteLength === 100) records++;
    const restartMs = performance.now() - start;
    await reopened.close();
    if (records !== KEYS) throw new Error(`restart found ${records} records`);
    return {
      writeMs: write.ms,
      writeStallMs: write.stallMs,
      fileMB: stats.fileBytes / 1e6,
      keyspaceMB: stats.keyspaceBytes / 1e6,
      restartMs,
      snapshotMs: snapshot.ms,
      snapshotStallMs: snapshot.stallMs,
    };
  });
}

interface CompactionFigures {
  appendMs: number;
  appendStallMs: number;
  compactMs: number;
  compactStallMs: number;
  logMB: number;
}

async function compactionRun(): Promise<CompactionFigures> {
  return withStore(async (storage) => {
    const append = await withStallMonitor(async () => {
      const inFlight: Array<Promise<void>> = [];
      for (let from = 1; from <= KEYS; from += 1000) {
        inFlight.push(storage.log.append(entries(from, Math.min(1000, KEYS - from + 1))));
        if (inFlight.length >= 4) await inFlight.shift();
      }
      await Promise.all(inFlight);
    });
    const logMB = storage.log.sizeBytes() / 1e6;
    const upTo = KEYS - 1000; // keep a tail of 1,000 entries
    const compact = await withStallMonitor(() => storage.log.compact(upTo, meta(upTo)));
    if (storage.stats().leftoverLogEntries !== 0) throw new Error('compaction left entries behind');
    return { appendMs: append.ms, appendStallMs: append.stallMs, compactMs: compact.ms, compactStallMs: compact.stallMs, logMB };
  });
}

async function main(): Promise<void> {
  const rows: Array<[string, string]> = [];
  const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

  for (const [batch, writers] of [
    [1, 1],
    [16, 1],
    [256, 1],
    [1, 64],
  ] as const) {
    const runs = [];
    for (let r = 0; r < RUNS; r++) runs.push(await appendRate(batch, writers));
    const label = writers === 1 ? `durable appends, batch ${batch}` : `durable appends, batch ${batch}, ${writers} concurrent writers`;
    rows.push([label, `${fmt(median(runs.map((x) => x.entriesPerSec)))} entries/s (${fmt(median(runs.map((x) => x.txPerSec)))} fsyncs/s)`]);
  }

  const keyspace: KeyspaceFigures[] = [];
  const compaction: CompactionFigures[] = [];
  for (let r = 0; r < RUNS; r++) {
    keyspace.push(await keyspaceRun());
    compaction.push(await compactionRun());
  }
  const k = (pick: (f: KeyspaceFigures) => number): number => median(keyspace.map(pick));
  const c = (pick: (f: CompactionFigures) => number): number => median(compaction.map(pick));
  const n = fmt(KEYS);
  rows.push(
    [`keyspace of ${n} x 100 B: data.mdb size`, `${fmt(k((f) => f.fileMB), 1)} MB (keyspace pages ${fmt(k((f) => f.keyspaceMB), 1)} MB)`],
    [`keyspace of ${n} x 100 B: write (applies of 1,000 keys)`, `${fmt(k((f) => f.writeMs))} ms, longest stall ${fmt(k((f) => f.writeStallMs), 1)} ms`],
    [`keyspace of ${n} x 100 B: restart (open + iterate)`, `${fmt(k((f) => f.restartMs))} ms`],
    [`keyspace of ${n} x 100 B: snapshot to a 2nd store (256 KiB chunks)`, `${fmt(k((f) => f.snapshotMs))} ms, longest stall ${fmt(k((f) => f.snapshotStallMs), 1)} ms`],
    [`log of ${n} x 100 B entries: append (batches of 1,000)`, `${fmt(c((f) => f.appendMs))} ms, longest stall ${fmt(c((f) => f.appendStallMs), 1)} ms, ${fmt(c((f) => f.logMB), 1)} MB`],
    [`log of ${n} x 100 B entries: compact all but 1,000`, `${fmt(c((f) => f.compactMs))} ms, longest stall ${fmt(c((f) => f.compactStallMs), 1)} ms`],
  );

  const width = Math.max(...rows.map(([label]) => label.length));
  process.stdout.write(`storage benchmark (LMDB, sync always, median of ${RUNS} runs, ${tmpdir()})\n`);
  for (const [label, value] of rows) process.stdout.write(`  ${label.padEnd(width)}  ${value}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
