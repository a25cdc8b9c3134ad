import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openLmdbStorage } from '../../storage/lmdb';
import { EMPTY_CONF } from '../../storage/lmdb-codec';
import { openNodeStorage } from '../../storage/node-storage';
import { entryData, workloadEntry } from './crash-workload';
import { tempDir } from './helpers';

const entries = (from: number, to: number, term: number) => Array.from({ length: to - from + 1 }, (_, i) => workloadEntry(from + i, term));

describe('node storage (segment log + LMDB)', () => {
  let dirs: Array<{ remove(): void }> = [];
  const fresh = (): string => {
    const d = tempDir('raftcache-nodestore-');
    dirs.push(d);
    return d.dir;
  };
  afterEach(() => {
    for (const d of dirs) d.remove();
    dirs = [];
  });

  it('keeps the Raft log in segment files under log/ and the keyspace copy in LMDB', async () => {
    const dir = fresh();
    const s = await openNodeStorage(dir, { segmentBytes: 64 * 1024 });
    await s.writeBatch({ entries: entries(1, 50, 1), hardState: { term: 1, vote: 1, commit: 0 } });
    await s.writeBatch({ keyspace: { changes: [{ key: Buffer.from('k'), value: Buffer.from('v') }], meta: { index: 40, term: 1, conf: EMPTY_CONF } }, hardState: { term: 1, vote: 1, commit: 50 } });
    await s.close();
    expect(readdirSync(join(dir, 'log')).some((f) => /\.seg$|^\d+/.test(f))).to.equal(true);
    const lmdb = openLmdbStorage(dir);
    try {
      expect(lmdb.log.lastIndex(), 'LMDB holds no log entries').to.equal(0);
      expect(lmdb.keyspace.appliedIndex()).to.equal(40);
      expect(lmdb.stable.hardState()).to.deep.equal({ term: 1, vote: 1, commit: 50 });
    } finally {
      await lmdb.close();
    }
    const again = await openNodeStorage(dir, { segmentBytes: 64 * 1024 });
    try {
      expect(again.log.lastIndex()).to.equal(50);
      expect(Buffer.from(again.log.entries(7, 8, 1 << 20)[0].data).equals(entryData(7, 1))).to.equal(true);
    } finally {
      await again.close();
    }
  });

  it('writes term and vote to LMDB only when they change; the commit rides with keyspace flushes', async () => {
    const dir = fresh();
    const s = await openNodeStorage(dir);
    await s.writeBatch({ entries: entries(1, 3, 2), hardState: { term: 2, vote: 3, commit: 0 } });
    const before = s.stats().transactions;
    await s.writeBatch({ entries: entries(4, 6, 2), hardState: { term: 2, vote: 3, commit: 5 } });
    expect(s.stats().transactions, 'no LMDB transaction for entries alone').to.equal(before);
    await s.writeBatch({ entries: entries(7, 7, 3), hardState: { term: 3, vote: 0, commit: 6 } });
    expect(s.stats().transactions).to.equal(before + 1);
    await s.close();
    const again = await openNodeStorage(dir);
    try {
      expect(again.stable.hardState()).to.deep.equal({ term: 3, vote: 0, commit: 6 });
    } finally {
      await again.close();
    }
  });

  it('never stores a commit beyond what the log has made durable', async () => {
    const dir = fresh();
    const s = await openNodeStorage(dir);
    try {
      await s.writeBatch({ entries: entries(1, 5, 1), hardState: { term: 1, vote: 1, commit: 0 } });
      const inFlight = s.writeBatch({ entries: entries(6, 9, 1) });
      await s.writeBatch({ hardState: { term: 1, vote: 1, commit: 9 }, keyspace: { changes: [], meta: { index: 2, term: 1, conf: EMPTY_CONF } } });
      await inFlight;
    } finally {
      await s.close();
    }
    const lmdb = openLmdbStorage(dir);
    try {
      expect(lmdb.stable.hardState().commit).to.equal(5);
    } finally {
      await lmdb.close();
    }
  });

  it('moves a Raft log kept in LMDB (data written before the segment log) into segment files', async () => {
    const dir = fresh();
    const old = openLmdbStorage(dir);
    await old.writeBatch({ entries: entries(1, 3000, 4), hardState: { term: 4, vote: 2, commit: 2990 } });
    await old.writeBatch({ keyspace: { changes: [{ key: Buffer.from('a'), value: Buffer.from('1') }], meta: { index: 2000, term: 4, conf: EMPTY_CONF } } });
    await old.log.compact(1500, { index: 1500, term: 4, conf: EMPTY_CONF });
    await old.close();
    const s = await openNodeStorage(dir);
    try {
      expect(s.log.firstIndex()).to.equal(1501);
      expect(s.log.lastIndex()).to.equal(3000);
      expect(s.log.term(1500)).to.equal(4);
      const got = s.log.entries(1501, 3001, Number.MAX_SAFE_INTEGER);
      expect(got).to.have.length(1500);
      for (const e of got) expect(Buffer.from(e.data).equals(entryData(e.index, 4)), `entry ${e.index}`).to.equal(true);
      expect(s.stable.hardState()).to.deep.equal({ term: 4, vote: 2, commit: 2990 });
      expect(s.keyspace.appliedIndex()).to.equal(2000);
    } finally {
      await s.close();
    }
    const lmdb = openLmdbStorage(dir);
    try {
      expect(lmdb.log.lastIndex() - lmdb.log.firstIndex() + 1, 'no entries left in LMDB').to.equal(0);
    } finally {
      await lmdb.close();
    }
  });

  it('repairs a crash between a snapshot install switching the keyspace and resetting the log', async () => {
    const dir = fresh();
    const s = await openNodeStorage(dir);
    await s.writeBatch({ entries: entries(1, 20, 1), hardState: { term: 1, vote: 1, commit: 20 } });
    await s.close();
    // The install's keyspace switch reached LMDB (index 100, term 5); the log reset did not.
    const lmdb = openLmdbStorage(dir);
    await lmdb.writeBatch({ keyspace: { changes: [{ key: Buffer.from('snap'), value: Buffer.from('x') }], meta: { index: 100, term: 5, conf: EMPTY_CONF } } });
    await lmdb.close();
    const again = await openNodeStorage(dir);
    try {
      expect(again.log.firstIndex()).to.equal(101);
      expect(again.log.lastIndex()).to.equal(100);
      expect(again.log.term(100)).to.equal(5);
    } finally {
      await again.close();
    }
  });

  it('refuses a keyspace copy older than the start of the log (entries in between are missing)', async () => {
    const dir = fresh();
    const s = await openNodeStorage(dir);
    await s.writeBatch({ entries: entries(1, 20, 1) });
    await s.log.compact(10, { index: 10, term: 1, conf: EMPTY_CONF });
    await s.close();
    let error: Error | undefined;
    await openNodeStorage(dir).then(
      (x) => x.close(),
      (e: Error) => (error = e),
    );
    expect(error?.message).to.match(/keyspace copy is at index 0 but the Raft log starts after 10/);
  });
});
