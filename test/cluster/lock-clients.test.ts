import { expect } from 'chai';
import { redisPython } from '../support/python';
import { spawnSync } from 'node:child_process';
import Redlock from 'redlock';
import { Cluster } from './harness';

/**
 * The Redis lock clients people already use, unchanged, against a 3-node
 * cluster: npm `redlock` (SET NX PX + Lua via EVAL) and redis-py's `Lock`
 * (Debian's python3-redis), through a follower so writes are forwarded.
 */
describe('cluster: existing Redis lock clients work unchanged', function () {
  this.timeout(60000);
  let cluster: Cluster | undefined;

  before(async () => {
    cluster = await Cluster.start({ nodes: 3 });
  });
  after(async () => {
    await cluster?.stopAll();
  });

  it('npm redlock: acquire, exclude a second holder, extend, release', async () => {
    const c = cluster!;
    const leader = await c.leader();
    const follower = [1, 2, 3].find((id) => id !== leader)!;
    // redlock 4 types predate ioredis 5 (runtime-compatible: it calls eval/evalsha).
    const asClient = (r: unknown) => r as Redlock.CompatibleRedisClient;
    const redlock = new Redlock([asClient(c.client(follower))], { retryCount: 0 });
    const other = new Redlock([asClient(c.client(leader))], { retryCount: 0 });
    const lock = await redlock.lock('locks:redlock', 5000);
    const refused = await other.lock('locks:redlock', 5000).then(
      () => 'acquired twice',
      (e: Error) => e.name,
    );
    expect(refused).to.equal('LockError');
    const extended = await lock.extend(10000);
    const pttl = await c.client(leader).pttl('locks:redlock');
    expect(pttl).to.be.within(5000, 10000);
    await extended.unlock();
    expect(await c.client(leader).exists('locks:redlock')).to.equal(0);
    const again = await other.lock('locks:redlock', 5000);
    await again.unlock();
  });

  it('redis-py Lock: acquire, extend, reacquire, release', async function () {
    const py = redisPython();
    if (spawnSync(py, ['-c', 'import redis']).status !== 0) {
      console.log('      (skipped: python3-redis not installed; apt-get install -y python3-redis)');
      this.skip();
    }
    const c = cluster!;
    const leader = await c.leader();
    const follower = [1, 2, 3].find((id) => id !== leader)!;
    const script = `
import redis, sys
r = redis.Redis(port=${c.node(follower).port})
other = redis.Redis(port=${c.node(leader).port})
lock = r.lock("locks:py", timeout=5, blocking_timeout=2)
assert lock.acquire(), "acquire"
assert lock.owned(), "owned"
assert not other.lock("locks:py", timeout=5, blocking_timeout=0.2).acquire(), "second holder"
assert lock.extend(5), "extend"
assert 5000 < other.pttl("locks:py") <= 10000, "extended ttl"
assert lock.reacquire(), "reacquire"
lock.release()
assert other.exists("locks:py") == 0, "released"
print("ok")
`;
    const r = spawnSync(py, ['-c', script], { encoding: 'utf8', timeout: 30000 });
    expect(r.stderr).to.equal('');
    expect(r.stdout.trim()).to.equal('ok');
  });
});
