/**
 * Hash commands through real clients against a real server: ioredis (RESP2),
 * node-redis with RESP3 (maps), a restart that reuses the data dir, and a
 * differential run against redis-server 7.0 when it is installed.
 */
import { expect } from 'chai';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errorOf, hasBinary, serverForSuite, startServer, type RunningServer } from '../support/proc';
import { startReferenceRedis, type ReferenceRedis } from '../support/reference-redis';

const err = errorOf;

/** HGETALL as the flat array the server sent (ioredis turns lower-case `hgetall` into an object, losing the order). */
async function hgetall(c: Redis, key: string): Promise<string[]> {
  return (await c.call('HGETALL', key)) as string[];
}

describe('hash commands through ioredis and node-redis', function () {
  const t = serverForSuite();
  beforeEach(async () => {
    await t.r.flushall();
  });

  it('HSET / HGET / HMGET / HGETALL keep insertion order and are binary safe', async () => {
    const r = t.r;
    expect(await r.hset('h', 'z', '1', 'a', '2', 'm', '3')).to.equal(3);
    expect(await r.hset('h', { a: 'updated', b: '4' })).to.equal(1);
    expect(await r.hget('h', 'a')).to.equal('updated');
    expect(await r.hmget('h', 'z', 'nope', 'b')).to.deep.equal(['1', null, '4']);
    expect(await r.hkeys('h')).to.deep.equal(['z', 'a', 'm', 'b']);
    expect(await r.hvals('h')).to.deep.equal(['1', 'updated', '3', '4']);
    expect(await hgetall(r, 'h')).to.deep.equal(['z', '1', 'a', 'updated', 'm', '3', 'b', '4']);
    const f = Buffer.from([0, 0xff, 13, 10]);
    const v = Buffer.from([0xfe, 0, 0x80]);
    expect(await r.hset('bin', f, v)).to.equal(1);
    expect(Buffer.compare((await r.hgetBuffer('bin', f))!, v)).to.equal(0);
    expect(await r.hstrlen('bin', f)).to.equal(3);
  });

  it('errors match Redis word for word', async () => {
    const r = t.r;
    await r.set('s', 'x');
    expect(await err(r.call('hset', 'h', 'a', '1', 'b'))).to.equal("ERR wrong number of arguments for 'hset' command");
    expect(await err(r.call('hmset', 'h', 'a'))).to.equal("ERR wrong number of arguments for 'hmset' command");
    expect(await err(r.call('hget', 's', 'a'))).to.equal('WRONGTYPE Operation against a key holding the wrong kind of value');
    await r.hset('h', 'n', 'abc', 'big', '9223372036854775807');
    expect(await err(r.hincrby('h', 'n', 1))).to.equal('ERR hash value is not an integer');
    expect(await err(r.hincrbyfloat('h', 'n', 1))).to.equal('ERR hash value is not a float');
    expect(await err(r.hincrby('h', 'big', 1))).to.equal('ERR increment or decrement would overflow');
    expect(await err(r.call('hincrby', 'h', 'n', 'x'))).to.equal('ERR value is not an integer or out of range');
    expect(await err(r.call('hincrbyfloat', 'h', 'n', 'inf'))).to.equal('ERR value is NaN or Infinity');
    expect(await err(r.call('hrandfield', 'h', '1', 'withvalue'))).to.equal('ERR syntax error');
    expect(await err(r.call('hscan', 'h', 'x'))).to.equal('ERR invalid cursor');
    expect(await err(r.call('hscan', 'h', '0', 'count', '0'))).to.equal('ERR syntax error');
  });

  it('HINCRBY / HINCRBYFLOAT, and HDEL deletes the emptied hash', async () => {
    const r = t.r;
    expect(await r.hincrby('h', 'n', 5)).to.equal(5);
    expect(await r.hincrbyfloat('h', 'f', '10.5')).to.equal('10.5');
    expect(await r.hincrbyfloat('h', 'f', '0.1')).to.equal('10.6');
    expect(await r.hlen('h')).to.equal(2);
    expect(await r.hexists('h', 'n')).to.equal(1);
    expect(await r.hdel('h', 'n', 'f', 'zz')).to.equal(2);
    expect(await r.exists('h')).to.equal(0);
    expect(await r.type('h')).to.equal('none');
  });

  it('OBJECT ENCODING follows the listpack thresholds', async () => {
    const r = t.r;
    const args: string[] = [];
    for (let i = 0; i < 128; i++) args.push(`f${i}`, `v${i}`);
    await r.hset('h', ...args);
    expect(await r.object('ENCODING', 'h')).to.equal('listpack');
    await r.hset('h', 'one-more', 'x');
    expect(await r.object('ENCODING', 'h')).to.equal('hashtable');
    await r.hset('v', 'f', 'x'.repeat(65));
    expect(await r.object('ENCODING', 'v')).to.equal('hashtable');
  });

  it('HSCAN: a small hash in one reply, a large one by cursor, every field once', async () => {
    const r = t.r;
    await r.hset('small', 'a', '1', 'b', '2');
    expect(await r.hscan('small', '0', 'COUNT', '1')).to.deep.equal(['0', ['a', '1', 'b', '2']]);
    const args: string[] = [];
    for (let i = 0; i < 1000; i++) args.push(`f${i}`, `v${i}`);
    await r.hset('big', ...args);
    const seen: string[] = [];
    let cursor = '0';
    let calls = 0;
    do {
      const [next, items] = await r.hscan('big', cursor, 'COUNT', '50');
      for (let i = 0; i < items.length; i += 2) seen.push(items[i]);
      cursor = next;
      calls++;
    } while (cursor !== '0');
    expect(calls).to.equal(20);
    expect(seen).to.deep.equal(Array.from({ length: 1000 }, (_, i) => `f${i}`));
    // ioredis's scan stream drives the same cursors.
    const streamed: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const s = r.hscanStream('big', { match: 'f99*', count: 100 });
      s.on('data', (items: string[]) => {
        for (let i = 0; i < items.length; i += 2) streamed.push(items[i]);
      });
      s.on('end', resolve);
      s.on('error', reject);
    });
    expect(streamed.sort()).to.deep.equal(['f99', 'f990', 'f991', 'f992', 'f993', 'f994', 'f995', 'f996', 'f997', 'f998', 'f999']);
  });

  it('HRANDFIELD counts and WITHVALUES (RESP2)', async () => {
    const r = t.r;
    await r.hset('h', 'a', '1', 'b', '2', 'c', '3');
    expect(['a', 'b', 'c']).to.include(await r.hrandfield('h'));
    const distinct = (await r.hrandfield('h', 2)) as string[];
    expect(new Set(distinct).size).to.equal(2);
    expect(await r.hrandfield('h', -5)).to.have.length(5);
    expect(await r.hrandfield('h', 10, 'WITHVALUES')).to.deep.equal(['a', '1', 'b', '2', 'c', '3']);
    expect(await r.hrandfield('nokey')).to.equal(null);
    expect(await r.hrandfield('nokey', 3)).to.deep.equal([]);
  });

  it('Lua and MULTI see the same replies (HGETALL flat in RESP2 Lua, counters, HSCAN)', async () => {
    const r = t.r;
    await r.hset('h', 'z', '1', 'a', '2');
    expect(await r.eval("return redis.call('hgetall', KEYS[1])", 1, 'h')).to.deep.equal(['z', '1', 'a', '2']);
    expect(await r.eval("return redis.call('hincrbyfloat', KEYS[1], 'a', '0.5')", 1, 'h')).to.equal('2.5');
    expect(await r.eval("return redis.call('hscan', KEYS[1], 0)", 1, 'h')).to.deep.equal(['0', ['z', '1', 'a', '2.5']]);
    expect(await r.eval("return redis.call('hrandfield', KEYS[1], 5, 'withvalues')", 1, 'h')).to.deep.equal(['z', '1', 'a', '2.5']);
    expect(await r.eval("return redis.pcall('hincrby', KEYS[1], 'a', 1)", 1, 'h').catch((e: Error) => e.message)).to.equal('ERR hash value is not an integer');
    const res = await r.multi().hset('m', 'f', '1').hincrby('m', 'f', 2).hgetall('m').hdel('m', 'f').exists('m').exec();
    expect(res).to.deep.equal([
      [null, 1],
      [null, 3],
      [null, { f: '3' }],
      [null, 1],
      [null, 0],
    ]);
  });

  it('RESP3 (node-redis): HGETALL is a map, HRANDFIELD without values an array', async () => {
    const c = createClient({ RESP: 3, socket: { port: t.srv.port } });
    await c.connect();
    try {
      await c.hSet('h', { z: '1', a: '2' });
      expect(await c.hGetAll('h')).to.deep.equal({ z: '1', a: '2' });
      expect(await c.sendCommand(['HGETALL', 'nokey'])).to.deep.equal({});
      expect(await c.sendCommand(['HRANDFIELD', 'h', '5'])).to.deep.equal(['z', 'a']);
      expect(await c.sendCommand(['HSCAN', 'h', '0'])).to.deep.equal(['0', ['z', '1', 'a', '2']]);
      expect(await c.sendCommand(['HINCRBYFLOAT', 'h', 'z', '0.5'])).to.equal('1.5');
    } finally {
      await c.quit();
    }
  });

  // Redis 7.0 answers [[field, value], ...] in RESP3 (PairsReply).
  it('RESP3 (node-redis): HRANDFIELD WITHVALUES is an array of pairs', async () => {
    const c = createClient({ RESP: 3, socket: { port: t.srv.port } });
    await c.connect();
    try {
      await c.hSet('h', { z: '1', a: '2' });
      expect(await c.sendCommand(['HRANDFIELD', 'h', '5', 'WITHVALUES'])).to.deep.equal([
        ['z', '1'],
        ['a', '2'],
      ]);
    } finally {
      await c.quit();
    }
  });
});

describe('a hash across a restart (data dir reused)', function () {
  this.timeout(60000);
  let srv: RunningServer | undefined;
  let dir = '';
  afterEach(async () => {
    await srv?.stop();
    srv = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`keeps contents, HGETALL order and scan cursors after ${signal}`, async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'raftcache-hash-restart-'));
      srv = await startServer([], { dir });
      let c = new Redis({ port: srv.port });
      const big: string[] = [];
      for (let i = 0; i < 500; i++) big.push(`f${i}`, `v${i}`);
      await c.hset('big', ...big);
      await c.hdel('big', 'f0', 'f250', 'f499');
      await c.hset('big', 'f0', 'back', 'f10', 'updated');
      await c.hset('small', 'z', '1', 'y', '2', 'x', '3');
      await c.hdel('small', 'y');
      await c.hset('small', 'y', 'again');
      const before = { big: await hgetall(c, 'big'), small: await hgetall(c, 'small'), scan: await c.hscan('big', '100', 'COUNT', '7') };
      c.disconnect();
      await srv.stop(signal);

      srv = await startServer([], { dir });
      c = new Redis({ port: srv.port });
      try {
        expect(await hgetall(c, 'small')).to.deep.equal(before.small);
        expect(await hgetall(c, 'small')).to.deep.equal(['z', '1', 'x', '3', 'y', 'again']);
        expect(await hgetall(c, 'big')).to.deep.equal(before.big);
        expect(await c.hscan('big', '100', 'COUNT', '7')).to.deep.equal(before.scan);
        // Writes after the restart append after the surviving fields, and a new field goes last.
        await c.hset('big', 'new', 'x', 'f1', 'changed');
        const after = (await hgetall(c, 'big')) as string[];
        expect(after.slice(-2)).to.deep.equal(['new', 'x']);
        expect(after.slice(0, 4)).to.deep.equal(['f1', 'changed', 'f2', 'v2']);
        expect(await c.object('ENCODING', 'small')).to.equal('listpack');
        expect(await c.object('ENCODING', 'big')).to.equal('hashtable');
      } finally {
        c.disconnect();
      }
    });
  }
});

/** A reference redis-server on a free loopback port, or null when none is installed. */
async function startRedis(): Promise<ReferenceRedis | null> {
  return hasBinary('redis-server') ? startReferenceRedis() : null;
}

describe('hash commands against redis-server 7.0 (differential)', function () {
  this.timeout(60000);
  const t = serverForSuite();
  let ref: ReferenceRedis | null = null;
  let rr: Redis;
  before(async function () {
    ref = await startRedis();
    if (ref === null) this.skip();
    rr = new Redis({ port: ref.port });
  });
  after(async () => {
    rr?.disconnect();
    await ref?.stop();
  });

  it('gives the same replies to a seeded stream of hash commands on small hashes', async () => {
    await t.r.flushall();
    await rr.flushall();
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const keys = ['h1', 'h2', 's'];
    // Small hashes only: Redis orders a hashtable-encoded hash by its dict, we keep insertion order.
    const fields = ['a', 'b', 'c', 'd', 'n', 'x'.repeat(20), ''];
    const values = ['1', '-5', '2.5', 'abc', '92233720368547', '', '0x1f', 'y'.repeat(64), '2.5e10'];
    const f = (): string => fields[rand(fields.length)];
    const v = (): string => values[rand(values.length)];
    const gens: Array<() => string[]> = [
      () => ['hset', keys[rand(3)], f(), v(), ...(rand(2) ? [f(), v()] : []), ...(rand(6) ? [] : [f()])],
      () => ['hsetnx', keys[rand(3)], f(), v()],
      () => ['hmset', keys[rand(3)], f(), v()],
      () => ['hget', keys[rand(3)], f()],
      () => ['hmget', keys[rand(3)], f(), f()],
      () => ['hdel', keys[rand(3)], f(), f()],
      () => ['hlen', keys[rand(3)]],
      () => ['hstrlen', keys[rand(3)], f()],
      () => ['hexists', keys[rand(3)], f()],
      () => ['hkeys', keys[rand(3)]],
      () => ['hvals', keys[rand(3)]],
      () => ['hgetall', keys[rand(3)]],
      () => ['hincrby', keys[rand(3)], f(), ['1', '-3', 'x', '9223372036854775807'][rand(4)]],
      () => ['hincrbyfloat', keys[rand(3)], f(), ['1', '-0.5', '1e3', 'inf', 'x'][rand(5)]],
      () => ['hscan', keys[rand(3)], ['0', 'x', '5'][rand(3)], ...[[], ['count', '2'], ['match', 'a*'], ['count', '0'], ['type', 'x']][rand(5)]],
      () => ['hrandfield', keys[rand(3)], ...[['0'], ['x'], ['1', 'withvalue'], ['-9223372036854775808'], ['100', 'withvalues']][rand(5)]],
      () => ['object', 'encoding', keys[rand(2)]],
      () => ['set', 's', 'str'],
      () => ['del', keys[rand(3)]],
    ];
    const run = (c: Redis, cmd: string[]): Promise<unknown> =>
      c.call(cmd[0], ...cmd.slice(1)).then(
        (x) => x,
        (e: Error) => `ERR: ${e.message}`,
      );
    for (let i = 0; i < 3000; i++) {
      const cmd = gens[rand(gens.length)]();
      const [a, b] = await Promise.all([run(t.r, cmd), run(rr, cmd)]);
      // HINCRBYFLOAT included: long-double.ts emulates Redis's 80-bit long double exactly.
      expect(a, `#${i} ${cmd.join(' ')}`).to.deep.equal(b);
    }
  });
});
