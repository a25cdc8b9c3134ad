import { expect } from 'chai';
import { Cluster, indexField, sleep, waitFor } from './harness';

const MB = 1024 * 1024;

/** A value with markers at both ends and in the middle, so GETRANGE proves the bytes arrived in place. */
function bigValue(bytes: number, fill: string): Buffer {
  const value = Buffer.alloc(bytes, fill);
  value.write('HEAD', 0);
  value.write('MIDDLE', bytes / 2);
  value.write('TAIL', bytes - 4);
  return value;
}

/**
 * Values far over one peer frame (64 MiB) must replicate like any other:
 * the transport splits them into fragments. Before, the leader's Ready loop
 * died on the frame limit and the cluster wedged.
 */
describe('cluster: values larger than a peer frame', function () {
  this.timeout(240000);
  let cluster: Cluster;

  before(async () => {
    // A short log tail lets RAFT.COMPACT drop a huge entry, so the last test needs a snapshot.
    // 100 MB through three processes can take longer than the default 5 s write timeout on a
    // loaded 2-core machine (a forwarded write would then answer "outcome unknown").
    cluster = await Cluster.start({ nodes: 3, args: ['--log-tail', '5', '--write-timeout-ms', '30000'] });
    await cluster.leader();
  });
  after(async () => {
    await cluster?.stopAll();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && cluster) process.stderr.write(cluster.logTail() + '\n');
  });

  /**
   * Moving ~100 MB through three processes on a loaded 2-core machine can
   * outlast an election timeout; a leader change then answers TRYAGAIN or
   * CLUSTERDOWN, which a client retries, as here (SET is idempotent). Never
   * "too many writes in flight": a huge write waits for the log to drain.
   */
  async function retrying<T>(what: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await what();
      } catch (e) {
        const msg = (e as Error).message;
        if (attempt >= 5 || !/^(TRYAGAIN|CLUSTERDOWN)/.test(msg) || /too many writes in flight/.test(msg)) throw e;
        await sleep(1000 * attempt);
        await cluster.leader();
      }
    }
  }

  function setRetrying(node: number, key: string, value: Buffer): Promise<unknown> {
    const w = cluster.client(node, { commandTimeout: 120000 });
    return retrying(() => w.set(key, value));
  }

  async function expectEverywhere(ids: number[], key: string, bytes: number, fill: string, timeoutMs = 60000): Promise<void> {
    for (const id of ids) {
      const r = cluster.client(id, { commandTimeout: 60000 });
      await waitFor(async () => (await r.strlen(key)) === bytes, timeoutMs, `the ${bytes >> 20} MB value on node ${id}`, 200);
      expect(await r.getrange(key, 0, 3)).to.equal('HEAD');
      expect(await r.getrange(key, bytes / 2, bytes / 2 + 5)).to.equal('MIDDLE');
      expect(await r.getrange(key, -4, -1)).to.equal('TAIL');
      expect(await r.getrange(key, 1000, 1003)).to.equal(fill.repeat(4));
    }
  }

  const cases: Array<{ mb: number; via: 'leader' | 'follower'; fill: string }> = [
    { mb: 70, via: 'leader', fill: 'b' },
    { mb: 70, via: 'follower', fill: 'c' },
    { mb: 100, via: 'leader', fill: 'd' },
    { mb: 100, via: 'follower', fill: 'e' },
  ];

  for (const { mb, via, fill } of cases) {
    it(`a ${mb} MB value SET on the ${via} is readable on every node, and writes keep working`, async () => {
      const leader = await cluster.leader();
      const [follower] = await cluster.followers(leader);
      const key = `big:${mb}:${via}`;
      const bytes = mb * MB;
      expect(await setRetrying(via === 'leader' ? leader : follower, key, bigValue(bytes, fill))).to.equal('OK');
      await expectEverywhere(cluster.running(), key, bytes, fill);
      // The cluster still takes writes on every node, and they replicate.
      await cluster.leader();
      for (const id of cluster.running()) {
        const c = cluster.client(id);
        expect(await retrying(() => c.set(`after:${key}:${id}`, 'ok'))).to.equal('OK');
        expect(await retrying(() => c.incr(`after:ctr:${key}`))).to.be.a('number');
      }
      for (const id of cluster.running()) {
        const r = cluster.client(id);
        await waitFor(async () => (await r.get(`after:ctr:${key}`)) === '3', 10000, `the counter on node ${id}`);
      }
      expect(await retrying(async () => cluster.client(await cluster.leader()).del(key))).to.equal(1);
    });
  }

  it('a 70 MB SET is admitted while other clients keep writing, and their writes wait instead of failing', async () => {
    const leader = await cluster.leader();
    const [follower] = await cluster.followers(leader);
    let writing = true;
    const errors: string[] = [];
    let acked = 0;
    const writers = [leader, follower].map(async (id) => {
      const c = cluster.client(id);
      for (let i = 0; writing; i++) {
        try {
          await c.set(`busy:${id}:${i % 100}`, `${i}`);
          acked++;
        } catch (e) {
          errors.push((e as Error).message);
        }
      }
    });
    try {
      await waitFor(() => acked > 50, 20000, 'the background writers to be going');
      const bytes = 70 * MB;
      // Admitted even though the log never drains on its own (retried only across a leader change).
      expect(await setRetrying(leader, 'big:busy', bigValue(bytes, 'g'))).to.equal('OK');
      const before = acked;
      await waitFor(() => acked > before + 20, 20000, 'the background writers to go on after the big write');
      await expectEverywhere(cluster.running(), 'big:busy', bytes, 'g');
    } finally {
      writing = false;
      await Promise.all(writers);
    }
    // They waited behind it instead of being refused (a leader change on a loaded machine may still answer TRYAGAIN).
    expect(errors.filter((m) => /too many writes in flight/.test(m)), 'writes refused for the big one').to.deep.equal([]);
    expect(await retrying(async () => cluster.client(await cluster.leader()).del('big:busy'))).to.equal(1);
  });

  it('a follower restarted behind the compacted log receives a 100 MB value in its snapshot', async () => {
    const leader = await cluster.leader();
    const [lagger] = await cluster.followers(leader);
    await cluster.kill(lagger, 'SIGKILL');
    const bytes = 100 * MB;
    expect(await setRetrying(leader, 'big:snap', bigValue(bytes, 'f'))).to.equal('OK');
    const w = cluster.client(await cluster.leader());
    for (let i = 0; i < 20; i++) await w.set(`snap:small:${i}`, `${i}`);
    const now = await cluster.leader();
    for (const id of cluster.running()) expect(await cluster.command(id, ['RAFT.COMPACT'], 60000)).to.equal('OK');
    // The huge entry is 21+ entries behind the commit index; with a tail of 5 it is compacted away.
    const info = await cluster.info(now);
    expect(indexField(info, 'first'), 'the leader compacted past the huge entry').to.be.greaterThan(indexField(info, 'commit') - 10);
    const logsBefore = cluster.node(lagger).logs.length;
    await cluster.restart(lagger);
    await expectEverywhere([lagger], 'big:snap', bytes, 'f', 90000);
    // Writes after the snapshot's index follow from the log.
    await waitFor(async () => (await cluster.client(lagger).get('snap:small:19')) === '19', 30000, 'the writes after the snapshot');
    await waitFor(() => /snapshot installed/.test(cluster.node(lagger).logs.slice(logsBefore).join('\n')), 10000, 'the restarted node to log its snapshot install');
  });
});
