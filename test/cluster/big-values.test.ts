import { expect } from 'chai';
import { Cluster, sleep, waitFor } from './harness';

const MB = 1024 * 1024;

/**
 * Values far over one peer frame (64 MiB) must replicate like any other:
 * the transport splits them into fragments. Before, the leader's Ready loop
 * died on the frame limit and the cluster wedged.
 */
describe('cluster: values larger than a peer frame', function () {
  this.timeout(240000);
  let cluster: Cluster;

  before(async () => {
    cluster = await Cluster.start({ nodes: 3 });
    await cluster.leader();
  });
  after(async () => {
    await cluster?.stopAll();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && cluster) process.stderr.write(cluster.logTail() + '\n');
  });

  const cases: Array<{ mb: number; via: 'leader' | 'follower'; fill: string }> = [
    { mb: 70, via: 'leader', fill: 'b' },
    { mb: 70, via: 'follower', fill: 'c' },
    { mb: 100, via: 'leader', fill: 'd' },
    { mb: 100, via: 'follower', fill: 'e' },
  ];

  for (const { mb, via, fill } of cases) {
    it(`a ${mb} MB value SET on the ${via} is readable on every node, and writes keep working`, async () => {
      const leader = await cluster.leader();
      const [follower] = await cluster.followers(leader);
      const target = via === 'leader' ? leader : follower;
      const key = `big:${mb}:${via}`;
      const bytes = mb * MB;
      // A marker at both ends and in the middle, so GETRANGE proves the bytes arrived in place.
      const value = Buffer.alloc(bytes, fill);
      value.write('HEAD', 0);
      value.write('MIDDLE', bytes / 2);
      value.write('TAIL', bytes - 4);
      const w = cluster.client(target, { commandTimeout: 120000 });
      // Moving ~100 MB through three processes on a loaded 2-core machine can
      // outlast an election timeout; a leader change then answers TRYAGAIN or
      // CLUSTERDOWN (not applied), which a client retries, as here (SET is idempotent).
      let reply: unknown;
      for (let attempt = 1; ; attempt++) {
        try {
          reply = await w.set(key, value);
          break;
        } catch (e) {
          if (attempt >= 5 || !/^(TRYAGAIN|CLUSTERDOWN)/.test((e as Error).message)) throw e;
          // Also lets an earlier attempt still in flight commit (the core refuses a second huge one meanwhile).
          await sleep(1000 * attempt);
          await cluster.leader();
        }
      }
      expect(reply).to.equal('OK');
      for (const id of cluster.running()) {
        const r = cluster.client(id, { commandTimeout: 60000 });
        await waitFor(async () => (await r.strlen(key)) === bytes, 60000, `the ${mb} MB value on node ${id}`, 200);
        expect(await r.getrange(key, 0, 3)).to.equal('HEAD');
        expect(await r.getrange(key, bytes / 2, bytes / 2 + 5)).to.equal('MIDDLE');
        expect(await r.getrange(key, -4, -1)).to.equal('TAIL');
        expect(await r.getrange(key, 1000, 1003)).to.equal(fill.repeat(4));
      }
      // The cluster still takes writes on every node, and they replicate.
      await cluster.leader();
      for (const id of cluster.running()) {
        const c = cluster.client(id);
        expect(await c.set(`after:${key}:${id}`, 'ok')).to.equal('OK');
        expect(await c.incr(`after:ctr:${key}`)).to.be.a('number');
      }
      for (const id of cluster.running()) {
        const r = cluster.client(id);
        await waitFor(async () => (await r.get(`after:ctr:${key}`)) === '3', 10000, `the counter on node ${id}`);
      }
      expect(await cluster.client(leader).del(key)).to.equal(1);
    });
  }
});
