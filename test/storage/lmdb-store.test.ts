import { expect } from 'chai';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { indexKey } from '../../storage/lmdb-codec';
import { StorageCorruptionError, StorageError, openLmdbStorage, type LmdbStorage, type LmdbStorageOptions } from '../../storage/lmdb';
import { failure, meta, range } from './conformance';
import { tempDir } from './helpers';

/** LMDB-specific behaviour beyond the conformance suite: group commit, compaction, file size, integrity checks. */
describe('LMDB storage', () => {
  let dir: string;
  let remove: () => void;
  let storage: LmdbStorage | undefined;

  const openStore = (options: LmdbStorageOptions = {}): LmdbStorage => {
    storage = openLmdbStorage(dir, options);
    return storage;
  };
  const reopen = async (options: LmdbStorageOptions = {}): Promise<LmdbStorage> => {
    await storage?.close();
    return openStore(options);
  };

  beforeEach(() => {
    ({ dir, remove } = tempDir());
  });
  afterEach(async () => {
    await storage?.close();
    storage = undefined;
    remove();
  });

  it('opens a data directory whose name has a dot (lmdb-js would otherwise take it for a file path)', async () => {
    const dotted = tempDir('raftcache.data.');
    try {
      const s = openLmdbStorage(dotted.dir);
      await s.log.append(range(1, 3, 1));
      await s.close();
      expect(statSync(join(dotted.dir, 'data.mdb')).isFile()).to.equal(true);
      const again = openLmdbStorage(dotted.dir);
      expect(again.log.lastIndex()).to.equal(3);
      await again.close();
    } finally {
      dotted.remove();
    }
  });

  describe('group commit', () => {
    it('puts everything written in one event-loop turn into one transaction', async () => {
      const s = openStore();
      const before = s.stats().transactions;
      const writes: Array<Promise<void>> = [];
      for (let i = 1; i <= 100; i++) {
        writes.push(s.log.append(range(i, i, 1)));
        writes.push(s.keyspace.write([{ key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`) }], meta(i, 1)));
      }
      writes.push(s.stable.setHardState({ term: 1, vote: 1, commit: 100 }));
      await Promise.all(writes);
      expect(s.stats().transactions - before).to.equal(1);
      expect(s.log.lastIndex()).to.equal(100);
      expect(s.keyspace.appliedIndex()).to.equal(100);
    });

    it('groups writes submitted while a commit is in flight into the next transaction', async () => {
      const s = openStore();
      const before = s.stats().transactions;
      const first = s.log.append(range(1, 1, 1));
      await new Promise((resolve) => setImmediate(resolve)); // the first transaction is now in flight
      const rest: Array<Promise<void>> = [];
      for (let i = 2; i <= 50; i++) {
        rest.push(s.log.append(range(i, i, 1)));
        await Promise.resolve();
      }
      await Promise.all([first, ...rest]);
      expect(s.stats().transactions - before).to.be.at.most(3);
      expect(s.log.entries(1, 51, Infinity)).to.have.length(50);
    });

    it('splits a queue larger than maxTxnOps between transactions, never splitting one write', async () => {
      const s = openStore({ maxTxnOps: 1000 });
      const before = s.stats().transactions;
      await Promise.all([s.log.append(range(1, 600, 1)), s.log.append(range(601, 1200, 1)), s.log.append(range(1201, 3000, 1))]);
      expect(s.stats().transactions - before).to.equal(3);
      expect(s.log.lastIndex()).to.equal(3000);
    });

    it('writeBatch persists entries, hard state and keyspace changes together', async () => {
      const s = openStore();
      const before = s.stats().transactions;
      await s.writeBatch({
        entries: range(1, 3, 2),
        hardState: { term: 2, vote: 3, commit: 2 },
        keyspace: { changes: [{ key: Buffer.from('a'), value: Buffer.from('1') }], meta: meta(2, 2) },
      });
      expect(s.stats().transactions - before).to.equal(1);
      const again = await reopen();
      expect(again.log.lastIndex()).to.equal(3);
      expect(again.stable.hardState()).to.deep.equal({ term: 2, vote: 3, commit: 2 });
      expect(again.keyspace.appliedIndex()).to.equal(2);
      expect(Buffer.from(again.keyspace.get(Buffer.from('a'))!).toString()).to.equal('1');
    });

    it('refuses a writeBatch that would leave a gap without changing anything', async () => {
      const s = openStore();
      await s.log.append(range(1, 2, 1));
      const error = await failure(() =>
        s.writeBatch({ entries: range(5, 5, 1), hardState: { term: 9, vote: 9, commit: 9 } }),
      );
      expect(error).to.be.instanceOf(StorageError);
      expect(s.log.lastIndex()).to.equal(2);
      expect(s.stable.hardState().term).to.equal(0);
    });

    it('refuses a keyspace write that moves the applied index backwards', async () => {
      const s = openStore();
      await s.keyspace.write([], meta(5, 1));
      expect(await failure(() => s.keyspace.write([], meta(4, 1)))).to.be.instanceOf(StorageError);
    });
  });

  describe('compaction', () => {
    it('deletes entries in bounded transactions and reports the log shrinking', async () => {
      const s = openStore({ compactChunk: 1000 });
      await s.log.append(range(1, 20_000, 1, 100));
      const size = s.log.sizeBytes();
      const before = s.stats().transactions;
      await s.log.compact(19_000, meta(19_000, 1));
      expect(s.stats().transactions - before).to.be.at.least(19);
      expect(s.stats().leftoverLogEntries).to.equal(0);
      expect(s.log.sizeBytes()).to.be.lessThan(size / 5);
      expect(s.log.entries(19_001, 20_001, Infinity)).to.have.length(1000);
    });

    it('finishes an interrupted compaction after reopen', async () => {
      const s = openStore({ compactChunk: 100 });
      await s.log.append(range(1, 5000, 1));
      const compaction = s.log.compact(4000, meta(4000, 1));
      await new Promise((resolve) => setTimeout(resolve, 5));
      await s.close(); // stops between chunks, like a crash after some of them
      await compaction.catch(() => undefined);
      const again = openStore({ compactChunk: 100 });
      expect(again.log.firstIndex()).to.equal(4001);
      expect(again.stats().leftoverLogEntries).to.be.greaterThan(0);
      await again.idle();
      expect(again.stats().leftoverLogEntries).to.equal(0);
      expect(again.log.entries(4001, 5001, Infinity)).to.have.length(1000);
    });

    it('compactFile writes a smaller copy that opens with the same data', async () => {
      const s = openStore();
      const changes = Array.from({ length: 3000 }, (_, i) => ({ key: Buffer.from(`key${i}`), value: Buffer.alloc(1000, 1) }));
      await s.keyspace.write(changes, meta(1, 1));
      await s.keyspace.write(changes.slice(100).map(({ key }) => ({ key, value: null })), meta(2, 1));
      await s.log.append(range(1, 10, 1));
      const fileBytes = s.stats().fileBytes;
      const copy = tempDir();
      try {
        await s.compactFile(copy.dir);
        expect(statSync(join(copy.dir, 'data.mdb')).size).to.be.lessThan(fileBytes / 4);
        const copied = openLmdbStorage(copy.dir);
        expect(copied.keyspace.count()).to.equal(100);
        expect(copied.keyspace.appliedIndex()).to.equal(2);
        expect(copied.log.lastIndex()).to.equal(10);
        await copied.close();
      } finally {
        copy.remove();
      }
    });
  });

  describe('integrity', () => {
    const rawEnv = () => open<Buffer, Buffer>({ path: dir, maxDbs: 8 });

    it('detects a damaged entry on read', async () => {
      const s = openStore();
      await s.log.append(range(1, 3, 1));
      await s.close();
      const env = rawEnv();
      const log = env.openDB<Buffer, Buffer>('log', { encoding: 'binary', keyEncoding: 'binary' });
      const value = Buffer.from(log.getBinary(indexKey(2))!);
      value[value.length - 1] ^= 0xff;
      await log.put(indexKey(2), value);
      await env.close();
      const again = openStore();
      expect(() => again.log.entries(1, 4, Infinity)).to.throw(StorageCorruptionError);
    });

    it('refuses to open a log with a hole', async () => {
      const s = openStore();
      await s.log.append(range(1, 5, 1));
      await s.close();
      storage = undefined;
      const env = rawEnv();
      const log = env.openDB<Buffer, Buffer>('log', { encoding: 'binary', keyEncoding: 'binary' });
      await log.remove(indexKey(3));
      await env.close();
      expect(() => openStore()).to.throw(StorageCorruptionError);
    });

    it('refuses to open the same directory twice in one process', () => {
      openStore();
      expect(() => openLmdbStorage(dir)).to.throw(StorageError, /already open/);
    });

    it('reopens under another sync mode', async () => {
      const s = openStore({ sync: 'batch' });
      await s.log.append(range(1, 3, 1));
      const again = await reopen({ sync: 'always' });
      await again.log.append(range(4, 5, 1));
      const last = await reopen({ sync: 'none' });
      expect(last.log.lastIndex()).to.equal(5);
    });
  });
});
