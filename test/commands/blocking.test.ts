import { expect } from 'chai';
import net from 'node:net';
import Redis from 'ioredis';
import { readReplies } from '../../protocol/resp-reader';
import { ErrorReply, type Reply } from '../../protocol/reply';
import { hasBinary, startServer, type RunningServer } from '../support/proc';
import { startReferenceRedis, type ReferenceRedis } from '../support/reference-redis';

/** Sends commands on one connection and collects exactly one reply per command (RESP2 or RESP3). */
async function exchange(port: number, commands: string[][]): Promise<Reply[]> {
  const sock = net.createConnection({ port, host: '127.0.0.1' });
  let buf = Buffer.alloc(0);
  const replies = await new Promise<Reply[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out; got ${JSON.stringify(buf.toString('latin1'))}`)), 10000);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const got = readReplies(buf);
      if (got.length >= commands.length) {
        clearTimeout(timer);
        resolve(got);
      }
    });
    sock.on('error', reject);
    for (const c of commands) sock.write(`*${c.length}\r\n${c.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
  });
  sock.destroy();
  return replies;
}

/** Replies as comparable plain data (bytes as strings, class names kept). */
function plain(r: Reply): unknown {
  if (Buffer.isBuffer(r)) return r.toString('latin1');
  if (Array.isArray(r)) return r.map(plain);
  if (r instanceof ErrorReply) return { error: r.message.replace(/script: \w+/, 'script: <sha>') };
  if (r !== null && typeof r === 'object') return { [r.constructor.name]: plain(Object.values(r)[0] as Reply) };
  return r;
}

/**
 * Blocking commands side by side with redis-server 7.0: arguments, errors,
 * immediate pops, timeouts (RESP2 `*-1` for all of them, BLMOVE included),
 * RESP3 shapes, MULTI (never blocks: BLMOVE answers `$-1` there) and Lua
 * (BLPOP and friends are noscript in 7.0; BLMPOP/BZMPOP run without blocking).
 */
describe('blocking commands (side by side with redis-server)', function () {
  this.timeout(60000);
  let ours: RunningServer;
  let redis: ReferenceRedis | undefined;
  let redisPort = 0;

  before(async function () {
    if (!hasBinary('redis-server')) {
      console.log('      redis-server not installed: skipping the side-by-side blocking tests (scripts/test.sh installs it)');
      this.skip();
    }
    ours = await startServer();
    redis = await startReferenceRedis();
    redisPort = redis.port;
  });
  after(async () => {
    await ours?.stop();
    await redis?.stop();
  });

  const scenarios: Record<string, string[][]> = {
    'arguments, errors and immediate pops': [
      ['FLUSHALL'],
      ['SET', 's', 'x'],
      ['RPUSH', 'l', '1'],
      ['BLPOP', 's', 'l', '0'],
      ['BLPOP', 'none', 's', '0.01'],
      ['BLPOP', 'l', '0'],
      ['BLPOP', 'l', '-1'],
      ['BLPOP', 'l', 'abc'],
      ['BLPOP', 'l', 'inf'],
      ['BLPOP', 'l'],
      ['BLMPOP', '0', '0', 'a', 'LEFT'],
      ['BLMPOP', '0', '1', 'a', 'MIDDLE'],
      ['BLMPOP', '0', '1', 'a', 'LEFT', 'COUNT', '0'],
      ['BLMPOP', '0', '1', 'a', 'LEFT', 'COUNT'],
      ['BZMPOP', '0', '2', 'a', 'MIN'],
      ['BLMOVE', 'a', 'b', 'UP', 'LEFT', '0'],
      ['BZPOPMIN', 's', '0'],
      ['ZADD', 'z', '1.5', 'm', '3', 'n'],
      ['BZPOPMIN', 'z', '0'],
      ['BZPOPMAX', 'nz', 'z', '0'],
      ['EXISTS', 'z'],
      ['RPUSH', 'l', '1', '2', '3'],
      ['BLMPOP', '0', '1', 'l', 'RIGHT', 'COUNT', '2'],
      ['BRPOP', 'l', '0'],
      ['RPUSH', 'src', 'a', 'b'],
      ['BRPOPLPUSH', 'src', 'dst', '0'],
      ['BLMOVE', 'src', 'dst', 'LEFT', 'RIGHT', '0'],
      ['LRANGE', 'dst', '0', '-1'],
      ['EXISTS', 'src'],
      ['ZADD', 'z2', '1', 'a', '2', 'b', '3', 'c'],
      ['BZMPOP', '0', '2', 'none', 'z2', 'MAX', 'COUNT', '2'],
    ],
    'timeouts': [
      ['FLUSHALL'],
      ['BLPOP', 'none', '0.05'],
      ['BRPOP', 'none', 'other', '0.05'],
      ['BLMOVE', 'none', 'x', 'LEFT', 'LEFT', '0.05'],
      ['BRPOPLPUSH', 'none', 'x', '0.05'],
      ['BZPOPMAX', 'nz', '0.05'],
      ['BLMPOP', '0.05', '1', 'none', 'LEFT'],
      ['BZMPOP', '0.05', '1', 'nz', 'MAX'],
      ['SET', 'str', 'v'],
      ['BLPOP', 'none', '0.05'],
    ],
    'RESP3 shapes': [
      ['HELLO', '3'],
      ['FLUSHALL'],
      ['ZADD', 'z', '2.5', 'm', '1', 'a', '2', 'b'],
      ['BZPOPMIN', 'z', '0'],
      ['BZMPOP', '0', '1', 'z', 'MAX', 'COUNT', '5'],
      ['BZPOPMIN', 'z', '0.05'],
      ['RPUSH', 'l', 'a', 'b'],
      ['BLMPOP', '0', '1', 'l', 'LEFT', 'COUNT', '5'],
      ['BLPOP', 'l', '0.05'],
      ['BLMOVE', 'l', 'x', 'LEFT', 'LEFT', '0.05'],
    ],
    'MULTI never blocks': [
      ['FLUSHALL'],
      ['MULTI'],
      ['BLPOP', 'a', '0'],
      ['BLMOVE', 'a', 'b', 'LEFT', 'LEFT', '0'],
      ['BRPOPLPUSH', 'a', 'b', '0'],
      ['BZPOPMIN', 'z', '0'],
      ['BLMPOP', '0', '1', 'a', 'LEFT'],
      ['BZMPOP', '0', '1', 'z', 'MIN'],
      ['RPUSH', 'a', 'x'],
      ['BLPOP', 'a', '0'],
      ['EXEC'],
    ],
    'Lua: BLPOP is noscript, BLMPOP runs without blocking': [
      ['FLUSHALL'],
      ['EVAL', "return redis.call('BLPOP', KEYS[1], 0)", '1', 'q'],
      ['EVAL', "return redis.call('BLMPOP', 0, 1, KEYS[1], 'LEFT')", '1', 'q'],
      ['RPUSH', 'q', 'v'],
      ['EVAL', "return redis.call('BLMPOP', 0, 1, KEYS[1], 'LEFT')", '1', 'q'],
    ],
  };

  for (const [name, commands] of Object.entries(scenarios)) {
    it(name, async () => {
      const [a, b] = await Promise.all([exchange(ours.port, commands), exchange(redisPort, commands)]);
      const skipHello = commands[0][0] === 'HELLO' ? 1 : 0; // server name, version and client id differ
      for (let i = skipHello; i < commands.length; i++) {
        expect(plain(a[i]), `reply to ${commands[i].join(' ')}`).to.deep.equal(plain(b[i]));
      }
    });
  }

  it('a blocked client is woken by a push from another connection, first come first served', async () => {
    const r1 = new Redis({ port: ours.port });
    const r2 = new Redis({ port: ours.port });
    const w = new Redis({ port: ours.port });
    try {
      const first = r1.brpop('wake', 0);
      await new Promise((r) => setTimeout(r, 100));
      const second = r2.brpop('wake', 0);
      await new Promise((r) => setTimeout(r, 100));
      expect((await w.info('clients')).match(/blocked_clients:(\d+)/)?.[1]).to.equal('2');
      await w.lpush('wake', 'a');
      expect(await first).to.deep.equal(['wake', 'a']);
      await w.lpush('wake', 'b');
      expect(await second).to.deep.equal(['wake', 'b']);
      // A key of another type does not wake a list waiter; the list does.
      const third = r1.blpop('typed', 0);
      await new Promise((r) => setTimeout(r, 100));
      await w.set('typed', 'string');
      await w.del('typed');
      await w.rpush('typed', 'ok');
      expect(await third).to.deep.equal(['typed', 'ok']);
    } finally {
      r1.disconnect();
      r2.disconnect();
      w.disconnect();
    }
  });
});
