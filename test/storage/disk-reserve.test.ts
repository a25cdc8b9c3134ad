import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DiskReserve, txnGrowthEstimate, type AllocateResult } from '../../storage/disk-reserve';
import { Fallocator } from '../../storage/fallocator';
import { tempDir } from './helpers';

const MiB = 1024 * 1024;

/** A file system that can allocate up to `capacity` bytes of one file, recording every request. */
function fakeDisk(capacity: number, result: AllocateResult = 'ok') {
  const requests: number[] = [];
  let release: (() => void) | undefined;
  const disk = {
    requests,
    capacity,
    /** When set, allocations wait until resume() is called (to test single flight). */
    hold: false,
    resume: () => release?.(),
    allocate: async (_file: string, length: number): Promise<AllocateResult> => {
      requests.push(length);
      if (disk.hold) await new Promise<void>((r) => (release = r));
      if (result !== 'ok') return result;
      return length <= disk.capacity ? 'ok' : 'full';
    },
  };
  return disk;
}

describe('DiskReserve: space allocated ahead of data.mdb', () => {
  const tmp = tempDir('raftcache-reserve-');
  const file = join(tmp.dir, 'data.mdb');
  before(() => writeFileSync(file, Buffer.alloc(4096)));
  after(() => tmp.remove());

  it('allocates the target beyond the end of the file, then lets commits through without asking again', async () => {
    const disk = fakeDisk(1024 * MiB);
    const r = new DiskReserve(file, tmp.dir, { targetBytes: 64 * MiB, allocate: disk.allocate });
    expect(r.covers(MiB)).to.equal(false);
    expect(await r.ensure(MiB)).to.equal(true);
    expect(disk.requests).to.deep.equal([4096 + 64 * MiB]);
    expect(r.headroom()).to.equal(64 * MiB);
    expect(r.covers(63 * MiB)).to.equal(true);
    r.topUp(); // more than half the target left: nothing to do
    expect(disk.requests).to.have.length(1);
  });

  it('halves the step on a nearly full disk, and refuses when not even the need fits', async () => {
    const disk = fakeDisk(4096 + 5 * MiB);
    const r = new DiskReserve(file, tmp.dir, { targetBytes: 64 * MiB, allocate: disk.allocate });
    expect(await r.ensure(2 * MiB)).to.equal(true);
    // 64, 32, 16, 8 MiB do not fit; 4 MiB does.
    expect(disk.requests.map((n) => (n - 4096) / MiB)).to.deep.equal([64, 32, 16, 8, 4]);
    expect(r.headroom()).to.equal(4 * MiB);
    disk.requests.length = 0;
    expect(await r.ensure(6 * MiB)).to.equal(false);
    expect(r.refusals).to.equal(1);
    expect(r.lastProblem).to.match(/no space left/);
    // Space returns: the next commit gets its room.
    disk.capacity = 1024 * MiB;
    expect(await r.ensure(6 * MiB)).to.equal(true);
  });

  it('runs one allocation at a time; a caller needing more than it brought waits and retries', async () => {
    const disk = fakeDisk(1024 * MiB);
    disk.hold = true;
    const r = new DiskReserve(file, tmp.dir, { targetBytes: 8 * MiB, allocate: disk.allocate });
    r.topUp();
    const big = r.ensure(20 * MiB);
    await new Promise((resolve) => setImmediate(resolve));
    expect(disk.requests).to.have.length(1);
    disk.resume();
    await new Promise((resolve) => setImmediate(resolve));
    disk.hold = false;
    disk.resume();
    expect(await big).to.equal(true);
    expect(disk.requests.map((n) => (n - 4096) / MiB)).to.deep.equal([8, 20]);
  });

  it('backs off background top-ups while the disk refuses them', async () => {
    const disk = fakeDisk(4096 + 2 * MiB);
    let now = 0;
    const r = new DiskReserve(file, tmp.dir, { targetBytes: 64 * MiB, allocate: disk.allocate, now: () => now });
    r.topUp();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const tries = disk.requests.length;
    expect(r.headroom()).to.equal(2 * MiB);
    r.topUp();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(disk.requests.length, 'no new attempt within the back-off').to.equal(tries);
    now += 1001;
    r.topUp();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(disk.requests.length).to.be.greaterThan(tries);
  });

  it('stop() ends top-ups and idle() waits for a running allocation (the store closes after it)', async () => {
    const disk = fakeDisk(1024 * MiB);
    disk.hold = true;
    const r = new DiskReserve(file, tmp.dir, { targetBytes: 8 * MiB, allocate: disk.allocate });
    r.topUp();
    r.stop();
    let idle = false;
    const waiting = r.idle().then(() => (idle = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(idle).to.equal(false);
    disk.resume();
    await waiting;
    r.topUp();
    expect(disk.requests).to.have.length(1);
  });

  it('falls back to checking free space where preallocation is unsupported', async () => {
    const disk = fakeDisk(0, 'unsupported');
    let free = 100 * MiB;
    const r = new DiskReserve(file, tmp.dir, { targetBytes: 64 * MiB, allocate: disk.allocate, freeBytes: () => free });
    expect(await r.ensure(10 * MiB)).to.equal(true);
    expect(r.mode).to.equal('free-space');
    expect(r.lastProblem).to.match(/cannot preallocate/);
    free = MiB;
    expect(r.covers(2 * MiB)).to.equal(false);
    expect(await r.ensure(2 * MiB)).to.equal(false);
  });

  it('is off with a zero target', async () => {
    const r = new DiskReserve(file, tmp.dir, { targetBytes: 0, allocate: () => Promise.reject(new Error('not called')) });
    expect(r.mode).to.equal('off');
    expect(await r.ensure(1024 * MiB)).to.equal(true);
  });

  it('fallocate --keep-size allocates blocks without changing the size or contents of the file', async function () {
    const target = join(tmp.dir, 'real.mdb');
    writeFileSync(target, Buffer.from('hello'));
    const fallocator = new Fallocator(target);
    try {
      const result = await fallocator.allocate(2 * MiB);
      if (result === 'unsupported') this.skip(); // no util-linux fallocate, or a file system without it
      expect(result).to.equal('ok');
      const { readFileSync, statSync } = await import('node:fs');
      const st = statSync(target);
      expect(st.size).to.equal(5);
      expect(st.blocks * 512).to.be.at.least(2 * MiB);
      expect(readFileSync(target, 'utf8')).to.equal('hello');
      // Several at once are answered in order, by the one shell.
      const many = await Promise.all([3, 4, 5].map((m) => fallocator.allocate(m * MiB)));
      expect(many).to.deep.equal(['ok', 'ok', 'ok']);
      expect(statSync(target).blocks * 512).to.be.at.least(5 * MiB);
    } finally {
      fallocator.close();
    }
  });

  it('the fallocate shell: a path it cannot allocate answers unsupported, a killed shell is started again, a closed one answers unsupported', async function () {
    const bad = new Fallocator(join(tmp.dir, 'no-such-dir', 'data.mdb'));
    try {
      expect(await bad.allocate(MiB)).to.equal('unsupported');
    } finally {
      bad.close();
    }
    const target = join(tmp.dir, 'again.mdb');
    writeFileSync(target, Buffer.from('x'));
    const fallocator = new Fallocator(target);
    if ((await fallocator.allocate(MiB)) === 'unsupported') {
      fallocator.close();
      this.skip();
    }
    const shell = (fallocator as unknown as { child: { pid: number } }).child;
    process.kill(shell.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    expect(await fallocator.allocate(2 * MiB)).to.equal('ok');
    fallocator.close();
    expect(await fallocator.allocate(3 * MiB)).to.equal('unsupported');
  });

  it('estimates a transaction\'s growth generously (the bytes put, a copied leaf per operation, a margin)', () => {
    expect(txnGrowthEstimate(1, 100)).to.be.at.least(4096 + 100);
    expect(txnGrowthEstimate(2048, 2048 * 100)).to.be.at.least(2048 * 100 + 4 * MiB);
  });
});
