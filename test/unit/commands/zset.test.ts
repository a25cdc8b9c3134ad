import { formatDouble } from '../../../protocol/double';
import { formatDoubleRedis70 } from '../../support/redis70-double';
import { expect } from 'chai';
import { DoubleReply, NullArray, type Reply } from '../../../protocol/reply';
import { META_DB, Keyspace, encodingConfig, keyBuffer, keyString } from '../../../server/keyspace';
import { ZSET_ELEMENT_OVERHEAD, ZSetValue } from '../../../server/keyspace/zset';
import { parseRangeScore, zmpopFirst, zpop, zpopFirstKey } from '../../../server/commands/zset';
import { argv, command, err, Harness, plain } from './helpers';

const WRONGTYPE = err('WRONGTYPE Operation against a key holding the wrong kind of value');
const SYNTAX = err('ERR syntax error');
const NOT_INT = err('ERR value is not an integer or out of range');
const NOT_FLOAT = err('ERR value is not a valid float');
const MINMAX_FLOAT = err('ERR min or max is not a float');
const MINMAX_LEX = err('ERR min or max not valid string range item');

/**
 * Replies in plain form, as RESP2 sends them: a score (DoubleReply) becomes
 * Redis 7.0's text of it, NullArray 'nullarray', and a pairs reply (a shared
 * PairsReply { pairs }, where the protocol module has one) a flat array.
 */
function p(r: Reply): unknown {
  if (r instanceof DoubleReply) return formatDouble(r.value);
  if (r === NullArray.instance) return 'nullarray';
  if (Array.isArray(r)) return r.map(p);
  const pairs = r !== null && typeof r === 'object' ? (r as { pairs?: unknown }).pairs : undefined;
  if (Array.isArray(pairs)) return (pairs as Reply[][]).flat().map(p);
  return plain(r);
}

function run(h: Harness, ...args: Array<string | number | Buffer>): unknown {
  return p(h.raw(...args));
}

function zset(h: Harness, key: string): ZSetValue {
  const v = h.ks.dbs[h.db].lookupRead(key, h.now);
  if (!(v instanceof ZSetValue)) throw new Error(`${key} is not a zset`);
  return v;
}

/** One ZADD with n pairs (built directly: spreading 400,000 arguments overflows the stack). */
function zaddMany(h: Harness, key: string, n: number, pair: (i: number) => [number, string]): void {
  const a: Buffer[] = [Buffer.from('zadd'), Buffer.from(key)];
  for (let i = 0; i < n; i++) {
    const [s, m] = pair(i);
    a.push(Buffer.from(String(s)), Buffer.from(m));
  }
  expect(command('zadd').exec(h.ctx(true), a)).to.equal(n);
}

describe('sorted set commands', () => {
  let h: Harness;
  const saved = { ...encodingConfig };
  beforeEach(() => {
    h = new Harness();
    Object.assign(encodingConfig, saved);
  });
  after(() => Object.assign(encodingConfig, saved));

  describe('score formatting and parsing', () => {
    it('the reference format of redis-server 7.0 (%.17g), used to compare with it', () => {
      const cases: Array<[number, string]> = [
        [1.1, '1.1000000000000001'],
        [0.1, '0.10000000000000001'],
        [1e100, '1e+100'],
        [Infinity, 'inf'],
        [-Infinity, '-inf'],
        [-0, '-0'],
        [0, '0'],
        [3, '3'],
        [-2.5, '-2.5'],
        [1e-7, '9.9999999999999995e-08'],
        [123456789012345678, '1.2345678901234568e+17'],
        [0.30000000000000004, '0.30000000000000004'],
        [1e16, '10000000000000000'],
        [1e17, '1e+17'],
        [0.0001, '0.0001'],
        [0.00001, '1.0000000000000001e-05'],
        [5e-324, '4.9406564584124654e-324'],
      ];
      for (const [d, s] of cases) expect(formatDoubleRedis70(d), String(d)).to.equal(s);
    });

    it('range bounds parse as zslParseRange (strtod, NaN refused)', () => {
      expect(parseRangeScore('')).to.equal(0);
      expect(parseRangeScore(' 1')).to.equal(1);
      expect(parseRangeScore('1 ')).to.equal(null);
      expect(parseRangeScore(' ')).to.equal(null);
      expect(parseRangeScore('1e400')).to.equal(Infinity);
      expect(parseRangeScore('-inf')).to.equal(-Infinity);
      expect(parseRangeScore('+Infinity')).to.equal(Infinity);
      expect(parseRangeScore('nan')).to.equal(null);
      expect(parseRangeScore('0x10')).to.equal(16);
      expect(parseRangeScore('abc')).to.equal(null);
    });
  });

  describe('ZADD / ZINCRBY', () => {
    it('adds, updates and counts (CH), with -0 stored as 0 in listpack', () => {
      expect(run(h, 'zadd', 'z', 1, 'a', 2, 'b')).to.equal(2);
      expect(run(h, 'zadd', 'z', 1, 'a', 3, 'b', 4, 'c')).to.equal(1);
      expect(run(h, 'zadd', 'z', 'ch', 1, 'a', 5, 'b', 4, 'c', 6, 'd')).to.equal(2);
      expect(run(h, 'zrange', 'z', 0, -1, 'withscores')).to.deep.equal(['a', '1', 'c', '4', 'b', '5', 'd', '6']);
      expect(run(h, 'zadd', 'z', 1.1, 'e', '-0', 'f', 'inf', 'g', '-inf', 'h')).to.equal(4);
      expect(run(h, 'zscore', 'z', 'e')).to.equal('1.1');
      expect(run(h, 'zscore', 'z', 'f')).to.equal('0');
      expect(run(h, 'zscore', 'z', 'g')).to.equal('inf');
      expect(run(h, 'zscore', 'z', 'h')).to.equal('-inf');
      expect(zset(h, 'z').encoding()).to.equal('listpack');
    });

    it('keeps -0 in skiplist encoding (as Redis does)', () => {
      encodingConfig['zset-max-listpack-entries'] = 0;
      run(h, 'zadd', 'z', '-0', 'a');
      expect(zset(h, 'z').encoding()).to.equal('skiplist');
      expect(run(h, 'zscore', 'z', 'a')).to.equal('-0');
      expect(run(h, 'zadd', 'z', 'ch', 0, 'a')).to.equal(0); // equal scores: no update
    });

    it('-0 follows Redis 7.0 encodings: listpack stores 0, skiplist and unstored results keep -0', () => {
      encodingConfig['zset-max-listpack-entries'] = 2;
      expect(run(h, 'zadd', 'z', '-0', 'a', '-0', 'b', '-0', 'c')).to.equal(3); // a, b in listpack, c after conversion
      expect(run(h, 'zrange', 'z', 0, -1, 'withscores')).to.deep.equal(['a', '0', 'b', '0', 'c', '-0']);
      expect(run(h, 'zincrby', 'n', '-0', 'x')).to.equal('-0'); // the reply is the computed score...
      expect(run(h, 'zscore', 'n', 'x')).to.equal('0'); // ...the listpack keeps 0
      expect(run(h, 'zadd', 'n', 'lt', 'ch', '-0', 'x')).to.equal(0);
      run(h, 'zadd', 'one', 1, 'a');
      expect(run(h, 'zunion', 1, 'one', 'weights', '-0', 'withscores')).to.deep.equal(['a', '-0']);
      run(h, 'zunionstore', 'u', 1, 'one', 'weights', '-0');
      expect(run(h, 'zscore', 'u', 'a')).to.equal('0'); // stored as a listpack
      expect(run(h, 'zrangestore', 'r', 'z', 0, -1)).to.equal(3); // a rank range sizes the destination: skiplist
      expect(run(h, 'zrange', 'r', 0, -1, 'withscores')).to.deep.equal(['a', '0', 'b', '0', 'c', '-0']);
      run(h, 'zadd', 'sk', '-0', 'x', '-0', 'y', '-0', 'z');
      run(h, 'zrangestore', 'r2', 'sk', '-inf', '+inf', 'byscore'); // unknown length: listpack first
      expect(run(h, 'zrange', 'r2', 0, -1, 'withscores')).to.deep.equal(['x', '0', 'y', '0', 'z', '-0']);
      encodingConfig['zset-max-listpack-entries'] = 0;
      run(h, 'zadd', 'all', '-0', 'a');
      expect(run(h, 'zscore', 'all', 'a')).to.equal('-0');
    });

    it('NX / XX / GT / LT / INCR', () => {
      run(h, 'zadd', 'z', 10, 'a');
      expect(run(h, 'zadd', 'z', 'nx', 20, 'a', 1, 'b')).to.equal(1);
      expect(run(h, 'zscore', 'z', 'a')).to.equal('10');
      expect(run(h, 'zadd', 'z', 'xx', 'ch', 20, 'a', 1, 'c')).to.equal(1);
      expect(run(h, 'zscore', 'z', 'c')).to.equal(null);
      expect(run(h, 'zadd', 'z', 'gt', 'ch', 5, 'a', 7, 'new')).to.equal(1); // new members are added, a not lowered
      expect(run(h, 'zscore', 'z', 'a')).to.equal('20');
      expect(run(h, 'zadd', 'z', 'lt', 'ch', 5, 'a')).to.equal(1);
      expect(run(h, 'zadd', 'z', 'xx', 'gt', 'ch', 6, 'a', 1, 'missing')).to.equal(1);
      expect(run(h, 'zadd', 'z', 'incr', 2.5, 'a')).to.equal('8.5');
      expect(run(h, 'zadd', 'z', 'incr', 'nx', 1, 'a')).to.equal(null);
      expect(run(h, 'zadd', 'z', 'incr', 'xx', 1, 'nope')).to.equal(null);
      expect(run(h, 'zadd', 'z', 'incr', 'gt', -1, 'a')).to.equal(null);
      expect(run(h, 'zadd', 'z', 'incr', 'lt', -1, 'a')).to.equal('7.5');
      expect(run(h, 'zadd', 'z', 'incr', 0, 'a')).to.equal('7.5'); // processed, unchanged
      expect(run(h, 'zadd', 'nokey', 'xx', 1, 'a')).to.equal(0);
      expect(run(h, 'zadd', 'nokey', 'xx', 'incr', 1, 'a')).to.equal(null);
      expect(run(h, 'exists', 'nokey')).to.equal(0);
      expect(run(h, 'zincrby', 'z', 1, 'a')).to.equal('8.5');
      expect(run(h, 'zincrby', 'z', 0.1, 'fresh')).to.equal('0.1');
      expect(run(h, 'zadd', 'Z', 'Ch', 'Nx', 'iNcR', 3, 'x')).to.equal('3');
    });

    it('rejects bad options with Redis errors, before the type check', () => {
      const cases: Array<[Array<string | number>, unknown]> = [
        [['nx', 'xx', 1, 'a'], err('ERR XX and NX options at the same time are not compatible')],
        [['gt', 'lt', 1, 'a'], err('ERR GT, LT, and/or NX options at the same time are not compatible')],
        [['gt', 'nx', 1, 'a'], err('ERR GT, LT, and/or NX options at the same time are not compatible')],
        [['lt', 'nx', 1, 'a'], err('ERR GT, LT, and/or NX options at the same time are not compatible')],
        [['incr', 1, 'a', 2, 'b'], err('ERR INCR option supports a single increment-element pair')],
        [[1, 'a', 2], SYNTAX],
        [['nx', 'ch'], SYNTAX],
        [['foo', 'a'], NOT_FLOAT],
        [['nan', 'a'], NOT_FLOAT],
        [['1 ', 'a'], NOT_FLOAT],
        [[1, 'a', 'x', 'b'], NOT_FLOAT],
      ];
      run(h, 'set', 's', 'v');
      for (const [opts, e] of cases) {
        expect(run(h, 'zadd', 's', ...opts), opts.join(' ')).to.deep.equal(e);
        expect(command('zadd').check!(argv('zadd', 's', ...opts))).to.not.equal(null);
      }
      expect(run(h, 'zadd', 's', 1, 'a')).to.deep.equal(WRONGTYPE);
      expect(run(h, 'zincrby', 's', 'x', 'a')).to.deep.equal(NOT_FLOAT);
      expect(run(h, 'zincrby', 's', 1, 'a')).to.deep.equal(WRONGTYPE);
      expect(run(h, 'zadd', 'z')).to.deep.equal(err("ERR wrong number of arguments for 'zadd' command"));
    });

    it('NaN results are refused; elements before it stay added', () => {
      run(h, 'zadd', 'z', 'inf', 'a');
      expect(run(h, 'zincrby', 'z', '-inf', 'a')).to.deep.equal(err('ERR resulting score is not a number (NaN)'));
      expect(run(h, 'zadd', 'z', 'incr', '-inf', 'a')).to.deep.equal(err('ERR resulting score is not a number (NaN)'));
      expect(run(h, 'zscore', 'z', 'a')).to.equal('inf');
    });

    it('converts listpack -> skiplist by entries and by member length, for good', () => {
      encodingConfig['zset-max-listpack-entries'] = 3;
      encodingConfig['zset-max-listpack-value'] = 5;
      run(h, 'zadd', 'z', 1, 'a', 1, 'a', 1, 'a', 1, 'a');
      expect(zset(h, 'z').encoding()).to.equal('listpack'); // repeats are not members (no size hint in 7.0)
      run(h, 'zadd', 'z', 2, 'b', 3, 'c');
      expect(zset(h, 'z').encoding()).to.equal('listpack');
      run(h, 'zadd', 'z', 4, 'd');
      expect(zset(h, 'z').encoding()).to.equal('skiplist');
      run(h, 'zrem', 'z', 'a', 'b', 'c');
      expect(zset(h, 'z').encoding()).to.equal('skiplist');
      run(h, 'zadd', 'y', 1, 'abcdef');
      expect(zset(h, 'y').encoding()).to.equal('skiplist');
      run(h, 'zadd', 'x', 1, 'abcde');
      expect(zset(h, 'x').encoding()).to.equal('listpack');
      // A stored result is judged afresh.
      run(h, 'zunionstore', 'u', 1, 'z');
      expect(zset(h, 'u').encoding()).to.equal('listpack');
      run(h, 'zrangestore', 'r', 'y', 0, -1);
      expect(zset(h, 'r').encoding()).to.equal('skiplist');
    });
  });

  describe('reads', () => {
    beforeEach(() => {
      run(h, 'zadd', 'z', 1, 'a', 2, 'b', 2, 'c', 3, 'd', 4, 'e');
      run(h, 'set', 's', 'v');
    });

    it('ZCARD ZSCORE ZMSCORE ZRANK ZREVRANK ZCOUNT ZLEXCOUNT', () => {
      expect(run(h, 'zcard', 'z')).to.equal(5);
      expect(run(h, 'zcard', 'none')).to.equal(0);
      expect(run(h, 'zscore', 'z', 'nope')).to.equal(null);
      expect(run(h, 'zscore', 'none', 'a')).to.equal(null);
      expect(run(h, 'zmscore', 'z', 'a', 'nope', 'e')).to.deep.equal(['1', null, '4']);
      expect(run(h, 'zmscore', 'none', 'a', 'b')).to.deep.equal([null, null]);
      expect(run(h, 'zrank', 'z', 'a')).to.equal(0);
      expect(run(h, 'zrank', 'z', 'c')).to.equal(2);
      expect(run(h, 'zrevrank', 'z', 'a')).to.equal(4);
      expect(run(h, 'zrank', 'z', 'nope')).to.equal(null);
      expect(run(h, 'zrank', 'none', 'a')).to.equal(null);
      expect(run(h, 'zcount', 'z', 2, 3)).to.equal(3);
      expect(run(h, 'zcount', 'z', '(2', '+inf')).to.equal(2);
      expect(run(h, 'zcount', 'z', '-inf', '(1')).to.equal(0);
      expect(run(h, 'zcount', 'z', 3, 2)).to.equal(0);
      expect(run(h, 'zcount', 'z', '(2', '(2')).to.equal(0);
      expect(run(h, 'zcount', 'z', '', '')).to.equal(0);
      expect(run(h, 'zcount', 'z', 'x', 1)).to.deep.equal(MINMAX_FLOAT);
      expect(run(h, 'zcount', 'none', 'x', 1)).to.deep.equal(MINMAX_FLOAT);
      expect(run(h, 'zcount', 'z', '(nan', 1)).to.deep.equal(MINMAX_FLOAT);
      expect(run(h, 'zcount', 'none', 1, 2)).to.equal(0);
      run(h, 'zadd', 'l', 0, 'a', 0, 'b', 0, 'c', 0, 'd');
      expect(run(h, 'zlexcount', 'l', '-', '+')).to.equal(4);
      expect(run(h, 'zlexcount', 'l', '[b', '(d')).to.equal(2);
      expect(run(h, 'zlexcount', 'l', '(b', '[b')).to.equal(0);
      expect(run(h, 'zlexcount', 'l', 'b', '+')).to.deep.equal(MINMAX_LEX);
      expect(run(h, 'zlexcount', 'l', '+x', '+')).to.deep.equal(MINMAX_LEX);
      for (const c of ['zcard', 'zscore', 'zmscore', 'zrank', 'zrevrank']) {
        const args = c === 'zcard' ? [] : ['a'];
        expect(run(h, c, 's', ...args), c).to.deep.equal(WRONGTYPE);
      }
      expect(run(h, 'zcount', 's', 0, 1)).to.deep.equal(WRONGTYPE);
      expect(run(h, 'zlexcount', 's', '-', '+')).to.deep.equal(WRONGTYPE);
    });

    it('ZRANGE by rank, score and lex, REV, LIMIT, WITHSCORES', () => {
      expect(run(h, 'zrange', 'z', 0, -1)).to.deep.equal(['a', 'b', 'c', 'd', 'e']);
      expect(run(h, 'zrange', 'z', -2, 100)).to.deep.equal(['d', 'e']);
      expect(run(h, 'zrange', 'z', 3, 1)).to.deep.equal([]);
      expect(run(h, 'zrange', 'z', -100, 0)).to.deep.equal(['a']);
      expect(run(h, 'zrange', 'z', 0, 1, 'rev', 'withscores')).to.deep.equal(['e', '4', 'd', '3']);
      expect(run(h, 'zrange', 'z', 0, -1, 'limit', 1, -1)).to.deep.equal(['a', 'b', 'c', 'd', 'e']); // LIMIT x -1 is no limit
      expect(run(h, 'zrange', 'z', '(1', 3, 'byscore')).to.deep.equal(['b', 'c', 'd']);
      expect(run(h, 'zrange', 'z', 3, '(1', 'byscore', 'rev')).to.deep.equal(['d', 'c', 'b']);
      expect(run(h, 'zrange', 'z', '-inf', '+inf', 'byscore', 'limit', 1, 2, 'withscores')).to.deep.equal(['b', '2', 'c', '2']);
      expect(run(h, 'zrange', 'z', '+inf', '-inf', 'byscore', 'rev', 'limit', 1, 2)).to.deep.equal(['d', 'c']);
      expect(run(h, 'zrange', 'z', '-inf', '+inf', 'byscore', 'limit', -1, 2)).to.deep.equal([]);
      expect(run(h, 'zrange', 'z', '-inf', '+inf', 'byscore', 'limit', 4, -5)).to.deep.equal(['e']);
      expect(run(h, 'zrange', 'z', '-inf', '+inf', 'byscore', 'limit', 5, 1)).to.deep.equal([]);
      expect(run(h, 'zrange', 'z', '-inf', '+inf', 'byscore', 'limit', 0, 0)).to.deep.equal([]);
      run(h, 'zadd', 'l', 0, 'a', 0, 'b', 0, 'c', 0, 'd');
      expect(run(h, 'zrange', 'l', '[b', '+', 'bylex')).to.deep.equal(['b', 'c', 'd']);
      expect(run(h, 'zrange', 'l', '+', '(b', 'bylex', 'rev', 'limit', 1, 5)).to.deep.equal(['c']);
      expect(run(h, 'zrangebylex', 'l', '-', '[c', 'limit', 1, 1)).to.deep.equal(['b']);
      expect(run(h, 'zrevrangebylex', 'l', '[c', '-')).to.deep.equal(['c', 'b', 'a']);
      expect(run(h, 'zrangebyscore', 'z', 2, 2, 'withscores')).to.deep.equal(['b', '2', 'c', '2']);
      expect(run(h, 'zrevrangebyscore', 'z', 2, '-inf', 'limit', 0, 2)).to.deep.equal(['c', 'b']);
      expect(run(h, 'zrevrange', 'z', 0, 0, 'withscores')).to.deep.equal(['e', '4']);
      expect(run(h, 'zrange', 'none', 0, -1)).to.deep.equal([]);
    });

    it('ZRANGE errors, in Redis order', () => {
      expect(run(h, 'zrange', 'z', 0, 1, 'limit', 0, 1)).to.deep.equal(err('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX'));
      expect(run(h, 'zrange', 'z', '-', '+', 'bylex', 'withscores')).to.deep.equal(err('ERR syntax error, WITHSCORES not supported in combination with BYLEX'));
      expect(run(h, 'zrange', 'z', 0, 1, 'rev', 'rev')).to.deep.equal(SYNTAX);
      expect(run(h, 'zrange', 'z', 0, 1, 'byscore', 'bylex')).to.deep.equal(SYNTAX);
      expect(run(h, 'zrange', 'z', 0, 1, 'limit', 0)).to.deep.equal(SYNTAX);
      expect(run(h, 'zrange', 'z', 0, 1, 'limit', 'x', 1)).to.deep.equal(NOT_INT);
      expect(run(h, 'zrange', 'z', 'a', 1)).to.deep.equal(NOT_INT);
      expect(run(h, 'zrange', 'z', 'a', 1, 'byscore')).to.deep.equal(MINMAX_FLOAT);
      expect(run(h, 'zrange', 'none', 'a', 'b', 'bylex')).to.deep.equal(MINMAX_LEX);
      expect(run(h, 'zrangebyscore', 'z', 0, 1, 'byscore')).to.deep.equal(SYNTAX);
      expect(run(h, 'zrangebyscore', 'z', 0, 1, 'rev')).to.deep.equal(SYNTAX);
      expect(run(h, 'zrangebylex', 'z', '-', '+', 'withscores')).to.deep.equal(err('ERR syntax error, WITHSCORES not supported in combination with BYLEX'));
      expect(run(h, 'zrevrange', 'z', 0, 1, 'limit', 0, 1)).to.deep.equal(err('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX'));
      expect(run(h, 'zrange', 's', 0, 1)).to.deep.equal(WRONGTYPE);
      expect(run(h, 'zrange', 's', 'a', 1)).to.deep.equal(NOT_INT);
      expect(run(h, 'zrange', 's', 0, 1, 'foo')).to.deep.equal(SYNTAX);
    });

    it('ZRANGESTORE', () => {
      expect(run(h, 'zrangestore', 'd', 'z', 1, 3, 'byscore', 'limit', 1, 2)).to.equal(2);
      expect(run(h, 'zrange', 'd', 0, -1, 'withscores')).to.deep.equal(['b', '2', 'c', '2']);
      expect(run(h, 'zrangestore', 'z', 'z', 0, 1)).to.equal(2); // in place
      expect(run(h, 'zrange', 'z', 0, -1)).to.deep.equal(['a', 'b']);
      expect(run(h, 'zrangestore', 'd', 'z', 5, 10)).to.equal(0);
      expect(run(h, 'exists', 'd')).to.equal(0);
      run(h, 'set', 'd', 'x');
      expect(run(h, 'zrangestore', 'd', 'none', 0, -1)).to.equal(0);
      expect(run(h, 'exists', 'd')).to.equal(0);
      expect(run(h, 'zrangestore', 'd', 'z', 0, -1, 'withscores')).to.deep.equal(SYNTAX);
      expect(command('zrangestore').check!(argv('zrangestore', 'd', 'z', 0, -1, 'withscores'))).to.deep.equal(command('zrangestore').check!(argv('zrangestore', 'd', 'z', 0, -1, 'foo')));
      expect(run(h, 'zrangestore', 'd', 's', 0, -1)).to.deep.equal(WRONGTYPE);
    });

    it('ZSCAN: listpack answers everything with cursor 0', () => {
      expect(run(h, 'zscan', 'z', 0)).to.deep.equal(['0', ['a', '1', 'b', '2', 'c', '2', 'd', '3', 'e', '4']]);
      expect(run(h, 'zscan', 'z', 123, 'match', '[bc]', 'count', 1)).to.deep.equal(['0', ['b', '2', 'c', '2']]);
      expect(run(h, 'zscan', 'none', 0, 'count', 0)).to.deep.equal(['0', []]);
      expect(run(h, 'zscan', 's', 0)).to.deep.equal(WRONGTYPE);
      expect(run(h, 'zscan', 'z', 'x')).to.deep.equal(err('ERR invalid cursor'));
      expect(run(h, 'zscan', 'z', 0, 'count', 0)).to.deep.equal(SYNTAX);
      expect(run(h, 'zscan', 'z', 0, 'count', 'x')).to.deep.equal(NOT_INT);
      expect(run(h, 'zscan', 'z', 0, 'type', 'zset')).to.deep.equal(SYNTAX);
      expect(run(h, 'zscan', 'z', 0, 'novalues')).to.deep.equal(SYNTAX);
    });

    it('ZSCAN: skiplist cursors return every member present throughout, under concurrent changes', () => {
      for (let i = 0; i < 1000; i++) run(h, 'zadd', 'big', i, `m${i}`);
      expect(zset(h, 'big').encoding()).to.equal('skiplist');
      const seen = new Set<string>();
      let cursor = '0';
      let calls = 0;
      let added = 0;
      do {
        const [next, items] = run(h, 'zscan', 'big', cursor, 'count', 20) as [string, string[]];
        expect(items.length / 2).to.be.at.most(40);
        for (let i = 0; i < items.length; i += 2) {
          seen.add(items[i]);
          expect(items[i + 1]).to.equal(String(Number(items[i].slice(1)) >= 1000 ? 0 : Number(items[i].slice(1))));
        }
        cursor = next;
        calls++;
        // Churn: remove members m900.., add new ones, re-score others.
        run(h, 'zrem', 'big', `m${900 + calls}`);
        run(h, 'zadd', 'big', 0, `m${1000 + added++}`);
        run(h, 'zadd', 'big', calls, `m${calls}`);
        if (calls > 1) run(h, 'zadd', 'big', calls - 1, `m${calls - 1}`);
      } while (cursor !== '0');
      expect(calls).to.be.greaterThan(20);
      for (let i = 0; i < 900; i++) expect(seen.has(`m${i}`), `m${i}`).to.equal(true);
      expect(run(h, 'zscan', 'big', '18446744073709551615')).to.deep.equal(['0', []]);
    });

    it('ZRANDMEMBER', () => {
      const one = run(h, 'zrandmember', 'z') as string;
      expect(['a', 'b', 'c', 'd', 'e']).to.include(one);
      expect(run(h, 'zrandmember', 'none')).to.equal(null);
      expect(run(h, 'zrandmember', 'none', 3)).to.deep.equal([]);
      expect(run(h, 'zrandmember', 'z', 0)).to.deep.equal([]);
      expect(run(h, 'zrandmember', 'z', 10, 'withscores')).to.deep.equal(['a', '1', 'b', '2', 'c', '2', 'd', '3', 'e', '4']);
      const three = run(h, 'zrandmember', 'z', 3) as string[];
      expect(new Set(three).size).to.equal(3);
      const many = run(h, 'zrandmember', 'z', -20, 'withscores') as string[];
      expect(many.length).to.equal(40);
      for (let i = 0; i < many.length; i += 2) expect(run(h, 'zscore', 'z', many[i])).to.equal(many[i + 1]);
      expect(run(h, 'zrandmember', 'z', '-0')).to.deep.equal(NOT_INT);
      expect(run(h, 'zrandmember', 'z', 1, 2)).to.deep.equal(SYNTAX);
      expect(run(h, 'zrandmember', 'z', 'x', 2)).to.deep.equal(NOT_INT);
      expect(run(h, 'zrandmember', 'z', '-9223372036854775808')).to.deep.equal(
        err('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807'),
      );
      expect(run(h, 'zrandmember', 'z', '-4611686018427387904', 'withscores')).to.deep.equal(err('ERR value is out of range'));
      expect(run(h, 'zrandmember', 's', 1)).to.deep.equal(WRONGTYPE);
    });
  });

  describe('removals and pops', () => {
    beforeEach(() => {
      run(h, 'zadd', 'z', 1, 'a', 2, 'b', 3, 'c', 4, 'd', 5, 'e');
      run(h, 'set', 's', 'v');
    });

    it('ZREM deletes an emptied key', () => {
      expect(run(h, 'zrem', 'z', 'a', 'x', 'a')).to.equal(1);
      expect(run(h, 'zrem', 'none', 'a')).to.equal(0);
      expect(run(h, 'zrem', 's', 'a')).to.deep.equal(WRONGTYPE);
      expect(run(h, 'zrem', 'z', 'b', 'c', 'd', 'e')).to.equal(4);
      expect(run(h, 'exists', 'z')).to.equal(0);
    });

    it('ZREMRANGEBYRANK / BYSCORE / BYLEX', () => {
      expect(run(h, 'zremrangebyrank', 'z', 0, 0)).to.equal(1);
      expect(run(h, 'zremrangebyscore', 'z', '(2', 3)).to.equal(1);
      expect(run(h, 'zrange', 'z', 0, -1)).to.deep.equal(['b', 'd', 'e']);
      expect(run(h, 'zremrangebyscore', 'z', 'x', 3)).to.deep.equal(MINMAX_FLOAT);
      expect(run(h, 'zremrangebyrank', 'z', 'x', 3)).to.deep.equal(NOT_INT);
      expect(run(h, 'zremrangebylex', 'z', 'x', '+')).to.deep.equal(MINMAX_LEX);
      expect(run(h, 'zremrangebyrank', 's', 0, 1)).to.deep.equal(WRONGTYPE);
      expect(run(h, 'zremrangebyrank', 'none', 0, 1)).to.equal(0);
      run(h, 'zadd', 'l', 0, 'a', 0, 'b', 0, 'c');
      expect(run(h, 'zremrangebylex', 'l', '(a', '+')).to.equal(2);
      expect(run(h, 'zremrangebylex', 'l', '-', '+')).to.equal(1);
      expect(run(h, 'exists', 'l')).to.equal(0);
      expect(run(h, 'zremrangebyrank', 'z', 0, -1)).to.equal(3);
      expect(run(h, 'exists', 'z')).to.equal(0);
    });

    it('ZPOPMIN / ZPOPMAX', () => {
      expect(run(h, 'zpopmin', 'z')).to.deep.equal(['a', '1']);
      expect(run(h, 'zpopmax', 'z', 2)).to.deep.equal(['e', '5', 'd', '4']);
      expect(run(h, 'zpopmin', 'z', 0)).to.deep.equal([]);
      expect(run(h, 'zpopmin', 'none')).to.deep.equal([]);
      expect(run(h, 'zpopmin', 'z', -1)).to.deep.equal(err('ERR value is out of range, must be positive'));
      expect(run(h, 'zpopmin', 'z', 'x')).to.deep.equal(err('ERR value is out of range, must be positive'));
      expect(run(h, 'zpopmin', 'z', 1, 2)).to.deep.equal(SYNTAX);
      expect(run(h, 'zpopmin', 's')).to.deep.equal(WRONGTYPE);
      expect(run(h, 'zpopmin', 'z', 10)).to.deep.equal(['b', '2', 'c', '3']);
      expect(run(h, 'exists', 'z')).to.equal(0);
    });

    it('ZMPOP', () => {
      expect(run(h, 'zmpop', 2, 'none', 'z', 'min')).to.deep.equal(['z', [['a', '1']]]);
      expect(run(h, 'zmpop', 1, 'z', 'MAX', 'count', 2)).to.deep.equal(['z', [['e', '5'], ['d', '4']]]);
      expect(run(h, 'zmpop', 1, 'none', 'min')).to.equal('nullarray');
      expect(run(h, 'zmpop', 2, 's', 'z', 'min')).to.deep.equal(WRONGTYPE);
      expect(run(h, 'zmpop', 2, 'z', 's', 'min')).to.deep.equal(['z', [['b', '2']]]); // WRONGTYPE only if met first
      expect(run(h, 'zmpop', 0, 'z', 'min')).to.deep.equal(err('ERR numkeys should be greater than 0'));
      expect(run(h, 'zmpop', 'x', 'z', 'min')).to.deep.equal(err('ERR numkeys should be greater than 0'));
      expect(run(h, 'zmpop', 2, 'z', 'min')).to.deep.equal(SYNTAX);
      expect(run(h, 'zmpop', 1, 'z', 'foo')).to.deep.equal(SYNTAX);
      expect(run(h, 'zmpop', 1, 'z', 'min', 'count', 0)).to.deep.equal(err('ERR count should be greater than 0'));
      expect(run(h, 'zmpop', 1, 'z', 'min', 'count', 'x')).to.deep.equal(err('ERR count should be greater than 0'));
      expect(run(h, 'zmpop', 1, 'z', 'min', 'count', 1, 'count', 1)).to.deep.equal(SYNTAX);
      expect(run(h, 'zmpop', 1, 'z', 'min', 'count', 10)).to.deep.equal(['z', [['c', '3']]]);
      expect(run(h, 'exists', 'z')).to.equal(0);
    });

    it('exported pop helpers for the blocking commands', () => {
      expect(p(zpopFirstKey(h.ctx(true), ['none', 'z'], 'max'))).to.deep.equal(['z', 'e', '5']);
      expect(p(zpopFirstKey(h.ctx(true), ['none'], 'max'))).to.equal(null);
      expect(p(zpopFirstKey(h.ctx(true), ['s', 'z'], 'max'))).to.deep.equal(WRONGTYPE);
      expect(p(zmpopFirst(h.ctx(true), ['z'], 'min', 2))).to.deep.equal(['z', [['a', '1'], ['b', '2']]]);
      expect(p(zmpopFirst(h.ctx(true), ['none'], 'min', 2))).to.equal(null);
      expect(p(zpop(h.ctx(true), 'z', 'min'))).to.deep.equal(['c', '3']);
      expect(p(zpop(h.ctx(true), 'z', 'min', 5))).to.deep.equal(['d', '4']);
      expect(run(h, 'exists', 'z')).to.equal(0);
    });
  });

  describe('ZUNION / ZINTER / ZDIFF (+STORE) and ZINTERCARD', () => {
    beforeEach(() => {
      run(h, 'zadd', 'x', 1, 'a', 2, 'b', 3, 'c');
      run(h, 'zadd', 'y', 10, 'b', 20, 'c', 30, 'd');
      run(h, 'set', 's', 'v');
    });

    it('aggregates with weights, SUM/MIN/MAX', () => {
      expect(run(h, 'zunion', 2, 'x', 'y', 'withscores')).to.deep.equal(['a', '1', 'b', '12', 'c', '23', 'd', '30']);
      expect(run(h, 'zunion', 2, 'x', 'y', 'weights', 2, 0.5, 'aggregate', 'max', 'withscores')).to.deep.equal(['a', '2', 'b', '5', 'c', '10', 'd', '15']);
      expect(run(h, 'zinter', 2, 'x', 'y', 'aggregate', 'min', 'withscores')).to.deep.equal(['b', '2', 'c', '3']);
      expect(run(h, 'zinter', 2, 'x', 'y')).to.deep.equal(['b', 'c']);
      expect(run(h, 'zinter', 2, 'x', 'none')).to.deep.equal([]);
      expect(run(h, 'zunion', 2, 'x', 'none')).to.deep.equal(['a', 'b', 'c']);
      expect(run(h, 'zdiff', 2, 'x', 'y', 'withscores')).to.deep.equal(['a', '1']);
      expect(run(h, 'zdiff', 2, 'none', 'y')).to.deep.equal([]);
      expect(run(h, 'zintercard', 2, 'x', 'y')).to.equal(2);
      expect(run(h, 'zintercard', 2, 'x', 'y', 'limit', 1)).to.equal(1);
      expect(run(h, 'zintercard', 2, 'x', 'y', 'limit', 0)).to.equal(2);
      // inf * 0 and inf + -inf are 0, as in Redis.
      run(h, 'zadd', 'i', 'inf', 'a');
      run(h, 'zadd', 'j', '-inf', 'a');
      expect(run(h, 'zunion', 1, 'i', 'weights', 0, 'withscores')).to.deep.equal(['a', '0']);
      expect(run(h, 'zunion', 2, 'i', 'j', 'withscores')).to.deep.equal(['a', '0']);
    });

    it('stores results (deleting the destination when empty)', () => {
      expect(run(h, 'zunionstore', 'd', 2, 'x', 'y')).to.equal(4);
      expect(run(h, 'zrange', 'd', 0, -1, 'withscores')).to.deep.equal(['a', '1', 'b', '12', 'c', '23', 'd', '30']);
      expect(run(h, 'zinterstore', 'd', 2, 'x', 'y', 'weights', 1, 0)).to.equal(2);
      expect(run(h, 'zrange', 'd', 0, -1, 'withscores')).to.deep.equal(['b', '2', 'c', '3']);
      expect(run(h, 'zdiffstore', 'd', 2, 'x', 'x')).to.equal(0);
      expect(run(h, 'exists', 'd')).to.equal(0);
      expect(run(h, 'zdiffstore', 'x', 2, 'x', 'y')).to.equal(1);
      expect(run(h, 'zrange', 'x', 0, -1)).to.deep.equal(['a']);
    });

    it('errors: numkeys first, then WRONGTYPE, then options', () => {
      expect(run(h, 'zunion', 0, 'x')).to.deep.equal(err("ERR at least 1 input key is needed for 'zunion' command"));
      expect(run(h, 'zinterstore', 'd', 0, 'x')).to.deep.equal(err("ERR at least 1 input key is needed for 'zinterstore' command"));
      expect(run(h, 'zintercard', 0, 'x')).to.deep.equal(err("ERR at least 1 input key is needed for 'zintercard' command"));
      expect(run(h, 'zunion', 'x', 'x')).to.deep.equal(NOT_INT);
      expect(run(h, 'zunion', 3, 'x', 'y')).to.deep.equal(SYNTAX);
      expect(run(h, 'zunion', 2, 's', 'x', 'foo')).to.deep.equal(WRONGTYPE);
      expect(run(h, 'zunion', 1, 'x', 'foo')).to.deep.equal(SYNTAX);
      expect(run(h, 'zunion', 1, 'x', 'weights', 'w')).to.deep.equal(err('ERR weight value is not a float'));
      expect(run(h, 'zunion', 1, 'x', 'weights')).to.deep.equal(SYNTAX);
      expect(run(h, 'zunion', 1, 'x', 'aggregate', 'avg')).to.deep.equal(SYNTAX);
      expect(run(h, 'zdiff', 1, 'x', 'weights', 1)).to.deep.equal(SYNTAX);
      expect(run(h, 'zunionstore', 'd', 1, 'x', 'withscores')).to.deep.equal(SYNTAX);
      expect(run(h, 'zintercard', 1, 'x', 'limit', -1)).to.deep.equal(err("ERR LIMIT can't be negative"));
      expect(run(h, 'zintercard', 1, 'x', 'limit', 'x')).to.deep.equal(err("ERR LIMIT can't be negative"));
      expect(run(h, 'zintercard', 1, 'x', 'withscores')).to.deep.equal(SYNTAX);
      expect(run(h, 'zunionstore', 's', 1, 'x')).to.equal(3); // the destination's type does not matter
    });
  });

  describe('persistence', () => {
    /** Applies drained changes and element records to a Map standing in for the durable copy. */
    function persist(ks: Keyspace, store: Map<string, Buffer>): number {
      let elements = 0;
      for (const c of ks.drainChanges()) {
        if (!('db' in c)) throw new Error('unexpected flush');
        const r = ks.encodeRecord(c.db, c.key);
        const rk = keyString(Buffer.concat([Buffer.from([c.db]), c.db === META_DB ? Buffer.alloc(0) : keyBuffer(c.key)]));
        if (r) store.set(r.key.toString('latin1'), r.value);
        else store.delete(rk);
      }
      ks.drainElementRecords((k, v) => {
        elements++;
        if (v === null) store.delete(k.toString('latin1'));
        else store.set(k.toString('latin1'), v);
      });
      return elements;
    }

    function restore(store: Map<string, Buffer>): Harness {
      const r = new Harness();
      for (const [k, v] of store) r.ks.applyRecord(Buffer.from(k, 'latin1'), v);
      r.ks.finishRestore();
      return r;
    }

    function dump(x: Harness, key: string): unknown {
      return [run(x, 'zrange', key, 0, -1, 'withscores'), zset(x, key).encoding()];
    }

    it('round-trips members, scores and order; later writes still round-trip', () => {
      h.ks.trackChanges = true;
      const store = new Map<string, Buffer>();
      run(h, 'zadd', 'small', 2, 'b', 1, 'a', '-inf', Buffer.from([0, 255, 10]));
      for (let i = 0; i < 300; i++) run(h, 'zadd', 'big', i % 7, `m${i}`);
      run(h, 'zrem', 'big', 'm5', 'm6');
      persist(h.ks, store);
      let r = restore(store);
      for (const key of ['small', 'big']) expect(dump(r, key), key).to.deep.equal(dump(h, key));
      expect(zset(r, 'big').bytes).to.equal(zset(h, 'big').bytes);
      // ZSCAN cursors mean the same on the restored node.
      expect(run(r, 'zscan', 'big', 0, 'count', 7)).to.deep.equal(run(h, 'zscan', 'big', 0, 'count', 7));

      run(h, 'zincrby', 'big', 100, 'm7');
      run(h, 'zpopmin', 'big', 3);
      run(h, 'zadd', 'small', 5, 'c');
      run(h, 'del', 'small');
      run(h, 'zunionstore', 'u', 2, 'big', 'big');
      persist(h.ks, store);
      r = restore(store);
      for (const key of ['big', 'u']) expect(dump(r, key), key).to.deep.equal(dump(h, key));
      expect(run(r, 'exists', 'small')).to.equal(0);
      // No element record of the deleted key is left behind.
      const elementKeys = [...store.keys()].filter((k) => k.charCodeAt(0) === 0xfc);
      expect(elementKeys.length).to.equal(zset(h, 'big').length + zset(h, 'u').length);
    });

    it('a ZADD into a 200,000-member zset drains exactly one element record', () => {
      h.ks.trackChanges = true;
      const store = new Map<string, Buffer>();
      zaddMany(h, 'z', 200000, (i) => [i, `member:${i}`]);
      expect(persist(h.ks, store)).to.equal(200000);
      run(h, 'zadd', 'z', 0.5, 'member:7');
      expect(persist(h.ks, store)).to.equal(1);
      run(h, 'zadd', 'z', 0.5, 'new');
      expect(persist(h.ks, store)).to.equal(1);
      run(h, 'zrem', 'z', 'member:9');
      expect(persist(h.ks, store)).to.equal(1);
      expect(run(h, 'zrank', 'z', 'member:199999')).to.equal(199999);
      expect(run(h, 'zrank', 'z', 'new')).to.equal(2); // after member:0 (0) and member:7 (0.5)
    });
  });

  describe('structure', () => {
    it('ranks on 100,000 members and bytes kept incrementally', () => {
      zaddMany(h, 'z', 100000, (i) => [i % 1000, `m${i}`]);
      const z = zset(h, 'z');
      expect(run(h, 'zrank', 'z', 'm0')).to.equal(0);
      expect(run(h, 'zrank', 'z', 'm99999')).to.equal(99999);
      expect(run(h, 'zrevrank', 'z', 'm99999')).to.equal(0);
      for (const r of [1, 777, 50000, 99998]) {
        const [m] = run(h, 'zrange', 'z', r, r) as string[];
        expect(run(h, 'zrank', 'z', m)).to.equal(r);
      }
      expect(run(h, 'zcount', 'z', 10, 19)).to.equal(1000);
      const before = z.bytes;
      run(h, 'zadd', 'z', 5, 'extra');
      expect(z.bytes - before).to.equal('extra'.length + ZSET_ELEMENT_OVERHEAD);
      run(h, 'zrem', 'z', 'extra');
      expect(z.bytes).to.equal(before);
      z.index.verify();
    });

    it('COPY-style clone keeps everything pending and equal', () => {
      run(h, 'zadd', 'z', 1, 'a', 2, 'b');
      const c = zset(h, 'z').clone();
      const subs: string[] = [];
      c.drainRecords((s) => subs.push(s));
      expect(subs.sort()).to.deep.equal(['a', 'b']);
      expect([...c.elements()]).to.deep.equal(['a', 'b']);
    });
  });
});
