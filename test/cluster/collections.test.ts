import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import type Redis from 'ioredis';
import { Cluster, indexField, waitFor } from './harness';

/**
 * Collections in the durable keyspace copy: every node holds the same
 * hashes, lists, sets and sorted sets in the same iteration order — nodes
 * that applied every entry, a node restarted from its own copy, and a node
 * that caught up by snapshot after the leader compacted its log — because
 * HGETALL, SMEMBERS, the SCAN family and Lua see that order, and a script
 * that iterates must decide the same on every node.
 */
describe('cluster: collections survive restart and snapshot install, in the same order on every node', function () {
  this.timeout(180000);
  let c: Cluster;

  before(async () => {
    c = await Cluster.start({ nodes: 3, args: ['--snapshot-entries', '20', '--log-tail', '20'] });
    await c.leader();
  });
  after(async () => {
    await c?.stopAll();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && c) process.stderr.write(c.logTail(60) + '\n');
  });

  async function fullScan(r: Redis, cmd: 'hscan' | 'sscan' | 'zscan', key: string): Promise<string[]> {
    const out: string[] = [];
    let cursor = '0';
    do {
      const [next, items] = (await r.call(cmd, key, cursor, 'COUNT', '50')) as [string, string[]];
      out.push(...items);
      cursor = next;
    } while (cursor !== '0');
    return out;
  }

  /** Everything a client or script could observe about the collections' contents and order. */
  async function view(id: number): Promise<unknown> {
    const r = c.client(id);
    return {
      hash: await r.hgetall('h'),
      hkeys: await r.hkeys('h'),
      list: await r.lrange('l', 0, -1),
      set: await r.smembers('s'),
      intset: await r.smembers('si'),
      zset: await r.call('zrange', 'z', '0', '-1', 'WITHSCORES'),
      hscan: await fullScan(r, 'hscan', 'h'),
      sscan: await fullScan(r, 'sscan', 's'),
      zscan: await fullScan(r, 'zscan', 'z'),
      lua: await r.eval("return table.concat(redis.call('SMEMBERS', KEYS[1]), ',')", 1, 's'),
      types: await Promise.all(['h', 'l', 's', 'si', 'z'].map((k) => r.type(k))),
      encodings: await Promise.all(['h', 'l', 's', 'si', 'z', 'small'].map((k) => r.object('ENCODING', k))),
    };
  }

  async function sameEverywhere(ids: number[]): Promise<unknown> {
    await c.settle(ids);
    const views = await Promise.all(ids.map((id) => view(id)));
    for (let i = 1; i < views.length; i++) expect(views[i], `node ${ids[i]} vs node ${ids[0]}`).to.deep.equal(views[0]);
    return views[0];
  }

  async function writeSome(r: Redis, round: number): Promise<void> {
    for (let i = 0; i < 300; i++) {
      const n = round * 1000 + i;
      await r.hset('h', `f${n}`, `v${n}`);
      await r.rpush('l', `e${n}`);
      await r.sadd('s', `m${(n * 7919) % 100000}`);
      await r.sadd('si', String(n));
      await r.zadd('z', n % 97, `z${n}`);
    }
    // Changes in the middle, not only appends.
    await r.hdel('h', `f${round * 1000 + 5}`);
    await r.hset('h', `f${round * 1000 + 6}`, 'updated');
    await r.linsert('l', 'BEFORE', `e${round * 1000 + 10}`, 'inserted');
    await r.lrem('l', 1, `e${round * 1000 + 11}`);
    await r.srem('s', `m${((round * 1000 + 3) * 7919) % 100000}`);
    await r.zincrby('z', 1000, `z${round * 1000 + 1}`);
    await r.hset('small', 'a', '1');
  }

  it('the same contents and order after a restart from the durable copy and after a snapshot install', async () => {
    const leader = await c.leader();
    const [restarted, lagger] = await c.followers(leader);
    const w = c.client(restarted);
    await writeSome(w, 0);
    const first = await sameEverywhere([leader, restarted, lagger]);

    // A follower restarted from its own durable copy (the keyspace flush plus its log).
    await c.kill(restarted, 'SIGTERM');
    await c.restart(restarted);
    expect(await sameEverywhere([leader, restarted, lagger])).to.deep.equal(first);

    // A follower down while the others write and compact past it: it comes back by snapshot.
    const laggerHad = indexField(await c.info(lagger), 'applied');
    await c.kill(lagger, 'SIGKILL');
    const l = c.client(leader);
    await writeSome(l, 1);
    // Compacted past everything the lagger has: it can only come back by snapshot.
    for (let i = 0; i < 100 || indexField(await c.info(leader), 'first') <= laggerHad + 1; i++) {
      await l.set(`pad:${i}`, 'x');
      if (i > 100) await new Promise((r) => setTimeout(r, 20));
      if (i > 5000) throw new Error(`the leader never compacted past ${laggerHad}`);
    }
    const logsBefore = c.node(lagger).logs.length;
    await c.restart(lagger);
    await waitFor(async () => indexField(await c.info(lagger), 'applied') >= indexField(await c.info(leader), 'commit'), 60000, 'the lagging node to catch up');
    expect(c.node(lagger).logs.slice(logsBefore).join('\n'), 'it installed a snapshot').to.match(/snapshot installed/);
    const after = (await sameEverywhere([leader, restarted, lagger])) as { hash: Record<string, string>; list: string[] };
    expect(after.hash.f6).to.equal('updated');
    expect(after.list).to.include('inserted');
    expect(after.list).to.have.length(2 * 300 + 2 - 2);
  });

  it("redis-benchmark's default test list runs with zero errors through a follower (every write forwarded)", async () => {
    const leader = await c.leader();
    const [follower] = await c.followers(leader);
    const r = spawnSync('redis-benchmark', ['-p', String(c.node(follower).port), '-n', '1000', '-c', '10', '-q'], { encoding: 'utf8', timeout: 170000 });
    const out = r.stdout + r.stderr;
    expect(r.status).to.equal(0, out);
    expect(out).to.not.match(/error|ERR|WRONGTYPE|TRYAGAIN|CLUSTERDOWN/i);
    for (const t of ['PING_INLINE', 'SET', 'GET', 'INCR', 'LPUSH', 'RPUSH', 'LPOP', 'RPOP', 'SADD', 'HSET', 'SPOP', 'ZADD', 'ZPOPMIN', 'LRANGE_600', 'MSET']) {
      expect(out, `${t} missing`).to.contain(`${t}`);
    }
    expect((out.match(/requests per second/g) ?? []).length).to.equal(20);
  });
});
