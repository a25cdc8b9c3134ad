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
import { errorOf, hasBinary, serverForSuite, startServer, type RunningServer } from '../support/proc';
import { startReferenceRedis, type ReferenceRedis } from '../support/reference-redis';

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

/** A reference redis-server on a free loopback port, or null when none is installed. */
async function startRedis(): Promise<ReferenceRedis | null> {
  return hasBinary('redis-server') ? startReferenceRedis() : null;
}

/** The length of the complete RESP2 reply at the start of `b`, or -1 if more bytes are needed. */
function replyEnd(b: Buffer, at = 0): number {
  const nl = b.indexOf('\r\n', at, 'latin1');
  if (nl < 0) return -1;
  const type = String.fromCharCode(b[at]);
  const n = Number(b.toString('latin1', at + 1, nl));
  if (type === '$') {
    if (n < 0) return nl + 2;
    return b.length >= nl + 2 + n + 2 ? nl + 2 + n + 2 : -1;
  }
  if (type === '*') {
    let off = nl + 2;
    for (let i = 0; i < n; i++) {
      off = replyEnd(b, off);
      if (off < 0) return -1;
    }
    return off;
  }
  return nl + 2;
}

/** One connection that sends a command and returns its exact reply bytes. */
class RawClient {
  private buf = Buffer.alloc(0);
  private waiting: ((reply: string) => void) | null = null;
  private constructor(private readonly sock: net.Socket) {
    sock.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.deliver();
    });
  }
  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('error', reject);
      s.once('connect', () => resolve(new RawClient(s)));
    });
  }
  call(args: string[]): Promise<string> {
    const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
    for (const a of args) parts.push(Buffer.from(`$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`, 'latin1'));
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.sock.write(Buffer.concat(parts));
    });
  }
  close(): void {
    this.sock.destroy();
  }
  private deliver(): void {
    const end = replyEnd(this.buf);
    if (end < 0 || this.waiting === null) return;
    const reply = this.buf.toString('latin1', 0, end);
    this.buf = this.buf.subarray(end);
    const w = this.waiting;
    this.waiting = null;
    w(reply);
  }
}

describe('list commands and SORT against redis-server 7.0 (differential, exact RESP2 bytes)', function () {
  this.timeout(120000);
  const t = serverForSuite();
  let ref: ReferenceRedis | null = null;
  let ours: RawClient;
  let theirs: RawClient;
  before(async function () {
    ref = await startRedis();
    if (ref === null) this.skip();
    ours = await RawClient.connect(t.srv.port);
    theirs = await RawClient.connect(ref.port);
  });
  after(async () => {
    ours?.close();
    theirs?.close();
    await ref?.stop();
  });

  it('gives the same replies to a seeded stream of list and SORT commands', async () => {
    await ours.call(['flushall']);
    await theirs.call(['flushall']);
    let seed = 4242;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const keys = ['l1', 'l2', 'l3', 's'];
    const values = ['a', 'b', 'c', '1', '2', '10', '-3', '2.5', '', 'x'.repeat(300), '0x10', 'nan'];
    const k = (): string => keys[rand(keys.length)];
    const v = (): string => values[rand(values.length)];
    const idx = (): string => String(rand(30) - 15);
    const end = (): string => ['left', 'RIGHT', 'Left', 'up'][rand(4)];
    const many = (): string[] => Array.from({ length: 1 + rand(rand(10) === 0 ? 300 : 5) }, v);
    const gens: Array<() => string[]> = [
      () => ['rpush', k(), ...many()],
      () => ['lpush', k(), ...many()],
      () => ['rpushx', k(), v()],
      () => ['lpushx', k(), v(), v()],
      () => ['lpop', k(), ...[[], ['0'], ['3'], ['-1'], ['x'], ['1', '2']][rand(6)]],
      () => ['rpop', k(), ...[[], ['0'], ['2'], ['100']][rand(4)]],
      () => ['llen', k()],
      () => ['lrange', k(), idx(), idx()],
      () => ['lrange', k(), '0', '-1'],
      () => ['lindex', k(), idx()],
      () => ['lset', k(), idx(), v()],
      () => ['linsert', k(), ['before', 'AFTER', 'middle'][rand(3)], v(), v()],
      () => ['lrem', k(), String(rand(7) - 3), v()],
      () => ['ltrim', k(), idx(), idx()],
      () => ['lpos', k(), v(), ...[[], ['rank', idx()], ['count', String(rand(4))], ['maxlen', String(rand(10))], ['rank', '-1', 'count', '0'], ['count', '-1'], ['rank']][rand(7)]],
      () => ['lmove', k(), k(), end(), end()],
      () => ['rpoplpush', k(), k()],
      () => ['lmpop', String(rand(4)), k(), k(), end(), ...[[], ['count', String(rand(5))], ['count']][rand(3)]],
      () => ['sort', k(), ...[[], ['alpha'], ['desc', 'alpha'], ['limit', idx(), idx(), 'alpha'], ['by', 'nosort'], ['by', 'nosort', 'desc', 'limit', '1', '3']][rand(6)]],
      () => ['sort', k(), 'alpha', 'store', k()],
      () => ['sort_ro', k(), 'by', 'w_*', 'get', '#', 'get', 'w_*'],
      () => ['set', ['s', 'w_a', 'w_b', 'w_1'][rand(4)], v()],
      () => ['del', k()],
      () => ['type', k()],
    ];
    for (let i = 0; i < 3000; i++) {
      const cmd = gens[rand(gens.length)]();
      const [a, b] = await Promise.all([ours.call(cmd), theirs.call(cmd)]);
      expect(a, `#${i} ${cmd.join(' ').slice(0, 200)}`).to.equal(b);
    }
    // And the lists end up identical.
    for (const key of keys) expect(await ours.call(['lrange', key, '0', '-1'])).to.equal(await theirs.call(['lrange', key, '0', '-1']));
  });
});
