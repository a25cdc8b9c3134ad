import { expect } from 'chai';
import fc from 'fast-check';
import { CodecError, decodeMessage, encodeMessage, messageSize } from '../../server/transport/codec';
import { writeUvarint } from '../../server/transport/varint';
import { EntryType, MessageType, type ConfState, type Entry, type Message, type SnapshotMeta } from '../../server/raft/types';
import { msg } from './helpers';

/**
 * Compile-time guard: a field added to these types fails to compile here
 * until it is added to the codec (server/transport/codec.ts) and to the
 * generators below.
 */
const ENCODED_FIELDS: {
  message: Record<keyof Message, true>;
  entry: Record<keyof Entry, true>;
  conf: Record<keyof ConfState, true>;
  snapshot: Record<keyof SnapshotMeta, true>;
} = {
  message: { type: true, from: true, to: true, term: true, logTerm: true, index: true, entries: true, commit: true, reject: true, rejectHint: true, context: true, snapshot: true },
  entry: { term: true, index: true, type: true, data: true },
  conf: { voters: true, learners: true, votersOutgoing: true, learnersNext: true, autoLeave: true },
  snapshot: { index: true, term: true, conf: true },
};

const wireTypes = Object.values(MessageType).filter((v): v is MessageType => typeof v === 'number');
const entryTypes = Object.values(EntryType).filter((v): v is EntryType => typeof v === 'number');

/** Mostly small numbers (the common case), sometimes up to 2^53 - 1. */
const num = fc.oneof(fc.nat(200), fc.nat(), fc.maxSafeNat());
const ids = fc.array(fc.integer({ min: 1, max: 2 ** 40 }), { maxLength: 5 });
const bytes = fc.uint8Array({ maxLength: 300 });

const entry: fc.Arbitrary<Entry> = fc.record({ term: num, index: num, type: fc.constantFrom(...entryTypes), data: bytes });
const conf: fc.Arbitrary<ConfState> = fc.record({
  voters: ids,
  learners: ids,
  votersOutgoing: ids,
  learnersNext: ids,
  autoLeave: fc.boolean(),
});

const message: fc.Arbitrary<Message> = fc.record(
  {
    type: fc.constantFrom(...wireTypes),
    from: num,
    to: num,
    term: num,
    logTerm: num,
    index: num,
    entries: fc.array(entry, { maxLength: 8 }),
    commit: num,
    reject: fc.boolean(),
    rejectHint: num,
    context: bytes,
    snapshot: fc.record({ index: num, term: num, conf }),
  },
  { requiredKeys: ['type', 'from', 'to', 'term', 'logTerm', 'index', 'entries', 'commit', 'reject', 'rejectHint'] },
);

/** Byte fields as plain Uint8Arrays, so decoded Buffers compare equal to generated arrays. */
function normalize(m: Message): Message {
  const out: Message = { ...m, entries: m.entries.map((e) => ({ ...e, data: new Uint8Array(e.data) })) };
  if (m.context !== undefined) out.context = new Uint8Array(m.context);
  return out;
}

describe('transport codec', () => {
  it('round-trips random messages, with the precomputed size exact', () => {
    fc.assert(
      fc.property(message, (m) => {
        const buf = encodeMessage(m);
        expect(buf.length).to.equal(messageSize(m));
        expect(normalize(decodeMessage(buf))).to.deep.equal(normalize(m));
        expect(normalize(decodeMessage(buf, { copy: false }))).to.deep.equal(normalize(m));
      }),
      { numRuns: 500 },
    );
  });

  it('generates every field of Message, Entry, SnapshotMeta and ConfState', () => {
    const sample = fc.sample(message, { numRuns: 200, seed: 1 });
    const seen = new Set(sample.flatMap((m) => Object.keys(m)));
    expect([...seen].sort()).to.deep.equal(Object.keys(ENCODED_FIELDS.message).sort());
    const withSnapshot = sample.find((m) => m.snapshot !== undefined) as Message;
    expect(Object.keys(withSnapshot.snapshot ?? {}).sort()).to.deep.equal(Object.keys(ENCODED_FIELDS.snapshot).sort());
    expect(Object.keys(withSnapshot.snapshot?.conf ?? {}).sort()).to.deep.equal(Object.keys(ENCODED_FIELDS.conf).sort());
    const withEntry = sample.find((m) => m.entries.length > 0) as Message;
    expect(Object.keys(withEntry.entries[0]).sort()).to.deep.equal(Object.keys(ENCODED_FIELDS.entry).sort());
  });

  it('encodes a heartbeat in a few bytes', () => {
    const hb = msg({ type: MessageType.Heartbeat, from: 1, to: 2, term: 5, commit: 100, index: 7 });
    expect(encodeMessage(hb).length).to.equal(10); // type, flags, 7 one-byte numbers, entry count
  });

  it('copies entry data by default so the network buffer can be released', () => {
    const m = msg({ from: 1, to: 2, entries: [{ term: 1, index: 1, type: EntryType.Normal, data: Buffer.from('abc') }] });
    const buf = encodeMessage(m);
    const copied = decodeMessage(buf);
    const viewed = decodeMessage(buf, { copy: false });
    buf.fill(0);
    expect(Buffer.from(copied.entries[0].data).toString()).to.equal('abc');
    expect(Buffer.from(viewed.entries[0].data).toString()).to.not.equal('abc');
  });

  it('throws CodecError for every truncation of a valid message', () => {
    const m = msg({
      type: MessageType.Snap,
      from: 3,
      to: 1,
      term: 300,
      entries: [{ term: 2, index: 9, type: EntryType.ConfChange, data: Uint8Array.of(1, 2, 3) }],
      context: Uint8Array.of(9, 9),
      snapshot: { index: 9, term: 2, conf: { voters: [1, 2, 3], learners: [4], votersOutgoing: [], learnersNext: [], autoLeave: false } },
    });
    const buf = encodeMessage(m);
    for (let n = 0; n < buf.length; n++) {
      expect(() => decodeMessage(buf.subarray(0, n)), `prefix of ${n} bytes`).to.throw(CodecError);
    }
  });

  it('rejects trailing bytes, unknown types and values it cannot encode', () => {
    const buf = encodeMessage(msg({ from: 1, to: 2 }));
    expect(() => decodeMessage(Buffer.concat([buf, Buffer.of(0)]))).to.throw(CodecError, /trailing/);
    const badType = Buffer.from(buf);
    badType[0] = 200;
    expect(() => decodeMessage(badType)).to.throw(CodecError, /message type 200/);
    expect(() => encodeMessage(msg({ from: 1, to: 2, term: -1 }))).to.throw(CodecError, /term/);
    expect(() => encodeMessage(msg({ from: 1, to: 2, index: 2 ** 53 }))).to.throw(CodecError, /index/);
    expect(() => encodeMessage(msg({ from: 1.5, to: 2 }))).to.throw(CodecError, /from/);
  });

  it('skips optional fields it does not know (a newer peer) and reads the ones it knows', () => {
    const m = msg({ type: MessageType.ReadIndex, from: 2, to: 1, context: Uint8Array.of(7, 8) });
    const known = encodeMessage(m);
    // Re-encode with an unknown tag 99 (3 bytes) before the known context field.
    const flagsAndCore = known.subarray(0, known.length - 5); // context field = tag, len, 2 bytes, terminator
    expect(known[1] & 0x02).to.equal(0x02);
    const unknown = Buffer.alloc(8);
    let pos = writeUvarint(unknown, 0, 99);
    pos = writeUvarint(unknown, pos, 3);
    const withUnknown = Buffer.concat([flagsAndCore, unknown.subarray(0, pos), Buffer.of(1, 2, 3), known.subarray(known.length - 5)]);
    const decoded = decodeMessage(withUnknown);
    expect(Array.from(decoded.context ?? [])).to.deep.equal([7, 8]);
    expect(decoded.type).to.equal(MessageType.ReadIndex);
  });
});
