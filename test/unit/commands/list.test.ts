import { expect } from 'chai';
import { Keyspace, type Collection } from '../../../server/keyspace';
import { NullArray } from '../../../protocol/reply';
import { ListValue, CHUNK_MAX_ITEMS, orderKeyBytes, orderKeyOf } from '../../../server/keyspace/list';
import { lmpopFirst, moveBetween, popFromList, pushToList } from '../../../server/commands/list';
import { command, argv, err, Harness, OK_ } from './helpers';
import { rng } from '../../support/rng';

const WRONGTYPE = err('WRONGTYPE Operation against a key holding the wrong kind of value');
const SYNTAX = err('ERR syntax error');
const NOT_INT = err('ERR value is not an integer or out of range');

/** What the durable copy does with drained changes: a record store keyed by record key (latin1). */
function persist(ks: Keyspace, store: Map<string, Buffer>): { keys: number; elements: number } {
  let keys = 0;
  let elements = 0;
  for (const ch of ks.drainChanges()) {
    if ('flushAll' in ch || 'flushDb' in ch) {
      store.clear();
      continue;
    }
    const rec = ks.encodeRecord(ch.db, ch.key);
    keys++;
    const key = Buffer.concat([Buffer.from([ch.db]), Buffer.from(ch.key, 'latin1')]).toString('latin1');
    if (rec) store.set(rec.key.toString('latin1'), Buffer.from(rec.value));
    else store.delete(key);
  }
  ks.drainElementRecords((k, v) => {
    elements++;
    if (v === null) store.delete(k.toString('latin1'));
    else store.set(k.toString('latin1'), Buffer.from(v));
  });
  return { keys, elements };
}

/** A fresh keyspace rebuilt from the records, in store (sorted key) order as LMDB returns them. */
function restore(store: Map<string, Buffer>, reverse = false): Keyspace {
  const ks = new Keyspace();
  const keys = [...store.keys()].sort((a, b) => Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1')));
  // Reversed: element records before their key record and chunks out of order (the orphan path).
  if (reverse) keys.reverse();
  for (const k of keys) ks.applyRecord(Buffer.from(k, 'latin1'), store.get(k)!);
  ks.finishRestore();
  return ks;
}

function listAt(ks: Keyspace, key: string, db = 0): ListValue {
  const v = ks.dbs[db].lookupRead(key, 0);
  expect(v).to.be.instanceOf(ListValue);
  return v as ListValue;
}

describe('list commands', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });

  describe('LPUSH / RPUSH / LPUSHX / RPUSHX / LLEN / LRANGE', () => {
    it('pushes in argument order at each end', () => {
      expect(h.run('rpush', 'l', 'a', 'b', 'c')).to.equal(3);
      expect(h.run('lpush', 'l', 'x', 'y', 'z')).to.equal(6);
      expect(h.run('lrange', 'l', 0, -1)).to.deep.equal(['z', 'y', 'x', 'a', 'b', 'c']);
      expect(h.run('llen', 'l')).to.equal(6);
      expect(h.run('llen', 'nokey')).to.equal(0);
      expect(h.run('type', 'l')).to.deep.equal({ status: 'list' });
      expect(listAt(h.ks, 'l').encoding()).to.equal('quicklist'); // OBJECT ENCODING (a server command)
    });

    it('PUSHX only touches existing lists', () => {
      expect(h.run('lpushx', 'l', 'a')).to.equal(0);
      expect(h.run('rpushx', 'l', 'a', 'b')).to.equal(0);
      expect(h.run('exists', 'l')).to.equal(0);
      h.run('rpush', 'l', 'm');
      expect(h.run('lpushx', 'l', 'a', 'b')).to.equal(3);
      expect(h.run('rpushx', 'l', 'y', 'z')).to.equal(5);
      expect(h.run('lrange', 'l', 0, -1)).to.deep.equal(['b', 'a', 'm', 'y', 'z']);
    });

    it('is binary safe and does not keep the argument buffer', () => {
      const v = Buffer.from([0, 255, 13, 10]);
      command('rpush').exec(h.ctx(true), argv('rpush', 'l', v));
      v.fill(0x41);
      expect(h.run('lindex', 'l', 0)).to.equal('\x00\xff\r\n');
      const raw = h.raw('lrange', 'l', 0, -1) as Buffer[];
      expect(raw[0]).to.deep.equal(Buffer.from([0, 255, 13, 10]));
    });

    it('LRANGE normalizes indexes as Redis does', () => {
      h.run('rpush', 'l', 'a', 'b', 'c', 'd', 'e', 'f');
      expect(h.run('lrange', 'l', -100, 100)).to.have.length(6);
      expect(h.run('lrange', 'l', 2, 1)).to.deep.equal([]);
      expect(h.run('lrange', 'l', 6, 10)).to.deep.equal([]);
      expect(h.run('lrange', 'l', -2, -1)).to.deep.equal(['e', 'f']);
      expect(h.run('lrange', 'l', 0, -7)).to.deep.equal([]);
      expect(h.run('lrange', 'l', 1, 2)).to.deep.equal(['b', 'c']);
      expect(h.run('lrange', 'l', 'a', 1)).to.deep.equal(NOT_INT);
      expect(h.run('lrange', 'nokey', 'a', 1)).to.deep.equal(NOT_INT); // parsed before the lookup
      expect(h.run('lrange', 'nokey', 0, 1)).to.deep.equal([]);
    });

    it('WRONGTYPE for every command on a string', () => {
      h.run('set', 's', 'v');
      const calls: Array<Array<string | number>> = [
        ['lpush', 's', 'a'],
        ['rpush', 's', 'a'],
        ['lpushx', 's', 'a'],
        ['rpushx', 's', 'a'],
        ['lpop', 's'],
        ['rpop', 's', 0],
        ['llen', 's'],
        ['lrange', 's', 0, 1],
        ['lindex', 's', 0],
        ['lset', 's', 0, 'x'],
        ['linsert', 's', 'before', 'a', 'b'],
        ['lrem', 's', 0, 'a'],
        ['ltrim', 's', 0, 1],
        ['lpos', 's', 'a'],
        ['lmove', 's', 'd', 'left', 'right'],
        ['rpoplpush', 's', 'd'],
        ['lmpop', 1, 's', 'left'],
      ];
      for (const c of calls) expect(h.run(...c), c.join(' ')).to.deep.equal(WRONGTYPE);
      expect(h.run('get', 's')).to.equal('v');
    });
  });

  describe('LPOP / RPOP', () => {
    it('null bulk without count, null array with count on a missing key', () => {
      expect(h.raw('lpop', 'nokey')).to.equal(null);
      expect(h.raw('lpop', 'nokey', 2)).to.equal(NullArray.instance);
      expect(h.raw('rpop', 'nokey', 0)).to.equal(NullArray.instance);
    });

    it('count errors come before the lookup; too many arguments is an arity error', () => {
      const positive = err('ERR value is out of range, must be positive');
      expect(h.run('lpop', 'nokey', -1)).to.deep.equal(positive);
      expect(h.run('lpop', 'nokey', 'abc')).to.deep.equal(positive);
      h.run('set', 's', 'v');
      expect(h.run('lpop', 's', -1)).to.deep.equal(positive);
      expect(h.run('lpop', 'k', 1, 2)).to.deep.equal(err("ERR wrong number of arguments for 'lpop' command"));
      expect(h.run('rpop', 'k', 1, 2)).to.deep.equal(err("ERR wrong number of arguments for 'rpop' command"));
      expect(command('lpop').check!(argv('lpop', 'k', 'x'))).to.have.property('message', positive.err);
    });

    it('pops one or many, count 0 is an empty array, an emptied list is deleted', () => {
      h.run('rpush', 'l', 'a', 'b', 'c', 'd', 'e');
      expect(h.run('lpop', 'l', 0)).to.deep.equal([]);
      expect(h.run('lpop', 'l')).to.equal('a');
      expect(h.run('rpop', 'l')).to.equal('e');
      expect(h.run('lpop', 'l', 2)).to.deep.equal(['b', 'c']);
      expect(h.run('rpop', 'l', 5)).to.deep.equal(['d']);
      expect(h.run('exists', 'l')).to.equal(0);
      expect(h.run('lpop', 'l')).to.equal(null);
    });
  });

  describe('LINDEX / LSET', () => {
    beforeEach(() => {
      h.run('rpush', 'l', 'a', 'b', 'c', 'd', 'e');
    });

    it('LINDEX with negative indexes; the key is looked up before the index is parsed', () => {
      expect(h.run('lindex', 'l', 0)).to.equal('a');
      expect(h.run('lindex', 'l', -1)).to.equal('e');
      expect(h.run('lindex', 'l', -5)).to.equal('a');
      expect(h.run('lindex', 'l', -6)).to.equal(null);
      expect(h.run('lindex', 'l', 5)).to.equal(null);
      expect(h.run('lindex', 'l', 'abc')).to.deep.equal(NOT_INT);
      expect(h.run('lindex', 'nokey', 'abc')).to.equal(null);
    });

    it('LSET errors word for word', () => {
      expect(h.run('lset', 'nokey', 0, 'x')).to.deep.equal(err('ERR no such key'));
      expect(h.run('lset', 'nokey', 'abc', 'x')).to.deep.equal(err('ERR no such key'));
      expect(h.run('lset', 'l', 5, 'x')).to.deep.equal(err('ERR index out of range'));
      expect(h.run('lset', 'l', -6, 'x')).to.deep.equal(err('ERR index out of range'));
      expect(h.run('lset', 'l', 'abc', 'x')).to.deep.equal(NOT_INT);
      expect(h.run('lset', 'l', -1, 'E')).to.deep.equal(OK_);
      expect(h.run('lset', 'l', 0, 'A')).to.deep.equal(OK_);
      expect(h.run('lrange', 'l', 0, -1)).to.deep.equal(['A', 'b', 'c', 'd', 'E']);
    });
  });

  describe('LINSERT / LREM / LTRIM', () => {
    it('LINSERT before/after the first pivot, -1 without pivot, 0 without key, syntax first', () => {
      h.run('rpush', 'l', 'a', 'c', 'c');
      expect(h.run('linsert', 'nokey', 'middle', 'a', 'b')).to.deep.equal(SYNTAX);
      expect(h.run('linsert', 'nokey', 'before', 'a', 'b')).to.equal(0);
      expect(h.run('linsert', 'l', 'before', 'zz', 'x')).to.equal(-1);
      expect(h.run('linsert', 'l', 'before', 'c', 'b')).to.equal(4);
      expect(h.run('linsert', 'l', 'AFTER', 'c', 'd')).to.equal(5);
      expect(h.run('linsert', 'l', 'Before', 'a', 'start')).to.equal(6);
      expect(h.run('linsert', 'l', 'after', 'c', 'end')).to.equal(7);
      expect(h.run('lrange', 'l', 0, -1)).to.deep.equal(['start', 'a', 'b', 'c', 'end', 'd', 'c']);
    });

    it('LINSERT in the middle of a large list splits chunks and keeps order', () => {
      const model: string[] = [];
      for (let i = 0; i < 1000; i++) model.push(`e${i}`);
      h.run('rpush', 'l', ...model);
      for (let i = 0; i < 300; i++) {
        const pivot = model[500];
        h.run('linsert', 'l', 'before', pivot, `n${i}`);
        model.splice(500, 0, `n${i}`);
      }
      expect(h.run('lrange', 'l', 0, -1)).to.deep.equal(model);
      expect(h.run('lindex', 'l', 650)).to.equal(model[650]);
      const l = listAt(h.ks, 'l');
      expect(l.chunkCount).to.be.within(Math.ceil(1300 / CHUNK_MAX_ITEMS), 40);
    });

    it('LREM from the head, from the tail and all; the emptied list is deleted', () => {
      h.run('rpush', 'r', 'a', 'b', 'a', 'c', 'a', 'd', 'a');
      expect(h.run('lrem', 'r', 'x', 'a')).to.deep.equal(NOT_INT);
      expect(h.run('lrem', 'nokey', 'x', 'a')).to.deep.equal(NOT_INT);
      expect(h.run('lrem', 'nokey', 0, 'a')).to.equal(0);
      expect(h.run('lrem', 'r', 2, 'a')).to.equal(2);
      expect(h.run('lrange', 'r', 0, -1)).to.deep.equal(['b', 'c', 'a', 'd', 'a']);
      expect(h.run('lrem', 'r', -1, 'a')).to.equal(1);
      expect(h.run('lrange', 'r', 0, -1)).to.deep.equal(['b', 'c', 'a', 'd']);
      expect(h.run('lrem', 'r', 0, 'a')).to.equal(1);
      expect(h.run('lrem', 'r', 0, 'zz')).to.equal(0);
      for (const e of ['b', 'c', 'd']) expect(h.run('lrem', 'r', 0, e)).to.equal(1);
      expect(h.run('exists', 'r')).to.equal(0);
    });

    it('LTRIM keeps a range, empties (and deletes) on an empty range', () => {
      h.run('rpush', 't', ...Array.from({ length: 10 }, (_, i) => i));
      expect(h.run('ltrim', 't', 1, -2)).to.deep.equal(OK_);
      expect(h.run('lrange', 't', 0, -1)).to.deep.equal(['1', '2', '3', '4', '5', '6', '7', '8']);
      expect(h.run('ltrim', 't', -3, 100)).to.deep.equal(OK_);
      expect(h.run('lrange', 't', 0, -1)).to.deep.equal(['6', '7', '8']);
      expect(h.run('ltrim', 't', 2, 1)).to.deep.equal(OK_);
      expect(h.run('exists', 't')).to.equal(0);
      expect(h.run('ltrim', 'nokey', 0, 1)).to.deep.equal(OK_);
      expect(h.run('ltrim', 'nokey', 'a', 1)).to.deep.equal(NOT_INT);
    });

    it('LTRIM across many chunks', () => {
      const model = Array.from({ length: 5000 }, (_, i) => `v${i}`);
      h.run('rpush', 'l', ...model);
      h.run('ltrim', 'l', 1234, -1001);
      expect(h.run('lrange', 'l', 0, -1)).to.deep.equal(model.slice(1234, 4000));
      expect(listAt(h.ks, 'l').chunkCount).to.be.below(30);
    });
  });

  describe('LPOS', () => {
    beforeEach(() => {
      h.run('rpush', 'p', 'a', 'b', 'c', 'a', 'b', 'c', 'a');
    });

    it('RANK, COUNT and MAXLEN', () => {
      expect(h.run('lpos', 'p', 'a')).to.equal(0);
      expect(h.run('lpos', 'p', 'a', 'rank', 2)).to.equal(3);
      expect(h.run('lpos', 'p', 'a', 'rank', -1)).to.equal(6);
      expect(h.run('lpos', 'p', 'a', 'rank', -2)).to.equal(3);
      expect(h.run('lpos', 'p', 'a', 'count', 0)).to.deep.equal([0, 3, 6]);
      expect(h.run('lpos', 'p', 'a', 'count', 2)).to.deep.equal([0, 3]);
      expect(h.run('lpos', 'p', 'a', 'rank', -1, 'count', 2)).to.deep.equal([6, 3]);
      expect(h.run('lpos', 'p', 'a', 'rank', 2, 'count', 0)).to.deep.equal([3, 6]);
      expect(h.run('lpos', 'p', 'a', 'maxlen', 3, 'count', 0)).to.deep.equal([0]);
      expect(h.run('lpos', 'p', 'c', 'rank', -1, 'maxlen', 2)).to.equal(5);
      expect(h.run('lpos', 'p', 'c', 'rank', -1, 'maxlen', 1)).to.equal(null);
      expect(h.run('lpos', 'p', 'z')).to.equal(null);
      expect(h.run('lpos', 'p', 'z', 'count', 0)).to.deep.equal([]);
      expect(h.run('lpos', 'nokey', 'a', 'count', 0)).to.deep.equal([]);
      expect(h.run('lpos', 'nokey', 'a')).to.equal(null);
      // Redis 7.0 negates LONG_MIN into itself: every match from the tail qualifies.
      expect(h.run('lpos', 'p', 'a', 'rank', '-9223372036854775808')).to.equal(6);
      expect(h.run('lpos', 'p', 'a', 'rank', '-9223372036854775808', 'count', 1)).to.deep.equal([6, 3, 0]);
    });

    it('errors word for word, before the lookup', () => {
      const rank0 = err("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
      expect(h.run('lpos', 'nokey', 'a', 'rank', 0)).to.deep.equal(rank0);
      expect(h.run('lpos', 'p', 'a', 'count', -1)).to.deep.equal(err("ERR COUNT can't be negative"));
      expect(h.run('lpos', 'p', 'a', 'count', 'abc')).to.deep.equal(err("ERR COUNT can't be negative"));
      expect(h.run('lpos', 'p', 'a', 'maxlen', -1)).to.deep.equal(err("ERR MAXLEN can't be negative"));
      expect(h.run('lpos', 'p', 'a', 'rank', 'abc')).to.deep.equal(NOT_INT);
      expect(h.run('lpos', 'p', 'a', 'rank')).to.deep.equal(SYNTAX);
      expect(h.run('lpos', 'p', 'a', 'foo', 1)).to.deep.equal(SYNTAX);
      h.run('set', 's', 'v');
      expect(h.run('lpos', 's', 'a', 'rank', 0)).to.deep.equal(rank0);
    });
  });

  describe('LMOVE / RPOPLPUSH / LMPOP', () => {
    it('LMOVE between lists, rotation of one list, WRONGTYPE without moving', () => {
      h.run('set', 's', 'v');
      expect(h.run('lmove', 'nokey', 's', 'left', 'right')).to.equal(null);
      expect(h.run('lmove', 's', 'nokey', 'left', 'up')).to.deep.equal(SYNTAX);
      h.run('rpush', 'l', 'a');
      expect(h.run('lmove', 'l', 's', 'left', 'right')).to.deep.equal(WRONGTYPE);
      expect(h.run('lrange', 'l', 0, -1)).to.deep.equal(['a']);
      expect(h.run('lmove', 'l', 'l', 'left', 'right')).to.equal('a');
      expect(h.run('lrange', 'l', 0, -1)).to.deep.equal(['a']);
      h.run('rpush', 'l', 'b', 'c');
      expect(h.run('lmove', 'l', 'l', 'left', 'right')).to.equal('a');
      expect(h.run('lrange', 'l', 0, -1)).to.deep.equal(['b', 'c', 'a']);
      expect(h.run('lmove', 'l', 'l', 'RIGHT', 'LEFT')).to.equal('a');
      expect(h.run('lmove', 'l', 'd', 'Left', 'Right')).to.equal('a');
      expect(h.run('lmove', 'l', 'd', 'right', 'left')).to.equal('c');
      expect(h.run('lmove', 'l', 'd', 'left', 'left')).to.equal('b');
      expect(h.run('exists', 'l')).to.equal(0);
      expect(h.run('lrange', 'd', 0, -1)).to.deep.equal(['b', 'c', 'a']);
    });

    it('RPOPLPUSH is LMOVE RIGHT LEFT', () => {
      h.run('rpush', 'd', 'a', 'b', 'c');
      expect(h.run('rpoplpush', 'nokey', 'd')).to.equal(null);
      expect(h.run('rpoplpush', 'd', 'd')).to.equal('c');
      expect(h.run('rpoplpush', 'd', 'e')).to.equal('b');
      expect(h.run('lrange', 'd', 0, -1)).to.deep.equal(['c', 'a']);
      expect(h.run('lrange', 'e', 0, -1)).to.deep.equal(['b']);
      expect(h.run('rpoplpush', 'd')).to.deep.equal(err("ERR wrong number of arguments for 'rpoplpush' command"));
    });

    it('LMPOP parsing errors', () => {
      expect(h.run('lmpop', 0, 'l', 'left')).to.deep.equal(err('ERR numkeys should be greater than 0'));
      expect(h.run('lmpop', 'abc', 'l', 'left')).to.deep.equal(err('ERR numkeys should be greater than 0'));
      expect(h.run('lmpop', 2, 'l', 'left')).to.deep.equal(SYNTAX);
      expect(h.run('lmpop', '9223372036854775807', 'l', 'left')).to.deep.equal(SYNTAX);
      expect(h.run('lmpop', 1, 'l', 'middle')).to.deep.equal(SYNTAX);
      expect(h.run('lmpop', 1, 'l', 'left', 'count', 0)).to.deep.equal(err('ERR count should be greater than 0'));
      expect(h.run('lmpop', 1, 'l', 'left', 'count', 'abc')).to.deep.equal(err('ERR count should be greater than 0'));
      expect(h.run('lmpop', 1, 'l', 'left', 'count', 1, 'count', 2)).to.deep.equal(SYNTAX);
      expect(h.run('lmpop', 1, 'l', 'left', 'count')).to.deep.equal(SYNTAX);
    });

    it('LMPOP pops from the first non-empty list; WRONGTYPE only before it', () => {
      expect(h.raw('lmpop', 1, 'nokey', 'left')).to.equal(NullArray.instance);
      h.run('set', 's', 'v');
      expect(h.run('lmpop', 2, 'nokey', 's', 'left')).to.deep.equal(WRONGTYPE);
      h.run('rpush', 'm', 1, 2, 3, 4, 5);
      expect(h.run('lmpop', 3, 'nokey', 'm', 's', 'left', 'count', 2)).to.deep.equal(['m', ['1', '2']]);
      expect(h.run('lmpop', 1, 'm', 'right', 'COUNT', 2)).to.deep.equal(['m', ['5', '4']]);
      expect(h.run('lmpop', 1, 'm', 'right')).to.deep.equal(['m', ['3']]);
      expect(h.run('exists', 'm')).to.equal(0);
    });
  });

  describe('helpers for the blocking commands', () => {
    it('popFromList / moveBetween / lmpopFirst / pushToList apply one step with Redis semantics', () => {
      h.run('set', 's', 'v');
      expect(pushToList(h.ctx(true), 'l', 'right', [Buffer.from('a'), Buffer.from('b'), Buffer.from('c')])).to.equal(3);
      expect(pushToList(h.ctx(true), 's', 'right', [Buffer.from('a')])).to.have.property('message').that.match(/^WRONGTYPE/);
      expect(popFromList(h.ctx(true), Buffer.from('nokey'), 'left', 1)).to.equal(null);
      expect(popFromList(h.ctx(true), 's', 'left', 1)).to.have.property('message').that.match(/^WRONGTYPE/);
      expect(popFromList(h.ctx(true), 'l', 'right', 1)).to.deep.equal([Buffer.from('c')]);
      expect(moveBetween(h.ctx(true), 'l', 's', 'left', 'left')).to.have.property('message').that.match(/^WRONGTYPE/);
      expect(moveBetween(h.ctx(true), 'nokey', 's', 'left', 'left')).to.equal(null);
      expect(moveBetween(h.ctx(true), Buffer.from('l'), Buffer.from('x'), 'left', 'right')).to.deep.equal(Buffer.from('a'));
      expect(lmpopFirst(h.ctx(true), ['nokey', Buffer.from('l')], 'left', 5)).to.deep.equal([Buffer.from('l'), [Buffer.from('b')]]);
      expect(h.run('exists', 'l')).to.equal(0);
      expect(lmpopFirst(h.ctx(true), ['l'], 'left', 1)).to.equal(NullArray.instance);
      expect(h.run('lrange', 'x', 0, -1)).to.deep.equal(['a']);
    });

    it('a pop bumps the key version (WATCH) and an emptying pop deletes the key', () => {
      h.run('rpush', 'l', 'a', 'b');
      const before = h.ks.dbs[0].version('l');
      popFromList(h.ctx(true), 'l', 'left', 1);
      expect(h.ks.dbs[0].version('l')).to.be.above(before);
      popFromList(h.ctx(true), 'l', 'left', 1);
      expect(h.ks.dbs[0].lookupRead('l', h.now)).to.equal(undefined);
    });
  });

  describe('expiry and generic key commands', () => {
    it('an expired list is absent for writes and reads', () => {
      h.run('rpush', 'l', 'a');
      h.run('pexpire', 'l', 10);
      h.now += 20;
      expect(h.run('llen', 'l')).to.equal(0);
      expect(h.run('rpushx', 'l', 'b')).to.equal(0);
      expect(h.run('rpush', 'l', 'c')).to.equal(1);
      expect(h.run('lrange', 'l', 0, -1)).to.deep.equal(['c']);
    });

    it('COPY clones (independent), RENAME moves the list', () => {
      h.run('rpush', 'l', 'a', 'b');
      expect(h.run('copy', 'l', 'c')).to.equal(1);
      h.run('rpush', 'c', 'z');
      expect(h.run('lrange', 'l', 0, -1)).to.deep.equal(['a', 'b']);
      expect(h.run('lrange', 'c', 0, -1)).to.deep.equal(['a', 'b', 'z']);
      h.run('rename', 'l', 'm');
      expect(h.run('lrange', 'm', 0, -1)).to.deep.equal(['a', 'b']);
    });
  });
});

describe('ListValue persistence', () => {
  let h: Harness;
  let store: Map<string, Buffer>;
  beforeEach(() => {
    h = new Harness();
    h.ks.trackChanges = true;
    store = new Map();
  });

  function roundTrip(keys: string[]): Keyspace {
    persist(h.ks, store);
    const other = restore(store);
    const reversed = restore(store, true);
    for (const k of keys) {
      expect(reversed.dbs[0].lookupRead(k, 0)?.type).to.equal(other.dbs[0].lookupRead(k, 0)?.type);
      const rv = reversed.dbs[0].lookupRead(k, 0);
      if (rv instanceof ListValue) expect([...rv.elements()], `${k} restored in reverse`).to.deep.equal([...(other.dbs[0].lookupRead(k, 0) as ListValue).elements()]);
      const ours = h.ks.dbs[0].lookupRead(k, 0);
      const theirs = other.dbs[0].lookupRead(k, 0);
      if (ours === undefined || ours.type === 'string') {
        expect(theirs, k).to.deep.equal(ours);
        continue;
      }
      const a = ours as ListValue;
      const b = theirs as ListValue;
      expect(b, k).to.be.instanceOf(ListValue);
      expect([...b.elements()], k).to.deep.equal([...a.elements()]);
      expect(b.length).to.equal(a.length);
      expect(b.bytes, `${k} bytes`).to.equal(a.bytes);
      expect(b.chunkCount).to.equal(a.chunkCount);
    }
    return other;
  }

  it('order keys sort as their bytes', () => {
    const keys = [-1e300, -65536 * 3, -1.5, -Number.MIN_VALUE, 0, Number.MIN_VALUE, 0.25, 1, 65536, 1e300];
    const enc = keys.map(orderKeyBytes);
    const sorted = [...enc].sort((a, b) => Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1')));
    expect(sorted).to.deep.equal(enc);
    for (const k of keys) expect(orderKeyOf(orderKeyBytes(k))).to.equal(k);
    expect(orderKeyBytes(-0)).to.equal(orderKeyBytes(0));
  });

  it('round-trips pushes, pops, LINSERT in the middle, LSET, LREM, LTRIM, and continued writes', () => {
    h.run('rpush', 'l', ...Array.from({ length: 1000 }, (_, i) => `e${i}`));
    h.run('lpush', 'l', ...Array.from({ length: 300 }, (_, i) => `h${i}`));
    roundTrip(['l']);
    for (let i = 0; i < 200; i++) h.run('linsert', 'l', 'after', 'e500', `m${i}`);
    h.run('lset', 'l', 10, 'x'.repeat(10000)); // one big element: the chunk splits by bytes
    h.run('lrem', 'l', 0, 'e7');
    h.run('lrem', 'l', 50, 'm3');
    roundTrip(['l']);
    h.run('ltrim', 'l', 100, -100);
    h.run('lpop', 'l', 17);
    h.run('rpop', 'l', 300);
    let other = roundTrip(['l']);
    // Continued writes on both sides stay identical, and restoring again still matches.
    for (let i = 0; i < 500; i++) h.run(i % 2 ? 'lpush' : 'rpush', 'l', `c${i}`);
    h.run('linsert', 'l', 'before', 'e600', 'ins');
    other = roundTrip(['l']);
    expect([...(other.dbs[0].lookupRead('l', 0) as ListValue).elements()]).to.include('ins');
  });

  it('a deleted list leaves no element records; an overwritten one neither', () => {
    h.run('rpush', 'l', ...Array.from({ length: 600 }, (_, i) => i));
    h.run('rpush', 'm', 'a');
    persist(h.ks, store);
    const elementRecords = (): number => [...store.keys()].filter((k) => k.charCodeAt(0) === 0xfc).length;
    expect(elementRecords()).to.equal(listAt(h.ks, 'l').chunkCount + 1);
    h.run('del', 'l');
    h.run('set', 'm', 'str');
    persist(h.ks, store);
    expect(elementRecords()).to.equal(0);
    roundTrip(['l', 'm']);
  });

  it('LMOVE between two lists, RENAME and COPY persist', () => {
    h.run('rpush', 'a', ...Array.from({ length: 300 }, (_, i) => i));
    persist(h.ks, store);
    for (let i = 0; i < 150; i++) h.run('lmove', 'a', 'b', 'left', 'right');
    h.run('rename', 'b', 'c');
    h.run('copy', 'a', 'd');
    h.run('rpush', 'd', 'only-d');
    roundTrip(['a', 'b', 'c', 'd']);
  });

  it('an RPUSH onto a 200,000-element list drains exactly one element record', () => {
    const items = Array.from({ length: 200000 }, (_, i) => `item:${i}`);
    for (let i = 0; i < items.length; i += 10000) h.run('rpush', 'big', ...items.slice(i, i + 10000));
    persist(h.ks, store);
    h.run('rpush', 'big', 'one-more');
    const drained = persist(h.ks, store);
    expect(drained.elements).to.equal(1);
    h.run('lpush', 'big', 'at-head');
    expect(persist(h.ks, store).elements).to.equal(1);
    h.run('lpop', 'big');
    h.run('rpop', 'big');
    expect(persist(h.ks, store).elements).to.equal(2);
    h.run('lset', 'big', 100000, 'changed');
    expect(persist(h.ks, store).elements).to.equal(1);
    const other = restore(store);
    const b = other.dbs[0].lookupRead('big', 0) as ListValue;
    expect(b.length).to.equal(200000);
    expect(b.get(100000)).to.equal('changed');
    expect(b.get(199999)).to.equal('item:199999');
  });

  it('renumbers when no order key fits between two chunks, and still round-trips', () => {
    // Alternating inserts at one spot split the same pair of chunks until the midpoints run out.
    h.run('rpush', 'l', ...Array.from({ length: 256 }, (_, i) => `b${i}`));
    persist(h.ks, store);
    const model = Array.from({ length: 256 }, (_, i) => `b${i}`);
    const proto = ListValue.prototype as unknown as { renumber: () => void };
    const original = proto.renumber;
    let renumbered = 0;
    proto.renumber = function (this: unknown) {
      renumbered++;
      original.call(this);
    };
    try {
      for (let i = 0; i < 20000; i++) {
        h.run('linsert', 'l', 'after', 'b127', `n${i}`);
        model.splice(128, 0, `n${i}`);
        if (i % 3000 === 0) roundTrip(['l']);
      }
    } finally {
      proto.renumber = original;
    }
    expect(renumbered).to.be.above(1);
    expect(h.run('lrange', 'l', 0, -1)).to.deep.equal(model);
    roundTrip(['l']);
  });

  it('random operations match an array model and round-trip (seeded)', () => {
    const rand = rng(12345);
    const model = new Map<string, string[]>();
    const keys = ['k0', 'k1', 'k2'];
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
    const val = (): string => (rand() < 0.05 ? 'x'.repeat(Math.floor(rand() * 9000)) : `v${Math.floor(rand() * 50)}`);
    for (let step = 0; step < 4000; step++) {
      const k = pick(keys);
      const m = model.get(k) ?? [];
      const op = Math.floor(rand() * 9);
      if (op === 0) {
        const vs = Array.from({ length: 1 + Math.floor(rand() * 200) }, val);
        h.run('rpush', k, ...vs);
        m.push(...vs);
      } else if (op === 1) {
        const vs = Array.from({ length: 1 + Math.floor(rand() * 50) }, val);
        h.run('lpush', k, ...vs);
        for (const v of vs) m.unshift(v);
      } else if (op === 2) {
        const n = Math.floor(rand() * 40);
        h.run('lpop', k, n);
        m.splice(0, n);
      } else if (op === 3) {
        const n = Math.floor(rand() * 40);
        h.run('rpop', k, n);
        m.splice(Math.max(0, m.length - n), n);
      } else if (op === 4 && m.length > 0) {
        const pivot = pick(m);
        const v = val();
        const after = rand() < 0.5;
        h.run('linsert', k, after ? 'after' : 'before', pivot, v);
        const at = m.indexOf(pivot);
        m.splice(after ? at + 1 : at, 0, v);
      } else if (op === 5 && m.length > 0) {
        const i = Math.floor(rand() * m.length);
        const v = val();
        h.run('lset', k, i, v);
        m[i] = v;
      } else if (op === 6) {
        const v = `v${Math.floor(rand() * 50)}`;
        const count = Math.floor(rand() * 7) - 3;
        const got = h.run('lrem', k, count, v) as number;
        let removed = 0;
        if (count >= 0) {
          for (let i = 0; i < m.length && (count === 0 || removed < count); )
            if (m[i] === v) {
              m.splice(i, 1);
              removed++;
            } else i++;
        } else {
          for (let i = m.length - 1; i >= 0 && removed < -count; i--)
            if (m[i] === v) {
              m.splice(i, 1);
              removed++;
            }
        }
        expect(got).to.equal(removed);
      } else if (op === 7) {
        const a = Math.floor(rand() * 60) - 10;
        const b = -1 - Math.floor(rand() * 60);
        h.run('ltrim', k, a, b);
        const len = m.length;
        const s = a < 0 ? Math.max(0, len + a) : a;
        const e = len + b;
        const kept = s > e || s >= len ? [] : m.slice(s, e + 1);
        m.length = 0;
        m.push(...kept);
      } else if (op === 8) {
        const other = pick(keys);
        const om = model.get(other) ?? [];
        const r = h.run('lmove', k, other, 'left', 'right');
        if (m.length > 0) {
          const v = m.shift()!;
          expect(r).to.equal(v);
          (other === k ? m : om).push(v);
          model.set(other, other === k ? m : om);
        } else expect(r).to.equal(null);
      }
      model.set(k, m);
      if (step % 400 === 0) {
        for (const key of keys) expect(h.run('lrange', key, 0, -1), `${key} at ${step}`).to.deep.equal(model.get(key) ?? []);
        roundTrip(keys);
      }
    }
    for (const key of keys) expect(h.run('lrange', key, 0, -1)).to.deep.equal(model.get(key) ?? []);
    roundTrip(keys);
  });

  it('clone has every chunk pending and id 0; restore has nothing pending', () => {
    const l = ListValue.from(Array.from({ length: 300 }, (_, i) => `x${i}`));
    let n = 0;
    l.drainRecords(() => n++);
    expect(n).to.equal(l.chunkCount);
    const c = l.clone() as Collection;
    expect(c.id).to.equal(0);
    let m = 0;
    c.drainRecords(() => m++);
    expect(m).to.equal(l.chunkCount);
    const r = new ListValue();
    l.clone().drainRecords((sub, v) => r.restoreRecord(sub, v!));
    r.finishRestore();
    let p = 0;
    r.drainRecords(() => p++);
    expect(p).to.equal(0);
    expect([...r.elements()]).to.deep.equal([...l.elements()]);
  });
});
