import { expect } from 'chai';
import fc from 'fast-check';
import {
  isSingleton,
  jointCommitted,
  jointVoteResult,
  majorityCommitted,
  majorityVoteResult,
  VoteResult,
} from '../../server/raft/quorum';
import type { JointConfig, MajorityConfig } from '../../server/raft/quorum';

// "Dumb" reference implementations (etcd quorum/quick_test.go style): obviously
// correct by brute force, compared with the fast ones on random inputs.

/** The largest index i such that a majority of voters acked >= i. */
function dumbCommitted(voters: MajorityConfig, acked: Map<number, number>): number {
  if (voters.length === 0) return Infinity;
  const candidates = [0, ...voters.map((id) => acked.get(id) ?? 0)];
  let best = 0;
  for (const i of candidates) {
    const n = voters.filter((id) => (acked.get(id) ?? 0) >= i).length;
    if (n > voters.length / 2 && i > best) best = i;
  }
  return best;
}

function dumbVote(voters: MajorityConfig, votes: Map<number, boolean>): VoteResult {
  if (voters.length === 0) return VoteResult.Won;
  const yes = voters.filter((id) => votes.get(id) === true).length;
  const no = voters.filter((id) => votes.get(id) === false).length;
  if (yes > voters.length / 2) return VoteResult.Won;
  const missing = voters.length - yes - no;
  if (yes + missing <= voters.length / 2) return VoteResult.Lost; // a majority is out of reach
  return VoteResult.Pending;
}

const idSet = fc.uniqueArray(fc.integer({ min: 1, max: 9 }), { maxLength: 7 }).map((a) => a.sort((x, y) => x - y));

describe('raft/quorum', () => {
  it('majorityCommitted matches the brute-force definition', () => {
    fc.assert(
      fc.property(idSet, fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 9, maxLength: 9 }), (voters, idx) => {
        const acked = new Map(idx.map((v, i) => [i + 1, v] as [number, number]));
        expect(majorityCommitted(voters, (id) => acked.get(id) ?? 0)).to.equal(dumbCommitted(voters, acked));
      }),
      { numRuns: 500 },
    );
  });

  it('jointCommitted is the minimum of both halves (brute force)', () => {
    fc.assert(
      fc.property(idSet, idSet, fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 9, maxLength: 9 }), (a, b, idx) => {
        const acked = new Map(idx.map((v, i) => [i + 1, v] as [number, number]));
        const cfg: JointConfig = { incoming: a, outgoing: b };
        const want = Math.min(dumbCommitted(a, acked), dumbCommitted(b, acked));
        expect(jointCommitted(cfg, (id) => acked.get(id) ?? 0)).to.equal(want);
      }),
      { numRuns: 500 },
    );
  });

  it('vote results match the brute-force definition, majority and joint', () => {
    const voteArb = fc.array(fc.constantFrom<boolean | undefined>(true, false, undefined), { minLength: 9, maxLength: 9 });
    fc.assert(
      fc.property(idSet, idSet, voteArb, (a, b, vs) => {
        const votes = new Map<number, boolean>();
        vs.forEach((v, i) => {
          if (v !== undefined) votes.set(i + 1, v);
        });
        expect(majorityVoteResult(a, votes)).to.equal(dumbVote(a, votes));
        const ra = dumbVote(a, votes);
        const rb = dumbVote(b, votes);
        const want = ra === rb ? ra : ra === VoteResult.Lost || rb === VoteResult.Lost ? VoteResult.Lost : VoteResult.Pending;
        expect(jointVoteResult({ incoming: a, outgoing: b }, votes)).to.equal(want);
      }),
      { numRuns: 500 },
    );
  });

  it('examples: 3 voters commit the median; an even config needs more than half', () => {
    const acked = new Map([[1, 5], [2, 3], [3, 9], [4, 1]]);
    const f = (id: number): number => acked.get(id) ?? 0;
    expect(majorityCommitted([1, 2, 3], f)).to.equal(5);
    expect(majorityCommitted([1, 2, 3, 4], f)).to.equal(3);
    expect(majorityCommitted([], f)).to.equal(Infinity);
    expect(jointCommitted({ incoming: [1, 2, 3], outgoing: [2, 4] }, f)).to.equal(1);
    expect(majorityVoteResult([1, 2, 3, 4], new Map([[1, true], [2, true], [3, false]]))).to.equal(VoteResult.Pending);
    expect(majorityVoteResult([1, 2, 3, 4], new Map([[1, true], [2, false], [3, false]]))).to.equal(VoteResult.Lost);
  });

  it('isSingleton', () => {
    expect(isSingleton({ incoming: [1], outgoing: [] }, 1)).to.equal(true);
    expect(isSingleton({ incoming: [1], outgoing: [1] }, 1)).to.equal(true);
    expect(isSingleton({ incoming: [1], outgoing: [1, 2] }, 1)).to.equal(false);
    expect(isSingleton({ incoming: [2], outgoing: [] }, 1)).to.equal(false);
    expect(isSingleton({ incoming: [], outgoing: [] }, 1)).to.equal(false);
  });
});
