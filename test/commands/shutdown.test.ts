/**
 * SHUTDOWN as Redis 7 answers it (checked against redis-server 7.0.15):
 * option errors, refused inside MULTI, and `redis-cli shutdown` stops the
 * node cleanly (exit 0, no output) with every write kept.
 */
import { expect } from 'chai';
import Redis from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errorOf, redisCli, startServer, type RunningServer } from '../support/proc';

describe('SHUTDOWN', function () {
  this.timeout(30000);
  let srv: RunningServer | undefined;
  let dir = '';

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'raftcache-shutdown-'));
    srv = await startServer([], { dir });
  });

  afterEach(async () => {
    await srv?.stop();
    srv = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers option errors as Redis does and keeps running', async () => {
    const c = new Redis({ port: srv!.port });
    try {
      expect(await errorOf(c.call('shutdown', 'abort'))).to.equal('ERR No shutdown in progress.');
      expect(await errorOf(c.call('shutdown', 'foo'))).to.equal('ERR syntax error');
      expect(await errorOf(c.call('shutdown', 'save', 'nosave'))).to.equal('ERR syntax error');
      expect(await errorOf(c.call('shutdown', 'abort', 'now'))).to.equal('ERR syntax error');
      const tx = await c.multi().call('shutdown').exec().catch((e: Error) => e);
      expect(String(tx)).to.match(/EXECABORT/);
      expect(await c.ping()).to.equal('PONG');
    } finally {
      c.disconnect();
    }
  });

  it('redis-cli shutdown stops the node cleanly: no output, exit 0, every write kept', async () => {
    const c = new Redis({ port: srv!.port });
    try {
      expect(await c.set('kept', 'yes')).to.equal('OK');
      expect(await c.incrby('n', 41)).to.equal(41);
    } finally {
      c.disconnect();
    }
    const exited = new Promise<number | null>((resolve) => srv!.proc.once('exit', (code) => resolve(code)));
    const out = redisCli(srv!.port, ['shutdown', 'nosave', 'now']);
    expect(out.stdout).to.equal('');
    expect(out.status).to.equal(0);
    expect(await exited).to.equal(0);
    expect(srv!.logs.some((l) => l.includes('"signal":"SHUTDOWN"'))).to.equal(true);
    srv = await startServer([], { dir });
    const r = new Redis({ port: srv.port });
    try {
      expect(await r.get('kept')).to.equal('yes');
      expect(await r.get('n')).to.equal('41');
    } finally {
      r.disconnect();
    }
  });
});
