import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import {
  StorageError,
  StorageFullError,
  StorageReadOnlyError,
  classifyStorageError,
  openLmdbStorage,
  type LmdbStorage,
} from '../../storage/lmdb';
import { failure, meta, range } from './conformance';
import { tempDir } from './helpers';

/**
 * Disk faults on a real file system: a small tmpfs filled to the last byte
 * (ENOSPC; LMDB reports its short write as EIO, which we classify by the free
 * space left), and the same tmpfs remounted read-only. Needs root (mount);
 * skipped with a message otherwise.
 */

function run(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/** Fill the file system holding dir until ENOSPC; returns the filler's path. */
function fillDisk(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  }
  const small = Buffer.alloc(512, 1);
  try {
    for (;;) writeSync(fd, small);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  return path;
}

const putChange = (key: string, value: Buffer | string): { key: Buffer; value: Buffer } => ({ key: Buffer.from(key), value: Buffer.from(value) });

describe('disk faults', function () {
  this.timeout(20_000);
  let base: { dir: string; remove(): void };
  let mountPoint: string;
  let dataDir: string;
  let storage: LmdbStorage | undefined;
  let mounted = false;
  const originalConsoleError = console.error;

  before(function () {
    base = tempDir('raftcache-diskfault-');
    mountPoint = join(base.dir, 'mnt');
    mkdirSync(mountPoint);
    mounted = run('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint]);
    if (!mounted) {
      // eslint-disable-next-line no-console
      console.log('      (skipping disk-fault tests: mounting a tmpfs needs root: mount -t tmpfs -o size=4m tmpfs DIR)');
      base.remove();
      this.skip();
    }
  });

  after(() => {
    if (mounted) {
      run('mount', ['-o', 'remount,rw', mountPoint]);
      // lmdb-js keeps one descriptor of an environment opened on a read-only mount after close,
      // so a plain umount can find the mount busy: detach it lazily then.
      if (!run('umount', [mountPoint])) run('umount', ['-l', mountPoint]);
      base.remove();
    }
  });

  beforeEach(() => {
    dataDir = join(mountPoint, `data-${Date.now()}`);
    // lmdb-js logs every failed commit with console.error; these failures are the point here.
    console.error = () => undefined;
  });

  afterEach(async () => {
    console.error = originalConsoleError;
    await storage?.close().catch(() => undefined);
    storage = undefined;
    run('mount', ['-o', 'remount,rw', mountPoint]);
    run('sh', ['-c', `rm -rf '${mountPoint}'/*`]);
  });

  it('rejects writes on a full disk with StorageFullError, keeps serving reads, and resumes when space returns', async () => {
    storage = openLmdbStorage(dataDir);
    await storage.writeBatch({
      entries: range(1, 100, 1, 100),
      hardState: { term: 1, vote: 1, commit: 100 },
      keyspace: { changes: [putChange('a', '1'), putChange('b', '2')], meta: meta(100, 1) },
    });
    const filler = fillDisk(mountPoint);

    // Several writes in flight when the disk is full: all fail together, no gap is left behind.
    const writes = [
      storage.log.append(range(101, 300, 2, 10_000)),
      storage.writeBatch({ entries: range(301, 310, 2, 100), hardState: { term: 2, vote: 1, commit: 300 } }),
      storage.keyspace.write([putChange('c', Buffer.alloc(500_000, 3))], meta(300, 2)),
    ];
    const errors = await Promise.all(writes.map((w) => failure(() => w)));
    for (const error of errors) {
      expect(error).to.be.instanceOf(StorageFullError);
      expect((error as StorageError).code).to.equal('ENOSPC');
    }
    expect(storage.stats().lastError).to.be.instanceOf(StorageFullError);

    // The in-memory view is back to what is on disk, and reads work.
    expect(storage.log.lastIndex()).to.equal(100);
    expect(storage.log.entries(1, 101, Infinity)).to.have.length(100);
    expect(storage.stable.hardState()).to.deep.equal({ term: 1, vote: 1, commit: 100 });
    expect(storage.keyspace.appliedIndex()).to.equal(100);
    expect([...storage.keyspace.records()]).to.have.length(2);

    // Still full: still a clean rejection, not a crash.
    expect(await failure(() => storage!.log.append(range(101, 300, 2, 10_000)))).to.be.instanceOf(StorageFullError);

    unlinkSync(filler);
    await storage.log.append(range(101, 150, 2, 10_000));
    await storage.keyspace.write([putChange('c', '3')], meta(150, 2));
    expect(storage.stats().lastError).to.equal(undefined);

    await storage.close();
    storage = openLmdbStorage(dataDir);
    expect(storage.log.lastIndex()).to.equal(150);
    expect(storage.log.entries(1, 151, Infinity)).to.have.length(150);
    expect(storage.keyspace.appliedIndex()).to.equal(150);
    expect([...storage.keyspace.records()]).to.have.length(3);
  });

  it('a disk filled by another writer while commits stream: LMDB never fails a commit (the reserve refuses first), writes resume, nothing acknowledged is lost', async function () {
    this.timeout(60_000);
    expect(run('mount', ['-o', 'remount,size=96m', mountPoint]), 'grow the tmpfs').to.equal(true);
    try {
      // A small reserve, so that a full disk soon exhausts it.
      storage = openLmdbStorage(dataDir, { reserveBytes: 2 * 1024 * 1024 });
      const s = storage;
      let acked = 0;
      let refused = 0;
      const lmdbErrors: string[] = [];
      let stop = false;
      const writer = (async () => {
        while (!stop) {
          const from = s.log.lastIndex() + 1;
          try {
            await s.log.append(range(from, from + 15, 1, 1000));
            acked = from + 15;
            await new Promise((resolve) => setTimeout(resolve, 1));
          } catch (error) {
            expect(error).to.be.instanceOf(StorageFullError);
            if (!/ahead of|bytes free/.test((error as Error).message)) lmdbErrors.push((error as Error).message);
            refused++;
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
        }
      })();
      const fillerPath = join(mountPoint, 'filler');
      for (let round = 0; round < 5; round++) {
        await new Promise((resolve) => setTimeout(resolve, 150));
        // Fill in steps, yielding between them, so the fill races LMDB's write thread.
        const fd = openSync(fillerPath, 'w');
        const block = Buffer.alloc(256 * 1024, 7);
        try {
          for (;;) {
            writeSync(fd, block);
            await new Promise((resolve) => setImmediate(resolve));
          }
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
        } finally {
          closeSync(fd);
        }
        // Stay full until the writer has been refused (the reserve is used up).
        const refusedBefore = refused;
        for (let i = 0; i < 500 && refused === refusedBefore; i++) await new Promise((resolve) => setTimeout(resolve, 10));
        expect(refused, `round ${round}: a write is refused on the full disk`).to.be.greaterThan(refusedBefore);
        const before = acked;
        unlinkSync(fillerPath);
        for (let i = 0; i < 200 && acked === before; i++) await new Promise((resolve) => setTimeout(resolve, 10));
        expect(acked, `writes resume after round ${round}: ${JSON.stringify({ ...s.stats(), lastError: String(s.stats().lastError), df: execFileSync('df', ['-k', mountPoint]).toString() })}`).to.be.greaterThan(before);
      }
      stop = true;
      await writer;
      const stats = s.stats();
      expect(stats.failedCommits, `commits LMDB itself failed: ${String(lmdbErrors)}`).to.equal(0);
      expect(stats.reserveRefusals).to.be.greaterThan(0);
      await s.close();
      storage = openLmdbStorage(dataDir);
      expect(storage.log.lastIndex()).to.be.at.least(acked);
      const tail = storage.log.entries(acked - 15, acked + 1, Infinity);
      expect(tail.map((e) => e.index)).to.deep.equal(range(acked - 15, acked, 1).map((e) => e.index));
      expect(Buffer.from(tail[15].data)).to.deep.equal(Buffer.alloc(1000, acked & 0xff));
    } finally {
      await storage?.close().catch(() => undefined);
      storage = undefined;
      run('sh', ['-c', `rm -rf '${mountPoint}'/*`]);
      run('mount', ['-o', 'remount,size=4m', mountPoint]);
    }
  });

  it('a snapshot transfer that runs out of space leaves the old keyspace live', async () => {
    storage = openLmdbStorage(dataDir);
    await storage.keyspace.write([putChange('old', '1')], meta(5, 1));
    await storage.beginStaging();
    const filler = fillDisk(mountPoint);
    const big = Array.from({ length: 200 }, (_, i) => ({ key: Buffer.from(`\0key${i}`), value: Buffer.alloc(10_000, 1) }));
    expect(await failure(() => storage!.stage(big))).to.be.instanceOf(StorageFullError);
    await storage.abortStaging().catch(() => undefined);
    expect(storage.keyspace.appliedIndex()).to.equal(5);
    expect([...storage.keyspace.records()].map((r) => Buffer.from(r.key).toString())).to.deep.equal(['old']);
    unlinkSync(filler);
  });

  it('opens a read-only data directory read-only: reads work, writes fail with StorageReadOnlyError', async () => {
    storage = openLmdbStorage(dataDir);
    await storage.writeBatch({ entries: range(1, 5, 1), keyspace: { changes: [putChange('k', 'v')], meta: meta(5, 1) } });
    await storage.close();
    storage = undefined;
    expect(run('mount', ['-o', 'remount,ro', mountPoint]), 'remount read-only').to.equal(true);

    storage = openLmdbStorage(dataDir);
    expect(storage.readOnly).to.equal(true);
    expect(storage.log.entries(1, 6, Infinity)).to.have.length(5);
    expect(storage.keyspace.appliedIndex()).to.equal(5);
    const error = await failure(() => storage!.log.append(range(6, 6, 1)));
    expect(error).to.be.instanceOf(StorageReadOnlyError);
    expect(await failure(() => storage!.keyspace.write([], meta(6, 1)))).to.be.instanceOf(StorageReadOnlyError);
    expect(await failure(() => storage!.stable.setHardState({ term: 2, vote: 0, commit: 0 }))).to.be.instanceOf(StorageReadOnlyError);
    expect(storage.log.lastIndex()).to.equal(5);
    await storage.close();
    storage = undefined;

    expect(run('mount', ['-o', 'remount,rw', mountPoint]), 'remount read-write').to.equal(true);
    storage = openLmdbStorage(dataDir);
    expect(storage.readOnly).to.equal(false);
    await storage.log.append(range(6, 6, 1));
    expect(storage.log.lastIndex()).to.equal(6);
  });
});

describe('storage error classification', () => {
  const dir = tempDir();
  after(() => dir.remove());

  it('maps errnos and LMDB codes to typed errors', () => {
    expect(classifyStorageError({ code: 28, message: 'No space' }, dir.dir, 'x')).to.be.instanceOf(StorageFullError);
    expect(classifyStorageError(Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' }), dir.dir, 'x')).to.be.instanceOf(StorageFullError);
    const mapFull = classifyStorageError({ code: -30792, message: 'MDB_MAP_FULL' }, dir.dir, 'x');
    expect(mapFull).to.be.instanceOf(StorageFullError);
    expect(mapFull.code).to.equal('MAP_FULL');
    expect(classifyStorageError({ code: 30, message: 'Read-only file system' }, dir.dir, 'x')).to.be.instanceOf(StorageReadOnlyError);
    expect(classifyStorageError({ code: 13, message: 'Permission denied' }, dir.dir, 'x')).to.be.instanceOf(StorageReadOnlyError);
    // EIO with plenty of free space is a real I/O error, not a full disk.
    const io = classifyStorageError({ code: 5, message: 'Input/output error' }, dir.dir, 'x');
    expect(io).to.not.be.instanceOf(StorageFullError);
    expect(io.code).to.equal('EIO');
  });
});
