/**
 * A single node keeps every acknowledged write across a restart, and serves
 * it as soon as it listens again (as Redis does once it has loaded its AOF):
 * after SIGKILL (no keyspace flush: the log is replayed) and after SIGTERM.
 */
import { expect } from 'chai';
import Redis from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, type RunningServer } from '../support/proc';

describe('a single node restarted right after acknowledged writes', function () {
  this.timeout(60000);
  let srv: RunningServer | undefined;
  let dir = '';

  afterEach(async () => {
    await srv?.stop();
    srv = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    it(`serves every acknowledged write at once after ${signal}`, async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'raftcache-restart-'));
      srv = await startServer([], { dir });
      const c = new Redis({ port: srv.port });
      let last = 0;
      try {
        const writes: Array<Promise<unknown>> = [];
        for (let i = 1; i <= 2000; i++) writes.push(c.set(`k${i}`, `v${i}`).then(() => (last = Math.max(last, i))));
        writes.push(c.incrby('counter', 2000));
        await Promise.all(writes);
      } finally {
        c.disconnect();
      }
      await srv.stop(signal);
      srv = await startServer([], { dir });
      const r = new Redis({ port: srv.port });
      try {
        // The very first commands after the restart: nothing may be missing yet.
        expect(await r.get('counter')).to.equal('2000');
        expect(await r.get(`k${last}`)).to.equal(`v${last}`);
        expect(await r.dbsize()).to.equal(2001);
      } finally {
        r.disconnect();
      }
    });
  }
});
