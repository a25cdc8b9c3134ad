import { expect } from 'chai';
import { EntryType, type ConfState, type Entry, type SnapshotMeta } from '../../server/raft/types';
import type { KeyspaceStore, LogStore, StableStore } from '../../storage/types';

/**
 * One behavioural contract for every implementation of the storage seams
 * (storage/types.ts): memory.ts and lmdb.ts both run it. A factory returns a
 * fresh, empty store; `reopen` (durable stores only) closes it and opens the
 * same data again, as a restart would.
 */
export interface StoresUnderTest {
  log: LogStore;
  stable: StableStore;
  /** Needed by runKeyspaceStoreConformance only (MemoryStorage has no keyspace). */
  keyspace?: KeyspaceStore;
  close(): Promise<void>;
  reopen?(): Promise<StoresUnderTest>;
}

export type StoreFactory = () => Promise<StoresUnderTest>;

const CONF: ConfState = { voters: [1, 2, 3], learners: [4], votersOutgoing: [], learnersNext: [], autoLeave: false };

export function entry(index: number, term: number, data: string | Uint8Array = `e${index}`, type = EntryType.Normal): Entry {
  return { index, term, type, data: typeof data === 'string' ? Buffer.from(data) : data };
}

export function range(from: number, to: number, term: number, dataBytes?: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term, dataBytes === undefined ? `e${i}` : Buffer.alloc(dataBytes, i & 0xff)));
  return out;
}

export function meta(index: number, term: number, conf: ConfState = CONF): SnapshotMeta {
  return { index, term, conf };
}

function summary(entries: Entry[]): Array<[number, number, number, string]> {
  return entries.map((e) => [e.index, e.term, e.type, Buffer.from(e.data).toString('hex')]);
}

/** Calls fn and returns what it threw or rejected with; fails if it succeeded. */
export async function failure(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

function withStores(factory: StoreFactory): { stores: () => StoresUnderTest; replace(s: StoresUnderTest): void } {
  let current: StoresUnderTest | undefined;
  beforeEach(async () => {
    current = await factory();
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return {
    stores: () => current!,
    replace: (s) => {
      current = s;
    },
  };
}

export function runLogStoreConformance(name: string, factory: StoreFactory): void {
  describe(`LogStore conformance: ${name}`, () => {
    const ctx = withStores(factory);
    const log = (): LogStore => ctx.stores().log;

    it('starts empty: firstIndex 1, lastIndex 0, term(0) = 0', () => {
      expect(log().firstIndex()).to.equal(1);
      expect(log().lastIndex()).to.equal(0);
      expect(log().term(0)).to.equal(0);
      expect(log().term(1)).to.equal(undefined);
      expect(log().snapshotMeta().index).to.equal(0);
    });

    it('appends entries and reads them back with index, term, type and data', async () => {
      const written = [entry(1, 1), entry(2, 1, new Uint8Array([0, 255, 7])), entry(3, 2, '', EntryType.ConfChange), entry(4, 2)];
      await log().append(written);
      expect(log().lastIndex()).to.equal(4);
      expect(log().firstIndex()).to.equal(1);
      expect([1, 2, 3, 4].map((i) => log().term(i))).to.deep.equal([1, 1, 2, 2]);
      expect(summary(log().entries(1, 5, Infinity))).to.deep.equal(summary(written));
      expect(summary(log().entries(2, 4, Infinity))).to.deep.equal(summary(written.slice(1, 3)));
    });

    it('serves reads of an append before its promise resolves', async () => {
      const pending = log().append(range(1, 5, 1));
      expect(log().lastIndex()).to.equal(5);
      expect(log().term(5)).to.equal(1);
      expect(summary(log().entries(1, 6, Infinity))).to.deep.equal(summary(range(1, 5, 1)));
      await pending;
      expect(summary(log().entries(1, 6, Infinity))).to.deep.equal(summary(range(1, 5, 1)));
    });

    it('appends in several calls, each continuing the log', async () => {
      await log().append(range(1, 3, 1));
      await log().append(range(4, 6, 1));
      await log().append(range(7, 7, 2));
      expect(log().lastIndex()).to.equal(7);
      expect(summary(log().entries(1, 8, Infinity))).to.deep.equal(summary([...range(1, 6, 1), ...range(7, 7, 2)]));
    });

    it('replaces a conflicting suffix with a shorter one', async () => {
      await log().append(range(1, 10, 1));
      await log().append(range(6, 7, 2));
      expect(log().lastIndex()).to.equal(7);
      expect(log().term(5)).to.equal(1);
      expect(log().term(6)).to.equal(2);
      expect(log().term(8)).to.equal(undefined);
      expect(summary(log().entries(1, 8, Infinity))).to.deep.equal(summary([...range(1, 5, 1), ...range(6, 7, 2)]));
    });

    it('replaces a conflicting suffix with a longer one', async () => {
      await log().append(range(1, 5, 1));
      await log().append(range(3, 9, 3));
      expect(log().lastIndex()).to.equal(9);
      expect(summary(log().entries(1, 10, Infinity))).to.deep.equal(summary([...range(1, 2, 1), ...range(3, 9, 3)]));
    });

    it('replaces a suffix that is still being written', async () => {
      const first = log().append(range(1, 10, 1));
      const second = log().append(range(4, 5, 2));
      await Promise.all([first, second]);
      expect(log().lastIndex()).to.equal(5);
      expect(summary(log().entries(1, 6, Infinity))).to.deep.equal(summary([...range(1, 3, 1), ...range(4, 5, 2)]));
    });

    it('refuses an append that would leave a gap', async () => {
      await log().append(range(1, 3, 1));
      await failure(() => log().append(range(5, 6, 1)));
      expect(log().lastIndex()).to.equal(3);
    });

    it('entries(lo, hi, maxBytes) stops before exceeding maxBytes but returns at least one entry', async () => {
      await log().append(range(1, 10, 1, 1000));
      expect(log().entries(1, 11, 0)).to.have.length(1);
      expect(log().entries(4, 11, 1)).to.have.length(1);
      expect(log().entries(4, 11, 1)[0].index).to.equal(4);
      expect(log().entries(1, 11, 3500)).to.have.length(3);
      expect(log().entries(1, 11, Infinity)).to.have.length(10);
      expect(log().entries(3, 3, Infinity)).to.have.length(0);
    });

    it('term() answers at the snapshot index and not beyond either end', async () => {
      await log().append(range(1, 10, 2));
      await log().compact(4, meta(4, 2));
      expect(log().firstIndex()).to.equal(5);
      expect(log().lastIndex()).to.equal(10);
      expect(log().term(4)).to.equal(2);
      expect(log().term(3)).to.equal(undefined);
      expect(log().term(11)).to.equal(undefined);
      expect(log().snapshotMeta()).to.deep.equal(meta(4, 2));
    });

    it('compact drops entries up to the index and keeps the rest readable', async () => {
      await log().append([...range(1, 5, 1), ...range(6, 10, 2)]);
      await log().compact(6, meta(6, 2));
      expect(log().firstIndex()).to.equal(7);
      expect(summary(log().entries(7, 11, Infinity))).to.deep.equal(summary(range(7, 10, 2)));
      await failure(() => log().entries(6, 11, Infinity));
      // compacting to an older index changes nothing
      await log().compact(3, meta(3, 1));
      expect(log().firstIndex()).to.equal(7);
      // and appending continues after compaction
      await log().append(range(11, 12, 2));
      expect(log().lastIndex()).to.equal(12);
    });

    it('compact up to lastIndex leaves an empty log that continues after it', async () => {
      await log().append(range(1, 5, 1));
      await log().compact(5, meta(5, 1));
      expect(log().firstIndex()).to.equal(6);
      expect(log().lastIndex()).to.equal(5);
      expect(log().term(5)).to.equal(1);
      await log().append(range(6, 7, 3));
      expect(summary(log().entries(6, 8, Infinity))).to.deep.equal(summary(range(6, 7, 3)));
    });

    it('ignores appended entries that are already compacted', async () => {
      await log().append(range(1, 5, 1));
      await log().compact(3, meta(3, 1));
      await log().append(range(2, 6, 1));
      expect(log().firstIndex()).to.equal(4);
      expect(log().lastIndex()).to.equal(6);
      expect(summary(log().entries(4, 7, Infinity))).to.deep.equal(summary(range(4, 6, 1)));
    });

    it('compact at an index whose term differs installs a snapshot: the whole log goes', async () => {
      await log().append(range(1, 10, 1));
      await log().compact(5, meta(5, 9));
      expect(log().firstIndex()).to.equal(6);
      expect(log().lastIndex()).to.equal(5);
      expect(log().term(5)).to.equal(9);
      expect(log().term(6)).to.equal(undefined);
      await log().append(range(6, 6, 9));
      expect(summary(log().entries(6, 7, Infinity))).to.deep.equal(summary(range(6, 6, 9)));
    });

    it('compact beyond lastIndex installs a snapshot: the log restarts after it', async () => {
      await log().append(range(1, 5, 1));
      await log().compact(20, meta(20, 4));
      expect(log().firstIndex()).to.equal(21);
      expect(log().lastIndex()).to.equal(20);
      expect(log().term(20)).to.equal(4);
      expect(log().term(5)).to.equal(undefined);
      await log().append(range(21, 22, 4));
      expect(log().lastIndex()).to.equal(22);
    });

    it('reports a size that grows with the log', async () => {
      const before = log().sizeBytes();
      await log().append(range(1, 200, 1, 1000));
      expect(log().sizeBytes()).to.be.greaterThan(before);
    });

    it('survives reopen: entries, terms and compaction point', async function () {
      if (!ctx.stores().reopen) this.skip();
      await log().append([...range(1, 5, 1), ...range(6, 9, 2), ...range(10, 12, 5)]);
      await log().compact(3, meta(3, 1));
      ctx.replace(await ctx.stores().reopen!());
      expect(log().firstIndex()).to.equal(4);
      expect(log().lastIndex()).to.equal(12);
      expect([3, 4, 5, 6, 9, 10, 12, 13].map((i) => log().term(i))).to.deep.equal([1, 1, 1, 2, 2, 5, 5, undefined]);
      expect(log().snapshotMeta()).to.deep.equal(meta(3, 1));
      expect(summary(log().entries(4, 13, Infinity))).to.deep.equal(summary([...range(4, 5, 1), ...range(6, 9, 2), ...range(10, 12, 5)]));
    });
  });
}

export function runStableStoreConformance(name: string, factory: StoreFactory): void {
  describe(`StableStore conformance: ${name}`, () => {
    const ctx = withStores(factory);

    it('starts with term 0, no vote, commit 0', () => {
      expect(ctx.stores().stable.hardState()).to.deep.equal({ term: 0, vote: 0, commit: 0 });
    });

    it('round-trips the hard state, last write wins', async () => {
      await ctx.stores().stable.setHardState({ term: 3, vote: 2, commit: 10 });
      expect(ctx.stores().stable.hardState()).to.deep.equal({ term: 3, vote: 2, commit: 10 });
      await Promise.all([
        ctx.stores().stable.setHardState({ term: 4, vote: 0, commit: 10 }),
        ctx.stores().stable.setHardState({ term: 4, vote: 3, commit: 12 }),
      ]);
      expect(ctx.stores().stable.hardState()).to.deep.equal({ term: 4, vote: 3, commit: 12 });
    });

    it('survives reopen', async function () {
      if (!ctx.stores().reopen) this.skip();
      await ctx.stores().stable.setHardState({ term: 7, vote: 1, commit: 99 });
      ctx.replace(await ctx.stores().reopen!());
      expect(ctx.stores().stable.hardState()).to.deep.equal({ term: 7, vote: 1, commit: 99 });
    });
  });
}

function recordMap(keyspace: KeyspaceStore): Map<string, string> {
  const out = new Map<string, string>();
  for (const { key, value } of keyspace.records()) out.set(Buffer.from(key).toString('hex'), Buffer.from(value).toString('hex'));
  return out;
}

const hex = (s: string | Uint8Array): string => Buffer.from(s).toString('hex');
const put = (key: string | Uint8Array, value: string | Uint8Array): { key: Uint8Array; value: Uint8Array } => ({
  key: Buffer.from(key),
  value: Buffer.from(value),
});
const del = (key: string | Uint8Array): { key: Uint8Array; value: null } => ({ key: Buffer.from(key), value: null });

export function runKeyspaceStoreConformance(name: string, factory: StoreFactory): void {
  describe(`KeyspaceStore conformance: ${name}`, () => {
    const ctx = withStores(factory);
    const keyspace = (): KeyspaceStore => {
      const store = ctx.stores().keyspace;
      if (!store) throw new Error(`${name}: the factory returned no keyspace store`);
      return store;
    };

    it('starts empty at applied index 0', () => {
      expect(keyspace().appliedIndex()).to.equal(0);
      expect(keyspace().snapshotMeta().index).to.equal(0);
      expect([...keyspace().records()]).to.have.length(0);
    });

    it('applies puts and deletes with the applied index and meta', async () => {
      await keyspace().write([put('a', '1'), put('b', '2'), put('c', '3')], meta(5, 1));
      expect(keyspace().appliedIndex()).to.equal(5);
      await keyspace().write([del('b'), put('a', '11'), del('missing')], meta(7, 2));
      expect(keyspace().appliedIndex()).to.equal(7);
      expect(keyspace().snapshotMeta()).to.deep.equal(meta(7, 2));
      expect(recordMap(keyspace())).to.deep.equal(new Map([[hex('a'), hex('11')], [hex('c'), hex('3')]]));
    });

    it('stores binary keys and values byte for byte, including empty values and long keys', async () => {
      const binaryKey = new Uint8Array([0, 255, 0, 1]);
      const longKey = Buffer.alloc(5000, 'k');
      const bigValue = Buffer.alloc(200_000, 9);
      await keyspace().write([put(binaryKey, new Uint8Array([0, 0])), put('empty', ''), put(longKey, 'long'), put('big', bigValue)], meta(1, 1));
      const records = recordMap(keyspace());
      expect(records.get(hex(binaryKey))).to.equal('0000');
      expect(records.get(hex('empty'))).to.equal('');
      expect(records.get(hex(longKey))).to.equal(hex('long'));
      expect(records.get(hex('big'))).to.equal(hex(bigValue));
      await keyspace().write([del(longKey)], meta(2, 1));
      expect(recordMap(keyspace()).has(hex(longKey))).to.equal(false);
    });

    it('iterates a point-in-time view while writes continue', async () => {
      await keyspace().write(
        Array.from({ length: 100 }, (_, i) => put(`key${String(i).padStart(3, '0')}`, 'old')),
        meta(1, 1),
      );
      const iterator = keyspace().records()[Symbol.iterator]();
      const seen = [iterator.next().value as { key: Uint8Array; value: Uint8Array }];
      await keyspace().write([put('key050', 'new'), del('key099'), put('key100', 'added')], meta(2, 1));
      for (let next = iterator.next(); !next.done; next = iterator.next()) seen.push(next.value);
      expect(seen).to.have.length(100);
      expect(seen.every((r) => Buffer.from(r.value).toString() === 'old')).to.equal(true);
      expect(recordMap(keyspace()).get(hex('key050'))).to.equal(hex('new'));
    });

    it('survives reopen with its applied index', async function () {
      if (!ctx.stores().reopen) this.skip();
      await keyspace().write([put('x', '1'), put('y', '2')], meta(9, 3));
      ctx.replace(await ctx.stores().reopen!());
      expect(keyspace().appliedIndex()).to.equal(9);
      expect(keyspace().snapshotMeta()).to.deep.equal(meta(9, 3));
      expect(recordMap(keyspace())).to.deep.equal(new Map([[hex('x'), hex('1')], [hex('y'), hex('2')]]));
    });
  });
}

export function runStorageConformance(name: string, factory: StoreFactory): void {
  runLogStoreConformance(name, factory);
  runStableStoreConformance(name, factory);
  runKeyspaceStoreConformance(name, factory);
}
