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

  it('keeps every acknowledged write of a flush encoded over several event-loop turns (many changes at once), after SIGKILL', async () => {
    // Over FLUSH_IN_TURNS_CHANGES (server/node/compaction.ts) applied writes, the keyspace copy is
    // encoded in chunks while applies wait: the copy must still be exactly one applied index's state.
    dir = mkdtempSync(path.join(os.tmpdir(), 'raftcache-restart-'));
    srv = await startServer(['--loglevel', 'debug'], { dir });
    const c = new Redis({ port: srv.port });
    const inTurns = () => srv!.logs.filter((l) => l.includes('encoded over several event-loop turns')).length;
    let counter = 0;
    const hashFields = new Map<string, string>();
    try {
      for (let round = 0; inTurns() < 2 && round < 40; round++) {
        const p = c.pipeline();
        for (let i = 0; i < 5000; i++) {
          p.set(`t:${round}:${i}`, `v${round}.${i}`);
          if (i % 10 === 0) p.incr('t:counter');
          if (i % 50 === 0) p.hset('t:hash', `f${i}`, `r${round}`);
        }
        const res = (await p.exec())!;
        expect(res.filter(([e]) => e !== null)).to.deep.equal([]);
        counter += 500;
        for (let i = 0; i < 5000; i += 50) hashFields.set(`f${i}`, `r${round}`);
        // Reads are served while a flush encodes in turns.
        expect(await c.get('t:counter')).to.equal(String(counter));
      }
      expect(inTurns(), 'flushes encoded in turns').to.be.at.least(2);
    } finally {
      c.disconnect();
    }
    await srv.stop('SIGKILL');
    srv = await startServer([], { dir });
    const r = new Redis({ port: srv.port });
    try {
      expect(await r.get('t:counter')).to.equal(String(counter));
      expect(await r.hgetall('t:hash')).to.deep.equal(Object.fromEntries(hashFields));
      const rounds = counter / 500;
      expect(await r.dbsize()).to.equal(rounds * 5000 + 2);
      for (let round = 0; round < rounds; round += 3) expect(await r.get(`t:${round}:4999`)).to.equal(`v${round}.4999`);
    } finally {
      r.disconnect();
    }
  });
});
