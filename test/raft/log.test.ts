import { expect } from 'chai';
import { RaftLog, Unstable } from '../../server/raft/log';
import { EntryType } from '../../server/raft/types';
import type { Entry } from '../../server/raft/types';
import { MemoryStorage } from '../../storage/memory';

const ent = (index: number, term: number, data = ''): Entry => ({
  term,
  index,
  type: EntryType.Normal,
  data: new TextEncoder().encode(data),
});

/** A log whose storage holds entries with the given terms (index 1..n). */
function logWith(terms: number[], committed = 0): { log: RaftLog; storage: MemoryStorage } {
  const storage = new MemoryStorage({ voters: [1] });
  void storage.append(terms.map((t, i) => ent(i + 1, t)));
  return { log: new RaftLog(storage, 0, committed), storage };
}

describe('raft/log', () => {
  it('term() answers from storage and unstable, undefined beyond or compacted', () => {
    const { log, storage } = logWith([1, 1, 2]);
    log.append([ent(4, 3), ent(5, 3)]);
    expect([0, 1, 3, 4, 5, 6].map((i) => log.term(i))).to.deep.equal([0, 1, 2, 3, 3, undefined]);
    void storage.compact(2, { index: 2, term: 1, conf: storage.snapshotMeta().conf });
    expect(log.term(1)).to.equal(undefined);
    expect(log.term(2)).to.equal(1);
    expect(log.firstIndex()).to.equal(3);
    expect(log.lastIndex()).to.equal(5);
  });

  it('isUpToDate compares last term, then last index', () => {
    const { log } = logWith([1, 2, 2]);
    expect(log.isUpToDate(3, 2)).to.equal(true);
    expect(log.isUpToDate(2, 2)).to.equal(false);
    expect(log.isUpToDate(1, 3)).to.equal(true);
    expect(log.isUpToDate(10, 1)).to.equal(false);
  });

  it('maybeAppend: rejects a mismatch, skips duplicates, truncates a conflicting suffix', () => {
    const { log } = logWith([1, 1, 2, 2]);
    expect(log.maybeAppend(4, 3, 0, [ent(5, 3)])).to.equal(-1); // term mismatch at 4
    expect(log.maybeAppend(2, 1, 0, [ent(3, 2)])).to.equal(3); // already there
    expect(log.lastIndex()).to.equal(4); // nothing truncated by a duplicate
    expect(log.maybeAppend(2, 1, 3, [ent(3, 3), ent(4, 3), ent(5, 3)])).to.equal(5);
    expect([3, 4, 5].map((i) => log.term(i))).to.deep.equal([3, 3, 3]);
    expect(log.committed).to.equal(3);
    // The commit index never passes the last new entry of the message.
    expect(log.maybeAppend(3, 3, 100, [])).to.equal(3);
    expect(log.committed).to.equal(3);
  });

  it('maybeAppend refuses to overwrite a committed entry', () => {
    const { log } = logWith([1, 1, 1], 2);
    expect(() => log.maybeAppend(1, 1, 3, [ent(2, 5)])).to.throw(/conflicts with committed/);
  });

  it('findConflictByTerm walks back to the last index with term <= the given term', () => {
    const { log } = logWith([1, 1, 3, 3, 5, 5]);
    expect(log.findConflictByTerm(6, 4)).to.deep.equal([4, 3]);
    expect(log.findConflictByTerm(6, 5)).to.deep.equal([6, 5]);
    expect(log.findConflictByTerm(6, 2)).to.deep.equal([2, 1]);
    expect(log.findConflictByTerm(6, 0)).to.deep.equal([0, 0]);
  });

  it('maybeCommit only commits an entry of the given term', () => {
    const { log } = logWith([1, 1, 2]);
    expect(log.maybeCommit(2, 2)).to.equal(false);
    expect(log.committed).to.equal(0);
    expect(log.maybeCommit(3, 2)).to.equal(true);
    expect(log.committed).to.equal(3);
    expect(() => log.commitTo(9)).to.throw(/out of range/);
  });

  it('slice spans storage and unstable and honours maxBytes (at least one entry)', () => {
    const { log } = logWith([1, 1]);
    log.append([ent(3, 1, 'xxxx'), ent(4, 1, 'yyyy')]);
    expect(log.slice(1, 5, Infinity).map((e) => e.index)).to.deep.equal([1, 2, 3, 4]);
    expect(log.slice(3, 5, 4).map((e) => e.index)).to.deep.equal([3]);
    expect(log.slice(3, 5, 1).map((e) => e.index)).to.deep.equal([3]);
    expect(log.slice(1, 5, 4).map((e) => e.index)).to.deep.equal([1, 2, 3]);
    expect(() => log.slice(0, 2, Infinity)).to.throw(/compacted/);
    expect(() => log.slice(1, 6, Infinity)).to.throw(/beyond/);
  });

  it('committed entries are handed out once and stop at a pending snapshot', () => {
    const { log } = logWith([1, 1, 1], 2);
    expect(log.nextCommittedEnts(Infinity).map((e) => e.index)).to.deep.equal([1, 2]);
    log.applying = 2;
    expect(log.hasNextCommittedEnts()).to.equal(false);
    log.restore({ index: 10, term: 4, conf: { voters: [1], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } });
    expect(log.committed).to.equal(10);
    expect(log.lastIndex()).to.equal(10);
    expect(log.term(10)).to.equal(4);
    expect(log.hasNextCommittedEnts()).to.equal(false);
  });

  describe('Unstable', () => {
    it('tracks entries in progress and drops them when stable', () => {
      const u = new Unstable(5);
      u.truncateAndAppend([ent(5, 1), ent(6, 1)]);
      expect(u.nextEntries().map((e) => e.index)).to.deep.equal([5, 6]);
      u.acceptInProgress();
      expect(u.hasNextEntries()).to.equal(false);
      u.truncateAndAppend([ent(7, 1)]);
      expect(u.nextEntries().map((e) => e.index)).to.deep.equal([7]);
      u.stableTo(6, 1);
      expect(u.offset).to.equal(7);
      expect(u.entries.map((e) => e.index)).to.deep.equal([7]);
    });

    it('a truncation moves entries back out of progress; stale stableTo is ignored', () => {
      const u = new Unstable(5);
      u.truncateAndAppend([ent(5, 1), ent(6, 1), ent(7, 1)]);
      u.acceptInProgress();
      u.truncateAndAppend([ent(6, 2)]);
      expect(u.nextEntries().map((e) => [e.index, e.term])).to.deep.equal([[6, 2]]);
      u.stableTo(7, 1); // the write of the old 7 finished, but 7 is gone
      expect(u.offset).to.equal(5);
      u.stableTo(6, 2);
      expect(u.offset).to.equal(7);
      expect(u.entries).to.have.length(0);
    });

    it('does not alias the caller array', () => {
      const u = new Unstable(1);
      const src = [ent(1, 1)];
      u.truncateAndAppend(src);
      u.truncateAndAppend([ent(2, 1)]);
      expect(src).to.have.length(1);
    });
  });
});
