import { expect } from 'chai';
import { ConfChangeType, RaftError, Role } from '../../server/raft';
import type { ConfChange } from '../../server/raft';
import { Network } from './network';

const add = (node: number) => ({ type: ConfChangeType.AddNode, node });
const remove = (node: number) => ({ type: ConfChangeType.RemoveNode, node });
const learner = (node: number) => ({ type: ConfChangeType.AddLearner, node });

function change(net: Network, leader: number, cc: ConfChange): void {
  net.node(leader).proposeConfChange(cc);
  net.stabilize();
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof RaftError) return e.code;
    throw e;
  }
  return undefined;
}

describe('raft/membership', () => {
  describe('learners', () => {
    it('receive the log but do not count toward the quorum', () => {
      const net = new Network({ voters: [1, 2], learners: [3] });
      net.elect(1);
      net.propose(1, 'a');
      expect(net.appliedData(3)).to.deep.equal(['a']);
      net.isolate(2);
      net.propose(1, 'b');
      expect(net.get(3).storage.lastIndex()).to.equal(3); // the learner has it...
      expect(net.node(1).status().commit).to.equal(2); // ...but it does not commit
    });

    it('are promoted by a conf change and then count', () => {
      const net = new Network({ voters: [1, 2], learners: [3] });
      net.elect(1);
      change(net, 1, { changes: [add(3)] });
      for (const id of [1, 2, 3]) expect(net.get(id).conf.voters).to.deep.equal([1, 2, 3]);
      net.isolate(2);
      net.propose(1, 'b');
      expect(net.appliedData(1)).to.deep.equal(['b']);
    });

    it('a new node joins as a learner, catches up, then is promoted', () => {
      const net = new Network({ voters: [1, 2, 3], extra: [4] });
      net.elect(1);
      net.propose(1, 'a', 'b');
      change(net, 1, { changes: [learner(4)] });
      expect(net.appliedData(4)).to.deep.equal(['a', 'b']);
      const pr = net.node(1).status().progress.find((p) => p.id === 4)!;
      expect(pr.isLearner).to.equal(true);
      expect(pr.match).to.equal(net.node(1).status().lastIndex);
      change(net, 1, { changes: [add(4)] });
      expect(net.get(4).conf.voters).to.deep.equal([1, 2, 3, 4]);
      expect(net.node(4).status().progress).to.deep.equal([]);
    });
  });

  it('removes a node: the leader stops replicating to it', () => {
    const net = new Network();
    net.elect(1);
    change(net, 1, { changes: [remove(3)] });
    expect(net.get(1).conf.voters).to.deep.equal([1, 2]);
    expect(net.node(1).status().progress.map((p) => p.id)).to.deep.equal([2]);
    net.propose(1, 'after');
    expect(net.appliedData(2)).to.deep.equal(['after']);
    expect(net.appliedData(3)).to.deep.equal([]);
  });

  it('a removed leader steps down once its removal is applied, and the others elect a leader', () => {
    const net = new Network();
    net.elect(1);
    change(net, 1, { changes: [remove(1)] });
    expect(net.node(1).status().role).to.equal(Role.Follower);
    net.tick(30, [2, 3]);
    const lead = net.leader()!;
    expect([2, 3]).to.include(lead);
    net.propose(lead, 'x');
    expect(net.appliedData(2)).to.deep.equal(['x']);
  });

  it('allows one conf change in flight at a time', () => {
    const net = new Network({ voters: [1, 2, 3], extra: [4, 5] });
    net.elect(1);
    net.node(1).proposeConfChange({ changes: [learner(4)] });
    expect(codeOf(() => net.node(1).proposeConfChange({ changes: [learner(5)] }))).to.equal('conf-change-pending');
    net.stabilize();
    expect(codeOf(() => net.node(1).proposeConfChange({ changes: [learner(5)] }))).to.equal(undefined);
  });

  it('refuses invalid changes at proposal time', () => {
    const net = new Network({ voters: [1] });
    net.elect(1);
    expect(codeOf(() => net.node(1).proposeConfChange({ changes: [remove(1)] }))).to.equal('invalid');
    expect(codeOf(() => net.node(1).proposeConfChange({ changes: [], leaveJoint: true }))).to.equal('invalid');
    expect(codeOf(() => net.node(1).proposeConfChange({ changes: [add(2), add(3)] }))).to.equal(undefined);
  });

  describe('joint consensus', () => {
    it('replaces a voter in one change: C_old,new then C_new, left automatically', () => {
      const net = new Network({ voters: [1, 2, 3], extra: [4] });
      net.elect(1);
      change(net, 1, { changes: [add(4), remove(3)] });
      for (const id of [1, 2, 4]) {
        expect(net.get(id).conf).to.deep.equal({ voters: [1, 2, 4], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false });
      }
      net.propose(1, 'x');
      expect(net.appliedData(4)).to.deep.equal(['x']);
    });

    it('needs a majority of both the old and the new voters while joint', () => {
      const net = new Network({ voters: [1, 2, 3], extra: [4] });
      net.elect(1);
      // As soon as the leader is in the joint config, 2 and 3 go silent: only 1 (both
      // halves) and 4 (new half) remain, a majority of C_new but not of C_old.
      net.filter = (m) => {
        const joint = net.get(1).conf.votersOutgoing.length > 0;
        return !joint || ![2, 3].includes(m.to) && ![2, 3].includes(m.from);
      };
      change(net, 1, { changes: [add(4), remove(3)] });
      const st = net.node(1).status();
      expect(st.conf.votersOutgoing).to.deep.equal([1, 2, 3]);
      expect(st.conf.voters).to.deep.equal([1, 2, 4]);
      expect(st.lastIndex).to.be.greaterThan(st.commit); // the leave-joint entry waits
      expect(net.get(4).storage.lastIndex()).to.equal(st.lastIndex); // though 4 has it
      net.filter = undefined;
      net.tick(1);
      expect(net.node(1).status().conf.votersOutgoing).to.deep.equal([]);
      expect(net.node(1).status().conf.voters).to.deep.equal([1, 2, 4]);
    });

    it('demotes a voter to a learner through learnersNext', () => {
      const net = new Network();
      net.elect(1);
      change(net, 1, { changes: [learner(3)], joint: true });
      expect(net.get(1).conf).to.deep.include({ voters: [1, 2], learners: [3], votersOutgoing: [] });
      net.propose(1, 'y');
      expect(net.appliedData(3)).to.deep.equal(['y']);
    });

    it('refuses a new change until the joint config is left', () => {
      const net = new Network({ voters: [1, 2, 3], extra: [4] });
      net.elect(1);
      net.filter = (m) => net.get(1).conf.votersOutgoing.length === 0 || ![2, 3].includes(m.to);
      change(net, 1, { changes: [add(4), remove(3)] });
      expect(codeOf(() => net.node(1).proposeConfChange({ changes: [learner(5)] }))).to.equal('conf-change-pending');
    });
  });
});
