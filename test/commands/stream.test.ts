/**
 * Streams through real clients against a real server: ioredis (RESP2),
 * exact RESP2 and RESP3 bytes side by side with a reference redis-server
 * (reply shapes, nulls, error texts), node-redis with RESP3, redis-py, and
 * restarts (entries, metadata and consumer groups come back from the
 * durable copy).
 */
import { expect } from 'chai';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errorOf, serverForSuite, startServer, type RunningServer } from '../support/proc';
import { startReferenceRedis, type ReferenceRedis } from '../support/reference-redis';
import { RawClient, resp } from '../support/raw';
import { Cluster, sleep } from '../cluster/harness';

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';

describe('stream commands through ioredis', function () {
  this.timeout(30000);
  const t = serverForSuite();
  beforeEach(async () => {
    await t.r.flushall();
  });

  it('XADD with explicit, ms-* and * ids; XRANGE / XREVRANGE / XLEN; binary fields', async () => {
    const { r } = t;
    const bin = Buffer.from([0, 255, 13, 10]);
    expect(await r.xadd('s', '1-1', 'a', '1', 'b', '2')).to.equal('1-1');
    expect(await r.xadd('s', '1-*', bin, bin)).to.equal('1-2');
    expect(await r.xadd('s', '5', 'a', '3')).to.equal('5-0');
    const before = Date.now();
    const auto = (await r.xadd('s', '*', 'a', '4'))!;
    const [ms, seq] = auto.split('-').map(Number);
    expect(ms).to.be.within(before - 5000, Date.now() + 5000);
    expect(seq).to.equal(0);
    // Ids stay increasing even when the clock does not move.
    const ids = await Promise.all(Array.from({ length: 20 }, () => r.xadd('s', '*', 'x', 'y')));
    for (let i = 1; i < ids.length; i++) {
      const [a, b] = [ids[i - 1]!, ids[i]!].map((s) => s.split('-').map(BigInt));
      expect(a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])).to.equal(true);
    }
    expect(await r.xlen('s')).to.equal(24);
    const first = await r.xrangeBuffer('s', '-', '(5-0');
    expect(first.map(([id]) => id.toString())).to.deep.equal(['1-1', '1-2']);
    expect(first[1][1]).to.deep.equal([bin, bin]);
    expect(await r.xrange('s', '1', '1', 'COUNT', 1)).to.deep.equal([['1-1', ['a', '1', 'b', '2']]]);
    expect((await r.xrevrange('s', '+', '-', 'COUNT', 2)).map(([id]) => id)).to.deep.equal([ids[19], ids[18]]);
    expect(await r.type('s')).to.equal('stream');
    expect(await r.object('ENCODING', 's')).to.equal('stream');
  });

  it('errors: ids, ordering, arity, options, wrong type', async () => {
    const { r } = t;
    await r.xadd('s', '5-5', 'a', '1');
    expect(await errorOf(r.xadd('s', '5-5', 'a', '1'))).to.equal('ERR The ID specified in XADD is equal or smaller than the target stream top item');
    expect(await errorOf(r.xadd('n', '0-0', 'a', '1'))).to.equal('ERR The ID specified in XADD must be greater than 0-0');
    expect(await r.exists('n')).to.equal(0);
    expect(await errorOf(r.xadd('s', 'x-1', 'a', '1'))).to.equal('ERR Invalid stream ID specified as stream command argument');
    expect(await errorOf(r.call('xadd', 's', '*', 'a', '1', 'b'))).to.equal("ERR wrong number of arguments for 'xadd' command");
    expect(await errorOf(r.call('xadd', 's', 'MAXLEN', '1', 'LIMIT', '5', '*', 'a', '1'))).to.equal('ERR syntax error, LIMIT cannot be used without the special ~ option');
    expect(await errorOf(r.call('xadd', 's', 'MAXLEN', '-1', '*', 'a', '1'))).to.equal('ERR The MAXLEN argument must be >= 0.');
    await r.xadd('m', '18446744073709551615-18446744073709551615', 'a', '1');
    expect(await errorOf(r.xadd('m', '*', 'a', '1'))).to.equal('ERR The stream has exhausted the last possible ID, unable to add more items');
    expect(await r.xadd('gone', 'NOMKSTREAM', '*', 'a', '1')).to.equal(null);
    await r.set('str', 'x');
    expect(await errorOf(r.xadd('str', '*', 'a', '1'))).to.equal(WRONGTYPE);
    expect(await errorOf(r.xrange('str', '-', '+'))).to.equal(WRONGTYPE);
    expect(await errorOf(r.call('xinfo', 'stream', 'none'))).to.equal('ERR no such key');
  });

  it('XDEL, XTRIM (MAXLEN / MINID, = and ~, LIMIT), XSETID; an emptied stream stays', async () => {
    const { r } = t;
    for (let i = 1; i <= 350; i++) await r.xadd('s', `${i}-0`, 'f', String(i));
    expect(await r.xdel('s', '1-0', '2-0', '999-0')).to.equal(2);
    expect(await r.call('xtrim', 's', 'MAXLEN', '~', '200')).to.equal(98); // the first node (100 entries, 2 deleted) goes whole
    expect(await r.call('xtrim', 's', 'MAXLEN', '=', '240')).to.equal(10);
    expect(await r.call('xtrim', 's', 'MINID', '150')).to.equal(39);
    expect(await r.call('xtrim', 's', 'MAXLEN', '~', '0', 'LIMIT', '100')).to.equal(51);
    expect(await r.xlen('s')).to.equal(150);
    expect(await r.xtrim('s', 'MAXLEN', 0)).to.equal(150);
    expect(await r.exists('s')).to.equal(1);
    expect(await r.xlen('s')).to.equal(0);
    expect(await r.call('xsetid', 's', '1000-0', 'ENTRIESADDED', '999', 'MAXDELETEDID', '7-7')).to.equal('OK');
    const info = (await r.call('xinfo', 'stream', 's')) as unknown[];
    expect(info.slice(6, 14)).to.deep.equal(['last-generated-id', '1000-0', 'max-deleted-entry-id', '7-7', 'entries-added', 999, 'recorded-first-entry-id', '0-0']);
    expect(await r.xadd('s', '1000-*', 'a', '1')).to.equal('1000-1');
  });

  it('XREAD: several streams, COUNT, $, missing keys', async () => {
    const { r } = t;
    await r.xadd('a', '1-1', 'x', '1');
    await r.xadd('a', '2-1', 'x', '2');
    await r.xadd('b', '3-1', 'y', '3');
    expect(await r.xread('COUNT', 1, 'STREAMS', 'a', 'b', 'none', '0', '0', '0')).to.deep.equal([
      ['a', [['1-1', ['x', '1']]]],
      ['b', [['3-1', ['y', '3']]]],
    ]);
    expect(await r.xread('STREAMS', 'a', '1-1')).to.deep.equal([['a', [['2-1', ['x', '2']]]]]);
    expect(await r.xread('STREAMS', 'a', '$')).to.equal(null);
  });

  it('consumer groups: XGROUP, XREADGROUP (>, history, NOACK), XACK, XPENDING, XCLAIM, XAUTOCLAIM, XINFO', async () => {
    const { r } = t;
    for (let i = 1; i <= 5; i++) await r.xadd('s', `${i}-0`, 'n', String(i));
    expect(await r.xgroup('CREATE', 's', 'g', '0')).to.equal('OK');
    expect(await errorOf(r.xgroup('CREATE', 's', 'g', '$'))).to.equal('BUSYGROUP Consumer Group name already exists');
    expect(await r.xreadgroup('GROUP', 'g', 'alice', 'COUNT', 2, 'STREAMS', 's', '>')).to.deep.equal([['s', [['1-0', ['n', '1']], ['2-0', ['n', '2']]]]]);
    expect(await r.xreadgroup('GROUP', 'g', 'bob', 'COUNT', 1, 'NOACK', 'STREAMS', 's', '>')).to.deep.equal([['s', [['3-0', ['n', '3']]]]]);
    expect(await r.xreadgroup('GROUP', 'g', 'bob', 'STREAMS', 's', '>')).to.deep.equal([['s', [['4-0', ['n', '4']], ['5-0', ['n', '5']]]]]);
    expect(await r.xreadgroup('GROUP', 'g', 'bob', 'STREAMS', 's', '>')).to.equal(null);
    // History: bob's pending entries (3-0 was NOACK), with a deleted one as [id, nil].
    await r.xdel('s', '4-0');
    expect(await r.xreadgroup('GROUP', 'g', 'bob', 'STREAMS', 's', '0')).to.deep.equal([['s', [['4-0', null], ['5-0', ['n', '5']]]]]);
    expect(await r.xpending('s', 'g')).to.deep.equal([4, '1-0', '5-0', [['alice', '2'], ['bob', '2']]]);
    const ext = (await r.xpending('s', 'g', '-', '+', 10, 'bob')) as Array<[string, string, number, number]>;
    expect(ext.map(([id, c, , n]) => [id, c, n])).to.deep.equal([['4-0', 'bob', 1], ['5-0', 'bob', 2]]);
    expect(ext[0][2]).to.be.within(0, 5000);
    expect(await r.xack('s', 'g', '1-0', '9-0')).to.equal(1);
    expect(await r.xclaim('s', 'g', 'carol', 0, '2-0', 'JUSTID')).to.deep.equal(['2-0']);
    expect(await r.xclaim('s', 'g', 'carol', 3600000, '5-0')).to.deep.equal([]);
    expect(await r.xclaim('s', 'g', 'carol', 0, '5-0', 'RETRYCOUNT', 7)).to.deep.equal([['5-0', ['n', '5']]]);
    expect(await r.xautoclaim('s', 'g', 'dave', 0, '0', 'COUNT', 5)).to.deep.equal(['0-0', [['2-0', ['n', '2']], ['5-0', ['n', '5']]], ['4-0']]);
    expect(await r.xpending('s', 'g')).to.deep.equal([2, '2-0', '5-0', [['dave', '2']]]);
    const groups = (await r.xinfo('GROUPS', 's')) as unknown[][];
    expect(groups).to.deep.equal([['name', 'g', 'consumers', 4, 'pending', 2, 'last-delivered-id', '5-0', 'entries-read', 5, 'lag', 0]]);
    const consumers = (await r.xinfo('CONSUMERS', 's', 'g')) as unknown[][];
    expect(consumers.map((c) => c.slice(0, 4))).to.deep.equal([
      ['name', 'alice', 'pending', 0],
      ['name', 'bob', 'pending', 0],
      ['name', 'carol', 'pending', 0],
      ['name', 'dave', 'pending', 2],
    ]);
    expect(await r.xgroup('DELCONSUMER', 's', 'g', 'dave')).to.equal(2);
    expect(await r.xgroup('CREATECONSUMER', 's', 'g', 'erin')).to.equal(1);
    expect(await r.xgroup('SETID', 's', 'g', '0')).to.equal('OK');
    expect(await r.xgroup('DESTROY', 's', 'g')).to.equal(1);
    expect(await errorOf(r.xreadgroup('GROUP', 'g', 'x', 'STREAMS', 's', '>'))).to.equal("NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option");
    expect(await r.xgroup('CREATE', 'fresh', 'g', '$', 'MKSTREAM')).to.equal('OK');
    expect(await r.xlen('fresh')).to.equal(0);
  });

  it('XREAD BLOCK waits on this node: woken by an XADD ($ and explicit ids), times out with null, keeps replies in order', async () => {
    const { r } = t;
    const waiter = r.duplicate();
    const other = r.duplicate();
    try {
      await r.xadd('w', '1-1', 'old', '1');
      const started = Date.now();
      const pending = waiter.xread('BLOCK', 0, 'STREAMS', 'w', 'none', '$', '$');
      const after = waiter.ping(); // queued behind the blocked read, as in Redis
      await new Promise((res) => setTimeout(res, 150));
      await other.xadd('none', '5-5', 'new', '2');
      expect(await pending).to.deep.equal([['none', [['5-5', ['new', '2']]]]]);
      expect(await after).to.equal('PONG');
      expect(Date.now() - started).to.be.at.least(140);
      const timed = Date.now();
      expect(await waiter.xread('BLOCK', 200, 'STREAMS', 'w', '1-1')).to.equal(null);
      expect(Date.now() - timed).to.be.within(150, 3000);
      // Entries already there answer at once.
      expect(await waiter.xread('BLOCK', 0, 'STREAMS', 'w', '0')).to.deep.equal([['w', [['1-1', ['old', '1']]]]]);
      // A client that leaves while blocked leaves nothing behind.
      const leaver = r.duplicate();
      void leaver.xread('BLOCK', 0, 'STREAMS', 'w', '$').catch(() => undefined);
      await new Promise((res) => setTimeout(res, 100));
      leaver.disconnect();
      await new Promise((res) => setTimeout(res, 100));
      expect(await other.xadd('w', '2-1', 'x', 'y')).to.equal('2-1');
      expect(await errorOf(waiter.xread('BLOCK', -1, 'STREAMS', 'w', '$'))).to.equal('ERR timeout is negative');
    } finally {
      waiter.disconnect();
      other.disconnect();
    }
  });

  it('XREADGROUP BLOCK parks until an entry for its group arrives, times out with null, and never parks without BLOCK', async () => {
    const { r } = t;
    const waiter = r.duplicate();
    const other = r.duplicate();
    try {
      await r.xgroup('CREATE', 'jobs', 'workers', '$', 'MKSTREAM');
      expect(await r.xreadgroup('GROUP', 'workers', 'w0', 'STREAMS', 'jobs', '>')).to.equal(null);
      const pending = waiter.xreadgroup('GROUP', 'workers', 'w1', 'BLOCK', 0, 'STREAMS', 'jobs', '>');
      await new Promise((res) => setTimeout(res, 150));
      // Another group's progress or another key does not wake it.
      await other.xadd('elsewhere', '1-1', 'a', '1');
      await new Promise((res) => setTimeout(res, 100));
      await other.xadd('jobs', '7-1', 'task', 'a');
      expect(await pending).to.deep.equal([['jobs', [['7-1', ['task', 'a']]]]]);
      expect(await r.xpending('jobs', 'workers')).to.deep.equal([1, '7-1', '7-1', [['w1', '1']]]);
      const timed = Date.now();
      expect(await waiter.xreadgroup('GROUP', 'workers', 'w1', 'BLOCK', 200, 'STREAMS', 'jobs', '>')).to.equal(null);
      expect(Date.now() - timed).to.be.within(150, 5000);
      // History never blocks.
      expect(await waiter.xreadgroup('GROUP', 'workers', 'w1', 'BLOCK', 0, 'STREAMS', 'jobs', '0')).to.deep.equal([['jobs', [['7-1', ['task', 'a']]]]]);
      // Two waiters, one entry each, in arrival order.
      const a = waiter.xreadgroup('GROUP', 'workers', 'wa', 'COUNT', 1, 'BLOCK', 5000, 'STREAMS', 'jobs', '>');
      await new Promise((res) => setTimeout(res, 100));
      const b = other.xreadgroup('GROUP', 'workers', 'wb', 'COUNT', 1, 'BLOCK', 5000, 'STREAMS', 'jobs', '>');
      await new Promise((res) => setTimeout(res, 100));
      await r.xadd('jobs', '8-1', 'task', 'b');
      await r.xadd('jobs', '9-1', 'task', 'c');
      expect(await a).to.deep.equal([['jobs', [['8-1', ['task', 'b']]]]]);
      expect(await b).to.deep.equal([['jobs', [['9-1', ['task', 'c']]]]]);
    } finally {
      waiter.disconnect();
      other.disconnect();
    }
  });

  it('generic commands: RENAME, COPY, DEL, EXPIRE, SCAN TYPE stream', async () => {
    const { r } = t;
    await r.xadd('s', '1-1', 'a', '1');
    await r.set('str', 'v');
    expect(await r.rename('s', 's2')).to.equal('OK');
    expect(await r.copy('s2', 's3')).to.equal(1);
    await r.xadd('s2', '2-1', 'b', '2');
    expect(await r.xlen('s3')).to.equal(1);
    expect(await r.scan(0, 'TYPE', 'stream').then(([, keys]) => keys.sort())).to.deep.equal(['s2', 's3']);
    expect(await r.pexpire('s3', 100000)).to.equal(1);
    expect(await r.pttl('s3')).to.be.above(90000);
    expect(await r.del('s2', 's3')).to.equal(2);
  });
});

/** Each command's exact reply bytes, one at a time (an ECHO marker ends each reply). */
async function rawReplies(port: number, proto: 2 | 3, cmds: string[][]): Promise<string[]> {
  const c = await RawClient.connect(port);
  try {
    const out: string[] = [];
    let seen = 0;
    const step = async (cmd: string[], keep: boolean): Promise<void> => {
      const marker = `$10\r\n__end__${String(out.length).padStart(3, '0')}\r\n`;
      c.write(Buffer.concat([resp(...cmd), resp('ECHO', marker.slice(5, 15))]));
      const text = await c.waitFor((s) => s.indexOf(marker, seen) >= 0);
      const end = text.indexOf(marker, seen);
      if (keep) out.push(text.slice(seen, end));
      seen = end + marker.length;
    };
    if (proto === 3) await step(['HELLO', '3'], false);
    for (const cmd of cmds) await step(cmd, true);
    return out;
  } finally {
    c.close();
  }
}

describe('streams against a reference redis-server (exact bytes)', function () {
  this.timeout(60000);
  const t = serverForSuite();
  let ref: ReferenceRedis | undefined;
  before(async function () {
    if (spawnSync('redis-server', ['--version']).status !== 0) this.skip();
    ref = await startReferenceRedis();
  });
  after(async () => {
    await ref?.stop();
  });

  const CMDS: string[][] = [
    ['FLUSHALL'],
    ['XADD', 's', '1-1', 'a', '1', 'b', '2'],
    ['XADD', 's', '1-*', 'a', '3'],
    ['XADD', 's', 'MAXLEN', '~', '10', '2', 'c', 'x'.repeat(100)],
    ['XADD', 's', 'NOMKSTREAM', 'MINID', '=', '0', 'LIMIT', '0', '3-*', 'a', ''],
    ['XADD', 's', '0-0', 'a', '1'],
    ['XADD', 's', '2-0', 'a', '1'],
    ['XADD', 's', '3-1-1', 'a', '1'],
    ['XADD', 's', '*', 'a'],
    ['XADD', 's', 'MAXLEN', '1', 'MINID', '1', '*', 'a', '1'],
    ['XADD', 's', 'LIMIT', '5', '*', 'a', '1'],
    ['XADD', 'none', 'NOMKSTREAM', '*', 'a', '1'],
    ['XLEN', 's'],
    ['XLEN', 'none'],
    ['XRANGE', 's', '-', '+'],
    ['XRANGE', 's', '(1-1', '+', 'COUNT', '2'],
    ['XRANGE', 's', '-', '+', 'COUNT', '0'],
    ['XRANGE', 'none', '-', '+', 'COUNT', '0'],
    ['XRANGE', 's', '(-', '+'],
    ['XRANGE', 's', '-', '+', 'COUNT'],
    ['XRANGE', 's', '(18446744073709551615-18446744073709551615', '+'],
    ['XREVRANGE', 's', '(3', '-'],
    ['XDEL', 's', '1-2', '7-7'],
    ['XDEL', 's', 'x'],
    ['XTRIM', 's', 'MAXLEN', '2'],
    ['XTRIM', 's', 'LIMIT', '0'],
    ['XTRIM', 's'],
    ['XSETID', 's', '1'],
    ['XSETID', 's', '9-9', 'ENTRIESADDED', '1'],
    ['XSETID', 's', '9-9', 'MAXDELETEDID', '10-0'],
    ['XSETID', 's', '9-9', 'ENTRIESADDED', '9', 'MAXDELETEDID', '2-0'],
    ['XSETID', 'none', '1'],
    ['XINFO', 'STREAM', 's'],
    ['XINFO', 'STREAM', 's', 'FULL'],
    ['XINFO', 'STREAM', 's', 'FULL', 'COUNT', '1'],
    ['XINFO', 'STREAM', 's', 'x'],
    ['XINFO', 'STREAM'],
    ['XINFO', 'nosuch'],
    ['XINFO', 'HELP'],
    ['XADD', 'e', 'MAXLEN', '0', '5-5', 'a', '1'],
    ['XINFO', 'STREAM', 'e'],
    ['XREAD', 'COUNT', '1', 'STREAMS', 's', 'e', 'none', '0', '0', '0'],
    ['XREAD', 'STREAMS', 's', '$'],
    ['XREAD', 'STREAMS', 's'],
    ['XREAD', 'STREAMS', 's', 'e', '0'],
    ['XREAD', 'STREAMS', 's', '>'],
    ['XREAD', 'NOACK', 'STREAMS', 's', '0'],
    ['XREAD', 'BLOCK', 'x', 'STREAMS', 's', '0'],
    ['SET', 'str', 'v'],
    ['XREAD', 'STREAMS', 'str', '0'],
    ['XLEN', 'str'],
    ['TYPE', 's'],
    ['OBJECT', 'ENCODING', 's'],
    // Consumer groups: every reply that is not a clock.
    ['XADD', 'q', '1-0', 'a', '1'],
    ['XADD', 'q', '2-0', 'b', '2'],
    ['XADD', 'q', '3-0', 'c', '3'],
    ['XGROUP', 'CREATE', 'q', 'g', '0'],
    ['XGROUP', 'CREATE', 'q', 'g', '$'],
    ['XGROUP', 'CREATE', 'q', 'h', '$', 'ENTRIESREAD', '3'],
    ['XGROUP', 'CREATE', 'q', 'i', '-'],
    ['XGROUP', 'CREATE', 'none', 'g', '$'],
    ['XGROUP', 'CREATE', 'q', 'j', '0', 'ENTRIESREAD', '-2'],
    ['XGROUP', 'CREATE', 'q', 'j', '0', 'MKSTREAM', 'ENTRIESREAD', '1', 'MKSTREAM', 'x'],
    ['XGROUP', 'SETID', 'q', 'nog', '0'],
    ['XGROUP', 'SETID', 'q', 'h', '+', 'ENTRIESREAD', '2'],
    ['XGROUP', 'CREATECONSUMER', 'q', 'g', 'zed'],
    ['XGROUP', 'DELCONSUMER', 'q', 'g', 'zed'],
    ['XGROUP', 'nosuch'],
    ['XGROUP', 'HELP'],
    ['XGROUP', 'CREATE', 'q'],
    ['XREADGROUP', 'GROUP', 'g', 'a', 'COUNT', '1', 'STREAMS', 'q', '>'],
    ['XREADGROUP', 'GROUP', 'g', 'b', 'STREAMS', 'q', '>'],
    ['XREADGROUP', 'GROUP', 'g', 'b', 'STREAMS', 'q', '>'],
    ['XREADGROUP', 'GROUP', 'g', 'a', 'STREAMS', 'q', '0'],
    ['XREADGROUP', 'GROUP', 'g', 'a', 'STREAMS', 'q', '$'],
    ['XREADGROUP', 'GROUP', 'nog', 'a', 'STREAMS', 'q', '>'],
    ['XREADGROUP', 'STREAMS', 'q', '>'],
    ['XREADGROUP', 'GROUP', 'g', 'a', 'STREAMS', 'q', 'e', '>'],
    ['XPENDING', 'q', 'g'],
    ['XPENDING', 'q', 'h'],
    ['XPENDING', 'q', 'nog'],
    ['XPENDING', 'q', 'g', '-', '+'],
    ['XPENDING', 'q', 'g', '-', '+', '10', 'nobody'],
    ['XINFO', 'GROUPS', 'q'],
    ['XACK', 'q', 'g', '1-0', '1-0', '7-0'],
    ['XACK', 'q', 'g', 'x'],
    ['XDEL', 'q', '2-0'],
    ['XREADGROUP', 'GROUP', 'g', 'b', 'STREAMS', 'q', '0'],
    ['XCLAIM', 'q', 'g', 'c', '0', '3-0', 'JUSTID'],
    ['XCLAIM', 'q', 'g', 'c', '0', '2-0', '1-0', 'FORCE'],
    ['XCLAIM', 'q', 'g', 'c', 'x', '3-0'],
    ['XCLAIM', 'q', 'g', 'c', '0', '3-0', 'bogus'],
    ['XAUTOCLAIM', 'q', 'g', 'd', '0', '0', 'COUNT', '1'],
    ['XAUTOCLAIM', 'q', 'g', 'd', '0', '0', 'JUSTID'],
    ['XAUTOCLAIM', 'q', 'g', 'd', '0', '0', 'COUNT', '0'],
    ['XPENDING', 'q', 'g'],
    ['XINFO', 'GROUPS', 'q'],
    ['XINFO', 'CONSUMERS', 'q', 'nog'],
    ['XGROUP', 'DESTROY', 'q', 'g'],
    ['XINFO', 'GROUPS', 'q'],
  ];

  for (const proto of [2, 3] as const) {
    it(`answers every reply byte for byte as redis-server does (RESP${proto})`, async () => {
      const ours = await rawReplies(t.srv.port, proto, CMDS);
      const theirs = await rawReplies(ref!.port, proto, CMDS);
      for (let i = 0; i < CMDS.length; i++) expect(ours[i], CMDS[i].join(' ')).to.equal(theirs[i]);
    });
  }
});

describe('streams through node-redis (RESP3) and redis-py', function () {
  this.timeout(30000);
  const t = serverForSuite();

  it('node-redis RESP3: XREAD is a map of stream name to entries; XINFO STREAM a map', async () => {
    const c = createClient({ socket: { port: t.srv.port }, RESP: 3 });
    await c.connect();
    try {
      await c.sendCommand(['FLUSHALL']);
      await c.sendCommand(['XADD', 'a', '1-1', 'f', 'v']);
      const read = (await c.sendCommand(['XREAD', 'STREAMS', 'a', '0'])) as unknown;
      const entries = read instanceof Map ? read.get('a') : (read as Record<string, unknown>)['a'];
      expect(entries).to.deep.equal([['1-1', ['f', 'v']]]);
      const info = (await c.sendCommand(['XINFO', 'STREAM', 'a'])) as unknown;
      const length = info instanceof Map ? info.get('length') : (info as Record<string, unknown>)['length'];
      expect(length).to.equal(1);
      expect(await c.sendCommand(['XREAD', 'STREAMS', 'a', '$'])).to.equal(null);
    } finally {
      await c.quit();
    }
  });

  it('redis-py: xadd / xrange / xread / xinfo_stream / xtrim as applications call them', function () {
    const py = spawnSync('python3', ['-c', 'import redis']).status === 0 ? 'python3' : '/usr/bin/python3';
    if (spawnSync(py, ['-c', 'import redis']).status !== 0) this.skip();
    const script = `
import json, sys, redis
r = redis.Redis(port=int(sys.argv[1]), decode_responses=True)
r.flushdb()
out = {}
out["ids"] = [r.xadd("events", {"type": "click", "n": i}, id="%d-0" % (i + 1)) for i in range(5)]
out["auto"] = r.xadd("events", {"type": "view"}, maxlen=3, approximate=False).split("-")[1]
out["len"] = r.xlen("events")
out["range"] = r.xrange("events", "-", "+", count=2)
out["rev"] = r.xrevrange("events", "+", "-", count=1)[0][1]
out["read"] = r.xread({"events": "4-0"}, count=1)
info = r.xinfo_stream("events")
out["info"] = [info["length"], info["entries-added"], info["first-entry"][0]]
out["trim"] = r.xtrim("events", maxlen=1)
out["del"] = r.xdel("events", "1-0")
print(json.dumps(out))
`;
    const run = spawnSync(py, ['-c', script, String(t.srv.port)], { encoding: 'utf8' });
    expect(run.stderr).to.equal('');
    expect(JSON.parse(run.stdout)).to.deep.equal({
      ids: ['1-0', '2-0', '3-0', '4-0', '5-0'],
      auto: '0',
      len: 3,
      range: [
        ['4-0', { type: 'click', n: '3' }],
        ['5-0', { type: 'click', n: '4' }],
      ],
      rev: { type: 'view' },
      read: [['events', [['5-0', { type: 'click', n: '4' }]]]],
      info: [3, 6, '4-0'],
      trim: 0, // redis-py trims approximately by default: no whole node to drop
      del: 0,
    });
  });
});

describe('streams across a restart', function () {
  this.timeout(60000);
  let srv: RunningServer | undefined;
  let dir = '';
  afterEach(async () => {
    await srv?.stop();
    srv = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    it(`keeps entries, deletions, metadata, groups, consumers and pending entries after ${signal}`, async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'raftcache-stream-restart-'));
      srv = await startServer([], { dir });
      let r = new Redis({ port: srv.port });
      const snapshot = async (): Promise<unknown> => [
        await r.xrange('big', '-', '+'),
        await r.call('xinfo', 'stream', 'big'),
        await r.call('xinfo', 'stream', 'empty'),
        await r.call('xinfo', 'groups', 'big'),
        await r.call('xpending', 'big', 'g1'),
        await r.call('xpending', 'big', 'g1', '-', '+', '10').then((ps) => (ps as unknown[][]).map((p) => [p[0], p[1], p[3]])),
        await r.call('xinfo', 'consumers', 'big', 'g1').then((cs) => (cs as unknown[][]).map((c) => c.slice(0, 4))),
      ];
      let before: unknown;
      try {
        const p = r.pipeline();
        for (let i = 1; i <= 2500; i++) p.xadd('big', `${i}-${i % 3}`, 'a', String(i), 'b', i % 10 === 0 ? 'x'.repeat(500) : 'y');
        await p.exec();
        await r.xdel('big', '7-1', '2000-2');
        await r.call('xtrim', 'big', 'MAXLEN', '~', '2200');
        await r.call('xtrim', 'big', 'MINID', '401');
        await r.call('xadd', 'empty', 'MAXLEN', '0', '9-9', 'a', '1');
        await r.call('xgroup', 'create', 'big', 'g1', '0');
        await r.call('xgroup', 'create', 'big', 'g2', '$');
        await r.call('xreadgroup', 'group', 'g1', 'alice', 'count', '3', 'streams', 'big', '>');
        await r.call('xreadgroup', 'group', 'g1', 'bob', 'count', '2', 'streams', 'big', '>');
        await r.call('xgroup', 'createconsumer', 'big', 'g1', 'carol');
        await r.call('xclaim', 'big', 'g1', 'carol', '0', '401-2', 'RETRYCOUNT', '9');
        await r.call('xack', 'big', 'g1', '402-0');
        // A deleted stream's records (blocks, groups, PEL) must all go: nothing comes back after the restart.
        await r.xadd('gone', '1-1', 'a', '1');
        await r.call('xgroup', 'create', 'gone', 'g', '0');
        await r.call('xreadgroup', 'group', 'g', 'c', 'streams', 'gone', '>');
        await r.del('gone');
        before = await snapshot();
      } finally {
        r.disconnect();
      }
      await srv.stop(signal);
      srv = await startServer([], { dir });
      r = new Redis({ port: srv.port });
      try {
        expect(await snapshot()).to.deep.equal(before);
        expect(await r.exists('gone')).to.equal(0);
        const len = await r.xlen('big');
        expect(len).to.be.within(1000, 2100);
        expect(await r.xadd('big', '*', 'a', 'new')).to.match(/^\d+-0$/);
        expect(await r.xlen('big')).to.equal(len + 1);
      } finally {
        r.disconnect();
      }
    });
  }
});

/**
 * Three nodes: `*` ids, consumer-group deliveries and their times are fixed
 * by the log, so every node holds the same stream, groups and PELs, whether
 * the writes came through the leader or a follower, and a follower brought
 * back by a snapshot install has them too.
 */
describe('streams in a 3-node cluster', function () {
  this.timeout(120000);
  let cluster: Cluster;
  before(async () => {
    cluster = await Cluster.start({ nodes: 3, args: ['--snapshot-entries', '20', '--log-tail', '20'] });
    await cluster.leader();
  });
  after(async () => {
    await cluster?.stopAll();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && cluster) process.stderr.write(cluster.logTail(60) + '\n');
  });

  const state = async (id: number): Promise<unknown> => {
    const r = cluster.client(id);
    return [
      await r.xrange('log', '-', '+'),
      await r.call('xinfo', 'stream', 'log', 'full'), // delivery and seen times included: they are log times
      await r.call('xinfo', 'groups', 'log'),
      await r.call('xpending', 'log', 'workers'),
    ];
  };

  it('holds identical streams and groups on every node, also after a snapshot install', async () => {
    const leader = await cluster.leader();
    const [f1, f2] = await cluster.followers(leader);
    const viaLeader = cluster.client(leader);
    const viaFollower = cluster.client(f1);
    await viaFollower.xgroup('CREATE', 'log', 'workers', '0', 'MKSTREAM');
    for (let i = 0; i < 30; i++) await (i % 2 ? viaLeader : viaFollower).xadd('log', '*', 'n', String(i));
    await viaFollower.xreadgroup('GROUP', 'workers', 'w1', 'COUNT', 5, 'STREAMS', 'log', '>');
    await viaLeader.xreadgroup('GROUP', 'workers', 'w2', 'COUNT', 5, 'STREAMS', 'log', '>');
    await cluster.settle();
    const expected = await state(leader);
    expect(await state(f1)).to.deep.equal(expected);
    expect(await state(f2)).to.deep.equal(expected);

    await cluster.kill(f2, 'SIGKILL');
    for (let i = 0; i < 60; i++) await viaFollower.xadd('log', 'MAXLEN', '~', '50', '*', 'n', `later${i}`);
    await viaFollower.xclaim('log', 'workers', 'w3', 0, ...((await viaLeader.xpending('log', 'workers', '-', '+', 3)) as string[][]).map((p) => p[0]));
    await viaLeader.xack('log', 'workers', ...((await viaLeader.xpending('log', 'workers', '-', '+', 2, 'w2')) as string[][]).map((p) => p[0]));
    // Compact now (the leader's timer may not have yet on a loaded machine), so f2 must catch up by snapshot.
    for (const id of cluster.running()) expect(await cluster.command(id, ['RAFT.COMPACT'], 30000)).to.equal('OK');
    const before = cluster.node(f2).logs.length;
    await cluster.restart(f2);
    await cluster.settle();
    const now = await state(leader);
    expect(await state(f1)).to.deep.equal(now);
    expect(await state(f2)).to.deep.equal(now);
    expect(cluster.node(f2).logs.slice(before).join('\n'), 'the restarted node installed a snapshot').to.match(/snapshot installed/);
  });

  it('XREADGROUP BLOCK through a follower is served once an entry arrives; every node holds the same PEL', async () => {
    const leader = await cluster.leader();
    const [f1, f2] = await cluster.followers(leader);
    await cluster.client(leader).xgroup('CREATE', 'q', 'g', '$', 'MKSTREAM');
    const pending = cluster.client(f1).xreadgroup('GROUP', 'g', 'c1', 'BLOCK', 10000, 'STREAMS', 'q', '>');
    await sleep(300);
    const id = await cluster.client(f2).xadd('q', '*', 'job', '1');
    expect(await pending).to.deep.equal([['q', [[id, ['job', '1']]]]]);
    await cluster.settle();
    const pel = await cluster.client(leader).xpending('q', 'g');
    expect(pel).to.deep.equal([1, id, id, [['c1', '1']]]);
    expect(await cluster.client(f1).xpending('q', 'g')).to.deep.equal(pel);
    expect(await cluster.client(f2).xpending('q', 'g')).to.deep.equal(pel);
  });

  it('XREAD BLOCK on a follower wakes when an entry written through the leader is applied there', async () => {
    const leader = await cluster.leader();
    const [f1] = await cluster.followers(leader);
    const reader = cluster.client(f1);
    const pending = reader.xread('BLOCK', 10000, 'STREAMS', 'wake', '$');
    await sleep(200);
    const id = await cluster.client(leader).xadd('wake', '*', 'hello', 'world');
    expect(await pending).to.deep.equal([['wake', [[id, ['hello', 'world']]]]]);
  });
});
