import { expect } from 'chai';
import {
  applyConfChangeTo,
  ConfChangeError,
  decodeConfChange,
  encodeConfChange,
  enterJoint,
  leaveJoint,
  simpleChange,
} from '../../server/raft/confchange';
import { ConfChangeType } from '../../server/raft/types';
import type { ConfState } from '../../server/raft/types';

const cs = (voters: number[], learners: number[] = []): ConfState => ({
  voters,
  learners,
  votersOutgoing: [],
  learnersNext: [],
  autoLeave: false,
});
const add = (node: number) => ({ type: ConfChangeType.AddNode, node });
const remove = (node: number) => ({ type: ConfChangeType.RemoveNode, node });
const learner = (node: number) => ({ type: ConfChangeType.AddLearner, node });

describe('raft/confchange', () => {
  it('simple changes add, remove and demote one voter at a time', () => {
    expect(simpleChange(cs([1, 2, 3]), [add(4)]).voters).to.deep.equal([1, 2, 3, 4]);
    expect(simpleChange(cs([1, 2, 3]), [remove(2)]).voters).to.deep.equal([1, 3]);
    const demoted = simpleChange(cs([1, 2, 3]), [learner(3)]);
    expect(demoted.voters).to.deep.equal([1, 2]);
    expect(demoted.learners).to.deep.equal([3]);
    const promoted = simpleChange(cs([1, 2], [3]), [add(3)]);
    expect(promoted.voters).to.deep.equal([1, 2, 3]);
    expect(promoted.learners).to.deep.equal([]);
    // Learners can come and go freely alongside one voter change.
    expect(simpleChange(cs([1, 2, 3]), [add(4), learner(5)]).learners).to.deep.equal([5]);
  });

  it('simple changes refuse two voter changes and removing every voter', () => {
    expect(() => simpleChange(cs([1, 2, 3]), [add(4), remove(1)])).to.throw(ConfChangeError, /joint/);
    expect(() => simpleChange(cs([1]), [remove(1)])).to.throw(ConfChangeError, /removed all voters/);
  });

  it('joint consensus: enter keeps the old voters as outgoing, leave drops them', () => {
    const j = enterJoint(cs([1, 2, 3]), true, [add(4), remove(1)]);
    expect(j).to.deep.equal({ voters: [2, 3, 4], votersOutgoing: [1, 2, 3], learners: [], learnersNext: [], autoLeave: true });
    expect(() => enterJoint(j, true, [add(5)])).to.throw(/already joint/);
    expect(() => simpleChange(j, [add(5)])).to.throw(/joint/);
    expect(leaveJoint(j)).to.deep.equal(cs([2, 3, 4]));
    expect(() => leaveJoint(cs([1]))).to.throw(/non-joint/);
  });

  it('demoting a voter in a joint config goes through learnersNext', () => {
    const j = enterJoint(cs([1, 2, 3]), true, [learner(3), add(4)]);
    expect(j.learnersNext).to.deep.equal([3]);
    expect(j.learners).to.deep.equal([]);
    expect(j.votersOutgoing).to.include(3);
    const after = leaveJoint(j);
    expect(after.learners).to.deep.equal([3]);
    expect(after.voters).to.deep.equal([1, 2, 4]);
  });

  it('applyConfChangeTo picks simple, joint (several changes or joint=true) or leave', () => {
    expect(applyConfChangeTo(cs([1, 2, 3]), { changes: [add(4)] }).votersOutgoing).to.deep.equal([]);
    expect(applyConfChangeTo(cs([1, 2, 3]), { changes: [add(4)], joint: true }).votersOutgoing).to.deep.equal([1, 2, 3]);
    const j = applyConfChangeTo(cs([1, 2, 3]), { changes: [add(4), remove(1)] });
    expect(j.votersOutgoing).to.deep.equal([1, 2, 3]);
    expect(applyConfChangeTo(j, { changes: [] }).votersOutgoing).to.deep.equal([]);
  });

  it('encodes and decodes round trip, and rejects garbage', () => {
    const cc = { changes: [add(4), remove(2), learner(9)], joint: true, context: new Uint8Array([1, 2, 3]) };
    expect(decodeConfChange(encodeConfChange(cc))).to.deep.equal(cc);
    expect(decodeConfChange(encodeConfChange({ changes: [], leaveJoint: true }))).to.deep.equal({ changes: [], leaveJoint: true });
    expect(() => decodeConfChange(new Uint8Array([9, 9, 9]))).to.throw(ConfChangeError);
    const bad = encodeConfChange(cc);
    expect(() => decodeConfChange(bad.subarray(0, bad.length - 1))).to.throw(ConfChangeError);
  });
});
