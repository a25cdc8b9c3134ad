import { expect } from 'chai';
import { BoolReply, DoubleReply, ErrorReply, MapReply, NullArray, PushReply, RawReply, SetReply, SimpleString, VerbatimReply, type Reply } from '../../protocol/reply';
import { buildCommandTable } from '../../server/commands/registry';
import { StateMachine } from '../../server/fsm';
import { Keyspace } from '../../server/keyspace';
import { silentLogger } from '../../server/log';
import { OpKind, decodeOp, encodeOp, type LogOp } from '../../server/logop';
import { deserializeReply, serializeReply } from '../../server/reply-codec';
import { decodeForward, encodeForwardReply, encodeForwardRequest } from '../../server/forwarding';

const table = buildCommandTable();
const newFsm = () => new StateMachine(new Keyspace(), (n) => table.data(n), silentLogger);
const incr = (clientId: number, seq: number, ackedBelow = 0, ts = 1000): LogOp => ({
  kind: OpKind.Command,
  ts,
  db: 0,
  clientId,
  seq,
  ackedBelow,
  argv: [Buffer.from('INCR'), Buffer.from('n')],
});

describe('state machine: exactly-once for retried requests', () => {
  it('answers a retried (clientId, seq) from its cache instead of applying it again', () => {
    const fsm = newFsm();
    expect(fsm.apply(1, incr(7, 1))).to.equal(1);
    expect(fsm.apply(2, incr(7, 2))).to.equal(2);
    // The retry of seq 1 (e.g. resent to a new leader) returns the first answer.
    expect(fsm.apply(3, incr(7, 1))).to.equal(1);
    expect(fsm.apply(4, incr(7, 2))).to.equal(2);
    // Another client's seq 1 is a different request.
    expect(fsm.apply(5, incr(8, 1))).to.equal(3);
    // Requests without a client id are never deduplicated.
    expect(fsm.apply(6, incr(0, 0))).to.equal(4);
    expect(fsm.apply(7, incr(0, 0))).to.equal(5);
  });

  it('drops replies below ackedBelow and refuses a request below the floor', () => {
    const fsm = newFsm();
    fsm.apply(1, incr(7, 1));
    fsm.apply(2, incr(7, 2));
    fsm.apply(3, incr(7, 3, 3)); // seqs 1 and 2 were answered
    const r = fsm.apply(4, incr(7, 1));
    expect(r).to.be.instanceOf(ErrorReply);
    expect(fsm.apply(5, incr(7, 3))).to.equal(3);
  });

  it('keeps its sessions across a snapshot: a restored node dedupes the same way', () => {
    const a = newFsm();
    a.apply(1, incr(7, 1));
    a.apply(2, incr(7, 2));
    const b = newFsm();
    b.restoreSessions(a.encodeSessions());
    expect(b.apply(3, incr(7, 2))).to.equal(2);
    expect(a.apply(3, incr(7, 2))).to.equal(2);
    expect(b.encodeSessions().equals(a.encodeSessions())).to.equal(true);
  });

  it('log ops carry clientId, seq and ackedBelow through the encoding', () => {
    const op = decodeOp(encodeOp(incr(123456789, 42, 40)));
    expect(op).to.include({ clientId: 123456789, seq: 42, ackedBelow: 40 });
  });

  it('forward requests and replies round-trip', () => {
    const req = decodeForward(encodeForwardRequest({ reqId: 2 ** 40, term: 9, clientId: 77, ackedBelow: 5, proto: 3, db: 2, argv: [Buffer.from('SET'), Buffer.from([0, 1])] }));
    expect(req).to.deep.include({ kind: 'request', reqId: 2 ** 40, term: 9, clientId: 77, ackedBelow: 5, proto: 3, db: 2 });
    const rep = decodeForward(encodeForwardReply({ reqId: 3, index: 10, resp: Buffer.from('+OK\r\n') }));
    expect(rep).to.deep.include({ kind: 'reply', reqId: 3, index: 10 });
  });

  it('serializes every reply kind losslessly', () => {
    const replies: Reply[] = [
      null,
      42,
      -7,
      2n ** 63n - 1n,
      Buffer.from([0, 255, 13, 10]),
      'héllo',
      new SimpleString('OK'),
      new ErrorReply('WRONGTYPE x'),
      [1, [Buffer.from('a'), null]],
      NullArray.instance,
      new MapReply([['k', 1]]),
      new SetReply(['a']),
      new DoubleReply(1.5),
      new BoolReply(true),
      new VerbatimReply('txt', 'v'),
      new PushReply(['message']),
      new RawReply(Buffer.from('+OK\r\n')),
    ];
    for (const r of replies) expect(deserializeReply(serializeReply(r))).to.deep.equal(r);
  });
});
