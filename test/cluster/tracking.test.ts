import { expect } from 'chai';
import { createClient, BasicClientSideCache } from 'redis';
import { RawClient } from '../support/raw';
import { Cluster, sleep, waitFor } from './harness';

function cmd(...args: string[]): string {
  return `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`).join('');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/**
 * Client-side caching across the cluster: a client tracking keys on a
 * follower is told of writes made through the leader (every node applies
 * every write and invalidates for its own clients), of keys that expire,
 * and of a FLUSHALL — and node-redis's cache on a follower stays coherent.
 */
describe('cluster: client-side caching invalidations', function () {
  this.timeout(90000);
  let c: Cluster;

  before(async () => {
    c = await Cluster.start({ nodes: 3 });
    await c.leader();
  });
  after(async () => {
    await c?.stopAll();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && c) process.stderr.write(c.logTail() + '\n');
  });

  it('a follower tells its tracking client of writes through the leader; delay measured', async () => {
    const leader = await c.leader();
    const [follower] = await c.followers(leader);
    const writer = c.client(leader);
    const t = await RawClient.connect(c.node(follower).port);
    try {
      t.write(cmd('HELLO', '3') + cmd('CLIENT', 'TRACKING', 'ON'));
      await t.waitFor((s) => s.endsWith('+OK\r\n'));
      const delays: number[] = [];
      for (let i = 0; i < 20; i++) {
        const key = `cached:${i}`;
        await writer.set(key, 'v0');
        await waitFor(async () => (await c.command(follower, ['GET', key])) === 'v0', 5000, 'the follower to apply');
        const before = t.received.length;
        t.write(cmd('GET', key));
        await t.waitFor((s) => s.length > before && s.endsWith('v0\r\n'));
        const mark = t.received.length;
        const start = process.hrtime.bigint();
        await writer.set(key, 'v1');
        const acked = process.hrtime.bigint();
        const needle = `invalidate\r\n*1\r\n$${key.length}\r\n${key}\r\n`;
        await t.waitFor((s) => s.slice(mark).includes(needle), 5000);
        expect(t.received.slice(mark)).to.contain(needle);
        const got = process.hrtime.bigint();
        delays.push(Number(got - acked) / 1e6);
        void start;
      }
      process.stderr.write(`      invalidation on a follower after the leader acknowledged the SET: median ${median(delays).toFixed(2)} ms, max ${Math.max(...delays).toFixed(2)} ms (20 writes)\n`);
    } finally {
      t.socket.destroy();
    }
  });

  it('expiry and FLUSHALL reach tracking clients on every node', async () => {
    const leader = await c.leader();
    const writer = c.client(leader);
    await writer.set('short', 'v', 'PX', 400);
    await c.settle();
    const clients = await Promise.all(c.running().map((id) => RawClient.connect(c.node(id).port)));
    try {
      for (const t of clients) t.write(cmd('HELLO', '3') + cmd('CLIENT', 'TRACKING', 'ON') + cmd('GET', 'short'));
      for (const t of clients) await t.waitFor((s) => s.endsWith('$1\r\nv\r\n'));
      // The leader's expiry delete is a log entry applied everywhere: each node invalidates.
      for (const t of clients) await t.waitFor((s) => s.includes('invalidate\r\n*1\r\n$5\r\nshort\r\n'), 5000);
      for (const t of clients) expect(t.received).to.contain('invalidate\r\n*1\r\n$5\r\nshort\r\n');
      await writer.flushall();
      for (const t of clients) await t.waitFor((s) => s.includes('invalidate\r\n_\r\n'), 5000);
      for (const t of clients) expect(t.received).to.contain('invalidate\r\n_\r\n');
    } finally {
      for (const t of clients) t.socket.destroy();
    }
  });

  it("node-redis's client-side cache on a follower stays coherent with writes through the leader", async () => {
    const leader = await c.leader();
    const [follower] = await c.followers(leader);
    const cache = new BasicClientSideCache({ ttl: 0, maxEntries: 0 });
    const reader = createClient({ socket: { port: c.node(follower).port }, RESP: 3, clientSideCache: cache });
    await reader.connect();
    const writer = c.client(leader);
    try {
      for (let i = 0; i < 30; i++) {
        await writer.set('profile', `v${i}`);
        // Read until the follower has applied it (the cache may hold the previous value only until the invalidation arrives).
        const deadline = Date.now() + 3000;
        let v = await reader.get('profile');
        while (v !== `v${i}` && Date.now() < deadline) {
          await sleep(2);
          v = await reader.get('profile');
        }
        expect(v).to.equal(`v${i}`);
      }
      expect(cache.stats().hitCount).to.be.greaterThan(0);
    } finally {
      await reader.quit();
    }
  });
});
