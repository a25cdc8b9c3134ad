import { expect } from 'chai';
import { Cluster, waitFor } from './harness';

/** Lua scripts and compare-and-set through a follower, replicated to every node. */
describe('cluster: scripts and compare-and-set', function () {
  this.timeout(60000);
  let c: Cluster;
  before(async () => {
    c = await Cluster.start({ nodes: 3 });
    await c.leader();
  });
  after(async () => {
    await c?.stopAll();
  });

  it('EVAL and EVALSHA through a follower; the script cache is on every node', async () => {
    const leader = await c.leader();
    const f = [1, 2, 3].find((id) => id !== leader)!;
    const script = "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('INCR', KEYS[2])";
    expect(await c.client(f).eval(script, 2, 'sk', 'sc', 'v')).to.equal(1);
    const sha = (await c.client(f).script('LOAD', script)) as string;
    for (const id of [1, 2, 3]) {
      await waitFor(async () => ((await c.client(id).script('EXISTS', sha)) as number[])[0] === 1, 5000, `script on node ${id}`);
      expect(await c.client(id).evalsha(sha, 2, 'sk', 'sc', 'w')).to.be.a('number');
    }
    await waitFor(async () => (await c.client(leader).get('sc')) === '4', 5000, 'counter');
  });

  it('SET IFEQ, DELIFEQ and DELEX through a follower', async () => {
    const leader = await c.leader();
    const f = [1, 2, 3].find((id) => id !== leader)!;
    const r = c.client(f);
    await r.set('cas', 'a');
    expect(await r.call('set', 'cas', 'b', 'IFEQ', 'a')).to.equal('OK');
    expect(await r.call('set', 'cas', 'c', 'IFEQ', 'a')).to.equal(null);
    expect(await r.call('delifeq', 'cas', 'a')).to.equal(0);
    expect(await r.call('delex', 'cas', 'IFEQ', 'b')).to.equal(1);
    expect(await c.client(leader).exists('cas')).to.equal(0);
  });
});
