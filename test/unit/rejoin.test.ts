import { expect } from 'chai';
import pino from 'pino';
import { RawReply, type Reply } from '../../protocol/reply';
import type { ConfState } from '../../server/raft';
import {
  decodeProbe,
  emptyPeersNeeded,
  encodeProbe,
  encodeProbeReply,
  isProbePayload,
  RejoinGuard,
  rejoinOnLeader,
  type ProbeAnswer,
  type RejoinLeader,
} from '../../server/node/rejoin';
import { ErrorReply } from '../../protocol/reply';
import type { ClusterMember } from '../../server/members';

const conf = (voters: number[], learners: number[] = []): ConfState => ({ voters, learners, votersOutgoing: [], learnersNext: [], autoLeave: false });

/** A guard for node 1 over a fake driver that records what it was told. */
function guard(voters: number[]) {
  const h = {
    conf: conf(voters),
    applied: 0,
    leader: 0,
    voting: true,
    sent: [] as Array<[number, Buffer]>,
    asked: [] as string[][],
    answer: undefined as Reply | undefined,
  };
  const g = new RejoinGuard({
    id: 1,
    log: pino({ level: 'silent' }),
    address: () => '127.0.0.1:7001:17001',
    confState: () => h.conf,
    appliedIndex: () => h.applied,
    leaderId: () => h.leader,
    setVoting: (v) => (h.voting = v),
    sendPeer: (to, p) => h.sent.push([to, p]),
    askLeader: (argv, done) => {
      h.asked.push(argv.map((b) => b.toString()));
      if (h.answer !== undefined) done(h.answer);
    },
  });
  return { g, h };
}

const reply = (a: Partial<ProbeAnswer>): Buffer => encodeProbeReply({ term: 0, lastIndex: 0, commit: 0, askerIsVoter: true, ...a });
const self = (): ProbeAnswer => ({ term: 0, lastIndex: 0, commit: 0, askerIsVoter: true });

describe('node/rejoin: a node that starts with no data', () => {
  const guards: RejoinGuard[] = [];
  afterEach(() => {
    for (const g of guards.splice(0)) g.close();
  });

  it('needs empty peers that form a majority with itself', () => {
    expect([2, 3, 4, 5, 7].map(emptyPeersNeeded)).to.deep.equal([1, 1, 2, 2, 3]);
  });

  it('probe payloads round-trip and are told apart from forwarded requests', () => {
    expect(isProbePayload(encodeProbe())).to.equal(true);
    expect(isProbePayload(Buffer.from([1, 0]))).to.equal(false);
    expect(decodeProbe(encodeProbe())).to.deep.equal({ kind: 'probe' });
    expect(decodeProbe(reply({ term: 7, lastIndex: 9, commit: 8, askerIsVoter: false }))).to.deep.equal({ kind: 'reply', term: 7, lastIndex: 9, commit: 8, askerIsVoter: false });
  });

  it('an empty voter votes only once enough peers are empty too', () => {
    const { g, h } = guard([1, 2, 3, 4, 5]);
    guards.push(g);
    g.begin(true, false);
    expect(g.state).to.equal('probing');
    expect(h.voting).to.equal(false);
    expect(h.sent.map(([to]) => to).sort()).to.deep.equal([2, 3, 4, 5]);
    expect(g.catchingUp).to.equal(true);
    g.onPeerPayload(2, reply({}), self);
    g.onPeerPayload(2, reply({}), self); // the same peer twice counts once
    expect(h.voting).to.equal(false);
    g.onPeerPayload(3, reply({}), self);
    expect(g.state).to.equal('none');
    expect(h.voting).to.equal(true);
    expect(g.catchingUp).to.equal(false);
  });

  it('a peer with history makes it a node that lost its data: no vote; re-added, then promoted, it votes again', () => {
    const { g, h } = guard([1, 2, 3]);
    guards.push(g);
    g.begin(true, false);
    g.onPeerPayload(3, reply({ term: 4, commit: 100, lastIndex: 101 }), self);
    expect(g.state).to.equal('lost-data');
    expect(g.catchingUp).to.equal(true);
    expect(h.voting).to.equal(false);
    // A late "empty" answer changes nothing.
    g.onPeerPayload(2, reply({}), self);
    expect(h.voting).to.equal(false);

    g.poll(); // no leader known: nothing to ask
    expect(h.asked).to.deep.equal([]);
    h.leader = 2;
    h.answer = new RawReply(Buffer.from(':150\r\n'));
    g.poll();
    expect(h.asked).to.deep.equal([['RAFT.NODE', 'REJOIN', '1', '127.0.0.1:7001:17001', '0']]);
    expect(g.state).to.equal('learner');
    // Still a voter in an old membership it replays: not yet.
    h.applied = 120;
    g.onApplied();
    expect(h.voting).to.equal(false);
    h.applied = 150;
    h.conf = conf([2, 3], [1]);
    g.onApplied();
    expect(h.voting).to.equal(false);
    h.applied = 160;
    h.conf = conf([1, 2, 3]);
    g.onApplied();
    expect(g.state).to.equal('none');
    expect(h.voting).to.equal(true);
  });

  it('answers a peer\'s probe with this node\'s state', () => {
    const { g, h } = guard([1, 2, 3]);
    guards.push(g);
    g.onPeerPayload(3, encodeProbe(), () => ({ term: 5, lastIndex: 10, commit: 9, askerIsVoter: true }));
    expect(h.sent.length).to.equal(1);
    expect(h.sent[0][0]).to.equal(3);
    expect(decodeProbe(h.sent[0][1])).to.include({ kind: 'reply', term: 5, lastIndex: 10, commit: 9 });
  });

  it('a --join node: peers with history that do not list it as a voter let it wait to be added; one that does means it lost its data', () => {
    const a = guard([2, 3, 4]);
    guards.push(a.g);
    a.g.begin(true, false, true);
    expect(a.g.state).to.equal('probing');
    a.g.onPeerPayload(2, reply({ term: 3, commit: 50, lastIndex: 50, askerIsVoter: false }), self);
    expect(a.g.state).to.equal('none');

    const b = guard([2, 3, 4]);
    guards.push(b.g);
    b.g.begin(true, false, true);
    b.g.onPeerPayload(2, reply({ term: 3, commit: 50, lastIndex: 50, askerIsVoter: true }), self);
    expect(b.g.state).to.equal('lost-data');
    expect(b.h.voting).to.equal(false);
  });

  it('a node with data, a one-node cluster or a non-member does not probe; a damaged log goes straight to rejoining', () => {
    for (const [voters, empty] of [
      [[1, 2, 3], false],
      [[1], true],
      [[2, 3], true],
    ] as Array<[number[], boolean]>) {
      const { g, h } = guard(voters);
      guards.push(g);
      g.begin(empty, false);
      expect(g.state).to.equal('none');
      expect(h.voting).to.equal(true);
      expect(h.sent).to.deep.equal([]);
    }
    const { g, h } = guard([1, 2, 3]);
    guards.push(g);
    g.begin(false, true);
    expect(g.state).to.equal('lost-data');
    expect(h.voting).to.equal(false);
  });

  describe('the leader\'s side (RAFT.NODE REJOIN)', () => {
    const member: ClusterMember = { id: 3, host: '10.0.0.3', port: 7003, peerPort: 17003 };
    function leader(cs: ConfState) {
      const calls: string[] = [];
      const l: RejoinLeader = {
        isLeader: () => true,
        confState: () => cs,
        appliedIndex: () => 42,
        commitIndex: () => 42,
        peerProgress: () => ({ match: 0, state: 'probe' }),
        member: (id) => (id === 3 ? member : undefined),
        addNode: (m, done) => {
          calls.push(`add ${m.id}@${m.host}`);
          done('OK');
        },
        promoteNode: (id, done) => {
          calls.push(`promote ${id}`);
          done('OK');
        },
      };
      return { l, calls };
    }
    const run = (l: RejoinLeader, id: number, index: number, given?: ClusterMember): Reply => {
      let out: Reply = null;
      rejoinOnLeader(l, id, given, index, (r) => (out = r));
      return out;
    };

    it('demotes a voter to a learner (at the address the leader knows) and answers the index to apply', () => {
      const { l, calls } = leader(conf([1, 2, 3]));
      expect(run(l, 3, 0, { ...member, host: 'elsewhere' })).to.equal(42);
      expect(calls).to.deep.equal(['add 3@10.0.0.3']);
    });

    it('a learner is only awaited; a promoted voter with its index is done; a non-member is refused', () => {
      const a = leader(conf([1, 2], [3]));
      expect(run(a.l, 3, 50)).to.equal(50);
      expect(run(a.l, 3, 0)).to.equal(42);
      expect(a.calls).to.deep.equal([]);
      const b = leader(conf([1, 2, 3]));
      expect(run(b.l, 3, 50)).to.equal(50);
      expect(b.calls).to.deep.equal([]);
      const c = leader(conf([1, 2]));
      expect((run(c.l, 3, 0) as ErrorReply).message).to.match(/not a member/);
      expect((run(c.l, 4, 0) as ErrorReply).message).to.match(/no address known/);
    });
  });
});
