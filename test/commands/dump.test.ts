/**
 * DUMP and RESTORE side by side with redis-server 7.0: the same value DUMPs
 * to the same bytes on both (where Redis's order is reproducible), a payload
 * from either server RESTOREs on the other with the same contents and
 * OBJECT ENCODING, and options, errors and damaged payloads answer as Redis
 * does without ever hurting the server.
 */
import { expect } from 'chai';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errorOf, redisCli, serverForSuite, startServer } from '../support/proc';
import { startReferenceRedis, type ReferenceRedis } from '../support/reference-redis';
import { legacy, payload as craft } from '../unit/rdb-legacy';
import { crc64 } from '../../server/rdb/crc64';

type Cmd = Array<string | Buffer | number>;

interface Case {
  name: string;
  cmds: Cmd[];
  /** false when Redis lists the elements in its dict order (hashtable-encoded hashes and sets). */
  sameBytes: boolean;
}

const INTS = [
  '0', '12', '13', '127', '128', '-128', '-129', '4095', '4096', '-4096', '-4097', '32767', '32768', '-32768', '-32769',
  '8388607', '8388608', '-8388608', '-8388609', '2147483647', '2147483648', '-2147483648', '-2147483649',
  '9223372036854775807', '-9223372036854775808', '9223372036854775808', '-0', '007', '+5', '12345678901', '123456789012',
];
const BINARY = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

function range(n: number, f: (i: number) => string): string[] {
  return Array.from({ length: n }, (_, i) => f(i));
}

const CASES: Case[] = [
  ...INTS.map((v) => ({ name: `string ${v}`, cmds: [['SET', 'k', v]], sameBytes: true })),
  { name: 'empty string', cmds: [['SET', 'k', '']], sameBytes: true },
  { name: 'string of 20 bytes', cmds: [['SET', 'k', 'a'.repeat(20)]], sameBytes: true },
  { name: 'string of 21 bytes (LZF)', cmds: [['SET', 'k', 'a'.repeat(21)]], sameBytes: true },
  { name: 'binary string', cmds: [['SET', 'k', BINARY]], sameBytes: true },
  { name: 'big text string', cmds: [['SET', 'k', range(3000, (i) => `line ${i % 97} of text;`).join('')]], sameBytes: true },
  { name: 'APPENDed string', cmds: [['SET', 'k', 'abc'], ['APPEND', 'k', 'def']], sameBytes: true },
  { name: 'INCRBYFLOAT string', cmds: [['INCRBYFLOAT', 'k', '1.5']], sameBytes: true },
  { name: 'small list with every integer width', cmds: [['RPUSH', 'k', ...INTS, '', 'x'.repeat(63), 'y'.repeat(64), BINARY]], sameBytes: true },
  { name: 'list of 3000 integers (quicklist nodes)', cmds: [['RPUSH', 'k', ...range(3000, (i) => String(i * 37))]], sameBytes: true },
  { name: 'list of long strings', cmds: [['RPUSH', 'k', ...range(300, (i) => 'z'.repeat(i * 13))]], sameBytes: true },
  { name: 'list with a 5000-byte element', cmds: [['RPUSH', 'k', 'a', 'q'.repeat(5000), 'b', 'r'.repeat(9000)]], sameBytes: true },
  {
    // redis-server DUMPs compressed inner nodes as their LZF blob: the same bytes rdbSaveRawString's LZF gives.
    name: 'list with list-compress-depth 1',
    cmds: [['CONFIG', 'SET', 'list-compress-depth', '1'], ['RPUSH', 'k', ...range(4000, (i) => (i % 3 ? `element-${i}` : String(i * 7919)))]],
    sameBytes: true,
  },
  { name: 'intset of 16-bit members', cmds: [['SADD', 'k', '1', '-5', '300', '32767']], sameBytes: true },
  { name: 'intset of 32-bit members', cmds: [['SADD', 'k', '1', '-70000', '2147483647']], sameBytes: true },
  { name: 'intset of 64-bit members', cmds: [['SADD', 'k', '1', '-9223372036854775808', '5000000000']], sameBytes: true },
  { name: 'intset of 512 members', cmds: [['SADD', 'k', ...range(512, (i) => String(i * 1000003))]], sameBytes: true },
  { name: 'set of 513 integers (hashtable)', cmds: [['SADD', 'k', ...range(513, (i) => String(i))]], sameBytes: false },
  { name: 'set of strings', cmds: [['SADD', 'k', 'a', 'b', BINARY, '1']], sameBytes: false },
  { name: 'small hash', cmds: [['HSET', 'k', 'f', 'v', 'n', '12', 'neg', '-70000', 'bin', BINARY.subarray(0, 60), '', 'empty']], sameBytes: true },
  { name: 'hash with a 65-byte value (hashtable)', cmds: [['HSET', 'k', 'f', 'v'.repeat(65)]], sameBytes: true },
  { name: 'hash of 129 fields (hashtable)', cmds: [['HSET', 'k', ...range(258, (i) => `f${i >> 1}:${i & 1}`)]], sameBytes: false },
  {
    name: 'small sorted set with special scores',
    cmds: [['ZADD', 'k', '-0', 'a', '1.5', 'b', '0.1', 'c', 'inf', 'd', '-inf', 'e', '1e-5', 'f', '1e20', 'g', '4611686018427387904', 'h', '-4611686018427387905', 'i', '5e-324', 'j', '1.7976931348623157e308', 'l', '123456', 'm']],
    sameBytes: true,
  },
  { name: 'sorted set of 129 members (skiplist)', cmds: [['ZADD', 'k', ...range(258, (i) => (i % 2 ? `m${i}` : String(i / 7)))]], sameBytes: true },
  { name: 'sorted set with a 65-byte member (skiplist)', cmds: [['ZADD', 'k', '-0', 'x'.repeat(65), '2', 'b', '-inf', 'c']], sameBytes: true },
];

describe('DUMP / RESTORE side by side with redis-server', function () {
  this.timeout(60000);
  const t = serverForSuite();
  let ref: ReferenceRedis;
  let rr: Redis;

  before(async () => {
    // redis-server's built-in default is 512; redis.conf (and this server) use 128.
    ref = await startReferenceRedis(['--hash-max-listpack-entries', '128']);
    rr = new Redis({ port: ref.port });
  });
  after(async () => {
    rr?.disconnect();
    await ref?.stop();
  });
  beforeEach(async () => {
    await Promise.all([t.r.flushall(), rr.flushall()]);
    await Promise.all([t.r.config('SET', 'list-compress-depth', '0'), rr.config('SET', 'list-compress-depth', '0')]);
  });

  /** A comparable picture of a key: type, encoding and contents (sets and hashes sorted). */
  async function snapshot(r: Redis, key: string): Promise<unknown> {
    const type = await r.type(key);
    const enc = await r.object('ENCODING', key);
    const hex = (bs: Buffer[]) => bs.map((b) => b.toString('hex'));
    switch (type) {
      case 'string':
        return [type, enc, (await r.getBuffer(key))?.toString('hex')];
      case 'list':
        return [type, enc, hex(await r.lrangeBuffer(key, 0, -1))];
      case 'set':
        return [type, enc, hex(await r.smembersBuffer(key)).sort()];
      case 'hash': {
        const flat = (await r.callBuffer('HGETALL', key)) as Buffer[];
        const pairs: string[] = [];
        for (let i = 0; i < flat.length; i += 2) pairs.push(`${flat[i].toString('hex')}=${flat[i + 1].toString('hex')}`);
        return [type, enc, pairs.sort()];
      }
      case 'zset': {
        // Scores as numbers: this server prints them as Redis 7.2 does, redis-server 7.0 with %.17g.
        const flat = ((await r.call('ZRANGE', key, '0', '-1', 'WITHSCORES')) as unknown[]).flat() as string[];
        return [type, enc, flat.map((x, i) => (i % 2 ? String(Number(x)) : x))];
      }
      default:
        return [type];
    }
  }

  for (const c of CASES) {
    it(`${c.name}: DUMP bytes and RESTORE in both directions`, async () => {
      for (const cmd of c.cmds) {
        const [name, ...args] = cmd;
        await Promise.all([t.r.call(String(name), ...args), rr.call(String(name), ...args)]);
      }
      const ours = (await t.r.dumpBuffer('k')) as Buffer;
      const theirs = (await rr.dumpBuffer('k')) as Buffer;
      if (c.sameBytes) expect(ours.toString('hex')).to.equal(theirs.toString('hex'));
      const contents = async (r: Redis, key: string) => {
        const [type, , elements] = (await snapshot(r, key)) as unknown[];
        return [type, elements];
      };
      expect(await snapshot(t.r, 'k')).to.deep.equal(await snapshot(rr, 'k'));
      // Each payload restored on each server: the same contents as the original, the same encoding on both.
      for (const [name, payload] of [['from-redis', theirs], ['from-us', ours]] as const) {
        expect(await t.r.restore(name, 0, payload)).to.equal('OK');
        expect(await rr.restore(name, 0, payload)).to.equal('OK');
        expect(await snapshot(t.r, name), name).to.deep.equal(await snapshot(rr, name));
        expect(await contents(t.r, name), name).to.deep.equal(await contents(rr, 'k'));
      }
    });
  }

  describe('payloads older versions of Redis DUMPed', () => {
    const list = ['a', '7', '-300', '70000', '-9000000000', 'b'.repeat(100), '', 'c'.repeat(17000)];
    const hashPairs = ['f', 'v', 'num', '42', 'bin', '\x00\xff', 'big', 'x'.repeat(300)];
    const legacyCases: Array<[string, Buffer]> = [
      ['LIST (RDB 1)', legacy.list(list)],
      ['LIST_ZIPLIST', legacy.listZiplist(list)],
      ['LIST_QUICKLIST v1 with an empty node', legacy.quicklistV1([list.slice(0, 3), [], list.slice(3)])],
      ['SET (RDB 2) of integers', legacy.set(['3', '1', '2'])],
      ['HASH (RDB 4)', legacy.hash(hashPairs)],
      ['HASH_ZIPLIST', legacy.hashZiplist(hashPairs.slice(0, 6))],
      ['HASH_ZIPMAP with free bytes', legacy.hashZipmap(hashPairs.slice(0, 6), 3)],
      ['ZSET_ZIPLIST', legacy.zsetZiplist(['c', '-3', 'a', '1.5', 'b', '2'])],
      ['ZSET (RDB 3) with text scores', legacy.zsetText([['a', '0.25'], ['b', 'inf'], ['c', '-inf'], ['d', '-0']])],
      ['uncompressed long string', legacy.rawString(Buffer.from('a'.repeat(100)))],
    ];
    for (const [name, payload] of legacyCases) {
      it(`${name} restores as in redis-server`, async () => {
        expect(await rr.restore('k', 0, payload)).to.equal('OK');
        expect(await t.r.restore('k', 0, payload)).to.equal('OK');
        expect(await snapshot(t.r, 'k')).to.deep.equal(await snapshot(rr, 'k'));
      });
    }

    // redis-server 7.0 keeps a loaded ziplist/listpack hash as a listpack whatever its value lengths (only
    // the entry count is checked); this server applies hash-max-listpack-value as HSET does.
    it('a HASH_ZIPLIST with a value past hash-max-listpack-value: same contents, hashtable here', async () => {
      const p = legacy.hashZiplist(hashPairs);
      expect(await rr.restore('k', 0, p)).to.equal('OK');
      expect(await t.r.restore('k', 0, p)).to.equal('OK');
      const [type, , elements] = (await snapshot(rr, 'k')) as unknown[];
      expect(await snapshot(t.r, 'k')).to.deep.equal([type, 'hashtable', elements]);
      expect(await rr.object('ENCODING', 'k')).to.equal('listpack');
    });

    // redis-server keeps the node boundaries of a restored quicklist; this server splits lists its own way
    // (as RPUSH fills nodes), so a later DUMP of such a list differs in bytes, never in contents.
    it('a quicklist with small nodes restores to the same list; its next DUMP re-packs the nodes', async () => {
      const p = legacy.quicklistV1([['a', '1'], ['2', 'b']]);
      expect(await rr.restore('k', 0, p)).to.equal('OK');
      expect(await t.r.restore('k', 0, p)).to.equal('OK');
      expect(await snapshot(t.r, 'k')).to.deep.equal(await snapshot(rr, 'k'));
      const ours = (await t.r.dumpBuffer('k')) as Buffer;
      expect(ours[0]).to.equal(18); // QUICKLIST_2
      expect(ours[1]).to.equal(1); // one node
      expect(await rr.restore('k2', 0, ours)).to.equal('OK');
      expect(await rr.lrange('k2', 0, -1)).to.deep.equal(['a', '1', '2', 'b']);
    });

    it('edge payloads (NaN and text scores, quicklist containers, plain nodes, streams, modules) answer as redis-server', async () => {
      const cases: Array<[string, Buffer]> = [
        ['ZSET_2 NaN', craft(5, (w) => { w.len(1); w.string(Buffer.from('a')); w.binaryDouble(NaN); })],
        ['ZSET nan marker', craft(3, (w) => { w.len(1); w.string(Buffer.from('a')); w.byte(253); })],
        ['ZSET score with junk after it', craft(3, (w) => { w.len(1); w.string(Buffer.from('a')); w.byte(3); w.bytes(Buffer.from('1x2')); })],
        ['quicklist bad container', craft(18, (w) => { w.len(1); w.len(3); w.string(Buffer.from('abc')); })],
        ['quicklist plain node', craft(18, (w) => { w.len(2); w.len(1); w.string(Buffer.from('plain')); w.len(1); w.string(Buffer.from('x'.repeat(30))); })],
        ['stream', craft(15, (w) => w.len(0))],
        ['module', craft(7, (w) => w.len(0))],
        ['unknown type', craft(99, (w) => w.len(0))],
        ['empty string', craft(0, (w) => w.len(0))],
        ['listpack scores that are no number (read as 0) or a number and junk', legacy.zsetZiplist(['a', 'xyz', 'b', '2junk', 'c', '0x10'])],
        ['an encoding tag as a set length', craft(2, (w) => { w.byte(0xc2); w.string(Buffer.from('a')); w.string(Buffer.from('b')); })],
      ];
      for (const [name, p] of cases) {
        const theirs = await rr.restore(name, 0, p).then(String, (e: Error) => e.message);
        expect(await t.r.restore(name, 0, p).then(String, (e: Error) => e.message), name).to.equal(theirs);
        if (theirs === 'OK') expect(await snapshot(t.r, name), name).to.deep.equal(await snapshot(rr, name));
      }
    });

    it('empty collections and duplicate members are refused as by redis-server', async () => {
      for (const p of [legacy.list([]), legacy.listZiplist([]), legacy.quicklistV1([[], []]), legacy.set(['a', 'a']), legacy.hashZiplist(['f', '1', 'f', '2']), legacy.zsetText([['a', '1'], ['a', '2']])]) {
        expect(await errorOf(rr.restore('k', 0, p))).to.equal('ERR Bad data format');
        expect(await errorOf(t.r.restore('k', 0, p))).to.equal('ERR Bad data format');
      }
    });

    // redis-server 7.0 (sanitize-dump-payload no) loads these into a corrupt value; this server refuses them.
    it('duplicate hash fields and NaN scores are refused where redis-server loads them unchecked', async () => {
      for (const p of [legacy.hash(['f', '1', 'f', '2']), legacy.zsetZiplist(['a', 'nan'])]) {
        expect(await errorOf(t.r.restore('k', 0, p))).to.equal('ERR Bad data format');
      }
    });
  });

  describe('RESTORE options', () => {
    let payload: Buffer;
    beforeEach(async () => {
      await rr.set('src', 'value');
      payload = (await rr.dumpBuffer('src')) as Buffer;
    });

    async function both(...args: Array<string | Buffer | number>): Promise<[string, string]> {
      const run = (r: Redis) =>
        r.call('RESTORE', ...args).then(
          (v) => String(v),
          (e: Error) => e.message,
        );
      return [await run(t.r), await run(rr)];
    }

    it('errors and their order match redis-server', async () => {
      await t.r.set('busy', 'x');
      await rr.set('busy', 'x');
      const cases: Array<Array<string | Buffer>> = [
        ['busy', '0', payload],
        ['busy', '-1', payload],
        ['busy', 'abc', 'garbage'],
        ['new', '-1', payload],
        ['new', 'abc', payload],
        ['new', '0', 'garbage'],
        ['new', '-1', 'garbage'],
        ['new', '0', payload, 'BOGUS'],
        ['busy', '0', payload, 'IDLETIME'],
        ['new', '0', payload, 'IDLETIME', '-1'],
        ['new', '0', payload, 'IDLETIME', 'x'],
        ['new', '0', payload, 'FREQ', '256'],
        ['new', '0', payload, 'FREQ', '-1'],
        ['new', '0', payload, 'FREQ', '1.5'],
        ['new', '0', payload, 'IDLETIME', '1', 'FREQ', '1'],
        ['new', '0', payload, 'FREQ', '1', 'IDLETIME', '1'],
        ['new', '0', payload, 'IDLETIME', '1', 'IDLETIME', '2', 'REPLACE', 'ABSTTL'],
        ['busy2', '0', Buffer.concat([payload.subarray(0, -8), Buffer.alloc(8)])],
      ];
      for (const c of cases) {
        const [ours, theirs] = await both(...c);
        expect(ours, c.map(String).join(' ').slice(0, 80)).to.equal(theirs);
      }
      expect(await errorOf(t.r.call('RESTORE', 'k', '0'))).to.equal("ERR wrong number of arguments for 'restore' command");
      // Extreme TTLs: the largest absolute deadline is kept; a relative one past int64 is already expired.
      expect(await both('abs', '9223372036854775807', payload, 'ABSTTL')).to.deep.equal(['OK', 'OK']);
      expect(await t.r.call('PEXPIRETIME', 'abs')).to.equal(await rr.call('PEXPIRETIME', 'abs'));
      expect(await both('rel', '9223372036854775807', payload)).to.deep.equal(['OK', 'OK']);
      expect([await t.r.exists('rel'), await rr.exists('rel')]).to.deep.equal([0, 0]);
    });

    it('BUSYKEY, REPLACE and a relative TTL turned into a deadline', async () => {
      await t.r.set('k', 'old');
      expect(await errorOf(t.r.restore('k', 0, payload))).to.equal('BUSYKEY Target key name already exists.');
      expect(await t.r.restore('k', 5000, payload, 'REPLACE')).to.equal('OK');
      expect(await t.r.get('k')).to.equal('value');
      const pttl = await t.r.pttl('k');
      expect(pttl).to.be.within(3000, 5000);
      // A TTL of 0 means none; REPLACE clears the old one.
      expect(await t.r.restore('k', 0, payload, 'REPLACE')).to.equal('OK');
      expect(await t.r.pttl('k')).to.equal(-1);
    });

    it('ABSTTL: a future deadline is kept exactly, a past one restores nothing', async () => {
      const at = Date.now() + 100000;
      expect(await t.r.restore('k', at, payload, 'ABSTTL')).to.equal('OK');
      expect(Number(await t.r.call('PEXPIRETIME', 'k'))).to.equal(at);
      await t.r.set('old', 'x');
      await rr.set('old', 'x');
      const [ours, theirs] = await both('old', '1', payload, 'ABSTTL', 'REPLACE');
      expect(ours).to.equal(theirs);
      expect(await t.r.exists('old')).to.equal(await rr.exists('old'));
      expect(await t.r.exists('old')).to.equal(0);
      expect(await t.r.restore('gone', 1, payload, 'ABSTTL')).to.equal('OK');
      expect(await t.r.exists('gone')).to.equal(0);
    });

    it('IDLETIME sets what OBJECT IDLETIME reports; FREQ is accepted (no LFU policy) as by redis-server', async () => {
      expect(await t.r.restore('k', 0, payload, 'IDLETIME', '1000')).to.equal('OK');
      expect(await t.r.object('IDLETIME', 'k')).to.be.within(1000, 1005);
      expect(await rr.restore('k', 0, payload, 'IDLETIME', '1000')).to.equal('OK');
      expect(await rr.object('IDLETIME', 'k')).to.be.within(1000, 1005);
      expect(await t.r.restore('f', 0, payload, 'FREQ', '100')).to.equal('OK');
      expect(await errorOf(t.r.object('FREQ', 'f'))).to.equal(await errorOf(rr.object('FREQ', 'k')));
    });

    it('a restored collection is accounted and persisted like one built by commands (survives a restart)', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'raftcache-dump-'));
      let srv = await startServer([], { dir });
      let r = new Redis({ port: srv.port });
      try {
        const build: Cmd[] = [
          ['RPUSH', 'l', ...range(500, (i) => `e${i}`)],
          ['ZADD', 'z', ...range(400, (i) => (i % 2 ? `m${i}` : String(i / 3)))],
          ['HSET', 'h', ...range(20, (i) => `f${i}`)],
          ['SADD', 's', ...range(600, (i) => String(i))],
        ];
        for (const [name, ...args] of build) await rr.call(String(name), ...args);
        for (const [name, key, ...args] of build) await r.call(String(name), `c${String(key)}`, ...args);
        for (const key of ['l', 'z', 'h', 's']) {
          expect(await r.restore(`r${key}`, 0, (await rr.dumpBuffer(key)) as Buffer)).to.equal('OK');
          // Same encoding and the same accounted size as the value the commands built (key names of equal length).
          expect(await r.object('ENCODING', `r${key}`)).to.equal(await r.object('ENCODING', `c${key}`));
          expect(await r.memory('USAGE', `r${key}`)).to.equal(await r.memory('USAGE', `c${key}`));
        }
        const keys = ['rl', 'rz', 'rh', 'rs'];
        const before = await Promise.all(keys.map((k) => snapshot(r, k)));
        await r.call('SAVE');
        r.disconnect();
        await srv.stop();
        srv = await startServer([], { dir });
        r = new Redis({ port: srv.port });
        expect(await Promise.all(keys.map((k) => snapshot(r, k)))).to.deep.equal(before);
      } finally {
        r.disconnect();
        await srv.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('a RESTOREd list wakes a client blocked on the key (BLPOP), as a push does', async () => {
    await rr.rpush('src', 'x', 'y');
    const payload = (await rr.dumpBuffer('src')) as Buffer;
    const blocked = new Redis({ port: t.srv.port });
    try {
      const pop = blocked.blpop('q', 5);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await t.r.restore('q', 0, payload)).to.equal('OK');
      expect(await pop).to.deep.equal(['q', 'x']);
      expect(await t.r.lrange('q', 0, -1)).to.deep.equal(['y']);
    } finally {
      blocked.disconnect();
    }
  });

  describe('damaged payloads', () => {
    it('flipped bytes, truncations and forged checksums never hurt the server', async () => {
      await rr.rpush('l', ...range(200, (i) => (i % 2 ? `item${i}` : String(i * 99991))));
      await rr.hset('h', 'f', 'v', 'g', 'w');
      await rr.zadd('z', 1, 'a', 2.5, 'b');
      await rr.sadd('s', 1, 2, 3);
      await rr.set('str', 'compressible '.repeat(20));
      const allowed = new Set(['OK', 'ERR DUMP payload version or checksum are wrong', 'ERR Bad data format']);
      let seed = 99;
      const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
      for (const key of ['l', 'h', 'z', 's', 'str']) {
        const p = (await rr.dumpBuffer(key)) as Buffer;
        for (let round = 0; round < 60; round++) {
          const bad = Buffer.from(p);
          bad[Math.floor(rand() * (bad.length - 10))] ^= 1 + Math.floor(rand() * 255);
          // The CRC catches a flipped byte, as in Redis...
          expect(await errorOf(t.r.restore('x', 0, bad, 'REPLACE'))).to.equal('ERR DUMP payload version or checksum are wrong');
          // ...and with a forged CRC the parser must cope on its own.
          const forged = withFooter(bad.subarray(0, bad.length - 10));
          const reply = await t.r.restore('x', 0, forged, 'REPLACE').then(String, (e: Error) => e.message);
          expect(allowed.has(reply), reply).to.equal(true);
          if (reply === 'OK') await snapshot(t.r, 'x');
        }
        for (let n = 0; n < p.length; n += Math.max(1, Math.floor(p.length / 40))) {
          const cut = p.subarray(0, n);
          expect(await errorOf(t.r.restore('x', 0, cut, 'REPLACE'))).to.equal(await errorOf(rr.restore('x', 0, cut, 'REPLACE')));
          const forged = await t.r.restore('x', 0, withFooter(p.subarray(0, Math.max(0, n - 10))), 'REPLACE').then(String, (e: Error) => e.message);
          expect(allowed.has(forged), forged).to.equal(true);
        }
      }
      expect(await t.r.ping()).to.equal('PONG');
    });

    // With sanitize-dump-payload yes redis-server validates a payload in depth, as this server always does:
    // then both must accept and refuse the same forged payloads.
    it('forged payloads (valid checksum, damaged body) are accepted and refused as by redis-server with sanitize-dump-payload yes', async () => {
      const strict = await startReferenceRedis(['--sanitize-dump-payload', 'yes', '--hash-max-listpack-entries', '128']);
      const sr = new Redis({ port: strict.port });
      try {
        await sr.rpush('l', ...range(50, (i) => (i % 2 ? `item${i}` : String(i * 99991))));
        await sr.hset('h', 'f', 'v', 'g', 'w', 'n', '123');
        await sr.zadd('z', 1, 'a', 2.5, 'b', 3, 'c');
        await sr.sadd('s', 1, 2, 3, 70000);
        await sr.sadd('s2', 'a', 'b');
        await sr.set('str', 'compressible '.repeat(20));
        const bases: Buffer[] = [];
        for (const k of ['l', 'h', 'z', 's', 's2', 'str']) bases.push((await sr.dumpBuffer(k)) as Buffer);
        bases.push(legacy.hashZipmap(['a', 'b', 'cc', 'dd']), legacy.listZiplist(['a', '1', '300', 'x'.repeat(70)]), legacy.hashZiplist(['a', '1', 'b', '2']), legacy.quicklistV1([['a', '1'], ['b']]));
        let seed = 7;
        const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
        for (const p of bases) {
          for (let round = 0; round < 60; round++) {
            const body = Buffer.from(p.subarray(0, p.length - 10));
            for (let f = 1 + Math.floor(rand() * 2); f > 0; f--) body[Math.floor(rand() * body.length)] = Math.floor(rand() * 256);
            const q = withFooter(body);
            const theirs = await sr.restore('x', 0, q, 'REPLACE').then(String, (e: Error) => e.message);
            const ours = await t.r.restore('x', 0, q, 'REPLACE').then(String, (e: Error) => e.message);
            expect(ours, q.toString('hex')).to.equal(theirs);
            if (ours === 'OK') expect(await t.r.type('x')).to.equal(await sr.type('x'));
          }
        }
      } finally {
        sr.disconnect();
        await strict.stop();
      }
    });

    it('a version newer than 11 is refused as redis-server refuses one newer than 10', async () => {
      await rr.set('k', 'v');
      const p = (await rr.dumpBuffer('k')) as Buffer;
      const v12 = Buffer.from(p.subarray(0, -8));
      v12.writeUInt16LE(12, v12.length - 2);
      const payload = withFooter(v12.subarray(0, -2), 12);
      expect(await errorOf(t.r.restore('k2', 0, payload))).to.equal('ERR DUMP payload version or checksum are wrong');
      expect(await errorOf(rr.restore('k2', 0, payload))).to.equal('ERR DUMP payload version or checksum are wrong');
    });
  });

  describe('clients', () => {
    it('redis-cli prints the same DUMP as for redis-server', async () => {
      await Promise.all([t.r.rpush('k', 'a', 'b', '1'), rr.rpush('k', 'a', 'b', '1')]);
      const ours = redisCli(t.srv.port, ['--no-raw', 'DUMP', 'k']);
      expect(ours.status).to.equal(0);
      expect(ours.stdout).to.equal(redisCli(ref.port, ['--no-raw', 'DUMP', 'k']).stdout);
      expect(redisCli(t.srv.port, ['DUMP', 'nokey']).stdout).to.equal(redisCli(ref.port, ['DUMP', 'nokey']).stdout);
    });

    it('redis-py dump / restore with its option keywords', function () {
      const py = spawnSync('python3', ['-c', 'import redis']).status === 0 ? 'python3' : '/usr/bin/python3';
      if (spawnSync(py, ['-c', 'import redis']).status !== 0) this.skip();
      const script = [
        'import sys, redis',
        'r = redis.Redis(port=int(sys.argv[1]))',
        'r.rpush("pl", "a", 1, 2)',
        'p = r.dump("pl")',
        'print(r.restore("pl2", 0, p))',
        'print(r.restore("pl2", 10000, p, replace=True, idletime=50))',
        'print(r.pttl("pl2") > 9000, r.object("idletime", "pl2") >= 50)',
        'print(r.restore("pl3", 0, p, frequency=3))',
        'print(r.lrange("pl3", 0, -1))',
        'try:',
        '    r.restore("pl3", 0, p)',
        'except redis.ResponseError as e:',
        '    print(e)',
      ].join('\n');
      const run = spawnSync(py, ['-c', script, String(t.srv.port)], { encoding: 'utf8' });
      expect(run.stderr).to.equal('');
      // What the same script prints against redis-server 7.0.15 (redis-py leaves RESTORE's reply as bytes).
      expect(run.stdout).to.equal("b'OK'\nb'OK'\nTrue True\nb'OK'\n[b'a', b'1', b'2']\nBUSYKEY Target key name already exists.\n");
    });

    it('node-redis over RESP3 dumps and restores buffers', async () => {
      const c = createClient({ socket: { port: t.srv.port }, RESP: 3 });
      await c.connect();
      try {
        await c.hSet('h', { a: '1', b: 'two' });
        const p = await c.withTypeMapping({ [36]: Buffer }).dump('h');
        expect(Buffer.isBuffer(p)).to.equal(true);
        expect(await c.restore('h2', 0, p as unknown as Buffer)).to.equal('OK');
        expect(await c.hGetAll('h2')).to.deep.equal({ a: '1', b: 'two' });
        expect(await c.dump('none')).to.equal(null);
      } finally {
        await c.quit();
      }
    });
  });
});

/** A body with a valid footer (version, CRC64) computed here. */
function withFooter(body: Buffer, version = 10): Buffer {
  const v = Buffer.alloc(2);
  v.writeUInt16LE(version, 0);
  const head = Buffer.concat([body, v]);
  return Buffer.concat([head, crc64(head)]);
}
