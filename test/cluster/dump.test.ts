import { expect } from 'chai';
import { clusterForSuite, waitFor } from './harness';

/**
 * RESTORE is a replicated write: the relative TTL becomes one absolute
 * deadline on the leader, so every node holds the same deadline, the same
 * value (DUMP byte for byte) and the same IDLETIME origin, wherever the
 * client sent it.
 */
describe('cluster: DUMP / RESTORE', function () {
  this.timeout(60000);
  const t = clusterForSuite(3);

  it('a RESTORE sent to a follower is applied alike on every node', async () => {
    const { c } = t;
    const nodes = [1, 2, 3].map((id) => c.client(id));
    await nodes[0].rpush('src', ...Array.from({ length: 300 }, (_, i) => `e${i}`));
    const payload = (await nodes[0].dumpBuffer('src')) as Buffer;
    for (const r of nodes) {
      await waitFor(async () => (await r.exists('src')) === 1, 10000, 'source applied');
      expect(((await r.dumpBuffer('src')) as Buffer).equals(payload)).to.equal(true);
    }
    // Each node restores its own key, so at least one RESTORE comes through a follower.
    for (const [i, r] of nodes.entries()) expect(await r.restore(`copy${i}`, 600000, payload, 'IDLETIME', '500')).to.equal('OK');
    for (let i = 0; i < nodes.length; i++) {
      const key = `copy${i}`;
      for (const r of nodes) await waitFor(async () => (await r.exists(key)) === 1, 10000, `${key} applied`);
      const deadlines = await Promise.all(nodes.map((r) => r.call('PEXPIRETIME', key)));
      expect(new Set(deadlines.map(String)).size, key).to.equal(1);
      for (const r of nodes) {
        // Before DUMP: a read touches the key on the node that serves it.
        expect(await r.object('IDLETIME', key)).to.be.at.least(500);
        expect(((await r.dumpBuffer(key)) as Buffer).equals(payload)).to.equal(true);
      }
    }
  });
});
