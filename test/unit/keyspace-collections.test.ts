import { expect } from 'chai';
import { Collection, ELEMENT_DB, Keyspace, collectionFactory, decodeElementRecordKey, registerCollection, type RecordSink } from '../../server/keyspace';

/**
 * The keyspace's side of collections, with a minimal collection of its own
 * (a bag of strings, one record per member): ids, element records written
 * for changes only, deleted with the key, kept across RENAME, removed by
 * FLUSHALL, restored (also when element records come before the key), and
 * orphans of an interrupted delete cleaned up after a restore.
 */
class Bag extends Collection {
  readonly type = 'set' as const;
  readonly members = new Set<string>();
  private dirty = new Set<string>();

  get length(): number {
    return this.members.size;
  }
  encoding(): string {
    return 'hashtable';
  }
  elements(): Iterable<string> {
    return this.members;
  }
  add(m: string): void {
    this.members.add(m);
    this.dirty.add(m);
    this.bytes += m.length;
  }
  remove(m: string): void {
    if (this.members.delete(m)) this.bytes -= m.length;
    this.dirty.add(m);
  }
  drainRecords(sink: RecordSink): void {
    for (const m of this.dirty) sink(m, this.members.has(m) ? Buffer.from('1') : null);
    this.dirty.clear();
  }
  clearDirty(): void {
    this.dirty.clear();
  }
  forEachRecordKey(sink: (subkey: string) => void): void {
    for (const m of this.members) sink(m);
    for (const m of this.dirty) if (!this.members.has(m)) sink(m);
  }
  restoreRecord(subkey: string): void {
    this.members.add(subkey);
    this.bytes += subkey.length;
  }
  clone(): Bag {
    const b = new Bag();
    for (const m of this.members) b.add(m);
    return b;
  }
}


type Store = Map<string, Buffer>;

/** Drains the keyspace into `store` the way the node driver does (flush marks, keys, then element records). */
function drain(ks: Keyspace, store: Store): Array<[Buffer, Buffer | null]> {
  const out: Array<[Buffer, Buffer | null]> = [];
  for (const ch of ks.drainChanges()) {
    if ('flushAll' in ch || 'flushDb' in ch) {
      for (const k of [...store.keys()]) {
        const d = k.charCodeAt(0);
        if (d < ks.dbs.length && ('flushAll' in ch || d === ch.flushDb)) store.delete(k);
      }
      continue;
    }
    const rec = ks.encodeRecord(ch.db, ch.key);
    const key = rec?.key ?? Buffer.concat([Buffer.from([ch.db]), Buffer.from(ch.key, 'latin1')]);
    out.push([key, rec?.value ?? null]);
  }
  ks.drainElementRecords((key, value) => out.push([key, value]));
  for (const [k, v] of out) {
    if (v === null) store.delete(k.toString('latin1'));
    else store.set(k.toString('latin1'), v);
  }
  return out;
}

function restore(store: Store, order: 'sorted' | 'elements-first' = 'sorted'): Keyspace {
  const ks = new Keyspace();
  let entries = [...store.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (order === 'elements-first') entries = [...entries.filter(([k]) => k.charCodeAt(0) === ELEMENT_DB), ...entries.filter(([k]) => k.charCodeAt(0) !== ELEMENT_DB)];
  for (const [k, v] of entries) ks.applyRecord(Buffer.from(k, 'latin1'), v);
  ks.finishRestore();
  ks.trackChanges = true;
  return ks;
}

function elementKeys(store: Store): string[] {
  return [...store.keys()].filter((k) => k.charCodeAt(0) === ELEMENT_DB).map((k) => decodeElementRecordKey(Buffer.from(k, 'latin1')).subkey).sort();
}

function bagAt(ks: Keyspace, key: string, db = 0): Bag {
  const v = ks.dbs[db].lookupRead(key, 0);
  if (!(v instanceof Bag)) throw new Error(`${key} is not a bag`);
  return v;
}

describe('keyspace: collections in the durable copy', () => {
  // Bag stands in for sets while this suite runs; the real module's factory is put back after.
  let realSets: ReturnType<typeof collectionFactory>;
  before(() => {
    realSets = collectionFactory('set');
    registerCollection('set', () => new Bag());
  });
  after(() => registerCollection('set', realSets));

  it('keeps usedBytes equal to the sum of its keys as collections change in place, move and expire', () => {
    const ks = new Keyspace();
    const db = ks.dbs[0];
    const sum = () => [...db.keys()].reduce((n, k) => n + db.memoryUsage(k, 0)!, 0);
    const b = new Bag();
    b.add('a');
    db.set('bag', b, 1);
    expect(ks.usedBytes).to.equal(sum());
    for (let i = 0; i < 100; i++) b.add(`member${i}`);
    db.touched('bag', 2);
    expect(ks.usedBytes).to.equal(sum());
    b.remove('member7');
    db.set('bag', b, 3, true); // the same collection set again after an in-place change
    expect(ks.usedBytes).to.equal(sum());
    db.setExpire('bag', 1e15, 4);
    expect(ks.usedBytes).to.equal(sum());
    b.add('more');
    db.removeExpire('bag', 5); // an in-place change noted by the next write to the key
    expect(ks.usedBytes).to.equal(sum());
    db.delete('bag', 6); // RENAME: delete, then set under the new name
    db.set('renamed-to-a-longer-name', b, 6);
    expect(ks.usedBytes).to.equal(sum());
    db.set('renamed-to-a-longer-name', new Bag(), 7);
    expect(ks.usedBytes).to.equal(sum());
    db.delete('renamed-to-a-longer-name', 8);
    expect(ks.usedBytes).to.equal(0);
  });

  it('gives each stored collection an id once, writes only changed elements, and deletes them with the key', () => {
    const ks = new Keyspace();
    ks.trackChanges = true;
    const store: Store = new Map();
    const b = new Bag();
    for (let i = 0; i < 1000; i++) b.add(`m${i}`);
    ks.dbs[0].set('bag', b, 1);
    expect(b.id).to.be.greaterThan(0);
    drain(ks, store);
    expect(elementKeys(store)).to.have.length(1000);
    b.add('new');
    ks.dbs[0].touched('bag', 2);
    const out = drain(ks, store);
    // The key record and exactly one element record: never the whole collection.
    expect(out.filter(([k]) => k[0] === ELEMENT_DB)).to.have.length(1);
    expect(ks.dbs[0].memoryUsage('bag', 0)).to.be.greaterThan(b.bytes);
    ks.dbs[0].delete('bag', 3);
    drain(ks, store);
    expect(elementKeys(store)).to.deep.equal([]);
  });

  it('RENAME and MOVE keep the element records (found by id, not key)', () => {
    const ks = new Keyspace();
    ks.trackChanges = true;
    const store: Store = new Map();
    const b = new Bag();
    b.add('x');
    ks.dbs[0].set('a', b, 1);
    drain(ks, store);
    ks.dbs[0].delete('a', 2);
    ks.dbs[1].set('b', b, 2);
    const out = drain(ks, store);
    expect(out.filter(([k]) => k[0] === ELEMENT_DB)).to.deep.equal([]);
    const back = restore(store);
    expect([...bagAt(back, 'b', 1).members]).to.deep.equal(['x']);
    expect(back.dbs[0].lookupRead('a', 0)).to.equal(undefined);
  });

  it('FLUSHALL removes element records; ids keep growing after a restore (the meta record keeps the next id)', () => {
    const ks = new Keyspace();
    ks.trackChanges = true;
    const store: Store = new Map();
    for (let i = 0; i < 3; i++) {
      const b = new Bag();
      b.add(`v${i}`);
      ks.dbs[i].set(`k${i}`, b, i + 1);
    }
    drain(ks, store);
    const lastId = bagAt(ks, 'k2', 2).id;
    ks.flushAll(10);
    drain(ks, store);
    expect(elementKeys(store)).to.deep.equal([]);
    const back = restore(store);
    const fresh = new Bag();
    fresh.add('z');
    back.dbs[0].set('new', fresh, 11);
    expect(fresh.id).to.be.greaterThan(lastId);
  });

  it('restores element records that arrive before their key record, and removes orphans', () => {
    const ks = new Keyspace();
    ks.trackChanges = true;
    const store: Store = new Map();
    const b = new Bag();
    b.add('one');
    b.add('two');
    ks.dbs[0].set('bag', b, 1);
    drain(ks, store);
    // An interrupted delete: the key record is gone, element records remain (orphans).
    const orphan = new Bag();
    orphan.add('lost');
    ks.dbs[0].set('gone', orphan, 2);
    drain(ks, store);
    store.delete(Buffer.concat([Buffer.from([0]), Buffer.from('gone')]).toString('latin1'));
    const back = restore(store, 'elements-first');
    expect([...bagAt(back, 'bag').members].sort()).to.deep.equal(['one', 'two']);
    expect(back.pendingGarbage).to.equal(1);
    drain(back, store);
    expect(elementKeys(store)).to.deep.equal(['one', 'two']);
  });

  it('deletes a huge collection over several drains', () => {
    const ks = new Keyspace();
    ks.trackChanges = true;
    const store: Store = new Map();
    const b = new Bag();
    for (let i = 0; i < 250_000; i++) b.add(`m${i}`);
    ks.dbs[0].set('big', b, 1);
    drain(ks, store);
    ks.dbs[0].delete('big', 2);
    const sizes: number[] = [];
    for (let i = 0; i < 4; i++) sizes.push(drain(ks, store).filter(([k]) => k[0] === ELEMENT_DB).length);
    expect(sizes).to.deep.equal([100_000, 100_000, 50_000, 0]);
    expect(elementKeys(store)).to.deep.equal([]);
  });
});
