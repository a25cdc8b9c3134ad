import { expect } from 'chai';
import { openLmdbStorage } from '../../storage/lmdb';
import { crashSuite } from './crash-rounds';

/** LMDB alone (log, hard state, keyspace in one environment), SIGKILLed while writing (crash-child.ts). */
crashSuite({
  title: 'crash safety (SIGKILL during writes)',
  child: 'crash-child',
  tempPrefix: 'raftcache-crash-',
  open: async (dir) => openLmdbStorage(dir),
  checkCommit: (commit, applied, _last, label) => {
    // The hard state's commit is written in the same transaction as the applied index.
    expect(commit, `${label}: hard state and keyspace disagree`).to.equal(applied);
  },
});
