import { expect } from 'chai';
import { encodeReply } from '../../protocol/encoder';
import { StreamValue } from '../../server/keyspace/stream';
import { MAX_ID, MIN_ID, type StreamId } from '../../server/keyspace/stream-id';
import { entriesReply } from '../../server/commands/stream';
import { rangeReply } from '../../server/commands/stream-reply';
import { rng } from '../support/rng';

/**
 * commands/stream-reply.ts writes the RESP of a range straight from the
 * blocks; it must be byte for byte what the encoder writes for the entries
 * StreamValue.range returns. Seeded random streams: ids small, around 2^31,
 * 2^53 and 2^64, runs sharing a millisecond, deleted entries and trimmed
 * blocks, fields like and unlike the block's first entry, long and binary
 * values; random bounds, counts and directions.
 */

const BASES = [0n, 1n, 2147483000n, 1700000000000n, 9007199254740900n, 18446744073709551000n];

function buildStream(rand: () => number): { s: StreamValue; ids: StreamId[] } {
  const s = new StreamValue();
  const ids: StreamId[] = [];
  let ms = BASES[Math.floor(rand() * BASES.length)];
  let seq = rand() < 0.2 ? 9007199254740000n : 0n;
  const n = 1 + Math.floor(rand() * 400);
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.5) seq += 1n + BigInt(Math.floor(rand() * 300));
    else {
      ms += 1n + BigInt(Math.floor(rand() * (r < 0.9 ? 1000 : 1e9)));
      seq = BigInt(Math.floor(rand() * 3));
    }
    if (ms > 0xffffffffffffffffn || seq > 0xffffffffffffffffn) break;
    const id = { ms, seq };
    const pairs: Buffer[] = [];
    const shape = rand();
    const nf = shape < 0.7 ? 2 : 1 + Math.floor(rand() * 40);
    for (let f = 0; f < nf; f++) {
      pairs.push(Buffer.from(shape < 0.7 ? `field${f}` : `f${Math.floor(rand() * 5)}`));
      const v = rand();
      pairs.push(v < 0.05 ? Buffer.alloc(Math.floor(rand() * 3000), 0x78) : v < 0.1 ? Buffer.from([0, 13, 10, 255]) : v < 0.15 ? Buffer.alloc(0) : Buffer.from(String(Math.floor(rand() * 1e9))));
    }
    s.add(id, pairs);
    ids.push(id);
  }
  // Deletes: single entries and runs.
  const dels = Math.floor(rand() * ids.length);
  for (let d = 0; d < dels; d++) {
    const at = Math.floor(rand() * ids.length);
    const run = rand() < 0.1 ? 1 + Math.floor(rand() * 120) : 1;
    for (let k = at; k < Math.min(ids.length, at + run); k++) s.delete(ids[k]);
  }
  if (rand() < 0.2) s.trim({ maxlen: Math.floor(rand() * s.length), approx: rand() < 0.5, limit: 0 });
  return { s, ids };
}

function pickBound(rand: () => number, ids: StreamId[]): StreamId {
  const r = rand();
  if (r < 0.1) return MIN_ID;
  if (r < 0.2 || ids.length === 0) return MAX_ID;
  const id = ids[Math.floor(rand() * ids.length)];
  if (r < 0.7) return id;
  // Between or next to entries.
  return { ms: id.ms, seq: r < 0.85 ? id.seq + 1n : id.seq === 0n ? 0n : id.seq - 1n };
}

describe('stream replies encoded from the blocks (stream-reply.ts)', () => {
  it('match the encoder on the entries StreamValue.range returns (300 seeded streams, 20 ranges each)', () => {
    let nonEmpty = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const rand = rng(seed);
      const { s, ids } = buildStream(rand);
      for (let q = 0; q < 20; q++) {
        let start = pickBound(rand, ids);
        let end = pickBound(rand, ids);
        if (rand() < 0.8 && (start.ms > end.ms || (start.ms === end.ms && start.seq > end.seq))) [start, end] = [end, start];
        const count = rand() < 0.3 ? 0 : 1 + Math.floor(rand() * 150);
        const reverse = rand() < 0.4;
        const expected = encodeReply(entriesReply(s.range(start, end, count, reverse)), 2);
        const got = rangeReply(s, start, end, count, reverse).bytes;
        if (!got.equals(expected)) {
          expect.fail(`seed ${seed} query ${q}: ${start.ms}-${start.seq} .. ${end.ms}-${end.seq} count ${count} reverse ${reverse}\n got ${got.toString('latin1').slice(0, 300)}\nwant ${expected.toString('latin1').slice(0, 300)}`);
        }
        if (expected.length > 4) nonEmpty++;
      }
      // lastValidId walks the last live block; it must agree with the last entry range finds.
      expect(s.lastValidId(), `seed ${seed}`).to.deep.equal(s.range(MIN_ID, MAX_ID, 1, true)[0]?.id ?? MIN_ID);
    }
    expect(nonEmpty).to.be.above(2000);
  });

  it('a reply stays intact while later replies are written (views of a shared slab)', () => {
    const s = new StreamValue();
    for (let i = 1; i <= 300; i++) s.add({ ms: BigInt(i), seq: 0n }, [Buffer.from('f'), Buffer.alloc(i * 10, 0x61)]);
    const first = rangeReply(s, MIN_ID, MAX_ID, 5, false).bytes;
    const copy = Buffer.from(first);
    for (let k = 0; k < 200; k++) rangeReply(s, MIN_ID, MAX_ID, 1 + (k % 300), k % 2 === 0);
    expect(first.equals(copy)).to.equal(true);
  });
});
