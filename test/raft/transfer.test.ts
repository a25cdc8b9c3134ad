import { expect } from 'chai';
import { MessageType, RaftError, Role } from '../../server/raft';
import { enc, Network } from './network';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof RaftError) return e.code;
    throw e;
  }
  return undefined;
}

describe('raft/leadership transfer', () => {
  it('hands over to an up-to-date follower at once, despite pre-vote and check-quorum', () => {
    const net = new Network({ config: { preVote: true, checkQuorum: true } });
    net.elect(1);
    net.propose(1, 'a');
    net.node(1).transferLeader(2);
    net.stabilize();
    expect(net.node(2).status().role).to.equal(Role.Leader);
    expect(net.node(2).status().term).to.equal(2);
    expect(net.node(1).status().role).to.equal(Role.Follower);
    expect(net.node(1).status().leader).to.equal(2);
    net.propose(2, 'b');
    for (const id of [1, 2, 3]) expect(net.appliedData(id)).to.deep.equal(['a', 'b']);
  });

  it('catches a lagging target up first, refusing proposals meanwhile', () => {
    const net = new Network();
    net.elect(1);
    net.isolate(3);
    for (let i = 0; i < 5; i++) net.propose(1, `p${i}`);
    net.heal();
    net.delivered = [];
    net.node(1).transferLeader(3);
    expect(net.node(1).status().leadTransferee).to.equal(3);
    expect(codeOf(() => net.node(1).propose(enc('refused')))).to.equal('transfer-in-progress');
    net.stabilize();
    // TimeoutNow went out only after 3 had the whole log.
    const order = net.delivered.filter((m) => m.to === 3 && (m.type === MessageType.App || m.type === MessageType.TimeoutNow));
    expect(order[order.length - 1]!.type).to.equal(MessageType.TimeoutNow);
    expect(net.node(3).status().role).to.equal(Role.Leader);
    expect(net.appliedData(3)).to.deep.equal(['p0', 'p1', 'p2', 'p3', 'p4']);
  });

  it('aborts after an election timeout when the target does not take over', () => {
    const net = new Network({ config: { electionTicks: 10 } });
    net.elect(1);
    net.isolate(3);
    net.propose(1, 'a');
    net.node(1).transferLeader(3);
    net.tick(9, [1, 2]);
    expect(net.node(1).status().leadTransferee).to.equal(3);
    net.tick(1, [1, 2]);
    expect(net.node(1).status().leadTransferee).to.equal(0);
    expect(net.node(1).status().role).to.equal(Role.Leader);
    expect(codeOf(() => net.node(1).propose(enc('ok')))).to.equal(undefined);
  });

  it('refuses learners, non-members and non-leaders; to itself it is a no-op', () => {
    const net = new Network({ voters: [1, 2, 3], learners: [4] });
    net.elect(1);
    expect(codeOf(() => net.node(1).transferLeader(4))).to.equal('invalid');
    expect(codeOf(() => net.node(1).transferLeader(9))).to.equal('invalid');
    expect(codeOf(() => net.node(2).transferLeader(3))).to.equal('not-leader');
    net.node(1).transferLeader(1);
    expect(net.node(1).status().leadTransferee).to.equal(0);
  });
});
