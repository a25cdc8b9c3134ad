import { expect } from 'chai';
import { Cluster, waitFor } from './harness';

/** A message published on any node reaches subscribers on every node. */
describe('cluster: pub/sub across nodes', function () {
  this.timeout(60000);
  let cluster: Cluster | undefined;
  before(async () => {
    cluster = await Cluster.start({ nodes: 3 });
    await cluster.leader();
  });
  after(async () => {
    await cluster?.stopAll();
  });

  it('delivers to subscribers on all three nodes', async () => {
    const c = cluster!;
    const got: string[] = [];
    const subs = [1, 2, 3].map((id) => {
      const s = c.client(id);
      s.on('message', (ch: string, m: string) => got.push(`${id}:${ch}:${m}`));
      return s;
    });
    for (const s of subs) await s.subscribe('cluster-news');
    const pub = c.client(2);
    expect(await pub.publish('cluster-news', 'from-2')).to.equal(1); // this node's receivers, as Redis Cluster counts
    await waitFor(() => got.length === 3, 5000, 'every node delivers');
    expect(got.sort()).to.deep.equal(['1:cluster-news:from-2', '2:cluster-news:from-2', '3:cluster-news:from-2']);
  });
});
