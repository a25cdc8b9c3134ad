import { expect } from 'chai';
import { EntryType } from '../../server/raft/types';
import type { Entry } from '../../server/raft/types';
import { MemoryStorage } from '../../storage/memory';

const ent = (index: number, term: number, bytes = 0): Entry => ({ term, index, type: EntryType.Normal, data: new Uint8Array(bytes) });
const conf = { voters: [1, 2, 3], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };

describe('storage/memory', () => {
  it('starts empty at the bootstrap snapshot', () => {
    const s = new MemoryStorage({ voters: [1, 2, 3] });
    expect(s.firstIndex()).to.equal(1);
    expect(s.lastIndex()).to.equal(0);
    expect(s.term(0)).to.equal(0);
    expect(s.term(1)).to.equal(undefined);
    expect(s.snapshotMeta()).to.deep.equal({ index: 0, term: 0, conf });
    expect(s.hardState()).to.deep.equal({ term: 0, vote: 0, commit: 0 });
  });

  it('append truncates a conflicting suffix and refuses gaps', async () => {
    const s = new MemoryStorage();
    await s.append([ent(1, 1), ent(2, 1), ent(3, 1)]);
    await s.append([ent(2, 2)]);
    expect(s.lastIndex()).to.equal(2);
    expect(s.term(2)).to.equal(2);
    const err = await s.append([ent(5, 2)]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String(err)).to.match(/gap/);
    await s.append([]);
    expect(s.lastIndex()).to.equal(2);
  });

  it('entries honours [lo, hi) and maxBytes with at least one entry', async () => {
    const s = new MemoryStorage();
    await s.append([ent(1, 1, 10), ent(2, 1, 10), ent(3, 1, 10)]);
    expect(s.entries(1, 4, Infinity).map((e) => e.index)).to.deep.equal([1, 2, 3]);
    expect(s.entries(1, 4, 20).map((e) => e.index)).to.deep.equal([1, 2]);
    expect(s.entries(1, 4, 5).map((e) => e.index)).to.deep.equal([1]);
    expect(s.entries(2, 2, 5)).to.deep.equal([]);
    expect(() => s.entries(0, 2, 5)).to.throw(/compacted/);
    expect(() => s.entries(1, 5, 5)).to.throw(/out of range/);
  });

  it('compact keeps the suffix after a matching snapshot', async () => {
    const s = new MemoryStorage({ voters: [1, 2, 3] });
    await s.append([ent(1, 1, 4), ent(2, 1, 4), ent(3, 2, 4)]);
    const before = s.sizeBytes();
    await s.compact(2, { index: 2, term: 1, conf });
    expect(s.firstIndex()).to.equal(3);
    expect(s.lastIndex()).to.equal(3);
    expect(s.term(2)).to.equal(1);
    expect(s.term(1)).to.equal(undefined);
    expect(s.sizeBytes()).to.be.lessThan(before);
    await s.compact(1, { index: 1, term: 1, conf }); // older: no-op
    expect(s.firstIndex()).to.equal(3);
  });

  it('compact with a snapshot the log does not hold drops the whole log (install)', async () => {
    const s = new MemoryStorage();
    await s.append([ent(1, 1), ent(2, 1), ent(3, 1)]);
    await s.compact(2, { index: 2, term: 5, conf });
    expect(s.firstIndex()).to.equal(3);
    expect(s.lastIndex()).to.equal(2);
    expect(s.term(2)).to.equal(5);
    await s.compact(10, { index: 10, term: 6, conf });
    expect(s.lastIndex()).to.equal(10);
    await s.append([ent(11, 6)]);
    expect(s.term(11)).to.equal(6);
    expect(s.sizeBytes()).to.be.greaterThan(0);
  });

  it('stores the hard state', async () => {
    const s = new MemoryStorage();
    await s.setHardState({ term: 3, vote: 2, commit: 7 });
    expect(s.hardState()).to.deep.equal({ term: 3, vote: 2, commit: 7 });
  });
});
