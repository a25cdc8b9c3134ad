import { expect } from 'chai';
import { BoolReply, DoubleReply, ErrorReply, MapReply, NullArray, PushReply, RawReply, SetReply, SimpleString, VerbatimReply, type Reply } from '../../protocol/reply';
import { buildCommandTable } from '../../server/commands/registry';
import { StateMachine } from '../../server/fsm';
import { Keyspace } from '../../server/keyspace';
import { silentLogger } from '../../server/log';
import { OpKind, decodeOp, encodeOp, type LogOp } from '../../server/logop';
import { deserializeReply, serializeReply } from '../../server/reply-codec';
import { decodeForward, encodeForwardReply, encodeForwardRequest, encodePeerAnswer, encodePeerQuery } from '../../server/forwarding';

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

describe('state machine: WATCH and expiry (Redis >= 6.0.9)', () => {
  const set = (ts: number, ...args: string[]): LogOp => ({ kind: OpKind.Command, ts, db: 0, clientId: 0, seq: 0, argv: ['SET', ...args].map((a) => Buffer.from(a)) });
  const del = (ts: number, key: string): LogOp => ({ kind: OpKind.Command, ts, db: 0, clientId: 0, seq: 0, argv: [Buffer.from('DEL'), Buffer.from(key)] });
  /** EXEC of one SET, watching k at `version`; through the log encoding, as on a follower. */
  const exec = (ts: number, version: number, expired: boolean): LogOp =>
    decodeOp(
      encodeOp({
        kind: OpKind.Multi,
        ts,
        db: 0,
        clientId: 0,
        seq: 0,
        commands: [[Buffer.from('SET'), Buffer.from('other'), Buffer.from('x')]],
        watches: [{ db: 0, key: Buffer.from('k'), version, expired }],
      }),
    );
  const ran = (r: Reply): boolean => Array.isArray(r) && r.length === 1;

  it('fails EXEC when a watched key expired after WATCH, even before it is deleted', () => {
    const fsm = newFsm();
    fsm.apply(1, set(1000, 'k', 'v', 'PXAT', '2000'));
    // Watched while live (version 1); applied after the deadline: aborted.
    expect(fsm.apply(2, exec(2500, 1, false))).to.equal(NullArray.instance);
    // Applied before the deadline: runs.
    const early = newFsm();
    early.apply(1, set(1000, 'k', 'v', 'PXAT', '2000'));
    expect(ran(early.apply(2, exec(1800, 1, false)))).to.equal(true);
  });

  it('does not fail EXEC for a key that was already stale when watched, even once deleted, unless written again', () => {
    const fsm = newFsm();
    fsm.apply(1, set(1000, 'k', 'v', 'PXAT', '2000'));
    expect(ran(fsm.apply(2, exec(2500, 1, true)))).to.equal(true);
    fsm.apply(3, del(2600, 'k')); // deleting the stale key
    expect(ran(fsm.apply(4, exec(2700, 1, true)))).to.equal(true);
    fsm.apply(5, set(2800, 'k', 'new'));
    expect(fsm.apply(6, exec(2900, 1, true))).to.equal(NullArray.instance);
  });

  it('decodes transactions logged by older builds (no watch flags) as not stale', () => {
    const encoded = encodeOp({ kind: OpKind.Multi, ts: 1, db: 0, clientId: 0, seq: 0, commands: [], watches: [{ db: 0, key: Buffer.from('k'), version: 3, expired: true }] });
    const old = decodeOp(encoded.subarray(0, encoded.length - 1));
    expect(old.kind === OpKind.Multi && old.watches[0].version).to.equal(3);
    expect(old.kind === OpKind.Multi && old.watches[0].expired).to.not.equal(true);
    const now = decodeOp(encoded);
    expect(now.kind === OpKind.Multi && now.watches[0].expired).to.equal(true);
  });
});

describe('state machine: WATCH of a key that did not exist (Redis 7: flushes touch only keys that existed)', () => {
  const op = (ts: number, ...argv: string[]): LogOp => ({ kind: OpKind.Command, ts, db: 0, clientId: 0, seq: 0, argv: argv.map((a) => Buffer.from(a)) });
  /** EXEC watching `key` seen absent at applied index `seen`, through the log encoding. */
  const exec = (seen: number, key = 'w'): LogOp =>
    decodeOp(
      encodeOp({ kind: OpKind.Multi, ts: 5000, db: 0, clientId: 0, seq: 0, commands: [[Buffer.from('PING')]], watches: [{ db: 0, key: Buffer.from(key), version: seen, absent: true }] }),
    );
  const ran = (r: Reply): boolean => Array.isArray(r) && r.length === 1;

  it('FLUSHALL/FLUSHDB/tombstone compaction leave it alone; creating it (even if deleted or flushed since) breaks it', () => {
    const fsm = newFsm();
    fsm.apply(1, op(1000, 'SET', 'a', '1'));
    // Watched at index 1; a flush of other keys does not break it.
    fsm.apply(2, op(1000, 'FLUSHALL'));
    fsm.apply(3, op(1000, 'FLUSHDB'));
    expect(ran(fsm.apply(4, exec(1)))).to.equal(true);
    // Created then flushed away after the watch: broken.
    fsm.apply(5, op(1000, 'SET', 'w', '1'));
    fsm.apply(6, op(1000, 'FLUSHDB'));
    expect(fsm.apply(7, exec(4))).to.equal(NullArray.instance);
    expect(ran(fsm.apply(8, exec(6)))).to.equal(true);
    // Created and deleted after the watch, its tombstone then compacted away by many deletes: still broken.
    fsm.apply(9, op(1000, 'SET', 'w', '1'));
    fsm.apply(10, op(1000, 'DEL', 'w'));
    let i = 11;
    for (let k = 0; k < 5000; k++, i += 2) {
      fsm.apply(i, op(1000, 'SET', `t${k}`, '1'));
      fsm.apply(i + 1, op(1000, 'DEL', `t${k}`));
    }
    expect(fsm.keyspace.dbs[0].tombstone('w')).to.equal(undefined);
    expect(fsm.apply(i, exec(8))).to.equal(NullArray.instance);
  });

  it('a node restored from the durable records (snapshot) decides the same; older meta records read conservatively', () => {
    const a = newFsm();
    a.keyspace.trackChanges = true;
    a.apply(1, op(1000, 'SET', 'w', '1'));
    a.apply(2, op(1000, 'FLUSHALL'));
    const records = a.keyspace.drainChanges().flatMap((ch) => ('key' in ch ? [a.keyspace.encodeRecord(ch.db, ch.key)] : [])).filter((r) => r !== null);
    const b = newFsm();
    for (const r of records) b.keyspace.applyRecord(r!.key, r!.value);
    expect(b.apply(3, exec(0))).to.equal(NullArray.instance); // w was created after index 0 and flushed
    expect(ran(b.apply(4, exec(2)))).to.equal(true);
    // A meta record without the dropped-version floors (older build): the floor stands in, never missing a change.
    const meta = records.find((r) => r!.key[0] === 0xff)!;
    const c = newFsm();
    c.keyspace.applyRecord(meta.key, meta.value.subarray(0, 1 + 8 * meta.value[0]));
    expect(c.apply(3, exec(0))).to.equal(NullArray.instance);
    expect(c.apply(4, exec(1))).to.equal(NullArray.instance); // conservative: the flush's index, not w's version
  });

  it('pub/sub peer queries and answers round-trip; a truncated one is refused', () => {
    const q = decodeForward(encodePeerQuery({ reqId: 12, args: [Buffer.from('numsub'), Buffer.from([0, 255])] }));
    expect(q).to.deep.equal({ kind: 'pubsub-query', reqId: 12, args: [Buffer.from('numsub'), Buffer.from([0, 255])] });
    const a = decodeForward(encodePeerAnswer({ reqId: 13, args: [] }));
    expect(a).to.deep.equal({ kind: 'pubsub-answer', reqId: 13, args: [] });
    expect(() => decodeForward(encodePeerQuery({ reqId: 1, args: [Buffer.from('x')] }).subarray(0, 16))).to.throw(RangeError);
  });
});
