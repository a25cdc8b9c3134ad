import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { createClient, RESP_TYPES } from 'redis';
import { errorOf, hasBinary, serverForSuite, startServer, type RunningServer } from '../support/proc';
import { startReferenceRedis, type ReferenceRedis } from '../support/reference-redis';

const err = errorOf;
const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';

/** The reply or the error message, for side-by-side comparison. */
function outcome(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    (v) => v,
    (e: Error) => `error: ${e.message}`,
  );
}

describe('set commands through ioredis', function () {
  this.timeout(30000);
  const t = serverForSuite();
  beforeEach(async () => {
    await t.r.flushall();
  });

  it('SADD / SREM / SCARD / SISMEMBER / SMISMEMBER / SMEMBERS, binary safe', async () => {
    const r = t.r;
    const bin = Buffer.from([0, 255, 13, 10]);
    expect(await r.sadd('s', 'a', 'b', 'a', bin)).to.equal(3);
    expect(await r.scard('s')).to.equal(3);
    expect(await r.sismember('s', bin)).to.equal(1);
    expect(await r.smismember('s', 'a', 'zz', 'b')).to.deep.equal([1, 0, 1]);
    const all = await r.smembersBuffer('s');
    expect(all.map((b) => b.toString('hex'))).to.deep.equal([Buffer.from('a').toString('hex'), Buffer.from('b').toString('hex'), bin.toString('hex')]);
    expect(await r.srem('s', 'a', 'zz')).to.equal(1);
    expect(await r.srem('s', 'b', bin)).to.equal(2);
    expect(await r.exists('s')).to.equal(0);
    expect(await r.type('s')).to.equal('none');
    await r.sadd('s', 'x');
    expect(await r.type('s')).to.equal('set');
    expect(await r.object('ENCODING', 's')).to.equal('hashtable');
    await r.sadd('i', 3, 1, 2);
    expect(await r.object('ENCODING', 'i')).to.equal('intset');
    expect(await r.smembers('i')).to.deep.equal(['1', '2', '3']);
  });

  it('WRONGTYPE, including every source key of SINTER / SUNION / SDIFF', async () => {
    const r = t.r;
    await r.set('str', 'x');
    await r.sadd('s', 'a');
    expect(await err(r.sadd('str', 'a'))).to.equal(WRONGTYPE);
    expect(await err(r.smembers('str'))).to.equal(WRONGTYPE);
    expect(await err(r.spop('str'))).to.equal(WRONGTYPE);
    expect(await err(r.smove('s', 'str', 'a'))).to.equal(WRONGTYPE);
    for (const cmd of ['sinter', 'sunion', 'sdiff']) {
      expect(await err(r.call(cmd, 'nokey', 's', 'str'))).to.equal(WRONGTYPE);
      expect(await err(r.call(`${cmd}store`, 'dst', 'str', 's'))).to.equal(WRONGTYPE);
    }
    expect(await err(r.call('sintercard', '2', 's', 'str'))).to.equal(WRONGTYPE);
    expect(await err(r.call('sscan', 'str', '0'))).to.equal(WRONGTYPE);
  });

  it('SPOP / SRANDMEMBER / SMOVE', async () => {
    const r = t.r;
    const all = Array.from({ length: 20 }, (_, i) => `m${i}`);
    await r.sadd('s', ...all);
    const one = await r.spop('s');
    expect(all).to.include(one);
    const five = await r.spop('s', 5);
    expect(new Set(five).size).to.equal(5);
    expect(await r.scard('s')).to.equal(14);
    const three = await r.srandmember('s', 3);
    expect(new Set(three).size).to.equal(3);
    expect(await r.srandmember('s', -30)).to.have.length(30);
    expect(await err(r.spop('s', -1))).to.equal('ERR value is out of range, must be positive');
    expect(await r.smove('s', 'dst', three[0])).to.equal(1);
    expect(await r.smembers('dst')).to.deep.equal([three[0]]);
    expect((await r.spop('s', 100)).length).to.equal(13);
    expect(await r.exists('s')).to.equal(0);
    expect(await r.spop('s')).to.equal(null);
    expect(await r.srandmember('s')).to.equal(null);
  });

  it('SINTER / SINTERCARD / SUNION / SDIFF and STORE forms', async () => {
    const r = t.r;
    await r.sadd('a', 'x', 'y', 'z');
    await r.sadd('b', 'y', 'z', 'w');
    await r.set('dst', 'string');
    expect(await r.sinter('a', 'b')).to.deep.equal(['y', 'z']);
    expect(await r.call('sintercard', '2', 'a', 'b', 'LIMIT', '1')).to.equal(1);
    expect(await err(r.call('sintercard', '0', 'a'))).to.equal('ERR numkeys should be greater than 0');
    expect(await err(r.call('sintercard', '3', 'a'))).to.equal("ERR Number of keys can't be greater than number of args");
    expect(await r.sunion('a', 'b')).to.deep.equal(['x', 'y', 'z', 'w']);
    expect(await r.sdiff('a', 'b')).to.deep.equal(['x']);
    expect(await r.sinterstore('dst', 'a', 'b')).to.equal(2);
    expect(await r.type('dst')).to.equal('set');
    expect(await r.sunionstore('dst', 'a', 'b')).to.equal(4);
    expect(await r.sdiffstore('dst', 'a', 'a')).to.equal(0);
    expect(await r.exists('dst')).to.equal(0);
  });

  it('SSCAN: a full scan returns every member once (ioredis sscanStream)', async () => {
    const r = t.r;
    const all = Array.from({ length: 1000 }, (_, i) => `member-${i}`);
    await r.sadd('big', ...all);
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const stream = r.sscanStream('big', { count: 37 });
      stream.on('data', (items: string[]) => seen.push(...items));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    expect(seen).to.deep.equal(all);
    const [cursor, items] = await r.sscan('big', 0, 'MATCH', 'member-99*', 'COUNT', 2000);
    expect(cursor).to.equal('0');
    expect(items).to.deep.equal(['member-99', 'member-990', 'member-991', 'member-992', 'member-993', 'member-994', 'member-995', 'member-996', 'member-997', 'member-998', 'member-999']);
    await r.sadd('ints', 5, 1, 3);
    expect(await r.sscan('ints', 77)).to.deep.equal(['0', ['1', '3', '5']]);
    expect(await err(r.sscan('ints', 'abc'))).to.equal('ERR invalid cursor');
  });

  it('MULTI and Lua see sets (SPOP inside EXEC, SMEMBERS from a script)', async () => {
    const r = t.r;
    await r.sadd('s', 'a', 'b', 'c');
    const res = await r.multi().spop('s', 2).scard('s').exec();
    expect((res![0][1] as string[]).length).to.equal(2);
    expect(res![1][1]).to.equal(1);
    await r.sadd('lua', 3, 1, 2);
    expect(await r.eval("return redis.call('smembers', KEYS[1])", 1, 'lua')).to.deep.equal(['1', '2', '3']);
    expect(await r.eval("return redis.call('spop', KEYS[1], 5)", 1, 'lua')).to.have.length(3);
  });

  it('node-redis RESP3: set replies arrive as RESP3 sets, SRANDMEMBER count as an array', async () => {
    const client = createClient({ RESP: 3, socket: { port: t.srv.port, host: '127.0.0.1', reconnectStrategy: false } });
    client.on('error', () => undefined);
    await client.connect();
    // RESP3 sets as JS Sets: an array reply would stay an Array.
    const c = client.withTypeMapping({ [RESP_TYPES.SET]: Set });
    try {
      expect(await c.sAdd('r3', ['b', 'a', 'c'])).to.equal(3);
      const members = await c.sMembers('r3');
      expect(members).to.be.instanceOf(Set);
      expect([...(members as unknown as Set<string>)]).to.deep.equal(['b', 'a', 'c']);
      expect(await c.sInter(['r3', 'nokey'])).to.be.instanceOf(Set);
      expect(await c.sUnion(['r3'])).to.be.instanceOf(Set);
      expect(await c.sDiff(['r3'])).to.be.instanceOf(Set);
      expect(await c.sendCommand(['SPOP', 'r3', '1'])).to.be.instanceOf(Set);
      expect(await c.sendCommand(['SPOP', 'nokey'])).to.equal(null);
      const rand = await c.sRandMemberCount('r3', 2);
      expect(Array.isArray(rand)).to.equal(true);
      expect(rand).to.have.length(2);
    } finally {
      await client.quit().catch(() => undefined);
    }
  });

  describe('side by side with redis-server 7.0', function () {
    let ref: ReferenceRedis | undefined;
    let refClient: Redis | undefined;
    before(async function () {
      if (!hasBinary('redis-server')) this.skip();
      ref = await startReferenceRedis();
      refClient = new Redis({ port: ref.port });
    });
    after(async () => {
      refClient?.disconnect();
      await ref?.stop();
    });

    it('the same replies for deterministic commands (integer sets iterate like an intset)', async () => {
      const script: Array<Array<string | number>> = [
        ['sadd', 'i', 5, -3, 100, 0, '9223372036854775807', '-9223372036854775808', 42],
        ['smembers', 'i'],
        ['sadd', 'i2', 100, 7, 5, 1],
        ['sinter', 'i', 'i2'],
        ['sunion', 'i', 'i2'],
        ['sdiff', 'i', 'i2'],
        ['sunionstore', 'u', 'i', 'i2'],
        ['smembers', 'u'],
        ['srem', 'i', 42, 'x'],
        ['smembers', 'i'],
        ['sscan', 'i', 0],
        ['sscan', 'i', 0, 'MATCH', '*0*'],
        ['sadd', 'i', '01'],
        ['scard', 'i'],
        ['object', 'encoding', 'i2'],
        ['object', 'encoding', 'i'],
        ['set', 'str', 'x'],
        ['sintercard', 2, 'i', 'i2'],
        ['sintercard', 2, 'i', 'i2', 'LIMIT', 1],
        ['sintercard', 1, 'nokey', 'str'],
        ['sintercard', 0, 'i'],
        ['sintercard', 2, 'nokey', 'str'],
        ['sintercard', 1, 'i', 'LIMIT', -1],
        ['spop', 'i', -1],
        ['spop', 'i', 0],
        ['spop', 'nokey', 3],
        ['spop', 'i', 1, 2],
        ['srandmember', 'i', 'x'],
        ['srandmember', 'i', '-9223372036854775808'],
        ['srandmember', 'nokey', 5],
        ['srandmember', 'i2', 10],
        ['smove', 'nokey', 'str', 'a'],
        ['smove', 'i2', 'str', 'a'],
        ['smove', 'i2', 'i2', 5],
        ['smove', 'i2', 'i3', 5],
        ['smembers', 'i3'],
        ['sscan', 'i2', '-1'],
        ['sscan', 'i2', ' 1'],
        ['sscan', 'nokey', 0, 'bogus'],
        ['sscan', 'i2', 0, 'COUNT', 0],
        ['sscan', 'i2', 0, 'TYPE', 'set'],
        ['sinterstore', 'str', 'i2', 'nokey'],
        ['exists', 'str'],
        ['smismember', 'i2', 1, 2, 7],
        ['sadd'],
        ['sintercard', 1],
      ];
      for (const cmd of script) {
        const [name, ...args] = cmd.map(String);
        const ours = await outcome(t.r.call(name, ...args));
        const theirs = await outcome(refClient!.call(name, ...args));
        expect(ours, cmd.join(' ')).to.deep.equal(theirs);
      }
    });

    it('COMMAND INFO: name, arity, flags, key positions and ACL categories', async () => {
      const names = ['sadd', 'srem', 'smove', 'sismember', 'smismember', 'scard', 'smembers', 'spop', 'srandmember', 'sinter', 'sintercard', 'sinterstore', 'sunion', 'sunionstore', 'sdiff', 'sdiffstore', 'sscan'];
      const ours = (await t.r.call('command', 'info', ...names)) as unknown[][];
      const theirs = (await refClient!.call('command', 'info', ...names)) as unknown[][];
      for (let i = 0; i < names.length; i++) {
        const norm = (x: unknown[]): unknown[] => x.slice(0, 7).map((f) => (Array.isArray(f) ? [...f].sort() : f));
        expect(norm(ours[i]), names[i]).to.deep.equal(norm(theirs[i]));
      }
    });
  });
});

describe('a set across a restart', function () {
  this.timeout(60000);
  let srv: RunningServer | undefined;
  let dir = '';

  afterEach(async () => {
    await srv?.stop();
    srv = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`keeps its members, SMEMBERS order, encoding and SSCAN cursors after ${signal}`, async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'raftcache-set-restart-'));
      srv = await startServer([], { dir });
      let c = new Redis({ port: srv.port });
      const members = Array.from({ length: 3000 }, (_, i) => `m${(i * 7919) % 3000}`);
      let before: string[];
      let intsBefore: string[];
      let cursor: string;
      let firstPage: string[];
      try {
        for (let i = 0; i < members.length; i += 500) await c.sadd('s', ...members.slice(i, i + 500));
        await c.srem('s', 'm0', 'm1', 'm2', 'm2999');
        await c.sadd('s', 'm1', 'late');
        await c.srem('s', 'late'); // the newest member is gone
        await c.sadd('ints', 30, 10, 20);
        await c.sadd('mixed', 2, 1, 'x');
        await c.srem('mixed', 'x');
        before = await c.smembers('s');
        intsBefore = await c.smembers('ints');
        [cursor, firstPage] = await c.sscan('s', 0, 'COUNT', 1000);
      } finally {
        c.disconnect();
      }
      await srv.stop(signal);
      srv = await startServer([], { dir });
      c = new Redis({ port: srv.port });
      try {
        expect(await c.smembers('s')).to.deep.equal(before);
        expect(await c.smembers('ints')).to.deep.equal(intsBefore);
        expect(await c.object('ENCODING', 'ints')).to.equal('intset');
        expect(await c.object('ENCODING', 'mixed')).to.equal('hashtable');
        expect(await c.smembers('mixed')).to.deep.equal(['2', '1']);
        // The cursor from before the restart continues where it was.
        const rest: string[] = [];
        let cur = cursor;
        do {
          const [next, items] = await c.sscan('s', cur, 'COUNT', 1000);
          rest.push(...items);
          cur = next;
        } while (cur !== '0');
        expect([...firstPage, ...rest]).to.deep.equal(before);
        // And writes after the restart go on as before.
        await c.sadd('s', 'after');
        expect((await c.smembers('s')).slice(-1)).to.deep.equal(['after']);
      } finally {
        c.disconnect();
      }
    });
  }
});
