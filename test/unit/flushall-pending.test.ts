import { expect } from 'chai';
import { Keyspace, SCRIPT_DB, LOCK_DB } from '../../server/keyspace';
import { ACL_DB } from '../../server/keyspace/records';
import { stringValue } from '../../server/keyspace/object';

/**
 * FLUSHALL empties the numbered dbs only: changes not yet written to the
 * durable copy for what it keeps (locks, scripts, ACL users) must still be
 * drained after it. They used to be dropped, so a lock granted, a SCRIPT
 * FLUSH or an ACL change just before a FLUSHALL was missing after a restart.
 */
describe('FLUSHALL keeps the pending changes of what it does not flush', () => {
  it('locks, script deletions and ACL users changed before a FLUSHALL are still drained', () => {
    const ks = new Keyspace(2);
    ks.acl.setCatalog({ command: () => undefined, category: () => undefined, allLeaves: () => [] });
    ks.addScript('a'.repeat(40), Buffer.from('return 1'));
    ks.trackChanges = true;
    ks.dbs[0].set('k', stringValue(Buffer.from('v')), 1);
    ks.locks.acquire('job', Buffer.from('me'), 1000, 0, 2);
    ks.flushScripts();
    ks.acl.setUser('alice', ['on', 'nopass', '~*']);
    ks.flushAll(5);
    const changes = ks.drainChanges();
    expect(changes[0]).to.deep.equal({ flushAll: true });
    const named = changes.filter((c): c is { db: number; key: string } => 'db' in c);
    expect(named).to.deep.include({ db: LOCK_DB, key: 'job' });
    expect(named).to.deep.include({ db: SCRIPT_DB, key: 'a'.repeat(40) }); // the deletion
    expect(named).to.deep.include({ db: ACL_DB, key: 'alice' });
    expect(named.some((c) => c.db === 0)).to.equal(false); // the flushed key: covered by the mark
  });
});
