/**
 * DEBUG side by side with redis-server: refused by default with Redis's text,
 * allowed with enable-debug-command yes or local (a loopback client); SLEEP
 * stops the whole server; OBJECT's line; SET-ACTIVE-EXPIRE; RELOAD.
 */
import { expect } from 'chai';
import Redis from 'ioredis';
import { errorOf, serverForSuite, startServer } from '../support/proc';
import { startReferenceRedis, type ReferenceRedis } from '../support/reference-redis';
import { RawClient, resp } from '../support/raw';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** DEBUG OBJECT without what differs by nature (address, LRU clock). */
const stable = (line: unknown) => String(line).replace(/Value at:0x[0-9a-f]+/, 'Value at:ADDR').replace(/lru:\d+ lru_seconds_idle:\d+/, 'lru:L lru_seconds_idle:I');

describe('DEBUG (ops)', function () {
  this.timeout(60000);
  const t = serverForSuite(['--enable-debug-command', 'yes']);
  let ref: ReferenceRedis;
  let rr: Redis;

  before(async () => {
    ref = await startReferenceRedis(['--enable-debug-command', 'yes']);
    rr = new Redis({ port: ref.port });
  });
  after(async () => {
    rr?.disconnect();
    await ref?.stop();
  });

  it('is refused by default with Redis text; local allows loopback clients', async () => {
    const refDefault = await startReferenceRedis();
    const srv = await startServer();
    const local = await startServer(['--enable-debug-command', 'local']);
    const a = new Redis({ port: srv.port });
    const b = new Redis({ port: refDefault.port });
    const c = new Redis({ port: local.port });
    try {
      const refused = await errorOf(a.call('debug', 'sleep', '0'));
      expect(refused).to.equal(await errorOf(b.call('debug', 'sleep', '0')));
      expect(refused).to.match(/^ERR DEBUG command not allowed\. If the enable-debug-command option is set to "local"/);
      expect(await errorOf(a.call('debug'))).to.equal(await errorOf(b.call('debug')));
      expect(await c.call('debug', 'sleep', '0')).to.equal('OK');
      expect(await errorOf(a.config('SET', 'enable-debug-command', 'yes'))).to.match(/immutable config/);
    } finally {
      a.disconnect();
      b.disconnect();
      c.disconnect();
      await srv.stop();
      await local.stop();
      await refDefault.stop();
    }
  });

  it('OBJECT prints Redis line for every type and encoding; errors as Redis', async () => {
    for (const r of [t.r, rr]) {
      await r.set('s', 'hello');
      await r.set('n', '12345');
      await r.set('small', '7');
      await r.set('big', '1234567890');
      // 44 bytes LZF cannot shrink: Redis stores them uncompressed (we never compress; see serializedLength).
      await r.set('e', 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH');
      await r.rpush('l', 'a', 'b', 'c', '1', '300', 'a-longer-element');
      await r.rpush('ql', ...Array.from({ length: 3000 }, (_, i) => String(i * 7 - 500)));
      await r.hset('h', 'f', 'v', 'n', '12', 'neg', '-5000');
      await r.hset('hh', ...Array.from({ length: 600 }, (_, i) => [`f${i}`, String(i)]).flat());
      await r.sadd('is', '1', '2', '70000');
      await r.sadd('hs', 'a', 'b', ...Array.from({ length: 600 }, (_, i) => `m${i}`));
      await r.zadd('z', 1, 'a', 2, 'b', -3, 'c');
      await r.zadd('zs', ...Array.from({ length: 200 }, (_, i) => [String(i), `m${i}`]).flat());
    }
    // Redis LZF-compresses what it saves where that saves space (the 3000-element list's
    // nodes shrink a little): we never compress, so that one length is left out.
    const lzf = new Set(['ql']);
    for (const k of ['s', 'n', 'small', 'big', 'e', 'l', 'ql', 'h', 'hh', 'is', 'hs', 'z', 'zs']) {
      const ours = await t.r.call('debug', 'object', k);
      const cut = (line: unknown) => (lzf.has(k) ? stable(line).replace(/serializedlength:\d+/, 'serializedlength:N') : stable(line));
      expect(cut(ours), k).to.equal(cut(await rr.call('debug', 'object', k)));
      expect(String(ours)).to.match(/lru_seconds_idle:\d+/);
    }
    for (const args of [['object', 'nokey'], ['foo'], ['sleep'], ['object'], ['set-active-expire'], ['reload', 'x']]) {
      expect(await errorOf(t.r.call('debug', ...args)), args.join(' ')).to.equal(await errorOf(rr.call('debug', ...args)));
    }
  });

  it('SLEEP stops the whole server, other clients included', async () => {
    const other = new Redis({ port: t.srv.port });
    try {
      await other.ping();
      const start = Date.now();
      const sleeping = t.r.call('debug', 'sleep', '0.3');
      await sleep(50);
      const pinged = other.ping().then(() => Date.now() - start);
      expect(await sleeping).to.equal('OK');
      expect(await pinged).to.be.at.least(280);
      expect(await t.r.call('debug', 'sleep', 'abc')).to.equal('OK');
    } finally {
      other.disconnect();
    }
  });

  it('SET-ACTIVE-EXPIRE 0 keeps expired keys until read; 1 expires them again', async () => {
    await t.r.flushall();
    expect(await t.r.call('debug', 'set-active-expire', '0')).to.equal('OK');
    await t.r.set('x', '1', 'PX', '50');
    await sleep(600);
    expect(await t.r.dbsize()).to.equal(1);
    expect(await t.r.call('debug', 'set-active-expire', '1')).to.equal('OK');
    const deadline = Date.now() + 5000;
    while ((await t.r.dbsize()) !== 0 && Date.now() < deadline) await sleep(50);
    expect(await t.r.dbsize()).to.equal(0);
  });

  it('RELOAD saves the keyspace copy and loads it again; the data stays', async () => {
    await t.r.set('kept', 'v');
    await t.r.hset('h', 'f', 'v');
    // APPEND leaves a raw string; loaded from the copy it is re-encoded (embstr), as Redis re-encodes on RDB load.
    await t.r.set('grown', 'ab');
    await t.r.append('grown', 'c');
    expect(await t.r.object('ENCODING', 'grown')).to.equal('raw');
    const before = await t.r.lastsave();
    expect(await t.r.call('debug', 'reload')).to.equal('OK');
    expect(await t.r.object('ENCODING', 'grown')).to.equal('embstr');
    expect(await t.r.get('grown')).to.equal('abc');
    expect(await t.r.get('kept')).to.equal('v');
    expect(await t.r.hget('h', 'f')).to.equal('v');
    expect(await t.r.lastsave()).to.be.at.least(before);
    expect(await t.r.call('debug', 'reload', 'nosave', 'noflush', 'merge')).to.equal('OK');
    const help = (await t.r.call('debug', 'help')) as string[];
    expect(help[0]).to.equal('DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:');
  });

  it('PROTOCOL answers the same bytes as redis-server in RESP2 and RESP3', async () => {
    const types = ['string', 'integer', 'double', 'bignum', 'null', 'array', 'set', 'map', 'attrib', 'push', 'verbatim', 'true', 'false', 'foo'];
    const run = async (port: number, proto: string) => {
      const c = await RawClient.connect(port);
      try {
        c.write(resp('HELLO', proto));
        await c.waitFor((text) => text.includes('modules'));
        const skip = c.received.length;
        c.write(Buffer.concat([...types.map((ty) => resp('DEBUG', 'PROTOCOL', ty)), resp('ECHO', 'end')]));
        return (await c.waitFor((text) => text.includes('end'))).slice(skip);
      } finally {
        c.close();
      }
    };
    for (const proto of ['2', '3']) expect(await run(t.srv.port, proto), `RESP${proto}`).to.equal(await run(ref.port, proto));
  });
});
