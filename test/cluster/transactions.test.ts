import { expect } from 'chai';
import { Cluster, waitFor } from './harness';

/** MULTI/EXEC through a follower: forwarded whole, applied as one entry on every node. */
describe('cluster: transactions', function () {
  this.timeout(60000);
  let c: Cluster;
  before(async () => {
    c = await Cluster.start({ nodes: 3 });
    await c.leader();
  });
  after(async () => {
    await c?.stopAll();
  });

  it('EXEC on a follower applies atomically everywhere; WATCH aborts on a concurrent change', async () => {
    const leader = await c.leader();
    const f = [1, 2, 3].find((id) => id !== leader)!;
    const r = c.client(f);
    expect(await r.multi().set('tx', '1').incr('tx').ping().echo('e').exec()).to.deep.equal([
      [null, 'OK'],
      [null, 2],
      [null, 'PONG'],
      [null, 'e'],
    ]);
    for (const id of [1, 2, 3]) await waitFor(async () => (await c.client(id).get('tx')) === '2', 5000, `node ${id}`);
    await r.watch('tx');
    await c.client(leader).set('tx', 'changed');
    expect(await r.multi().set('tx', 'mine').exec()).to.equal(null);
    expect(await c.client(leader).get('tx')).to.equal('changed');
  });
});
