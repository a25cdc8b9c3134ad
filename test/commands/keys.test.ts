import { expect } from 'chai';
import { errorOf, serverForSuite } from '../support/proc';

const err = errorOf;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('key commands and expiry through ioredis', function () {
  const t = serverForSuite();
  beforeEach(async () => {
    await t.r.flushall();
  });

  it('DEL, UNLINK, EXISTS (counting repeats), TOUCH, DBSIZE', async () => {
    await t.r.mset('a', '1', 'b', '2', 'c', '3');
    expect(await t.r.exists('a', 'a', 'zz')).to.equal(2);
    expect(await t.r.touch('a', 'b', 'zz')).to.equal(2);
    expect(await t.r.del('a', 'zz')).to.equal(1);
    expect(await t.r.unlink('b')).to.equal(1);
    expect(await t.r.dbsize()).to.equal(1);
  });

  it('keys expire: invisible at the deadline, then deleted by the leader', async () => {
    await t.r.set('short', 'v', 'PX', 100);
    await t.r.set('long', 'v', 'EX', 1000);
    expect(await t.r.get('short')).to.equal('v');
    await sleep(150);
    expect(await t.r.get('short')).to.equal(null);
    expect(await t.r.exists('short')).to.equal(0);
    expect(await t.r.ttl('short')).to.equal(-2);
    // Active expiry proposes the delete; DBSIZE counts it gone once applied.
    const deadline = Date.now() + 3000;
    while ((await t.r.dbsize()) !== 1 && Date.now() < deadline) await sleep(50);
    expect(await t.r.dbsize()).to.equal(1);
    const stats = await t.r.info('stats');
    expect(Number(/expired_keys:(\d+)/.exec(stats)?.[1])).to.be.at.least(1);
  });

  it('EXPIRE family with NX XX GT LT, TTL/PTTL/EXPIRETIME/PERSIST', async () => {
    await t.r.set('k', 'v');
    expect(await t.r.ttl('k')).to.equal(-1);
    expect(await t.r.call('expire', 'k', '100', 'XX')).to.equal(0);
    expect(await t.r.call('expire', 'k', '100', 'NX')).to.equal(1);
    expect(await t.r.call('expire', 'k', '50', 'GT')).to.equal(0);
    expect(await t.r.call('expire', 'k', '200', 'GT')).to.equal(1);
    expect(await t.r.call('expire', 'k', '20', 'LT')).to.equal(1);
    expect(await t.r.ttl('k')).to.be.within(19, 20);
    expect(await t.r.pexpire('k', 30000)).to.equal(1);
    expect(await t.r.pttl('k')).to.be.within(29000, 30000);
    const at = Math.floor(Date.now() / 1000) + 500;
    expect(await t.r.expireat('k', at)).to.equal(1);
    expect(await t.r.call('expiretime', 'k')).to.equal(at);
    expect(await t.r.call('pexpiretime', 'k')).to.equal(at * 1000);
    expect(await t.r.persist('k')).to.equal(1);
    expect(await t.r.persist('k')).to.equal(0);
    expect(await t.r.expire('nokey', 10)).to.equal(0);
    expect(await err(t.r.call('expire', 'k', '10', 'NX', 'XX'))).to.equal(
      'ERR NX and XX, GT or LT options at the same time are not compatible',
    );
    expect(await err(t.r.call('expire', 'k', '10', 'GT', 'LT'))).to.equal('ERR GT and LT options at the same time are not compatible');
    expect(await err(t.r.call('expire', 'k', 'ten'))).to.equal('ERR value is not an integer or out of range');
    // A deadline in the past deletes the key.
    expect(await t.r.expire('k', -1)).to.equal(1);
    expect(await t.r.exists('k')).to.equal(0);
  });

  it('KEYS with glob patterns', async () => {
    await t.r.mset('user:1', 'a', 'user:2', 'b', 'user:10', 'c', 'other', 'd', 'h*llo', 'e');
    expect((await t.r.keys('user:*')).sort()).to.deep.equal(['user:1', 'user:10', 'user:2']);
    expect((await t.r.keys('user:?')).sort()).to.deep.equal(['user:1', 'user:2']);
    expect((await t.r.keys('user:[12]')).sort()).to.deep.equal(['user:1', 'user:2']);
    expect(await t.r.keys('h\\*llo')).to.deep.equal(['h*llo']);
    expect((await t.r.keys('*')).length).to.equal(5);
  });

  it('SCAN iterates everything with MATCH, COUNT and TYPE', async () => {
    const pairs: string[] = [];
    for (let i = 0; i < 500; i++) pairs.push(`scan:${i}`, String(i));
    await t.r.mset(...pairs);
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await t.r.scan(cursor, 'MATCH', 'scan:1*', 'COUNT', 50);
      for (const k of keys) seen.add(k);
      cursor = next;
    } while (cursor !== '0');
    const expected = pairs.filter((_, i) => i % 2 === 0).filter((k) => k.startsWith('scan:1'));
    expect([...seen].sort()).to.deep.equal(expected.sort());
    const [, typed] = (await t.r.call('scan', '0', 'TYPE', 'hash', 'COUNT', '1000')) as [string, string[]];
    expect(typed).to.deep.equal([]);
  });

  it('SCAN returns every key that stays while others come and go', async () => {
    const stay: string[] = [];
    for (let i = 0; i < 300; i++) stay.push(`stay:${i}`, 'v');
    await t.r.mset(...stay);
    const seen = new Set<string>();
    let cursor = '0';
    let round = 0;
    do {
      const [next, keys] = await t.r.scan(cursor, 'COUNT', 20);
      for (const k of keys) seen.add(k);
      cursor = next;
      // Concurrent churn between calls.
      await t.r.set(`churn:${round}`, 'x');
      if (round > 2) await t.r.del(`churn:${round - 2}`);
      round++;
    } while (cursor !== '0');
    for (let i = 0; i < 300; i++) expect(seen.has(`stay:${i}`)).to.equal(true, `stay:${i} missing`);
  });

  it('RENAME, RENAMENX, RANDOMKEY', async () => {
    await t.r.set('src', 'v', 'EX', 100);
    expect(await t.r.rename('src', 'dst')).to.equal('OK');
    expect(await t.r.get('dst')).to.equal('v');
    expect(await t.r.ttl('dst')).to.be.within(99, 100);
    expect(await err(t.r.rename('src', 'x'))).to.equal('ERR no such key');
    await t.r.set('other', 'o');
    expect(await t.r.renamenx('dst', 'other')).to.equal(0);
    expect(await t.r.renamenx('dst', 'fresh')).to.equal(1);
    expect(['fresh', 'other']).to.include(await t.r.randomkey());
    await t.r.flushdb();
    expect(await t.r.randomkey()).to.equal(null);
  });
});
