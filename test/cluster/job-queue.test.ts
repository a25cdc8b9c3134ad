import { expect } from 'chai';
import Queue from 'bull';
import { Cluster, waitFor } from './harness';

/**
 * A real job-queue library, unchanged, on a 3-node cluster: Bull 4 keeps
 * jobs in hashes, the waiting/active queues in lists (its worker blocks in
 * BRPOPLPUSH), delayed and completed jobs in sorted sets, runs Lua scripts
 * that call cmsgpack, and announces events over pub/sub. The producer talks
 * to the leader, the worker to a follower.
 */
describe('cluster: Bull job queue', function () {
  this.timeout(120000);
  let c: Cluster;
  const queues: Queue.Queue[] = [];

  before(async () => {
    c = await Cluster.start({ nodes: 3 });
    await c.leader();
  });
  after(async () => {
    for (const q of queues) await q.close().catch(() => undefined);
    await c?.stopAll();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && c) process.stderr.write(c.logTail() + '\n');
  });

  function queueOn(node: number): Queue.Queue {
    const q = new Queue('emails', {
      redis: { host: '127.0.0.1', port: c.node(node).port, maxRetriesPerRequest: null, enableReadyCheck: false },
      settings: { drainDelay: 1 },
    });
    q.on('error', () => undefined);
    queues.push(q);
    return q;
  }

  it('processes immediate, delayed and prioritized jobs once each, with results and counts', async () => {
    const leader = await c.leader();
    const [follower] = await c.followers(leader);
    const producer = queueOn(leader);
    const worker = queueOn(follower);
    const processed: number[] = [];
    // Bull announces completions with PUBLISH inside its Lua scripts: applied on every
    // node, each delivers to its own subscribers (here: the producer's, on the leader).
    const announced = new Set<string>();
    await producer.isReady();
    producer.on('global:completed', (jobId: string) => announced.add(String(jobId)));
    void worker.process(async (job) => {
      processed.push(job.data.n as number);
      if (job.data.n === 13) throw new Error('unlucky');
      return { doubled: (job.data.n as number) * 2 };
    });
    const total = 40;
    for (let n = 0; n < total; n++) {
      const opts: Queue.JobOptions = n % 5 === 0 ? { delay: 300 } : n % 7 === 0 ? { priority: 1 } : {};
      if (n === 13) opts.attempts = 1;
      await producer.add({ n }, opts);
    }
    await waitFor(async () => {
      const counts = await producer.getJobCounts();
      return counts.completed + counts.failed === total ? counts : undefined;
    }, 60000, 'all jobs completed or failed');
    const counts = await producer.getJobCounts();
    expect(counts).to.include({ waiting: 0, active: 0, delayed: 0, completed: total - 1, failed: 1 });
    expect([...processed].sort((a, b) => a - b)).to.deep.equal([...Array(total).keys()]);
    const done = await producer.getCompleted(0, -1);
    const byN = new Map(done.map((j) => [j.data.n as number, j.returnvalue as { doubled: number }]));
    expect(byN.get(21)).to.deep.equal({ doubled: 42 });
    await waitFor(() => announced.size === total - 1, 10000, 'a global:completed event per completed job');
    const failed = await producer.getFailed();
    expect(failed.map((j) => j.failedReason)).to.deep.equal(['unlucky']);
  });
});
