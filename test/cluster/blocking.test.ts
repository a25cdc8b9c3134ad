import { expect } from 'chai';
import type Redis from 'ioredis';
import { Cluster, sleep, waitFor } from './harness';

/**
 * Blocking pops on a 3-node cluster: a client may block on any node; the
 * leader keeps the waiters and logs each pop, so an element goes to exactly
 * one live client or stays in its list — also when clients leave and when
 * the leader dies while they wait.
 */
describe('cluster: blocking commands', function () {
  this.timeout(120000);
  let c: Cluster;
  let leader: number;
  let followers: number[];

  before(async () => {
    c = await Cluster.start({ nodes: 3 });
    leader = await c.leader();
    followers = await c.followers(leader);
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

  it('a client blocked on a follower gets an element pushed through another node', async () => {
    const blocker = c.client(followers[0]);
    const pending = blocker.blpop('q:basic', 0);
    await blockedOn(followers[0], 1);
    expect(await c.client(followers[1]).rpush('q:basic', 'hello')).to.equal(1);
    expect(await pending).to.deep.equal(['q:basic', 'hello']);
    // Popped through the log: gone on every node.
    for (const id of [leader, ...followers]) {
      await waitFor(async () => (await c.client(id).llen('q:basic')) === 0, 5000, `q:basic empty on ${id}`);
    }
  });

  /**
   * The node's blocked client has reached the leader's queue: blocked_clients
   * counts it once the node forwarded it, but its frame may still be on the
   * way. A write through the same node follows it on the same link and in the
   * log, and the leader parks the waiter when its entry applies.
   */
  async function parkedAtLeader(node: number): Promise<void> {
    await c.client(node).set('fence', String(node));
  }

  it('serves clients first come, first served, across nodes', async () => {
    const first = c.client(followers[0]);
    const second = c.client(followers[1]);
    const a = first.brpop('q:fifo', 0);
    await blockedOn(followers[0], 1);
    await parkedAtLeader(followers[0]);
    const b = second.brpop('q:fifo', 0);
    await blockedOn(followers[1], 1);
    await c.client(leader).lpush('q:fifo', 'one');
    expect(await a).to.deep.equal(['q:fifo', 'one']);
    await c.client(leader).lpush('q:fifo', 'two');
    expect(await b).to.deep.equal(['q:fifo', 'two']);
  });

  it('times out with a nil reply, and BLMOVE moves atomically when woken', async () => {
    const t0 = Date.now();
    expect(await c.client(followers[0]).blpop('q:none', 0.3)).to.equal(null);
    expect(Date.now() - t0).to.be.within(250, 3000);
    const mover = c.client(followers[1]).blmove('q:src', 'q:dst', 'LEFT', 'RIGHT', 0);
    await blockedOn(followers[1], 1);
    await c.client(followers[0]).rpush('q:src', 'job');
    expect(await mover).to.equal('job');
    expect(await c.client(leader).lrange('q:dst', 0, -1)).to.deep.equal(['job']);
  });

  it('CLIENT UNBLOCK answers the blocked client (nil, or -UNBLOCKED with ERROR) and loses nothing', async () => {
    const blocked = c.client(followers[0]);
    const id = Number(await blocked.client('ID'));
    const pending = blocked.blpop('q:unblock', 0);
    await blockedOn(followers[0], 1);
    expect(await c.client(followers[0]).client('UNBLOCK', id)).to.equal(1);
    expect(await pending).to.equal(null);
    const pending2 = blocked.blpop('q:unblock', 0).catch((e: Error) => e.message);
    await blockedOn(followers[0], 1);
    expect(await c.client(followers[0]).client('UNBLOCK', id, 'ERROR')).to.equal(1);
    expect(await pending2).to.equal('UNBLOCKED client unblocked via CLIENT UNBLOCK');
    expect(await c.client(followers[0]).client('UNBLOCK', id)).to.equal(0);
    await c.client(leader).rpush('q:unblock', 'kept');
    await sleep(300);
    expect(await c.client(leader).lrange('q:unblock', 0, -1)).to.deep.equal(['kept']);
  });

  it('an element pushed after a blocked client disconnected stays in the list', async () => {
    const gone = c.client(followers[1]);
    void gone.blpop('q:gone', 0).catch(() => undefined);
    await blockedOn(followers[1], 1);
    gone.disconnect();
    await blockedOn(followers[1], 0);
    await c.client(leader).rpush('q:gone', 'a', 'b');
    await sleep(500);
    expect(await c.client(leader).lrange('q:gone', 0, -1)).to.deep.equal(['a', 'b']);
  });

  it('inside MULTI and Lua a blocking pop does not block (Lua: only BLMPOP/BZMPOP, as in Redis 7.0)', async () => {
    const r = c.client(followers[0]);
    const res = await r.multi().blpop('q:multi', 0).exec();
    expect(res).to.deep.equal([[null, null]]);
    expect(await r.eval("return redis.call('BLMPOP', 0, 1, KEYS[1], 'LEFT')", 1, 'q:lua')).to.equal(null);
    const err = await r.eval("return redis.call('BLPOP', KEYS[1], 0)", 1, 'q:lua').catch((e: Error) => e.message);
    expect(err).to.match(/^ERR This Redis command is not allowed from script/);
  });

  it('kills the leader while consumers block on followers: every pushed element is consumed once or left in the list', async function () {
    // Once lost rarely (2 runs in ~15): an element popped for a blocked client when the leader died
    // after applying the pop but before its reply left (fixed: the pop is logged under the forwarded
    // request's id and kept until the follower acknowledges it; deterministic cases in
    // test/unit/blocking-dedup.test.ts). No retries: a loss here is a bug.
    // Start from a whole cluster with its current leader.
    for (const id of [1, 2, 3]) if (!c.running().includes(id)) await c.restart(id);
    leader = await c.leader();
    followers = await c.followers(leader);
    const total = 60;
    const consumed: string[] = [];
    let stop = false;
    const consumers: Array<Promise<void>> = [];
    const consumerClients: Redis[] = [];
    for (let i = 0; i < 4; i++) {
      const node = followers[i % 2];
      const r = c.client(node, { commandTimeout: 60000 });
      consumerClients.push(r);
      consumers.push(
        (async () => {
          while (!stop) {
            try {
              const got = await r.blpop('q:failover', 1);
              if (got) consumed.push(got[1]);
            } catch {
              await sleep(100); // the node this client is on may be the one killed: keep trying
            }
          }
        })(),
      );
    }
    const pushed: string[] = [];
    const producerNode = followers[1];
    const producer = c.client(producerNode, { commandTimeout: 20000 });
    for (let i = 0; i < total; i++) {
      if (i === total / 2) {
        await c.kill(leader);
        await c.leader(followers);
      }
      for (let attempt = 0; attempt < 20; attempt++) {
        // A name per attempt: a retried push whose first try did apply is a different element, not a duplicate.
        const item = `item-${i}-${attempt}`;
        try {
          await producer.rpush('q:failover', item);
          pushed.push(item);
          break;
        } catch (e) {
          // An unknown outcome could mean a duplicate push: the checks below tolerate only acknowledged items.
          if (!/TRYAGAIN|CLUSTERDOWN/.test((e as Error).message)) throw e;
          await sleep(200);
        }
      }
      await sleep(20);
    }
    await waitFor(async () => consumed.length + (await producer.llen('q:failover')) >= pushed.length, 30000, 'everything consumed or listed');
    await sleep(1500);
    stop = true;
    await Promise.all(consumers);
    const left = await producer.lrange('q:failover', 0, -1);
    const seen = [...consumed, ...left];
    expect(new Set(consumed).size, `no element delivered twice: ${consumed.join(' ')}`).to.equal(consumed.length);
    for (const item of pushed) expect(seen, `acknowledged ${item} lost`).to.include(item);
    await c.restart(leader);
  });
});
