import { expect } from 'chai';
import { Keyspace, SCRIPT_DB, stringValue, type KeyspaceChange } from '../../../server/keyspace';
import { scriptSha } from '../../../server/scripting/engine';

/** What the durable copy does with drained changes: a record store keyed by record key. */
function persist(ks: Keyspace, store: Map<string, Buffer>): void {
  for (const ch of ks.drainChanges()) {
    if ('flushAll' in ch || 'flushDb' in ch) {
      const db = 'flushDb' in ch ? ch.flushDb : -1;
      // As server/node/keyspace-copy.ts: a flush deletes the records of the numbered dbs only.
      for (const k of [...store.keys()]) {
        const d = Buffer.from(k, 'latin1')[0];
        if (d < ks.dbs.length && (db === -1 || d === db)) store.delete(k);
      }
      continue;
    }
    const rec = ks.encodeRecord(ch.db, ch.key);
    const key = Buffer.concat([Buffer.from([ch.db]), Buffer.from(ch.key, 'latin1')]).toString('latin1');
    if (rec) store.set(rec.key.toString('latin1'), rec.value);
    else store.delete(key);
  }
}

function restore(store: Map<string, Buffer>): Keyspace {
  const ks = new Keyspace();
  for (const [k, v] of store) ks.applyRecord(Buffer.from(k, 'latin1'), v);
  return ks;
}

const body = (s: string): Buffer => Buffer.from(s);

describe('script cache records', () => {
  it('a cached script is a tracked change and round-trips through its record', () => {
    const ks = new Keyspace();
    ks.trackChanges = true;
    const b = body("return redis.call('get', KEYS[1])");
    const sha = scriptSha(b);
    ks.addScript(sha, b);
    const changes: KeyspaceChange[] = ks.drainChanges();
    expect(changes).to.deep.equal([{ db: SCRIPT_DB, key: sha }]);
    const rec = ks.encodeRecord(SCRIPT_DB, sha)!;
    expect(rec.key[0]).to.equal(0xfd);
    expect(rec.key.toString('latin1', 1)).to.equal(sha);
    const other = new Keyspace();
    other.applyRecord(rec.key, rec.value);
    expect(other.getScript(sha)?.equals(b)).to.equal(true);
  });

  it('adding a script twice records one change; untracked keyspaces record none', () => {
    const ks = new Keyspace();
    ks.addScript('a'.repeat(40), body('return 1'));
    ks.trackChanges = true;
    expect(ks.drainChanges()).to.deep.equal([]);
    ks.addScript('a'.repeat(40), body('return 1'));
    expect(ks.drainChanges()).to.deep.equal([]);
  });

  it('SCRIPT FLUSH deletes the records', () => {
    const ks = new Keyspace();
    ks.trackChanges = true;
    const store = new Map<string, Buffer>();
    const b = body('return 1');
    ks.addScript(scriptSha(b), b);
    persist(ks, store);
    expect(store.size).to.equal(1);
    ks.flushScripts();
    expect(ks.encodeRecord(SCRIPT_DB, scriptSha(b))).to.equal(null);
    persist(ks, store);
    expect(store.size).to.equal(0);
    expect(restore(store).scriptCount).to.equal(0);
  });

  it('FLUSHALL keeps the scripts, also in the durable copy', () => {
    const ks = new Keyspace();
    ks.trackChanges = true;
    const store = new Map<string, Buffer>();
    const b = body('return 2');
    ks.addScript(scriptSha(b), b);
    ks.dbs[0].set('k', stringValue(body('v')), 1);
    persist(ks, store);
    ks.flushAll(2);
    expect(ks.hasScript(scriptSha(b))).to.equal(true);
    persist(ks, store);
    const back = restore(store);
    expect(back.getScript(scriptSha(b))?.toString()).to.equal('return 2');
    expect(back.size()).to.equal(0);
  });

  it('keys and scripts restore together; clear() empties the cache', () => {
    const ks = new Keyspace();
    ks.trackChanges = true;
    const store = new Map<string, Buffer>();
    for (let i = 0; i < 5; i++) {
      const b = body(`return ${i}`);
      ks.addScript(scriptSha(b), b);
      ks.dbs[1].set(`k${i}`, stringValue(body(String(i))), i + 1);
    }
    persist(ks, store);
    const back = restore(store);
    expect(back.scriptCount).to.equal(5);
    expect(back.dbs[1].size()).to.equal(5);
    back.clear();
    expect(back.scriptCount).to.equal(0);
  });
});
