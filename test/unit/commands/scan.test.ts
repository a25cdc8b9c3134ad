import { expect } from 'chai';
import fc from 'fast-check';
import { Keyspace, stringValue, type Database } from '../../../server/keyspace';
import { Harness } from './helpers';

const val = stringValue(Buffer.from('v'));

/** Runs a full scan, calling between(step) before every SCAN call after the first. */
function fullScan(db: Database, count: number, between: (step: number) => void): string[] {
  const seen: string[] = [];
  let cursor = 0;
  let step = 0;
  do {
    if (step > 0) between(step);
    const r = db.scan(cursor, count);
    seen.push(...r.keys);
    cursor = r.cursor;
    step++;
    if (step > 1_000_000) throw new Error('scan did not terminate');
  } while (cursor !== 0);
  return seen;
}

describe('SCAN cursor', () => {
  it('returns every key exactly once on a quiet keyspace, at any table size', () => {
    for (const n of [0, 1, 15, 33, 1000, 20000]) {
      const db = new Keyspace().dbs[0];
      for (let i = 0; i < n; i++) db.set(`k${i}`, val, 1);
      const seen = fullScan(db, 7, () => {});
      expect(seen.length, `n=${n}`).to.equal(n);
      expect(new Set(seen).size).to.equal(n);
    }
  });

  it('returns every key that existed for the whole scan while the table grows and shrinks (property)', () => {
    const batch = fc.record({
      adds: fc.array(fc.nat(4000), { maxLength: 300 }),
      dels: fc.array(fc.nat(4000), { maxLength: 300 }),
    });
    fc.assert(
      fc.property(
        fc.array(fc.nat(4000), { maxLength: 2000 }),
        fc.array(batch, { maxLength: 60 }),
        fc.integer({ min: 1, max: 40 }),
        (initial, batches, count) => {
          const db = new Keyspace().dbs[0];
          let index = 0;
          for (const k of initial) db.set(`k${k}`, val, ++index);
          const stable = new Set(initial.map((k) => `k${k}`)); // present at start and never deleted
          const seen = fullScan(db, count, (step) => {
            const b = batches[step - 1];
            if (!b) return;
            for (const k of b.adds) db.set(`k${k}`, val, ++index);
            for (const k of b.dels) {
              db.delete(`k${k}`, ++index);
              stable.delete(`k${k}`);
            }
          });
          const counts = new Map<string, number>();
          for (const k of seen) counts.set(k, (counts.get(k) ?? 0) + 1);
          for (const k of stable) expect(counts.get(k), k).to.equal(1); // at least once (in fact exactly once)
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a cursor stays valid across a large grow and a large shrink', () => {
    const db = new Keyspace().dbs[0];
    for (let i = 0; i < 500; i++) db.set(`s${i}`, val, 1);
    let grown = false;
    const seen = new Set(
      fullScan(db, 5, (step) => {
        if (step === 3 && !grown) {
          grown = true;
          for (let i = 0; i < 50000; i++) db.set(`g${i}`, val, 2); // table grows many times
        }
        if (step === 200) for (let i = 0; i < 50000; i++) db.delete(`g${i}`, 3); // and shrinks back
      }),
    );
    for (let i = 0; i < 500; i++) expect(seen.has(`s${i}`), `s${i}`).to.equal(true);
  });

  it('scans and picks random keys correctly while an incremental resize is in progress', () => {
    const db = new Keyspace().dbs[0];
    const resizing = (): boolean => (db as unknown as { table: { old: unknown } }).table.old !== null;
    let n = 0;
    while (n < 5000 || !resizing()) db.set(`k${n++}`, val, 1); // stop right after a grow starts
    expect(resizing()).to.equal(true);
    let seen = fullScan(db, 3, () => {});
    expect(seen.length).to.equal(n);
    expect(new Set(seen).size).to.equal(n);
    for (let i = 0; i < 200; i++) expect(db.lookupRead(db.randomKey(0, Math.random) as string, 0)).to.not.equal(undefined);
    let d = 0;
    while (resizing()) db.delete(`k${d++}`, 2); // finish that grow by deleting
    while (!resizing()) db.delete(`k${d++}`, 3); // delete until a shrink starts
    seen = fullScan(db, 3, () => {});
    expect(seen.length).to.equal(n - d);
    expect(new Set(seen).size).to.equal(n - d);
    for (let i = 0; i < 200; i++) expect(db.lookupRead(db.randomKey(0, Math.random) as string, 0)).to.not.equal(undefined);
  });

  describe('SCAN command', () => {
    it('replies [cursor, keys] and filters MATCH, TYPE and expired keys', () => {
      const h = new Harness();
      for (let i = 0; i < 100; i++) h.run('set', `user:${i}`, 'x');
      h.run('set', 'other', 'x');
      h.run('set', 'gone', 'x', 'PX', 10);
      h.now += 10;
      const all: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = h.run('scan', cursor, 'MATCH', 'user:*', 'COUNT', 7) as [string, string[]];
        expect(next).to.be.a('string');
        all.push(...keys);
        cursor = next;
      } while (cursor !== '0');
      expect(new Set(all).size).to.equal(100);
      expect(all.every((k) => k.startsWith('user:'))).to.equal(true);
      const [, strings] = h.run('scan', '0', 'COUNT', 1000, 'TYPE', 'STRING') as [string, string[]];
      expect(strings).to.have.length(101);
      expect(strings).to.not.include('gone');
      expect(h.run('scan', '0', 'COUNT', 1000, 'TYPE', 'list')).to.deep.equal(['0', []]);
    });

    it('rejects bad cursors and options like Redis', () => {
      const h = new Harness();
      expect(h.run('scan', 'abc')).to.deep.equal({ err: 'ERR invalid cursor' });
      // strtoul as Redis 7.0 calls it (checked against redis-server 7.0.15): a sign is
      // taken and negatives wrap, the C string ends at a NUL byte; a leading space or a lone sign is invalid.
      expect(h.run('scan', '-1')).to.deep.equal(['0', []]);
      expect(h.run('scan', '-0')).to.deep.equal(['0', []]);
      expect((h.run('scan', '+5') as unknown[])[0]).to.equal('0');
      expect((h.run('scan', '-18446744073709551615') as unknown[])[0]).to.equal('0');
      expect(h.run('scan', '')).to.deep.equal(['0', []]);
      expect((h.run('scan', '5\x00x') as unknown[])[0]).to.equal('0');
      expect(h.run('scan', '\x00')).to.deep.equal(['0', []]);
      for (const bad of [' 0', ' 5', '\t1', '5 ', '+', '-', '-\x005', ' 5\x00', '-18446744073709551616']) {
        expect(h.run('scan', bad), JSON.stringify(bad)).to.deep.equal({ err: 'ERR invalid cursor' });
      }
      // The cursor is read before the options.
      expect(h.run('scan', ' 5', 'COUNT', 0)).to.deep.equal({ err: 'ERR invalid cursor' });
      expect(h.run('scan', '18446744073709551616')).to.deep.equal({ err: 'ERR invalid cursor' });
      expect(h.run('scan', '18446744073709551615')).to.deep.equal(['0', []]);
      expect(h.run('scan', '0', 'COUNT', 0)).to.deep.equal({ err: 'ERR syntax error' });
      expect(h.run('scan', '0', 'COUNT', 'x')).to.deep.equal({ err: 'ERR value is not an integer or out of range' });
      expect(h.run('scan', '0', 'MATCH')).to.deep.equal({ err: 'ERR syntax error' });
      expect(h.run('scan', '0', 'FOO', 'bar')).to.deep.equal({ err: 'ERR syntax error' });
    });
  });
});
