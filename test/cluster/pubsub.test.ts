import { expect } from 'chai';
import { Cluster, waitFor } from './harness';

/** A message published on any node reaches subscribers on every node. */
describe('cluster: pub/sub across nodes', function () {
  this.timeout(60000);
  let cluster: Cluster | undefined;
  before(async () => {
    cluster = await Cluster.start({ nodes: 3 });
    await cluster.leader();
  });
  after(async () => {
    await cluster?.stopAll();
  });

  it('delivers to subscribers on all three nodes', async () => {
    const c = cluster!;
    const got: string[] = [];
    const subs = [1, 2, 3].map((id) => {
      const s = c.client(id);
      s.on('message', (ch: string, m: string) => got.push(`${id}:${ch}:${m}`));
      return s;
    });
    for (const s of subs) await s.subscribe('cluster-news');
    const pub = c.client(2);
    await waitFor(async () => ((await pub.call('pubsub', 'numsub', 'cluster-news')) as unknown[])[1] === 3, 10000, 'peer links up');
    expect(await pub.publish('cluster-news', 'from-2')).to.equal(3); // receivers on every node
    await waitFor(() => got.length === 3, 5000, 'every node delivers');
    expect(got.sort()).to.deep.equal(['1:cluster-news:from-2', '2:cluster-news:from-2', '3:cluster-news:from-2']);
  });
});

/**
 * PUBLISH's count and PUBSUB NUMSUB / CHANNELS / NUMPAT see subscribers on
 * every node (one peer round trip each), so e.g. socket.io's Redis adapter
 * counts the servers on all nodes.
 */
describe('cluster: PUBLISH counts and PUBSUB answers are cluster-wide', function () {
  this.timeout(60000);
  let cluster: Cluster | undefined;
  before(async () => {
    cluster = await Cluster.start({ nodes: 3 });
    await cluster.leader();
  });
  after(async () => {
    await cluster?.stopAll();
  });

  it('counts subscribers on two other nodes; NUMSUB sums, CHANNELS unions, NUMPAT counts unique patterns', async () => {
    const c = cluster!;
    const got: string[] = [];
    const sub1 = c.client(1);
    const sub2 = c.client(2);
    const psub2 = c.client(2);
    const psub3 = c.client(3);
    for (const [name, s] of [['1', sub1], ['2', sub2], ['p2', psub2], ['p3', psub3]] as const) {
      s.on('message', (ch: string, m: string) => got.push(`${name}:${ch}:${m}`));
      s.on('pmessage', (_p: string, ch: string, m: string) => got.push(`${name}:${ch}:${m}`));
    }
    await sub1.subscribe('io-room');
    await sub2.subscribe('io-room', 'io-other');
    await psub2.psubscribe('io-*');
    await psub3.psubscribe('io-*');
    const q = c.client(3); // no channel subscriber of its own
    const numsub = async () => (await q.call('pubsub', 'numsub', 'io-room', 'io-other', 'io-none')) as unknown[];
    // Peer links come up shortly after the election.
    await waitFor(async () => JSON.stringify(await numsub()) === JSON.stringify(['io-room', 2, 'io-other', 1, 'io-none', 0]), 10000, 'NUMSUB counts both nodes');
    expect(((await q.call('pubsub', 'channels')) as string[]).sort()).to.deep.equal(['io-other', 'io-room']);
    expect(await q.call('pubsub', 'channels', '*other')).to.deep.equal(['io-other']);
    expect(await c.client(1).call('pubsub', 'numpat')).to.equal(1); // io-* on nodes 2 and 3: one unique pattern
    expect(await c.client(1).call('pubsub', 'numsub')).to.deep.equal([]);
    // Receivers on every node: node 1's channel subscriber, node 2's channel and pattern subscribers, node 3's pattern one.
    expect(await q.publish('io-room', 'hello')).to.equal(4);
    await waitFor(() => got.length === 4, 5000, 'every subscriber gets the message');
    expect(got.sort()).to.deep.equal(['1:io-room:hello', '2:io-room:hello', 'p2:io-room:hello', 'p3:io-room:hello']);
    expect(await c.client(1).publish('io-other', 'x')).to.equal(3);
    expect(await c.client(1).publish('nobody-listens', 'x')).to.equal(0);
  });

  it('a peer that does not answer (stopped process, link still open) counts 0 after the short timeout', async () => {
    const c = cluster!;
    const q = c.client(3);
    const proc = c.node(1).proc!;
    await waitFor(async () => ((await q.call('pubsub', 'numsub', 'io-room')) as unknown[])[1] === 2, 10000, 'both subscribers seen');
    proc.kill('SIGSTOP');
    try {
      expect(await q.call('pubsub', 'numsub', 'io-room')).to.deep.equal(['io-room', 1]);
      expect(await q.publish('io-room', 'while-1-is-stopped')).to.equal(3); // node 2's two, node 3's pattern one
    } finally {
      proc.kill('SIGCONT');
    }
    await waitFor(async () => ((await q.call('pubsub', 'numsub', 'io-room')) as unknown[])[1] === 2, 10000, 'node 1 answers again');
  });
});
