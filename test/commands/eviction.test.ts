import { expect } from 'chai';
import { serverForSuite } from '../support/proc';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const infoField = (info: string, f: string) => Number(new RegExp(`${f}:(\\d+)`).exec(info)?.[1] ?? NaN);

/** maxmemory: the leader refuses (noeviction) or evicts by policy; evictions are replicated deletes. */
describe('maxmemory and eviction', function () {
  this.timeout(60000);
  const t = serverForSuite();
  beforeEach(async () => {
    await t.r.config('SET', 'maxmemory', '0');
    await t.r.flushall();
  });

  it('noeviction answers -OOM to growing writes, keeps reads and deletes working', async () => {
    await t.r.config('SET', 'maxmemory-policy', 'noeviction');
    await t.r.config('SET', 'maxmemory', '1mb');
    const value = 'x'.repeat(1000);
    let oom = '';
    for (let i = 0; i < 3000 && oom === ''; i++) {
      await t.r.set(`k${i}`, value).catch((e: Error) => (oom = e.message));
    }
    expect(oom).to.equal("OOM command not allowed when used memory > 'maxmemory'.");
    expect(await t.r.get('k0')).to.equal(value);
    expect(await t.r.del('k0', 'k1')).to.equal(2);
    expect(await t.r.config('GET', 'maxmemory')).to.deep.equal(['maxmemory', String(1024 * 1024)]);
  });

  it('allkeys-random evicts to stay near the limit; every write succeeds', async () => {
    await t.r.config('SET', 'maxmemory-policy', 'allkeys-random');
    await t.r.config('SET', 'maxmemory', '2mb');
    const value = 'y'.repeat(1000);
    for (let i = 0; i < 5000; i++) await t.r.set(`r${i}`, value);
    await sleep(300);
    const info = await t.r.info();
    expect(infoField(info, 'evicted_keys')).to.be.greaterThan(1000);
    expect(infoField(info, 'used_memory')).to.be.at.most(2 * 1024 * 1024 + 64 * 1300);
    expect(await t.r.dbsize()).to.be.lessThan(5000);
    expect(info).to.contain('maxmemory_policy:allkeys-random');
  });

  it('volatile-ttl evicts keys with the nearest deadline and spares persistent ones', async () => {
    await t.r.config('SET', 'maxmemory-policy', 'volatile-ttl');
    const value = 'z'.repeat(1000);
    for (let i = 0; i < 200; i++) await t.r.set(`keep${i}`, value);
    await t.r.config('SET', 'maxmemory', '2mb');
    for (let i = 0; i < 3000; i++) await t.r.set(`tmp${i}`, value, 'EX', 1000 + i);
    await sleep(300);
    for (let i = 0; i < 200; i += 37) expect(await t.r.exists(`keep${i}`)).to.equal(1);
    // Sampled, like Redis: nearer deadlines go first on average.
    const alive: number[] = [];
    for (let i = 0; i < 3000; i++) if ((await t.r.exists(`tmp${i}`)) === 1) alive.push(i);
    expect(alive.length).to.be.within(100, 2999);
    const mean = alive.reduce((a, b) => a + b, 0) / alive.length;
    expect(mean).to.be.greaterThan(1700);
  });

  it('every type counts towards maxmemory (kept incrementally) and is evicted whole', async () => {
    const before = infoField(await t.r.info('memory'), 'used_memory');
    const fields: string[] = [];
    for (let i = 0; i < 2000; i++) fields.push(`f${i}`, 'v'.repeat(100));
    await t.r.hset('big:h', ...fields);
    await t.r.rpush('big:l', ...fields);
    await t.r.sadd('big:s', ...fields.filter((_, i) => i % 2 === 0));
    await t.r.zadd('big:z', ...fields.flatMap((f, i) => (i % 2 === 0 ? [String(i), f] : [])));
    const grown = infoField(await t.r.info('memory'), 'used_memory') - before;
    // 2000 x ~100 B of values in the hash and the list alone.
    expect(grown).to.be.greaterThan(400_000);
    for (const k of ['big:h', 'big:l', 'big:s', 'big:z']) expect(Number(await t.r.memory('USAGE', k))).to.be.greaterThan(2000 * 10);
    await t.r.hdel('big:h', 'f0', 'f2');
    const afterDel = infoField(await t.r.info('memory'), 'used_memory') - before;
    expect(afterDel).to.be.lessThan(grown);
    const evicted0 = infoField(await t.r.info('stats'), 'evicted_keys');
    await t.r.config('SET', 'maxmemory-policy', 'allkeys-random');
    await t.r.config('SET', 'maxmemory', String(before + 300_000));
    await t.r.set('trigger', 'x');
    await sleep(300);
    expect(infoField(await t.r.info('stats'), 'evicted_keys')).to.be.greaterThan(evicted0);
    const left = await Promise.all(['big:h', 'big:l', 'big:s', 'big:z'].map((k) => t.r.exists(k)));
    expect(left.reduce((a, b) => a + b, 0)).to.be.lessThan(4);
    expect(infoField(await t.r.info('memory'), 'used_memory')).to.be.at.most(before + 300_000 + 200_000);
  });
});
