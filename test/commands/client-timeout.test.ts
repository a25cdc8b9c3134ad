import { expect } from 'chai';
import Redis from 'ioredis';
import { serverForSuite } from '../support/proc';
import { RawClient, resp } from '../support/raw';

/** Redis's idle-client `timeout` (seconds, 0 = never), CONFIG SET-able. */
describe('CONFIG SET timeout: idle clients are closed', function () {
  this.timeout(20000);
  const t = serverForSuite();

  afterEach(async () => {
    await t.r.config('SET', 'timeout', '0');
  });

  it('is 0 by default, accepts 70, refuses negatives with Redis wording', async () => {
    expect(await t.r.config('GET', 'timeout')).to.deep.equal(['timeout', '0']);
    expect(await t.r.config('SET', 'timeout', '70')).to.equal('OK');
    expect(await t.r.config('GET', 'timeout')).to.deep.equal(['timeout', '70']);
    const err = await t.r.config('SET', 'timeout', '-1').catch((e: Error) => e.message);
    expect(err).to.equal("ERR CONFIG SET failed (possibly related to argument 'timeout') - argument must be between 0 and 2147483647 inclusive");
  });

  it('closes a client idle for longer than timeout, but not a subscribed or a blocked one', async () => {
    const holder = new Redis({ port: t.srv.port });
    const idle = await RawClient.connect(t.srv.port);
    const sub = await RawClient.connect(t.srv.port);
    const blocked = await RawClient.connect(t.srv.port);
    try {
      // `blocked` waits (up to 10 s) for a lock `holder` has: a command in progress.
      expect(await holder.call('LOCK.ACQUIRE', 'tlock', 'holder', '60000')).to.be.a('number');
      sub.write(resp('SUBSCRIBE', 'ch'));
      await sub.waitFor((x) => x.includes(':1\r\n'));
      blocked.write(resp('LOCK.ACQUIRE', 'tlock', 'b', '60000', 'WAIT', '10000'));
      const active = new Redis({ port: t.srv.port });
      expect(await t.r.config('SET', 'timeout', '1')).to.equal('OK');
      // A client that keeps talking is never idle.
      const deadline = Date.now() + 3000;
      while (!idle.closed && Date.now() < deadline) {
        expect(await active.ping()).to.equal('PONG');
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(idle.closed, 'idle client still open').to.equal(true);
      expect(idle.received).to.equal('');
      expect(sub.closed).to.equal(false);
      expect(blocked.closed).to.equal(false);
      expect(blocked.received).to.equal('');
      expect(await active.ping()).to.equal('PONG');
      active.disconnect();
      // Once its command answers, the blocked client is an idle client like any other.
      await t.r.config('SET', 'timeout', '0');
      await holder.call('LOCK.RELEASE', 'tlock', 'holder');
      expect(await blocked.waitFor((x) => x.startsWith(':'))).to.match(/^:\d+\r\n$/);
    } finally {
      idle.close();
      sub.close();
      blocked.close();
      holder.disconnect();
    }
  });
});
