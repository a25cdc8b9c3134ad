import { expect } from 'chai';
import { MessageType, Role } from '../../server/raft';
import { drainAll, msg, ofType, solo } from './helpers';
import { Network } from './network';

/** A node whose data directory was deleted: a fresh storage under the same id and membership. */
function wipe(net: Network, id: number): void {
  net.add(id, { voters: [1, 2, 3] });
  net.queue = net.queue.filter((m) => m.to !== id && m.from !== id);
}

describe('raft/recovery (a node that lost its data)', () => {
  it('a heartbeat whose commit is beyond the follower\'s log commits what it holds and is answered (no throw)', () => {
    const net = new Network();
    net.elect(1);
    net.propose(1, 'a', 'b', 'c');
    expect(net.node(3).status().commit).to.equal(4);
    wipe(net, 3);
    // The leader still believes node 3 holds index 4: its heartbeats say commit 4.
    expect(() => net.tick(5)).not.to.throw();
    const st = net.node(3).status();
    expect(st.commit).to.equal(0);
    expect(st.lastIndex).to.equal(0);
    expect(st.leader).to.equal(1);
    const answered = net.delivered.filter((m) => m.from === 3 && m.type === MessageType.HeartbeatResp);
    expect(answered.length).to.be.greaterThan(0);
  });

  it('the leader notices a follower refusing entries it acknowledged (it lost its log) and sends them again', () => {
    const net = new Network();
    net.elect(1);
    net.propose(1, 'a', 'b', 'c');
    wipe(net, 3);
    net.node(3).setVoting(false);
    net.propose(1, 'd');
    net.tick(5);
    expect(net.appliedData(3)).to.deep.equal(['a', 'b', 'c', 'd']);
    const pr = net.node(1).status().progress.find((p) => p.id === 3)!;
    expect(pr.match).to.equal(net.node(1).status().lastIndex);
  });

  it('with voting forbidden a node never campaigns and refuses votes and pre-votes; allowed again it waits a full timeout', () => {
    const s = solo(1, [1, 2, 3], { electionTicks: 10, preVote: true, checkQuorum: true });
    s.node.setVoting(false);
    expect(s.node.votingAllowed()).to.equal(false);
    for (let i = 0; i < 100; i++) s.node.tick();
    let out = drainAll(s);
    expect(out.filter((m) => m.type === MessageType.Vote || m.type === MessageType.PreVote)).to.deep.equal([]);
    expect(s.node.status().role).to.equal(Role.Follower);

    s.node.step(msg({ type: MessageType.PreVote, from: 2, to: 1, term: 1, index: 5, logTerm: 1 }));
    s.node.step(msg({ type: MessageType.Vote, from: 2, to: 1, term: 1, index: 5, logTerm: 1 }));
    s.node.step(msg({ type: MessageType.TimeoutNow, from: 2, to: 1, term: 1 }));
    out = drainAll(s);
    const answers = out.filter((m) => m.type === MessageType.VoteResp || m.type === MessageType.PreVoteResp);
    expect(answers.map((m) => [m.type, m.reject])).to.deep.equal([
      [MessageType.PreVoteResp, true],
      [MessageType.VoteResp, true],
    ]);
    expect(s.node.status().vote).to.equal(0);
    expect(ofType(out, MessageType.Vote).concat(ofType(out, MessageType.PreVote))).to.deep.equal([]);

    s.node.setVoting(true);
    for (let i = 0; i < 9; i++) s.node.tick();
    expect(ofType(drainAll(s), MessageType.PreVote)).to.deep.equal([]);
    for (let i = 0; i < 20; i++) s.node.tick();
    expect(ofType(drainAll(s), MessageType.PreVote).length).to.be.greaterThan(0);
  });

  it('a wiped voter that votes again can elect a second leader in a term; with voting forbidden it cannot', () => {
    for (const forbid of [false, true]) {
      const net = new Network({ config: { preVote: false, checkQuorum: false } });
      net.elect(1); // term 1, everyone follows 1
      // Node 3 wins term 2 with node 1's vote while node 2 hears nothing.
      net.cutLink(3, 2);
      net.campaign(3);
      expect(net.node(3).status()).to.include({ role: Role.Leader, term: 2 });
      expect(net.node(1).status().vote).to.equal(3);
      expect(net.node(2).status().term).to.equal(1);
      // Node 1 loses its disk and restarts; node 3 is cut off (still leader of term 2).
      wipe(net, 1);
      if (forbid) net.node(1).setVoting(false);
      net.isolate(3);
      net.campaign(2); // term 2: asks node 1, which has forgotten its vote for 3
      const leadersOfTerm2 = [2, 3].filter((id) => net.node(id).status().role === Role.Leader && net.node(id).status().term === 2);
      if (forbid) expect(leadersOfTerm2, 'voting forbidden').to.deep.equal([3]);
      else expect(leadersOfTerm2, 'voting allowed: the unsafe case').to.deep.equal([2, 3]);
    }
  });
});
