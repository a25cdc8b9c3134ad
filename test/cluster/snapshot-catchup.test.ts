import { expect } from 'chai';
import { Cluster, indexField, sleep, waitFor } from './harness';

/**
 * A follower that needs a snapshot must catch up while clients keep writing.
 * Before, the leader's snapshot index moved on during each transfer, the
 * follower ignored every Snap message ("without its data") and only caught
 * up once writes stopped.
 */
describe('cluster: a follower restarted behind the compacted log catches up under continuous writes', function () {
  this.timeout(180000);
  let cluster: Cluster;

  before(async () => {
    cluster = await Cluster.start({ nodes: 3, args: ['--snapshot-entries', '20', '--log-tail', '20'] });
    await cluster.leader();
  });
  after(async () => {
    await cluster?.stopAll();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && cluster) process.stderr.write(cluster.logTail(80) + '\n');
  });

  it('reaches the leader\'s commit index by snapshot while the writes go on, then holds the same data', async () => {
    const leader = await cluster.leader();
    const [lagger] = await cluster.followers(leader);
    const w = cluster.client(leader);
    for (let i = 0; i < 200; i++) await w.set(`pre:${i}`, 'x'.repeat(100));
    await cluster.settle();
    await cluster.kill(lagger, 'SIGKILL');

    // One client writes continuously from here to the end of the catch-up.
    let writing = true;
    let written = 0;
    let writeError: unknown;
    const writer = (async () => {
      while (writing) {
        try {
          await w.set(`k:${written % 5000}`, `${written}:${'v'.repeat(200)}`);
          await w.incr('ctr');
          written++;
        } catch (e) {
          writeError = e;
          await sleep(50);
        }
      }
    })();
    try {
      // Let the live nodes compact well past what the killed node holds.
      await waitFor(async () => written > 1500, 60000, 'writes while the follower is down');
      const first = indexField(await cluster.info(leader), 'first');
      const before = Number(cluster.node(lagger).logs.length);
      expect(first).to.be.greaterThan(0);
      await cluster.restart(lagger);

      const restartedAt = Date.now();
      const commitAtRestart = indexField(await cluster.info(leader), 'commit');
      const writtenAtRestart = written;
      await waitFor(
        async () => indexField(await cluster.info(lagger), 'applied') >= commitAtRestart,
        60000,
        `the restarted node to apply up to the leader's commit index ${commitAtRestart} while writes continue`,
        100,
      );
      // It caught up while the writes went on (not after they stopped).
      expect(written, 'writes made during the catch-up').to.be.greaterThan(writtenAtRestart);
      process.stdout.write(`      caught up to commit ${commitAtRestart} ${Date.now() - restartedAt} ms after the restart, ${written - writtenAtRestart} writes meanwhile\n`);
      const laterCommit = indexField(await cluster.info(leader), 'commit');
      await waitFor(async () => indexField(await cluster.info(lagger), 'applied') >= laterCommit, 30000, 'the restarted node to keep up');
      const lines = cluster.node(lagger).logs.slice(before).join('\n');
      expect(lines, 'the restarted node installed a snapshot').to.match(/snapshot installed/);
    } finally {
      writing = false;
      await writer;
    }
    expect(writeError, 'no write failed').to.equal(undefined);

    await cluster.settle();
    const l = cluster.client(leader);
    const r = cluster.client(lagger);
    expect(await r.dbsize()).to.equal(await l.dbsize());
    expect(await r.get('ctr')).to.equal(await l.get('ctr'));
    expect(await r.get('ctr')).to.equal(String(written));
    const keys = Array.from({ length: 5000 }, (_, i) => `k:${i}`);
    expect(await r.mget(...keys)).to.deep.equal(await l.mget(...keys));
    const pre = Array.from({ length: 200 }, (_, i) => `pre:${i}`);
    expect(await r.mget(...pre)).to.deep.equal(await l.mget(...pre));
  });
});
