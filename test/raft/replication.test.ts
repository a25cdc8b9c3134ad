import { expect } from 'chai';
import { MessageType, RaftError, Role } from '../../server/raft';
import type { Message } from '../../server/raft';
import { msg, ofType, solo } from './helpers';
import { EntryType } from '../../server/raft/types';
import { enc, Network } from './network';

const apps = (ms: Message[], to?: number): Message[] =>
  ms.filter((m) => m.type === MessageType.App && (to === undefined || m.to === to));

describe('raft/replication', () => {
  it('replicates and commits proposals on every node, in order', () => {
    const net = new Network();
    net.elect(1);
    net.propose(1, 'a', 'b');
    net.propose(1, 'c');
    for (const id of [1, 2, 3]) expect(net.appliedData(id)).to.deep.equal(['a', 'b', 'c']);
  });

  it('propose returns the index and term to wait for; followers refuse with a leader hint', () => {
    const net = new Network();
    net.elect(1);
    const res = net.node(1).propose([enc('a'), enc('b')]);
    expect(res).to.deep.equal({ index: 2, term: 1 });
    try {
      net.node(2).propose(enc('x'));
      expect.fail('a follower accepted a proposal');
    } catch (e) {
      expect(e).to.be.instanceOf(RaftError);
      expect((e as RaftError).code).to.equal('not-leader');
      expect((e as RaftError).leader).to.equal(1);
    }
  });

  it('a follower acknowledges entries only in the Ready that persists them', () => {
    const net = new Network();
    net.elect(1);
    net.node(1).propose(enc('a'));
    const lrd = net.node(1).ready();
    const app = apps(lrd.messages, 2)[0]!;
    net.node(2).step(app);
    const frd = net.node(2).ready();
    const ack = ofType(frd.messages, MessageType.AppResp)[0]!;
    expect(ack.index).to.equal(2);
    expect(frd.entries.map((e) => e.index)).to.deep.equal([2]);
  });

  it('the leader counts its own log toward commit only after advance() (persisted)', () => {
    const net = new Network();
    net.elect(1);
    const leader = net.node(1);
    leader.propose(enc('a'));
    const lrd = leader.ready(); // the leader's write is "in flight": no advance yet
    expect(lrd.entries.map((e) => e.index)).to.deep.equal([2]);
    // One follower persists and acknowledges: with the leader that would be a majority.
    net.node(2).step(apps(lrd.messages, 2)[0]!);
    net.process(2);
    for (const m of net.queue.splice(0)) if (m.to === 1) leader.step(m);
    expect(leader.status().commit).to.equal(1);
    void net.get(1).storage.append(lrd.entries);
    leader.advance(lrd);
    expect(leader.status().commit).to.equal(2);
  });

  it('fast back-off skips a divergent term in one round trip instead of one entry per round', () => {
    const net = new Network({ config: { preVote: false } });
    net.elect(1);
    net.propose(1, 'base');
    // Node 1 is partitioned and appends 50 entries in term 1 that never commit.
    net.isolate(1);
    for (let i = 0; i < 50; i++) net.node(1).propose(enc(`stale${i}`));
    net.stabilize();
    // Node 2 becomes leader of term 2+ and writes some entries.
    net.heal();
    net.isolate(1);
    net.tick(30, [2, 3]);
    const lead = net.leader()!;
    expect(lead).to.not.equal(1);
    net.propose(lead, 'x', 'y');
    net.heal();
    net.delivered = [];
    net.tick(3);
    const rejects = net.delivered.filter((m) => m.type === MessageType.AppResp && m.reject && m.from === 1);
    expect(rejects.length).to.be.at.most(2);
    expect(net.appliedData(1)).to.deep.equal(net.appliedData(lead));
    expect(net.get(1).storage.lastIndex()).to.equal(net.get(lead).storage.lastIndex());
  });

  it('sends a heartbeat every heartbeatTicks, carrying commit only up to the follower match', () => {
    const net = new Network({ config: { heartbeatTicks: 2 } });
    net.elect(1);
    net.propose(1, 'a');
    net.delivered = [];
    net.tick(4, [1]);
    const hbs = net.delivered.filter((m) => m.type === MessageType.Heartbeat);
    expect(hbs.map((m) => m.to).sort()).to.deep.equal([2, 2, 3, 3]);
    expect(hbs.every((m) => m.commit === 2)).to.equal(true);
    // A follower the leader knows nothing about gets commit 0.
    net.isolate(3);
    net.propose(1, 'b');
    net.delivered = [];
    net.heal();
    net.cutOneWay(3, 1); // 3 hears but its answers are lost: match stays old
    net.tick(2, [1]);
    const toThree = net.delivered.filter((m) => m.type === MessageType.Heartbeat && m.to === 3);
    expect(toThree.every((m) => m.commit === 2)).to.equal(true);
  });

  it('batching: many proposals between Readies go out as one App per follower', () => {
    const net = new Network();
    net.elect(1);
    for (let i = 0; i < 20; i++) net.node(1).propose([enc(`a${i}`), enc(`b${i}`)]);
    const rd = net.node(1).ready();
    expect(apps(rd.messages, 2)).to.have.length(1);
    expect(apps(rd.messages, 3)).to.have.length(1);
    expect(apps(rd.messages, 2)[0]!.entries).to.have.length(40);
    expect(rd.entries).to.have.length(40);
  });

  it('maxMsgBytes splits a large batch into several Apps', () => {
    const net = new Network({ config: { maxMsgBytes: 100 } });
    net.elect(1);
    net.node(1).propose(Array.from({ length: 10 }, () => new Uint8Array(40)));
    const rd = net.node(1).ready();
    const toTwo = apps(rd.messages, 2);
    expect(toTwo.map((m) => m.entries.length)).to.deep.equal([2, 2, 2, 2, 2]);
  });

  it('flow control: at most maxInflightMsgs Apps to a silent follower', () => {
    const net = new Network({ config: { maxInflightMsgs: 3, maxInflightBytes: 0 } });
    net.elect(1);
    net.delivered = [];
    net.cutOneWay(2, 1); // 2 never acknowledges
    for (let i = 0; i < 10; i++) {
      net.node(1).propose(enc(`p${i}`));
      net.stabilize();
    }
    const st = net.node(1).status().progress.find((p) => p.id === 2)!;
    expect(st.state).to.equal('replicate');
    expect(st.inflightMsgs).to.equal(3);
    expect(st.paused).to.equal(true);
    const sent = net.delivered.filter((m) => m.type === MessageType.App && m.to === 2 && m.entries.length > 0);
    expect(sent).to.have.length(3);
    // Node 3 keeps up, so everything commits anyway.
    expect(net.node(1).status().commit).to.equal(11);
    // Every App to 2 was answered into the void: a heartbeat response reopens the
    // window with an empty App, and 2 catches up.
    net.heal();
    net.tick(1);
    expect(net.appliedData(2)).to.deep.equal(net.appliedData(1));
  });

  it('flow control: maxInflightBytes bounds the bytes in flight', () => {
    const net = new Network({ config: { maxInflightMsgs: 100, maxInflightBytes: 250 } });
    net.elect(1);
    net.cutOneWay(2, 1);
    for (let i = 0; i < 10; i++) {
      net.node(1).propose(new Uint8Array(100));
      net.stabilize();
    }
    const st = net.node(1).status().progress.find((p) => p.id === 2)!;
    expect(st.inflightBytes).to.equal(300); // full once >= 250
    expect(st.inflightMsgs).to.equal(3);
    // Acknowledgements free the window and replication resumes.
    net.heal();
    net.tick(1);
    expect(net.node(2).status().commit).to.equal(11);
  });

  it('a follower behind is probed one App at a time, then replicated', () => {
    const net = new Network();
    net.elect(1);
    net.isolate(3);
    for (let i = 0; i < 5; i++) net.propose(1, `p${i}`);
    net.heal();
    net.delivered = [];
    net.tick(1);
    expect(net.node(1).status().progress.find((p) => p.id === 3)!.state).to.equal('replicate');
    expect(net.appliedData(3)).to.deep.equal(net.appliedData(1));
  });

  it('rejects proposals beyond maxUncommittedBytes with a clear error, accepts again after commit', () => {
    const net = new Network({ config: { maxUncommittedBytes: 1000 } });
    net.elect(1);
    net.isolate(2);
    net.isolate(3);
    const leader = net.node(1);
    leader.propose(new Uint8Array(600));
    let err: unknown;
    try {
      leader.propose(new Uint8Array(600));
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(RaftError);
    expect((err as RaftError).code).to.equal('uncommitted-limit');
    expect((err as RaftError).message).to.match(/uncommitted/);
    leader.propose(new Uint8Array(300)); // still fits
    expect(leader.status().uncommittedBytes).to.equal(900);
    net.heal();
    net.tick(1);
    expect(leader.status().uncommittedBytes).to.equal(0);
    leader.propose(new Uint8Array(600));
  });

  it('ready() may be called again before advance(): each Ready holds only new work', () => {
    const s = solo(2, [1, 2, 3]);
    const e = (index: number, term: number) => ({ term, index, type: EntryType.Normal, data: enc(`${index}@${term}`) });
    const app = (from: number, term: number, index: number, logTerm: number, entries: ReturnType<typeof e>[], commit: number) =>
      msg({ type: MessageType.App, from, to: 2, term, index, logTerm, entries, commit });
    s.node.step(app(1, 1, 0, 0, [e(1, 1), e(2, 1)], 0));
    const rd1 = s.node.ready(); // its write is in flight...
    expect(rd1.entries.map((x) => x.index)).to.deep.equal([1, 2]);
    s.node.step(app(1, 1, 2, 1, [e(3, 1)], 2)); // ...while more arrives
    const rd2 = s.node.ready();
    expect(rd2.entries.map((x) => x.index)).to.deep.equal([3]);
    expect(rd2.committedEntries.map((x) => x.index)).to.deep.equal([1, 2]);
    expect(ofType(rd2.messages, MessageType.AppResp).map((m) => m.index)).to.deep.equal([3]);
    // A new leader overwrites entry 3 while both writes are in flight.
    s.node.step(app(3, 2, 2, 1, [e(3, 2)], 2));
    const rd3 = s.node.ready();
    expect(rd3.entries.map((x) => [x.index, x.term])).to.deep.equal([[3, 2]]);
    expect(rd3.committedEntries).to.have.length(0); // 1 and 2 were handed out already
    for (const rd of [rd1, rd2, rd3]) {
      void s.storage.append(rd.entries);
      if (rd.hardState) void s.storage.setHardState(rd.hardState);
      s.node.advance(rd);
    }
    expect([1, 2, 3].map((i) => s.storage.term(i))).to.deep.equal([1, 1, 2]);
    expect(s.node.status()).to.deep.include({ lastIndex: 3, commit: 2, applied: 2, term: 2, leader: 3 });
    expect(s.node.ready().entries).to.have.length(0);
  });

  it('a new leader commits entries of an earlier term only through an entry of its own term', () => {
    // checkQuorum off: node 3 would otherwise stick to leader 1 for an election timeout.
    const net = new Network({ config: { preVote: false, checkQuorum: false } });
    net.elect(1);
    // Entry 2 (term 1) reaches 2 but not 3; the leader dies before committing it.
    net.cutOneWay(1, 3);
    net.cutOneWay(2, 1);
    net.propose(1, 'old');
    expect(net.node(2).status().lastIndex).to.equal(2);
    expect(net.node(2).status().commit).to.equal(1);
    net.heal();
    net.isolate(1);
    net.elect(2);
    // Before its no-op commits, entry 2 is replicated to 3 but must not count alone.
    const st = net.node(2).status();
    expect(st.role).to.equal(Role.Leader);
    expect(net.appliedData(3)).to.deep.equal(['old']);
    expect(st.commit).to.equal(3); // committed together with the term-2 no-op at index 3
  });
});
