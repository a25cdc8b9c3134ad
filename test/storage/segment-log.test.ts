import { expect } from 'chai';
import { MemoryStorage } from '../../storage/memory';
import { StorageCorruptionError, StorageError, StorageFullError } from '../../storage/lmdb-errors';
import { openSegmentLog, type SegmentLog, type SegmentLogOptions } from '../../storage/segment-log';
import { SEGMENT_HEADER_BYTES, RECORD_HEADER_BYTES, encodeRecords, recordBytes } from '../../storage/segment-format';
import { EntryType, type Entry, type SnapshotMeta } from '../../server/raft/types';
import type { LogStore } from '../../storage/types';
import { failure, meta, range, runLogStoreConformance, type StoresUnderTest } from './conformance';
import { CrashableFiles, seeded, type Rng } from './crash-files';
import { tempDir } from './helpers';

function segmentStores(open: () => Promise<SegmentLog>, onClose: () => void): Promise<StoresUnderTest> {
  return open().then((log) => {
    const stable = new MemoryStorage();
    return {
      log,
      stable,
      close: async () => {
        await log.close();
        onClose();
      },
      reopen: async () => {
        await log.close();
        return segmentStores(open, onClose);
      },
    };
  });
}

// On the real file system, with segments small enough that the suite rolls over.
runLogStoreConformance('SegmentLog (node:fs, 64 KiB segments)', () => {
  const { dir, remove } = tempDir('raftcache-seglog-');
  return segmentStores(() => openSegmentLog(dir, { segmentBytes: 64 * 1024 }), remove);
});

// On the simulated disk, tiny segments, no cache: every read goes to the "disk".
runLogStoreConformance('SegmentLog (simulated disk, 4 KiB segments, no cache)', () => {
  const files = new CrashableFiles();
  return segmentStores(() => openSegmentLog(files, { segmentBytes: 4096, cacheBytes: 0 }), () => undefined);
});

/** SEGLOG_POWER_SEEDS (default 40) rounds from SEGLOG_POWER_SEED (default 1) extend or reproduce the power-loss test. */
const POWER_SEEDS = Number(process.env.SEGLOG_POWER_SEEDS ?? 40);
const POWER_SEED_BASE = Number(process.env.SEGLOG_POWER_SEED ?? 1);

const dump = (log: LogStore): string[] =>
  log.firstIndex() > log.lastIndex()
    ? []
    : log.entries(log.firstIndex(), log.lastIndex() + 1, Infinity).map((e) => `${e.index}:${e.term}:${e.type}:${Buffer.from(e.data).toString('hex')}`);

const segNames = (files: CrashableFiles): string[] => files.fileNames().filter((n) => n.endsWith('.seg'));

describe('SegmentLog', () => {
  const opts: SegmentLogOptions = { segmentBytes: 4096, cacheBytes: 0, spare: false };

  it('rolls over to new segments and drops whole segments on compaction', async () => {
    const files = new CrashableFiles();
    let log = await openSegmentLog(files, opts);
    for (let i = 0; i < 40; i++) await log.append(range(i * 5 + 1, i * 5 + 5, 1, 100));
    expect(log.segmentCount()).to.be.greaterThan(5);
    const before = dump(log);
    await log.close();
    log = await openSegmentLog(files, opts);
    expect(dump(log)).to.deep.equal(before);
    const segments = log.segmentCount();
    await log.compact(150, meta(150, 1));
    expect(log.segmentCount()).to.be.lessThan(segments);
    expect(segNames(files)).to.have.length(log.segmentCount());
    await log.close();
    log = await openSegmentLog(files, opts);
    expect(log.firstIndex()).to.equal(151);
    expect(dump(log)).to.deep.equal(before.slice(150));
    await log.close();
  });

  it('stores an entry larger than a segment in a segment of its own size', async () => {
    const files = new CrashableFiles();
    let log = await openSegmentLog(files, opts);
    await log.append(range(1, 2, 1, 10));
    await log.append([{ index: 3, term: 1, type: EntryType.Normal, data: Buffer.alloc(20_000, 7) }]);
    await log.append(range(4, 5, 1, 10));
    await log.close();
    log = await openSegmentLog(files, opts);
    expect(log.lastIndex()).to.equal(5);
    expect(Buffer.from(log.entries(3, 4, Infinity)[0].data).equals(Buffer.alloc(20_000, 7))).to.equal(true);
    expect(log.sizeBytes()).to.be.greaterThan(20_000);
    await log.close();
  });

  it('writes entries of 1 MiB and more from their own bytes: the file holds what one encoded buffer would', async () => {
    const files = new CrashableFiles();
    const log = await openSegmentLog(files, opts);
    const bytes = (n: number, seed: number): Buffer => {
      const b = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
      return b;
    };
    // Small and large mixed, large ones at the start, middle and end, lengths that need padding.
    const entries: Entry[] = [
      { index: 1, term: 2, type: EntryType.Normal, data: bytes((1 << 20) + 3, 1) },
      ...range(2, 4, 2, 13),
      { index: 5, term: 2, type: EntryType.ConfChange, data: bytes(1 << 20, 2) },
      { index: 6, term: 2, type: EntryType.Normal, data: bytes((1 << 20) + 5, 3) },
      ...range(7, 7, 2, 1),
      { index: 8, term: 2, type: EntryType.Normal, data: bytes((3 << 20) + 1, 4) },
    ];
    await log.append(entries);
    const total = entries.reduce((n, e) => n + recordBytes(e.data.byteLength), 0);
    const expected = Buffer.alloc(total);
    encodeRecords(expected, 0, entries, 0);
    const [segment] = segNames(files);
    expect(files.bytes(segment).subarray(SEGMENT_HEADER_BYTES, SEGMENT_HEADER_BYTES + total).equals(expected)).to.equal(true);
    const before = dump(log);
    await log.close();
    const again = await openSegmentLog(files, opts);
    expect(dump(again)).to.deep.equal(before);
    expect(again.lastIndex()).to.equal(8);
    await again.close();
  });

  it('keeps entries not yet applied cached over the budget (keepCachedFrom), and drops them once applied', async () => {
    let reads = 0;
    class CountingFiles extends CrashableFiles {
      override read(fd: number, buf: Uint8Array, position: number): number {
        reads++;
        return super.read(fd, buf, position);
      }
    }
    const files = new CountingFiles();
    const log = await openSegmentLog(files, { segmentBytes: 1 << 20, cacheBytes: 1024, spare: false });
    const big = Buffer.alloc(64 * 1024, 9);
    await log.append(range(1, 2, 1, 10));
    log.keepCachedFrom(3); // applied up to 2
    await log.append([{ index: 3, term: 1, type: EntryType.Normal, data: big }, ...range(4, 4, 1, 10)]);
    reads = 0;
    expect(Buffer.from(log.entries(3, 5, Infinity)[0].data).equals(big)).to.equal(true);
    expect(reads, 'read from the cache').to.equal(0);
    log.keepCachedFrom(5); // applied up to 4: over the budget, dropped
    expect(Buffer.from(log.entries(3, 5, Infinity)[0].data).equals(big)).to.equal(true);
    expect(reads, 'read back from disk').to.be.greaterThan(0);
    await log.close();
  });

  it('a suffix truncation survives reopen (stale records are never read back)', async () => {
    const files = new CrashableFiles();
    let log = await openSegmentLog(files, opts);
    await log.append(range(1, 30, 1, 50));
    await log.append(range(10, 12, 2, 50));
    await log.append(range(13, 14, 2, 50));
    const expected = dump(log);
    await log.close();
    log = await openSegmentLog(files, opts);
    expect(log.lastIndex()).to.equal(14);
    expect(dump(log)).to.deep.equal(expected);
    await log.close();
  });

  it('truncates a torn tail at reopen and keeps every synced entry', async () => {
    const files = new CrashableFiles();
    const repairs: string[] = [];
    const log = await openSegmentLog(files, { ...opts, onRepair: (m) => repairs.push(m) });
    await log.append(range(1, 5, 1, 300));
    const synced = dump(log);
    void log.append(range(6, 9, 1, 300)).catch(() => undefined); // written, not yet synced
    // keep the first sector of the unsynced write only: entry 6 cut in the middle
    const draws = [0, 0.9, 0];
    const after = files.crash(() => draws.shift() ?? 0.95);
    const reopened = await openSegmentLog(after, { ...opts, onRepair: (m) => repairs.push(m) });
    expect(reopened.lastIndex()).to.be.within(5, 8);
    expect(dump(reopened).slice(0, 5)).to.deep.equal(synced);
    expect(repairs.join()).to.match(/torn write at offset \d+/);
    // and the log goes on where it stopped
    await reopened.append(range(reopened.lastIndex() + 1, reopened.lastIndex() + 2, 2));
    await reopened.close();
    const again = await openSegmentLog(after, opts);
    expect(again.lastIndex()).to.equal(reopened.lastIndex());
    await again.close();
  });

  it('zeroes the pieces of a torn write that came after the torn record, so they never come back', async () => {
    const files = new CrashableFiles();
    const log = await openSegmentLog(files, opts);
    await log.append(range(1, 5, 1, 300));
    void log.append(range(6, 9, 1, 300)).catch(() => undefined);
    // the disk loses the first sector of the write (entry 6's start) and keeps the rest: entries 7..9 intact
    const draws = [0, 0.5, 0.9];
    const after = files.crash(() => draws.shift() ?? 0);
    let reopened = await openSegmentLog(after, opts);
    expect(reopened.lastIndex()).to.equal(5);
    // same sizes: without the zeroing, the old entry 8 would sit right after the new 7 and read as its successor
    await reopened.append(range(6, 7, 2, 300));
    await reopened.close();
    reopened = await openSegmentLog(after, opts);
    expect(reopened.lastIndex()).to.equal(7);
    expect([6, 7].map((i) => reopened.term(i))).to.deep.equal([2, 2]);
    await reopened.close();
  });

  it('refuses to open when a damaged record is followed by later synced ones, naming file and offset', async () => {
    const files = new CrashableFiles();
    const log = await openSegmentLog(files, opts);
    await log.append(range(1, 3, 1, 100));
    await log.append(range(4, 6, 1, 100));
    await log.append(range(7, 9, 1, 100));
    await log.close();
    const [name] = segNames(files);
    const second = SEGMENT_HEADER_BYTES + recordBytes(100);
    files.corrupt(name, second + RECORD_HEADER_BYTES + 10); // data of entry 2
    const error = await failure(() => openSegmentLog(files, opts));
    expect(error).to.be.instanceOf(StorageCorruptionError);
    expect((error as Error).message).to.include(name).and.include(`offset ${second}`).and.match(/not a torn write/);
  });

  it('refuses to open when a segment other than the last is damaged', async () => {
    const files = new CrashableFiles();
    const log = await openSegmentLog(files, opts);
    for (let i = 0; i < 10; i++) await log.append(range(i * 5 + 1, i * 5 + 5, 1, 200));
    await log.close();
    const names = segNames(files);
    expect(names.length).to.be.greaterThan(2);
    files.corrupt(names[0], files.bytes(names[0]).length > 0 ? SEGMENT_HEADER_BYTES + recordBytes(200) * 4 + 5 : 0); // last record of the first segment
    const error = await failure(() => openSegmentLog(files, opts));
    expect(error).to.be.instanceOf(StorageCorruptionError);
    expect((error as Error).message).to.include(names[0]).and.match(/offset \d+/);
  });

  it('refuses to open when a segment is missing from the middle of the log', async () => {
    const files = new CrashableFiles();
    const log = await openSegmentLog(files, opts);
    for (let i = 0; i < 10; i++) await log.append(range(i * 5 + 1, i * 5 + 5, 1, 200));
    await log.close();
    const names = segNames(files);
    await files.unlink(names[1]);
    const error = await failure(() => openSegmentLog(files, opts));
    expect(error).to.be.instanceOf(StorageCorruptionError);
    expect((error as Error).message).to.include(names[2]).and.match(/follows index \d+/);
  });

  it('refuses to open with a damaged snapshot.meta', async () => {
    const files = new CrashableFiles();
    const log = await openSegmentLog(files, opts);
    await log.append(range(1, 10, 1));
    await log.compact(5, meta(5, 1));
    await log.close();
    files.corrupt('snapshot.meta', 12);
    const error = await failure(() => openSegmentLog(files, opts));
    expect(error).to.be.instanceOf(StorageCorruptionError);
    expect((error as Error).message).to.match(/snapshot\.meta is damaged/);
  });

  it('a failed fdatasync fails the append and every later write', async () => {
    const files = new CrashableFiles();
    const log = await openSegmentLog(files, opts);
    await log.append(range(1, 2, 1));
    files.failNext.fdatasync = true;
    const error = await failure(() => log.append(range(3, 4, 1)));
    expect(error).to.be.instanceOf(StorageError);
    await failure(() => log.append(range(5, 5, 1)));
    await failure(() => log.retry()); // never retried: what reached the disk is unknown
    await log.close();
  });

  it('a full disk while preallocating a segment stalls the log; retry() resumes the stopped writes in order', async () => {
    const files = new CrashableFiles();
    let log = await openSegmentLog(files, opts);
    await log.append(range(1, 30, 1, 100)); // fills most of the first 4 KiB segment
    files.failNext.zeroFill = true;
    const error = await failure(() => log.append(range(31, 40, 1, 100))); // needs a new segment
    expect(error).to.be.instanceOf(StorageFullError);
    expect(log.lastIndex()).to.equal(40); // kept in memory, written by retry()
    expect(await failure(() => log.append(range(41, 41, 1)))).to.equal(error); // refused while stalled, nothing changed
    expect(log.lastIndex()).to.equal(40);
    await log.retry();
    await log.append(range(41, 42, 1, 100));
    const expected = dump(log);
    await log.close();
    log = await openSegmentLog(files, opts);
    expect(dump(log)).to.deep.equal(expected);
    await log.close();
  });

  describe('power loss (seeded rounds: random appends, truncations, compactions, installs; crash; reopen)', () => {
    after('the rounds did meet torn tails (the repair path ran)', () => {
      console.log(`      power loss: ${powerLoss.crashes} crashes, ${powerLoss.repairs} torn tails repaired`);
      expect(powerLoss.repairs).to.be.greaterThan(8);
      expect(powerLoss.crashes).to.equal(POWER_SEEDS * 6);
    });
    for (let seed = POWER_SEED_BASE; seed < POWER_SEED_BASE + POWER_SEEDS; seed++) {
      it(`seed ${seed}: every acknowledged write survives, the log reopens as a prefix of what was written`, async () => {
        await powerLossRound(seed);
      });
    }
  });
});

const CONF = { voters: [1, 2, 3], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };

interface State {
  snap: [number, number];
  last: number;
  entries: string[];
}

function capture(log: LogStore): State {
  const s = log.snapshotMeta();
  return { snap: [s.index, s.term], last: log.lastIndex(), entries: dump(log) };
}

const entryKey = (line: string): number => Number(line.slice(0, line.indexOf(':')));

/** got is `state` exactly, or `next` (one append later) cut after got.last, at or after the append's start. */
function explains(got: State, state: State, next: State | undefined, appendFrom: number | undefined): boolean {
  const same = (a: State, b: State): boolean => a.snap[0] === b.snap[0] && a.snap[1] === b.snap[1];
  if (same(got, state) && got.last === state.last && got.entries.join() === state.entries.join()) return true;
  if (next === undefined || appendFrom === undefined || !same(got, next)) return false;
  if (got.last < appendFrom - 1 || got.last > next.last) return false;
  return got.entries.join() === next.entries.filter((line) => entryKey(line) <= got.last).join();
}

function model(state: State): MemoryStorage {
  const m = new MemoryStorage(CONF);
  void m.compact(state.snap[0], { index: state.snap[0], term: state.snap[1], conf: CONF });
  const entries: Entry[] = state.entries.map((line) => {
    const [index, term, type, hex] = line.split(':');
    return { index: Number(index), term: Number(term), type: Number(type) as EntryType, data: Buffer.from(hex, 'hex') };
  });
  void m.append(entries);
  return m;
}

const powerLoss = { repairs: 0, crashes: 0 };

async function powerLossRound(seed: number): Promise<void> {
  const rng: Rng = seeded(seed);
  const pick = (n: number): number => Math.floor(rng() * n);
  const opts: SegmentLogOptions = {
    segmentBytes: 2048 + pick(4096),
    cacheBytes: pick(3) === 0 ? 0 : 4096,
    spare: rng() < 0.5,
    onRepair: () => powerLoss.repairs++,
  };
  let files = new CrashableFiles();
  let log = await openSegmentLog(files, opts);
  let mem = new MemoryStorage(CONF);
  let term = 1;
  for (let round = 0; round < 6; round++) {
    const states: State[] = [capture(mem)];
    const appendFrom: Array<number | undefined> = [];
    let acked = 0;
    const count = 1 + pick(25);
    for (let i = 1; i <= count; i++) {
      let done: Promise<void>;
      const last = mem.lastIndex();
      const first = mem.firstIndex();
      if (rng() < 0.8 || last < first) {
        let from = last + 1;
        if (rng() < 0.15 && last >= first) from = first + pick(last - first + 1);
        if (from <= last || rng() < 0.1) term++;
        const entries: Entry[] = [];
        for (let k = 0, n = 1 + pick(8); k < n; k++) {
          const size = rng() < 0.03 ? (opts.segmentBytes ?? 0) + pick(3000) : pick(300);
          const data = Buffer.alloc(size);
          for (let b = 0; b < size; b += 7) data[b] = pick(256);
          entries.push({ index: from + k, term, type: rng() < 0.1 ? EntryType.ConfChange : EntryType.Normal, data });
        }
        void mem.append(entries);
        done = log.append(entries);
        appendFrom.push(from);
      } else {
        const snapIndex = mem.snapshotMeta().index;
        let m: SnapshotMeta;
        if (rng() < 0.8) {
          const upTo = snapIndex + 1 + pick(last - snapIndex);
          m = { index: upTo, term: mem.term(upTo)!, conf: CONF };
        } else {
          term++;
          m = { index: snapIndex + 1 + pick(last - snapIndex + 5), term, conf: CONF };
        }
        void mem.compact(m.index, m);
        done = log.compact(m.index, m);
        appendFrom.push(undefined);
      }
      states.push(capture(mem));
      done.then(
        () => {
          acked = Math.max(acked, i);
        },
        () => undefined,
      );
      const r = rng();
      if (r < 0.25) await done;
      else if (r < 0.4) await new Promise((resolve) => setImmediate(resolve));
    }
    for (let spin = pick(30); spin > 0; spin--) await Promise.resolve();
    const ackedAtCrash = acked;
    files = files.crash(rng() < 0.75 ? rng : undefined);
    powerLoss.crashes++;
    log = await openSegmentLog(files, opts);
    const got = capture(log);
    let ok = false;
    for (let j = ackedAtCrash; j <= count && !ok; j++) ok = explains(got, states[j], states[j + 1], appendFrom[j]);
    if (!ok) {
      throw new Error(
        `seed ${seed} round ${round}: recovered log (snapshot ${got.snap}, last ${got.last}) is not a state at or after the ` +
          `last acknowledged operation ${ackedAtCrash} of ${count}: states ${states.map((s) => `${s.snap[0]}/${s.last}`).join(' ')}; ` +
          `got ${got.entries.map(entryKey).join(',')}`,
      );
    }
    mem = model(got);
    term = Math.max(term, got.snap[1]) + 1;
  }
  await log.close();
}
