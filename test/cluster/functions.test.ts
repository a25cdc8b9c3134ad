import { expect } from 'chai';
import type Redis from 'ioredis';
import { Cluster, clusterForSuite, indexField, waitFor } from './harness';

const LIB = `#!lua name=counters
redis.register_function('bump', function(keys, args) return redis.call('incrby', keys[1], args[1]) end)
redis.register_function{function_name='peek', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}
`;

/** Function libraries are replicated state: loaded through any node, present on every node, durable. */
describe('cluster: functions', function () {
  this.timeout(60000);
  const t = clusterForSuite(3);

  it('FUNCTION LOAD through a follower; FCALL and FCALL_RO on every node; the library survives a restart', async () => {
    const leader = await t.c.leader();
    const f = [1, 2, 3].find((id) => id !== leader)!;
    const clients = new Map<number, Redis>([1, 2, 3].map((id) => [id, t.c.client(id)]));
    const cl = (id: number): Redis => clients.get(id)!;
    expect(await cl(f).call('FUNCTION', 'LOAD', LIB)).to.equal('counters');
    // FCALL_RO runs on the node's own applied state: the library must be there on each.
    for (const id of [1, 2, 3]) {
      await waitFor(async () => (await cl(id).call('FCALL_RO', 'peek', '1', 'n').then(() => true, () => false)), 5000, `library on node ${id}`);
    }
    for (const id of [1, 2, 3]) expect(await cl(id).call('FCALL', 'bump', '1', 'n', String(id))).to.be.a('number');
    for (const id of [1, 2, 3]) await waitFor(async () => (await cl(id).call('FCALL_RO', 'peek', '1', 'n')) === '6', 5000, `n on node ${id}`);

    await t.c.restart(f);
    await t.c.leader();
    clients.set(f, t.c.client(f));
    expect(await cl(f).call('FCALL_RO', 'peek', '1', 'n')).to.equal('6');
    const list = (await cl(f).call('FUNCTION', 'LIST')) as unknown[][];
    expect(list.map((l) => l[1])).to.deep.equal(['counters']);
    // A FUNCTION DELETE through the restarted node reaches every node.
    expect(await cl(f).call('FUNCTION', 'DELETE', 'counters')).to.equal('OK');
    for (const id of [1, 2, 3]) {
      await waitFor(async () => ((await cl(id).call('FUNCTION', 'STATS')) as unknown[][])[3][1]?.toString() === 'libraries_count,0,functions_count,0', 5000, `delete on node ${id}`);
    }
  });
});

describe('cluster: functions reach a follower by snapshot', function () {
  this.timeout(90000);
  let c: Cluster;
  before(async () => {
    c = await Cluster.start({ nodes: 3, args: ['--snapshot-entries', '20', '--log-tail', '20'] });
    await c.leader();
  });
  after(async () => {
    await c?.stopAll();
  });

  it('a follower that was down while a library was loaded, restarted behind the compacted log, installs it with the snapshot', async () => {
    const leader = await c.leader();
    const [lagger] = await c.followers(leader);
    await c.settle();
    const lastBefore = indexField(await c.info(lagger), 'last');
    await c.kill(lagger, 'SIGKILL');
    const w = c.client(leader);
    await w.call('FUNCTION', 'LOAD', LIB);
    await w.call('FUNCTION', 'LOAD', "#!lua name=gone\nredis.register_function('gone', function() return 1 end)");
    await w.call('FUNCTION', 'DELETE', 'gone');
    for (let i = 0; i < 60; i++) await w.call('FCALL', 'bump', '1', 'snap', '1');
    await waitFor(async () => indexField(await c.info(leader), 'first') > lastBefore + 1, 30000, 'the leader compacts past the lagger');
    const logsBefore = c.node(lagger).logs.length;
    await c.restart(lagger);
    const r = c.client(lagger);
    await waitFor(async () => (await r.call('FCALL_RO', 'peek', '1', 'snap').catch(() => null)) === '60', 30000, 'library and data on the restarted follower');
    expect(c.node(lagger).logs.slice(logsBefore).some((l) => l.includes('snapshot installed'))).to.equal(true);
    expect(await r.call('FUNCTION', 'STATS')).to.deep.equal(['running_script', null, 'engines', ['LUA', ['libraries_count', 1, 'functions_count', 2]]]);
  });
});
