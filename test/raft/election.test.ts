import { expect } from 'chai';
import { MessageType, Role } from '../../server/raft';
import type { Entry } from '../../server/raft';
import { EntryType } from '../../server/raft/types';
import { MemoryStorage } from '../../storage/memory';
import { drain, drainAll, msg, ofType, solo } from './helpers';
import { Network } from './network';

const ent = (index: number, term: number): Entry => ({ term, index, type: EntryType.Normal, data: new Uint8Array(0) });

/** A storage already holding entries of the given terms and a hard state. */
function storageWith(terms: number[], term: number): MemoryStorage {
  const s = new MemoryStorage({ voters: [1, 2, 3] });
  void s.append(terms.map((t, i) => ent(i + 1, t)));
  void s.setHardState({ term, vote: 0, commit: 0 });
  return s;
}

describe('raft/election', () => {
  it('a follower campaigns after a randomized timeout in [electionTicks, 2*electionTicks)', () => {
    const seen = new Set<number>();
    for (let seed = 1; seed <= 60; seed++) {
      const s = solo(seed, [seed, 1000, 1001], { electionTicks: 10, preVote: false });
      let ticks = 0;
      while (s.node.status().role === Role.Follower) {
        s.node.tick();
        ticks++;
        if (ticks > 100) throw new Error('never campaigned');
      }
      seen.add(ticks);
    }
    expect(Math.min(...seen)).to.be.at.least(10);
    expect(Math.max(...seen)).to.be.below(20);
    expect(seen.size).to.be.at.least(5); // really randomized
  });

  it('elects a leader with a majority and appends a no-op of its term', () => {
    const net = new Network();
    net.elect(1);
    const st = net.node(1).status();
    expect(st.term).to.equal(1);
    expect(st.commit).to.equal(1);
    expect(net.get(1).storage.term(1)).to.equal(1);
    expect(net.get(1).storage.entries(1, 2, Infinity)[0]!.data.byteLength).to.equal(0);
    for (const id of [2, 3]) expect(net.node(id).status().leader).to.equal(1);
  });

  it('a candidate without a majority does not become leader', () => {
    const net = new Network({ config: { preVote: false } });
    net.isolate(1);
    net.campaign(1);
    expect(net.node(1).status().role).to.equal(Role.Candidate);
    expect(net.node(1).status().term).to.equal(1);
  });

  it('a single voter elects itself', () => {
    const net = new Network({ voters: [1] });
    net.elect(1);
    net.propose(1, 'x');
    expect(net.appliedData(1)).to.deep.equal(['x']);
  });

  it('votes only for a candidate whose log is at least as up to date (last term, then last index)', () => {
    const cases: Array<[number, number, boolean]> = [
      // [candidate lastIndex, candidate lastTerm, granted] against our log terms [1, 1, 2]
      [3, 2, true],
      [4, 2, true],
      [2, 2, false], // same last term, shorter
      [9, 1, false], // longer but older last term
      [1, 3, true], // newer last term wins even if shorter
    ];
    for (const [index, logTerm, granted] of cases) {
      // checkQuorum off: a restarted node would otherwise ignore votes for a while (see below).
      const s = solo(1, [1, 2, 3], { preVote: false, checkQuorum: false }, storageWith([1, 1, 2], 2));
      s.node.step(msg({ type: MessageType.Vote, from: 2, to: 1, term: 3, index, logTerm }));
      const resp = ofType(drain(s).messages, MessageType.VoteResp)[0]!;
      expect(resp.reject, `vote for (${index}, ${logTerm})`).to.equal(!granted);
    }
  });

  it('votes for at most one candidate per term, and repeats its vote to the same one', () => {
    const s = solo(1, [1, 2, 3], { preVote: false });
    const vote = (from: number): boolean => {
      s.node.step(msg({ type: MessageType.Vote, from, to: 1, term: 5, index: 0, logTerm: 0 }));
      return !ofType(drain(s).messages, MessageType.VoteResp)[0]!.reject;
    };
    expect(vote(2)).to.equal(true);
    expect(vote(3)).to.equal(false);
    expect(vote(2)).to.equal(true);
    expect(s.node.status().vote).to.equal(2);
  });

  it('persists term and vote in the same Ready that carries the vote (persist before answering)', () => {
    const s = solo(1, [1, 2, 3], { preVote: false });
    s.node.step(msg({ type: MessageType.Vote, from: 2, to: 1, term: 4, index: 0, logTerm: 0 }));
    const rd = s.node.ready();
    expect(ofType(rd.messages, MessageType.VoteResp)).to.have.length(1);
    expect(rd.hardState).to.deep.include({ term: 4, vote: 2 });
    expect(rd.mustSync).to.equal(true);
    // A restart from storage persisted per the Ready keeps the vote: no second vote in term 4.
    void s.storage.setHardState(rd.hardState!);
    const again = solo(1, [1, 2, 3], { preVote: false, checkQuorum: false }, s.storage);
    again.node.step(msg({ type: MessageType.Vote, from: 3, to: 1, term: 4, index: 0, logTerm: 0 }));
    expect(ofType(drain(again).messages, MessageType.VoteResp)[0]!.reject).to.equal(true);
  });

  describe('pre-vote', () => {
    it('a pre-candidate asks at term+1 without changing its term or vote', () => {
      const s = solo(1, [1, 2, 3], { preVote: true });
      s.node.campaign();
      const rd = drain(s);
      expect(s.node.status().role).to.equal(Role.PreCandidate);
      expect(s.node.status().term).to.equal(0);
      const pv = ofType(rd.messages, MessageType.PreVote);
      expect(pv.map((m) => m.to)).to.deep.equal([2, 3]);
      expect(pv.every((m) => m.term === 1)).to.equal(true);
    });

    it('answering a pre-vote changes neither term nor vote', () => {
      const s = solo(1, [1, 2, 3], { preVote: true });
      s.node.step(msg({ type: MessageType.PreVote, from: 2, to: 1, term: 7, index: 0, logTerm: 0 }));
      const resp = ofType(drain(s).messages, MessageType.PreVoteResp)[0]!;
      expect(resp.reject).to.equal(false);
      expect(resp.term).to.equal(7);
      expect(s.node.status()).to.deep.include({ term: 0, vote: 0 });
    });

    it('a won pre-election starts the real election at term+1; a lost one changes nothing', () => {
      const net = new Network({ config: { preVote: true } });
      net.elect(2);
      expect(net.node(2).status().term).to.equal(1);
      const lone = new Network({ config: { preVote: true } });
      lone.isolate(1);
      lone.campaign(1);
      expect(lone.node(1).status().term).to.equal(0);
    });
  });

  describe('check-quorum and leader stickiness', () => {
    it('a leader that hears from no quorum for an election timeout steps down', () => {
      const net = new Network();
      net.elect(1);
      net.isolate(1);
      // Followers answered the no-op just now; the next check-quorum round finds nobody.
      net.tick(10, [1]);
      expect(net.node(1).status().role).to.equal(Role.Leader);
      net.tick(10, [1]);
      expect(net.node(1).status().role).to.equal(Role.Follower);
      expect(net.node(1).status().leader).to.equal(0);
    });

    it('a leader that keeps its quorum stays', () => {
      const net = new Network();
      net.elect(1);
      net.isolate(3);
      net.tick(50);
      expect(net.node(1).status().role).to.equal(Role.Leader);
    });

    it('a follower that heard from its leader within the election timeout ignores votes', () => {
      const net = new Network({ config: { preVote: false } });
      net.elect(1);
      const f = net.node(2);
      f.step(msg({ type: MessageType.Vote, from: 3, to: 2, term: 5, index: 99, logTerm: 99 }));
      expect(f.hasReady()).to.equal(false); // not even a rejection
      expect(f.status().term).to.equal(1);
      // Once the leader is silent for an election timeout, the vote is granted.
      net.isolate(1);
      for (let i = 0; i < 10; i++) f.tick();
      f.step(msg({ type: MessageType.Vote, from: 3, to: 2, term: 5, index: 99, logTerm: 99 }));
      const resp = ofType(f.ready().messages, MessageType.VoteResp);
      expect(resp.map((m) => m.reject)).to.deep.equal([false]);
    });

    it('after a restart, a node refuses votes for one election timeout (it may have promised a leader)', () => {
      const net = new Network({ config: { preVote: false } });
      net.elect(1);
      const n2 = net.restart(2);
      n2.node.step(msg({ type: MessageType.Vote, from: 3, to: 2, term: 5, index: 99, logTerm: 99 }));
      expect(ofType(n2.node.ready().messages, MessageType.VoteResp)).to.have.length(0);
      expect(n2.node.status().term).to.equal(1);
      for (let i = 0; i < 10; i++) n2.node.tick();
      n2.node.step(msg({ type: MessageType.Vote, from: 3, to: 2, term: 5, index: 99, logTerm: 99 }));
      expect(ofType(drainAll({ node: n2.node, storage: n2.storage }), MessageType.VoteResp).map((m) => m.reject)).to.deep.equal([false]);
    });
  });

  it('a learner never campaigns', () => {
    const net = new Network({ voters: [1, 2], learners: [3] });
    net.campaign(3);
    net.tick(100, [3]);
    expect(net.node(3).status().role).to.equal(Role.Follower);
    expect(net.node(3).status().term).to.equal(0);
  });

  it('eventually elects exactly one leader from ticks alone', () => {
    const net = new Network({ voters: [1, 2, 3, 4, 5] });
    net.tick(40);
    const leaders = [...net.nodes.values()].filter((n) => n.node.status().role === Role.Leader);
    expect(leaders).to.have.length(1);
    const lead = leaders[0]!.id;
    for (const n of net.nodes.values()) expect(n.node.status().leader).to.equal(lead);
  });
});
