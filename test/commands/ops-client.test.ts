/**
 * CLIENT PAUSE / UNPAUSE / NO-EVICT / REPLY: the same raw pipelines give the
 * same bytes as redis-server (CLIENT REPLY), errors as Redis, and PAUSE holds
 * what Redis 7 holds (writes, scripts that may write, EXEC of writes; every
 * command with ALL) while reads go on, keeping each client's reply order.
 */
import { expect } from 'chai';
import Redis from 'ioredis';
import { errorOf, serverForSuite } from '../support/proc';
import { RawClient, resp } from '../support/raw';
import { startReferenceRedis, type ReferenceRedis } from '../support/reference-redis';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves with how long p took. */
async function took(p: Promise<unknown>): Promise<number> {
  const start = Date.now();
  await p;
  return Date.now() - start;
}

describe('CLIENT PAUSE / REPLY / NO-EVICT (ops)', function () {
  this.timeout(60000);
  const t = serverForSuite();
  let ref: ReferenceRedis;
  let rr: Redis;

  before(async () => {
    ref = await startReferenceRedis();
    rr = new Redis({ port: ref.port });
  });
  after(async () => {
    rr?.disconnect();
    await ref?.stop();
  });

  async function pipelineText(port: number, commands: string[][]): Promise<string> {
    const c = await RawClient.connect(port);
    try {
      c.write(Buffer.concat([...commands.map((a) => resp(...a)), resp('ECHO', 'end-of-test')]));
      return await c.waitFor((text) => text.includes('end-of-test'));
    } finally {
      c.close();
    }
  }

  it('CLIENT REPLY OFF / ON / SKIP: the same bytes as redis-server', async () => {
    const commands = [
      ['SET', 'r', '1'],
      ['CLIENT', 'REPLY', 'OFF'],
      ['SET', 'r', '2'],
      ['GET', 'r'],
      ['NOSUCHCOMMAND'],
      ['CLIENT', 'REPLY', 'SKIP'],
      ['CLIENT', 'REPLY', 'ON'],
      ['GET', 'r'],
      ['CLIENT', 'REPLY', 'SKIP'],
      ['INCR', 'r'],
      ['GET', 'r'],
      ['CLIENT', 'REPLY', 'SKIP'],
      ['CLIENT', 'REPLY', 'SKIP'],
      ['PING'],
      ['PING', 'after'],
      ['CLIENT', 'REPLY', 'MAYBE'],
      ['CLIENT', 'REPLY'],
      ['CLIENT', 'REPLY', 'SKIP'],
      ['EXEC'],
      ['CLIENT', 'REPLY', 'OFF'],
      ['CLIENT', 'REPLY', 'SKIP'],
      ['CLIENT', 'REPLY', 'ON'],
      ['GET', 'r'],
    ];
    const ours = await pipelineText(t.srv.port, commands);
    const theirs = await pipelineText(ref.port, commands);
    expect(ours).to.equal(theirs);
    expect(ours.startsWith('+OK\r\n+OK\r\n$1\r\n2\r\n')).to.equal(true); // SET, then ON's OK, then GET
  });

  it('errors and NO-EVICT as redis-server', async () => {
    for (const args of [
      ['pause', 'x'], ['pause', '-1'], ['pause', '10', 'foo'], ['pause', '10', 'write', 'x'], ['pause', '1.5'], ['unpause', 'x'],
      ['no-evict'], ['no-evict', 'maybe'], ['reply'], ['reply', 'maybe'], ['reply', 'on', 'x'],
    ]) {
      expect(await errorOf(t.r.call('client', ...args)), args.join(' ')).to.equal(await errorOf(rr.call('client', ...args)));
    }
    expect(await t.r.call('client', 'no-evict', 'on')).to.equal('OK');
    expect(String(await t.r.call('client', 'info'))).to.match(/ flags=e /);
    expect(await t.r.call('client', 'no-evict', 'OFF')).to.equal('OK');
    expect(String(await t.r.call('client', 'info'))).to.match(/ flags=N /);
  });

  it('PAUSE WRITE holds writes, scripts that write and EXEC of writes; reads go on', async () => {
    const b = new Redis({ port: t.srv.port });
    try {
      await b.set('w', '0');
      expect(await t.r.call('client', 'pause', '1000', 'write')).to.equal('OK');
      const start = Date.now();
      const set = b.set('w', '1').then(() => Date.now() - start);
      const other = new Redis({ port: t.srv.port });
      expect(await took(other.get('w'))).to.be.below(700);
      expect(await other.get('w')).to.equal('0');
      expect(await took(other.call('eval_ro', "return redis.call('get', KEYS[1])", 1, 'w'))).to.be.below(700);
      const script = other.eval("return redis.call('incr', KEYS[1])", 1, 'w').then(() => Date.now() - start);
      expect(await set).to.be.at.least(900);
      expect(await script).to.be.at.least(900);
      expect(await other.get('w')).to.equal('2');
      other.disconnect();
      // A transaction: the queued SET is held as Redis 7 holds it.
      await t.r.call('client', 'pause', '300', 'write');
      const multi = took(b.multi().set('m', '1').get('m').exec());
      expect(await multi).to.be.at.least(200);
    } finally {
      b.disconnect();
    }
  });

  it('PAUSE ALL holds every command; UNPAUSE releases at once, each client in order', async () => {
    const b = new Redis({ port: t.srv.port });
    try {
      await b.ping();
      await t.r.call('client', 'pause', '300', 'all');
      expect(await took(b.ping())).to.be.at.least(200);
      await t.r.call('client', 'pause', '20000', 'write');
      const pipeline = b.pipeline().set('p', '1').get('p').incr('p').echo('x').exec();
      await sleep(200);
      expect(await t.r.get('p')).to.equal(null); // held, nothing ran
      const released = took(pipeline);
      expect(await t.r.call('client', 'unpause')).to.equal('OK');
      expect(await released).to.be.below(2000);
      expect((await pipeline)!.map((r) => r[1])).to.deep.equal(['OK', '1', 2, 'x']);
    } finally {
      b.disconnect();
    }
  });

  it('a held client that leaves is forgotten; its write never runs', async () => {
    const b = new Redis({ port: t.srv.port, maxRetriesPerRequest: 0, retryStrategy: () => null });
    b.on('error', () => undefined);
    await b.ping();
    await t.r.call('client', 'pause', '20000', 'write');
    void b.set('gone', '1').catch(() => undefined);
    await sleep(100);
    b.disconnect();
    await sleep(100);
    await t.r.call('client', 'unpause');
    await sleep(100);
    expect(await t.r.get('gone')).to.equal(null);
  });
});
