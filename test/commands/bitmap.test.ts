import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { errorOf, serverForSuite, startServer } from '../support/proc';
import { RawClient, resp } from '../support/raw';

describe('bitmap commands, LCS and Lua cmsgpack/struct through ioredis', function () {
  const t = serverForSuite([], { stringNumbers: true });
  beforeEach(async () => {
    await t.r.flushall();
  });

  it('SETBIT GETBIT BITCOUNT BITPOS on binary strings', async () => {
    const r = t.r;
    expect(await r.setbit('k', 7, 1)).to.equal('0');
    expect(await r.setbit('k', 7, 1)).to.equal('1');
    expect(await r.setbit('k', 20, 1)).to.equal('0');
    expect(Buffer.compare((await r.getBuffer('k'))!, Buffer.from([1, 0, 8]))).to.equal(0);
    expect(await r.getbit('k', 20)).to.equal('1');
    expect(await r.getbit('k', 9999)).to.equal('0');
    expect(await r.bitcount('k')).to.equal('2');
    expect(await r.call('bitcount', 'k', 0, 7, 'BIT')).to.equal('1');
    expect(await r.bitpos('k', 1)).to.equal('7');
    expect(await r.call('bitpos', 'k', 1, 8, -1, 'bit')).to.equal('20');
    expect(await r.bitpos('k', 0)).to.equal('0');
    expect(await errorOf(r.setbit('k', 4294967296, 1))).to.equal('ERR bit offset is not an integer or out of range');
    expect(await errorOf(r.call('setbit', 'k', 1, 2))).to.equal('ERR bit is not an integer or out of range');
    expect(await errorOf(r.call('bitcount', 'k', 0))).to.equal('ERR syntax error');
  });

  it('BITOP stores, replaces and deletes the destination', async () => {
    const r = t.r;
    await r.set('a', Buffer.from([0xf0, 0x0f]));
    await r.set('b', Buffer.from([0xff]));
    expect(await r.bitop('AND', 'd', 'a', 'b')).to.equal('2');
    expect(Buffer.compare((await r.getBuffer('d'))!, Buffer.from([0xf0, 0x00]))).to.equal(0);
    expect(await r.bitop('NOT', 'd', 'b')).to.equal('1');
    expect(Buffer.compare((await r.getBuffer('d'))!, Buffer.from([0x00]))).to.equal(0);
    expect(await r.bitop('OR', 'd', 'nothing', 'none')).to.equal('0');
    expect(await r.exists('d')).to.equal('0');
    expect(await errorOf(r.call('bitop', 'NOT', 'd', 'a', 'b'))).to.equal('ERR BITOP NOT must be called with a single source key.');
  });

  it('BITFIELD and BITFIELD_RO, with 64-bit values', async () => {
    const r = t.r;
    expect(await r.call('bitfield', 'k', 'SET', 'i64', 0, '-9223372036854775808', 'GET', 'u63', 0, 'INCRBY', 'u8', '#1', 300)).to.deep.equal([
      '0',
      '4611686018427387904',
      '44',
    ]);
    expect(await r.call('bitfield', 'k', 'OVERFLOW', 'FAIL', 'INCRBY', 'u8', '#1', 250, 'OVERFLOW', 'SAT', 'INCRBY', 'u8', '#1', 250)).to.deep.equal([
      null,
      '255',
    ]);
    expect(await r.call('bitfield_ro', 'k', 'GET', 'u8', 8)).to.deep.equal(['255']);
    expect(await errorOf(r.call('bitfield_ro', 'k', 'SET', 'u8', 8, 1))).to.equal('ERR BITFIELD_RO only supports the GET subcommand');
    expect(await errorOf(r.call('bitfield', 'k', 'GET', 'u64', 0))).to.equal(
      'ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.',
    );
  });

  it('BITFIELD with only GET on a missing key does not create it; with SET inside MULTI it does', async () => {
    const r = t.r;
    expect(await r.call('bitfield', 'nokey', 'GET', 'u8', 0)).to.deep.equal(['0']);
    expect(await r.exists('nokey')).to.equal('0');
    const res = await r.multi().call('bitfield', 'nokey', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', 100, 5).strlen('nokey').exec();
    expect(res).to.deep.equal([
      [null, [null]],
      [null, '13'],
    ]);
  });

  it('LCS: string, LEN, IDX (RESP2 array and RESP3 map, exact bytes)', async () => {
    const r = t.r;
    await r.mset('a', 'ohmytext', 'b', 'mynewtext');
    expect(await r.call('lcs', 'a', 'b')).to.equal('mytext');
    expect(await r.call('lcs', 'a', 'b', 'LEN')).to.equal('6');
    expect(await errorOf(r.call('lcs', 'a', 'b', 'LEN', 'IDX'))).to.equal('ERR If you want both the length and indexes, please just use IDX.');
    const c = await RawClient.connect(t.srv.port);
    try {
      const matches = '*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n';
      const body = `$7\r\nmatches\r\n${matches}$3\r\nlen\r\n:6\r\n`;
      c.write(resp('LCS', 'a', 'b', 'IDX', 'MINMATCHLEN', '2', 'WITHMATCHLEN'));
      expect(await c.waitFor((s) => s.endsWith(':6\r\n'))).to.equal(`*4\r\n${body}`);
      c.write(resp('HELLO', '3'));
      await c.waitFor((s) => s.includes('modules'));
      const before = c.received.length;
      c.write(resp('LCS', 'a', 'b', 'IDX', 'MINMATCHLEN', '2', 'WITHMATCHLEN'));
      const all = await c.waitFor((s) => s.length > before && s.endsWith(':6\r\n'));
      expect(all.slice(before)).to.equal(`%2\r\n${body}`);
    } finally {
      c.close();
    }
  });

  it('Lua: cmsgpack and struct as redis-server answers', async () => {
    const r = t.r;
    const packed = await r.callBuffer('eval', "return cmsgpack.pack({1, 2.5, 'x', true, {}}, -33, 2^40)", 0);
    expect((packed as Buffer).toString('hex')).to.equal('9501ca40200000a178c390d0dfcf0000010000000000');
    expect(await r.eval("return {cmsgpack.unpack_one(ARGV[1], 0)}", 0, packed as Buffer)).to.deep.equal(['11', ['1', '2', 'x', '1', []]]);
    expect(await r.eval("return {cmsgpack.unpack_limit(ARGV[1], 2, 0)}", 0, packed as Buffer)).to.deep.equal(['13', ['1', '2', 'x', '1', []], '-33']);
    expect(((await r.callBuffer('eval', "return struct.pack('>I2 i3 c2', 513, -2, 'hey')", 0)) as Buffer).toString('hex')).to.equal('0201fffffe6865');
    expect(await r.eval("return struct.size('!4 b i d')", 0)).to.equal('16');
    const e = await errorOf(r.eval("return cmsgpack.unpack('\\196')", 0));
    expect(e).to.match(/^ERR user_script:1: Bad data format in input\. script: [0-9a-f]{40}, on @user_script:1\.$/);
  });
});

describe('bitmaps survive a restart', function () {
  let dir = '';
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('SETBIT / BITFIELD / BITOP results are in the durable copy', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'raftcache-bitmap-'));
    let srv = await startServer([], { dir });
    let r = new Redis({ port: srv.port });
    try {
      await r.setbit('bm', 100, 1);
      await r.call('bitfield', 'bf', 'SET', 'u16', 0, 4660);
      await r.set('x', 'abc');
      await r.bitop('XOR', 'xo', 'x', 'bm');
      await r.setbit('ttl', 3, 1);
      await r.pexpire('ttl', 100000);
      await r.setbit('ttl', 9, 1); // keeps the TTL
    } finally {
      r.disconnect();
      await srv.stop();
    }
    srv = await startServer([], { dir });
    r = new Redis({ port: srv.port });
    try {
      expect(await r.getbit('bm', 100)).to.equal(1);
      expect(await r.strlen('bm')).to.equal(13);
      expect(await r.call('bitfield_ro', 'bf', 'GET', 'u16', 0)).to.deep.equal([4660]);
      expect((await r.getBuffer('xo'))!.toString('hex')).to.equal('61626300000000000000000008');
      expect(await r.pttl('ttl')).to.be.within(1, 100000);
      expect(await r.bitcount('ttl')).to.equal(2);
    } finally {
      r.disconnect();
      await srv.stop();
    }
  });
});
