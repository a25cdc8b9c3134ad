import { expect } from 'chai';
import { Collection, type CollectionType, type RecordSink } from '../../../server/keyspace';
import { ListValue } from '../../../server/keyspace/list';
import { sortScore } from '../../../server/commands/sort';
import { command, argv, err, Harness } from './helpers';

const WRONGTYPE = err('WRONGTYPE Operation against a key holding the wrong kind of value');
const SYNTAX = err('ERR syntax error');
const SCORE = err("ERR One or more scores can't be converted into double");

/** A set / sorted set / hash stand-in (their modules are built elsewhere): SORT only reads elements(). */
class FakeCollection extends Collection {
  constructor(readonly type: CollectionType, private readonly items: string[]) {
    super();
  }
  get length(): number {
    return this.items.length;
  }
  elements(): Iterable<string> {
    return this.items;
  }
  encoding(): string {
    return 'fake';
  }
  drainRecords(sink: RecordSink): void {
    void sink;
  }
  clearDirty(): void {}
  forEachRecordKey(): void {}
  restoreRecord(): void {}
  clone(): Collection {
    return new FakeCollection(this.type, this.items.slice());
  }
}

describe('SORT / SORT_RO', () => {
  let h: Harness;
  const put = (key: string, c: Collection): void => h.ks.dbs[0].set(key, c, ++h.index);
  beforeEach(() => {
    h = new Harness();
  });

  it('numeric by default, ties broken by the element bytes; ALPHA; DESC', () => {
    h.run('rpush', 'n', '3', '1', '2', '10', '-5', '1.5', '0x10', 'inf', '01', '1.0');
    expect(h.run('sort', 'n')).to.deep.equal(['-5', '01', '1', '1.0', '1.5', '2', '3', '10', '0x10', 'inf']);
    expect(h.run('sort', 'n', 'desc')).to.deep.equal(['inf', '0x10', '10', '3', '2', '1.5', '1.0', '1', '01', '-5']);
    expect(h.run('sort', 'n', 'asc', 'DESC')).to.deep.equal(h.run('sort', 'n', 'desc'));
    expect(h.run('sort', 'n', 'alpha')).to.deep.equal(['-5', '01', '0x10', '1', '1.0', '1.5', '10', '2', '3', 'inf']);
    expect(h.run('sort_ro', 'n', 'alpha', 'desc', 'limit', 1, 2)).to.deep.equal(['3', '2']);
    h.run('rpush', 'l', '3', 'b');
    expect(h.run('sort', 'l')).to.deep.equal(SCORE);
    expect(h.run('sort_ro', 'l')).to.deep.equal(SCORE);
  });

  it('LIMIT offset count as Redis clamps it', () => {
    h.run('rpush', 'n', 5, 4, 3, 2, 1);
    expect(h.run('sort', 'n', 'limit', 2, -1)).to.deep.equal(['3', '4', '5']);
    expect(h.run('sort', 'n', 'limit', -3, 2)).to.deep.equal(['1', '2']);
    expect(h.run('sort', 'n', 'limit', 100, 2)).to.deep.equal([]);
    expect(h.run('sort', 'n', 'limit', 0, 0)).to.deep.equal([]);
    expect(h.run('sort', 'n', 'limit', 4, 10)).to.deep.equal(['5']);
    expect(h.run('sort', 'n', 'limit', 1)).to.deep.equal(SYNTAX);
    expect(h.run('sort', 'n', 'limit', 'a', 1)).to.deep.equal(err('ERR value is not an integer or out of range'));
  });

  it('syntax errors (checked before anything is logged), SORT_RO has no STORE, WRONGTYPE', () => {
    h.run('set', 's', 'v');
    expect(h.run('sort', 'n', 'store')).to.deep.equal(SYNTAX);
    expect(h.run('sort_ro', 'n', 'store', 'd')).to.deep.equal(SYNTAX);
    expect(h.run('sort', 'n', 'foo')).to.deep.equal(SYNTAX);
    expect(h.run('sort', 's', 'foo')).to.deep.equal(SYNTAX);
    expect(command('sort').check!(argv('sort', 'k', 'by'))).to.have.property('message', 'ERR syntax error');
    expect(command('sort').check!(argv('sort', 'k', 'by', 'w_*', 'get', '#', 'limit', 0, 1, 'store', 'd'))).to.equal(null);
    expect(h.run('sort', 's')).to.deep.equal(WRONGTYPE);
    expect(h.run('sort_ro', 's')).to.deep.equal(WRONGTYPE);
    put('h', new FakeCollection('hash', ['f']));
    expect(h.run('sort', 'h')).to.deep.equal(WRONGTYPE);
    expect(h.run('sort', 'nokey')).to.deep.equal([]);
  });

  it('BY pattern weights (missing = 0), BY without * keeps the native order', () => {
    h.run('rpush', 'n', '3', '1', '2', 'x', 'y');
    h.run('mset', 'w_3', '30', 'w_1', '10', 'w_2', '20');
    expect(h.run('sort', 'n', 'by', 'w_*')).to.deep.equal(['x', 'y', '1', '2', '3']);
    expect(h.run('sort', 'n', 'by', 'w_*', 'desc')).to.deep.equal(['3', '2', '1', 'y', 'x']);
    expect(h.run('sort', 'n', 'by', 'w_*', 'limit', 1, 3)).to.deep.equal(['y', '1', '2']);
    expect(h.run('sort', 'n', 'by', 'nosort')).to.deep.equal(['3', '1', '2', 'x', 'y']);
    expect(h.run('sort', 'n', 'by', 'nosort', 'desc')).to.deep.equal(['y', 'x', '2', '1', '3']);
    expect(h.run('sort', 'n', 'by', 'nosort', 'desc', 'limit', 1, 2)).to.deep.equal(['x', '2']);
    // A BY without '*' anywhere wins over a later one (Redis never clears its dontsort flag).
    expect(h.run('sort', 'n', 'by', 'nosort', 'by', 'w_*')).to.deep.equal(['3', '1', '2', 'x', 'y']);
    h.run('set', 'w_x', 'notanumber');
    expect(h.run('sort', 'n', 'by', 'w_*')).to.deep.equal(SCORE);
    // ALPHA BY: missing weights first, then by the weight bytes.
    expect(h.run('sort', 'n', 'by', 'w_*', 'alpha')).to.deep.equal(['y', '1', '2', '3', 'x']);
    // A weight that is not a string counts as missing.
    h.run('rpush', 'w_y', 'list');
    expect(h.run('sort', 'n', 'by', 'w_*', 'alpha', 'desc')).to.deep.equal(['x', '3', '2', '1', 'y']);
  });

  it('GET patterns, # and hash fields', () => {
    h.run('rpush', 'n', '2', '1', '3');
    h.run('mset', 'o_1', 'one', 'o_2', 'two');
    expect(h.run('sort', 'n', 'get', '#', 'get', 'o_*')).to.deep.equal(['1', 'one', '2', 'two', '3', null]);
    expect(h.run('sort', 'n', 'get', 'o_*', 'desc')).to.deep.equal([null, 'two', 'one']);
    expect(h.run('sort', 'n', 'get', 'nostar')).to.deep.equal([null, null, null]);
    expect(h.run('sort', 'n', 'get', 'o_*->field')).to.deep.equal([null, null, null]);
    // 'o_*->' has an empty field name: it is a plain key pattern ending in '->'.
    h.run('set', 'o_1->', 'arrow');
    expect(h.run('sort', 'n', 'get', 'o_*->', 'limit', 0, 1)).to.deep.equal(['arrow']);
  });

  it('STORE writes a list (GET misses stored as ""), replaces any value and its TTL; empty deletes', () => {
    h.run('rpush', 'n', '2', '1', '3');
    h.run('set', 'o_1', 'one');
    h.run('set', 'dst', 'string', 'EX', 100);
    expect(h.run('sort', 'n', 'get', '#', 'get', 'o_*', 'store', 'dst')).to.equal(6);
    expect(h.run('type', 'dst')).to.deep.equal({ status: 'list' });
    expect(h.run('ttl', 'dst')).to.equal(-1);
    expect(h.run('lrange', 'dst', 0, -1)).to.deep.equal(['1', 'one', '2', '', '3', '']);
    expect(h.run('sort', 'n', 'desc', 'store', 'n')).to.equal(3);
    expect(h.run('lrange', 'n', 0, -1)).to.deep.equal(['3', '2', '1']);
    expect(h.run('sort', 'nokey', 'store', 'dst')).to.equal(0);
    expect(h.run('exists', 'dst')).to.equal(0);
    expect(h.run('sort', 'n', 'limit', 5, 5, 'store', 'n')).to.equal(0);
    expect(h.run('exists', 'n')).to.equal(0);
    h.run('rpush', 'bad', 'x');
    h.run('set', 'keep', 'v');
    expect(h.run('sort', 'bad', 'store', 'keep')).to.deep.equal(SCORE);
    expect(h.run('get', 'keep')).to.equal('v');
  });

  it('a STOREd list is a normal list (persisted in chunks)', () => {
    h.run('rpush', 'n', ...Array.from({ length: 1000 }, (_, i) => 1000 - i));
    expect(h.run('sort', 'n', 'store', 'd')).to.equal(1000);
    const d = h.ks.dbs[0].lookupRead('d', h.now) as ListValue;
    expect(d).to.be.instanceOf(ListValue);
    expect(d.chunkCount).to.be.above(1);
    expect(h.run('lindex', 'd', 999)).to.equal('1000');
  });

  it('sets and sorted sets through elements(): native order with BY nosort, a stored set is sorted ALPHA', () => {
    put('st', new FakeCollection('set', ['c', 'a', 'b']));
    expect(h.run('sort', 'st', 'alpha')).to.deep.equal(['a', 'b', 'c']);
    expect(h.run('sort', 'st', 'by', 'nosort')).to.deep.equal(['c', 'a', 'b']);
    expect(h.run('sort', 'st', 'by', 'nosort', 'desc', 'limit', 0, 2)).to.deep.equal(['c', 'a']); // DESC does not reverse a set
    expect(h.run('sort', 'st', 'by', 'nosort', 'store', 'sd')).to.equal(3);
    expect(h.run('lrange', 'sd', 0, -1)).to.deep.equal(['a', 'b', 'c']);
    expect(h.run('sort', 'st', 'by', 'nosort', 'desc', 'limit', 0, 2, 'store', 'sd')).to.equal(2);
    expect(h.run('lrange', 'sd', 0, -1)).to.deep.equal(['c', 'b']);
    // Sorted set: elements() is score order.
    put('z', new FakeCollection('zset', ['b', 'c', 'a']));
    expect(h.run('sort', 'z', 'by', 'nosort')).to.deep.equal(['b', 'c', 'a']);
    expect(h.run('sort', 'z', 'by', 'nosort', 'desc', 'limit', 1, 5)).to.deep.equal(['c', 'b']);
    expect(h.run('sort', 'z', 'alpha', 'desc')).to.deep.equal(['c', 'b', 'a']);
    expect(h.run('sort', 'z', 'by', 'nosort', 'store', 'zd')).to.equal(3);
    expect(h.run('lrange', 'zd', 0, -1)).to.deep.equal(['b', 'c', 'a']);
    expect(h.run('sort', 'z')).to.deep.equal(SCORE);
  });

  it('weights are read like strtod: whitespace, hex, inf; NaN and ERANGE are errors', () => {
    const ok: Array<[string, number]> = [
      ['', 0],
      [' 1', 1],
      ['\t2', 2],
      ['+5', 5],
      ['.5', 0.5],
      ['5.', 5],
      ['1e3', 1000],
      ['0X1p3', 8],
      ['0x1.8', 1.5],
      ['0x.8', 0.5],
      ['-inf', -Infinity],
      ['infinity', Infinity],
      ['INF', Infinity],
      ['1e308', 1e308],
      ['0x1p-1074', 5e-324],
      ['2.2250738585072014e-308', 2.2250738585072014e-308],
      ['0e10', 0],
      ['7\0junk', 7],
    ];
    for (const [s, v] of ok) expect(sortScore(s), JSON.stringify(s)).to.equal(v);
    for (const s of ['2 ', '0x', '1e', '1e+', '- 5', 'nan', '-nan', '1e309', '1e-400', '4.9e-324', '2.225e-308', 'abc', ' ', '0x1p-1075'])
      expect(sortScore(s), JSON.stringify(s)).to.equal(null);
  });
});
