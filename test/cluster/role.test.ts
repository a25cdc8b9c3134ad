import { expect } from 'chai';
import { clusterForSuite, waitFor } from './harness';

/** ROLE in Redis's shape: the leader is "master" with its followers, a follower a "slave" of the leader. */
describe('cluster: ROLE', function () {
  this.timeout(60000);
  const t = clusterForSuite(3);

  it('names the leader master (with both followers) and the others its replicas', async () => {
    const leader = await t.c.leader();
    await t.c.client(leader).set('role-k', 'v');
    const followers = [1, 2, 3].filter((id) => id !== leader);
    const master = (await waitFor(async () => {
      const r = (await t.c.client(leader).call('role')) as [string, number, Array<[string, string, string]>];
      return r[2].length === 2 && r[2].every((f) => Number(f[2]) > 0) ? r : undefined;
    }, 5000, 'followers with a matched index')) as [string, number, Array<[string, string, string]>];
    expect(master[0]).to.equal('master');
    expect(master[1]).to.be.greaterThan(0);
    expect(master[2].map((f) => Number(f[1])).sort()).to.deep.equal(followers.map((id) => t.c.node(id).port).sort());
    for (const id of followers) {
      const r = (await waitFor(async () => {
        const x = (await t.c.client(id).call('role')) as [string, string, number, string, number];
        return x[3] === 'connected' ? x : undefined;
      }, 5000, `node ${id} connected`)) as [string, string, number, string, number];
      expect(r.slice(0, 4)).to.deep.equal(['slave', '127.0.0.1', t.c.node(leader).port, 'connected']);
      expect(r[4]).to.be.greaterThan(0);
    }
  });
});
