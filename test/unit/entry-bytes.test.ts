import { expect } from 'chai';
import { entryBytes } from '../../server/entry-bytes';
import { decodeOp, encodeOp, OpKind, type LogOp } from '../../server/logop';

describe('log entry memory: entries cut from chunks of their own (server/entry-bytes.ts)', () => {
  it('hands out 8-byte aligned pieces that never overlap while held, and large entries a buffer of their own', () => {
    const held: Buffer[] = [];
    for (let i = 0; i < 3000; i++) {
      const b = entryBytes(1 + ((i * 37) % 900));
      expect(b.byteOffset % 8, 'aligned').to.equal(0);
      b.fill(i & 0xff);
      held.push(b);
    }
    held.forEach((b, i) => expect(b.every((x) => x === (i & 0xff)), `entry ${i} kept its bytes`).to.equal(true));
    const big = entryBytes(100_000);
    expect(big.length).to.equal(100_000);
    expect(big.buffer.byteLength, 'its own memory').to.equal(100_000);
    expect(entryBytes(0).length).to.equal(0);
  });

  it('encoded ops decode to what was encoded across chunk boundaries, and later entries do not disturb earlier ones', () => {
    const ops: LogOp[] = [];
    const data: Buffer[] = [];
    for (let i = 0; i < 2000; i++) {
      const argv = [Buffer.from('xadd'), Buffer.from(`s${i % 7}`), Buffer.from('*'), Buffer.alloc((i * 13) % 700, i & 0xff)];
      const op: LogOp = { kind: OpKind.Command, ts: 1_700_000_000_000 + i, db: i % 16, clientId: i, seq: i * 2, ackedBelow: i, argv };
      ops.push(op);
      data.push(encodeOp(op));
    }
    data.forEach((d, i) => expect(decodeOp(d), `op ${i}`).to.deep.equal(ops[i]));
  });
});
