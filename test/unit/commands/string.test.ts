import { expect } from 'chai';
import { stringValue, type Value } from '../../../server/keyspace';
import { stringObjectEncoding } from '../../../server/commands/string-encoding';
import { command, argv, err, Harness, OK_ } from './helpers';

const NOT_INT = err('ERR value is not an integer or out of range');
const WRONGTYPE = err('WRONGTYPE Operation against a key holding the wrong kind of value');
const SYNTAX = err('ERR syntax error');

/** A key of another type (lists etc. do not exist yet) to exercise WRONGTYPE paths. */
function putList(h: Harness, key: string): void {
  h.ks.dbs[h.db].set(key, { type: 'list', value: Buffer.alloc(0) } as unknown as Value, ++h.index);
}

describe('string commands', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });

  describe('OBJECT ENCODING / REFCOUNT of strings follow the writer (answers of redis-server 7.0.15)', () => {
    /** "encoding/refcount" as OBJECT would answer for the key in the current db. */
    function enc(key: string): string {
      const v = h.ks.dbs[h.db].lookupRead(key, h.now);
      if (v === undefined || v.type !== 'string') throw new Error(`${key} is not a string`);
      const e = stringObjectEncoding(v);
      return `${e.encoding}/${e.shared ? 2147483647 : 1}`;
    }

    it('SET-like writers encode by the bytes (tryObjectEncoding), shared integers included', () => {
      h.run('set', 's', '5');
      expect(enc('s')).to.equal('int/2147483647');
      h.run('set', 'big', '123456');
      expect(enc('big')).to.equal('int/1');
      h.run('set', 'e', 'x'.repeat(44));
      expect(enc('e')).to.equal('embstr/1');
      h.run('getset', 'g', 'x'.repeat(45));
      expect(enc('g')).to.equal('raw/1');
      h.run('mset', 'm', '007');
      expect(enc('m')).to.equal('embstr/1');
      h.run('append', 'n', '12'); // APPEND creating the key: tryObjectEncoding too
      expect(enc('n')).to.equal('int/2147483647');
    });

    it('APPEND to an existing key, SETRANGE and the bit commands make it raw', () => {
      h.run('set', 'k', 'a');
      h.run('append', 'k', 'b');
      expect(enc('k')).to.equal('raw/1');
      h.run('set', 'n', '1');
      h.run('append', 'n', '');
      expect(enc('n')).to.equal('raw/1');
      h.run('set', 's', '5');
      h.run('setrange', 's', 0, '');
      expect(enc('s')).to.equal('int/2147483647'); // setting nothing leaves the value alone
      h.run('setrange', 's', 0, '7');
      expect(enc('s')).to.equal('raw/1');
      h.run('setrange', 'new', 0, '1');
      expect(enc('new')).to.equal('raw/1');
      h.run('setbit', 'b', 1, 1);
      expect(enc('b')).to.equal('raw/1');
      h.run('set', 'b2', '5');
      h.run('bitfield', 'b2', 'GET', 'u8', 0);
      expect(enc('b2')).to.equal('int/2147483647');
      h.run('bitfield', 'b2', 'SET', 'u8', 0, 53);
      expect(enc('b2')).to.equal('raw/1');
      h.run('set', 'm', '5');
      h.run('bitop', 'OR', 'm2', 'm');
      expect(enc('m2')).to.equal('raw/1');
    });

    it('INCRBYFLOAT creates embstr (raw past 44 bytes); INCR results are ints', () => {
      h.run('incrbyfloat', 'f', '1');
      expect(h.run('get', 'f')).to.equal('1');
      expect(enc('f')).to.equal('embstr/1');
      h.run('incr', 'f');
      expect(enc('f')).to.equal('int/2147483647');
      h.run('incrby', 'c', 20000);
      expect(enc('c')).to.equal('int/1');
      h.run('incrby', 'c', -19999);
      expect(enc('c')).to.equal('int/2147483647');
      h.run('set', 'r', '1');
      h.run('append', 'r', '2');
      h.run('incr', 'r');
      expect(enc('r')).to.equal('int/2147483647');
    });

    it('COPY duplicates the encoding but never shares an integer; RENAME keeps the object', () => {
      h.run('set', 'i', '123');
      h.run('copy', 'i', 'j');
      expect(enc('i')).to.equal('int/2147483647');
      expect(enc('j')).to.equal('int/1');
      h.run('set', 'x', '1');
      h.run('append', 'x', '2');
      h.run('rename', 'x', 'y');
      expect(enc('y')).to.equal('raw/1');
      h.run('copy', 'y', 'z');
      expect(enc('z')).to.equal('raw/1');
      h.run('incrbyfloat', 'f', '1');
      h.run('copy', 'f', 'f2');
      expect(enc('f2')).to.equal('embstr/1');
      h.run('move', 'j', 1);
      h.db = 1;
      expect(enc('j')).to.equal('int/1');
    });

    it('is not persisted: a restored value is encoded by its bytes, as Redis re-encodes on RDB load', () => {
      h.ks.trackChanges = true;
      h.run('set', 'k', '1');
      h.run('append', 'k', '2');
      h.run('set', 'i', '5');
      h.run('copy', 'i', 'j');
      const r = new Harness();
      for (const c of h.ks.drainChanges()) {
        if (!('db' in c)) continue;
        const rec = h.ks.encodeRecord(c.db, c.key);
        if (rec) r.ks.applyRecord(rec.key, rec.value);
      }
      r.ks.finishRestore();
      h = r;
      expect(enc('k')).to.equal('int/2147483647');
      expect(enc('j')).to.equal('int/2147483647');
    });
  });

  describe('GET / SET', () => {
    it('sets and gets binary values; GET of a missing key is nil', () => {
      expect(h.run('get', 'k')).to.equal(null);
      expect(h.run('set', 'k', Buffer.from([0, 255, 10]))).to.deep.equal(OK_);
      expect(h.run('get', 'k')).to.equal('\x00\xff\n');
      putList(h, 'l');
      expect(h.run('get', 'l')).to.deep.equal(WRONGTYPE);
    });

    it('does not keep a reference to the argument buffer', () => {
      const value = Buffer.from('abc');
      const c = command('set');
      c.exec(h.ctx(true), argv('set', 'k', value));
      value.fill(0x7a);
      expect(h.run('get', 'k')).to.equal('abc');
    });

    it('NX / XX / GET in any order and case', () => {
      expect(h.run('set', 'k', 'v1', 'xx')).to.equal(null);
      expect(h.run('exists', 'k')).to.equal(0);
      expect(h.run('set', 'k', 'v1', 'nx')).to.deep.equal(OK_);
      expect(h.run('set', 'k', 'v2', 'NX')).to.equal(null);
      expect(h.run('set', 'k', 'v2', 'Xx')).to.deep.equal(OK_);
      expect(h.run('set', 'k', 'v3', 'GET')).to.equal('v2');
      expect(h.run('set', 'k', 'v4', 'nx', 'get')).to.equal('v3'); // not set: reply is the old value
      expect(h.run('get', 'k')).to.equal('v3');
      expect(h.run('set', 'new', 'x', 'get', 'xx')).to.equal(null);
      expect(h.run('exists', 'new')).to.equal(0);
      expect(h.run('set', 'new', 'x', 'GET')).to.equal(null);
      expect(h.run('set', 'k', 'v', 'nx', 'nx')).to.equal(null); // repeats are allowed
      putList(h, 'l');
      expect(h.run('set', 'l', 'x', 'GET')).to.deep.equal(WRONGTYPE);
      expect(h.run('set', 'l', 'x')).to.deep.equal(OK_); // plain SET ignores the type
    });

    it('rejects bad option combinations with Redis errors', () => {
      const bad: Array<Array<string | number>> = [
        ['NX', 'XX'],
        ['XX', 'NX'],
        ['EX', 10, 'PX', 10],
        ['PX', 10, 'EXAT', 10],
        ['EX', 10, 'KEEPTTL'],
        ['KEEPTTL', 'EX', 10],
        ['EX'],
        ['PERSIST'],
        ['FOO'],
        ['NXX'],
      ];
      for (const opts of bad) expect(h.run('set', 'k', 'v', ...opts), opts.join(' ')).to.deep.equal(SYNTAX);
      expect(h.run('set', 'k', 'v', 'EX', 0)).to.deep.equal(err("ERR invalid expire time in 'set' command"));
      expect(h.run('set', 'k', 'v', 'PX', -5)).to.deep.equal(err("ERR invalid expire time in 'set' command"));
      expect(h.run('set', 'k', 'v', 'EX', 'ten')).to.deep.equal(NOT_INT);
      expect(h.run('set', 'k', 'v', 'EX', '9223372036854776')).to.deep.equal(err("ERR invalid expire time in 'set' command"));
      expect(h.run('set', 'k', 'v', 'PX', '9223372036854775807')).to.deep.equal(err("ERR invalid expire time in 'set' command"));
      expect(h.run('exists', 'k')).to.equal(0);
      expect(command('set').check!(argv('set', 'k', 'v', 'EX', 0))).to.not.equal(null);
      expect(command('set').check!(argv('set', 'k', 'v', 'EX', 10, 'NX', 'GET'))).to.equal(null);
    });

    it('EX / PX / EXAT / PXAT / KEEPTTL', () => {
      h.run('set', 'k', 'v', 'EX', 100);
      expect(h.run('ttl', 'k')).to.equal(100);
      h.run('set', 'k', 'v', 'px', 1500);
      expect(h.run('pttl', 'k')).to.equal(1500);
      h.run('set', 'k', 'v', 'EXAT', Math.floor(h.now / 1000) + 50);
      expect(h.run('expiretime', 'k')).to.equal(Math.floor(h.now / 1000) + 50);
      h.run('set', 'k', 'v', 'PXAT', h.now + 777);
      expect(h.run('pexpiretime', 'k')).to.equal(h.now + 777);
      h.run('set', 'k', 'v2', 'KEEPTTL');
      expect(h.run('pttl', 'k')).to.equal(777);
      h.run('set', 'k', 'v3');
      expect(h.run('ttl', 'k')).to.equal(-1);
      h.run('set', 'k', 'v', 'EX', 10, 'EX', 20); // the last one wins
      expect(h.run('ttl', 'k')).to.equal(20);
      expect(h.run('set', 'k', 'v', 'EXAT', '9223372036854775')).to.deep.equal(OK_);
      expect(h.run('set', 'k', 'v', 'PXAT', h.now - 1)).to.deep.equal(OK_); // already expired: key gone
      expect(h.run('exists', 'k')).to.equal(0);
    });

    it('a deadline equal to now is expired', () => {
      h.run('set', 'k', 'v', 'PX', 100);
      h.now += 99;
      expect(h.run('get', 'k')).to.equal('v');
      expect(h.run('pttl', 'k')).to.equal(1);
      h.now += 1;
      expect(h.run('get', 'k')).to.equal(null);
      expect(h.run('ttl', 'k')).to.equal(-2);
    });
  });

  describe('deterministic rewrite of relative TTLs', () => {
    it('SET EX is logged as PXAT, so applying it later gives the same deadline', () => {
      const a = argv('set', 'k', 'v', 'NX', 'EX', 10, 'GET');
      const logged = command('set').rewrite!(a, h.now);
      expect(logged.map(String)).to.deep.equal(['set', 'k', 'v', 'NX', 'GET', 'PXAT', String(h.now + 10000)]);
      const proposedAt = h.now;
      h.now += 5000; // applied 5 s later (e.g. a slow follower replaying the log)
      expect(h.exec(...logged)).to.equal(null);
      expect(h.run('pexpiretime', 'k')).to.equal(proposedAt + 10000);
    });

    it('SETEX / PSETEX become SET ... PXAT; GETEX EX becomes PXAT', () => {
      const t = h.now;
      expect(command('setex').rewrite!(argv('setex', 'k', 10, 'v'), t).map(String)).to.deep.equal([
        'SET', 'k', 'v', 'PXAT', String(t + 10000),
      ]);
      expect(command('psetex').rewrite!(argv('psetex', 'k', 10, 'v'), t).map(String)).to.deep.equal([
        'SET', 'k', 'v', 'PXAT', String(t + 10),
      ]);
      expect(command('getex').rewrite!(argv('getex', 'k', 'px', 10), t).map(String)).to.deep.equal(['getex', 'k', 'PXAT', String(t + 10)]);
      // Repeated options: the last wins and earlier ones are dropped.
      expect(command('set').rewrite!(argv('set', 'k', 'v', 'EX', 1, 'get', 'ex', 2), t).map(String)).to.deep.equal([
        'set', 'k', 'v', 'get', 'PXAT', String(t + 2000),
      ]);
      expect(command('set').rewrite!(argv('set', 'k', 'v', 'PXAT', 5), t).map(String)).to.deep.equal(['set', 'k', 'v', 'PXAT', '5']);
      expect(command('getex').rewrite!(argv('getex', 'k', 'persist'), t).map(String)).to.deep.equal(['getex', 'k', 'persist']);
      // Invalid input is left alone: exec reports it.
      expect(command('setex').rewrite!(argv('setex', 'k', 0, 'v'), t).map(String)).to.deep.equal(['setex', 'k', '0', 'v']);
      expect(command('set').rewrite!(argv('set', 'k', 'v', 'EXAT', 5), t).map(String)).to.deep.equal(['set', 'k', 'v', 'PXAT', '5000']);
    });
  });

  describe('SETNX / SETEX / PSETEX / GETSET / GETDEL', () => {
    it('SETNX', () => {
      expect(h.run('setnx', 'k', 'a')).to.equal(1);
      expect(h.run('setnx', 'k', 'b')).to.equal(0);
      expect(h.run('get', 'k')).to.equal('a');
      h.run('set', 'e', 'x', 'PX', 5);
      h.now += 5;
      expect(h.run('setnx', 'e', 'y')).to.equal(1); // expired counts as absent
    });

    it('SETEX / PSETEX', () => {
      expect(h.run('setex', 'k', 10, 'v')).to.deep.equal(OK_);
      expect(h.run('ttl', 'k')).to.equal(10);
      expect(h.run('psetex', 'k', 1234, 'v')).to.deep.equal(OK_);
      expect(h.run('pttl', 'k')).to.equal(1234);
      expect(h.run('setex', 'k', 0, 'v')).to.deep.equal(err("ERR invalid expire time in 'setex' command"));
      expect(h.run('psetex', 'k', -1, 'v')).to.deep.equal(err("ERR invalid expire time in 'psetex' command"));
      expect(h.run('setex', 'k', 'x', 'v')).to.deep.equal(NOT_INT);
      expect(h.exec('setex', 'k', 0, 'v')).to.deep.equal(err("ERR invalid expire time in 'setex' command"));
    });

    it('GETSET returns the old value and clears the TTL', () => {
      expect(h.run('getset', 'k', 'a')).to.equal(null);
      h.run('expire', 'k', 100);
      expect(h.run('getset', 'k', 'b')).to.equal('a');
      expect(h.run('ttl', 'k')).to.equal(-1);
      putList(h, 'l');
      expect(h.run('getset', 'l', 'x')).to.deep.equal(WRONGTYPE);
    });

    it('GETDEL', () => {
      h.run('set', 'k', 'v');
      expect(h.run('getdel', 'k')).to.equal('v');
      expect(h.run('getdel', 'k')).to.equal(null);
      expect(h.run('exists', 'k')).to.equal(0);
      putList(h, 'l');
      expect(h.run('getdel', 'l')).to.deep.equal(WRONGTYPE);
    });
  });

  describe('GETEX', () => {
    it('reads, sets or removes the TTL', () => {
      expect(h.run('getex', 'k')).to.equal(null);
      h.run('set', 'k', 'v');
      expect(h.run('getex', 'k')).to.equal('v');
      expect(h.run('ttl', 'k')).to.equal(-1);
      expect(h.run('getex', 'k', 'EX', 100)).to.equal('v');
      expect(h.run('ttl', 'k')).to.equal(100);
      expect(h.run('getex', 'k', 'PERSIST')).to.equal('v');
      expect(h.run('ttl', 'k')).to.equal(-1);
      expect(h.run('getex', 'k', 'PXAT', h.now)).to.equal('v'); // deadline now: deleted
      expect(h.run('exists', 'k')).to.equal(0);
    });

    it('validates like Redis: syntax first, the expiry value only for an existing key', () => {
      expect(h.run('getex', 'k', 'EX', 10, 'PERSIST')).to.deep.equal(SYNTAX);
      expect(h.run('getex', 'k', 'NX')).to.deep.equal(SYNTAX);
      expect(h.run('getex', 'k', 'KEEPTTL')).to.deep.equal(SYNTAX);
      expect(h.run('getex', 'k', 'EX', -1)).to.equal(null);
      h.run('set', 'k', 'v');
      expect(h.run('getex', 'k', 'EX', -1)).to.deep.equal(err("ERR invalid expire time in 'getex' command"));
      expect(h.run('getex', 'k', 'EX', 'x')).to.deep.equal(NOT_INT);
      putList(h, 'l');
      expect(h.run('getex', 'l')).to.deep.equal(WRONGTYPE);
    });
  });

  describe('MGET / MSET / MSETNX', () => {
    it('MGET returns nil for missing keys and other types', () => {
      h.run('set', 'a', '1');
      putList(h, 'l');
      expect(h.run('mget', 'a', 'missing', 'l', 'a')).to.deep.equal(['1', null, null, '1']);
    });

    it('MSET sets all, clears TTLs, needs pairs', () => {
      h.run('set', 'a', 'old', 'EX', 10);
      expect(h.run('mset', 'a', '1', 'b', '2')).to.deep.equal(OK_);
      expect(h.run('mget', 'a', 'b')).to.deep.equal(['1', '2']);
      expect(h.run('ttl', 'a')).to.equal(-1);
      expect(h.run('mset', 'a', '1', 'b')).to.deep.equal(err("ERR wrong number of arguments for 'mset' command"));
      expect(h.run('mset', 'a')).to.deep.equal(err("ERR wrong number of arguments for 'mset' command"));
    });

    it('MSETNX sets nothing if any key exists', () => {
      expect(h.run('msetnx', 'a', '1', 'b', '2')).to.equal(1);
      expect(h.run('msetnx', 'c', '3', 'b', '9')).to.equal(0);
      expect(h.run('exists', 'c')).to.equal(0);
      expect(h.run('get', 'b')).to.equal('2');
      expect(h.run('msetnx', 'x', '1', 'y')).to.deep.equal(err("ERR wrong number of arguments for 'msetnx' command"));
    });
  });

  describe('APPEND / STRLEN / GETRANGE / SETRANGE', () => {
    it('APPEND creates, appends, keeps the TTL, and never changes bytes already returned', () => {
      expect(h.run('append', 'k', 'Hello')).to.equal(5);
      h.run('expire', 'k', 100);
      const before = h.raw('get', 'k') as Buffer;
      expect(h.run('append', 'k', ' World')).to.equal(11);
      expect(h.run('get', 'k')).to.equal('Hello World');
      expect(h.run('ttl', 'k')).to.equal(100);
      let expected = 'Hello World';
      const views: Array<[Buffer, string]> = [];
      for (let i = 0; i < 200; i++) {
        const piece = `-${i}`;
        expected += piece;
        expect(h.run('append', 'k', piece)).to.equal(expected.length);
        views.push([h.raw('get', 'k') as Buffer, expected]);
      }
      expect(before.toString()).to.equal('Hello');
      for (const [view, text] of views) expect(view.toString()).to.equal(text);
      putList(h, 'l');
      expect(h.run('append', 'l', 'x')).to.deep.equal(WRONGTYPE);
    });

    it('a COPY of an appended string does not share its spare capacity', () => {
      h.run('append', 'k', 'aaaa');
      h.run('append', 'k', 'bbbb');
      h.run('copy', 'k', 'c');
      h.run('append', 'k', 'XX');
      h.run('append', 'c', 'YY');
      expect(h.run('get', 'k')).to.equal('aaaabbbbXX');
      expect(h.run('get', 'c')).to.equal('aaaabbbbYY');
    });

    it('STRLEN', () => {
      expect(h.run('strlen', 'k')).to.equal(0);
      h.run('set', 'k', 'hello');
      expect(h.run('strlen', 'k')).to.equal(5);
      putList(h, 'l');
      expect(h.run('strlen', 'l')).to.deep.equal(WRONGTYPE);
    });

    it('GETRANGE / SUBSTR with Redis index rules', () => {
      h.run('set', 'k', 'This is a string');
      const cases: Array<[number | string, number | string, string]> = [
        [0, 3, 'This'],
        [-3, -1, 'ing'],
        [0, -1, 'This is a string'],
        [10, 100, 'string'],
        [-1, -5, ''],
        [5, 3, ''],
        [-100, 3, 'This'],
        [100, 200, ''],
        ['-9223372036854775808', '9223372036854775807', 'This is a string'],
      ];
      for (const [s, e, out] of cases) {
        expect(h.run('getrange', 'k', s, e), `${s} ${e}`).to.equal(out);
        expect(h.run('substr', 'k', s, e)).to.equal(out);
      }
      expect(h.run('getrange', 'missing', 0, -1)).to.equal('');
      h.run('set', 'n', 1234);
      expect(h.run('getrange', 'n', 0, 2)).to.equal('123');
      expect(h.run('getrange', 'k', 'a', 1)).to.deep.equal(NOT_INT);
      h.run('set', 'e', '');
      expect(h.run('getrange', 'e', 0, -1)).to.equal('');
    });

    it('SETRANGE pads with zeros, keeps the TTL, checks offsets and the size limit', () => {
      expect(h.run('setrange', 'k', 0, '')).to.equal(0);
      expect(h.run('exists', 'k')).to.equal(0);
      expect(h.run('setrange', 'k', 1, 'foo')).to.equal(4);
      expect(h.run('get', 'k')).to.equal('\x00foo');
      h.run('set', 'k', 'foo', 'EX', 100);
      expect(h.run('setrange', 'k', 0, 'b')).to.equal(3);
      expect(h.run('get', 'k')).to.equal('boo');
      expect(h.run('setrange', 'k', 0, '')).to.equal(3);
      expect(h.run('setrange', 'k', 4, 'bar')).to.equal(7);
      expect(h.run('get', 'k')).to.equal('boo\x00bar');
      expect(h.run('ttl', 'k')).to.equal(100);
      expect(h.run('setrange', 'k', -1, 'x')).to.deep.equal(err('ERR offset is out of range'));
      expect(h.run('setrange', 'k', 'x', 'x')).to.deep.equal(NOT_INT);
      const tooLong = err('ERR string exceeds maximum allowed size (proto-max-bulk-len)');
      expect(h.run('setrange', 'k', 536870912, 'x')).to.deep.equal(tooLong);
      expect(h.run('setrange', 'k', 536870911, 'xy')).to.deep.equal(tooLong);
      expect(h.run('setrange', 'big', 536870912, 'x')).to.deep.equal(tooLong);
      putList(h, 'l');
      expect(h.run('setrange', 'l', 0, 'x')).to.deep.equal(WRONGTYPE);
    });
  });

  describe('INCR family', () => {
    it('INCR / DECR / INCRBY / DECRBY', () => {
      expect(h.run('incr', 'n')).to.equal(1);
      expect(h.run('incrby', 'n', 10)).to.equal(11);
      expect(h.run('decr', 'n')).to.equal(10);
      expect(h.run('decrby', 'n', 20)).to.equal(-10);
      expect(h.run('get', 'n')).to.equal('-10');
      expect(h.run('incrby', 'n', 'x')).to.deep.equal(NOT_INT);
      expect(h.run('decrby', 'n', '1.5')).to.deep.equal(NOT_INT);
    });

    it('is exact over the whole int64 range', () => {
      h.run('set', 'n', '9223372036854775806');
      expect(h.run('incr', 'n')).to.equal(9223372036854775807n);
      expect(h.run('incr', 'n')).to.deep.equal(err('ERR increment or decrement would overflow'));
      expect(h.run('get', 'n')).to.equal('9223372036854775807');
      expect(h.run('incrby', 'm', '-9223372036854775808')).to.equal(-9223372036854775808n);
      expect(h.run('decr', 'm')).to.deep.equal(err('ERR increment or decrement would overflow'));
      expect(h.run('incrby', 'm', '9223372036854775807')).to.equal(-1);
      expect(h.run('decrby', 'm', '-9223372036854775808')).to.deep.equal(err('ERR decrement would overflow'));
      h.run('set', 's', '9007199254740991');
      expect(h.run('incr', 's')).to.equal(9007199254740992n);
      expect(h.run('incr', 's')).to.equal(9007199254740993n);
      expect(h.run('get', 's')).to.equal('9007199254740993');
      expect(h.run('decrby', 's', 2)).to.equal(9007199254740991);
    });

    it('rejects values that are not canonical integers', () => {
      for (const bad of [' 11', '11 ', ' 11 ', '+1', '01', '1.5', 'abc', '', '9223372036854775808']) {
        h.run('set', 'n', bad);
        expect(h.run('incr', 'n'), JSON.stringify(bad)).to.deep.equal(NOT_INT);
      }
      putList(h, 'l');
      expect(h.run('incr', 'l')).to.deep.equal(WRONGTYPE);
    });

    it('keeps the TTL', () => {
      h.run('set', 'n', '1', 'EX', 100);
      h.run('incr', 'n');
      expect(h.run('ttl', 'n')).to.equal(100);
    });

    it('INCRBYFLOAT formats like Redis and rejects bad input', () => {
      h.run('set', 'k', '10.50');
      expect(h.run('incrbyfloat', 'k', '0.1')).to.equal('10.6');
      expect(h.run('incrbyfloat', 'k', '-5')).to.equal('5.6');
      h.run('set', 'k', '5.0e3');
      expect(h.run('incrbyfloat', 'k', '2.0e2')).to.equal('5200');
      expect(h.run('incrbyfloat', 'new', 1)).to.equal('1');
      expect(h.run('incrbyfloat', 'new', 0.25)).to.equal('1.25');
      h.run('set', 'big', '17179869184');
      expect(h.run('incrbyfloat', 'big', '1.5')).to.equal('17179869185.5');
      h.run('set', 'one', '1');
      expect(h.run('incrbyfloat', 'one', '-1.1')).to.equal('-0.1');
      expect(h.run('incrbyfloat', 'z', String(1 / 41))).to.equal('0.02439024390243902'); // 17 digits after the point (redis-server 7.0.15)
      expect(h.run('incrbyfloat', 'z', String(-1 / 41))).to.equal('0');
      expect(h.run('get', 'z')).to.equal('0');
      expect(h.run('incrbyfloat', 'k', '+inf')).to.deep.equal(err('ERR increment would produce NaN or Infinity'));
      expect(h.run('incrbyfloat', 'k', 'abc')).to.deep.equal(err('ERR value is not a valid float'));
      h.run('set', 's', ' 11');
      expect(h.run('incrbyfloat', 's', 1)).to.deep.equal(err('ERR value is not a valid float'));
      h.run('set', 'nul', '1');
      h.run('setrange', 'nul', 2, '2');
      expect(h.run('incrbyfloat', 'nul', 1)).to.deep.equal(err('ERR value is not a valid float'));
      h.run('set', 't', '1', 'EX', 100);
      h.run('incrbyfloat', 't', '1.5');
      expect(h.run('ttl', 't')).to.equal(100);
      putList(h, 'l');
      expect(h.exec('incrbyfloat', 'l', 1)).to.deep.equal(WRONGTYPE);
    });
  });

  it('exec never throws, even when called with too few arguments', () => {
    for (const name of ['get', 'set', 'setex', 'getrange', 'incrby', 'mset', 'getex', 'setrange']) {
      const c = command(name);
      expect(c.exec(h.ctx(true), argv(name))).to.deep.include({ message: `ERR wrong number of arguments for '${name}' command` });
    }
    expect(stringValue(Buffer.from('x')).type).to.equal('string');
  });
});
