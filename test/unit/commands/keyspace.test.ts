import { expect } from 'chai';
import { Keyspace, META_DB, NO_EXPIRE, keyBuffer, keyString, stringValue, type KeyspaceChange, type StringValue, type Value } from '../../../server/keyspace';

const v = (s: string) => stringValue(Buffer.from(s, 'latin1'));
const str = (x: Value | undefined) => (x?.type === 'string' ? x.value.toString('latin1') : undefined);

describe('keyspace', () => {
  it('has 16 databases by default and keys are binary safe', () => {
    const ks = new Keyspace();
    expect(ks.dbs).to.have.length(16);
    const raw = Buffer.from([0x00, 0xff, 0x80, 0x0a]);
    const key = keyString(raw);
    expect(key).to.have.length(4);
    expect(keyBuffer(key).equals(raw)).to.equal(true);
    ks.dbs[0].set(key, v('x'), 1);
    expect(str(ks.dbs[0].lookupRead(keyString(Buffer.from([0x00, 0xff, 0x80, 0x0a])), 0))).to.equal('x');
  });

  describe('expiry', () => {
    it('a deadline equal to now is expired; reads do not delete, writes do', () => {
      const db = new Keyspace().dbs[0];
      db.set('k', v('1'), 1);
      db.setExpire('k', 1000, 2);
      expect(str(db.lookupRead('k', 999))).to.equal('1');
      expect(db.lookupRead('k', 1000)).to.equal(undefined);
      expect(db.size()).to.equal(1); // the read did not mutate
      expect(db.lookupWrite('k', 999, 3)).to.not.equal(undefined);
      expect(db.lookupWrite('k', 1000, 4)).to.equal(undefined);
      expect(db.size()).to.equal(0);
      expect(db.expiresCount()).to.equal(0);
      expect(db.version('k')).to.equal(4);
    });

    it('deleteIfExpired only deletes keys past their deadline (a re-set key survives)', () => {
      const db = new Keyspace().dbs[0];
      db.set('k', v('1'), 1);
      db.setExpire('k', 1000, 2);
      expect(db.deleteIfExpired('k', 999, 3)).to.equal(false);
      db.set('k', v('2'), 4); // SET clears the TTL
      expect(db.deleteIfExpired('k', 5000, 5)).to.equal(false);
      db.setExpire('k', 6000, 6);
      expect(db.deleteIfExpired('k', 6000, 7)).to.equal(true);
      expect(db.deleteIfExpired('missing', 6000, 8)).to.equal(false);
    });

    it('expiredCandidates resumes across calls and bounds its work', () => {
      const db = new Keyspace().dbs[0];
      for (let i = 0; i < 100; i++) {
        db.set(`k${i}`, v('x'), 1);
        db.setExpire(`k${i}`, i % 2 === 0 ? 500 : 5000, 1);
      }
      const first = db.expiredCandidates(1000, 10);
      expect(first).to.have.length(10);
      const seen = new Set(first);
      for (let round = 0; round < 10; round++) for (const k of db.expiredCandidates(1000, 10)) seen.add(k);
      expect(seen.size).to.equal(50);
      for (const k of seen) expect(Number(k.slice(1)) % 2).to.equal(0);
      // With a tiny budget it examines at most max*20 keys per call.
      expect(db.expiredCandidates(100, 1)).to.deep.equal([]);
    });

    it('avgTtl and expiresCount follow TTL changes', () => {
      const db = new Keyspace().dbs[0];
      db.set('a', v('1'), 1);
      db.set('b', v('1'), 1);
      expect(db.avgTtl(0)).to.equal(0);
      db.setExpire('a', 2_000_000_001_000, 2);
      db.setExpire('b', 2_000_000_003_000, 3);
      expect(db.expiresCount()).to.equal(2);
      expect(db.avgTtl(2_000_000_000_000)).to.equal(2000);
      db.removeExpire('a', 4);
      expect(db.avgTtl(2_000_000_000_000)).to.equal(3000);
      db.set('b', v('2'), 5);
      expect(db.expiresCount()).to.equal(0);
      expect(db.avgTtl(2_000_000_000_000)).to.equal(0);
    });
  });

  describe('versions (WATCH)', () => {
    it('records the index of the last mutation, keeps it visible after delete', () => {
      const db = new Keyspace().dbs[0];
      expect(db.version('k')).to.equal(0);
      db.set('k', v('1'), 7);
      expect(db.version('k')).to.equal(7);
      db.setExpire('k', 1e13, 9);
      expect(db.version('k')).to.equal(9);
      db.delete('k', 12);
      expect(db.version('k')).to.equal(12);
      db.set('k', v('2'), 15);
      expect(db.version('k')).to.equal(15);
    });

    it('FLUSHDB raises the floor for every key, seen or not', () => {
      const ks = new Keyspace();
      const db = ks.dbs[0];
      db.set('a', v('1'), 3);
      db.flush(10);
      expect(db.version('a')).to.equal(10);
      expect(db.version('never')).to.equal(10);
      expect(ks.dbs[1].version('never')).to.equal(0);
      ks.flushAll(20);
      expect(ks.dbs[1].version('never')).to.equal(20);
    });

    it('tombstone overflow drops the oldest half and raises the floor, never reporting an old version', () => {
      const db = new Keyspace().dbs[0];
      for (let i = 1; i <= 5000; i++) {
        db.set(`k${i}`, v('x'), i);
        db.delete(`k${i}`, i);
      }
      // Every deleted key still reports a version >= its delete index.
      for (let i = 1; i <= 5000; i += 97) expect(db.version(`k${i}`)).to.be.at.least(i);
      expect(db.versionFloor).to.be.greaterThan(0);
      expect(db.version('k5000')).to.equal(5000);
    });

    it('SWAPDB gives every key in both dbs the swap index', () => {
      const ks = new Keyspace();
      ks.dbs[0].set('a', v('A'), 1);
      ks.dbs[1].set('b', v('B'), 2);
      ks.swapDb(0, 1, 9);
      expect(str(ks.dbs[0].lookupRead('b', 0))).to.equal('B');
      expect(str(ks.dbs[1].lookupRead('a', 0))).to.equal('A');
      expect(ks.dbs[0].lookupRead('a', 0)).to.equal(undefined);
      expect(ks.dbs[0].version('b')).to.equal(9);
      expect(ks.dbs[0].version('a')).to.equal(9);
      expect(ks.dbs[1].version('zzz')).to.equal(9);
    });
  });

  describe('usedBytes', () => {
    it('grows with keys and values and returns to zero', () => {
      const ks = new Keyspace();
      expect(ks.usedBytes).to.equal(0);
      ks.dbs[0].set('key', stringValue(Buffer.alloc(1000)), 1);
      const one = ks.usedBytes;
      expect(one).to.be.greaterThan(1003);
      ks.dbs[0].setExpire('key', 1e13, 2);
      expect(ks.usedBytes).to.be.greaterThan(one);
      ks.dbs[3].set('other', v('y'), 3);
      ks.dbs[0].set('key', stringValue(Buffer.alloc(10)), 4);
      expect(ks.usedBytes).to.be.lessThan(one);
      ks.dbs[0].delete('key', 5);
      ks.dbs[3].delete('other', 6);
      expect(ks.usedBytes).to.equal(0);
    });
  });

  describe('randomKey', () => {
    it('returns null when empty and skips expired keys', () => {
      const db = new Keyspace().dbs[0];
      expect(db.randomKey(0, Math.random)).to.equal(null);
      for (let i = 0; i < 50; i++) {
        db.set(`e${i}`, v('x'), 1);
        db.setExpire(`e${i}`, 100, 1);
      }
      db.set('live', v('x'), 1);
      for (let i = 0; i < 20; i++) expect(db.randomKey(100, Math.random)).to.equal('live');
      db.delete('live', 2);
      expect(db.randomKey(100, Math.random)).to.equal(null);
      expect(db.randomKey(99, () => 0.999999)).to.match(/^e\d+$/);
    });
  });

  describe('change tracking', () => {
    it('does nothing unless enabled', () => {
      const ks = new Keyspace();
      ks.dbs[0].set('a', v('1'), 1);
      expect(ks.drainChanges()).to.deep.equal([]);
    });

    it('dedupes keys, puts flush markers first and drops keys flushed after their change', () => {
      const ks = new Keyspace();
      ks.trackChanges = true;
      ks.dbs[0].set('a', v('1'), 1);
      ks.dbs[0].set('a', v('2'), 2);
      ks.dbs[1].set('b', v('1'), 3);
      expect(ks.drainChanges()).to.deep.equal([{ db: 0, key: 'a' }, { db: 1, key: 'b' }]);
      expect(ks.drainChanges()).to.deep.equal([]);
      ks.dbs[0].set('x', v('1'), 4);
      ks.dbs[0].flush(5);
      ks.dbs[0].set('c', v('1'), 6);
      ks.dbs[1].delete('b', 7);
      const changes: KeyspaceChange[] = ks.drainChanges();
      expect(changes).to.deep.equal([{ flushDb: 0 }, { db: 0, key: 'c' }, { db: 1, key: 'b' }, { db: META_DB, key: '' }]);
      ks.dbs[2].set('y', v('1'), 8);
      ks.flushAll(9);
      ks.dbs[3].set('z', v('1'), 10);
      expect(ks.drainChanges()).to.deep.equal([{ flushAll: true }, { db: 3, key: 'z' }, { db: META_DB, key: '' }]);
    });
  });

  describe('records', () => {
    /** Applies drained changes to a Map standing in for the LMDB copy. */
    function persist(ks: Keyspace, store: Map<string, Buffer>): void {
      for (const c of ks.drainChanges()) {
        if ('flushAll' in c) {
          for (const k of [...store.keys()]) if (Buffer.from(k, 'latin1')[0] !== META_DB) store.delete(k);
        } else if ('flushDb' in c) {
          for (const k of [...store.keys()]) if (Buffer.from(k, 'latin1')[0] === c.flushDb) store.delete(k);
        } else {
          const r = ks.encodeRecord(c.db, c.key);
          const rk = r ? r.key.toString('latin1') : keyString(Buffer.concat([Buffer.from([c.db]), keyBuffer(c.key)]));
          if (r) store.set(rk, r.value);
          else store.delete(rk);
        }
      }
    }

    it('encodeRecord returns null for absent keys and round-trips a live key', () => {
      const ks = new Keyspace();
      expect(ks.encodeRecord(0, 'nope')).to.equal(null);
      ks.dbs[2].set('k\x00\xff', stringValue(Buffer.from([1, 2, 3])), 5);
      ks.dbs[2].setExpire('k\x00\xff', 123456789, 6);
      const r = ks.encodeRecord(2, 'k\x00\xff');
      expect(r).to.not.equal(null);
      expect(r!.key.equals(Buffer.from([2, 0x6b, 0x00, 0xff]))).to.equal(true);
      const copy = new Keyspace();
      copy.applyRecord(r!.key, r!.value);
      r!.value.fill(0); // the restore copied the bytes
      expect([...(copy.dbs[2].lookupRead('k\x00\xff', 0) as StringValue).value]).to.deep.equal([1, 2, 3]);
      expect(copy.dbs[2].getExpire('k\x00\xff')).to.equal(123456789);
      expect(copy.dbs[2].version('k\x00\xff')).to.equal(6);
    });

    it('a durable copy kept from drainChanges restores the same keys, TTLs and versions', () => {
      const ks = new Keyspace();
      ks.trackChanges = true;
      const store = new Map<string, Buffer>();
      let index = 0;
      for (let i = 0; i < 300; i++) {
        const db = ks.dbs[i % 3];
        db.set(`key${i}`, v(`value${i}`), ++index);
        if (i % 4 === 0) db.setExpire(`key${i}`, 1e13 + i, ++index);
        if (i % 7 === 0) db.delete(`key${i - 1}`, ++index);
        if (i % 50 === 0) persist(ks, store);
      }
      ks.dbs[1].flush(++index);
      ks.dbs[1].set('after-flush', v('x'), ++index);
      ks.dbs[2].delete('key2', ++index);
      persist(ks, store);

      const restored = new Keyspace();
      for (const [k, val] of store) restored.applyRecord(Buffer.from(k, 'latin1'), val);
      for (let d = 0; d < 3; d++) {
        const a = ks.dbs[d];
        const b = restored.dbs[d];
        expect(b.size()).to.equal(a.size());
        expect(b.expiresCount()).to.equal(a.expiresCount());
        for (const key of a.keys()) {
          expect(str(b.lookupRead(key, 0))).to.equal(str(a.lookupRead(key, 0)));
          expect(b.getExpire(key)).to.equal(a.getExpire(key));
        }
        for (let i = -1; i < 310; i++) expect(b.version(`key${i}`), `db${d} key${i}`).to.equal(a.version(`key${i}`));
        expect(b.version('never-written')).to.equal(a.version('never-written'));
      }
      expect(restored.dbs[1].version('never-written')).to.be.greaterThan(0);
      expect(restored.usedBytes).to.equal(ks.usedBytes);
    });

    it('rejects corrupt records loudly', () => {
      const ks = new Keyspace();
      expect(() => ks.applyRecord(Buffer.from([0, 0x61]), Buffer.from([9]))).to.throw(RangeError);
      const bad = Buffer.alloc(17);
      bad[0] = 77;
      expect(() => ks.applyRecord(Buffer.from([0, 0x61]), bad)).to.throw(RangeError);
      expect(() => ks.applyRecord(Buffer.from([40, 0x61]), bad)).to.throw(RangeError);
    });
  });

  it('set keeps or clears the TTL and NO_EXPIRE marks no deadline', () => {
    const db = new Keyspace().dbs[0];
    db.set('k', v('1'), 1);
    expect(db.getExpire('k')).to.equal(NO_EXPIRE);
    db.setExpire('k', 5000, 2);
    db.set('k', v('2'), 3, true);
    expect(db.getExpire('k')).to.equal(5000);
    db.set('k', v('3'), 4);
    expect(db.getExpire('k')).to.equal(NO_EXPIRE);
  });
});
