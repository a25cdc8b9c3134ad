import { expect } from 'chai';
import { compactionPoint, type CompactionPolicy } from '../../storage/lmdb-compaction';

describe('compaction policy', () => {
  const policy: CompactionPolicy = { tailEntries: 100, minEntries: 1000, minLogBytes: 1 << 20 };
  const log = (first: number, last: number) => ({ firstIndex: () => first, lastIndex: () => last });

  it('waits until enough entries are covered by the durable keyspace', () => {
    expect(compactionPoint(log(1, 5000), 1099, 0, policy)).to.equal(undefined);
    expect(compactionPoint(log(1, 5000), 1100, 0, policy)).to.equal(1000);
  });

  it('never passes the durable applied index minus the tail, nor the last index', () => {
    expect(compactionPoint(log(1, 3000), 50_000, 0, policy)).to.equal(2900);
    expect(compactionPoint(log(2001, 5000), 2500, 0, policy)).to.equal(undefined);
  });

  it('compacts early when the log is over its size budget', () => {
    expect(compactionPoint(log(1, 5000), 300, 1 << 20, policy)).to.equal(200);
    expect(compactionPoint(log(1, 5000), 100, 1 << 20, policy)).to.equal(undefined);
  });
});
