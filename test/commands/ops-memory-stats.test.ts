/**
 * MEMORY STATS: Redis 7's fields, in its order and with its types, side by
 * side with redis-server; the figures that exist here (used_memory, keys,
 * client buffers, script cache) are this server's.
 */
import { expect } from 'chai';
import Redis from 'ioredis';
import { serverForSuite } from '../support/proc';
import { startReferenceRedis, type ReferenceRedis } from '../support/reference-redis';

const shape = (flat: unknown[]): Array<[string, string]> => {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < flat.length; i += 2) {
    const v = flat[i + 1];
    out.push([String(flat[i]), Array.isArray(v) ? `map:${shape(v).map((e) => e[0]).join(',')}` : typeof v]);
  }
  return out;
};

describe('MEMORY STATS (ops)', function () {
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

  it('has Redis fields, order and types, with and without keys', async () => {
    expect(shape((await t.r.call('memory', 'stats')) as unknown[])).to.deep.equal(shape((await rr.call('memory', 'stats')) as unknown[]));
    for (const r of [t.r, rr]) {
      await r.set('a', 'x'.repeat(1000));
      await r.select(3);
      await r.set('b', '1');
      await r.select(0);
    }
    const ours = (await t.r.call('memory', 'stats')) as unknown[];
    expect(shape(ours)).to.deep.equal(shape((await rr.call('memory', 'stats')) as unknown[]));
    const o: Record<string, unknown> = {};
    for (let i = 0; i < ours.length; i += 2) o[String(ours[i])] = ours[i + 1];
    const info = await t.r.info('memory');
    expect(o['total.allocated']).to.equal(Number(/used_memory:(\d+)/.exec(info)![1]));
    expect(o['keys.count']).to.equal(2);
    expect(o['keys.bytes-per-key']).to.equal(Math.floor((o['total.allocated'] as number) / 2));
    expect(o['peak.allocated']).to.be.at.least(o['total.allocated'] as number);
    expect(o['clients.normal']).to.be.greaterThan(0);
    expect(Number(o['dataset.percentage'])).to.be.within(0, 100);
  });

  it('answers doubles in RESP3 and Redis HELP text', async () => {
    const r3 = new Redis({ port: t.srv.port });
    const ref3 = new Redis({ port: ref.port });
    try {
      for (const r of [r3, ref3]) await r.call('hello', '3');
      expect(shape((await r3.call('memory', 'stats')) as unknown[])).to.deep.equal(shape((await ref3.call('memory', 'stats')) as unknown[]));
    } finally {
      r3.disconnect();
      ref3.disconnect();
    }
    expect(await t.r.call('memory', 'help')).to.deep.equal(await rr.call('memory', 'help'));
  });
});
