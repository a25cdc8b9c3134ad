import { expect } from 'chai';
import pino from 'pino';
import { ErrorReply, type Reply } from '../../protocol/reply';
import { Proposals, type ProposalNode } from '../../server/node/proposals';
import { EntryType, Role, type Entry } from '../../server/raft';
import { decodeOp, encodeOp, OpKind, type LogOp } from '../../server/logop';

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
    proposals.onApplied(entry(1, 1), 'one');
    proposals.onApplied(entry(2, 1), 'two');
    expect(got).to.deep.equal([['one', 1], ['two', 2]]);
    proposals.onApplied(entry(3, 1), 'three');
    expect(got).to.deep.equal([['one', 1], ['two', 2], ['three', 3]]);
  });

  it("entries it did not propose (another leader's, a no-op) answer nobody; thousands in flight stay in order", () => {
    const { state, proposals } = leader();
    const got: number[] = [];
    proposals.onApplied(entry(1, 1), 'no-op');
    state.next = 2;
    for (let i = 0; i < 5000; i++) proposals.proposeData(Buffer.from([1]), (r) => got.push(r as number));
    proposals.submitProposals();
    for (let i = 2; i < 5002; i++) proposals.onApplied(entry(i, 1), i);
    expect(got).to.have.length(5000);
    expect(got.every((v, k) => v === k + 2)).to.equal(true);
  });

  it('writes passed over by a snapshot install are answered that their outcome is unknown', () => {
    const { proposals } = leader();
    const got: Reply[] = [];
    for (let i = 0; i < 3; i++) proposals.proposeData(Buffer.from([i]), (r) => got.push(r));
    proposals.submitProposals();
    // Entries 1-3 came in a snapshot (never applied one by one here); 4 is the next applied.
    proposals.onApplied(entry(4, 2), 'later');
    expect(got).to.have.length(3);
    for (const r of got) expect((r as ErrorReply).message).to.match(/^TRYAGAIN leadership changed while the write was in flight; it /);
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
  it("the leader applies the op it proposed (no decode) only for that very entry: same index and term", () => {
    const { state, proposals } = leader();
    const ops: LogOp[] = [0, 1, 2].map((i) => ({ kind: OpKind.Command, ts: 1000 + i, db: 0, clientId: 7, seq: i, ackedBelow: 0, argv: [Buffer.from('xadd'), Buffer.from(`k${i}`)] }));
    for (const op of ops) proposals.proposeData(encodeOp(op), () => {}, op);
    proposals.proposeData(Buffer.from([9]), () => {}); // proposed without its op: decoded as before
    proposals.submitProposals();
    expect(proposals.proposedOp(1, 1)).to.equal(ops[0]);
    expect(proposals.proposedOp(3, 1)).to.equal(ops[2]);
    expect(proposals.proposedOp(4, 1)).to.equal(undefined);
    expect(proposals.proposedOp(2, 2), 'another term at that index is another entry').to.equal(undefined);
    expect(proposals.proposedOp(5, 1), 'nothing proposed there').to.equal(undefined);
    // A big entry's op is not kept (it would hold the request's copy of the value until the apply).
    const big: LogOp = { kind: OpKind.Command, ts: 1, db: 0, clientId: 0, seq: 0, ackedBelow: 0, argv: [Buffer.from('set'), Buffer.from('k'), Buffer.alloc(100_000)] };
    proposals.proposeData(encodeOp(big), () => {}, big);
    proposals.submitProposals();
    expect(proposals.proposedOp(5, 1)).to.equal(undefined);
    // What the leader applies equals what every follower decodes from the entry.
    expect(decodeOp(encodeOp(ops[1]))).to.deep.equal(ops[1]);
    proposals.onApplied(entry(1, 1), 'one');
    expect(proposals.proposedOp(1, 1), 'answered: gone').to.equal(undefined);
    expect(proposals.proposedOp(2, 1)).to.equal(ops[1]);
    // A new leader truncated index 2 onwards and reused it: our ops there are gone with their waiters.
    state.next = 2;
    state.term = 2;
    proposals.proposeData(Buffer.from([1]), () => {});
    proposals.submitProposals();
    expect(proposals.proposedOp(2, 1)).to.equal(undefined);
    expect(proposals.proposedOp(3, 1)).to.equal(undefined);
  });
});
