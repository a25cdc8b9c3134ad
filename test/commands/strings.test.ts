import { expect } from 'chai';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { errorOf, startServer, type RunningServer } from '../support/proc';

const err = errorOf;

describe('string and counter commands through ioredis', function () {
  let srv: RunningServer;
  let r: Redis;
  before(async () => {
    srv = await startServer();
    r = new Redis({ port: srv.port });
  });
  after(async () => {
    r.disconnect();
    await srv.stop();
  });
  beforeEach(async () => {
    await r.flushall();
  });

  it('SET and GET are binary safe', async () => {
    const v = Buffer.from([0, 1, 2, 13, 10, 255, 254]);
    const k = Buffer.from([0xff, 0x00, 0x0d, 0x0a]);
    expect(await r.set(k, v)).to.equal('OK');
    expect(Buffer.compare((await r.getBuffer(k))!, v)).to.equal(0);
  });

  it('SET NX/XX/GET/EX/PX/KEEPTTL in any order and case', async () => {
    expect(await r.set('k', 'v1', 'NX')).to.equal('OK');
    expect(await r.set('k', 'v2', 'NX')).to.equal(null);
    expect(await r.set('k', 'v3', 'XX')).to.equal('OK');
    expect(await r.set('missing', 'v', 'XX')).to.equal(null);
    expect(await r.call('set', 'k', 'v4', 'get')).to.equal('v3');
    expect(await r.call('set', 'k', 'v5', 'ex', '100', 'GET')).to.equal('v4');
    const ttl = await r.ttl('k');
    expect(ttl).to.be.within(99, 100);
    expect(await r.call('set', 'k', 'v6', 'KEEPTTL')).to.equal('OK');
    expect(await r.ttl('k')).to.be.within(99, 100);
    expect(await r.set('k', 'v7')).to.equal('OK');
    expect(await r.ttl('k')).to.equal(-1);
    expect(await r.set('k', 'v8', 'PX', 50000)).to.equal('OK');
    expect(await r.pttl('k')).to.be.within(49000, 50000);
    const at = Math.floor(Date.now() / 1000) + 1000;
    expect(await r.call('set', 'k', 'v9', 'EXAT', String(at))).to.equal('OK');
    expect(await r.call('expiretime', 'k')).to.equal(at);
  });

  it('SET option errors match Redis', async () => {
    expect(await err(r.call('set', 'k', 'v', 'NX', 'XX'))).to.equal('ERR syntax error');
    expect(await err(r.call('set', 'k', 'v', 'EX', '10', 'PX', '10'))).to.equal('ERR syntax error');
    expect(await err(r.call('set', 'k', 'v', 'EX', '0'))).to.equal("ERR invalid expire time in 'set' command");
    expect(await err(r.call('set', 'k', 'v', 'EX', 'abc'))).to.equal('ERR value is not an integer or out of range');
    expect(await err(r.call('set', 'k', 'v', 'KEEPTTL', 'EX', '5'))).to.equal('ERR syntax error');
    expect(await err(r.call('set', 'k', 'v', 'BOGUS'))).to.equal('ERR syntax error');
  });

  it('INCR family with Redis errors and 64-bit limits', async () => {
    expect(await r.incr('n')).to.equal(1);
    expect(await r.incrby('n', 10)).to.equal(11);
    expect(await r.decr('n')).to.equal(10);
    expect(await r.decrby('n', 20)).to.equal(-10);
    await r.set('big', '9223372036854775806');
    expect(await r.call('incr', 'big')).to.equal(9223372036854775807);
    expect(await r.get('big')).to.equal('9223372036854775807');
    expect(await err(r.incr('big'))).to.equal('ERR increment or decrement would overflow');
    await r.set('s', 'abc');
    expect(await err(r.incr('s'))).to.equal('ERR value is not an integer or out of range');
    expect(await err(r.call('incrby', 'n', 'x'))).to.equal('ERR value is not an integer or out of range');
    expect(await r.incrbyfloat('f', '10.5')).to.equal('10.5');
    expect(await r.incrbyfloat('f', '0.1')).to.equal('10.6');
    await r.set('f2', '5.0e3');
    expect(await r.incrbyfloat('f2', '2.0e2')).to.equal('5200');
    expect(await err(r.incrbyfloat('s', '1'))).to.equal('ERR value is not a valid float');
  });

  it('TYPE reports string and none', async () => {
    await r.set('t', 'x');
    expect(await r.type('t')).to.equal('string');
    expect(await r.type('none')).to.equal('none');
  });

  it('MSET, MGET, MSETNX, APPEND, STRLEN, GETRANGE, SETRANGE', async () => {
    expect(await r.mset('a', '1', 'b', '2')).to.equal('OK');
    expect(await r.mget('a', 'b', 'c')).to.deep.equal(['1', '2', null]);
    expect(await r.msetnx('c', '3', 'a', 'x')).to.equal(0);
    expect(await r.msetnx('c', '3', 'd', '4')).to.equal(1);
    expect(await r.append('a', 'bc')).to.equal(3);
    expect(await r.strlen('a')).to.equal(3);
    expect(await r.getrange('a', 0, -2)).to.equal('1b');
    expect(await r.setrange('z', 3, 'x')).to.equal(4);
    expect(await r.getBuffer('z')).to.deep.equal(Buffer.from([0, 0, 0, 120]));
    expect(await err(r.call('mset', 'a'))).to.equal("ERR wrong number of arguments for 'mset' command");
  });

  it('GETSET, GETDEL, GETEX, SETNX, SETEX, PSETEX', async () => {
    expect(await r.setnx('g', '1')).to.equal(1);
    expect(await r.setnx('g', '2')).to.equal(0);
    expect(await r.getset('g', '3')).to.equal('1');
    expect(await r.getdel('g')).to.equal('3');
    expect(await r.exists('g')).to.equal(0);
    expect(await r.setex('e', 100, 'v')).to.equal('OK');
    expect(await r.ttl('e')).to.be.within(99, 100);
    expect(await r.psetex('e2', 100000, 'v')).to.equal('OK');
    expect(await r.pttl('e2')).to.be.within(99000, 100000);
    expect(await r.call('getex', 'e', 'PERSIST')).to.equal('v');
    expect(await r.ttl('e')).to.equal(-1);
    expect(await r.call('getex', 'e', 'EX', '50')).to.equal('v');
    expect(await r.ttl('e')).to.be.within(49, 50);
    expect(await err(r.setex('e', 0, 'v'))).to.equal("ERR invalid expire time in 'setex' command");
  });
});

describe('string commands through node-redis (redis on npm)', function () {
  let srv: RunningServer;
  before(async () => {
    srv = await startServer();
  });
  after(async () => {
    await srv.stop();
  });

  it('connects, writes, reads, counts', async () => {
    const c = createClient({ socket: { port: srv.port, host: '127.0.0.1', reconnectStrategy: false } });
    c.on('error', () => undefined);
    await c.connect();
    try {
      expect(await c.set('nr', 'hello')).to.equal('OK');
      expect(await c.get('nr')).to.equal('hello');
      expect(await c.incr('nr-count')).to.equal(1);
      expect(await c.mGet(['nr', 'nope'])).to.deep.equal(['hello', null]);
      expect(await c.set('nr2', 'x', { NX: true, PX: 100000 })).to.equal('OK');
      expect(await c.pTTL('nr2')).to.be.within(99000, 100000);
      expect(await c.del(['nr', 'nr2'])).to.equal(2);
    } finally {
      await c.quit().catch(() => undefined);
    }
  });
});
