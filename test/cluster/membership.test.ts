import { expect } from 'chai';
import { Cluster, indexField, infoField, raftMembers, waitFor } from './harness';
import { Workload } from './workload';

/**
 * Membership changes with redis-cli-style admin commands while clients write:
 * a fourth node joins as a learner, is promoted, and another node is removed.
 */
describe('cluster: add a learner, promote it, remove a node, under load', function () {
  this.timeout(90000);
  let cluster: Cluster;
  let work: Workload | undefined;

  before(async () => {
    cluster = await Cluster.start({ nodes: 3 });
  });
  after(async () => {
    await work?.stop();
    await cluster?.stopAll();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && cluster) process.stderr.write(`${work?.summary() ?? ''}\n${cluster.logTail()}\n`);
  });

  const memberIds = async (id: number) => raftMembers(await cluster.info(id)).map((m) => Number(m.id)).sort();

  it('adds node 4 as a learner, promotes it, removes a follower; no acknowledged write lost', async () => {
    const leader = await cluster.leader();
    const [asked, removed] = await cluster.followers(leader);
    let targets = [1, 2, 3];
    work = new Workload(cluster, () => targets, 6);
    work.start();
    await waitFor(() => work!.ackCount >= 200, 15000, 'writes before the change');

    await cluster.addNode(4);
    // Admin commands are answered on any node: ask a follower.
    expect(await cluster.command(asked, ['RAFT.NODE', 'ADD', '4', cluster.hostPorts(4)])).to.equal('OK');
    const learnerInfo = await waitFor(async () => {
      const info = await cluster.info(4);
      const learner = infoField(info, 'role') === 'learner' || /^(no|0|false)$/.test(infoField(info, 'voter', 'voting', 'is_voting') ?? '');
      return learner && infoField(info, 'leader_id') !== undefined ? info : undefined;
    }, 10000, 'node 4 to run as a learner that knows the leader');
    expect(Number(infoField(learnerInfo, 'leader_id'))).to.equal(await cluster.leader([1, 2, 3]));
    // Caught up: its applied index reaches the leader's commit index of a moment ago.
    const commit = indexField(await cluster.info(leader), 'commit');
    await waitFor(async () => indexField(await cluster.info(4), 'applied') >= commit, 15000, 'the learner to catch up');
    const m = raftMembers(await cluster.info(leader)).find((x) => x.id === '4');
    expect(m, 'node 4 in the leader\'s member list').to.not.equal(undefined);
    expect(JSON.stringify(m)).to.match(/learner|voter=no|voting=no|suffrage=nonvoter/i);

    expect(await cluster.command(leader, ['RAFT.NODE', 'PROMOTE', '4'])).to.equal('OK');
    await waitFor(async () => infoField(await cluster.info(4), 'role') === 'follower' || infoField(await cluster.info(4), 'role') === 'leader', 10000, 'node 4 to become a voter');
    targets = [1, 2, 3, 4].filter((id) => id !== removed);

    const n = work.ackCount;
    expect(await cluster.command(asked, ['RAFT.NODE', 'REMOVE', String(removed)])).to.equal('OK');
    const remaining = [1, 2, 3, 4].filter((id) => id !== removed);
    await waitFor(async () => {
      for (const id of remaining) if ((await memberIds(id)).includes(removed)) return false;
      return true;
    }, 10000, `node ${removed} to leave every remaining node's member list`);
    await cluster.kill(removed, 'SIGTERM');
    await waitFor(() => work!.ackCount >= n + 200, 15000, 'writes after the removal');
    await work.stop();

    expect(work.violations).to.deep.equal([]);
    const finalLeader = await cluster.leader(remaining);
    expect(await memberIds(finalLeader)).to.deep.equal(remaining.sort());
    await cluster.settle(remaining);
    for (const id of remaining) expect(await work.verify(id), `node ${id}; ${work.summary()}`).to.deep.equal([]);
  });

  it('rejects bad membership commands with an error', async () => {
    const leader = await cluster.leader();
    for (const args of [['RAFT.NODE', 'ADD', 'x', 'nohost'], ['RAFT.NODE', 'PROMOTE', '99'], ['RAFT.NODE', 'FROB', '1']]) {
      let err: Error | undefined;
      await cluster.command(leader, args).catch((e: Error) => (err = e));
      expect(err?.message, args.join(' ')).to.match(/^ERR/);
    }
  });
});
