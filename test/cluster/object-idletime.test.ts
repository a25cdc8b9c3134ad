import { expect } from 'chai';
import { clusterForSuite, sleep, waitFor } from './harness';

/**
 * OBJECT IDLETIME answers for the node asked: reads are not replicated, so a
 * read on one node makes the key less idle there only (as on a Redis replica).
 */
describe('cluster: OBJECT IDLETIME is per node', function () {
  this.timeout(60000);
  const t = clusterForSuite(3);

  it('a read on one node resets that node\'s idle time only; a write is applied everywhere', async () => {
    const { c } = t;
    const [a, b, d] = [1, 2, 3].map((id) => c.client(id));
    await a.set('idle-k', 'v');
    // EXISTS does not touch the key (Redis's LOOKUP_NOTOUCH): wait for it to be applied everywhere.
    for (const r of [a, b, d]) await waitFor(async () => (await r.exists('idle-k')) === 1, 10000, 'write applied');
    await sleep(2100);
    await b.get('idle-k');
    const idle = async (r: typeof a) => (await r.call('object', 'idletime', 'idle-k')) as number;
    const [ia, ib, id] = [await idle(a), await idle(b), await idle(d)];
    expect(ia).to.be.at.least(2);
    expect(id).to.be.at.least(2);
    expect(ib).to.be.below(Math.min(ia, id));
    // A write is applied on every node: each counts it as an access.
    await a.set('idle-k', 'w');
    for (const r of [a, b, d]) await waitFor(async () => (await idle(r)) < 2, 10000, 'write applied and counted');
  });
});
