import { expect } from 'chai';
import { clusterForSuite, waitFor } from './harness';

/** Lua scripts and compare-and-set through a follower, replicated to every node. */
describe('cluster: scripts and compare-and-set', function () {
  this.timeout(60000);
  const t = clusterForSuite(3);

  it('EVAL and EVALSHA through a follower; the script cache is on every node', async () => {
    const leader = await t.c.leader();
    const f = [1, 2, 3].find((id) => id !== leader)!;
    const script = "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('INCR', KEYS[2])";
    expect(await t.c.client(f).eval(script, 2, 'sk', 'sc', 'v')).to.equal(1);
    const sha = (await t.c.client(f).script('LOAD', script)) as string;
    for (const id of [1, 2, 3]) {
      await waitFor(async () => ((await t.c.client(id).script('EXISTS', sha)) as number[])[0] === 1, 5000, `script on node ${id}`);
      expect(await t.c.client(id).evalsha(sha, 2, 'sk', 'sc', 'w')).to.be.a('number');
    }
    await waitFor(async () => (await t.c.client(leader).get('sc')) === '4', 5000, 'counter');
  });

  it('SET IFEQ, DELIFEQ and DELEX through a follower', async () => {
    const leader = await t.c.leader();
    const f = [1, 2, 3].find((id) => id !== leader)!;
    const r = t.c.client(f);
    await r.set('cas', 'a');
    expect(await r.call('set', 'cas', 'b', 'IFEQ', 'a')).to.equal('OK');
    expect(await r.call('set', 'cas', 'c', 'IFEQ', 'a')).to.equal(null);
    expect(await r.call('delifeq', 'cas', 'a')).to.equal(0);
    expect(await r.call('delex', 'cas', 'IFEQ', 'b')).to.equal(1);
    expect(await t.c.client(leader).exists('cas')).to.equal(0);
  });
});
