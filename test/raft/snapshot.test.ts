import { expect } from 'chai';
import { ConfChangeType, MessageType } from '../../server/raft';
import type { Message } from '../../server/raft';
import { msg, solo } from './helpers';
import { Network } from './network';

/** 3 nodes; node 3 misses `n` writes, then the leader compacts its log past them. */
function behindCompacted(n: number): Network {
  const net = new Network();
  net.elect(1);
  net.propose(1, 'a');
  net.isolate(3);
  for (let i = 0; i < n; i++) net.propose(1, `p${i}`);
  net.compact(1, net.get(1).appliedIndex);
  net.compact(2, net.get(2).appliedIndex);
  net.heal();
  return net;
}

describe('raft/snapshots', () => {
  it('a follower behind the first index gets a Snap (meta only) and is tracked in snapshot state', () => {
    const net = behindCompacted(5);
    net.autoReportSnapshot = false;
    // Hold the Snap, as a driver does while it streams the data.
    const held: Message[] = [];
    net.filter = (m) => {
      if (m.type !== MessageType.Snap) return true;
      held.push(m);
      return false;
    };
    net.tick(2);
    expect(held).to.have.length(1);
    expect(held[0]!.snapshot).to.deep.include({ index: 7, term: 1 });
    expect(held[0]!.entries).to.have.length(0);
    const pr = net.node(1).status().progress.find((p) => p.id === 3)!;
    expect(pr.state).to.equal('snapshot');
    expect(pr.pendingSnapshot).to.equal(7);
    // Nothing else is sent to it meanwhile.
    net.delivered = [];
    net.node(1).propose(new TextEncoder().encode('later'));
    net.tick(3);
    expect(net.delivered.filter((m) => m.to === 3 && m.type === MessageType.App)).to.have.length(0);
    expect(held).to.have.length(1);
    // All chunks are in: the follower's driver delivers the Snap; the leader's reports success.
    net.filter = undefined;
    net.queue.push(held[0]!);
    net.stabilize();
    net.node(1).reportSnapshot(3, true);
    // The follower installed it (Ready.snapshot) and its log now starts after it. (The
    // driver streamed its current state, index 8 with 'later', newer than the meta's 7.)
    expect(net.get(3).storage.snapshotMeta().index).to.equal(8);
    expect(net.get(3).storage.firstIndex()).to.equal(9);
    net.tick(1);
    expect(net.node(1).status().progress.find((p) => p.id === 3)!.state).to.equal('replicate');
    expect(net.appliedData(3)).to.deep.equal(net.appliedData(1));
  });

  it('a failed transfer returns the peer to probing, and the snapshot is sent again', () => {
    const net = behindCompacted(3);
    net.autoReportSnapshot = false;
    net.filter = (m) => m.type !== MessageType.Snap; // the stream breaks
    net.tick(2);
    expect(net.node(1).status().progress.find((p) => p.id === 3)!.state).to.equal('snapshot');
    net.node(1).reportSnapshot(3, false);
    expect(net.node(1).status().progress.find((p) => p.id === 3)!.state).to.equal('probe');
    net.filter = undefined;
    net.autoReportSnapshot = true;
    net.tick(3);
    expect(net.appliedData(3)).to.deep.equal(net.appliedData(1));
  });

  it('a follower ignores a snapshot older than its commit index and answers with its commit', () => {
    const net = new Network();
    net.elect(1);
    net.propose(1, 'a', 'b');
    const f = net.node(2);
    const conf = net.get(2).conf;
    f.step(msg({ type: MessageType.Snap, from: 1, to: 2, term: 1, snapshot: { index: 2, term: 1, conf } }));
    const rd = f.ready();
    expect(rd.snapshot).to.equal(undefined);
    const resp = rd.messages.find((m) => m.type === MessageType.AppResp)!;
    expect(resp.index).to.equal(3);
  });

  it('a follower that holds the snapshot last entry only fast-forwards its commit', () => {
    const s = solo(2, [1, 2, 3]);
    const conf = s.storage.snapshotMeta().conf;
    const ents = [1, 2, 3].map((i) => ({ term: 1, index: i, type: 0, data: new Uint8Array(0) }));
    s.node.step(msg({ type: MessageType.App, from: 1, to: 2, term: 1, index: 0, logTerm: 0, entries: ents }));
    s.node.ready();
    s.node.step(msg({ type: MessageType.Snap, from: 1, to: 2, term: 1, snapshot: { index: 2, term: 1, conf } }));
    expect(s.node.status().commit).to.equal(2);
    expect(s.node.status().lastIndex).to.equal(3);
    expect(s.node.ready().snapshot).to.equal(undefined);
  });

  it('a node added after compaction starts from a snapshot', () => {
    const net = new Network({ voters: [1, 2, 3], extra: [4] });
    net.elect(1);
    net.propose(1, 'a', 'b');
    for (const id of [1, 2, 3]) net.compact(id, net.get(id).appliedIndex);
    net.node(1).proposeConfChange({ changes: [{ type: ConfChangeType.AddLearner, node: 4 }] });
    net.stabilize();
    net.tick(2);
    expect(net.delivered.some((m) => m.type === MessageType.Snap && m.to === 4)).to.equal(true);
    expect(net.appliedData(4)).to.deep.equal(['a', 'b']);
    expect(net.get(4).conf.learners).to.deep.equal([4]);
  });

  it('no snapshot is sent to a peer not heard from recently', () => {
    const net = behindCompacted(3);
    net.isolate(3);
    net.tick(25, [1, 2]); // two check-quorum rounds: 3 is no longer recently active
    net.heal();
    net.cutOneWay(3, 1);
    net.delivered = [];
    net.tick(1, [1]);
    expect(net.delivered.filter((m) => m.type === MessageType.Snap)).to.have.length(0);
  });
});
