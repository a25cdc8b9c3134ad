import { expect } from 'chai';
import { Cluster, sleep } from './harness';

/**
 * A write forwarded to a leader that stops answering (paused with SIGSTOP)
 * is resent by the follower to the next leader under the same request id,
 * so the client gets its answer instead of an error, and the write is
 * applied once.
 */
describe('cluster: forwarded writes survive a leader change', function () {
  this.timeout(60000);
  let cluster: Cluster | undefined;

  before(async () => {
    cluster = await Cluster.start({ nodes: 3 });
  });

  after(async () => {
    const c = cluster;
    if (c) {
      for (const id of c.running()) c.node(id).proc?.kill('SIGCONT');
      await c.stopAll();
    }
  });

  it('answers a write in flight to a paused leader once the next leader is elected', async () => {
    const c = cluster!;
    const leader = await c.leader();
    const follower = [1, 2, 3].find((id) => id !== leader)!;
    const client = c.client(follower);
    expect(await client.incr('retried')).to.equal(1);
    c.node(leader).proc!.kill('SIGSTOP');
    try {
      // Sent while the follower still believes in the paused leader.
      const t0 = Date.now();
      const reply = await client.incr('retried');
      expect(reply).to.equal(2);
      expect(Date.now() - t0).to.be.lessThan(4000);
    } finally {
      c.node(leader).proc!.kill('SIGCONT');
    }
    await sleep(500);
    await c.settle();
    for (const id of [1, 2, 3]) expect(await c.client(id).get('retried')).to.equal('2');
  });
});
