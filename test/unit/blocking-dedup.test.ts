import { expect } from 'chai';
import { ErrorReply, NullArray, RawReply, SimpleString, type Reply } from '../../protocol/reply';
import { BlockingService } from '../../server/blocking';
import { BlockedClients } from '../../server/blocked-clients';
import { ERR_OUTCOME_UNKNOWN, ERR_OUTCOME_UNKNOWN_FAILOVER } from '../../server/node/errors';
import { buildCommandTable } from '../../server/commands/registry';
import { POP_ACK } from '../../server/forwarding';
import { StateMachine } from '../../server/fsm';
import { Keyspace } from '../../server/keyspace';
import { silentLogger } from '../../server/log';
import { OpKind, type LogOp } from '../../server/logop';
import { followerForwarding } from './forwarder-fixture';
import type { RequestId } from '../../server/node/forwarder';

/**
 * An element popped for a client blocked on a follower was lost when the
 * leader died after applying the pop but before its reply left: the pop was
 * logged under no session, a blocked request does not hold back
 * `ackedBelow` (so the follower's later writes pruned its cached reply), and
 * the follower's resend to the new leader was refused as a duplicate (or,
 * unpruned, answered with the first attempt's empty pop and parked again).
 */
const table = buildCommandTable();
const newFsm = () => new StateMachine(new Keyspace(), (n) => table.data(n), silentLogger);
const cmd = (clientId: number, seq: number, ackedBelow: number, ...args: Array<string | Buffer>): LogOp => ({
  kind: OpKind.Command,
  ts: 1000,
  db: 0,
  clientId,
  seq,
  ackedBelow,
  argv: args.map((a) => (typeof a === 'string' ? Buffer.from(a) : a)),
});
const C = 42; // the follower's session
const str = (r: Reply): unknown => (Array.isArray(r) ? r.map(str) : Buffer.isBuffer(r) ? r.toString() : r);

describe('state machine: a blocked request popped for a follower (exactly once across a failover)', () => {
  it("keeps the pop's reply past later acknowledgements and answers the resend with it", () => {
    const fsm = newFsm();
    expect(fsm.apply(1, cmd(C, 5, 5, 'BLPOP', 'q', '0'))).to.equal(NullArray.instance); // parks on the leader
    fsm.apply(2, cmd(0, 0, 0, 'RPUSH', 'q', 'a', 'b'));
    // The leader wakes the waiter: the pop is logged under the request's (clientId, seq).
    expect(str(fsm.apply(3, cmd(C, 5, 5, 'BLPOP', 'q', '0')))).to.deep.equal(['q', 'a']);
    // The leader dies before the reply leaves; the follower's later writes acknowledge up to 7.
    expect(fsm.apply(4, cmd(C, 7, 7, 'INCR', 'n'))).to.equal(1);
    // The resend to the new leader: answered with the element, nothing else popped.
    expect(str(fsm.apply(5, cmd(C, 5, 7, 'BLPOP', 'q', '0')))).to.deep.equal(['q', 'a']);
    expect(fsm.apply(6, cmd(0, 0, 0, 'LLEN', 'q'))).to.equal(1);
    // Non-blocking requests below the floor are still refused as duplicates.
    expect(fsm.apply(7, cmd(C, 6, 7, 'INCR', 'n'))).to.be.instanceOf(ErrorReply);
    // The follower acknowledges the pop: dropped (the cache does not grow while clients block).
    expect(fsm.heldPops(C)).to.equal(1);
    expect(fsm.apply(8, cmd(C, 8, 8, POP_ACK, '5'))).to.deep.equal(new SimpleString('OK'));
    expect(fsm.heldPops(C)).to.equal(0);
    expect(fsm.apply(9, cmd(C, 9, 8, POP_ACK, '5')), 'idempotent').to.deep.equal(new SimpleString('OK'));
  });

  it('a still-waiting request pruned by later acknowledgements waits again when resent (no duplicate error)', () => {
    const fsm = newFsm();
    expect(fsm.apply(1, cmd(C, 5, 5, 'BLPOP', 'q', '0'))).to.equal(NullArray.instance);
    fsm.apply(2, cmd(C, 7, 7, 'INCR', 'n'));
    expect(fsm.apply(3, cmd(C, 5, 7, 'BLPOP', 'q', '0'))).to.equal(NullArray.instance);
    expect(fsm.heldPops(C), 'empty pops are not cached').to.equal(0);
    // A pop found at once (no wait) is kept too, until acknowledged.
    fsm.apply(4, cmd(0, 0, 0, 'RPUSH', 'q', 'x'));
    expect(str(fsm.apply(5, cmd(C, 9, 7, 'BLPOP', 'q', '0')))).to.deep.equal(['q', 'x']);
    fsm.apply(6, cmd(C, 11, 11, 'INCR', 'n'));
    expect(str(fsm.apply(7, cmd(C, 9, 11, 'BLPOP', 'q', '0')))).to.deep.equal(['q', 'x']);
  });

  it('held pops survive a snapshot; a record without any is the old format', () => {
    const a = newFsm();
    a.apply(1, cmd(C, 1, 1, 'INCR', 'n'));
    const legacy = a.encodeSessions();
    a.apply(2, cmd(0, 0, 0, 'RPUSH', 'q', 'a'));
    a.apply(3, cmd(C, 5, 5, 'BLPOP', 'q', '0'));
    a.apply(4, cmd(C, 7, 7, 'INCR', 'n'));
    const b = newFsm();
    b.restoreSessions(a.encodeSessions());
    expect(b.heldPops(C)).to.equal(1);
    expect(b.encodeSessions().equals(a.encodeSessions())).to.equal(true);
    expect(str(b.apply(5, cmd(C, 5, 7, 'BLPOP', 'q', '0')))).to.deep.equal(['q', 'a']);
    // Old format: u32 count, one session of 28 header bytes, one reply; no trailer.
    expect(legacy.readUInt32LE(0)).to.equal(1);
    const c = newFsm();
    c.restoreSessions(legacy);
    expect(c.encodeSessions().equals(legacy)).to.equal(true);
  });
});

describe('blocking service: the wake-up pop of a forwarded waiter', () => {
  it('is proposed under the forwarded request id, so a resend after the leader dies gets the element', () => {
    const fsm = newFsm();
    let index = 0;
    const apply = (op: LogOp): Reply => fsm.apply(++index, op);
    const proposed: Array<RequestId | undefined> = [];
    const svc = new BlockingService({
      keyspace: fsm.keyspace,
      isLeader: () => true,
      // The leader dies: the pop is applied (committed) but its reply never reaches the follower.
      propose: (db, argv, _done, id) => {
        proposed.push(id);
        apply({ kind: OpKind.Command, ts: 1000, db, clientId: id?.clientId ?? 0, seq: id?.seq ?? 0, ackedBelow: id?.ackedBelow ?? 0, argv });
      },
    });
    const spec = table.data('blpop')!.blocking!;
    const argv = ['BLPOP', 'q', '0'].map((s) => Buffer.from(s));
    const id: RequestId = { clientId: C, seq: 5, ackedBelow: 5 };
    const answers: Reply[] = [];
    const done = svc.wrap(spec, 0, argv, 0, 'node:1', (r) => answers.push(r), id);
    done(apply(cmd(C, 5, 5, 'BLPOP', 'q', '0')), index);
    expect(svc.size).to.equal(1);
    apply(cmd(0, 0, 0, 'RPUSH', 'q', 'a', 'b'));
    svc.afterApply();
    expect(proposed).to.deep.equal([id]);
    expect(answers).to.deep.equal([]);
    apply(cmd(C, 7, 7, 'INCR', 'n'));
    expect(str(apply(cmd(C, 5, 7, 'BLPOP', 'q', '0')))).to.deep.equal(['q', 'a']);
    expect(apply(cmd(0, 0, 0, 'LLEN', 'q'))).to.equal(1);
  });
});

describe('forwarder: a blocking request (longWait) across a failover', () => {
  const follower = () => followerForwarding({ argv: ['BLPOP', 'q', '0'], longWait: true });
  const popped = '*2\r\n$1\r\nq\r\n$1\r\na\r\n';

  it('a refusal after a resend is resent under the same id (the old leader may have popped for it)', () => {
    const { f, sent, replies, answer, failover } = follower();
    failover(2);
    answer(2, 1, '-TRYAGAIN not the leader (leader is node 1)\r\n');
    expect(replies, 'not answered "may or may not"').to.deep.equal([]);
    f.retryUnsentForwards();
    expect(sent.map((s) => [s.to, s.reqId])).to.deep.equal([
      [1, 1],
      [2, 1],
      [2, 1],
    ]);
    answer(2, 1, popped, 9);
    expect(replies).to.deep.equal([popped]);
  });

  it('a refusing disk after a resend is answered "may or may not" (not resent forever)', () => {
    const { f, sent, replies, answer, failover } = follower();
    failover(2);
    answer(2, 1, '-MISCONF Errors writing to the data directory (x).\r\n');
    expect(replies).to.have.length(1);
    expect(replies[0]).to.match(/^-TRYAGAIN .*may or may not have been applied/);
    f.retryUnsentForwards();
    // Not resent; but node 1 may have popped for it: that cached reply is released.
    expect(sent.map((s) => [s.to, s.reqId, s.argv[0]])).to.deep.equal([
      [1, 1, 'BLPOP'],
      [2, 1, 'BLPOP'],
      [2, 2, POP_ACK.toString('latin1')],
    ]);
  });

  it('acknowledges a pop answered from the log (once the leader applied the ack), not a timeout', () => {
    const { f, sent, replies, answer } = follower();
    answer(1, 1, popped, 9);
    expect(replies).to.deep.equal([popped]);
    f.retryUnsentForwards();
    const ack = sent[sent.length - 1];
    expect(ack.argv).to.deep.equal([POP_ACK.toString('latin1'), '1']);
    // Refused: sent again later (the state machine would otherwise keep the pop until the session expires).
    answer(1, ack.reqId, '-TRYAGAIN leadership moved to node 2; retry\r\n');
    f.retryUnsentForwards();
    const again = sent[sent.length - 1];
    expect(again.reqId).to.not.equal(ack.reqId);
    expect(again.argv).to.deep.equal([POP_ACK.toString('latin1'), '1']);
    answer(1, again.reqId, '+OK\r\n', 12);
    const count = sent.length;
    f.retryUnsentForwards();
    expect(sent.length, 'nothing left to acknowledge').to.equal(count);
    // A blocked request answered by its timeout (index 0) popped nothing: no acknowledgement.
    f.forward(0, [Buffer.from('BLPOP'), Buffer.from('q'), Buffer.from('1')], 2, () => undefined, 1000, true);
    answer(1, sent[sent.length - 1].reqId, '*-1\r\n', 0);
    f.retryUnsentForwards();
    expect(sent.length).to.equal(count + 1);
  });
});

describe('blocked clients: what a failed attempt means', () => {
  function blocked() {
    const submits: Array<(r: Reply) => void> = [];
    const cancels: string[] = [];
    const bc = new BlockedClients(
      {
        submit: (_db, _cmd, _argv, _token, _timeoutMs, _proto, done) => submits.push(done),
        cancel: (token) => cancels.push(token),
        giveBack: () => undefined,
        noteGiveBack: () => undefined,
      },
      'node',
    );
    const answers: Reply[] = [];
    bc.run(1, table.data('blpop')!, 0, ['BLPOP', 'q', '0'].map((s) => Buffer.from(s)), 0, 2, (r) => answers.push(r));
    return { bc, submits, answers, cancels };
  }

  it('retries a refusal (not applied) as a new request', async () => {
    const { submits, answers } = blocked();
    submits[0](new ErrorReply('TRYAGAIN leadership changed while the client was blocked; retry'));
    await new Promise((r) => setTimeout(r, 80));
    expect(submits).to.have.length(2);
    expect(answers).to.deep.equal([]);
  });

  for (const unknown of [ERR_OUTCOME_UNKNOWN, ERR_OUTCOME_UNKNOWN_FAILOVER]) {
    it(`passes on "${unknown.message}": a pop may have been made for it, a new request would lose it`, async () => {
      const { bc, submits, answers, cancels } = blocked();
      submits[0](new RawReply(Buffer.from(`-${unknown.message}\r\n`)));
      await new Promise((r) => setTimeout(r, 80));
      expect(submits).to.have.length(1);
      expect(answers).to.have.length(1);
      expect(String((answers[0] as RawReply).bytes)).to.include('may or may not have been applied');
      expect(bc.size).to.equal(0);
      expect(cancels, 'a waiter still parked on a leader is dropped').to.deep.equal(['node:1']);
    });
  }
});
