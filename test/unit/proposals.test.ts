import { expect } from 'chai';
import pino from 'pino';
import { ErrorReply, type Reply } from '../../protocol/reply';
import { Proposals, type ProposalNode } from '../../server/node/proposals';
import { EntryType, Role, type Entry } from '../../server/raft';

/** A leader whose core hands out consecutive indexes from `next` in term `term` (both settable, as after a re-election). */
function leader() {
  const state = { next: 1, term: 1 };
  const node = {
    log: pino({ level: 'silent' }),
    role: Role.Leader,
    leader: 1,
    diskError: undefined,
    raft: {
      propose(datas: Uint8Array[]) {
        const index = state.next;
        state.next += datas.length;
        return { index, term: state.term };
      },
    },
  } as unknown as ProposalNode;
  const proposals = new Proposals(node, { writeTimeoutMs: 1000, scheduleReady: () => {} });
  return { state, proposals };
}

const entry = (index: number, term: number): Entry => ({ index, term, type: EntryType.Normal, data: new Uint8Array(0) });

describe('write intake: proposals wait for their entry (server/node/proposals.ts)', () => {
  it('answers each write with the reply of its own entry', () => {
    const { proposals } = leader();
    const got: Array<[Reply, number]> = [];
    for (let i = 0; i < 3; i++) proposals.proposeData(Buffer.from([i]), (r, index) => got.push([r, index]));
    proposals.submitProposals();
    proposals.onApplied(entry(2, 1), 'two');
    proposals.onApplied(entry(1, 1), 'one');
    proposals.onApplied(entry(3, 1), 'three');
    expect(got).to.deep.equal([['two', 2], ['one', 1], ['three', 3]]);
  });

  it('an entry applied in another term answers its writer TRYAGAIN (it was not applied)', () => {
    const { proposals } = leader();
    const got: Reply[] = [];
    proposals.proposeData(Buffer.from('a'), (r) => got.push(r));
    proposals.submitProposals();
    proposals.onApplied(entry(1, 2), 'someone else');
    expect(got).to.have.length(1);
    expect(got[0]).to.be.instanceOf(ErrorReply);
    expect((got[0] as ErrorReply).message).to.match(/^TRYAGAIN .*not applied/);
  });

  it('a write whose index is reused after its entry was truncated away is answered, not forgotten', () => {
    // Leader in term 1 proposes at index 5, loses leadership before commit; another leader truncates
    // index 5; this node leads again in term 3 and its next write lands at index 5 too.
    const { state, proposals } = leader();
    state.next = 5;
    const first: Reply[] = [];
    const second: Array<[Reply, number]> = [];
    proposals.proposeData(Buffer.from('old'), (r) => first.push(r));
    proposals.submitProposals();
    state.next = 5;
    state.term = 3;
    proposals.proposeData(Buffer.from('new'), (r, i) => second.push([r, i]));
    proposals.submitProposals();
    expect(first).to.have.length(1);
    expect((first[0] as ErrorReply).message).to.match(/^TRYAGAIN leadership changed before the write was committed; it was not applied/);
    proposals.onApplied(entry(5, 3), 'OK');
    expect(second).to.deep.equal([['OK', 5]]);
    expect(first).to.have.length(1);
  });
});
