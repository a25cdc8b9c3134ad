import { expect } from 'chai';
import { Inflights, Progress, ProgressState } from '../../server/raft/progress';

describe('raft/progress', () => {
  describe('Inflights', () => {
    it('is full by message count and frees in order', () => {
      const inf = new Inflights(3, 0);
      inf.add(10, 100);
      inf.add(20, 100);
      expect(inf.full()).to.equal(false);
      inf.add(30, 100);
      expect(inf.full()).to.equal(true);
      expect(() => inf.add(40, 1)).to.throw(/overflow/);
      inf.freeLE(15);
      expect(inf.count).to.equal(2);
      expect(inf.bytes).to.equal(200);
      expect(inf.full()).to.equal(false);
      inf.add(40, 5); // wraps around the ring
      inf.freeLE(35);
      expect(inf.count).to.equal(1);
      expect(inf.bytes).to.equal(5);
      inf.freeLE(100);
      expect(inf.count).to.equal(0);
    });

    it('is full by bytes', () => {
      const inf = new Inflights(100, 1000);
      inf.add(1, 600);
      expect(inf.full()).to.equal(false);
      inf.add(2, 400);
      expect(inf.full()).to.equal(true);
      inf.freeLE(1);
      expect(inf.full()).to.equal(false);
    });
  });

  describe('Progress', () => {
    it('probe sends one App then pauses; an ack moves it to replicate', () => {
      const pr = new Progress(6, 4, 0, false);
      expect(pr.state).to.equal(ProgressState.Probe);
      pr.sentEntries(3, 30);
      expect(pr.isPaused()).to.equal(true);
      expect(pr.next).to.equal(6); // probes do not move next
      expect(pr.maybeUpdate(8)).to.equal(true);
      expect(pr.isPaused()).to.equal(false);
      pr.becomeReplicate();
      expect(pr.next).to.equal(9);
    });

    it('replicate streams optimistically up to the inflight window', () => {
      const pr = new Progress(1, 2, 0, false);
      pr.becomeReplicate();
      pr.sentEntries(5, 50);
      expect(pr.next).to.equal(6);
      expect(pr.isPaused()).to.equal(false);
      pr.sentEntries(5, 50);
      expect(pr.next).to.equal(11);
      expect(pr.isPaused()).to.equal(true);
      pr.maybeUpdate(5);
      pr.inflights.freeLE(5);
      expect(pr.isPaused()).to.equal(false);
    });

    it('maybeDecrTo: replicate ignores stale rejections; probe only answers the last probe', () => {
      const pr = new Progress(1, 4, 0, false);
      pr.maybeUpdate(5);
      pr.becomeReplicate();
      pr.sentEntries(10, 10); // next = 16
      expect(pr.maybeDecrTo(4, 4)).to.equal(false); // below match: stale
      expect(pr.maybeDecrTo(10, 7)).to.equal(true);
      expect(pr.next).to.equal(6); // back to match + 1
      pr.becomeProbe();
      pr.next = 12;
      expect(pr.maybeDecrTo(9, 3)).to.equal(false); // not the latest probe (11)
      expect(pr.maybeDecrTo(11, 8)).to.equal(true);
      expect(pr.next).to.equal(9); // min(rejected, hint + 1)
      expect(pr.maybeDecrTo(8, 0)).to.equal(true);
      expect(pr.next).to.equal(6); // never below match + 1
    });

    it('snapshot state pauses and resumes after the snapshot', () => {
      const pr = new Progress(1, 4, 0, false);
      pr.maybeUpdate(3);
      pr.becomeSnapshot(50);
      expect(pr.isPaused()).to.equal(true);
      pr.becomeProbe();
      expect(pr.next).to.equal(51);
      expect(pr.state).to.equal(ProgressState.Probe);
    });
  });
});
