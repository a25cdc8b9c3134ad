import { expect } from 'chai';
import fc from 'fast-check';
import { EntryType, MessageType } from '../../server/raft/types';
import {
  DEFAULT_MAX_FRAME_BYTES,
  FrameError,
  FrameReader,
  decodeFrame,
  encodeFrame,
  type Frame,
} from '../../server/transport/frames';
import { msg } from './helpers';

const frames: Frame[] = [
  {
    type: 'raft',
    message: msg({
      type: MessageType.App,
      from: 1,
      to: 2,
      term: 3,
      index: 10,
      logTerm: 3,
      commit: 9,
      entries: [{ term: 3, index: 11, type: EntryType.Normal, data: Buffer.from('x'.repeat(100)) }],
    }),
  },
  { type: 'snapshot-chunk', index: 1000, term: 4, seq: 7, last: true, data: Buffer.from('chunk-bytes') },
  { type: 'forward', payload: Buffer.from('SET k v') },
  { type: 'forward-reply', payload: Buffer.alloc(0) },
  { type: 'ping', seq: 123456789 },
  { type: 'pong', seq: 0 },
];

/** Decoded frames with byte fields as plain arrays, for deep comparison. */
function plain(f: Frame): unknown {
  return JSON.parse(JSON.stringify(f, (_k, v: unknown) => (v instanceof Uint8Array ? Array.from(v) : v)));
}

function readAll(chunks: Buffer[], max = DEFAULT_MAX_FRAME_BYTES): Frame[] {
  const out: Frame[] = [];
  const reader = new FrameReader((code, payload) => out.push(decodeFrame(code, payload)), max);
  for (const c of chunks) reader.push(c);
  expect(reader.idle).to.equal(true);
  return out;
}

describe('transport frames', () => {
  const stream = Buffer.concat(frames.map(encodeFrame));
  const expected = frames.map(plain);

  it('round-trips every frame type', () => {
    expect(readAll([stream]).map(plain)).to.deep.equal(expected);
  });

  it('reassembles the stream split at every single point, and at every pair of points', () => {
    for (let i = 0; i <= stream.length; i++) {
      expect(readAll([stream.subarray(0, i), stream.subarray(i)]).map(plain), `split at ${i}`).to.deep.equal(expected);
    }
    for (let i = 0; i <= stream.length; i += 3) {
      for (let j = i; j <= stream.length; j += 5) {
        const parts = [stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j)];
        expect(readAll(parts).map(plain), `split at ${i}, ${j}`).to.deep.equal(expected);
      }
    }
  });

  it('reassembles one byte at a time and under random splits', () => {
    const bytes = Array.from(stream, (_b, i) => stream.subarray(i, i + 1));
    expect(readAll(bytes).map(plain)).to.deep.equal(expected);
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat(stream.length), { maxLength: 20 }), (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), stream.length];
        const parts = points.slice(1).map((p, k) => stream.subarray(points[k], p));
        expect(readAll(parts).map(plain)).to.deep.equal(expected);
      }),
    );
  });

  it('rejects an oversized frame from its header, before buffering the payload', () => {
    const reader = new FrameReader(() => expect.fail('no frame expected'), 1024);
    const header = Buffer.alloc(5);
    header.writeUInt32BE(1025, 0);
    header[4] = 0x01;
    expect(() => reader.push(header)).to.throw(FrameError, /1025 bytes exceeds the limit of 1024/);
    const exact = new FrameReader(() => undefined, 1024);
    header.writeUInt32BE(1024, 0);
    expect(() => exact.push(header)).to.not.throw();
  });

  it('rejects a zero length and an unknown frame type', () => {
    expect(() => new FrameReader(() => undefined).push(Buffer.alloc(5))).to.throw(FrameError, /length 0/);
    expect(() => decodeFrame(0x7f, Buffer.alloc(0))).to.throw(FrameError, /unknown frame type 0x7f/);
  });
});
