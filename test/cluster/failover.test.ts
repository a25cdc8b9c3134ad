import { expect } from 'chai';
import { Cluster, indexField, sleep, waitFor } from './harness';
import { Workload } from './workload';

/**
 * Losing the leader while ~10 clients write: a new leader serves quickly, no
 * acknowledged write is lost, and the killed node catches up when restarted.
 * Default timing (elections after 0.5–1 s without a leader).
 */
describe('cluster: leader failure under load', function () {
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

  let killed = 0;
  let killedAt = 0;

  it('SIGKILL of the leader: a new leader serves within about 2 s and no acknowledged write is lost', async () => {
    const oldLeader = await cluster.leader();
    work = new Workload(cluster, () => cluster.running(), 10);
    work.start();
    await waitFor(() => work!.ackCount >= 300, 15000, '300 acknowledged writes before the kill');
    killedAt = Date.now();
    await cluster.kill(oldLeader, 'SIGKILL');
    killed = oldLeader;
    const survivors = cluster.running();
    const newLeader = await cluster.leader(survivors, 10000);
    const electedAfter = Date.now() - killedAt;
    // A client connected to the new leader is served at once.
    expect(await cluster.client(newLeader).set('probe', 'after-kill')).to.equal('OK');
    const servedAfter = Date.now() - killedAt;
    process.stderr.write(
      `      leader ${oldLeader} killed: survivors agreed on node ${newLeader} after ${electedAfter} ms; a SET sent to it acknowledged ${servedAfter} ms after the kill\n`,
    );
    expect(newLeader).to.not.equal(oldLeader);
    expect(servedAfter, 'ms from the kill to a write acknowledged by the new leader').to.be.below(3000);
    const before = work.ackCount;
    await waitFor(() => work!.ackCount >= before + 300, 15000, '300 more acknowledged writes on the new leader');
    await work.stop();
    expect(work.violations).to.deep.equal([]);
    await cluster.settle(survivors);
    for (const id of survivors) expect(await work.verify(id), `node ${id}; ${work.summary()}`).to.deep.equal([]);
  });

  it('every writer on a surviving node resumes within about 2 s of the kill (writes forwarded by followers are not stuck on the dead leader)', () => {
    expect(killedAt).to.be.greaterThan(0);
    const resumed = work!.resumedAfter(killedAt);
    process.stderr.write(`      per-writer ms from the kill to its next acknowledged write: ${resumed.join(', ')}\n`);
    const stuck = work!.ops.filter((o) => !o.ok && o.node !== killed && o.issued < killedAt + 3000 && o.done - o.issued > 3000);
    expect(stuck.map((o) => `writer ${o.writer} via node ${o.node}: failed after ${o.done - o.issued} ms`), work!.summary()).to.deep.equal([]);
    expect(Math.max(...resumed), 'slowest writer, ms from the kill').to.be.below(3500);
  });

  it('the killed node restarts and catches up through the log', async () => {
    expect(killed).to.be.greaterThan(0);
    // More writes while it is down, so it has entries to fetch.
    const c = cluster.client((await cluster.followers())[0] ?? (await cluster.leader()));
    for (let i = 0; i < 100; i++) await c.set(`down:${i}`, `${i}`);
    await cluster.restart(killed);
    await cluster.leader();
    await cluster.settle();
    expect(await work!.verify(killed), work!.summary()).to.deep.equal([]);
    const r = cluster.client(killed);
    expect(await r.mget('down:0', 'down:99')).to.deep.equal(['0', '99']);
    // It takes part again: a write through it works.
    expect(await r.incr('rejoined')).to.equal(1);
  });
});

describe('cluster: catching up through a snapshot after compaction', function () {
  this.timeout(90000);
  let cluster: Cluster;

  before(async () => {
    cluster = await Cluster.start({ nodes: 3, args: ['--snapshot-entries', '10', '--log-tail', '10'] });
  });
  after(async () => {
    await cluster?.stopAll();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && cluster) process.stderr.write(cluster.logTail() + '\n');
  });

  it('a follower behind the compacted log restarts and receives the snapshot', async () => {
    const leader = await cluster.leader();
    const [lagger, other] = await cluster.followers(leader);
    const w = cluster.client(leader);
    for (let i = 0; i < 50; i++) await w.set(`pre:${i}`, `${i}`);
    await cluster.settle();
    const appliedBefore = indexField(await cluster.info(lagger), 'applied');
    await cluster.kill(lagger, 'SIGKILL');

    // Writes through the remaining follower, then compaction on both live nodes.
    const f = cluster.client(other);
    for (let i = 0; i < 300; i++) await f.set(`post:${i}`, `${i}`);
    await f.incrby('post:ctr', 300);
    await sleep(100);
    expect(await cluster.command(leader, ['RAFT.COMPACT'])).to.equal('OK');
    expect(await cluster.command(other, ['RAFT.COMPACT'])).to.equal('OK');
    const leaderInfo = await cluster.info(leader);
    const first = indexField(leaderInfo, 'first');
    expect(first, 'the leader\'s first log index after RAFT.COMPACT must be past what the lagging node has').to.be.greaterThan(appliedBefore + 1);
    expect(indexField(leaderInfo, 'snapshot')).to.be.at.least(first - 1);

    await cluster.restart(lagger);
    await cluster.leader();
    await cluster.settle();
    const info = await cluster.info(lagger);
    expect(indexField(info, 'snapshot'), 'snapshot index on the restarted node').to.be.greaterThan(appliedBefore);
    const r = cluster.client(lagger);
    const keys = Array.from({ length: 300 }, (_, i) => `post:${i}`);
    expect(await r.mget(...keys)).to.deep.equal(keys.map((_, i) => `${i}`));
    expect(await r.mget('pre:0', 'pre:49', 'post:ctr')).to.deep.equal(['0', '49', '300']);
    // And it keeps replicating normally afterwards.
    await w.set('after:snapshot', 'yes');
    await waitFor(async () => (await r.get('after:snapshot')) === 'yes', 5000, 'the next write to reach the restarted node');
  });
});
