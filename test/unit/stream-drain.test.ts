import { expect } from 'chai';
import { Keyspace } from '../../server/keyspace';
import { StreamValue } from '../../server/keyspace/stream';
import type { StreamId } from '../../server/keyspace/stream-id';

/**
 * A fast-filled stream's flush drains in steps (Collection.drainRecordsSome,
 * Keyspace.drainElementRecordsInTurns): the same records, in the same order,
 * as one drain, with about the asked bytes per step.
 */
const id = (ms: number, seq = 0): StreamId => ({ ms: BigInt(ms), seq: BigInt(seq) });
const pairs = (...s: string[]): Buffer[] => s.map((x) => Buffer.from(x, 'latin1'));

/** The same stream twice: 3,000 entries, some deleted by a trim (block records deleted), then more added. */
function twin(): StreamValue {
  const s = new StreamValue();
  for (let i = 1; i <= 3000; i++) s.add(id(i), pairs('f', `value-${i}`, 'n', String(i)));
  s.drainRecords(() => undefined);
  s.trim({ maxlen: 1000, approx: false, limit: 0 });
  for (let i = 3001; i <= 6000; i++) s.add(id(i), pairs('f', `value-${i}`, 'n', String(i)));
  return s;
}

type Rec = [string, string | null];
const rec = (out: Rec[]) => (sub: string, v: Buffer | null) => out.push([sub, v === null ? null : v.toString('hex')]);

describe('stream flush in steps (drainRecordsSome)', () => {
  it('emits what one drain emits, in the same order, about maxBytes of values a step', () => {
    const whole: Rec[] = [];
    twin().drainRecords(rec(whole));
    const stepped: Rec[] = [];
    const s = twin();
    let steps = 0;
    let maxStep = 0;
    for (;;) {
      const before = stepped.length;
      const done = s.drainRecordsSome(rec(stepped), 8 * 1024);
      steps++;
      const bytes = stepped.slice(before).reduce((n, [, v]) => n + (v === null ? 0 : v.length / 2), 0);
      maxStep = Math.max(maxStep, bytes);
      if (done) break;
    }
    expect(stepped).to.deep.equal(whole);
    expect(whole.filter(([, v]) => v === null).length).to.be.greaterThan(0); // the trim's deletes are in it
    expect(steps).to.be.greaterThan(5);
    expect(maxStep).to.be.at.most(8 * 1024 + 64); // the meta record rides on the last step
    // Drained: nothing left.
    const again: Rec[] = [];
    expect(s.drainRecordsSome(rec(again), 1)).to.equal(true);
    expect(again).to.deep.equal([]);
  });

  it('a keyspace drained in turns writes the records one drain writes', async () => {
    const build = () => {
      const ks = new Keyspace();
      ks.trackChanges = true;
      const db = ks.dbs[0];
      db.set('a', twin(), 1);
      db.set('b', twin(), 2);
      ks.drainChanges();
      return ks;
    };
    const whole: Array<[string, string | null]> = [];
    build().drainElementRecords((k, v) => whole.push([k.toString('hex'), v === null ? null : v.toString('hex')]));
    const stepped: Array<[string, string | null]> = [];
    let turns = 0;
    await build().drainElementRecordsInTurns((k, v) => stepped.push([k.toString('hex'), v === null ? null : v.toString('hex')]), 16 * 1024, async () => {
      turns++;
    });
    expect(stepped).to.deep.equal(whole);
    expect(whole.length).to.be.greaterThan(100);
    expect(turns).to.be.greaterThan(3);
  });
});
