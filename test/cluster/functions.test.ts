import { expect } from 'chai';
import type Redis from 'ioredis';
import { clusterForSuite, waitFor } from './harness';

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
