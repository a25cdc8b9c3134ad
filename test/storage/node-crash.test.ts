import { expect } from 'chai';
import { openNodeStorage } from '../../storage/node-storage';
import { crashSuite } from './crash-rounds';

/**
 * The node's storage (Raft log in segment files, keyspace copy and hard state
 * in LMDB: storage/node-storage.ts), written as the driver writes it
 * (node-crash-child.ts). Segments are small (256 KiB) so kills land in
 * rollovers and compactions too. (Power loss: node-power-loss.test.ts.)
 */
crashSuite({
  title: 'node storage crash safety (SIGKILL during writes)',
  child: 'node-crash-child',
  tempPrefix: 'raftcache-node-crash-',
  open: (dir) => openNodeStorage(dir, { segmentBytes: 256 * 1024 }),
  checkCommit: (commit, applied, last, label) => {
    // The commit is stored with keyspace flushes, clamped to what the log had made durable.
    expect(commit, `${label}: stored commit beyond the log`).to.be.at.most(last);
    expect(commit, `${label}: stored commit below the keyspace's applied index`).to.be.at.least(applied);
  },
});
