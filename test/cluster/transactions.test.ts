import { expect } from 'chai';
import { clusterForSuite, waitFor } from './harness';

/** MULTI/EXEC through a follower: forwarded whole, applied as one entry on every node. */
describe('cluster: transactions', function () {
  this.timeout(60000);
  const t = clusterForSuite(3);

  it('EXEC on a follower applies atomically everywhere; WATCH aborts on a concurrent change', async () => {
    const leader = await t.c.leader();
    const f = [1, 2, 3].find((id) => id !== leader)!;
    const r = t.c.client(f);
    expect(await r.multi().set('tx', '1').incr('tx').ping().echo('e').exec()).to.deep.equal([
      [null, 'OK'],
      [null, 2],
      [null, 'PONG'],
      [null, 'e'],
    ]);
    for (const id of [1, 2, 3]) await waitFor(async () => (await t.c.client(id).get('tx')) === '2', 5000, `node ${id}`);
    await r.watch('tx');
    await t.c.client(leader).set('tx', 'changed');
    expect(await r.multi().set('tx', 'mine').exec()).to.equal(null);
    expect(await t.c.client(leader).get('tx')).to.equal('changed');
  });
});
