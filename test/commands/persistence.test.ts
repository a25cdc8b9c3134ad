/**
 * SAVE, BGSAVE [SCHEDULE], LASTSAVE and INFO persistence, mapped onto the
 * durable keyspace copy (the node's snapshot): a backup script that runs
 * BGSAVE and waits for LASTSAVE to move works, and SAVE really writes the
 * copy (after a SIGKILL the node restarts from it with the log compacted).
 */
import { expect } from 'chai';
import Redis from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errorOf, startServer, type RunningServer } from '../support/proc';

const field = (info: string, name: string): string => new RegExp(`${name}:(\\S*)`).exec(info)?.[1] ?? '';

describe('SAVE / BGSAVE / LASTSAVE / INFO persistence', function () {
  this.timeout(30000);
  let srv: RunningServer | undefined;
  let r: Redis | undefined;
  let dir = '';

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'raftcache-persist-'));
    srv = await startServer([], { dir });
    r = new Redis({ port: srv.port });
  });

  after(async () => {
    r?.disconnect();
    await srv?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('INFO persistence (in the default INFO) reports what is not yet in the snapshot', async () => {
    const info = await r!.info();
    expect(info).to.include('# Persistence');
    await r!.set('p1', 'v');
    const p = await r!.info('persistence');
    expect(field(p, 'loading')).to.equal('0');
    expect(Number(field(p, 'rdb_changes_since_last_save'))).to.be.at.least(1);
    expect(field(p, 'rdb_last_bgsave_status')).to.equal('ok');
    expect(field(p, 'aof_enabled')).to.equal('0');
  });

  it('SAVE writes the snapshot; LASTSAVE moves; BGSAVE runs one at a time; option errors as Redis', async () => {
    const before = (await r!.lastsave()) as number;
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await r!.set('p2', 'v');
    expect(await r!.save()).to.equal('OK');
    expect(await r!.lastsave()).to.be.greaterThan(before);
    expect(field(await r!.info('persistence'), 'rdb_changes_since_last_save')).to.equal('0');
    expect(await r!.bgsave()).to.equal('Background saving started');
    const again = await r!.bgsave().catch((e: Error) => e.message);
    const scheduled = await r!.call('bgsave', 'schedule');
    // The first BGSAVE may already be done on a fast disk; either answer is Redis's.
    expect(['Background saving started', 'ERR Background save already in progress']).to.include(again);
    expect(['Background saving started', 'Background saving scheduled']).to.include(scheduled);
    expect(await errorOf(r!.call('bgsave', 'foo'))).to.equal('ERR syntax error');
    expect(await errorOf(r!.call('save', 'x'))).to.equal("ERR wrong number of arguments for 'save' command");
    const tx = await r!.multi().set('p3', '1').call('save').exec().catch((e: Error) => e);
    expect(String(tx)).to.match(/EXECABORT/);
  });

  it('after SAVE and a SIGKILL the node restarts from the snapshot with every write', async () => {
    await r!.mset('s1', 'a', 's2', 'b');
    expect(await r!.save()).to.equal('OK');
    await r!.set('after-save', 'c'); // only in the log
    r!.disconnect();
    await srv!.stop('SIGKILL');
    srv = await startServer([], { dir });
    r = new Redis({ port: srv.port });
    expect(await r.mget('s1', 's2', 'after-save')).to.deep.equal(['a', 'b', 'c']);
  });
});
