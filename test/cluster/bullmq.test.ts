import { expect } from 'chai';
import { Queue, QueueEvents, Worker, type ConnectionOptions } from 'bullmq';
import { Cluster, waitFor } from './harness';

/**
 * BullMQ, unchanged, on a 3-node cluster. Unlike Bull 4 it keeps its job
 * events in a stream: its Lua scripts XADD (with MAXLEN ~) and XTRIM, and
 * QueueEvents listens with XREAD BLOCK ... STREAMS <events> $. The producer
 * talks to the leader, the worker to one follower, the event listener to
 * the other, so the events a follower reads were written through the leader.
 */
describe('cluster: BullMQ (streams) job queue', function () {
  this.timeout(120000);
  let c: Cluster;
  const closers: Array<() => Promise<void>> = [];

  before(async () => {
    c = await Cluster.start({ nodes: 3 });
    await c.leader();
  });
  after(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await c?.stopAll();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && c) process.stderr.write(c.logTail() + '\n');
  });

  function connection(node: number): ConnectionOptions {
    return { host: '127.0.0.1', port: c.node(node).port, maxRetriesPerRequest: null };
  }

  it('Queue + Worker + QueueEvents: every job runs once, events arrive on a follower, counts are right', async () => {
    const leader = await c.leader();
    const [workerNode, eventsNode] = await c.followers(leader);
    const queue = new Queue('mail', { connection: connection(leader) });
    closers.push(() => queue.close());
    const events = new QueueEvents('mail', { connection: connection(eventsNode) });
    closers.push(() => events.close());
    await events.waitUntilReady();
    const completed = new Map<string, string>();
    const failed = new Set<string>();
    events.on('completed', ({ jobId, returnvalue }) => completed.set(jobId, String(returnvalue)));
    events.on('failed', ({ jobId }) => failed.add(jobId));

    const ran: number[] = [];
    const worker = new Worker(
      'mail',
      async (job) => {
        const n = (job.data as { n: number }).n;
        ran.push(n);
        if (n === 13) throw new Error('unlucky');
        return n * 2;
      },
      { connection: connection(workerNode), concurrency: 4 },
    );
    closers.push(() => worker.close());
    worker.on('error', () => undefined);

    const total = 30;
    const ids: string[] = [];
    for (let n = 0; n < total; n++) {
      const opts = n % 5 === 0 ? { delay: 300 } : n % 7 === 0 ? { priority: 1 } : {};
      const job = await queue.add('send', { n }, { ...opts, attempts: 1 });
      ids.push(String(job.id));
    }
    await waitFor(() => completed.size + failed.size >= total, 60000, `${total} completed/failed events (have ${completed.size} + ${failed.size})`);
    expect(ran.slice().sort((a, b) => a - b), 'each job ran exactly once').to.deep.equal(Array.from({ length: total }, (_, i) => i));
    expect(failed.size).to.equal(1);
    const counts = await queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed');
    expect(counts).to.deep.equal({ completed: total - 1, failed: 1, waiting: 0, active: 0, delayed: 0 });
    const job = await queue.getJob(ids[4]);
    expect(job?.returnvalue).to.equal(8);
    expect(completed.get(ids[4])).to.equal('8');
  });
});
