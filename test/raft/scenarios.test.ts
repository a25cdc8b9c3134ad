import { expect } from 'chai';
import { ConfChangeType, MessageType, Role } from '../../server/raft';
import type { Message } from '../../server/raft';
import { dec, enc, Network } from './network';

/**
 * The classic traps, each driven through the synchronous network. Every one
 * of these was run once with its protection removed from the core and seen to
 * fail (see the report of issue 3).
 */

/** Each applied entry as "index:term:data"; equal lists = identical state machines. */
const history = (net: Network, id: number): string[] => net.get(id).applied.map((e) => `${e.index}:${e.term}:${dec(e.data)}`);

describe('raft/scenarios', () => {
  it('Figure 8: a leader does not commit an entry of an older term by counting replicas', () => {
    // checkQuorum and preVote off: elections happen exactly when the test says.
    const net = new Network({ voters: [1, 2, 3, 4, 5], config: { checkQuorum: false, preVote: false } });
    net.elect(1); // term 1, no-op at index 1 everywhere
    // (a) S1 appends x at index 2 (term 1); only S2 receives it.
    net.filter = (m) => !(m.from === 1 && m.type === MessageType.App && m.to !== 2);
    net.propose(1, 'x');
    expect(net.get(2).storage.lastIndex()).to.equal(2);
    expect(net.node(1).status().commit).to.equal(1);
    // (b) S1 is down; S5 wins term 2 with S3, S4 and appends its no-op at index 2, which nobody receives.
    net.filter = (m) => !(m.from === 5 && m.type === MessageType.App);
    net.isolate(1);
    net.elect(5);
    expect(net.node(5).status().term).to.equal(2);
    expect(net.get(5).storage.term(2)).to.equal(2);
    // (c) S5 is down, S1 restarts and wins term 3 (S2, S3, S4). It brings index 2 (term 1) to
    // the others, but its term-3 no-op (index 3) reaches nobody: x is on a majority.
    net.restart(1);
    net.heal();
    net.isolate(5);
    net.filter = (m) => {
      if (m.from !== 1 || m.type !== MessageType.App) return true;
      m.entries = m.entries.filter((e) => e.index <= 2);
      return true;
    };
    net.elect(1);
    expect(net.node(1).status().term).to.equal(3);
    for (const id of [1, 2, 3]) expect(net.get(id).storage.term(2), `S${id} index 2`).to.equal(1);
    expect(net.node(1).status().commit, 'x must not be committed by counting').to.equal(1);
    expect(history(net, 1)).to.deep.equal([]);
    // (d) S1 is down; S5 restarts and (last term 2 > 1) wins term 4 with S2, S3, S4,
    // overwriting index 2. Had S1 committed x in (c), a committed entry would be lost now.
    net.restart(5);
    net.heal();
    net.filter = undefined;
    net.isolate(1);
    net.elect(5);
    expect(net.node(5).status().term).to.equal(4);
    net.propose(5, 'y');
    net.heal();
    net.tick(2);
    // x is gone everywhere; every state machine applied the same history.
    for (const id of [1, 2, 3, 4, 5]) {
      expect(history(net, id), `S${id}`).to.deep.equal(history(net, 5));
      expect(net.appliedData(id), `S${id}`).to.deep.equal(['y']);
      expect(net.get(id).storage.term(2), `S${id} index 2`).to.equal(2);
    }
  });

  it('a stale leader rejoining after a partition steps down and loses its uncommitted entries', () => {
    const net = new Network({ voters: [1, 2, 3, 4, 5], config: { checkQuorum: false, preVote: true } });
    net.elect(1);
    net.propose(1, 'committed');
    // Partition {1, 2} | {3, 4, 5}; the old leader keeps accepting writes it cannot commit.
    for (const a of [1, 2]) for (const b of [3, 4, 5]) net.cutLink(a, b);
    net.node(1).propose([enc('lost1'), enc('lost2')]);
    net.stabilize();
    expect(net.get(2).storage.lastIndex()).to.equal(4);
    net.tick(30, [3, 4, 5]);
    const lead = net.leader()!;
    expect([3, 4, 5]).to.include(lead);
    net.propose(lead, 'new');
    expect(net.node(1).status().role).to.equal(Role.Leader); // it has not noticed yet
    net.heal();
    net.tick(2);
    expect(net.node(1).status().role).to.equal(Role.Follower);
    expect(net.node(1).status().leader).to.equal(lead);
    for (const id of [1, 2, 3, 4, 5]) {
      expect(net.appliedData(id), `S${id}`).to.deep.equal(['committed', 'new']);
      expect(history(net, id)).to.deep.equal(history(net, lead));
    }
  });

  it('a removed node that missed its removal does not disrupt the cluster', () => {
    const net = new Network({ voters: [1, 2, 3, 4], config: { preVote: true, checkQuorum: true } });
    net.elect(1);
    // S4 receives the entry removing it, but never learns that it committed.
    const ccIndex = net.node(1).status().lastIndex + 1;
    net.filter = (m) => m.to !== 4 || (m.type === MessageType.App && m.commit < ccIndex);
    net.node(1).proposeConfChange({ changes: [{ type: ConfChangeType.RemoveNode, node: 4 }] });
    net.stabilize();
    net.filter = undefined;
    expect(net.get(1).conf.voters).to.deep.equal([1, 2, 3]);
    expect(net.get(4).conf.voters).to.deep.equal([1, 2, 3, 4]);
    expect(net.get(4).storage.lastIndex()).to.equal(net.get(1).storage.lastIndex()); // as up to date
    // The leader no longer talks to S4, which times out and campaigns again and again.
    const before = net.node(1).status().term;
    net.delivered = [];
    net.tick(100);
    expect(net.delivered.some((m) => m.from === 4 && (m.type === MessageType.PreVote || m.type === MessageType.Vote))).to.equal(true);
    expect(net.leader()).to.equal(1);
    expect(net.node(1).status().term).to.equal(before);
    net.propose(1, 'still-fine');
    expect(net.appliedData(2)).to.deep.equal(['still-fine']);
  });

  it('pre-vote keeps an isolated node from inflating its term and disrupting the leader on return', () => {
    const net = new Network({ config: { preVote: true, checkQuorum: true } });
    net.elect(1);
    net.isolate(3);
    net.tick(100);
    expect(net.node(3).status().term).to.equal(1);
    expect(net.node(3).status().role).to.equal(Role.PreCandidate);
    net.heal();
    net.tick(5);
    expect(net.leader()).to.equal(1);
    expect(net.node(1).status().term).to.equal(1);
    expect(net.node(3).status()).to.deep.include({ role: Role.Follower, leader: 1, term: 1 });
  });

  it('leadership transfer to a lagging node catches it up before TimeoutNow', () => {
    const net = new Network({ config: { preVote: true, checkQuorum: true } });
    net.elect(1);
    net.isolate(3);
    for (let i = 0; i < 20; i++) net.propose(1, `w${i}`);
    net.heal();
    net.node(1).transferLeader(3);
    net.stabilize();
    expect(net.leader()).to.equal(3);
    expect(net.node(3).status().term).to.equal(2);
    net.propose(3, 'after');
    for (const id of [1, 2, 3]) expect(net.appliedData(id)).to.have.length(21);
  });

  it('a ReadIndex or lease read on a deposed leader is refused', () => {
    const net = new Network({ config: { preVote: true, checkQuorum: true, electionTicks: 10, leaseDriftTicks: 1 } });
    net.elect(1);
    net.propose(1, 'v1');
    net.tick(1);
    expect(net.node(1).leaseValid()).to.equal(true);
    // S1 is cut off but does not know it yet. Time passes in lockstep on every node.
    net.isolate(1);
    net.node(1).readIndex(enc('stale')); // S1 still thinks it leads: this must never complete
    let newLeader: number | undefined;
    for (let t = 0; t < 60 && newLeader === undefined; t++) {
      net.tick(1);
      const l = [2, 3].find((id) => net.node(id).status().role === Role.Leader);
      if (l !== undefined) newLeader = l;
      // Whenever S1 still believes in its lease, no other leader may exist.
      if (net.node(1).leaseValid()) expect(l).to.equal(undefined);
    }
    expect(newLeader).to.not.equal(undefined);
    net.propose(newLeader!, 'v2');
    // The deposed leader's lease has run out and its ReadIndex never completes.
    const old = net.node(1);
    expect(old.leaseValid()).to.equal(false);
    expect(old.leaseRead()).to.equal(undefined);
    expect(net.get(1).readStates).to.have.length(0);
    // Back in touch, S1 follows the new leader and reads through it see v2.
    net.heal();
    net.tick(2);
    net.node(1).readIndex(enc('fresh'));
    net.stabilize();
    expect(net.get(1).readStates.map((r) => dec(r.context))).to.deep.equal(['fresh']);
    const rs = net.get(1).readStates[0]!;
    expect(rs.index).to.be.at.least(net.get(newLeader!).applied.find((e) => dec(e.data) === 'v2')!.index);
  });

  it('vote safety: a node with an out-of-date log is never elected, so committed entries survive', () => {
    const net = new Network({ config: { preVote: false, checkQuorum: false } });
    net.elect(1);
    net.isolate(3);
    net.propose(1, 'a', 'b');
    net.heal();
    net.isolate(1);
    // S3 misses a and b; S2 has them. S3 campaigns first.
    net.filter = (m: Message) => !(m.type === MessageType.App && m.from === 1);
    net.campaign(3);
    expect(net.node(3).status().role).to.not.equal(Role.Leader);
    net.elect(2);
    net.heal();
    net.filter = undefined;
    net.propose(2, 'c');
    net.tick(2);
    for (const id of [1, 2, 3]) expect(net.appliedData(id), `S${id}`).to.deep.equal(['a', 'b', 'c']);
  });

  it('persistence before acknowledgement: nothing commits on acknowledgements of unpersisted entries', () => {
    const net = new Network();
    net.elect(1);
    const leader = net.get(1);
    leader.node.propose(enc('x'));
    const rd = leader.node.ready(); // the leader's disk write of x is still in flight
    for (const m of rd.messages) net.queue.push(m);
    // S2 persists x and acknowledges; S3's disk is slow (its Ready is not processed).
    net.get(3).paused = true;
    net.stabilize();
    expect(net.get(2).storage.lastIndex()).to.equal(2);
    // Two acknowledgements (S2, and S1's unpersisted log) are not a quorum of copies on disk.
    expect(leader.node.status().commit).to.equal(1);
    expect(leader.node.ready().committedEntries).to.have.length(0);
    // The leader crashes before its write lands: x exists only on S2's disk, and nothing
    // claims it committed (a client acknowledged now could lose its write).
    const restarted = net.restart(1);
    expect(restarted.storage.lastIndex()).to.equal(1);
    expect(restarted.storage.hardState().commit).to.equal(1);
    net.get(3).paused = false;
    net.tick(40);
    for (const id of [1, 2, 3]) expect(history(net, id), `S${id}`).to.deep.equal(history(net, net.leader()!));
  });
});
