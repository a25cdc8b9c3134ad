import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { SetReply } from '../../../protocol/reply';
import { Keyspace, META_DB, encodingConfig, keyString, keyBuffer } from '../../../server/keyspace';
import { SET_MEMBER_OVERHEAD, SetValue } from '../../../server/keyspace/set';
import { parseScanCursor } from '../../../server/commands/set';
import { argv, command, err, Harness, plain } from './helpers';

const WRONGTYPE = err('WRONGTYPE Operation against a key holding the wrong kind of value');
const SYNTAX = err('ERR syntax error');
const NOT_INT = err('ERR value is not an integer or out of range');

/** A SetReply's members as latin1 strings (other replies unchanged). */
function set(r: unknown): unknown {
  if (r instanceof SetReply) return r.items.map((x) => (Buffer.isBuffer(x) ? x.toString('latin1') : x));
  return r;
}

function setOf(h: Harness, key: string): SetValue | undefined {
  const v = h.ks.dbs[h.db].lookupRead(key, h.now);
  return v instanceof SetValue ? v : undefined;
}

/** OBJECT ENCODING of a key (undefined when it holds no set). */
function enc(h: Harness, key: string): string | undefined {
  return setOf(h, key)?.encoding();
}

/** A read as a client's: the node's own randomness (Math.random), not the harness's fixed seed. */
function clientRead(h: Harness, ...args: Array<string | number>): unknown {
  const ctx = { ...h.ctx(false), random: Math.random };
  return plain(command(String(args[0])).exec(ctx, argv(...args)));
}

function sorted(xs: unknown): string[] {
  return (xs as string[]).slice().sort();
}

/** A store standing in for LMDB: key records from drainChanges, element records from drainElementRecords. */
function persist(ks: Keyspace, store: Map<string, Buffer>): number {
  let elementRecords = 0;
  for (const c of ks.drainChanges()) {
    if ('flushAll' in c || 'flushDb' in c) throw new Error('not used here');
    const r = ks.encodeRecord(c.db, c.key);
    const rk = r ? r.key.toString('latin1') : keyString(Buffer.concat([Buffer.from([c.db]), keyBuffer(c.key)]));
    if (r) store.set(rk, r.value);
    else store.delete(rk);
  }
  ks.drainElementRecords((k, v) => {
    elementRecords++;
    if (v === null) store.delete(k.toString('latin1'));
    else store.set(k.toString('latin1'), Buffer.from(v));
  });
  return elementRecords;
}

/** A fresh keyspace from the store's records, in key order as LMDB yields them (not the order they were written). */
function restore(store: Map<string, Buffer>): Keyspace {
  const ks = new Keyspace();
  const keys = [...store.keys()].map((k) => Buffer.from(k, 'latin1')).sort(Buffer.compare);
  for (const k of keys) ks.applyRecord(k, store.get(k.toString('latin1'))!);
  ks.finishRestore();
  return ks;
}

/** A harness over a given keyspace at a given log index (to replay the same entries on two "nodes"). */
function harnessOn(ks: Keyspace, index: number, now: number): Harness {
  const h = new Harness();
  Object.assign(h, { ks });
  h.index = index;
  h.now = now;
  return h;
}

describe('set commands', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });

  describe('SADD / SREM / SCARD / SISMEMBER / SMISMEMBER / SMEMBERS', () => {
    it('adds, counts, tests and removes binary members', () => {
      expect(h.run('sadd', 's', 'a', 'b', 'a', Buffer.from([0, 255, 10]))).to.equal(3);
      expect(h.run('sadd', 's', 'a', 'c')).to.equal(1);
      expect(h.run('scard', 's')).to.equal(4);
      expect(h.run('scard', 'nokey')).to.equal(0);
      expect(h.run('sismember', 's', Buffer.from([0, 255, 10]))).to.equal(1);
      expect(h.run('sismember', 's', 'zz')).to.equal(0);
      expect(h.run('sismember', 'nokey', 'a')).to.equal(0);
      expect(h.run('smismember', 's', 'a', 'zz', 'c')).to.deep.equal([1, 0, 1]);
      expect(h.run('smismember', 'nokey', 'a', 'b')).to.deep.equal([0, 0]);
      expect(set(h.raw('smembers', 's'))).to.deep.equal(['a', 'b', '\x00\xff\n', 'c']);
      expect(set(h.raw('smembers', 'nokey'))).to.deep.equal([]);
      expect(h.raw('smembers', 'nokey')).to.be.instanceOf(SetReply);
      expect(h.run('srem', 's', 'a', 'zz', 'a')).to.equal(1);
      expect(h.run('srem', 'nokey', 'a')).to.equal(0);
      expect(h.run('type', 's')).to.deep.equal({ status: 'set' });
      expect(h.run('srem', 's', 'b', 'c', Buffer.from([0, 255, 10]))).to.equal(3);
      expect(h.run('exists', 's')).to.equal(0);
    });

    it('does not keep a reference to argument buffers', () => {
      const m = Buffer.from('member');
      command('sadd').exec(h.ctx(true), argv('sadd', 's', m));
      m.fill(0x7a);
      expect(set(h.raw('smembers', 's'))).to.deep.equal(['member']);
    });

    it('a write that changes nothing leaves the key version alone (WATCH)', () => {
      h.run('sadd', 's', 'a');
      const v = h.ks.dbs[0].version('s');
      expect(h.run('sadd', 's', 'a')).to.equal(0);
      expect(h.run('srem', 's', 'zz')).to.equal(0);
      expect(h.ks.dbs[0].version('s')).to.equal(v);
      h.run('sadd', 's', 'b');
      expect(h.ks.dbs[0].version('s')).to.be.greaterThan(v);
    });

    it('SADD to an expired key starts a new set', () => {
      h.run('sadd', 's', 'a');
      h.run('pexpire', 's', 100);
      h.now += 200;
      expect(h.run('sadd', 's', 'b')).to.equal(1);
      expect(set(h.raw('smembers', 's'))).to.deep.equal(['b']);
      expect(h.run('ttl', 's')).to.equal(-1);
    });

    it('arity errors', () => {
      for (const [name, args] of [
        ['sadd', ['s']],
        ['srem', ['s']],
        ['smove', ['a', 'b']],
        ['sismember', ['s']],
        ['smismember', ['s']],
        ['scard', []],
        ['smembers', []],
        ['spop', []],
        ['srandmember', []],
        ['sinter', []],
        ['sintercard', ['1']],
        ['sinterstore', ['d']],
        ['sunion', []],
        ['sdiffstore', ['d']],
        ['sscan', ['s']],
      ] as const) {
        expect(h.run(name, ...args), name).to.deep.equal(err(`ERR wrong number of arguments for '${name}' command`));
      }
    });
  });

  describe('WRONGTYPE', () => {
    beforeEach(() => {
      h.run('set', 'str', 'x');
      h.run('sadd', 's', 'a', 'b');
    });

    it('every single-key command', () => {
      for (const args of [
        ['sadd', 'str', 'a'],
        ['srem', 'str', 'a'],
        ['sismember', 'str', 'a'],
        ['smismember', 'str', 'a'],
        ['scard', 'str'],
        ['smembers', 'str'],
        ['spop', 'str'],
        ['spop', 'str', 0],
        ['spop', 'str', 2],
        ['srandmember', 'str'],
        ['srandmember', 'str', 0],
        ['srandmember', 'str', -2],
        ['sscan', 'str', 0],
        ['sscan', 'str', 0, 'bogus'],
      ]) {
        expect(h.run(...args), args.join(' ')).to.deep.equal(WRONGTYPE);
      }
      expect(h.run('get', 'str')).to.equal('x');
      expect(h.run('get', 's')).to.deep.equal(WRONGTYPE);
    });

    it('SMOVE: either side, but a missing source answers 0 first', () => {
      expect(h.run('smove', 's', 'str', 'a')).to.deep.equal(WRONGTYPE);
      expect(h.run('smove', 'str', 's', 'a')).to.deep.equal(WRONGTYPE);
      expect(h.run('smove', 's', 'str', 'zz')).to.deep.equal(WRONGTYPE);
      expect(h.run('smove', 'nokey', 'str', 'a')).to.equal(0);
      expect(h.run('scard', 's')).to.equal(2);
    });

    it('every source key of SINTER / SUNION / SDIFF, their STORE forms and SINTERCARD, even after a missing key', () => {
      for (const name of ['sinter', 'sunion', 'sdiff']) {
        for (const keys of [
          ['str'],
          ['str', 's'],
          ['s', 'str'],
          ['nokey', 'str'],
          ['s', 'nokey', 'str'],
          ['str', 'nokey'],
        ]) {
          expect(h.run(name, ...keys), `${name} ${keys.join(' ')}`).to.deep.equal(WRONGTYPE);
          expect(h.run(`${name}store`, 'dst', ...keys), `${name}store ${keys.join(' ')}`).to.deep.equal(WRONGTYPE);
          expect(h.run('exists', 'dst')).to.equal(0);
        }
      }
      expect(h.run('sintercard', 2, 'nokey', 'str')).to.deep.equal(WRONGTYPE);
      expect(h.run('sintercard', 2, 's', 'str', 'LIMIT', 1)).to.deep.equal(WRONGTYPE);
      // A STORE whose sources fail leaves the destination alone, whatever it holds.
      h.run('set', 'dst', 'keep');
      expect(h.run('sunionstore', 'dst', 's', 'str')).to.deep.equal(WRONGTYPE);
      expect(h.run('get', 'dst')).to.equal('keep');
    });
  });

  describe('encodings', () => {
    const saved = encodingConfig['set-max-intset-entries'];
    afterEach(() => {
      encodingConfig['set-max-intset-entries'] = saved;
    });

    it('intset while every member is a canonical int64, iterating in ascending order (as redis-server)', () => {
      h.run('sadd', 's', 5, -3, 100, 0, '9223372036854775807', '-9223372036854775808', 42, '9007199254740993', '9007199254740992');
      expect(enc(h, 's')).to.equal('intset');
      expect(set(h.raw('smembers', 's'))).to.deep.equal([
        '-9223372036854775808',
        '-3',
        '0',
        '5',
        '42',
        '100',
        '9007199254740992',
        '9007199254740993',
        '9223372036854775807',
      ]);
      h.run('srem', 's', 42, '9007199254740992');
      expect(set(h.raw('smembers', 's'))).to.deep.equal(['-9223372036854775808', '-3', '0', '5', '100', '9007199254740993', '9223372036854775807']);
      expect(enc(h, 's')).to.equal('intset');
    });

    it('a member string2ll refuses makes it a hashtable for good (insertion order)', () => {
      for (const bad of ['01', '+1', ' 1', '1 ', '-0', '9223372036854775808', '-9223372036854775809', '1.0', 'a', '']) {
        h.run('del', 's');
        h.run('sadd', 's', 3, 1);
        expect(enc(h, 's')).to.equal('intset');
        h.run('sadd', 's', bad);
        expect(enc(h, 's'), JSON.stringify(bad)).to.equal('hashtable');
      }
      expect(set(h.raw('smembers', 's'))).to.deep.equal(['3', '1', '']);
      h.run('srem', 's', '');
      expect(enc(h, 's')).to.equal('hashtable');
      expect(set(h.raw('smembers', 's'))).to.deep.equal(['3', '1']);
      h.run('sadd', 's', 2);
      expect(set(h.raw('smembers', 's'))).to.deep.equal(['3', '1', '2']);
      // A set whose first member is not an integer starts as a hashtable.
      h.run('sadd', 't', 'x', 1);
      expect(enc(h, 't')).to.equal('hashtable');
    });

    it('more than set-max-intset-entries members convert (the CONFIG value at the time of the write)', () => {
      encodingConfig['set-max-intset-entries'] = 4;
      h.run('sadd', 's', 4, 3, 2, 1);
      expect(enc(h, 's')).to.equal('intset');
      expect(set(h.raw('smembers', 's'))).to.deep.equal(['1', '2', '3', '4']);
      h.run('sadd', 's', 0);
      expect(enc(h, 's')).to.equal('hashtable');
      expect(set(h.raw('smembers', 's'))).to.deep.equal(['4', '3', '2', '1', '0']);
      h.run('srem', 's', 0, 1);
      expect(enc(h, 's')).to.equal('hashtable');
      encodingConfig['set-max-intset-entries'] = 0;
      h.run('sadd', 'z', 1);
      expect(enc(h, 'z')).to.equal('hashtable');
    });

    it('STORE results and SMOVE destinations start as intsets like Redis', () => {
      h.run('sadd', 'a', 'x', 3, 1);
      h.run('sadd', 'b', 3, 1, 2);
      expect(h.run('sinterstore', 'd', 'a', 'b')).to.equal(2);
      expect(enc(h, 'd')).to.equal('intset');
      expect(h.run('sunionstore', 'u', 'a', 'b')).to.equal(4);
      expect(enc(h, 'u')).to.equal('hashtable');
      expect(h.run('sdiffstore', 'f', 'a', 'b')).to.equal(1);
      expect(enc(h, 'f')).to.equal('hashtable');
      expect(h.run('smove', 'b', 'm', 2)).to.equal(1);
      expect(enc(h, 'm')).to.equal('intset');
    });
  });

  describe('SPOP / SRANDMEMBER', () => {
    it('SPOP without count: a member, removed; the last one deletes the key; nil for a missing key', () => {
      h.run('sadd', 's', 'a', 'b', 'c');
      const got: string[] = [];
      for (let i = 0; i < 3; i++) got.push(h.run('spop', 's') as string);
      expect(sorted(got)).to.deep.equal(['a', 'b', 'c']);
      expect(h.run('exists', 's')).to.equal(0);
      expect(h.run('spop', 's')).to.equal(null);
    });

    it('SPOP with count: a set reply, distinct members, count >= size pops all and deletes', () => {
      h.run('sadd', 's', ...Array.from({ length: 50 }, (_, i) => `m${i}`));
      const r = h.raw('spop', 's', 10);
      expect(r).to.be.instanceOf(SetReply);
      const popped = set(r) as string[];
      expect(new Set(popped).size).to.equal(10);
      expect(h.run('scard', 's')).to.equal(40);
      for (const m of popped) expect(h.run('sismember', 's', m)).to.equal(0);
      expect(set(h.raw('spop', 's', 0))).to.deep.equal([]);
      expect(h.run('scard', 's')).to.equal(40);
      const rest = set(h.raw('spop', 's', 40)) as string[];
      expect(rest).to.have.length(40);
      expect(sorted([...rest, ...popped])).to.deep.equal(sorted(Array.from({ length: 50 }, (_, i) => `m${i}`)));
      expect(h.run('exists', 's')).to.equal(0);
      expect(set(h.raw('spop', 's', 5))).to.deep.equal([]);
      expect(h.raw('spop', 's', 5)).to.be.instanceOf(SetReply);
      h.run('sadd', 'i', 3, 1, 2);
      expect(set(h.raw('spop', 'i', 100))).to.deep.equal(['1', '2', '3']); // the whole set, in its order
    });

    it('SPOP count errors come before the key lookup and never reach the log', () => {
      const range = err('ERR value is out of range, must be positive');
      h.run('set', 'str', 'x');
      for (const c of ['-1', 'abc', '1.5', '']) {
        expect(h.run('spop', 's', c)).to.deep.equal(range);
        expect(h.run('spop', 'str', c)).to.deep.equal(range);
        expect(command('spop').check!(argv('spop', 's', c))).to.not.equal(null);
      }
      expect(h.run('spop', 's', 1, 2)).to.deep.equal(SYNTAX);
      expect(command('spop').check!(argv('spop', 's', 5))).to.equal(null);
    });

    it('SPOP is deterministic: two keyspaces applying the same entries at the same indexes pop the same members', () => {
      const a = new Harness();
      const b = new Harness();
      for (const x of [a, b]) {
        x.run('sadd', 's', ...Array.from({ length: 300 }, (_, i) => `m${i}`));
        x.run('sadd', 'i', ...Array.from({ length: 100 }, (_, i) => i));
      }
      for (let round = 0; round < 20; round++) {
        expect(a.run('spop', 's')).to.equal(b.run('spop', 's'));
        expect(set(a.raw('spop', 's', 5))).to.deep.equal(set(b.raw('spop', 's', 5)));
        expect(set(a.raw('spop', 'i', 2))).to.deep.equal(set(b.raw('spop', 'i', 2)));
        a.run('sadd', 's', `n${round}`);
        b.run('sadd', 's', `n${round}`);
      }
      // Different entries draw differently (the seed really is the entry).
      const c = new Harness();
      c.index = 1000;
      c.run('sadd', 's', ...Array.from({ length: 300 }, (_, i) => `m${i}`));
      const d = new Harness();
      d.index = 2000;
      d.run('sadd', 's', ...Array.from({ length: 300 }, (_, i) => `m${i}`));
      expect(set(c.raw('spop', 's', 20))).to.not.deep.equal(set(d.raw('spop', 's', 20)));
    });

    it('SPOP pops the same members on a node restored from the durable copy as on one that applied every entry', () => {
      h.ks.trackChanges = true;
      const store = new Map<string, Buffer>();
      h.run('sadd', 's', ...Array.from({ length: 200 }, (_, i) => `m${i}`));
      for (let i = 0; i < 40; i++) h.run('srem', 's', `m${(i * 7) % 200}`); // shuffle the slots
      h.run('spop', 's', 13);
      persist(h.ks, store);
      const r = harnessOn(restore(store), h.index, h.now);
      for (let i = 0; i < 30; i++) {
        expect(r.run('spop', 's')).to.equal(h.run('spop', 's'));
        expect(set(r.raw('spop', 's', 3))).to.deep.equal(set(h.raw('spop', 's', 3)));
      }
      expect(set(r.raw('smembers', 's'))).to.deep.equal(set(h.raw('smembers', 's')));
    });

    it('SRANDMEMBER: nil / empty array for a missing key, distinct for a positive count, repeats for a negative one', () => {
      expect(h.run('srandmember', 's')).to.equal(null);
      expect(h.run('srandmember', 's', 5)).to.deep.equal([]);
      expect(h.run('srandmember', 's', -5)).to.deep.equal([]);
      const all = Array.from({ length: 30 }, (_, i) => `m${i}`);
      h.run('sadd', 's', ...all);
      expect(all).to.include(h.run('srandmember', 's'));
      expect(h.run('srandmember', 's', 0)).to.deep.equal([]);
      for (const n of [1, 2, 9, 10, 11, 29]) {
        const r = h.run('srandmember', 's', n) as string[];
        expect(r, String(n)).to.have.length(n);
        expect(new Set(r).size).to.equal(n);
        for (const m of r) expect(all).to.include(m);
      }
      expect(sorted(h.run('srandmember', 's', 30))).to.deep.equal(sorted(all));
      expect(sorted(h.run('srandmember', 's', 1000))).to.deep.equal(sorted(all));
      const rep = h.run('srandmember', 's', -500) as string[];
      expect(rep).to.have.length(500);
      expect(new Set(rep).size).to.be.lessThan(31).and.greaterThan(20);
      h.run('sadd', 'one', 'x');
      expect(h.run('srandmember', 'one', -3)).to.deep.equal(['x', 'x', 'x']);
      expect(h.run('scard', 's')).to.equal(30);
    });

    it('SRANDMEMBER picks uniformly enough', () => {
      h.run('sadd', 's', 'a', 'b', 'c', 'd');
      const counts = new Map<string, number>();
      for (const m of clientRead(h, 'srandmember', 's', -4000) as string[]) counts.set(m, (counts.get(m) ?? 0) + 1);
      for (const m of ['a', 'b', 'c', 'd']) expect(counts.get(m)).to.be.within(800, 1200);
      const firsts = new Map<string, number>();
      for (let i = 0; i < 2000; i++) {
        const [m] = clientRead(h, 'srandmember', 's', 2) as string[];
        firsts.set(m, (firsts.get(m) ?? 0) + 1);
      }
      for (const m of ['a', 'b', 'c', 'd']) expect(firsts.get(m)).to.be.within(380, 620);
    });

    it('SRANDMEMBER count errors (before the key), word for word', () => {
      h.run('set', 'str', 'x');
      expect(h.run('srandmember', 's', 'abc')).to.deep.equal(NOT_INT);
      expect(h.run('srandmember', 'str', 'abc')).to.deep.equal(NOT_INT);
      expect(h.run('srandmember', 's', '-9223372036854775808')).to.deep.equal(
        err('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807'),
      );
      expect(h.run('srandmember', 's', 1, 2)).to.deep.equal(SYNTAX);
      expect(h.run('srandmember', 's', '9223372036854775807')).to.deep.equal([]);
      h.run('sadd', 's', 'a');
      expect(h.run('srandmember', 's', '9223372036854775807')).to.deep.equal(['a']);
      // Ours: a negative count whose reply could not be built is refused.
      expect((h.run('srandmember', 's', '-9223372036854775807') as { err: string }).err).to.match(/^ERR value is out of range/);
    });
  });

  describe('SMOVE', () => {
    it('moves, creates the destination, deletes an emptied source', () => {
      h.run('sadd', 'a', 'x', 'y');
      expect(h.run('smove', 'a', 'b', 'x')).to.equal(1);
      expect(h.run('smove', 'a', 'b', 'zz')).to.equal(0);
      expect(h.run('smove', 'nokey', 'b', 'x')).to.equal(0);
      h.run('sadd', 'b', 'y');
      expect(h.run('smove', 'a', 'b', 'y')).to.equal(1); // already in the destination: still 1
      expect(h.run('exists', 'a')).to.equal(0);
      expect(sorted(set(h.raw('smembers', 'b')))).to.deep.equal(['x', 'y']);
    });

    it('same source and destination: 1 if a member, no change', () => {
      h.run('sadd', 'a', 'x');
      const v = h.ks.dbs[0].version('a');
      expect(h.run('smove', 'a', 'a', 'x')).to.equal(1);
      expect(h.run('smove', 'a', 'a', 'y')).to.equal(0);
      expect(h.ks.dbs[0].version('a')).to.equal(v);
      expect(set(h.raw('smembers', 'a'))).to.deep.equal(['x']);
    });
  });

  describe('SINTER / SINTERCARD / SUNION / SDIFF and their STORE forms', () => {
    beforeEach(() => {
      h.run('sadd', 'a', 'x', 'y', 'z', 'w');
      h.run('sadd', 'b', 'y', 'z', 'q');
      h.run('sadd', 'c', 'z', 'y', 'x');
      h.run('sadd', 'i1', 5, 1, 3, 7);
      h.run('sadd', 'i2', 7, 3, 2);
    });

    it('SINTER: the smallest set order; a missing key makes it empty', () => {
      expect(set(h.raw('sinter', 'a', 'b', 'c'))).to.deep.equal(['y', 'z']);
      expect(set(h.raw('sinter', 'a', 'c'))).to.deep.equal(['z', 'y', 'x']);
      expect(set(h.raw('sinter', 'a'))).to.deep.equal(['x', 'y', 'z', 'w']);
      expect(set(h.raw('sinter', 'a', 'a'))).to.deep.equal(['x', 'y', 'z', 'w']);
      expect(set(h.raw('sinter', 'a', 'nokey'))).to.deep.equal([]);
      expect(set(h.raw('sinter', 'i1', 'i2'))).to.deep.equal(['3', '7']);
      expect(h.raw('sinter', 'a', 'nokey')).to.be.instanceOf(SetReply);
    });

    it('SINTERCARD with LIMIT, and its errors word for word (checked before any key is read)', () => {
      expect(h.run('sintercard', 3, 'a', 'b', 'c')).to.equal(2);
      expect(h.run('sintercard', 2, 'a', 'c', 'LIMIT', 2)).to.equal(2);
      expect(h.run('sintercard', 2, 'a', 'c', 'limit', 0)).to.equal(3);
      expect(h.run('sintercard', 2, 'a', 'c', 'LIMIT', 0, 'LIMIT', 1)).to.equal(1);
      expect(h.run('sintercard', 2, 'a', 'nokey')).to.equal(0);
      expect(h.run('sintercard', 1, 'nokey')).to.equal(0);
      const numkeys = err('ERR numkeys should be greater than 0');
      expect(h.run('sintercard', 0, 'a')).to.deep.equal(numkeys);
      expect(h.run('sintercard', -1, 'a')).to.deep.equal(numkeys);
      expect(h.run('sintercard', 'abc', 'a')).to.deep.equal(numkeys);
      expect(h.run('sintercard', 3, 'a', 'b')).to.deep.equal(err("ERR Number of keys can't be greater than number of args"));
      expect(h.run('sintercard', '99999999999999999999', 'a')).to.deep.equal(numkeys);
      expect(h.run('sintercard', 1, 'a', 'LIMIT')).to.deep.equal(SYNTAX);
      expect(h.run('sintercard', 1, 'a', 'foo')).to.deep.equal(SYNTAX);
      expect(h.run('sintercard', 1, 'nokey', 'str')).to.deep.equal(SYNTAX);
      h.run('set', 'str', 'x');
      expect(h.run('sintercard', 1, 'str', 'LIMIT', -1)).to.deep.equal(err("ERR LIMIT can't be negative"));
      expect(h.run('sintercard', 1, 'a', 'LIMIT', 'abc')).to.deep.equal(err("ERR LIMIT can't be negative"));
    });

    it('SUNION / SDIFF: sets built like Redis (intset results sorted), missing keys are empty sets', () => {
      expect(set(h.raw('sunion', 'a', 'b', 'nokey'))).to.deep.equal(['x', 'y', 'z', 'w', 'q']);
      expect(set(h.raw('sunion', 'i2', 'i1'))).to.deep.equal(['1', '2', '3', '5', '7']);
      expect(set(h.raw('sunion', 'nokey'))).to.deep.equal([]);
      expect(set(h.raw('sdiff', 'a', 'b'))).to.deep.equal(['x', 'w']);
      expect(set(h.raw('sdiff', 'a', 'nokey', 'c'))).to.deep.equal(['w']);
      expect(set(h.raw('sdiff', 'a', 'a'))).to.deep.equal([]);
      expect(set(h.raw('sdiff', 'nokey', 'a'))).to.deep.equal([]);
      expect(set(h.raw('sdiff', 'i1', 'i2'))).to.deep.equal(['1', '5']);
      expect(h.raw('sdiff', 'a', 'a')).to.be.instanceOf(SetReply);
    });

    it('STORE: replaces the destination whatever its type (TTL cleared), deletes it on an empty result, replies the count', () => {
      h.run('set', 'dst', 'string');
      h.run('expire', 'dst', 100);
      expect(h.run('sinterstore', 'dst', 'a', 'b')).to.equal(2);
      expect(h.run('type', 'dst')).to.deep.equal({ status: 'set' });
      expect(h.run('ttl', 'dst')).to.equal(-1);
      expect(set(h.raw('smembers', 'dst'))).to.deep.equal(['y', 'z']);
      expect(h.run('sunionstore', 'dst', 'a', 'b')).to.equal(5);
      expect(h.run('sdiffstore', 'dst', 'a', 'b', 'c')).to.equal(1);
      expect(set(h.raw('smembers', 'dst'))).to.deep.equal(['w']);
      expect(h.run('sinterstore', 'dst', 'a', 'nokey')).to.equal(0);
      expect(h.run('exists', 'dst')).to.equal(0);
      h.run('set', 'dst', 'string');
      expect(h.run('sdiffstore', 'dst', 'a', 'a')).to.equal(0);
      expect(h.run('exists', 'dst')).to.equal(0);
      h.run('set', 'dst', 'string');
      expect(h.run('sunionstore', 'dst', 'nokey')).to.equal(0);
      expect(h.run('exists', 'dst')).to.equal(0);
      // The destination may be one of the sources.
      expect(h.run('sunionstore', 'a', 'a', 'b')).to.equal(5);
      expect(h.run('sdiffstore', 'a', 'a', 'c')).to.equal(2);
      expect(sorted(set(h.raw('smembers', 'a')))).to.deep.equal(['q', 'w']);
      // The stored set is a copy: changing a source later does not change it.
      h.run('sinterstore', 'copy', 'b');
      h.run('sadd', 'b', 'new');
      expect(h.run('scard', 'copy')).to.equal(3);
    });
  });

  describe('SSCAN', () => {
    it('cursor errors before the key; option errors after it (a missing key ignores them)', () => {
      h.run('set', 'str', 'x');
      h.run('sadd', 's', 1, 2, 3);
      const bad = err('ERR invalid cursor');
      for (const c of ['abc', ' 1', '1 ', '-', '+', '0x10', '18446744073709551616', '-18446744073709551616']) {
        expect(h.run('sscan', 's', c), c).to.deep.equal(bad);
        expect(h.run('sscan', 'str', c), c).to.deep.equal(bad);
      }
      for (const c of ['-1', '+1', '007', '', '18446744073709551615', '-18446744073709551615']) {
        expect(h.run('sscan', 's', c), c).to.deep.equal(['0', ['1', '2', '3']]);
      }
      expect(h.run('sscan', 'nokey', 0, 'foo')).to.deep.equal(['0', []]);
      expect(h.run('sscan', 'str', 0, 'foo')).to.deep.equal(WRONGTYPE);
      expect(h.run('sscan', 's', 0, 'foo')).to.deep.equal(SYNTAX);
      expect(h.run('sscan', 's', 0, 'count', 0)).to.deep.equal(SYNTAX);
      expect(h.run('sscan', 's', 0, 'count', 'abc')).to.deep.equal(NOT_INT);
      expect(h.run('sscan', 's', 0, 'type', 'set')).to.deep.equal(SYNTAX);
      expect(h.run('sscan', 's', 0, 'match')).to.deep.equal(SYNTAX);
      expect(h.run('sscan', 's', 5, 'MATCH', '[13]', 'COUNT', 1)).to.deep.equal(['0', ['1', '3']]);
    });

    it('parses cursors like strtoul', () => {
      expect(parseScanCursor(Buffer.from('-1'))).to.equal(18446744073709551615n);
      expect(parseScanCursor(Buffer.from('42'))).to.equal(42n);
      expect(parseScanCursor(Buffer.from(''))).to.equal(0n);
      expect(parseScanCursor(Buffer.from('\t1'))).to.equal(null);
    });

    it('hashtable: COUNT members per call, cursor = next insertion seq, MATCH filters', () => {
      const all = Array.from({ length: 100 }, (_, i) => `k${i}`);
      h.run('sadd', 's', ...all);
      const seen: string[] = [];
      let cursor = '0';
      let calls = 0;
      do {
        const [next, items] = h.run('sscan', 's', cursor, 'COUNT', 7) as [string, string[]];
        expect(items.length).to.be.at.most(7);
        seen.push(...items);
        cursor = next;
        calls++;
      } while (cursor !== '0');
      expect(calls).to.equal(15);
      expect(seen).to.deep.equal(all);
      const [, matched] = h.run('sscan', 's', 0, 'MATCH', 'k1*', 'COUNT', 1000) as [string, string[]];
      expect(matched).to.deep.equal(all.filter((m) => m.startsWith('k1')));
      expect(h.run('sscan', 's', '18446744073709551615')).to.deep.equal(['0', []]);
    });

    it('every member present for the whole scan is returned once, whatever changes meanwhile', () => {
      const keep = Array.from({ length: 300 }, (_, i) => `keep${i}`);
      h.run('sadd', 's', ...keep);
      h.run('sadd', 's', ...Array.from({ length: 100 }, (_, i) => `tmp${i}`));
      const seen = new Map<string, number>();
      let cursor = '0';
      let step = 0;
      do {
        const [next, items] = h.run('sscan', 's', cursor, 'COUNT', 9) as [string, string[]];
        for (const m of items) seen.set(m, (seen.get(m) ?? 0) + 1);
        cursor = next;
        // Churn: remove and re-add temporaries, add new members, remove some.
        h.run('srem', 's', `tmp${step % 100}`);
        h.run('sadd', 's', `tmp${(step * 7) % 100}`, `new${step}`);
        step++;
      } while (cursor !== '0');
      for (const m of keep) expect(seen.get(m), m).to.equal(1);
      for (const [, n] of seen) expect(n).to.equal(1);
    });

    it('a cursor means the same on another node (no cache there) and after a restore', () => {
      h.ks.trackChanges = true;
      const store = new Map<string, Buffer>();
      const all = Array.from({ length: 50 }, (_, i) => `m${i}`);
      h.run('sadd', 's', ...all);
      h.run('srem', 's', 'm49'); // the newest member is gone: the counter lives in the anchor
      persist(h.ks, store);
      const other = harnessOn(restore(store), h.index, h.now);
      const [cursor, first] = h.run('sscan', 's', 0, 'COUNT', 20) as [string, string[]];
      const [c2, second] = other.run('sscan', 's', cursor, 'COUNT', 20) as [string, string[]];
      const [c3, third] = h.run('sscan', 's', c2, 'COUNT', 20) as [string, string[]];
      expect(c3).to.equal('0');
      expect([...first, ...second, ...third]).to.deep.equal(all.slice(0, 49));
      // Both nodes hand out the same seqs to new members.
      h.run('sadd', 's', 'late');
      other.run('sadd', 's', 'late');
      const [ca] = h.run('sscan', 's', 0, 'COUNT', 49) as [string, string[]];
      const [cb] = other.run('sscan', 's', 0, 'COUNT', 49) as [string, string[]];
      expect(ca).to.equal('51'); // the seq of 'late': m49 took 50
      expect(ca).to.equal(cb);
      expect(h.run('sscan', 's', ca)).to.deep.equal(other.run('sscan', 's', cb));
    });

    it('a full scan of a big set is linear (resumes the iterator)', () => {
      const s = new SetValue();
      for (let i = 0; i < 200_000; i++) s.add(`member:${i}`);
      const t0 = process.hrtime.bigint();
      let cursor = 0;
      let n = 0;
      do {
        const step = s.scan(cursor, 10);
        n += step.members.length;
        cursor = step.cursor;
      } while (cursor !== 0);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      expect(n).to.equal(200_000);
      expect(ms).to.be.lessThan(2000); // quadratic would be 20,000 calls x 100,000 steps
    });
  });

  describe('persistence', () => {
    it('round trip: same members, order, encodings; later writes keep round-tripping', () => {
      h.ks.trackChanges = true;
      const store = new Map<string, Buffer>();
      h.run('sadd', 'ht', ...Array.from({ length: 60 }, (_, i) => `m${i}`));
      h.run('srem', 'ht', 'm0', 'm10', 'm59');
      h.run('sadd', 'ht', 'm10', 'zz');
      h.run('sadd', 'ints', 30, 10, 20);
      h.run('sadd', 'mixed', 3, 2, 1, 'x');
      h.run('srem', 'mixed', 'x'); // all integers again, but a hashtable for good
      h.run('sadd', 'gone', 'a');
      persist(h.ks, store);
      h.run('del', 'gone');
      h.run('spop', 'ht', 5);
      persist(h.ks, store);

      const check = (ks: Keyspace): void => {
        const r = harnessOn(ks, h.index, h.now);
        for (const key of ['ht', 'ints', 'mixed', 'gone']) {
          expect(set(r.raw('smembers', key)), key).to.deep.equal(set(h.raw('smembers', key)));
          expect(enc(r, key), key).to.equal(enc(h, key));
        }
        expect(enc(r, 'mixed')).to.equal('hashtable');
        expect(ks.usedBytes).to.equal(h.ks.usedBytes);
      };
      check(restore(store));
      expect(set(harnessOn(restore(store), h.index, h.now).raw('smembers', 'ints'))).to.deep.equal(['10', '20', '30']);

      // More writes on the live node, drained incrementally, still restore identically.
      h.run('sadd', 'ht', 'later1', 'm0');
      h.run('srem', 'ht', 'm1', 'm2');
      h.run('spop', 'ht');
      h.run('sadd', 'ints', 'notint');
      h.run('smove', 'ht', 'ints', 'm5');
      h.run('sunionstore', 'u', 'ht', 'ints');
      h.run('copy', 'ht', 'htcopy');
      persist(h.ks, store);
      const restored = restore(store);
      check(restored);
      const r = harnessOn(restored, h.index, h.now);
      for (const key of ['u', 'htcopy']) expect(set(r.raw('smembers', key))).to.deep.equal(set(h.raw('smembers', key)));

      // Writes on the restored node, drained and restored again.
      restored.trackChanges = true;
      const store2 = new Map(store);
      r.run('sadd', 'ht', 'after-restore');
      r.run('srem', 'ht', 'zz');
      persist(restored, store2);
      const again = harnessOn(restore(store2), r.index, r.now);
      expect(set(again.raw('smembers', 'ht'))).to.deep.equal(set(r.raw('smembers', 'ht')));
      expect(set(again.raw('spop', 'ht', 4))).to.deep.equal(set(r.raw('spop', 'ht', 4)));
    });

    it('seeded random workloads: a restored node answers every later command exactly as the live one', () => {
      const saved = encodingConfig['set-max-intset-entries'];
      encodingConfig['set-max-intset-entries'] = 8;
      try {
        for (let seed = 1; seed <= 6; seed++) {
          let x = seed * 2654435761;
          const rnd = (n: number): number => {
            x = (Math.imul(x, 1103515245) + 12345) >>> 0;
            return (x >>> 8) % n;
          };
          const member = (): string | number => (rnd(3) === 0 ? String.fromCharCode(97 + rnd(10)) : rnd(30));
          const keys = ['s1', 's2', 's3'];
          const op = (): Array<string | number> => {
            const k = keys[rnd(3)];
            switch (rnd(9)) {
              case 0:
              case 1:
                return ['sadd', k, member(), member(), member()];
              case 2:
                return ['srem', k, member(), member()];
              case 3:
                return ['spop', k];
              case 4:
                return ['spop', k, rnd(4)];
              case 5:
                return ['smove', k, keys[rnd(3)], member()];
              case 6:
                return [['sinterstore', 'sunionstore', 'sdiffstore'][rnd(3)], keys[rnd(3)], k, keys[rnd(3)]];
              case 7:
                return ['sscan', k, rnd(40), 'COUNT', 1 + rnd(5)];
              default:
                return ['smembers', k];
            }
          };
          const live = new Harness();
          live.ks.trackChanges = true;
          const store = new Map<string, Buffer>();
          for (let i = 0; i < 400; i++) {
            live.raw(...op());
            if (rnd(10) === 0) persist(live.ks, store);
          }
          persist(live.ks, store);
          const restoredKs = restore(store);
          restoredKs.trackChanges = true;
          const store2 = new Map(store);
          const restored = harnessOn(restoredKs, live.index, live.now);
          for (let i = 0; i < 300; i++) {
            const o = op();
            expect(set(restored.raw(...o)), `seed ${seed} step ${i}: ${o.join(' ')}`).to.deep.equal(set(live.raw(...o)));
            if (rnd(10) === 0) {
              persist(live.ks, store);
              persist(restoredKs, store2);
            }
          }
          persist(live.ks, store);
          persist(restoredKs, store2);
          const again = harnessOn(restore(store2), live.index, live.now);
          for (const k of keys) {
            expect(set(again.raw('smembers', k))).to.deep.equal(set(live.raw('smembers', k)));
            expect(enc(again, k)).to.equal(enc(live, k));
            expect(set(again.raw('spop', k, 3))).to.deep.equal(set(live.raw('spop', k, 3)));
          }
        }
      } finally {
        encodingConfig['set-max-intset-entries'] = saved;
      }
    });

    it('the restored encoding is the live one even if set-max-intset-entries changed meanwhile', () => {
      const saved = encodingConfig['set-max-intset-entries'];
      try {
        h.ks.trackChanges = true;
        const store = new Map<string, Buffer>();
        h.run('sadd', 'i', 5, 4, 3, 2, 1);
        persist(h.ks, store);
        encodingConfig['set-max-intset-entries'] = 2;
        const r = harnessOn(restore(store), h.index, h.now);
        expect(enc(r, 'i')).to.equal('intset');
        expect(set(r.raw('smembers', 'i'))).to.deep.equal(['1', '2', '3', '4', '5']);
        // Both convert at the next SADD, alike.
        r.run('sadd', 'i', 0);
        h.run('sadd', 'i', 0);
        expect(enc(r, 'i')).to.equal('hashtable');
        expect(set(r.raw('smembers', 'i'))).to.deep.equal(set(h.raw('smembers', 'i')));
      } finally {
        encodingConfig['set-max-intset-entries'] = saved;
      }
    });

    it('deleting a set deletes its element records', () => {
      h.ks.trackChanges = true;
      const store = new Map<string, Buffer>();
      h.run('sadd', 's', 'a', 'b', 'c');
      persist(h.ks, store);
      expect(store.size).to.be.greaterThan(3);
      h.run('spop', 's', 3);
      persist(h.ks, store);
      for (const k of store.keys()) expect(Buffer.from(k, 'latin1')[0], 'only meta and tombstones remain').to.be.oneOf([0, META_DB]);
    });

    it('an SADD into a 200,000-member set drains exactly one element record; an SREM at most three', () => {
      h.ks.trackChanges = true;
      const store = new Map<string, Buffer>();
      const members = Array.from({ length: 200_000 }, (_, i) => `member:${i}`);
      for (let i = 0; i < members.length; i += 10_000) h.run('sadd', 'big', ...members.slice(i, i + 10_000));
      expect(persist(h.ks, store)).to.equal(200_000);
      h.run('sadd', 'big', 'one-more');
      expect(persist(h.ks, store)).to.equal(1);
      h.run('sadd', 'big', 'one-more');
      expect(persist(h.ks, store)).to.equal(0);
      h.run('srem', 'big', 'member:77');
      expect(persist(h.ks, store)).to.be.at.most(3);
      h.run('srem', 'big', 'member:0'); // the first member (anchor) moves
      expect(persist(h.ks, store)).to.be.at.most(3);
      h.run('srem', 'big', 'one-more'); // the newest: the counter goes to the anchor
      expect(persist(h.ks, store)).to.be.at.most(3);
      h.run('sadd', 'big', 'x');
      expect(persist(h.ks, store)).to.equal(1);
      const r = harnessOn(restore(store), h.index, h.now);
      expect(r.run('scard', 'big')).to.equal(h.run('scard', 'big'));
      expect(set(r.raw('spop', 'big', 3))).to.deep.equal(set(h.raw('spop', 'big', 3)));
      expect(r.run('sscan', 'big', 0, 'COUNT', 5)).to.deep.equal(h.run('sscan', 'big', 0, 'COUNT', 5));
    });
  });

  describe('bytes', () => {
    it('is kept incrementally (equals a recount after any mix of writes)', () => {
      h.run('sadd', 's', 'abc', 'de', 1, 2);
      h.run('srem', 's', 'de');
      h.run('spop', 's');
      const s = setOf(h, 's')!;
      let expected = 0;
      for (const m of s.elements()) expected += m.length + SET_MEMBER_OVERHEAD;
      const empty = new SetValue().bytes;
      expect(s.bytes).to.equal(empty + expected);
      expect(s.clone().bytes).to.equal(s.bytes);
      expect(h.ks.dbs[0].memoryUsage('s', h.now)).to.be.greaterThan(s.bytes);
    });

    it('SET_MEMBER_OVERHEAD matches the heap measured with 1,000,000 members', function () {
      this.timeout(60000);
      const script = `
        const { SetValue } = require(${JSON.stringify(path.resolve(__dirname, '../../../server/keyspace/set'))});
        const N = 1000000;
        global.gc(); const before = process.memoryUsage().heapUsed;
        const s = new SetValue();
        for (let i = 0; i < N; i++) s.add(('member:' + i).split('').join(''));
        global.gc(); const after = process.memoryUsage().heapUsed;
        let len = 0; for (const m of s.elements()) len += m.length;
        console.log(JSON.stringify({ perMember: (after - before) / N, avgLen: len / N, accounted: s.bytes / N }));`;
      const r = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(0);
      const m = JSON.parse(r.stdout) as { perMember: number; avgLen: number; accounted: number };
      console.log(`      set heap: ${m.perMember.toFixed(1)} bytes/member measured, ${m.accounted.toFixed(1)} accounted (avg member ${m.avgLen.toFixed(1)} bytes)`);
      expect(m.accounted).to.be.within(m.perMember * 0.8, m.perMember * 1.2);
    });
  });
});

