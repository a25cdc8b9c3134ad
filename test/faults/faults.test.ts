/**
 * One short fault scenario with real processes (part of `npm test`): the
 * leader is partitioned away and healed, then a node is killed and restarted,
 * while 10 clients read linearizably and write on every node. The history
 * must be linearizable and no acknowledged write lost. The network is
 * namespaces + nftables when this runs as root, else userspace proxies. A second run reads
 * locally while claiming linearizable reads: the checker must object.
 * The lock workload (lockload.ts) runs through a leader partition and a
 * leader kill and must keep every increment made inside the lock; clients
 * that skip LOCK.ACQUIRE must be caught by the lock-safety verdict.
 */
import { expect } from 'chai';
import { nemesisList } from './nemesis';
import { defaultOutDir, runScenario } from './run';

describe('faults: real cluster under partitions and crashes', function () {
  this.timeout(120000);
  const outDir = `${defaultOutDir()}-npm-test`;
  const lines: string[] = [];
  const log = (l: string): number => lines.push(l);

  afterEach(function () {
    if (this.currentTest?.state === 'failed') process.stdout.write(`${lines.join('\n')}\n`);
    lines.length = 0;
  });

  it('linearizable reads stay linearizable through a leader partition and a kill/restart; no acknowledged write is lost', async () => {
    const r = await runScenario({ name: 'npm-test-linearizable', readMode: 'linearizable', durationMs: 20000, faultMs: 6000, healMs: 4000, nemeses: nemesisList('partition-leader,kill'), outDir, log });
    expect(r.ops.ok, 'acknowledged operations').to.be.greaterThan(500);
    expect(r.events.some((e) => e.includes('isolated leader'))).to.equal(true);
    expect(r.events.some((e) => e.includes('restarted node'))).to.equal(true);
    expect(r.linearizable, r.explanation).to.equal(true);
    expect(r.lostWrites).to.deep.equal([]);
    // A write answered as not applied (-CLUSTERDOWN, or -TRYAGAIN "not applied") must not be applied.
    expect(r.phantomWrites, 'writes answered as not applied were applied').to.deep.equal([]);
  });

  it('locks: increments inside LOCK.ACQUIRE/RELEASE survive a leader partition and a leader kill; tokens increase', async () => {
    const r = await runScenario({ name: 'npm-test-locks', workload: 'lock', readMode: 'linearizable', durationMs: 12000, faultMs: 4000, healMs: 2000, nemeses: nemesisList('partition-leader,kill-leader'), outDir, log });
    expect(r.ops.ok, 'acknowledged increments inside the lock').to.be.greaterThan(50);
    expect(r.events.some((e) => e.includes('SIGKILL leader'))).to.equal(true);
    expect(r.lockSafety).to.deep.equal([]);
    expect(r.lostWrites).to.deep.equal([]);
  });

  it('locks: catches clients that skip LOCK.ACQUIRE (lost increments)', async () => {
    const r = await runScenario({ name: 'npm-test-locks-broken', workload: 'lock', brokenLocks: 'skip-acquire', readMode: 'linearizable', durationMs: 3000, faultMs: 1000, healMs: 500, nemeses: nemesisList('pause'), outDir, log });
    expect(r.lockSafety.some((v) => v.startsWith('lost increment')), r.lockSafety.join('\n')).to.equal(true);
  });

  it('catches a server weakened by a failpoint (linearizable reads served from local state)', async () => {
    const r = await runScenario({ name: 'npm-test-failpoint', readMode: 'linearizable', failpoint: 'linearizable-reads-local', expect: 'violation', durationMs: 6000, faultMs: 4000, healMs: 1000, nemeses: nemesisList('partition-leader'), outDir, log });
    expect(r.linearizable, 'the checker must object').to.equal(false);
    expect(r.lostWrites).to.deep.equal([]);
  });

  it('catches stale reads from clients that read locally (on a partitioned old leader and on followers) while claiming linearizable', async () => {
    const r = await runScenario({ name: 'npm-test-weakened', readMode: 'linearizable', weakReads: true, durationMs: 5000, faultMs: 4000, healMs: 500, nemeses: nemesisList('partition-leader'), outDir, log });
    expect(r.linearizable).to.equal(false);
    expect(r.explanation).to.match(/not linearizable/);
    expect(r.lostWrites).to.deep.equal([]);
  });
});
