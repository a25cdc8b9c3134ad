import { expect } from 'chai';
import { DoubleReply } from '../../../protocol/reply';
import { collectionLimits } from '../../../server/keyspace';
import { Harness, err } from './helpers';

/**
 * A V8 Map holds at most 2^24 entries: hashes, sets and sorted sets refuse to
 * grow past that with an error and leave the value untouched, instead of
 * failing half-way through a write. (The limit is lowered here so the test
 * does not need sixteen million elements.)
 */
describe('collection size ceiling', () => {
  const saved = collectionLimits.maxEntries;
  before(() => {
    collectionLimits.maxEntries = 4;
  });
  after(() => {
    collectionLimits.maxEntries = saved;
  });

  it('HSET, HSETNX, HINCRBY and HINCRBYFLOAT refuse a new field past it; updates still work', () => {
    const h = new Harness();
    expect(h.run('hset', 'h', 'a', 1, 'b', 2, 'c', 3)).to.equal(3);
    expect(h.run('hset', 'h', 'd', 4, 'e', 5)).to.deep.equal(err('ERR hash would exceed 16777215 fields'));
    expect(h.run('hlen', 'h')).to.equal(3);
    expect(h.run('hset', 'h', 'a', 9, 'd', 4)).to.equal(1);
    expect(h.run('hsetnx', 'h', 'x', 1)).to.deep.equal(err('ERR hash would exceed 16777215 fields'));
    expect(h.run('hincrby', 'h', 'x', 1)).to.deep.equal(err('ERR hash would exceed 16777215 fields'));
    expect(h.run('hincrbyfloat', 'h', 'x', 1)).to.deep.equal(err('ERR hash would exceed 16777215 fields'));
    expect(h.run('hincrby', 'h', 'a', 1)).to.equal(10);
    expect(h.run('hlen', 'h')).to.equal(4);
  });

  it('ZADD refuses new members past it (nothing added), XX updates still work', () => {
    const h = new Harness();
    expect(h.run('zadd', 'z', 1, 'a', 2, 'b', 3, 'c')).to.equal(3);
    expect(h.run('zadd', 'z', 4, 'd', 5, 'e')).to.deep.equal(err('ERR sorted set would exceed 16777215 members'));
    expect(h.run('zcard', 'z')).to.equal(3);
    expect(h.run('zadd', 'z', 'XX', 9, 'a', 9, 'q')).to.equal(0);
    expect(h.run('zscore', 'z', 'a')).to.deep.equal(new DoubleReply(9));
    expect(h.run('zadd', 'z', 4, 'd')).to.equal(1);
  });
});
