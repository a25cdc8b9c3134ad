/**
 * Lists and SORT through ioredis against a real server process, exact RESP2
 * bytes where clients cannot tell replies apart (null bulk vs null array),
 * and a list surviving restarts in order (log replay and the durable copy).
 */
import { expect } from 'chai';
import Redis from 'ioredis';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errorOf, serverForSuite, startServer, type RunningServer } from '../support/proc';

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';

/** Sends one command on a fresh connection and returns the raw reply bytes (latin1). */
async function rawReply(port: number, args: string[], hello3 = false): Promise<string> {
  const enc = (a: string[]): string => `*${a.length}\r\n` + a.map((x) => `$${Buffer.byteLength(x)}\r\n${x}\r\n`).join('');
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = '';
    let skip = hello3;
    s.on('data', (d) => {
      buf += d.toString('latin1');
      if (skip) {
        // The HELLO map ends with the modules array (empty): "*0\r\n" in RESP3.
        const end = buf.indexOf('modules');
        if (end >= 0 && buf.indexOf('\r\n', buf.indexOf('*0', end)) >= 0) {
          skip = false;
          buf = '';
          s.write(enc(args));
        }
        return;
      }
      if (buf.endsWith('\r\n')) {
        s.end();
        resolve(buf);
      }
    });
    s.on('error', reject);
    s.on('connect', () => s.write(hello3 ? enc(['hello', '3']) : enc(args)));
  });
}

describe('list commands through ioredis', function () {
  this.timeout(30000);
  const t = serverForSuite();
  beforeEach(async () => {
    await t.r.flushall();
  });

  it('push, pop, range, index, binary safe', async () => {
    const r = t.r;
    expect(await r.rpush('l', 'a', 'b', 'c')).to.equal(3);
    expect(await r.lpush('l', 'x', 'y')).to.equal(5);
    expect(await r.lrange('l', 0, -1)).to.deep.equal(['y', 'x', 'a', 'b', 'c']);
    expect(await r.llen('l')).to.equal(5);
    expect(await r.lindex('l', -1)).to.equal('c');
    expect(await r.lpop('l')).to.equal('y');
    expect(await r.rpop('l', 2)).to.deep.equal(['c', 'b']);
    expect(await r.type('l')).to.equal('list');
    expect(await r.object('ENCODING', 'l')).to.equal('quicklist');
    const bin = Buffer.from([0, 255, 13, 10, 128]);
    await r.rpush('b', bin);
    expect(await r.lindexBuffer('b', 0)).to.deep.equal(bin);
    expect(await r.lpopBuffer('b')).to.deep.equal(bin);
    expect(await r.exists('b')).to.equal(0);
  });

  it('LPOP/RPOP with count on a missing key is a null array (RESP2 *-1, RESP3 _)', async () => {
    expect(await rawReply(t.srv.port, ['lpop', 'nokey', '2'])).to.equal('*-1\r\n');
    expect(await rawReply(t.srv.port, ['rpop', 'nokey'])).to.equal('$-1\r\n');
    expect(await rawReply(t.srv.port, ['lmpop', '1', 'nokey', 'left'])).to.equal('*-1\r\n');
    expect(await rawReply(t.srv.port, ['lpop', 'nokey', '2'], true)).to.equal('_\r\n');
    await t.r.rpush('l', 'a');
    expect(await rawReply(t.srv.port, ['lpop', 'l', '0'])).to.equal('*0\r\n');
  });

  it('errors word for word', async () => {
    const r = t.r;
    await r.set('s', 'v');
    await r.rpush('l', 'a', 'b', 'a');
    expect(await errorOf(r.lpush('s', 'a'))).to.equal(WRONGTYPE);
    expect(await errorOf(r.lset('nokey', 0, 'x'))).to.equal('ERR no such key');
    expect(await errorOf(r.lset('l', 9, 'x'))).to.equal('ERR index out of range');
    expect(await errorOf(r.call('lpop', 'l', '-1'))).to.equal('ERR value is out of range, must be positive');
    expect(await errorOf(r.call('lpos', 'l', 'a', 'rank', '0'))).to.equal(
      "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
    );
    expect(await errorOf(r.call('lpos', 'l', 'a', 'count', '-1'))).to.equal("ERR COUNT can't be negative");
    expect(await errorOf(r.call('lpos', 'l', 'a', 'maxlen', '-1'))).to.equal("ERR MAXLEN can't be negative");
    expect(await errorOf(r.call('lmpop', '0', 'l', 'left'))).to.equal('ERR numkeys should be greater than 0');
    expect(await errorOf(r.call('lmpop', '1', 'l', 'left', 'count', '0'))).to.equal('ERR count should be greater than 0');
    expect(await errorOf(r.call('linsert', 'l', 'middle', 'a', 'b'))).to.equal('ERR syntax error');
    expect(await errorOf(r.call('lmove', 'l', 'd', 'up', 'left'))).to.equal('ERR syntax error');
    expect(await errorOf(r.call('lpop', 'l', '1', '2'))).to.equal("ERR wrong number of arguments for 'lpop' command");
    expect(await r.lrange('l', 0, -1)).to.deep.equal(['a', 'b', 'a']);
  });

  it('LINSERT, LREM, LTRIM, LPOS, LSET', async () => {
    const r = t.r;
    await r.rpush('l', 'a', 'b', 'c', 'a', 'b', 'c');
    expect(await r.linsert('l', 'BEFORE', 'b', 'x')).to.equal(7);
    expect(await r.linsert('l', 'AFTER', 'zz', 'x')).to.equal(-1);
    expect(await r.lrem('l', -1, 'c')).to.equal(1);
    expect(await r.lrange('l', 0, -1)).to.deep.equal(['a', 'x', 'b', 'c', 'a', 'b']);
    expect(await r.lpos('l', 'b')).to.equal(2);
    expect(await r.lpos('l', 'b', 'RANK', -1)).to.equal(5);
    expect(await r.call('lpos', 'l', 'a', 'COUNT', '0')).to.deep.equal([0, 4]);
    expect(await r.lset('l', -1, 'B')).to.equal('OK');
    expect(await r.ltrim('l', 1, -2)).to.equal('OK');
    expect(await r.lrange('l', 0, -1)).to.deep.equal(['x', 'b', 'c', 'a']);
    expect(await r.ltrim('l', 5, 10)).to.equal('OK');
    expect(await r.exists('l')).to.equal(0);
  });

  it('LMOVE, RPOPLPUSH, LMPOP', async () => {
    const r = t.r;
    await r.rpush('a', '1', '2', '3');
    expect(await r.lmove('a', 'b', 'LEFT', 'RIGHT')).to.equal('1');
    expect(await r.rpoplpush('a', 'b')).to.equal('3');
    expect(await r.lmove('a', 'a', 'LEFT', 'LEFT')).to.equal('2');
    expect(await r.lrange('b', 0, -1)).to.deep.equal(['3', '1']);
    expect(await r.call('lmpop', '2', 'nokey', 'b', 'RIGHT', 'COUNT', '5')).to.deep.equal(['b', ['1', '3']]);
    expect(await r.exists('b')).to.equal(0);
    expect(await r.call('lmpop', '1', 'nokey', 'LEFT')).to.equal(null);
  });

  it('a large list: pipelined pushes, index access, ranges, inserts in the middle', async () => {
    const r = t.r;
    const p = r.pipeline();
    for (let i = 0; i < 100; i++) p.rpush('big', ...Array.from({ length: 1000 }, (_, j) => `v${i * 1000 + j}`));
    await p.exec();
    expect(await r.llen('big')).to.equal(100000);
    expect(await r.lindex('big', 54321)).to.equal('v54321');
    expect(await r.lrange('big', 99998, -1)).to.deep.equal(['v99998', 'v99999']);
    expect(await r.linsert('big', 'AFTER', 'v50000', 'mid')).to.equal(100001);
    expect(await r.lrange('big', 50000, 50002)).to.deep.equal(['v50000', 'mid', 'v50001']);
  });

  it('MULTI/EXEC and Lua see lists', async () => {
    const r = t.r;
    const res = await r.multi().rpush('l', 'a', 'b').lpop('l').llen('l').exec();
    expect(res).to.deep.equal([
      [null, 2],
      [null, 'a'],
      [null, 1],
    ]);
    expect(await r.eval("redis.call('rpush', KEYS[1], 'x', 'y'); return redis.call('lrange', KEYS[1], 0, -1)", 1, 'l')).to.deep.equal(['b', 'x', 'y']);
  });

  it('SORT and SORT_RO: numeric, ALPHA, BY, GET, LIMIT, STORE', async () => {
    const r = t.r;
    await r.rpush('n', '3', '1', '2');
    await r.mset('w_1', '30', 'w_2', '20', 'w_3', '10', 'o_1', 'one');
    expect(await r.sort('n')).to.deep.equal(['1', '2', '3']);
    expect(await r.sort('n', 'DESC')).to.deep.equal(['3', '2', '1']);
    expect(await r.sort('n', 'BY', 'w_*')).to.deep.equal(['3', '2', '1']);
    expect(await r.sort('n', 'BY', 'nosort', 'GET', '#', 'GET', 'o_*')).to.deep.equal(['3', null, '1', 'one', '2', null]);
    expect(await r.sort('n', 'LIMIT', 1, 1, 'ALPHA')).to.deep.equal(['2']);
    expect(await r.call('sort_ro', 'n', 'DESC')).to.deep.equal(['3', '2', '1']);
    expect(await errorOf(r.call('sort_ro', 'n', 'STORE', 'd'))).to.equal('ERR syntax error');
    expect(await r.sort('n', 'STORE', 'dst')).to.equal(3);
    expect(await r.lrange('dst', 0, -1)).to.deep.equal(['1', '2', '3']);
    expect(await r.sort('nokey', 'STORE', 'dst')).to.equal(0);
    expect(await r.exists('dst')).to.equal(0);
    await r.rpush('bad', 'x');
    expect(await errorOf(r.sort('bad'))).to.equal("ERR One or more scores can't be converted into double");
    await r.set('s', 'v');
    expect(await errorOf(r.sort('s'))).to.equal(WRONGTYPE);
  });
});

describe('a list survives restarts in order', function () {
  this.timeout(60000);
  let srv: RunningServer | undefined;
  let dir = '';
  afterEach(async () => {
    await srv?.stop();
    srv = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('after SIGKILL: from the durable copy (chunk records) plus the log written after it', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'raftcache-list-restart-'));
    srv = await startServer([], { dir });
    const model: string[] = [];
    let c = new Redis({ port: srv.port });
    try {
      const p = c.pipeline();
      for (let i = 0; i < 20; i++) {
        const batch = Array.from({ length: 500 }, (_, j) => `e${i * 500 + j}`);
        p.rpush('q', ...batch);
        model.push(...batch);
      }
      await p.exec();
      await c.linsert('q', 'BEFORE', 'e5000', 'middle');
      model.splice(5000, 0, 'middle');
      await c.lpush('q', 'head');
      model.unshift('head');
      await c.ltrim('q', 0, -101);
      model.splice(model.length - 100, 100);
      // Let the node write its durable keyspace copy (about once a second), then keep writing.
      await new Promise((res) => setTimeout(res, 2500));
      await c.rpush('q', 'after-flush');
      model.push('after-flush');
      await c.lrem('q', 0, 'e7');
      model.splice(model.indexOf('e7'), 1);
      await c.lset('q', 3, 'changed');
      model[3] = 'changed';
    } finally {
      c.disconnect();
    }
    await srv.stop('SIGKILL');
    srv = await startServer([], { dir });
    c = new Redis({ port: srv.port });
    try {
      expect(await c.llen('q')).to.equal(model.length);
      expect(await c.lrange('q', 0, -1)).to.deep.equal(model);
      // Writes continue on the restored chunks, and survive a clean restart too.
      await c.rpush('q', 'z1');
      await c.linsert('q', 'AFTER', 'middle', 'm2');
      model.push('z1');
      model.splice(model.indexOf('middle') + 1, 0, 'm2');
      await new Promise((res) => setTimeout(res, 1500));
    } finally {
      c.disconnect();
    }
    await srv.stop('SIGTERM');
    srv = await startServer([], { dir });
    c = new Redis({ port: srv.port });
    try {
      expect(await c.lrange('q', 0, -1)).to.deep.equal(model);
    } finally {
      c.disconnect();
    }
  });
});
