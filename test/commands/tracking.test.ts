/**
 * Client-side caching (CLIENT TRACKING): the exact bytes a tracking client
 * receives, side by side with redis-server 7.0 for the same sequence, and
 * node-redis's own client-side cache on top of it.
 */
import { expect } from 'chai';
import Redis from 'ioredis';
import { createClient, BasicClientSideCache } from 'redis';
import { startServer, type RunningServer } from '../support/proc';
import { RawClient } from '../support/raw';
import { startReferenceRedis, type ReferenceRedis } from '../support/reference-redis';

function cmd(...args: string[]): string {
  return `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`).join('');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One scenario on one server: a tracking client (set up by `setup`), a
 * writer sending `writes` one after the other; returns what the tracking
 * client received after its setup replies (pushes and replies, in order).
 */
async function scenario(port: number, setup: string[][], writes: string[][], after: string[][] = []): Promise<string> {
  const w = new Redis({ port });
  await w.flushall();
  await w.set('user:1', 'a');
  await w.set('other', 'b');
  const t = await RawClient.connect(port);
  t.write(cmd('HELLO', '3'));
  await t.waitFor((s) => s.includes('modules'));
  const mark = t.received.length;
  for (const c of setup) t.write(cmd(...c));
  await sleep(150);
  for (const c of writes) {
    await w.call(c[0], ...c.slice(1));
  }
  await sleep(150);
  for (const c of after) t.write(cmd(...c));
  await sleep(150);
  const got = t.received.slice(mark);
  t.socket.destroy();
  w.disconnect();
  return got;
}

describe('client-side caching (CLIENT TRACKING)', function () {
  this.timeout(60000);
  let srv: RunningServer;
  let ref: ReferenceRedis;

  before(async () => {
    srv = await startServer();
    ref = await startReferenceRedis();
  });
  after(async () => {
    await srv?.stop();
    await ref?.stop();
  });

  async function same(setup: string[][], writes: string[][], after: string[][] = []): Promise<string> {
    const mine = await scenario(srv.port, setup, writes, after);
    const theirs = await scenario(ref.port, setup, writes, after);
    expect(mine).to.equal(theirs);
    return mine;
  }

  it('default mode: a key read is invalidated once when written; FLUSHALL invalidates everything', async () => {
    const got = await same(
      [['CLIENT', 'TRACKING', 'ON'], ['GET', 'user:1'], ['MGET', 'other', 'nokey']],
      [['SET', 'user:1', 'x'], ['SET', 'user:1', 'y'], ['DEL', 'nokey'], ['INCR', 'counter'], ['FLUSHALL']],
      [['CLIENT', 'TRACKINGINFO']],
    );
    expect(got).to.contain('>2\r\n$10\r\ninvalidate\r\n*1\r\n$6\r\nuser:1\r\n');
    expect(got).to.contain('>2\r\n$10\r\ninvalidate\r\n_\r\n');
  });

  it('BCAST with prefixes: every change under a prefix, read or not', async () => {
    await same([['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'user:', 'PREFIX', 'job:']], [['SET', 'user:2', 'x'], ['SET', 'other', 'y'], ['LPUSH', 'job:q', 'a'], ['EXPIRE', 'user:1', '100']]);
  });

  it('OPTIN tracks only after CLIENT CACHING yes; OPTOUT skips after CLIENT CACHING no', async () => {
    await same([['CLIENT', 'TRACKING', 'ON', 'OPTIN'], ['GET', 'other'], ['CLIENT', 'CACHING', 'yes'], ['GET', 'user:1']], [['SET', 'other', 'x'], ['SET', 'user:1', 'y']]);
    await same([['CLIENT', 'TRACKING', 'ON', 'OPTOUT'], ['CLIENT', 'CACHING', 'no'], ['GET', 'other'], ['GET', 'user:1']], [['SET', 'other', 'x'], ['SET', 'user:1', 'y']]);
  });

  it('NOLOOP: the client is not told of its own writes', async () => {
    for (const port of [srv.port, ref.port]) {
      const t = await RawClient.connect(port);
      t.write(cmd('HELLO', '3') + cmd('CLIENT', 'TRACKING', 'ON', 'BCAST', 'NOLOOP') + cmd('SET', 'mine', '1'));
      await sleep(200);
      const w = new Redis({ port });
      await w.set('theirs', '1');
      await sleep(200);
      w.disconnect();
      const got = t.received;
      t.socket.destroy();
      expect(got, `port ${port}`).to.not.contain('$4\r\nmine\r\n');
      expect(got, `port ${port}`).to.contain('invalidate\r\n*1\r\n$6\r\ntheirs\r\n');
    }
  });

  it('RESP2: invalidations go to a REDIRECT client subscribed to __redis__:invalidate', async () => {
    const seen: string[][] = [];
    for (const port of [srv.port, ref.port]) {
      const sub = new Redis({ port, protocol: 2 });
      const redirectTo = String(await sub.client('ID'));
      const messages: string[] = [];
      sub.on('message', (ch: string, msg: unknown) => messages.push(`${ch} ${JSON.stringify(msg)}`));
      await sub.subscribe('__redis__:invalidate');
      const t = new Redis({ port, protocol: 2 });
      expect(await t.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', redirectTo)).to.equal('OK');
      expect(await t.call('CLIENT', 'GETREDIR')).to.equal(Number(redirectTo));
      await t.get('user:1');
      await new Redis({ port }).set('user:1', 'changed');
      await sleep(200);
      seen.push(messages);
      t.disconnect();
      sub.disconnect();
    }
    expect(seen[0]).to.have.length(1);
    expect(seen[0][0]).to.contain('__redis__:invalidate');
    expect(seen[0]).to.deep.equal(seen[1]);
  });

  it('errors and TRACKINGINFO as redis-server words them', async () => {
    const cases: string[][][] = [
      [['CLIENT', 'TRACKING', 'ON', 'REDIRECT', '99999']],
      [['CLIENT', 'TRACKING', 'ON', 'PREFIX', 'a']],
      [['CLIENT', 'TRACKING', 'ON', 'OPTIN', 'OPTOUT']],
      [['CLIENT', 'TRACKING', 'ON', 'BCAST', 'OPTIN']],
      [['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'a', 'PREFIX', 'ab']],
      [['CLIENT', 'TRACKING', 'MAYBE']],
      [['CLIENT', 'CACHING', 'yes']],
      [['CLIENT', 'TRACKING', 'ON', 'OPTIN'], ['CLIENT', 'CACHING', 'no'], ['CLIENT', 'CACHING', 'yes'], ['CLIENT', 'TRACKINGINFO'], ['CLIENT', 'GETREDIR'], ['CLIENT', 'TRACKING', 'ON', 'BCAST']],
      [['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'a', 'PREFIX', 'b', 'NOLOOP'], ['CLIENT', 'TRACKINGINFO'], ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'ab'], ['CLIENT', 'TRACKING', 'OFF'], ['CLIENT', 'TRACKINGINFO'], ['CLIENT', 'GETREDIR']],
    ];
    for (const steps of cases) {
      const out: string[] = [];
      for (const port of [srv.port, ref.port]) {
        const t = await RawClient.connect(port);
        t.write(steps.map((s) => cmd(...s)).join(''));
        await sleep(150);
        out.push(t.received);
        t.socket.destroy();
      }
      expect(out[0], JSON.stringify(steps)).to.equal(out[1]);
    }
  });

  it('node-redis client-side cache: hits served locally until another client writes', async () => {
    const cache = new BasicClientSideCache({ ttl: 0, maxEntries: 0 });
    const c = createClient({ socket: { port: srv.port }, RESP: 3, clientSideCache: cache });
    await c.connect();
    const w = new Redis({ port: srv.port });
    try {
      await w.set('csc', 'v1');
      expect(await c.get('csc')).to.equal('v1');
      expect(await c.get('csc')).to.equal('v1');
      expect(cache.stats().hitCount).to.equal(1);
      await w.set('csc', 'v2');
      // The invalidation arrives on the cached connection; the next GET goes to the server.
      const t0 = Date.now();
      let v = await c.get('csc');
      while (v !== 'v2' && Date.now() - t0 < 2000) {
        await sleep(1); // cache hits resolve without I/O: let the invalidation in
        v = await c.get('csc');
      }
      expect(v).to.equal('v2');
    } finally {
      w.disconnect();
      await c.quit();
    }
  });
});
