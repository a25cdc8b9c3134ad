/**
 * RESTORE as the state machine applies it: the leader's rewrite makes the
 * TTL absolute, so applying the logged command at any later time on any
 * node gives the same key, deadline, access time and durable records.
 */
import { expect } from 'chai';
import { Harness, argv, command } from './commands/helpers';
import { dumpValue } from '../../server/rdb/encode';
import { ListValue } from '../../server/keyspace/list';
import { ZSetValue } from '../../server/keyspace/zset';

function payloadOf(): Buffer {
  const z = ZSetValue.create();
  for (let i = 0; i < 200; i++) z.set(`m${i}`, i / 3);
  return dumpValue(z);
}

/** Every durable record written since the last call: [key, value or null]. */
function drain(h: Harness): Array<[Buffer, Buffer | null]> {
  const out: Array<[Buffer, Buffer | null]> = [];
  for (const c of h.ks.drainChanges()) {
    if (!('db' in c)) continue;
    const r = h.ks.encodeRecord(c.db, c.key);
    if (r) out.push([r.key, r.value]);
  }
  h.ks.drainElementRecords((k, v) => out.push([k, v]));
  return out;
}

function records(h: Harness): string[] {
  return drain(h)
    .map(([k, v]) => `${k.toString('hex')}=${v?.toString('hex') ?? 'del'}`)
    .sort();
}

describe('RESTORE at apply time', () => {
  const restore = command('restore');

  it('the leader rewrites a relative TTL to an absolute one with ABSTTL; nothing else is rewritten', () => {
    const p = payloadOf();
    const logged = restore.rewrite!(argv('RESTORE', 'k', 5000, p, 'REPLACE'), 1_000_000);
    expect(logged.map((b, i) => (i === 3 ? 'payload' : b.toString()))).to.deep.equal(['RESTORE', 'k', '1005000', 'payload', 'REPLACE', 'ABSTTL']);
    for (const a of [argv('RESTORE', 'k', 0, p), argv('RESTORE', 'k', 5, p, 'ABSTTL'), argv('RESTORE', 'k', -1, p), argv('RESTORE', 'k', 'x', p)]) {
      expect(restore.rewrite!(a, 1_000_000)).to.deep.equal(a);
    }
    expect(restore.rewrite!(argv('RESTORE', 'k', '9223372036854775807', p), 1_000_000)[2].toString()).to.equal('9223372036854775807');
  });

  it('two nodes applying the logged command at different local moments hold the same state', () => {
    const p = payloadOf();
    const leader = new Harness();
    const logged = restore.rewrite!(argv('RESTORE', 'z', 60000, p, 'IDLETIME', 30), leader.now);
    const nodes = [new Harness(), new Harness()];
    for (const n of nodes) {
      n.ks.trackChanges = true;
      n.now = leader.now + 5; // the entry's time, the same on every node
      expect(n.exec(...logged)).to.deep.equal({ status: 'OK' });
      n.now += 1000;
    }
    const [a, b] = nodes;
    expect(a.ks.dbs[0].getExpire('z')).to.equal(leader.now + 60000);
    expect(b.ks.dbs[0].getExpire('z')).to.equal(leader.now + 60000);
    expect(a.ks.dbs[0].accessedAt('z', a.now)).to.equal(Math.floor((leader.now + 5 - 30000) / 1000) * 1000);
    const ra = records(a);
    expect(ra.length).to.be.greaterThan(1);
    expect(ra).to.deep.equal(records(b));
    expect(dumpValue(a.ks.dbs[0].lookupRead('z', a.now)!).equals(p)).to.equal(true);
  });

  it('a restored list persists as chunk records that rebuild it', () => {
    const items = Array.from({ length: 1000 }, (_, i) => `item-${i}`);
    const h = new Harness();
    h.ks.trackChanges = true;
    expect(h.run('RESTORE', 'l', 0, dumpValue(ListValue.from(items)))).to.deep.equal({ status: 'OK' });
    expect(h.run('LRANGE', 'l', 0, -1)).to.deep.equal(items);
    const back = new Harness();
    for (const [k, v] of drain(h)) if (v) back.ks.applyRecord(k, v);
    back.ks.finishRestore();
    expect(back.run('LRANGE', 'l', 0, -1)).to.deep.equal(items);
    expect(back.ks.dbs[0].memoryUsage('l', back.now)).to.equal(h.ks.dbs[0].memoryUsage('l', h.now));
  });

  it('a past deadline restores nothing and REPLACE still removes the old key', () => {
    const h = new Harness();
    const p = dumpValue(ListValue.from(['a']));
    h.run('SET', 'k', 'old');
    expect(h.run('RESTORE', 'k', h.now - 1, p, 'ABSTTL', 'REPLACE')).to.deep.equal({ status: 'OK' });
    expect(h.run('EXISTS', 'k')).to.equal(0);
    expect(h.run('RESTORE', 'k', '9223372036854775000', p)).to.deep.equal({ status: 'OK' });
    expect(h.run('EXISTS', 'k')).to.equal(0);
  });
});
