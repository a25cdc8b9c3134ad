import { expect } from 'chai';
import crypto from 'node:crypto';
import type Redis from 'ioredis';
import { Cluster, raftView, waitFor } from './harness';

/** Time a command takes and what it answers (reply or error message); never waits longer than `capMs`. */
async function timed(c: Redis, args: string[], capMs = 15000): Promise<{ ms: number; reply?: unknown; error?: string }> {
  const t0 = Date.now();
  const outcome = await Promise.race([
    c.call(args[0], ...args.slice(1)).then(
      (reply) => ({ reply }),
      (e: Error) => ({ error: e.message }),
    ),
    new Promise<{ error: string }>((r) => setTimeout(() => r({ error: `no reply within ${capMs} ms (hung)` }), capMs).unref()),
  ]);
  return { ms: Date.now() - t0, ...outcome };
}

/**
 * Node 3 has the wrong cluster secret; --write-timeout-ms 1000 everywhere.
 * Nodes 1 and 2 still form a majority; node 3 is refused and stays leaderless.
 * Then node 2 is killed too: nothing has a majority and writes fail fast.
 */
describe('cluster: wrong secret and no leader', function () {
  this.timeout(60000);
  let cluster: Cluster;

  before(async () => {
    cluster = await Cluster.start({
      nodes: 3,
      args: ['--write-timeout-ms', '1000'],
      nodeSecret: { 3: crypto.randomBytes(16).toString('hex') },
    });
  });
  after(async () => {
    await cluster?.stopAll();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && cluster) process.stderr.write(cluster.logTail() + '\n');
  });

  const refusals = (id: number) => cluster.node(id).logs.filter((l) => l.includes('peer refused'));

  it('a peer with the wrong secret is refused, and both sides log the refusal', async () => {
    const leader = await cluster.leader([1, 2]);
    expect([1, 2]).to.include(leader);
    await waitFor(() => refusals(3).length > 0, 10000, "node 3 to log 'peer refused'");
    await waitFor(() => refusals(1).length + refusals(2).length > 0, 10000, "node 1 or 2 to log 'peer refused'");
    const fromGood = [...refusals(1), ...refusals(2)].map((l) => JSON.parse(l) as { claimedId?: number; level?: number; reason?: string });
    expect(fromGood.some((r) => r.claimedId === 3), JSON.stringify(fromGood)).to.equal(true);
    expect(fromGood.every((r) => r.level === 40)).to.equal(true); // warn
    // Node 3 never learns a leader, the others never count it.
    const v3 = raftView(await cluster.info(3));
    expect(v3.leaderId).to.equal(undefined);
    expect(v3.role).to.not.equal('leader');
    const c = cluster.client(leader);
    expect(await c.set('k', 'v')).to.equal('OK');
  });

  it('a write on the isolated node fails with -CLUSTERDOWN after write-timeout-ms, not before and not much after', async () => {
    const c = cluster.client(3);
    const r = await timed(c, ['SET', 'iso', '1']);
    expect(r.error, JSON.stringify(r)).to.match(/^CLUSTERDOWN/);
    expect(r.ms).to.be.within(900, 2500);
    const cli = cluster.cli(3, ['set', 'iso', '1']);
    expect(cli.stdout).to.match(/^CLUSTERDOWN no leader/);
  });

  it('with 2 of 3 nodes down, writes fail (never hang) and then fail with -CLUSTERDOWN after write-timeout-ms', async () => {
    const leader = await cluster.leader([1, 2]);
    const survivor = leader === 1 ? 2 : 1;
    // Kill the leader: the survivor is left with only the refused node 3.
    await cluster.kill(leader, 'SIGKILL');
    const c = cluster.client(survivor);
    const first = await timed(c, ['INCR', 'nolead']);
    expect(first.error, JSON.stringify(first)).to.match(/^(CLUSTERDOWN|TRYAGAIN)/);
    expect(first.ms).to.be.below(5000);
    // Once the survivor knows there is no leader, the wait is exactly the write timeout.
    await waitFor(async () => raftView(await cluster.info(survivor)).leaderId === undefined, 10000, 'the survivor to report no leader');
    for (let i = 0; i < 3; i++) {
      const r = await timed(c, ['SET', `nolead:${i}`, 'x']);
      expect(r.error, JSON.stringify(r)).to.match(/^CLUSTERDOWN/);
      expect(r.ms).to.be.within(900, 2500);
    }
    // The connection is still usable: reads are answered (local mode) and PING works.
    expect(await c.ping()).to.equal('PONG');
    expect(await c.get('k')).to.equal('v');
  });
});
