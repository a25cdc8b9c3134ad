import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { Cluster, infoField, waitFor } from './harness';
import { Workload } from './workload';

/**
 * A node whose data directory is deleted and which is restarted with its
 * original flags (docs/cluster.md, "A node that lost its data"): it must not
 * vote while it may have forgotten a vote, must rejoin (re-added as a
 * learner, caught up, promoted by the leader) and end with the leader's data,
 * while clients keep writing and no acknowledged write is lost.
 */
describe('cluster: a node restarted with an empty data directory rejoins safely', function () {
  this.timeout(120000);
  let cluster: Cluster | undefined;
  let work: Workload | undefined;

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && cluster) process.stderr.write(`${work?.summary() ?? ''}\n${cluster.logTail(60)}\n`);
    await work?.stop();
    work = undefined;
    await cluster?.stopAll();
    cluster = undefined;
  });

  async function wipeAndRejoin(victimIsLeader: boolean, args: string[] = [], compact = false): Promise<void> {
    const c = (cluster = await Cluster.start({ nodes: 3, args }));
    const leader = await c.leader();
    const victim = victimIsLeader ? leader : (await c.followers(leader))[0];
    await checkRejoin(c, victim, [1, 2, 3], victimIsLeader, compact);
  }

  /** Writes to the others, wipes `victim`, restarts it with its flags and checks it rejoins safely. */
  async function checkRejoin(c: Cluster, victim: number, all: number[], victimIsLeader: boolean, compact = false): Promise<void> {
    const others = all.filter((id) => id !== victim);
    const w = (work = new Workload(c, () => others, 6));
    w.start();
    await waitFor(() => w.ackCount >= 300, 20000, 'writes before the wipe');

    await c.kill(victim, 'SIGKILL');
    rmSync(c.node(victim).dir, { recursive: true, force: true });
    if (victimIsLeader) await c.leader(others, 20000);
    if (compact) {
      // The log the wiped node would need is gone: it can only catch up by snapshot.
      const l = await c.leader(others, 20000);
      await waitFor(async () => (await c.command(l, ['RAFT.COMPACT']), Number(infoField(await c.info(l), 'first_index')) > 1), 20000, 'the leader to compact its log');
    }
    const beforeRestart = w.ackCount;
    const logFrom = c.node(victim).logs.length;
    await c.restart(victim);
    const restartedAt = Date.now();

    // Until it has rejoined, it has voted for nobody and never answers from its empty state.
    const seen = new Set<string>();
    const [key, expected] = [...w.acked][0];
    let read: string | undefined;
    await waitFor(
      async () => {
        const info = await c.info(victim);
        const state = infoField(info, 'recovery') ?? '?';
        seen.add(state);
        if (state !== 'none') {
          expect(infoField(info, 'voted_for'), `node ${victim} voted while in recovery state ${state}`).to.equal('0');
          if (read === undefined) read = await c.command(victim, ['GET', key]).then((v) => `value ${String(v)}`, (e: Error) => e.message);
        }
        return state === 'none' && infoField(info, 'voters')?.split(',').includes(String(victim)) && infoField(info, 'role') === 'follower';
      },
      60000,
      `node ${victim} to rejoin as a voter`,
      50,
    );
    process.stderr.write(`      node ${victim} rejoined as a voter ${Date.now() - restartedAt} ms after its restart (states seen: ${[...seen].join(', ')}; ${w.ackCount - beforeRestart} writes acknowledged meanwhile)\n`);
    // Log lines arrive through a pipe, possibly after INFO shows the state.
    await waitFor(() => c.node(victim).logs.slice(logFrom).some((l) => l.includes('rejoined the cluster as a voter')), 5000, 'the rejoin log line');
    const logs = c.node(victim).logs.slice(logFrom).join('\n');
    expect(logs).to.match(/"level":50[^\n]*lost its data/);
    expect(logs).to.match(/rejoined the cluster as a voter/);
    expect(logs).not.to.match(/out of range/);
    expect([...seen].filter((s) => s !== 'none').length, `states seen: ${[...seen].join(',')}`).to.be.greaterThan(0);
    // A read sent meanwhile waited for the leader's commit index (or was refused), never nil.
    if (read !== undefined) expect(read).to.satisfy((r: string) => r === `value ${expected}` || /^(TRYAGAIN|CLUSTERDOWN) /.test(r), read);

    // The leader sees it as a voter again, and writes went on meanwhile.
    const newLeader = await c.leader();
    expect(infoField(await c.info(newLeader), 'voters')?.split(',').sort()).to.deep.equal(all.map(String).sort());
    await waitFor(() => w.ackCount >= beforeRestart + 300, 20000, 'writes after the rejoin');
    await w.stop();
    expect(w.violations).to.deep.equal([]);
    await c.settle(all);
    for (const id of all) expect(await w.verify(id), `node ${id}; ${w.summary()}`).to.deep.equal([]);
    expect(await c.command(victim, ['DBSIZE'])).to.equal(await c.command(newLeader, ['DBSIZE']));
  }

  it('a follower: no vote until promoted again, same data as the leader, no acknowledged write lost', async () => {
    await wipeAndRejoin(false);
  });

  it('the leader: the others elect a new one; the old leader rejoins the same way', async () => {
    await wipeAndRejoin(true);
  });

  it('with the log compacted under it: the wiped follower catches up by snapshot while writes go on, then is promoted', async () => {
    await wipeAndRejoin(false, ['--snapshot-entries', '200', '--log-tail', '50'], true);
    const logs = cluster!.node((await cluster!.followers(await cluster!.leader())).find((id) => cluster!.node(id).logs.some((l) => l.includes('lost its data')))!).logs.join('\n');
    expect(logs).to.match(/snapshot installed/);
  });

  it('a node that joined (--join yes) and was promoted: restarted empty with its flags, it rejoins the same way', async () => {
    const c = (cluster = await Cluster.start({ nodes: 3 }));
    const leader = await c.leader();
    await c.addNode(4);
    expect(await c.command(leader, ['RAFT.NODE', 'ADD', '4', c.hostPorts(4)])).to.equal('OK');
    // Promote once it has checked it is new (docs/cluster.md: promote a learner once caught up).
    await waitFor(async () => infoField(await c.info(4), 'recovery') === 'none', 20000, 'node 4 to check it is new');
    expect(await c.command(leader, ['RAFT.NODE', 'PROMOTE', '4'])).to.equal('OK');
    await waitFor(async () => {
      const info = await c.info(4);
      return infoField(info, 'role') === 'follower' && infoField(info, 'recovery') === 'none';
    }, 20000, 'node 4 a voter');
    // A new node joins as a learner: it never went through the lost-data path.
    expect(c.node(4).logs.join('\n')).not.to.match(/lost its data/);
    await checkRejoin(c, 4, [1, 2, 3, 4], false);
  });
});
