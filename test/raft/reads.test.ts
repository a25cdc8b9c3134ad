import { expect } from 'chai';
import { MessageType, RaftError } from '../../server/raft';
import { dec, enc, Network } from './network';

const contexts = (net: Network, id: number): string[] => net.get(id).readStates.map((r) => dec(r.context));

describe('raft/reads', () => {
  describe('ReadIndex', () => {
    it('on the leader: confirmed by a heartbeat round, at the commit index', () => {
      const net = new Network();
      net.elect(1);
      net.propose(1, 'a');
      net.delivered = [];
      net.node(1).readIndex(enc('r1'));
      net.node(1).readIndex(enc('r2'));
      net.stabilize();
      expect(net.get(1).readStates).to.deep.equal([
        { index: 2, context: enc('r1') },
        { index: 2, context: enc('r2') },
      ]);
      // Both reads shared one round of heartbeats.
      expect(net.delivered.filter((m) => m.type === MessageType.Heartbeat)).to.have.length(2);
    });

    it('waits for a quorum: no ReadState while followers are unreachable', () => {
      const net = new Network();
      net.elect(1);
      net.isolate(2);
      net.isolate(3);
      net.node(1).readIndex(enc('r'));
      net.stabilize();
      expect(net.get(1).readStates).to.have.length(0);
      net.heal();
      net.tick(1);
      expect(contexts(net, 1)).to.deep.equal(['r']);
    });

    it('a new leader serves no read before its term no-op commits', () => {
      const net = new Network();
      net.elect(1);
      net.isolate(1);
      net.tick(10, [3]); // 3 stops honouring leader 1's lease
      // Leader 2 of term 2: its no-op cannot commit (acks to 2 are dropped).
      net.filter = (m) => !(m.type === MessageType.AppResp && m.to === 2);
      net.campaign(2);
      expect(net.node(2).status().role).to.equal('leader');
      expect(net.node(2).status().commit).to.equal(1);
      net.node(2).readIndex(enc('early'));
      net.stabilize();
      expect(net.get(2).readStates).to.have.length(0);
      net.filter = undefined;
      net.tick(1, [2]);
      expect(net.node(2).status().commit).to.equal(2);
      expect(net.get(2).readStates).to.deep.equal([{ index: 2, context: enc('early') }]);
    });

    it('forwarded from a follower: the follower gets a ReadState with the leader commit index', () => {
      const net = new Network();
      net.elect(1);
      net.propose(1, 'a', 'b');
      net.node(3).readIndex(enc('f'));
      net.stabilize();
      expect(net.get(3).readStates).to.deep.equal([{ index: 3, context: enc('f') }]);
      expect(net.get(1).readStates).to.have.length(0);
    });

    it('throws not-leader when no leader is known', () => {
      const net = new Network();
      expect(() => net.node(1).readIndex(enc('x'))).to.throw(RaftError, /no leader/);
    });

    it('a single voter answers at once (after its no-op)', () => {
      const net = new Network({ voters: [1] });
      net.elect(1);
      net.node(1).readIndex(enc('s'));
      expect(net.node(1).hasReady()).to.equal(true);
      net.stabilize();
      expect(contexts(net, 1)).to.deep.equal(['s']);
    });
  });

  describe('lease', () => {
    it('is valid after a quorum acknowledged a heartbeat round, until sent tick + electionTicks - drift', () => {
      const net = new Network({ config: { electionTicks: 10, leaseDriftTicks: 2, heartbeatTicks: 1 } });
      net.elect(1);
      const leader = net.node(1);
      expect(leader.leaseValid()).to.equal(false); // no heartbeat round acknowledged yet
      net.tick(1);
      expect(leader.leaseValid()).to.equal(true);
      const st = leader.status();
      expect(st.leaseValidUntilTick).to.equal(st.tick + 10 - 2);
      expect(leader.leaseRead()).to.equal(st.commit);
      // Followers fall silent: the lease runs out after 8 ticks.
      net.isolate(2);
      net.isolate(3);
      net.tick(7, [1]);
      expect(leader.leaseValid()).to.equal(true);
      net.tick(1, [1]);
      expect(leader.leaseValid()).to.equal(false);
      expect(leader.leaseRead()).to.equal(undefined);
    });

    it('is never valid before the leader commits its no-op', () => {
      const net = new Network();
      net.elect(1);
      net.isolate(1);
      net.tick(10, [3]);
      // Heartbeat acks get through, but appends from 2 do not commit.
      net.filter = (m) => !(m.type === MessageType.AppResp && m.to === 2);
      net.campaign(2);
      net.tick(2, [2]);
      expect(net.node(2).status().commit).to.equal(1);
      expect(net.node(2).leaseValid()).to.equal(false);
      net.filter = undefined;
      net.tick(1, [2]);
      expect(net.node(2).leaseValid()).to.equal(true);
    });

    it('is off without check-quorum (followers would not refuse votes)', () => {
      const net = new Network({ config: { checkQuorum: false } });
      net.elect(1);
      net.tick(1);
      expect(net.node(1).leaseValid()).to.equal(false);
    });

    it('is off while leadership is being transferred', () => {
      const net = new Network();
      net.elect(1);
      net.tick(1);
      expect(net.node(1).leaseValid()).to.equal(true);
      net.isolate(2);
      net.node(1).transferLeader(2);
      expect(net.node(1).leaseValid()).to.equal(false);
    });
  });
});
