import { expect } from 'chai';
import { MapReply, type Reply } from '../../../protocol/reply';
import { Keyspace, META_DB, elementRecordKey, encodingConfig, keyBuffer, keyString } from '../../../server/keyspace';
import { HASH_FIELD_OVERHEAD, HashValue } from '../../../server/keyspace/hash';
import { parseScanCursor } from '../../../server/commands/hash';
import { argv, command, err, Harness, OK_, plain } from './helpers';

const NOT_INT = err('ERR value is not an integer or out of range');
const WRONGTYPE = err('WRONGTYPE Operation against a key holding the wrong kind of value');
const SYNTAX = err('ERR syntax error');

/** HGETALL as [field, value] pairs (its reply is a MapReply). */
function getall(h: Harness, key: string): Array<[string, string]> {
  const r = h.raw('hgetall', key);
  if (!(r instanceof MapReply)) throw new Error(`not a map: ${JSON.stringify(plain(r))}`);
  return r.entries.map(([f, v]) => [plain(f) as string, plain(v) as string]);
}

function hashAt(h: Harness, key: string): HashValue {
  const v = h.ks.dbs[h.db].lookupRead(key, h.now);
  if (!(v instanceof HashValue)) throw new Error(`${key} holds no hash`);
  return v;
}

function fill(h: Harness, key: string, n: number, prefix = 'f'): void {
  const args: string[] = [];
  for (let i = 0; i < n; i++) args.push(`${prefix}${i}`, `v${i}`);
  for (let i = 0; i < args.length; i += 2000) h.run('hset', key, ...args.slice(i, i + 2000));
}

/** Applies drained changes (key records and element records) to a Map standing in for the durable copy. */
function persist(ks: Keyspace, store: Map<string, Buffer>): number {
  let elementRecords = 0;
  for (const c of ks.drainChanges()) {
    if ('flushAll' in c || 'flushDb' in c) throw new Error('flushes are not used here');
    const r = ks.encodeRecord(c.db, c.key);
    const rk = r ? r.key.toString('latin1') : keyString(Buffer.concat([Buffer.from([c.db]), keyBuffer(c.key)]));
    if (r) store.set(rk, r.value);
    else store.delete(rk);
  }
  ks.drainElementRecords((key, value) => {
    elementRecords++;
    if (value === null) store.delete(key.toString('latin1'));
    else store.set(key.toString('latin1'), value);
  });
  return elementRecords;
}

/** A fresh keyspace restored from the store (element records deliberately first, then keys). */
function restore(store: Map<string, Buffer>, elementsFirst = true): Harness {
  const h = new Harness();
  const records = [...store].sort(([a], [b]) => {
    const ea = Buffer.from(a, 'latin1')[0] === 0xfc ? 0 : 1;
    const eb = Buffer.from(b, 'latin1')[0] === 0xfc ? 0 : 1;
    return elementsFirst ? ea - eb : eb - ea;
  });
  for (const [k, v] of records) h.ks.applyRecord(Buffer.from(k, 'latin1'), v);
  h.ks.finishRestore();
  h.index = 1_000_000;
  return h;
}

describe('hash commands', () => {
  let h: Harness;
  const saved = { ...encodingConfig };
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(() => {
    Object.assign(encodingConfig, saved);
  });

  describe('HSET / HMSET / HSETNX / HGET / HMGET', () => {
    it('sets fields, counts only new ones, and is binary safe', () => {
      expect(h.run('hset', 'h', 'a', '1', 'b', '2')).to.equal(2);
      expect(h.run('hset', 'h', 'a', '10', 'c', '3')).to.equal(1);
      expect(h.run('hget', 'h', 'a')).to.equal('10');
      expect(h.run('hget', 'h', 'zz')).to.equal(null);
      expect(h.run('hget', 'nokey', 'a')).to.equal(null);
      expect(h.run('hset', 'h', Buffer.from([0, 0xff]), Buffer.from([0xfe, 0, 13, 10]))).to.equal(1);
      expect(h.run('hget', 'h', Buffer.from([0, 0xff]))).to.equal('\xfe\x00\r\n');
      expect(h.run('hset', 'h', '', '')).to.equal(1);
      expect(h.run('hget', 'h', '')).to.equal('');
      expect(h.run('hmget', 'h', 'a', 'nope', 'b')).to.deep.equal(['10', null, '2']);
      expect(h.run('hmget', 'nokey', 'a', 'b')).to.deep.equal([null, null]);
    });

    it('HSET with one value too few is an arity error; HMSET answers OK', () => {
      expect(h.run('hset', 'h', 'a', '1', 'b')).to.deep.equal(err("ERR wrong number of arguments for 'hset' command"));
      expect(h.run('hset', 'h', 'a')).to.deep.equal(err("ERR wrong number of arguments for 'hset' command"));
      expect(h.exec('hset', 'h', 'a', '1', 'b')).to.deep.equal(err("ERR wrong number of arguments for 'hset' command"));
      expect(h.run('hmset', 'h', 'a', '1', 'b')).to.deep.equal(err("ERR wrong number of arguments for 'hmset' command"));
      expect(h.run('exists', 'h')).to.equal(0);
      expect(h.run('hmset', 'h', 'a', '1', 'b', '2')).to.deep.equal(OK_);
      expect(h.run('hmget', 'h', 'a', 'b')).to.deep.equal(['1', '2']);
    });

    it('HSETNX sets only a missing field', () => {
      expect(h.run('hsetnx', 'h', 'a', '1')).to.equal(1);
      expect(h.run('hsetnx', 'h', 'a', '2')).to.equal(0);
      expect(h.run('hget', 'h', 'a')).to.equal('1');
      expect(h.run('hsetnx', 'h', 'b', '2')).to.equal(1);
      expect(h.run('hlen', 'h')).to.equal(2);
    });

    it('does not keep a reference to argument buffers', () => {
      const f = Buffer.from('field');
      const v = Buffer.from('value');
      h.run('hset', 'h', f, v);
      f.fill(0);
      v.fill(0);
      expect(h.run('hget', 'h', 'field')).to.equal('value');
    });
  });

  describe('WRONGTYPE', () => {
    it('every hash command refuses a string key and leaves it alone', () => {
      h.run('set', 's', 'x');
      const cmds: string[][] = [
        ['hset', 's', 'a', '1'],
        ['hmset', 's', 'a', '1'],
        ['hsetnx', 's', 'a', '1'],
        ['hget', 's', 'a'],
        ['hmget', 's', 'a'],
        ['hdel', 's', 'a'],
        ['hlen', 's'],
        ['hstrlen', 's', 'a'],
        ['hexists', 's', 'a'],
        ['hkeys', 's'],
        ['hvals', 's'],
        ['hgetall', 's'],
        ['hincrby', 's', 'a', '1'],
        ['hincrbyfloat', 's', 'a', '1'],
        ['hrandfield', 's'],
        ['hrandfield', 's', '2', 'withvalues'],
        ['hscan', 's', '0'],
        ['hscan', 's', '0', 'count', 'x'],
      ];
      for (const c of cmds) expect(h.run(...c), c.join(' ')).to.deep.equal(WRONGTYPE);
      expect(h.run('get', 's')).to.equal('x');
      // Syntax errors Redis finds before the lookup win over WRONGTYPE.
      expect(h.run('hincrby', 's', 'a', 'x')).to.deep.equal(NOT_INT);
      expect(h.run('hincrbyfloat', 's', 'a', 'x')).to.deep.equal(err('ERR value is not a valid float'));
      expect(h.run('hrandfield', 's', '1', 'withvalue')).to.deep.equal(SYNTAX);
      expect(h.run('hscan', 's', 'x')).to.deep.equal(err('ERR invalid cursor'));
      expect(h.run('hset', 's', 'a')).to.deep.equal(err("ERR wrong number of arguments for 'hset' command"));
    });
  });

  describe('HDEL / HLEN / HSTRLEN / HEXISTS', () => {
    it('deletes fields, counts them, and deletes the emptied hash', () => {
      h.run('hset', 'h', 'a', '1', 'b', '22', 'c', '333');
      expect(h.run('hdel', 'h', 'a', 'a', 'nope')).to.equal(1);
      expect(h.run('hlen', 'h')).to.equal(2);
      expect(h.run('hstrlen', 'h', 'c')).to.equal(3);
      expect(h.run('hstrlen', 'h', 'a')).to.equal(0);
      expect(h.run('hstrlen', 'nokey', 'a')).to.equal(0);
      expect(h.run('hexists', 'h', 'b')).to.equal(1);
      expect(h.run('hexists', 'h', 'a')).to.equal(0);
      expect(h.run('hexists', 'nokey', 'a')).to.equal(0);
      expect(h.run('hdel', 'nokey', 'a')).to.equal(0);
      const before = h.ks.dbs[0].version('h');
      expect(h.run('hdel', 'h', 'zz')).to.equal(0);
      expect(h.ks.dbs[0].version('h'), 'a no-op HDEL is not a write').to.equal(before);
      expect(h.run('hdel', 'h', 'b', 'c', 'b')).to.equal(2);
      expect(h.run('exists', 'h')).to.equal(0);
      expect(h.run('hlen', 'h')).to.equal(0);
      expect(h.run('type', 'h')).to.deep.equal({ status: 'none' });
    });
  });

  describe('HKEYS / HVALS / HGETALL', () => {
    it('answer in insertion order; an update keeps its place, a re-added field goes last', () => {
      h.run('hset', 'h', 'z', '1', 'a', '2', 'm', '3');
      h.run('hset', 'h', 'a', 'updated');
      h.run('hdel', 'h', 'z');
      h.run('hset', 'h', 'z', 'again', 'b', '4');
      expect(h.run('hkeys', 'h')).to.deep.equal(['a', 'm', 'z', 'b']);
      expect(h.run('hvals', 'h')).to.deep.equal(['updated', '3', 'again', '4']);
      expect(getall(h, 'h')).to.deep.equal([
        ['a', 'updated'],
        ['m', '3'],
        ['z', 'again'],
        ['b', '4'],
      ]);
      expect(h.run('hkeys', 'nokey')).to.deep.equal([]);
      expect(h.run('hvals', 'nokey')).to.deep.equal([]);
      expect(getall(h, 'nokey')).to.deep.equal([]);
    });
  });

  describe('HINCRBY', () => {
    it('increments, creates, and refuses non-integers and overflow with Redis texts', () => {
      expect(h.run('hincrby', 'h', 'n', '5')).to.equal(5);
      expect(h.run('hincrby', 'h', 'n', '-7')).to.equal(-2);
      expect(h.run('hget', 'h', 'n')).to.equal('-2');
      h.run('hset', 'h', 'big', '9223372036854775806');
      expect(h.run('hincrby', 'h', 'big', '1')).to.equal(9223372036854775807n);
      expect(h.run('hincrby', 'h', 'big', '1')).to.deep.equal(err('ERR increment or decrement would overflow'));
      h.run('hset', 'h', 'small', '-9223372036854775807');
      expect(h.run('hincrby', 'h', 'small', '-1')).to.equal(-9223372036854775808n);
      expect(h.run('hincrby', 'h', 'small', '-1')).to.deep.equal(err('ERR increment or decrement would overflow'));
      for (const bad of ['abc', '1.5', ' 1', '007', '']) {
        h.run('hset', 'h', 's', bad);
        expect(h.run('hincrby', 'h', 's', '1'), bad).to.deep.equal(err('ERR hash value is not an integer'));
      }
      expect(h.run('hincrby', 'h', 'n', 'x')).to.deep.equal(NOT_INT);
      expect(h.run('hincrby', 'h', 'n', '9223372036854775808')).to.deep.equal(NOT_INT);
      expect(h.exec('hincrby', 'h', 'n', 'x')).to.deep.equal(NOT_INT);
      expect(h.run('hget', 'h', 'n')).to.equal('-2');
    });
  });

  describe('HINCRBYFLOAT', () => {
    it('formats like INCRBYFLOAT and refuses bad values with Redis texts', () => {
      expect(h.run('hincrbyfloat', 'h', 'f', '10.5')).to.equal('10.5');
      expect(h.run('hincrbyfloat', 'h', 'f', '0.1')).to.equal('10.6');
      expect(h.run('hincrbyfloat', 'h', 'f', '-5.6')).to.equal('5');
      expect(h.run('hincrbyfloat', 'h', 'g', '5.0e3')).to.equal('5000');
      expect(h.run('hget', 'h', 'g')).to.equal('5000');
      h.run('hset', 'h', 'hex', '0x10');
      expect(h.run('hincrbyfloat', 'h', 'hex', '1')).to.equal('17');
      h.run('hset', 'h', 'int', '3');
      expect(h.run('hincrbyfloat', 'h', 'int', '0.25')).to.equal('3.25');
      h.run('hset', 'h', 's', 'abc');
      expect(h.run('hincrbyfloat', 'h', 's', '1')).to.deep.equal(err('ERR hash value is not a float'));
      h.run('hset', 'h', 's', ' 1');
      expect(h.run('hincrbyfloat', 'h', 's', '1')).to.deep.equal(err('ERR hash value is not a float'));
      h.run('hset', 'h', 'inf', 'inf');
      expect(h.run('hincrbyfloat', 'h', 'inf', '1')).to.deep.equal(err('ERR increment would produce NaN or Infinity'));
      // Redis adds in 80-bit long double: 1.7e308 + 1.7e308 is fine, 1e4932 + 1e4932 overflows.
      h.run('hset', 'h', 'max', '1e4932');
      expect(h.run('hincrbyfloat', 'h', 'max', '1e4932')).to.deep.equal(err('ERR increment would produce NaN or Infinity'));
      expect(h.run('hincrbyfloat', 'h', 'f', 'inf')).to.deep.equal(err('ERR value is NaN or Infinity'));
      expect(h.run('hincrbyfloat', 'h', 'f', '-inf')).to.deep.equal(err('ERR value is NaN or Infinity'));
      expect(h.run('hincrbyfloat', 'h', 'f', 'nan')).to.deep.equal(err('ERR value is not a valid float'));
      expect(h.run('hincrbyfloat', 'h', 'f', 'x')).to.deep.equal(err('ERR value is not a valid float'));
      expect(h.run('hget', 'h', 'f')).to.equal('5');
    });
  });

  describe('HRANDFIELD', () => {
    beforeEach(() => {
      h.run('hset', 'h', 'a', '1', 'b', '2', 'c', '3', 'd', '4', 'e', '5');
    });

    it('one field, or nil for a missing key', () => {
      const f = h.run('hrandfield', 'h') as string;
      expect(['a', 'b', 'c', 'd', 'e']).to.include(f);
      expect(h.run('hrandfield', 'nokey')).to.equal(null);
      expect(h.run('hrandfield', 'nokey', '3')).to.deep.equal([]);
      expect(h.run('hrandfield', 'nokey', '3', 'withvalues')).to.deep.equal([]);
      expect(h.run('hrandfield', 'h', '0')).to.deep.equal([]);
      expect(h.run('hrandfield', 'h', '0', 'WITHVALUES')).to.deep.equal([]);
    });

    it('a positive count gives distinct fields, the whole hash in order when it is large enough', () => {
      for (let i = 0; i < 20; i++) {
        const r = h.run('hrandfield', 'h', '3') as string[];
        expect(r).to.have.length(3);
        expect(new Set(r).size).to.equal(3);
      }
      expect(h.run('hrandfield', 'h', '5')).to.deep.equal(['a', 'b', 'c', 'd', 'e']);
      expect(h.run('hrandfield', 'h', '100', 'withvalues')).to.deep.equal(['a', '1', 'b', '2', 'c', '3', 'd', '4', 'e', '5']);
      const wv = h.run('hrandfield', 'h', '2', 'withvalues') as string[];
      expect(wv).to.have.length(4);
      expect(wv[1]).to.equal(String(wv[0].charCodeAt(0) - 96));
    });

    it('a negative count allows repeats and returns exactly |count|', () => {
      const seen = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const r = h.run('hrandfield', 'h', '-20') as string[];
        expect(r).to.have.length(20);
        r.forEach((f) => seen.add(f));
      }
      expect([...seen].sort()).to.deep.equal(['a', 'b', 'c', 'd', 'e']);
      const wv = h.run('hrandfield', 'h', '-7', 'withvalues') as string[];
      expect(wv).to.have.length(14);
      for (let i = 0; i < 14; i += 2) expect(wv[i + 1]).to.equal(String(wv[i].charCodeAt(0) - 96));
    });

    it('draws are a function of the log entry at apply time', () => {
      const a = new Harness();
      const b = new Harness();
      for (const x of [a, b]) x.run('hset', 'h', 'a', '1', 'b', '2', 'c', '3', 'd', '4', 'e', '5');
      const ctxA = a.ctx(true);
      const ctxB = b.ctx(true);
      const draw = (ctx: ReturnType<Harness['ctx']>): unknown => plain(command('hrandfield').exec(ctx, argv('hrandfield', 'h', '-10', 'withvalues')));
      expect(draw(ctxA)).to.deep.equal(draw(ctxB));
    });

    it('never picks a deleted field nor misses a new one (the field array cache is dropped on changes)', () => {
      h.run('del', 'h');
      h.run('hset', 'h', 'a', '1');
      expect(h.run('hrandfield', 'h')).to.equal('a');
      h.run('hset', 'h', 'b', '2');
      h.run('hdel', 'h', 'a');
      for (let i = 0; i < 5; i++) expect(h.run('hrandfield', 'h')).to.equal('b');
      expect(h.run('hrandfield', 'h', '-3', 'withvalues')).to.deep.equal(['b', '2', 'b', '2', 'b', '2']);
      h.run('hset', 'h', 'b', 'updated');
      expect(h.run('hrandfield', 'h', '-1', 'withvalues')).to.deep.equal(['b', 'updated']);
    });

    it('repeated single picks from a large unchanged hash are cheap', () => {
      fill(h, 'big', 100_000);
      const t0 = process.hrtime.bigint();
      const seen = new Set<string>();
      // A client's read draws from the node's own generator.
      for (let i = 0; i < 2000; i++) seen.add(plain(command('hrandfield').exec({ ...h.ctx(false), random: Math.random }, argv('hrandfield', 'big'))) as string);
      expect(Number(process.hrtime.bigint() - t0) / 1e6).to.be.below(2000);
      expect(seen.size).to.be.above(1900);
    });

    it('argument errors as Redis words them', () => {
      expect(h.run('hrandfield', 'h', 'x')).to.deep.equal(NOT_INT);
      expect(h.run('hrandfield', 'h', '1', 'withvalue')).to.deep.equal(SYNTAX);
      expect(h.run('hrandfield', 'h', '1', 'withvalues', 'x')).to.deep.equal(SYNTAX);
      expect(h.run('hrandfield', 'h', 'x', 'withvalue')).to.deep.equal(NOT_INT);
      expect(h.run('hrandfield', 'h', '-9223372036854775808')).to.deep.equal(
        err('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807'),
      );
      expect(h.run('hrandfield', 'h', '-9223372036854775807', 'withvalues')).to.deep.equal(err('ERR value is out of range'));
      expect(h.run('hrandfield', 'h', '4611686018427387904', 'withvalues')).to.deep.equal(err('ERR value is out of range'));
      expect(h.run('hrandfield', 'h', '9223372036854775807')).to.deep.equal(['a', 'b', 'c', 'd', 'e']);
      expect(h.run('hrandfield', 'nokey', '1', 'withvalue')).to.deep.equal(SYNTAX);
    });
  });

  describe('HSCAN', () => {
    it('a listpack hash is returned whole with cursor 0, filtered by MATCH', () => {
      h.run('hset', 'h', 'a1', '1', 'b1', '2', 'a2', '3');
      expect(h.run('hscan', 'h', '0', 'count', '1')).to.deep.equal(['0', ['a1', '1', 'b1', '2', 'a2', '3']]);
      expect(h.run('hscan', 'h', '12345')).to.deep.equal(['0', ['a1', '1', 'b1', '2', 'a2', '3']]);
      expect(h.run('hscan', 'h', '0', 'MATCH', 'a*')).to.deep.equal(['0', ['a1', '1', 'a2', '3']]);
      expect(h.run('hscan', 'h', '0', 'match', '*', 'count', '2')).to.deep.equal(['0', ['a1', '1', 'b1', '2', 'a2', '3']]);
      expect(h.run('hscan', 'nokey', '0')).to.deep.equal(['0', []]);
    });

    it('argument errors: cursor first, options only for an existing hash', () => {
      h.run('hset', 'h', 'a', '1');
      expect(h.run('hscan', 'h', 'x')).to.deep.equal(err('ERR invalid cursor'));
      expect(h.run('hscan', 'h', ' 1')).to.deep.equal(err('ERR invalid cursor'));
      expect(h.run('hscan', 'h', '18446744073709551616')).to.deep.equal(err('ERR invalid cursor'));
      expect(h.run('hscan', 'h', '0', 'count', '0')).to.deep.equal(SYNTAX);
      expect(h.run('hscan', 'h', '0', 'count', '-1')).to.deep.equal(SYNTAX);
      expect(h.run('hscan', 'h', '0', 'count', 'x')).to.deep.equal(NOT_INT);
      expect(h.run('hscan', 'h', '0', 'count')).to.deep.equal(SYNTAX);
      expect(h.run('hscan', 'h', '0', 'match')).to.deep.equal(SYNTAX);
      expect(h.run('hscan', 'h', '0', 'type', 'string')).to.deep.equal(SYNTAX);
      expect(h.run('hscan', 'h', '0', 'novalues')).to.deep.equal(SYNTAX);
      expect(h.run('hscan', 'nokey', '0', 'count', 'x')).to.deep.equal(['0', []]);
      expect(h.run('hscan', 'nokey', 'x')).to.deep.equal(err('ERR invalid cursor'));
    });

    it('parses cursors like strtoul', () => {
      expect(parseScanCursor(Buffer.from(''))).to.equal(0n);
      expect(parseScanCursor(Buffer.from('+7'))).to.equal(7n);
      expect(parseScanCursor(Buffer.from('-1'))).to.equal(0xffffffffffffffffn);
      expect(parseScanCursor(Buffer.from('-0'))).to.equal(0n);
      expect(parseScanCursor(Buffer.from('18446744073709551615'))).to.equal(0xffffffffffffffffn);
      for (const bad of ['18446744073709551616', ' 1', '1 ', '+', '-', '1x', '0x1']) expect(parseScanCursor(Buffer.from(bad)), bad).to.equal(null);
    });

    /** A full scan from cursor 0; `between` runs after each step. */
    function fullScan(x: Harness, count: number, between: (step: number) => void = () => {}): { fields: string[]; steps: number } {
      const fields: string[] = [];
      let cursor = '0';
      let steps = 0;
      do {
        const [next, items] = x.run('hscan', 'h', cursor, 'count', count) as [string, string[]];
        expect(items.length).to.be.at.most(2 * count);
        for (let i = 0; i < items.length; i += 2) fields.push(items[i]);
        cursor = next;
        between(++steps);
      } while (cursor !== '0');
      return { fields, steps };
    }

    it('a hashtable hash is scanned in steps of COUNT, in order, each field once', () => {
      fill(h, 'h', 1000);
      expect(hashAt(h, 'h').encoding()).to.equal('hashtable');
      const { fields, steps } = fullScan(h, 100);
      expect(steps).to.equal(10);
      expect(fields).to.deep.equal(Array.from({ length: 1000 }, (_, i) => `f${i}`));
      const first = h.run('hscan', 'h', '0', 'count', '3') as [string, string[]];
      expect(first).to.deep.equal(['4', ['f0', 'v0', 'f1', 'v1', 'f2', 'v2']]);
      expect(h.run('hscan', 'h', '0', 'match', 'f1?', 'count', '20')).to.deep.equal(['21', ['f10', 'v10', 'f11', 'v11', 'f12', 'v12', 'f13', 'v13', 'f14', 'v14', 'f15', 'v15', 'f16', 'v16', 'f17', 'v17', 'f18', 'v18', 'f19', 'v19']]);
      expect(h.run('hscan', 'h', '999999', 'count', '5')).to.deep.equal(['0', []]);
      expect(h.run('hscan', 'h', '-1')).to.deep.equal(['0', []]);
    });

    it('returns every field present for the whole scan despite deletes, adds and updates between steps', () => {
      fill(h, 'h', 600);
      let added = 0;
      const { fields } = fullScan(h, 25, (step) => {
        // Delete some fields (already returned or not), update others, add new ones.
        h.run('hdel', 'h', `f${(step * 37) % 600}`, `f${(step * 53 + 7) % 600}`);
        h.run('hset', 'h', `f${(step * 11 + 3) % 600}`, 'updated', `new${added++}`, 'x');
      });
      const deleted = new Set<string>();
      for (let step = 1; step <= 100; step++) deleted.add(`f${(step * 37) % 600}`).add(`f${(step * 53 + 7) % 600}`);
      const got = new Set(fields);
      expect(got.size, 'no field twice').to.equal(fields.length);
      for (let i = 0; i < 600; i++) if (!deleted.has(`f${i}`)) expect(got.has(`f${i}`), `f${i}`).to.equal(true);
    });

    it('a cursor means the same on another node (no cached iterator): same replies', () => {
      const store = new Map<string, Buffer>();
      h.ks.trackChanges = true;
      fill(h, 'h', 500);
      h.run('hdel', 'h', 'f3', 'f250');
      persist(h.ks, store);
      const other = restore(store);
      let cursor = '0';
      do {
        const a = h.run('hscan', 'h', cursor, 'count', '33');
        // Jump cursors on the other node without ever walking it from 0.
        const b = other.run('hscan', 'h', cursor, 'count', '33');
        expect(b).to.deep.equal(a);
        cursor = (a as [string, string[]])[0];
      } while (cursor !== '0');
    });

    it('a full scan of a large hash is linear (cached iterators)', () => {
      fill(h, 'h', 200_000);
      const t0 = process.hrtime.bigint();
      const { fields } = fullScan(h, 10);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      expect(fields).to.have.length(200_000);
      // Quadratic (a walk from the start each step) would be ~2e9 steps.
      expect(ms).to.be.below(5000);
    });
  });

  describe('encoding', () => {
    it('listpack up to hash-max-listpack-entries, then hashtable for good', () => {
      fill(h, 'h', 128);
      expect(hashAt(h, 'h').encoding()).to.equal('listpack');
      h.run('hset', 'h', 'f0', 'update');
      expect(hashAt(h, 'h').encoding()).to.equal('listpack');
      h.run('hset', 'h', 'one-more', 'x');
      expect(hashAt(h, 'h').encoding()).to.equal('hashtable');
      h.run('hdel', 'h', 'one-more', 'f1', 'f2');
      expect(hashAt(h, 'h').encoding()).to.equal('hashtable');
      fill(h, 'h2', 129);
      expect(hashAt(h, 'h2').encoding()).to.equal('hashtable');
    });

    it('a field or value longer than hash-max-listpack-value converts', () => {
      const v64 = 'x'.repeat(64);
      const v65 = 'x'.repeat(65);
      h.run('hset', 'a', 'f', v64, v64, '1');
      expect(hashAt(h, 'a').encoding()).to.equal('listpack');
      h.run('hset', 'b', 'f', '1');
      h.run('hset', 'b', 'f', v65);
      expect(hashAt(h, 'b').encoding()).to.equal('hashtable');
      h.run('hset', 'c', v65, '1');
      expect(hashAt(h, 'c').encoding()).to.equal('hashtable');
      // HSETNX of an existing field writes nothing and converts nothing (Redis 7.0).
      h.run('hset', 'd', 'f', '1');
      h.run('hsetnx', 'd', 'f', v65);
      expect(hashAt(h, 'd').encoding()).to.equal('listpack');
      h.run('hsetnx', 'd', 'g', v65);
      expect(hashAt(h, 'd').encoding()).to.equal('hashtable');
      // HINCRBY with a long field name converts (hashTypeSet's own check).
      h.run('hset', 'e', 'f', '1');
      h.run('hincrby', 'e', v65, '1');
      expect(hashAt(h, 'e').encoding()).to.equal('hashtable');
      // Emptied and recreated: a new hash starts small again.
      h.run('hdel', 'b', 'f');
      h.run('hset', 'b', 'f', '1');
      expect(hashAt(h, 'b').encoding()).to.equal('listpack');
    });

    it('follows the configured thresholds', () => {
      encodingConfig['hash-max-listpack-entries'] = 2;
      encodingConfig['hash-max-listpack-value'] = 3;
      h.run('hset', 'h', 'a', '1', 'b', '2');
      expect(hashAt(h, 'h').encoding()).to.equal('listpack');
      h.run('hset', 'h', 'c', '3');
      expect(hashAt(h, 'h').encoding()).to.equal('hashtable');
      h.run('hset', 'v', 'a', '1234');
      expect(hashAt(h, 'v').encoding()).to.equal('hashtable');
    });

    it('a rebuilt hash takes its encoding from its content', () => {
      const store = new Map<string, Buffer>();
      h.ks.trackChanges = true;
      fill(h, 'shrunk', 200);
      for (let i = 0; i < 150; i++) h.run('hdel', 'shrunk', `f${i}`);
      fill(h, 'big', 200);
      h.run('hset', 'long', 'f', 'x'.repeat(100));
      persist(h.ks, store);
      expect(hashAt(h, 'shrunk').encoding()).to.equal('hashtable');
      const r = restore(store);
      expect(hashAt(r, 'shrunk').encoding()).to.equal('listpack');
      expect(hashAt(r, 'big').encoding()).to.equal('hashtable');
      expect(hashAt(r, 'long').encoding()).to.equal('hashtable');
    });
  });

  describe('bytes', () => {
    it('are kept incrementally and equal a recount', () => {
      h.run('hset', 'h', 'ab', 'cde', 'f', '');
      const c = hashAt(h, 'h');
      const base = c.bytes - (2 + 3 + 1 + 2 * HASH_FIELD_OVERHEAD);
      h.run('hset', 'h', 'ab', 'x');
      expect(c.bytes).to.equal(base + 2 + 1 + 1 + 2 * HASH_FIELD_OVERHEAD);
      h.run('hincrby', 'h', 'n', '100');
      h.run('hdel', 'h', 'f');
      expect(c.bytes).to.equal(base + 2 + 1 + 1 + 3 + 2 * HASH_FIELD_OVERHEAD);
      const before = h.ks.usedBytes;
      h.run('hset', 'h', 'new', 'value');
      expect(h.ks.usedBytes - before).to.equal(3 + 5 + HASH_FIELD_OVERHEAD);
    });
  });

  describe('persistence', () => {
    it('round-trips contents and order, then keeps round-tripping after more writes', () => {
      const store = new Map<string, Buffer>();
      h.ks.trackChanges = true;
      h.run('hset', 'h', 'z', '1', 'y', '2', Buffer.from([0, 0xff]), Buffer.from([1, 2]), 'x', '');
      h.run('hset', 'h', 'z', 'updated');
      h.run('hdel', 'h', 'y');
      h.run('hset', 'h', 'y', 'back');
      fill(h, 'big', 300);
      for (let i = 0; i < 300; i += 3) h.run('hdel', 'big', `f${i}`);
      h.run('hset', 'big', 'f0', 'readded');
      h.run('hset', 'gone', 'a', '1');
      persist(h.ks, store);
      h.run('hdel', 'gone', 'a');
      h.run('hset', 'h', 'w', '9');
      persist(h.ks, store);

      const r = restore(store);
      for (const key of ['h', 'big']) expect(getall(r, key), key).to.deep.equal(getall(h, key));
      expect(r.run('exists', 'gone')).to.equal(0);
      expect(r.ks.usedBytes).to.equal(h.ks.usedBytes);
      expect([...store.keys()].filter((k) => k.charCodeAt(0) === 0xfc)).to.have.length(5 + 201);

      // Both nodes apply the same writes from here: same order, same scan cursors, and the store keeps up.
      r.ks.trackChanges = true;
      r.index = h.index; // same log position: same key versions in the records
      for (const x of [h, r]) {
        x.run('hset', 'h', 'v', '8', 'z', 'again');
        x.run('hdel', 'h', 'x');
        x.run('hset', 'h', 'x', 'last');
        x.run('hincrbyfloat', 'big', 'f1', '1.5');
        x.run('hdel', 'big', 'f2');
      }
      expect(getall(r, 'h')).to.deep.equal(getall(h, 'h'));
      expect(getall(r, 'big')).to.deep.equal(getall(h, 'big'));
      expect(r.run('hscan', 'big', '50', 'count', '7')).to.deep.equal(h.run('hscan', 'big', '50', 'count', '7'));
      const store2 = new Map(store);
      persist(r.ks, store2);
      persist(h.ks, store);
      expect([...store2].sort()).to.deep.equal([...store].sort());
      const r2 = restore(store2, false);
      expect(getall(r2, 'h')).to.deep.equal(getall(h, 'h'));
      expect(getall(r2, 'big')).to.deep.equal(getall(h, 'big'));
    });

    it('the insertion counter survives a restore after its highest field was deleted', () => {
      const store = new Map<string, Buffer>();
      h.ks.trackChanges = true;
      fill(h, 'h', 200);
      h.run('hdel', 'h', 'f199', 'f198');
      persist(h.ks, store);
      const r = restore(store);
      for (const x of [h, r]) x.run('hset', 'h', 'new', '1');
      // The new field takes seq 201 on both nodes: same cursor for the same position.
      expect(r.run('hscan', 'h', '195', 'count', '5')).to.deep.equal(h.run('hscan', 'h', '195', 'count', '5'));
      for (const x of [h, r]) {
        // f0..f199 held seqs 1..200; f198 and f199 (199, 200) are gone and 'new' took 201.
        expect(x.run('hscan', 'h', '199', 'count', '5')).to.deep.equal(['0', ['new', '1']]);
        expect(x.run('hscan', 'h', '201', 'count', '5')).to.deep.equal(['0', ['new', '1']]);
        expect(x.run('hscan', 'h', '202', 'count', '5')).to.deep.equal(['0', []]);
      }
      // The marker record went away once a new field held the highest seq.
      persist(h.ks, store);
      expect(store.has(elementRecordKey(hashAt(h, 'h').id, 'f199').toString('latin1'))).to.equal(false);
      expect([...store.keys()].filter((k) => k.charCodeAt(0) === 0xfc)).to.have.length(199);
    });

    it('deleting the key deletes every element record, the marker included', () => {
      const store = new Map<string, Buffer>();
      h.ks.trackChanges = true;
      h.run('hset', 'h', 'a', '1', 'b', '2', 'c', '3');
      h.run('hdel', 'h', 'c');
      persist(h.ks, store);
      expect([...store.keys()].filter((k) => k.charCodeAt(0) === 0xfc)).to.have.length(3);
      h.run('del', 'h');
      persist(h.ks, store);
      expect([...store.keys()].filter((k) => k.charCodeAt(0) === 0xfc)).to.have.length(0);
      expect([...store.keys()].filter((k) => k.charCodeAt(0) !== META_DB && k.charCodeAt(0) !== 0xfc)).to.have.length(1); // the tombstone
    });

    it('an HSET into a 200,000-field hash drains exactly one element record', () => {
      const store = new Map<string, Buffer>();
      h.ks.trackChanges = true;
      fill(h, 'h', 200_000);
      expect(persist(h.ks, store)).to.equal(200_000);
      h.run('hset', 'h', 'one', 'more');
      expect(persist(h.ks, store)).to.equal(1);
      h.run('hset', 'h', 'f5', 'updated');
      expect(persist(h.ks, store)).to.equal(1);
      h.run('hdel', 'h', 'f7');
      expect(persist(h.ks, store)).to.equal(1);
      h.run('hincrby', 'h', 'n', '1');
      expect(persist(h.ks, store)).to.equal(1);
    });

    it('COPY gives an independent hash with the same order that persists on its own', () => {
      const store = new Map<string, Buffer>();
      h.ks.trackChanges = true;
      h.run('hset', 'h', 'c', '1', 'b', '2', 'a', '3');
      h.run('hdel', 'h', 'a');
      expect(h.run('copy', 'h', 'h2')).to.equal(1);
      h.run('hset', 'h', 'b', 'changed');
      expect(getall(h, 'h2')).to.deep.equal([
        ['c', '1'],
        ['b', '2'],
      ]);
      persist(h.ks, store);
      const r = restore(store);
      expect(getall(r, 'h2')).to.deep.equal(getall(h, 'h2'));
      expect(getall(r, 'h')).to.deep.equal(getall(h, 'h'));
    });
  });

  it('replies are Buffers (binary-safe), HGETALL a map', () => {
    h.run('hset', 'h', 'k', 'v');
    const r: Reply = h.raw('hgetall', 'h');
    expect(r).to.be.instanceOf(MapReply);
    expect(Buffer.isBuffer((h.raw('hget', 'h', 'k') as Buffer))).to.equal(true);
  });
});
