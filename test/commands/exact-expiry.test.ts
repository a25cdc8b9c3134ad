/**
 * Expiry deadlines past 2^53 ms are exact int64 (not doubles) in replies and
 * across a restart, whether the node reloads its keyspace copy (SIGTERM) or
 * replays its log (SIGKILL). Redis keeps them exactly in RDB and AOF alike.
 */
import { expect } from 'chai';
import Redis from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, type RunningServer } from '../support/proc';

describe('expiry deadlines past 2^53 ms', function () {
  this.timeout(60000);
  let srv: RunningServer | undefined;
  let dir = '';

  afterEach(async () => {
    await srv?.stop();
    srv = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    it(`are exact in PEXPIRETIME/EXPIRETIME before and after ${signal}`, async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'raftcache-exact-expiry-'));
      srv = await startServer([], { dir });
      const c = new Redis({ port: srv.port, stringNumbers: true });
      try {
        await c.set('e', 'v');
        expect(await c.pexpireat('e', '9223372036854775807')).to.equal('1');
        expect(await c.call('set', 'f', 'v', 'PXAT', '4102444800000', 'PXAT', '9007199254740993')).to.equal('OK');
        await c.rpush('l', 'a');
        expect(await c.pexpireat('l', '9223372036854775806')).to.equal('1');
        // stringNumbers: integer replies as their exact text (a JS number would round them).
        expect((await c.call('pexpiretime', 'e'))).to.equal('9223372036854775807');
        expect((await c.call('expiretime', 'e'))).to.equal('9223372036854776');
      } finally {
        c.disconnect();
      }
      await srv.stop(signal);
      srv = await startServer([], { dir });
      const r = new Redis({ port: srv.port, stringNumbers: true });
      try {
        expect((await r.call('pexpiretime', 'e'))).to.equal('9223372036854775807');
        expect((await r.call('pexpiretime', 'f'))).to.equal('9007199254740993');
        expect((await r.call('pexpiretime', 'l'))).to.equal('9223372036854775806');
        expect(await r.lrange('l', 0, -1)).to.deep.equal(['a']);
      } finally {
        r.disconnect();
      }
    });
  }
});
