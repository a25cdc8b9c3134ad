import { expect } from 'chai';
import { stringValue, type StringValue, type Value } from '../../../server/keyspace';
import { dataCommands } from '../../../server/commands/index';
import { command, argv, err, Harness, OK_ } from './helpers';

const NOT_INT = err('ERR value is not an integer or out of range');
const SYNTAX = err('ERR syntax error');

describe('key commands', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });

  describe('DEL / UNLINK / EXISTS / TOUCH / TYPE', () => {
    it('DEL counts deleted keys; expired keys do not count', () => {
      h.run('mset', 'a', 1, 'b', 2, 'c', 3);
      h.run('set', 'e', 1, 'PX', 10);
      h.now += 10;
      expect(h.run('del', 'a', 'b', 'missing', 'a', 'e')).to.equal(2);
      expect(h.run('unlink', 'c', 'c')).to.equal(1);
      expect(h.ks.dbs[0].size()).to.equal(0);
    });

    it('EXISTS counts repeats; TOUCH counts existing keys', () => {
      h.run('set', 'a', 1);
      expect(h.run('exists', 'a', 'a', 'b')).to.equal(2);
      expect(h.run('touch', 'a', 'b', 'a')).to.equal(2);
    });

    it('TYPE answers a status reply, none when absent', () => {
      h.run('set', 'a', 1);
      expect(h.run('type', 'a')).to.deep.equal({ status: 'string' });
      expect(h.run('type', 'b')).to.deep.equal({ status: 'none' });
      h.ks.dbs[0].set('l', { type: 'list' } as unknown as Value, 99);
      expect(h.run('type', 'l')).to.deep.equal({ status: 'list' });
    });
  });

  describe('EXPIRE family', () => {
    it('deadlines past 2^53 ms are exact int64 in every reply, like Redis (checked against redis-server 7.0.15)', () => {
      const MAX = 9223372036854775807n;
      h.run('set', 'e', 'v');
      expect(h.run('pexpireat', 'e', MAX.toString())).to.equal(1);
      expect(h.run('pexpiretime', 'e')).to.equal(MAX);
      expect(h.run('expiretime', 'e')).to.equal(9223372036854776n); // (ms + 500) / 1000 without overflow
      expect(h.run('pttl', 'e')).to.equal(MAX - BigInt(h.now));
      expect(h.run('ttl', 'e')).to.equal((MAX - BigInt(h.now) + 500n) / 1000n);
      // GT/LT compare exactly (both round to 2^63 as doubles).
      expect(h.run('pexpireat', 'e', '9223372036854775806', 'GT')).to.equal(0);
      expect(h.run('pexpireat', 'e', '9223372036854775806', 'LT')).to.equal(1);
      expect(h.run('pexpiretime', 'e')).to.equal(9223372036854775806n);
      expect(h.run('pexpireat', 'e', '9223372036854775308')).to.equal(1);
      expect(h.run('expiretime', 'e')).to.equal(9223372036854775n);
      h.run('set', 'f', 'v', 'PXAT', '9007199254740993');
      expect(h.run('pexpiretime', 'f')).to.equal(9007199254740993n);
      // A repeated PXAT: the last wins, and the rewritten log entry carries it exactly.
      expect(h.run('set', 'q', 'v', 'PXAT', '4102444800000', 'PXAT', MAX.toString())).to.deep.equal(OK_);
      expect(h.run('pexpiretime', 'q')).to.equal(MAX);
      expect(h.run('getex', 'q', 'PXAT', '4102444800000', 'PXAT', '9223372036854775000')).to.equal('v');
      expect(h.run('pexpiretime', 'q')).to.equal(9223372036854775000n);
      expect(h.run('expireat', 'q', '9223372036854775')).to.equal(1);
      expect(h.run('pexpiretime', 'q')).to.equal(9223372036854775000n);
      // Carried along exactly by COPY / RENAME / MOVE; PERSIST and SET clear it.
      expect(h.run('copy', 'q', 'q2')).to.equal(1);
      expect(h.run('rename', 'q2', 'q3')).to.deep.equal(OK_);
      expect(h.run('move', 'q3', 1)).to.equal(1);
      h.db = 1;
      expect(h.run('pexpiretime', 'q3')).to.equal(9223372036854775000n);
      h.db = 0;
      expect(h.run('persist', 'q')).to.equal(1);
      expect(h.run('pexpiretime', 'q')).to.equal(-1);
      h.run('pexpireat', 'q', MAX.toString());
      h.run('set', 'q', 'w');
      expect(h.run('pttl', 'q')).to.equal(-1);
      // Ordinary deadlines stay numbers.
      h.run('pexpireat', 'q', h.now + 5000);
      expect(h.run('pexpiretime', 'q')).to.equal(h.now + 5000);
    });

    it('exact deadlines survive the durable record round trip; old-format records still load', () => {
      h.ks.trackChanges = true;
      h.run('set', 'big', 'v', 'PXAT', '9223372036854775807');
      h.run('rpush', 'list', 'a');
      h.run('pexpireat', 'list', '9007199254740993');
      h.run('set', 'small', 'v', 'PXAT', h.now + 1000);
      const store = new Map<string, Buffer>();
      for (const c of h.ks.drainChanges()) {
        if ('db' in c) {
          const r = h.ks.encodeRecord(c.db, c.key);
          if (r) store.set(r.key.toString('latin1'), r.value);
        }
      }
      h.ks.drainElementRecords((k, v) => {
        if (v) store.set(k.toString('latin1'), v);
      });
      // The plain record (number deadline) keeps the old layout: type, f64 deadline, f64 version, bytes.
      const small = store.get('\x00small');
      expect(small?.[0]).to.equal(1);
      expect(small?.readDoubleBE(1)).to.equal(h.now + 1000);
      expect(small?.subarray(17).toString()).to.equal('v');
      const r = new Harness();
      r.now = h.now;
      for (const [k, v] of store) r.ks.applyRecord(Buffer.from(k, 'latin1'), v);
      r.ks.finishRestore();
      expect(r.run('pexpiretime', 'big')).to.equal(9223372036854775807n);
      expect(r.run('get', 'big')).to.equal('v');
      expect(r.run('pexpiretime', 'list')).to.equal(9007199254740993n);
      expect(r.run('lrange', 'list', 0, -1)).to.deep.equal(['a']);
      expect(r.run('pexpiretime', 'small')).to.equal(h.now + 1000);
    });

    it('sets deadlines in seconds and milliseconds, relative and absolute', () => {
      h.run('set', 'k', 'v');
      expect(h.run('expire', 'k', 100)).to.equal(1);
      expect(h.run('pttl', 'k')).to.equal(100000);
      expect(h.run('pexpire', 'k', 1500)).to.equal(1);
      expect(h.run('pttl', 'k')).to.equal(1500);
      expect(h.run('ttl', 'k')).to.equal(2); // (1500 + 500) / 1000, rounded like Redis
      expect(h.run('expireat', 'k', Math.floor(h.now / 1000) + 60)).to.equal(1);
      expect(h.run('expiretime', 'k')).to.equal(Math.floor(h.now / 1000) + 60);
      expect(h.run('pexpireat', 'k', h.now + 1234)).to.equal(1);
      expect(h.run('pexpiretime', 'k')).to.equal(h.now + 1234);
      expect(h.run('expire', 'missing', 100)).to.equal(0);
    });

    it('a past deadline deletes the key and answers 1', () => {
      h.run('set', 'a', 'v');
      h.run('set', 'b', 'v');
      h.run('set', 'c', 'v');
      expect(h.run('expire', 'a', -1)).to.equal(1);
      expect(h.run('pexpireat', 'b', h.now)).to.equal(1);
      expect(h.run('expireat', 'c', 0)).to.equal(1);
      expect(h.run('exists', 'a', 'b', 'c')).to.equal(0);
      expect(h.ks.dbs[0].size()).to.equal(0);
    });

    it('NX / XX / GT / LT follow Redis 7 (no TTL counts as infinite)', () => {
      h.run('set', 'k', 'v');
      expect(h.run('expire', 'k', 100, 'XX')).to.equal(0);
      expect(h.run('expire', 'k', 100, 'GT')).to.equal(0);
      expect(h.run('expire', 'k', 100, 'LT')).to.equal(1);
      expect(h.run('expire', 'k', 200, 'NX')).to.equal(0);
      expect(h.run('expire', 'k', 200, 'xx')).to.equal(1);
      expect(h.run('expire', 'k', 100, 'gt')).to.equal(0);
      expect(h.run('expire', 'k', 300, 'GT')).to.equal(1);
      expect(h.run('expire', 'k', 300, 'LT')).to.equal(0);
      expect(h.run('expire', 'k', 50, 'LT', 'XX')).to.equal(1);
      expect(h.run('ttl', 'k')).to.equal(50);
      h.run('persist', 'k');
      expect(h.run('expire', 'k', 10, 'NX')).to.equal(1);
    });

    it('rejects bad options and overflow with Redis errors', () => {
      h.run('set', 'k', 'v');
      expect(h.run('expire', 'k', 10, 'NX', 'XX')).to.deep.equal(err('ERR NX and XX, GT or LT options at the same time are not compatible'));
      expect(h.run('expire', 'k', 10, 'NX', 'GT')).to.deep.equal(err('ERR NX and XX, GT or LT options at the same time are not compatible'));
      expect(h.run('expire', 'k', 10, 'GT', 'LT')).to.deep.equal(err('ERR GT and LT options at the same time are not compatible'));
      expect(h.run('expire', 'k', 10, 'FOO')).to.deep.equal(err('ERR Unsupported option FOO'));
      expect(h.run('expire', 'k', 'abc')).to.deep.equal(NOT_INT);
      expect(h.run('expire', 'k', 'abc', 'FOO')).to.deep.equal(err('ERR Unsupported option FOO')); // options first
      expect(h.run('expire', 'k', '9223372036854775807')).to.deep.equal(err("ERR invalid expire time in 'expire' command"));
      expect(h.run('expire', 'k', '-9223372036854775808')).to.deep.equal(err("ERR invalid expire time in 'expire' command"));
      expect(h.run('pexpire', 'k', '9223372036854775807')).to.deep.equal(err("ERR invalid expire time in 'pexpire' command"));
      expect(h.run('expireat', 'k', '9223372036854775807')).to.deep.equal(err("ERR invalid expire time in 'expireat' command"));
      expect(h.run('pexpireat', 'k', '9223372036854775807')).to.equal(1);
      expect(h.run('ttl', 'k')).to.equal((9223372036854775807n - BigInt(h.now) + 500n) / 1000n); // exact, past 2^53
    });

    it('relative forms are logged as PEXPIREAT so a late apply keeps the deadline', () => {
      const t = h.now;
      const logged = command('expire').rewrite!(argv('expire', 'k', 10, 'GT'), t);
      expect(logged.map(String)).to.deep.equal(['PEXPIREAT', 'k', String(t + 10000), 'GT']);
      expect(command('pexpire').rewrite!(argv('pexpire', 'k', 10), t).map(String)).to.deep.equal(['PEXPIREAT', 'k', String(t + 10)]);
      expect(command('expireat').rewrite!(argv('expireat', 'k', 10), t).map(String)).to.deep.equal(['PEXPIREAT', 'k', '10000']);
      expect(command('pexpireat').rewrite!(argv('pexpireat', 'k', 10), t).map(String)).to.deep.equal(['pexpireat', 'k', '10']);
      expect(command('expire').rewrite!(argv('expire', 'k', 10, 'NX', 'XX'), t).map(String)).to.deep.equal(['expire', 'k', '10', 'NX', 'XX']);
      h.run('set', 'k', 'v');
      h.now += 3000;
      expect(h.exec(...logged)).to.equal(0); // GT against no TTL: same answer as EXPIRE would give
      expect(h.exec('PEXPIREAT', 'k', String(t + 10000))).to.equal(1);
      expect(h.run('pttl', 'k')).to.equal(7000);
    });

    it('TTL / PTTL / EXPIRETIME / PEXPIRETIME answer -2 and -1', () => {
      for (const c of ['ttl', 'pttl', 'expiretime', 'pexpiretime']) {
        expect(h.run(c, 'missing')).to.equal(-2);
        h.run('set', 'k', 'v');
        expect(h.run(c, 'k')).to.equal(-1);
      }
      h.run('set', 'k', 'v', 'PXAT', h.now + 1499);
      expect(h.run('ttl', 'k')).to.equal(1);
      expect(h.run('expiretime', 'k')).to.equal(Math.floor((h.now + 1499 + 500) / 1000));
    });

    it('PERSIST', () => {
      expect(h.run('persist', 'k')).to.equal(0);
      h.run('set', 'k', 'v');
      expect(h.run('persist', 'k')).to.equal(0);
      h.run('expire', 'k', 10);
      expect(h.run('persist', 'k')).to.equal(1);
      expect(h.run('ttl', 'k')).to.equal(-1);
    });
  });

  describe('KEYS / RANDOMKEY / DBSIZE', () => {
    it('KEYS matches globs, skips expired keys, returns binary keys', () => {
      h.run('mset', 'one', 1, 'two', 2, 'three', 3, 'four', 4);
      h.run('set', Buffer.from([0xff, 0x00]), 'bin');
      h.run('set', 'tmp', 1, 'PX', 1);
      h.now += 1;
      expect((h.run('keys', '*o*') as string[]).sort()).to.deep.equal(['four', 'one', 'two']);
      expect((h.run('keys', 't??') as string[]).sort()).to.deep.equal(['two']);
      expect((h.run('keys', '*') as string[]).length).to.equal(5);
      expect(h.raw('keys', Buffer.from([0xff, 0x2a]))).to.deep.equal([Buffer.from([0xff, 0x00])]);
      expect(h.run('dbsize')).to.equal(6); // DBSIZE counts keys not yet deleted, like Redis
    });

    it('RANDOMKEY', () => {
      expect(h.run('randomkey')).to.equal(null);
      h.run('set', 'only', 1);
      expect(h.run('randomkey')).to.equal('only');
    });
  });

  describe('RENAME / RENAMENX / COPY / MOVE', () => {
    it('COPY checks each DB index as soon as it reads it, like Redis', () => {
      h.run('set', 'a', 1);
      const RANGE = err('ERR DB index is out of range');
      expect(h.run('copy', 'a', 'b', 'DB', -1, 'DB', 'x')).to.deep.equal(RANGE);
      expect(h.run('copy', 'a', 'b', 'DB', -1, 'DB')).to.deep.equal(RANGE);
      expect(h.run('copy', 'a', 'b', 'DB', 99, 'DB', 'x')).to.deep.equal(RANGE);
      expect(h.run('copy', 'a', 'b', 'DB', 16)).to.deep.equal(RANGE);
      expect(h.run('copy', 'a', 'b', 'DB', 'x', 'DB', -1)).to.deep.equal(NOT_INT);
      expect(h.run('copy', 'a', 'b', 'DB', 0, 'BOGUS')).to.deep.equal(SYNTAX);
      expect(h.run('copy', 'a', 'b', 'DB', 5, 'BOGUS')).to.deep.equal(SYNTAX);
      expect(h.run('copy', 'a', 'b', 'DB', 5, 'DB', 99)).to.deep.equal(RANGE);
      // check (before logging) rejects what needs no db count; the rest is exec's.
      const copy = command('copy');
      expect(copy.check?.(argv('copy', 'a', 'b', 'DB', -1, 'DB', 'x'))).to.deep.include({ message: 'ERR DB index is out of range' });
      expect(copy.check?.(argv('copy', 'a', 'b', 'DB', 5, 'BOGUS'))).to.equal(null);
      expect(h.ks.dbs[0].size()).to.equal(1);
    });


    it('RENAME moves value and TTL, overwrites the destination', () => {
      expect(h.run('rename', 'a', 'b')).to.deep.equal(err('ERR no such key'));
      h.run('set', 'a', 'A', 'EX', 100);
      h.run('set', 'b', 'B');
      expect(h.run('rename', 'a', 'b')).to.deep.equal(OK_);
      expect(h.run('get', 'b')).to.equal('A');
      expect(h.run('ttl', 'b')).to.equal(100);
      expect(h.run('exists', 'a')).to.equal(0);
      expect(h.run('rename', 'b', 'b')).to.deep.equal(OK_);
      h.run('set', 'c', 'C');
      h.run('rename', 'c', 'b');
      expect(h.run('ttl', 'b')).to.equal(-1); // the destination's TTL went with its old value
    });

    it('RENAMENX', () => {
      expect(h.run('renamenx', 'a', 'b')).to.deep.equal(err('ERR no such key'));
      h.run('mset', 'a', 'A', 'b', 'B');
      expect(h.run('renamenx', 'a', 'b')).to.equal(0);
      expect(h.run('renamenx', 'a', 'a')).to.equal(0);
      expect(h.run('renamenx', 'a', 'c')).to.equal(1);
      expect(h.run('mget', 'a', 'c')).to.deep.equal([null, 'A']);
    });

    it('COPY within and across databases, with REPLACE', () => {
      h.run('set', 'src', 'v', 'EX', 100);
      expect(h.run('copy', 'src', 'dst')).to.equal(1);
      expect(h.run('get', 'dst')).to.equal('v');
      expect(h.run('ttl', 'dst')).to.equal(100);
      expect(h.run('copy', 'src', 'dst')).to.equal(0);
      h.run('set', 'src', 'w');
      expect(h.run('copy', 'src', 'dst', 'REPLACE')).to.equal(1);
      expect(h.run('get', 'dst')).to.equal('w');
      expect(h.run('copy', 'src', 'dst', 'DB', 3)).to.equal(1);
      expect((h.ks.dbs[3].lookupRead('dst', h.now) as StringValue).value.toString()).to.equal('w');
      expect(h.run('copy', 'src', 'src')).to.deep.equal(err('ERR source and destination objects are the same'));
      expect(h.run('copy', 'src', 'src', 'DB', 3)).to.equal(1);
      expect(h.run('copy', 'missing', 'x')).to.equal(0);
      expect(h.run('copy', 'src', 'x', 'DB', 16)).to.deep.equal(err('ERR DB index is out of range'));
      expect(h.run('copy', 'src', 'x', 'DB', 'a')).to.deep.equal(NOT_INT);
      expect(h.run('copy', 'src', 'x', 'FOO')).to.deep.equal(SYNTAX);
      expect(h.run('copy', 'src', 'x', 'DB')).to.deep.equal(SYNTAX);
    });

    it('MOVE', () => {
      h.run('set', 'k', 'v', 'EX', 50);
      expect(h.run('move', 'k', 0)).to.deep.equal(err('ERR source and destination objects are the same'));
      expect(h.run('move', 'k', 99)).to.deep.equal(err('ERR DB index is out of range'));
      expect(h.run('move', 'k', 2)).to.equal(1);
      expect(h.run('exists', 'k')).to.equal(0);
      expect(h.ks.dbs[2].getExpire('k')).to.equal(h.now + 50000);
      expect(h.run('move', 'k', 2)).to.equal(0);
      h.db = 2;
      h.ks.dbs[0].set('k', stringValue(Buffer.from('x')), 1000);
      expect(h.run('move', 'k', 0)).to.equal(0); // exists in the target
    });
  });

  describe('FLUSHDB / FLUSHALL / SWAPDB', () => {
    it('FLUSHDB empties the current db only; FLUSHALL every db', () => {
      h.run('set', 'a', 1);
      h.ks.dbs[1].set('b', stringValue(Buffer.from('x')), 1000);
      expect(h.run('flushdb')).to.deep.equal(OK_);
      expect(h.run('dbsize')).to.equal(0);
      expect(h.ks.dbs[1].size()).to.equal(1);
      expect(h.run('flushall', 'ASYNC')).to.deep.equal(OK_);
      expect(h.ks.dbs[1].size()).to.equal(0);
      expect(h.run('flushdb', 'sync')).to.deep.equal(OK_);
      expect(h.run('flushdb', 'lazy')).to.deep.equal(SYNTAX);
      expect(h.run('flushall', 'sync', 'async')).to.deep.equal(SYNTAX);
    });

    it('SWAPDB', () => {
      h.run('set', 'zero', 0);
      expect(h.run('swapdb', 0, 1)).to.deep.equal(OK_);
      expect(h.run('dbsize')).to.equal(0);
      expect(h.ks.dbs[1].size()).to.equal(1);
      expect(h.run('swapdb', 0, 0)).to.deep.equal(OK_);
      expect(h.run('swapdb', 44, 55)).to.deep.equal(err('ERR DB index is out of range'));
      expect(h.run('swapdb', 44, 'a')).to.deep.equal(err('ERR invalid second DB index'));
      expect(h.run('swapdb', 'a', 55)).to.deep.equal(err('ERR invalid first DB index'));
      expect(h.run('swapdb', 'a', 'b')).to.deep.equal(err('ERR invalid first DB index'));
    });
  });

  describe('the command table entries', () => {
    it('have unique names and Redis arities, flags and key positions', () => {
      const names = dataCommands.map((c) => c.name);
      expect(new Set(names).size).to.equal(names.length);
      const spot: Record<string, [number, string[], number, number, number]> = {
        get: [2, ['readonly', 'fast'], 1, 1, 1],
        set: [-3, ['write', 'denyoom'], 1, 1, 1],
        mset: [-3, ['write', 'denyoom'], 1, -1, 2],
        mget: [-2, ['readonly', 'fast'], 1, -1, 1],
        del: [-2, ['write'], 1, -1, 1],
        expire: [-3, ['write', 'fast'], 1, 1, 1],
        keys: [2, ['readonly'], 0, 0, 0],
        scan: [-2, ['readonly'], 0, 0, 0],
        rename: [3, ['write'], 1, 2, 1],
        flushall: [-1, ['write'], 0, 0, 0],
        getex: [-2, ['write', 'fast'], 1, 1, 1],
        incrbyfloat: [3, ['write', 'denyoom', 'fast'], 1, 1, 1],
      };
      for (const [name, [arity, flags, first, last, step]] of Object.entries(spot)) {
        const c = command(name);
        expect(c.arity, name).to.equal(arity);
        expect(c.flags, name).to.deep.equal(flags);
        expect([c.firstKey, c.lastKey, c.keyStep], name).to.deep.equal([first, last, step]);
      }
      for (const c of dataCommands) {
        expect(c.doc.summary, c.name).to.be.a('string').and.not.empty;
        expect(c.doc.since, c.name).to.match(/^\d+\.\d+\.\d+$/);
        // PFSELFTEST is flagged admin only, as in Redis 7 (no keys, neither read nor write).
        if (c.name === 'pfselftest') continue;
        expect(c.aclCategories.some((a) => a === '@read' || a === '@write'), c.name).to.equal(true);
        expect(c.flags.includes('write') !== c.flags.includes('readonly'), c.name).to.equal(true);
      }
    });

    it('arity errors come from check and exec alike', () => {
      expect(command('get').check!(argv('get'))).to.deep.include({ message: "ERR wrong number of arguments for 'get' command" });
      expect(command('dbsize').exec(h.ctx(false), argv('dbsize', 'x'))).to.deep.include({
        message: "ERR wrong number of arguments for 'dbsize' command",
      });
    });
  });

  it('writes record the log index as the key version (WATCH)', () => {
    h.run('set', 'k', 'v');
    const v1 = h.ks.dbs[0].version('k');
    expect(v1).to.equal(h.index);
    h.run('get', 'k'); // reads do not bump it
    expect(h.ks.dbs[0].version('k')).to.equal(v1);
    h.run('set', 'k', 'v', 'NX'); // a no-op write does not bump it
    expect(h.ks.dbs[0].version('k')).to.equal(v1);
    h.run('del', 'k');
    expect(h.ks.dbs[0].version('k')).to.equal(h.index);
  });
});
