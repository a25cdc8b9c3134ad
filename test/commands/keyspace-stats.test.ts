/**
 * INFO stats keyspace_hits / keyspace_misses count what Redis counts: every
 * key a read command looks up, and the read part of GETDEL/GETEX/GETSET/SET
 * GET; not SCAN, KEYS, RANDOMKEY or plain writes. The expected counts were
 * taken from redis-server 7.0.15 with the same commands.
 */
import { expect } from 'chai';
import type Redis from 'ioredis';
import { serverForSuite } from '../support/proc';

async function hitsMisses(c: Redis): Promise<[number, number]> {
  const info = await c.info('stats');
  const field = (name: string) => Number(new RegExp(`${name}:(\\d+)`).exec(info)![1]);
  return [field('keyspace_hits'), field('keyspace_misses')];
}

describe('INFO keyspace_hits / keyspace_misses', function () {
  this.timeout(20000);
  const t = serverForSuite();

  it('count key lookups as redis-server 7.0 does', async () => {
    await t.r.set('a', '1');
    await t.r.config('RESETSTAT');
    const steps: Array<[string[], [number, number]]> = [
      [['get', 'a'], [1, 0]],
      [['get', 'nope'], [1, 1]],
      [['mget', 'a', 'nope', 'nope2'], [2, 3]],
      [['exists', 'a', 'nope'], [3, 4]],
      [['ttl', 'a'], [4, 4]],
      [['ttl', 'nope'], [4, 5]],
      [['type', 'a'], [5, 5]],
      [['strlen', 'a'], [6, 5]],
      [['getrange', 'a', '0', '1'], [7, 5]],
      [['touch', 'a', 'nope'], [8, 6]],
      [['scan', '0'], [8, 6]],
      [['keys', '*'], [8, 6]],
      [['randomkey'], [8, 6]],
      [['dbsize'], [8, 6]],
      [['set', 'a', '2'], [8, 6]],
      [['incr', 'a'], [8, 6]],
      [['append', 'a', 'x'], [8, 6]],
      [['getdel', 'nope'], [8, 7]],
      [['set', 'b', '1', 'get'], [8, 8]],
      [['set', 'b', '2', 'get'], [9, 8]],
    ];
    for (const [argv, expected] of steps) {
      await t.r.call(argv[0], ...argv.slice(1));
      expect(await hitsMisses(t.r), argv.join(' ')).to.deep.equal(expected);
    }
  });
});
