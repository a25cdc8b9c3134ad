import { expect } from 'chai';
import {
  Keyspace,
  SMALL_STRING_LIMIT,
  StringValue,
  appendableString,
  canonicalInt32,
  copiedString,
  sharedString,
  stringValue,
} from '../../server/keyspace';

/**
 * The compact string representation (object.ts, database.ts): small values
 * as latin1 strings, stored bare in the entry, canonical int32s as numbers,
 * big and APPEND-grown values as Buffers. Every form must give back exactly
 * the bytes stored, through lookups and through the durable records.
 */
describe('keyspace string values', () => {
  const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const samples: Buffer[] = [
    Buffer.alloc(0),
    Buffer.from([0]),
    allBytes,
    Buffer.from('0'),
    Buffer.from('-1'),
    Buffer.from('007'),
    Buffer.from('-0'),
    Buffer.from('+1'),
    Buffer.from('2147483647'),
    Buffer.from('2147483648'),
    Buffer.from('-2147483648'),
    Buffer.from('-2147483649'),
    Buffer.from('12345678901234567890'),
    Buffer.alloc(SMALL_STRING_LIMIT, 0xff),
    Buffer.alloc(SMALL_STRING_LIMIT + 1, 0x80),
  ];

  it('hands back the exact bytes stored, through lookups and through a record round trip', () => {
    const ks = new Keyspace();
    samples.forEach((b, i) => ks.dbs[0].set(`k${i}`, copiedString(b), i + 1));
    const copy = new Keyspace();
    samples.forEach((b, i) => {
      const v = ks.dbs[0].lookupRead(`k${i}`, 0) as StringValue;
      expect(v.type).to.equal('string');
      expect(v.length).to.equal(b.length);
      expect(v.value.equals(b), `sample ${i}`).to.equal(true);
      expect(v.equals(b)).to.equal(true);
      const rec = ks.encodeRecord(0, `k${i}`)!;
      copy.applyRecord(rec.key, rec.value);
      expect((copy.dbs[0].lookupRead(`k${i}`, 0) as StringValue).value.equals(b), `restored sample ${i}`).to.equal(true);
    });
  });

  it('copies bytes that alias a request buffer', () => {
    const ks = new Keyspace();
    const big = Buffer.alloc(SMALL_STRING_LIMIT + 10, 1);
    const small = Buffer.from('abc');
    ks.dbs[0].set('big', copiedString(big), 1);
    ks.dbs[0].set('small', copiedString(small), 2);
    big.fill(2);
    small.fill(0x7a);
    expect((ks.dbs[0].lookupRead('big', 0) as StringValue).value.every((x) => x === 1)).to.equal(true);
    expect((ks.dbs[0].lookupRead('small', 0) as StringValue).value.toString()).to.equal('abc');
  });

  it('shares a value of 1 MiB or more that is most of its buffer (a log entry holding one SET); copies one that is a small part', () => {
    const ks = new Keyspace();
    const entry = Buffer.alloc((2 << 20) + 64, 3); // header + key + a 2 MiB value
    const value = entry.subarray(64);
    ks.dbs[0].set('shared', copiedString(value), 1);
    expect((ks.dbs[0].lookupRead('shared', 0) as StringValue).value.buffer).to.equal(entry.buffer);
    const batch = Buffer.alloc(8 << 20, 4); // one value among several in a bigger buffer
    ks.dbs[0].set('copied', copiedString(batch.subarray(0, 1 << 20)), 2);
    const copied = (ks.dbs[0].lookupRead('copied', 0) as StringValue).value;
    expect(copied.buffer).to.not.equal(batch.buffer);
    expect(copied.equals(batch.subarray(0, 1 << 20))).to.equal(true);
  });

  it('encodeRecord with deferFrom leaves a big value for the caller to copy: the record comes out the same', () => {
    const ks = new Keyspace();
    const big = Buffer.alloc(3 << 20);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((i * 2654435761) >>> 0, i);
    ks.dbs[0].set('big', copiedString(big), 7);
    ks.dbs[0].set('small', copiedString(Buffer.from('abc')), 8);
    const whole = ks.encodeRecord(0, 'big')!;
    const deferred = ks.encodeRecord(0, 'big', 1 << 20)!;
    expect(deferred.fill, 'the copy is left to the caller').to.not.equal(undefined);
    expect(deferred.key.equals(whole.key)).to.equal(true);
    const { from, at } = deferred.fill!;
    for (let done = 0; done < from.length; done += 1 << 20) from.copy(deferred.value, at + done, done, Math.min(from.length, done + (1 << 20)));
    expect(deferred.value.equals(whole.value)).to.equal(true);
    expect(ks.encodeRecord(0, 'small', 1 << 20)!.fill, 'short values are copied at once').to.equal(undefined);
  });

  it('reads canonical int32s only', () => {
    expect(canonicalInt32('0')).to.equal(0);
    expect(canonicalInt32('-1')).to.equal(-1);
    expect(canonicalInt32('2147483647')).to.equal(2147483647);
    expect(canonicalInt32('-2147483648')).to.equal(-2147483648);
    for (const s of ['', '-', '-0', '00', '007', '+1', ' 1', '1 ', '1e3', '0x1', '2147483648', '-2147483649', '99999999999', '1.0', '\u0661']) {
      expect(canonicalInt32(s), JSON.stringify(s)).to.equal(undefined);
    }
  });

  it('keeps a writer-given encoding and APPEND capacity (those values are not stored bare)', () => {
    const ks = new Keyspace();
    ks.dbs[0].set('raw', stringValue(Buffer.from('12'), 'raw'), 1);
    expect((ks.dbs[0].lookupRead('raw', 0) as StringValue).encoding).to.equal('raw');
    const base = Buffer.alloc(16);
    base.write('abc');
    ks.dbs[0].set('app', appendableString(base, 3, 16), 2);
    const v = ks.dbs[0].lookupRead('app', 0) as StringValue;
    expect(v.capacity).to.equal(16);
    expect(v.value.toString()).to.equal('abc');
    const c = sharedString(v, 'raw');
    expect(c.capacity).to.equal(undefined);
    expect(c.value.toString()).to.equal('abc');
  });

  it('accounts a small value by its length, an int32 as nothing beyond the entry', () => {
    const ks = new Keyspace();
    const db = ks.dbs[0];
    db.set('a', stringValue(Buffer.from('x')), 1);
    db.set('b', stringValue(Buffer.alloc(101, 'y')), 2);
    db.set('n', stringValue(Buffer.from('123456')), 3);
    db.set('s', stringValue(Buffer.from('123abc')), 4);
    const a = db.memoryUsage('a', 0)!;
    expect(db.memoryUsage('b', 0)! - a).to.equal(100);
    expect(db.memoryUsage('s', 0)! - db.memoryUsage('n', 0)!).to.equal(new StringValue('123abc').memoryBytes - 32);
    expect(ks.usedBytes).to.equal(['a', 'b', 'n', 's'].reduce((n, k) => n + db.memoryUsage(k, 0)!, 0));
    db.delete('b', 5);
    db.set('a', stringValue(Buffer.from('7')), 6);
    expect(ks.usedBytes).to.equal(['a', 'n', 's'].reduce((n, k) => n + db.memoryUsage(k, 0)!, 0));
  });
});

/** The key index (database.ts ScanTable, no Map beside it): lookups through incremental resizes, and KEYS order. */
describe('keyspace key index', () => {
  it('finds every key and no deleted one while the table grows and shrinks incrementally', () => {
    const ks = new Keyspace();
    const db = ks.dbs[0];
    const live = new Set<string>();
    let index = 1;
    const check = () => {
      expect(db.size()).to.equal(live.size);
      for (const k of live) expect(db.lookupRead(k, 0), k).to.not.equal(undefined);
      for (let i = 0; i < 50; i++) expect(db.lookupRead(`gone${i}`, 0)).to.equal(undefined);
    };
    for (let i = 0; i < 5000; i++) {
      db.set(`k${i}`, stringValue(Buffer.from(String(i))), index++);
      live.add(`k${i}`);
      if (i % 250 === 0) check();
    }
    for (let i = 0; i < 5000; i += 1) {
      if (i % 7 === 0) continue;
      db.delete(`k${i}`, index++);
      live.delete(`k${i}`);
      if (i % 250 === 0) check();
    }
    check();
    expect([...db.keys()].sort()).to.deep.equal([...live].sort());
  });

  it('iterates keys in an order that depends only on the set of keys', () => {
    const names = Array.from({ length: 3000 }, (_, i) => `key:${i}`);
    const a = new Keyspace();
    const b = new Keyspace();
    names.forEach((k, i) => a.dbs[0].set(k, stringValue(Buffer.from('v')), i + 1));
    [...names].reverse().forEach((k, i) => b.dbs[0].set(k, stringValue(Buffer.from('v')), i + 1));
    // b also goes through a grow and a partial shrink.
    for (let i = 0; i < 2000; i++) b.dbs[0].set(`tmp${i}`, stringValue(Buffer.from('v')), 10_000 + i);
    for (let i = 0; i < 2000; i++) b.dbs[0].delete(`tmp${i}`, 20_000 + i);
    expect([...b.dbs[0].keys()]).to.deep.equal([...a.dbs[0].keys()]);
  });
});
