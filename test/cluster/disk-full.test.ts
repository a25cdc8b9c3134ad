import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { errorOf, startServer, type RunningServer } from '../support/proc';

/**
 * A node whose disk fills up: writes are refused with -MISCONF (never
 * acknowledged and then lost), reads keep working, and writes resume once
 * space returns. Uses a small tmpfs, so it needs root (mount); skipped
 * with a message otherwise.
 */

/** Space the node allocates ahead (LMDB reserve, log segments) well below the 24 MiB tmpfs. */
const SMALL_DISK = ['--disk-reserve', '4mb', '--log-segment-size', '1mb'];

function tryRun(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

function fill(dir: string): string {
  const file = path.join(dir, 'filler');
  const fd = openSync(file, 'w');
  try {
    for (const size of [256 * 1024, 4096, 512]) {
      const block = Buffer.alloc(size, 1);
      try {
        for (;;) writeSync(fd, block);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      }
    }
  } finally {
    closeSync(fd);
  }
  return file;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a node on a full disk', function () {
  this.timeout(60000);
  let base: string;
  let mnt: string;
  let srv: RunningServer | undefined;
  let mounted = false;

  before(function () {
    base = mkdtempSync(path.join(os.tmpdir(), 'raftcache-diskfull-'));
    mnt = path.join(base, 'mnt');
    mkdirSync(mnt);
    mounted = tryRun('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mnt]);
    if (!mounted) {
      console.log('      (skipped: mounting a tmpfs needs root)');
      this.skip();
    }
  });

  after(async () => {
    await srv?.stop();
    if (mounted) tryRun('umount', ['-l', mnt]);
    rmSync(base, { recursive: true, force: true });
  });

  it('answers -MISCONF while full, keeps serving reads, and resumes when space returns', async () => {
    // A reserve well below the tmpfs size: with the default (64 MiB) the reserve takes the whole
    // 24 MiB tmpfs in the background, racing the filler, and deleting the filler frees nothing.
    srv = await startServer(SMALL_DISK, { dir: path.join(mnt, 'node') });
    const r = new Redis({ port: srv.port, maxRetriesPerRequest: 0 });
    try {
      expect(await r.set('before', 'full')).to.equal('OK');
      // Let the reserve reach its size before the filler takes the rest of the disk.
      for (let i = 0; i < 100; i++) {
        const reserved = Number(/raft_disk_reserve_bytes:(\d+)/.exec(await r.info('raft'))?.[1] ?? 0);
        if (reserved >= 4 * 1024 * 1024) break;
        await sleep(50);
      }
      const filler = fill(mnt);
      // Fill the log: the write that meets the full disk waits (unacknowledged)
      // until space returns, and replies on its connection stay in order behind
      // it, so probe from fresh connections.
      const big = 'x'.repeat(64 * 1024);
      const writer = new Redis({ port: srv.port, maxRetriesPerRequest: 0 });
      const pending: Array<Promise<unknown>> = [];
      let refused = '';
      // The node keeps space allocated ahead (disk-reserve): writes go on until that is used up.
      // At most 8 writes outstanding: writes waiting for space stay in the batch the node retries,
      // so the test keeps that batch small next to the space the filler frees.
      let unresolved = 0;
      for (let i = 0; i < 600 && refused === ''; i++) {
        if (unresolved < 8) {
          unresolved++;
          pending.push(
            writer.set(`k${i}`, big).then(
              (ok) => (unresolved--, ok),
              (e: Error) => (unresolved--, e),
            ),
          );
        }
        const probe = new Redis({ port: srv.port, maxRetriesPerRequest: 0 });
        const reply = await Promise.race([probe.set('probe', 'p').catch((e: Error) => e.message), sleep(300).then(() => 'waiting')]);
        probe.disconnect();
        if (typeof reply === 'string' && /^MISCONF/.test(reply)) refused = reply;
      }
      expect(refused).to.match(/^MISCONF Errors writing to the data directory/);
      // Reads are still served from the applied state.
      expect(await r.get('before')).to.equal('full');
      expect(await r.info('raft')).to.match(/raft_disk_error:\S/);
      // Space returns: writes resume.
      unlinkSync(filler);
      let ok = false;
      for (let i = 0; i < 100 && !ok; i++) {
        ok = (await r.set('after', 'space').catch(() => 'no')) === 'OK';
        if (!ok) await sleep(100);
      }
      expect(ok, `writes resume: ${(await r.info('raft').catch(() => '')).split('\n').filter((l) => l.startsWith('raft_disk')).join(' ')}; ${srv.logs.slice(-5).join('\n')}`).to.equal(true);
      expect(await r.get('after')).to.equal('space');
      // The writes that waited are acknowledged (or refused) now, none lost silently.
      const outcomes = await Promise.all(pending);
      writer.disconnect();
      for (const o of outcomes) expect(o === 'OK' || (o instanceof Error && /^MISCONF/.test(o.message))).to.equal(true, String(o));
    } finally {
      r.disconnect();
    }
    // Everything acknowledged survives a restart.
    const dir = srv.dir;
    await srv.stop();
    srv = await startServer(SMALL_DISK, { dir });
    const r2 = new Redis({ port: srv.port });
    try {
      expect(await r2.get('before')).to.equal('full');
      expect(await r2.get('after')).to.equal('space');
    } finally {
      r2.disconnect();
    }
  });

  it('a read-only data directory: the node starts, serves reads and answers writes -MISCONF', async () => {
    const dir = path.join(mnt, 'ro-node');
    await srv?.stop(); // nothing may hold a file open for writing, or the remount fails
    srv = undefined;
    // The first test's node still holds its data file and the space reserved ahead of it.
    rmSync(path.join(mnt, 'node'), { recursive: true, force: true });
    srv = await startServer(SMALL_DISK, { dir });
    const w = new Redis({ port: srv.port });
    try {
      expect(await w.set('kept', 'before-ro')).to.equal('OK');
    } finally {
      w.disconnect();
    }
    await srv.stop();
    srv = undefined;
    expect(tryRun('mount', ['-o', 'remount,ro', mnt]), 'remount read-only').to.equal(true);
    try {
      srv = await startServer(SMALL_DISK, { dir });
      const r = new Redis({ port: srv.port, maxRetriesPerRequest: 0 });
      try {
        expect(await r.get('kept')).to.equal('before-ro');
        expect(await errorOf(r.set('new', 'x'))).to.match(/^MISCONF Errors writing to the data directory \(.*read-only/);
        expect(await r.info('raft')).to.match(/raft_disk_error:\S/);
      } finally {
        r.disconnect();
      }
      await srv.stop();
      srv = undefined;
    } finally {
      tryRun('mount', ['-o', 'remount,rw', mnt]);
    }
    // Writable again: writes are accepted.
    srv = await startServer(SMALL_DISK, { dir });
    const r2 = new Redis({ port: srv.port });
    try {
      expect(await r2.set('new', 'x')).to.equal('OK');
      expect(await r2.get('kept')).to.equal('before-ro');
    } finally {
      r2.disconnect();
    }
  });
});
