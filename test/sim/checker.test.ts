import { expect } from 'chai';
import { EntryType, type Entry } from '../../server/raft/types';
import { Checker, Violation, type Invariant } from './checker';
import { SimDisk } from './disk';
import { EventQueue } from './event-queue';
import { Network } from './network';
import { Prng } from './prng';

const conf = { voters: [1, 2, 3], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };

function e(index: number, term: number, byte = index): Entry {
  return { index, term, type: EntryType.Normal, data: Uint8Array.of(byte) };
}

function violation(f: () => void): Invariant | undefined {
  try {
    f();
  } catch (err) {
    if (err instanceof Violation) return err.invariant;
    throw err;
  }
  return undefined;
}

describe('simulator pieces', () => {
  describe('checker', () => {
    it('allows one leader per term, flags a second', () => {
      const c = new Checker();
      c.onLeader(1, 2);
      c.onLeader(1, 2);
      c.onLeader(2, 3);
      expect(violation(() => c.onLeader(3, 3))).to.equal('election-safety');
    });

    it('flags same index+term with different data, and a different predecessor term', () => {
      const c = new Checker();
      const a = new SimDisk(conf);
      a.append([e(1, 1), e(2, 1)]);
      c.onLogWrite(1, a, [e(1, 1), e(2, 1)]);
      const b = new SimDisk(conf);
      b.append([e(1, 1), e(2, 1, 99)]);
      expect(violation(() => c.onLogWrite(2, b, [e(1, 1), e(2, 1, 99)]))).to.equal('log-matching');
      const d = new SimDisk(conf);
      d.append([e(1, 2, 1), e(2, 1)]);
      expect(violation(() => c.onLogWrite(3, d, [e(1, 2, 1), e(2, 1)]))).to.equal('log-matching');
    });

    it('flags two different entries committed at one index', () => {
      const c = new Checker();
      const a = new SimDisk(conf);
      a.append([e(1, 1), e(2, 1)]);
      c.onCommit(1, 1, 0, 2, a);
      const b = new SimDisk(conf);
      b.append([e(1, 1), e(2, 2)]);
      expect(violation(() => c.onCommit(2, 2, 0, 2, b))).to.equal('state-machine-safety');
    });

    it('flags a leader missing an entry committed in an earlier term, not one committed later', () => {
      const c = new Checker();
      const a = new SimDisk(conf);
      a.append([e(1, 1), e(2, 1)]);
      c.onCommit(1, 1, 0, 2, a);
      const stale = new SimDisk(conf);
      stale.append([e(1, 1)]);
      expect(violation(() => c.onLeaderLog(2, 1, stale))).to.equal(undefined); // same term: not required
      expect(violation(() => c.onLeaderLog(2, 2, stale))).to.equal('leader-completeness');
    });

    it('flags an apply that differs from the committed entry, and a diverging state', () => {
      const c = new Checker();
      const a = new SimDisk(conf);
      a.append([e(1, 1)]);
      c.onCommit(1, 1, 0, 1, a);
      a.applyEntry(e(1, 1), undefined);
      c.onApply(1, e(1, 1), a.sm);
      const b = new SimDisk(conf);
      b.applyEntry(e(1, 1, 7), undefined);
      expect(violation(() => c.onApply(2, e(1, 1, 7), b.sm))).to.equal('state-machine-safety');
      expect(violation(() => c.onSnapshotInstalled(3, { ...a.sm, hash: a.sm.hash ^ 1 }))).to.equal(
        'state-machine-safety',
      );
    });
  });

  describe('disk', () => {
    it('truncates a conflicting suffix, compacts, and keeps the snapshot state', () => {
      const d = new SimDisk(conf);
      d.append([e(1, 1), e(2, 1), e(3, 1)]);
      d.append([e(2, 2)]);
      expect(d.lastIndex()).to.equal(2);
      expect(d.term(2)).to.equal(2);
      d.applyEntry(e(1, 1), undefined);
      d.applyEntry(e(2, 2), undefined);
      const at2 = d.sm;
      d.compact(2);
      expect(d.firstIndex()).to.equal(3);
      expect(d.term(2)).to.equal(2);
      expect(d.term(1)).to.equal(undefined);
      expect(d.snapshotState()).to.equal(at2);
      expect(() => d.entries(2, 3, 100)).to.throw(RangeError);
    });
  });

  describe('event queue', () => {
    it('pops by time, then insertion order', () => {
      const q = new EventQueue<string>();
      q.push(5, 'c');
      q.push(1, 'a');
      q.push(5, 'd');
      q.push(1, 'b');
      const out: string[] = [];
      for (let ev = q.pop(); ev; ev = q.pop()) out.push(ev.item);
      expect(out).to.deep.equal(['a', 'b', 'c', 'd']);
    });
  });

  describe('network', () => {
    it('blocks by partition kind', () => {
      const n = new Network(new Prng(1), { minDelay: 1, maxDelay: 1, dropProb: 0, dupProb: 0, reorderProb: 0, reorderDelay: 0 });
      n.partition({ kind: 'bridge', a: [1, 2], b: [4, 5], bridge: 3 });
      expect(n.blocked(1, 4)).to.equal(true);
      expect(n.blocked(1, 3)).to.equal(false);
      expect(n.blocked(3, 5)).to.equal(false);
      n.heal();
      n.partition({ kind: 'one-way', from: [1], to: [2] });
      expect(n.blocked(1, 2)).to.equal(true);
      expect(n.blocked(2, 1)).to.equal(false);
      n.heal();
      n.partition({ kind: 'isolate', node: 2 });
      expect(n.blocked(2, 1)).to.equal(true);
      expect(n.blocked(3, 2)).to.equal(true);
      expect(n.blocked(1, 3)).to.equal(false);
    });

    it('drops, duplicates and delays by its odds', () => {
      const n = new Network(new Prng(3), { minDelay: 1, maxDelay: 10, dropProb: 0.2, dupProb: 0.2, reorderProb: 0, reorderDelay: 0 });
      let drops = 0;
      let dups = 0;
      for (let i = 0; i < 2000; i++) {
        const f = n.send(1, 2, 100);
        if (f.kind === 'drop') drops++;
        else {
          if (f.at.length === 2) dups++;
          for (const t of f.at) expect(t).to.be.within(101, 110);
        }
      }
      expect(drops).to.be.within(300, 500);
      expect(dups).to.be.within(240, 400);
    });
  });
});
