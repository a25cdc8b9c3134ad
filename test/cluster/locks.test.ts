import { expect } from 'chai';
import type Redis from 'ioredis';
import { clusterForSuite, sleep, waitFor } from './harness';

const call = (r: Redis, ...args: Array<string | number>) => r.call(args[0] as string, ...args.slice(1).map(String));

/** Native locks (LOCK.*), elections and their guarantees on a 3-node cluster. */
describe('cluster: native locks with fencing tokens', function () {
  this.timeout(120000);
  const t = clusterForSuite(3);

  it('acquire is exclusive and idempotent per owner; release/extend only by the owner; CHECK validates tokens', async () => {
    const leader = await t.c.leader();
    const f = [1, 2, 3].find((id) => id !== leader)!;
    const r = t.c.client(f);
    const t1 = (await call(r, 'lock.acquire', 'basic', 'A', 5000)) as number;
    expect(t1).to.be.a('number').greaterThan(0);
    expect(await call(r, 'lock.acquire', 'basic', 'B', 5000)).to.equal(null);
    expect(await call(r, 'lock.acquire', 'basic', 'A', 5000)).to.equal(t1); // a lost reply is recoverable
    expect(await call(r, 'lock.release', 'basic', 'B')).to.equal(0);
    expect(await call(r, 'lock.extend', 'basic', 'B', 9000)).to.equal(0);
    expect(await call(r, 'lock.extend', 'basic', 'A', 9000)).to.equal(1);
    await r.call('client', 'readmode', 'linearizable');
    expect(await call(r, 'lock.check', 'basic', t1)).to.equal(1);
    expect(await call(r, 'lock.check', 'basic', t1 + 1)).to.equal(0);
    const info = (await call(t.c.client(leader), 'lock.info', 'basic')) as unknown[];
    expect(info.slice(0, 4)).to.deep.equal(['owner', 'A', 'token', t1]);
    expect(await call(r, 'lock.release', 'basic', 'A')).to.equal(1);
    const t2 = (await call(r, 'lock.acquire', 'basic', 'B', 5000)) as number;
    expect(t2).to.be.greaterThan(t1);
    expect(String(await call(r, 'lock.acquire', 'x', 'A', 0).catch((e: Error) => e.message))).to.match(/^ERR invalid lock ttl/);
    expect(String(await call(r, 'lock.acquire', 'x', 'A', 10, 'WAT', 5).catch((e: Error) => e.message))).to.equal('ERR syntax error');
  });

  it('WAIT queues FIFO on the leader and is granted on release; changes are announced', async () => {
    const leader = await t.c.leader();
    const f = [1, 2, 3].find((id) => id !== leader)!;
    const sub = t.c.client(f);
    const events: string[] = [];
    sub.on('message', (_ch: string, m: string) => events.push(m));
    await sub.subscribe('__lock__:fifo');
    const a = (await call(t.c.client(leader), 'lock.acquire', 'fifo', 'A', 10000)) as number;
    const order: string[] = [];
    const pB = call(t.c.client(f), 'lock.acquire', 'fifo', 'B', 10000, 'WAIT', 8000).then((t) => {
      order.push('B');
      return t as number;
    });
    await sleep(200);
    const third = [1, 2, 3].find((id) => id !== leader && id !== f)!;
    const pC = call(t.c.client(third), 'lock.acquire', 'fifo', 'C', 10000, 'WAIT', 8000).then((t) => {
      order.push('C');
      return t as number;
    });
    await sleep(200);
    expect(await call(t.c.client(leader), 'lock.release', 'fifo', 'A')).to.equal(1);
    const b = await pB;
    expect(b).to.be.greaterThan(a);
    expect(await call(t.c.client(f), 'lock.release', 'fifo', 'B')).to.equal(1);
    const cc = await pC;
    expect(cc).to.be.greaterThan(b);
    expect(order).to.deep.equal(['B', 'C']);
    expect(await call(t.c.client(leader), 'lock.acquire', 'fifo', 'D', 1000, 'WAIT', 300)).to.equal(null); // times out
    await waitFor(() => events.length >= 5, 3000, 'announcements');
    expect(events.slice(0, 5)).to.deep.equal([`acquired A ${a}`, 'released A', `acquired B ${b}`, 'released B', `acquired C ${cc}`]);
  });

  it('a TTL lapses by leader-proposed expiry, never early across a failover; tokens keep increasing', async () => {
    const leader = await t.c.leader();
    const survivors = [1, 2, 3].filter((id) => id !== leader);
    const t0 = Date.now();
    const token = (await call(t.c.client(survivors[0]), 'lock.acquire', 'ttl', 'A', 3000)) as number;
    // Both survivors have applied the grant (local reads) before the leader dies.
    for (const id of survivors) await waitFor(async () => (await call(t.c.client(id), 'lock.info', 'ttl')) !== null, 2000, `node ${id} sees the grant`);
    await t.c.kill(leader);
    // Until 3 s after the grant, no survivor may see the lock free.
    while (Date.now() - t0 < 2700) {
      for (const id of survivors) {
        const info = await call(t.c.client(id), 'lock.info', 'ttl').catch(() => 'err');
        expect(info, `lock free early on node ${id} at ${Date.now() - t0} ms`).to.not.equal(null);
      }
      await sleep(100);
    }
    // Then it does expire (late is allowed: the new leader restarted its TTL).
    await waitFor(async () => (await call(t.c.client(survivors[0]), 'lock.info', 'ttl')) === null, 10000, 'expiry');
    const next = (await call(t.c.client(survivors[1]), 'lock.acquire', 'ttl', 'B', 3000)) as number;
    expect(next).to.be.greaterThan(token);
    await t.c.restart(leader);
    await t.c.settle();
  });

  it('mutual exclusion under contention while the leader is killed and restarted', async () => {
    const errors: string[] = [];
    const sections: Array<{ token: number; seen: number; wrote: boolean }> = [];
    const stopAt = Date.now() + 8000;
    const worker = async (node: number, owner: string) => {
      const r = t.c.client(node, { maxRetriesPerRequest: 0 });
      await r.call('client', 'readmode', 'linearizable').catch(() => undefined);
      while (Date.now() < stopAt) {
        try {
          const token = (await call(r, 'lock.acquire', 'mutex', owner, 3000, 'WAIT', 1500)) as number | null;
          if (token === null) continue;
          const seen = Number((await r.get('protected')) ?? '0');
          const section = { token, seen, wrote: false };
          sections.push(section);
          await r.set('protected', String(seen + 1));
          section.wrote = true;
          await call(r, 'lock.release', 'mutex', owner);
        } catch (e) {
          errors.push((e as Error).message);
          await sleep(50);
        }
      }
    };
    const killer = (async () => {
      await sleep(2500);
      const l = await t.c.leader();
      await t.c.kill(l);
      await sleep(1500);
      await t.c.restart(l);
    })();
    await Promise.all([worker(1, 'w1'), worker(2, 'w2'), worker(3, 'w3'), worker(1, 'w4'), worker(2, 'w5'), worker(3, 'w6'), killer]);
    await t.c.settle();
    // Tokens strictly increase in the order holders saw the counter: no two
    // holders at once (a second holder would have read the same value).
    const byToken = [...sections].sort((x, y) => x.token - y.token);
    for (let i = 1; i < byToken.length; i++) {
      expect(byToken[i].token).to.be.greaterThan(byToken[i - 1].token);
      expect(byToken[i].seen, `holder with token ${byToken[i].token} overlapped`).to.be.at.least(byToken[i - 1].seen + (byToken[i - 1].wrote ? 1 : 0));
    }
    const wrote = sections.filter((s) => s.wrote).length;
    const final = Number(await t.c.client((await t.c.leader())).get('protected'));
    expect(final).to.be.within(wrote, sections.length); // every acknowledged increment counted once
    expect(sections.length).to.be.greaterThan(10);
    for (const e of errors) expect(e).to.match(/TRYAGAIN|CLUSTERDOWN|ECONNREFUSED|Connection is closed|closed/);
  });
});
