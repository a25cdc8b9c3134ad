import { expect } from 'chai';
import type Redis from 'ioredis';
import { errorOf } from '../support/proc';
import { Cluster, waitFor } from './harness';

/**
 * Stream blocking reads on a follower seen as blocked clients: an XREAD BLOCK
 * (waiting on the follower itself) and an XREADGROUP BLOCK (parked on the
 * leader) count in the follower's INFO, show flags=b in its CLIENT LIST and
 * are released by CLIENT UNBLOCK sent to that follower. A blocked XREADGROUP
 * whose stream goes away is answered as Redis 7.2 does.
 */
describe('cluster: stream blocked clients on a follower', function () {
  this.timeout(60000);
  let c: Cluster;
  let leader: number;
  let follower: number;

  before(async () => {
    c = await Cluster.start({ nodes: 3 });
    leader = await c.leader();
    follower = (await c.followers(leader))[0];
  });
  after(async () => {
    await c?.stopAll();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && c) process.stderr.write(c.logTail() + '\n');
  });

  async function blockedOn(node: number, n: number): Promise<void> {
    await waitFor(async () => Number((await c.info(node, 'clients')).blocked_clients) === n, 10000, `${n} blocked clients on node ${node}`);
  }

  async function clientLine(r: Redis, id: number): Promise<string> {
    return String(await r.call('client', 'list')).split('\n').find((l) => l.startsWith(`id=${id} `)) ?? '';
  }

  it('CLIENT UNBLOCK on the follower releases its XREAD BLOCK (TIMEOUT and ERROR)', async () => {
    const admin = c.client(follower);
    const reader = c.client(follower);
    const id = (await reader.client('ID')) as number;
    const timedOut = reader.call('xread', 'BLOCK', '0', 'STREAMS', 'fs', '$');
    await blockedOn(follower, 1);
    expect(await clientLine(admin, id)).to.include(' flags=b ').and.include(' cmd=xread ');
    expect(await admin.call('client', 'unblock', String(id), 'TIMEOUT')).to.equal(1);
    expect(await timedOut).to.equal(null);
    await blockedOn(follower, 0);
    const failed = errorOf(reader.call('xread', 'BLOCK', '60000', 'STREAMS', 'fs', '$'));
    await blockedOn(follower, 1);
    expect((await c.info(follower, 'clients')).clients_in_timeout_table).to.equal('1');
    expect(await admin.call('client', 'unblock', String(id), 'ERROR')).to.equal(1);
    expect(await failed).to.equal('UNBLOCKED client unblocked via CLIENT UNBLOCK');
    // The same client waits again and is served by an XADD made through the leader.
    const served = reader.call('xread', 'BLOCK', '0', 'STREAMS', 'fs', '$');
    await blockedOn(follower, 1);
    await c.client(leader).xadd('fs', '7-1', 'f', 'v');
    expect(await served).to.deep.equal([['fs', [['7-1', ['f', 'v']]]]]);
    await blockedOn(follower, 0);
  });

  it('CLIENT UNBLOCK on the follower releases its XREADGROUP BLOCK, and the leader forgets the waiter', async () => {
    const admin = c.client(follower);
    const reader = c.client(follower);
    await admin.call('xgroup', 'create', 'gs', 'g', '$', 'MKSTREAM');
    const id = (await reader.client('ID')) as number;
    const p = errorOf(reader.call('xreadgroup', 'GROUP', 'g', 'c1', 'BLOCK', '0', 'STREAMS', 'gs', '>'));
    await blockedOn(follower, 1);
    expect(await clientLine(admin, id)).to.include(' flags=b ').and.include(' cmd=xreadgroup ');
    expect(await admin.call('client', 'unblock', String(id), 'ERROR')).to.equal(1);
    expect(await p).to.equal('UNBLOCKED client unblocked via CLIENT UNBLOCK');
    await blockedOn(follower, 0);
    // Nobody waits any more: a new entry stays undelivered for the next reader.
    await c.client(leader).xadd('gs', '1-1', 'f', 'v');
    await waitFor(async () => (await admin.xlen('gs')) === 1, 5000, 'the entry applied on the follower');
    expect(await admin.xpending('gs', 'g')).to.deep.equal([0, null, null, null]);
    expect(await reader.call('xreadgroup', 'GROUP', 'g', 'c2', 'STREAMS', 'gs', '>')).to.deep.equal([['gs', [['1-1', ['f', 'v']]]]]);
  });

  it("an XREADGROUP BLOCK on a follower is answered when its stream is deleted or overwritten through another node (Redis 7.2's replies)", async () => {
    const admin = c.client(follower);
    const other = c.client(leader);
    for (const [key, change, expected] of [
      ['del1', () => other.del('del1'), "NOGROUP No such key 'del1' or consumer group 'g' in XREADGROUP with GROUP option"],
      ['set1', () => other.set('set1', 'x'), 'WRONGTYPE Operation against a key holding the wrong kind of value'],
    ] as const) {
      await admin.call('xgroup', 'create', key, 'g', '$', 'MKSTREAM');
      const reader = c.client(follower);
      const p = errorOf(reader.call('xreadgroup', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', key, '>'));
      await blockedOn(follower, 1);
      await admin.set('fence', key); // behind the XREADGROUP on the follower's link: the leader has parked it
      await change();
      expect(await p).to.equal(expected);
      await blockedOn(follower, 0);
    }
  });
});
