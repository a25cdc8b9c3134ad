import { expect } from 'chai';
import type Redis from 'ioredis';
import { Cluster, sleep, waitFor } from './harness';

/**
 * A consumer group spread over a 3-node cluster while the leader is killed
 * and restarted: producers XADD through every node, three consumers (one per
 * node) read with XREADGROUP and XACK what they got. Checked afterwards:
 * - every acknowledged XADD is in the stream and was delivered to a consumer;
 * - no entry was handed out by `>` to two consumers (a delivery is a logged
 *   decision of the leader, so a failover cannot deliver an entry twice);
 * - no acknowledged XACK is undone: the pending list ends empty on every node;
 * - every node holds the same ids (`*` ids come from the log entry's time).
 * A consumer whose XREADGROUP failed mid-failover may have been given entries
 * it never saw (the write was applied, the reply lost): as a real consumer
 * does after a reconnect, it reads its own pending list (id 0) before `>`.
 */
type Entry = [string, string[] | null];

/** The entries of a one-stream XREADGROUP reply: RESP2 [[key, entries]], or RESP3's map as ioredis flattens it [key, entries]. */
function entriesOf(reply: unknown): Entry[] {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  return (Array.isArray(reply[0]) ? (reply[0] as [string, Entry[]])[1] : (reply[1] as Entry[])) ?? [];
}

describe('cluster: stream consumer group across a leader failure', function () {
  this.timeout(120000);
  let c: Cluster;

  before(async () => {
    c = await Cluster.start({ nodes: 3 });
    await c.leader();
  });
  after(async () => {
    await c?.stopAll();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && c) process.stderr.write(c.logTail() + '\n');
  });

  /** A client to `node` that is replaced after any connection failure (the harness's clients never reconnect). */
  class NodeClient {
    private r: Redis | undefined;
    constructor(readonly node: number) {}
    async call(...args: string[]): Promise<unknown> {
      if (!c.running().includes(this.node)) throw new Error(`node ${this.node} is down`);
      this.r ??= c.client(this.node, { commandTimeout: 5000 });
      try {
        return await this.r.call(args[0], ...args.slice(1));
      } catch (e) {
        const msg = (e as Error).message;
        // Redis errors are answers; anything else means the connection is gone.
        if (!/^[A-Z]+ /.test(msg)) {
          this.r.disconnect();
          this.r = undefined;
        }
        throw e;
      }
    }
  }

  it('every acknowledged XADD is delivered, once per group unless claimed, and no XACK is undone', async () => {
    const leader0 = await c.leader();
    const setup = new NodeClient(leader0);
    expect(await setup.call('XGROUP', 'CREATE', 'jobs', 'workers', '$', 'MKSTREAM')).to.equal('OK');

    let producing = true;
    const acked = new Set<string>(); // ids whose XADD was acknowledged
    const producers = [1, 2, 3].map(async (node) => {
      const p = new NodeClient(node);
      let n = 0;
      while (producing) {
        try {
          const id = String(await p.call('XADD', 'jobs', '*', 'producer', String(node), 'n', String(n++)));
          acked.add(id);
        } catch {
          await sleep(50);
        }
      }
    });

    const delivered = new Map<string, string>(); // id -> consumer that got it from '>'
    const doubles: string[] = [];
    const xacked = new Set<string>();
    let consuming = true;
    const consumers = [1, 2, 3].map(async (node) => {
      const name = `consumer-${node}`;
      const r = new NodeClient(node);
      let fromPending = false;
      while (consuming || fromPending) {
        try {
          const reply = await r.call('XREADGROUP', 'GROUP', 'workers', name, 'COUNT', '20', 'STREAMS', 'jobs', fromPending ? '0' : '>');
          const entries = entriesOf(reply);
          if (!fromPending) {
            for (const [id] of entries) {
              const other = delivered.get(id);
              if (other !== undefined && other !== name) doubles.push(`${id}: ${other} and ${name}`);
              delivered.set(id, name);
            }
          }
          const ids = entries.map(([id]) => id);
          if (ids.length > 0) {
            // An XACK cut off by the failover may or may not have been applied: acknowledge again until one is
            // answered (XACK is idempotent), so an applied acknowledgement is never counted as missing.
            for (;;) {
              try {
                await r.call('XACK', 'jobs', 'workers', ...ids);
                break;
              } catch {
                await sleep(50);
              }
            }
            for (const id of ids) xacked.add(id);
          }
          if (fromPending && ids.length === 0) fromPending = false;
          if (!fromPending && ids.length === 0) await sleep(20);
        } catch {
          fromPending = true;
          await sleep(50);
        }
      }
    });

    await waitFor(() => acked.size >= 150, 30000, '150 acknowledged XADDs before the kill');
    const leader = await c.leader();
    await c.kill(leader, 'SIGKILL');
    const survivors = c.running();
    await c.leader(survivors, 15000);
    const before = acked.size;
    await waitFor(() => acked.size >= before + 150, 30000, '150 more acknowledged XADDs with the leader down');
    await c.restart(leader);
    await c.leader();
    const beforeRestart = acked.size;
    await waitFor(() => acked.size >= beforeRestart + 100, 30000, '100 more acknowledged XADDs after the restart');
    producing = false;
    await Promise.all(producers);
    await c.settle();
    // Drain: every acknowledged entry reaches a consumer, through `>` or a consumer's own pending list.
    try {
      await waitFor(() => [...acked].every((id) => xacked.has(id)), 30000, 'every acknowledged XADD to be delivered and XACKed');
    } catch (e) {
      const missing = [...acked].filter((id) => !xacked.has(id));
      const leaderNow = await c.leader();
      const info = await c.command(leaderNow, ['XINFO', 'GROUPS', 'jobs']);
      const pending = await c.command(leaderNow, ['XPENDING', 'jobs', 'workers', '-', '+', '20']);
      const len = await c.command(leaderNow, ['XLEN', 'jobs']);
      const first = missing.slice(0, 5);
      const present = await Promise.all(first.map((id) => c.command(leaderNow, ['XRANGE', 'jobs', id, id])));
      throw new Error(
        `${(e as Error).message}: ${missing.length} of ${acked.size} acknowledged not XACKed (first ${first.join(',')}; in stream: ${JSON.stringify(present)}); ` +
          `delivered by > ${delivered.size}; XLEN ${String(len)}; groups ${JSON.stringify(info)}; pending ${JSON.stringify(pending)}`,
      );
    }
    consuming = false;
    await Promise.all(consumers);
    await c.settle();

    expect(doubles, 'entries delivered by > to two consumers').to.deep.equal([]);
    const views = await Promise.all(
      c.running().map(async (id) => {
        const ids = ((await c.command(id, ['XRANGE', 'jobs', '-', '+'])) as Array<[string, string[]]>).map(([eid]) => eid);
        const pending = (await c.command(id, ['XPENDING', 'jobs', 'workers'])) as [number, ...unknown[]];
        return { id, ids, pending: pending[0] };
      }),
    );
    for (const v of views) {
      expect(v.ids, `node ${v.id}: the same entries as node ${views[0].id}`).to.deep.equal(views[0].ids);
      expect(v.pending, `node ${v.id}: pending entries after every XACK`).to.equal(0);
    }
    const stored = new Set(views[0].ids);
    const lost = [...acked].filter((id) => !stored.has(id));
    expect(lost, 'acknowledged XADDs missing from the stream').to.deep.equal([]);
    process.stderr.write(`      ${acked.size} acknowledged XADDs, ${stored.size} entries, ${delivered.size} delivered by >\n`);
  });

  it('XREAD BLOCK on a follower wakes when an entry written through the leader is applied there', async () => {
    const leader = await c.leader();
    const [follower] = await c.followers(leader);
    const reader = c.client(follower);
    const writer = c.client(leader);
    await writer.xadd('events', '1-1', 'a', '1');
    // `$` is the last id on the node that serves the XREAD: wait until the follower has applied the first entry.
    await waitFor(async () => (await reader.xlen('events')) === 1, 5000, 'the follower to apply the first entry');
    const started = Date.now();
    const pending = reader.xread('BLOCK', 10000, 'STREAMS', 'events', '$');
    await sleep(300);
    const id = await writer.xadd('events', '*', 'b', '2');
    const got = await pending;
    expect(got).to.deep.equal([['events', [[id, ['b', '2']]]]]);
    expect(Date.now() - started).to.be.below(5000);
    // A timeout answers a nil array, as Redis does.
    expect(await reader.xread('BLOCK', 200, 'STREAMS', 'events', '$')).to.equal(null);
  });
});
