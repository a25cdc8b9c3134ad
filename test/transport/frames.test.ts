import { expect } from 'chai';
import fc from 'fast-check';
import { EntryType, MessageType } from '../../server/raft/types';
import {
  DEFAULT_MAX_FRAME_BYTES,
  FragmentAssembler,
  FrameCode,
  FrameError,
  encodeFrameParts,
  fragmentFrame,
  fragmentParts,
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

  describe('fragments', () => {
    /** A frame of `n` payload bytes with a recognisable pattern. */
    function bigFrame(n: number): Buffer {
      const data = Buffer.alloc(n);
      for (let i = 0; i + 4 <= n; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i);
      return encodeFrame({ type: 'forward', payload: data });
    }

    /** Reads a stream of frames, joining fragments; returns the inner frames' (code, payload). */
    function join(stream: Buffer[], maxFrame: number, maxMessage?: number): Array<{ code: number; payload: Buffer }> {
      const out: Array<{ code: number; payload: Buffer }> = [];
      const asm = new FragmentAssembler(maxMessage);
      const reader = new FrameReader((code, payload) => {
        if (code !== FrameCode.Fragment) return void out.push({ code, payload: Buffer.from(payload) });
        const whole = asm.push(payload);
        if (whole) out.push(whole);
      }, maxFrame);
      for (const c of stream) reader.push(c);
      expect(asm.idle).to.equal(true);
      return out;
    }

    it('leaves a frame within the fragment size whole', () => {
      const f = bigFrame(1000);
      expect(fragmentFrame(f, 1001)).to.deep.equal([f]);
      expect(fragmentFrame(f, 1000)).to.have.length(2);
    });

    it('splits a frame over the receiver\'s frame limit into fragments within it, joined back byte for byte', () => {
      const f = bigFrame(10 * 1024 * 1024 + 3);
      const parts = fragmentFrame(f, 1024 * 1024);
      expect(parts).to.have.length(11);
      for (const p of parts) expect(p.readUInt32BE(0)).to.be.at.most(1024 * 1024 + 8);
      expect(() => join([f], 2 * 1024 * 1024)).to.throw(FrameError, /exceeds the limit/);
      const got = join([Buffer.concat(parts)], 2 * 1024 * 1024);
      expect(got).to.have.length(1);
      expect(got[0].code).to.equal(FrameCode.Forward);
      expect(got[0].payload.equals(f.subarray(5))).to.equal(true);
    });

    it('joins fragments with other frames between them and under any split of the stream', () => {
      fc.assert(
        fc.property(fc.integer({ min: 2, max: 5000 }), fc.integer({ min: 1, max: 700 }), fc.array(fc.nat(), { maxLength: 8 }), (n, size, cuts) => {
          const f = bigFrame(n);
          const parts = fragmentFrame(f, size);
          const ping = encodeFrame({ type: 'ping', seq: 9 });
          // A ping after every fragment (overtaking frames), then the whole stream cut at random points.
          const stream = Buffer.concat(parts.flatMap((p) => [p, ping]));
          const points = [...new Set(cuts.map((c) => c % stream.length))].sort((a, b) => a - b);
          const chunks: Buffer[] = [];
          let at = 0;
          for (const p of [...points, stream.length]) {
            chunks.push(stream.subarray(at, p));
            at = p;
          }
          const got = join(chunks, DEFAULT_MAX_FRAME_BYTES);
          const msgIndex = got.findIndex((g) => g.code === FrameCode.Forward);
          expect(got.filter((g) => g.code === FrameCode.Ping)).to.have.length(parts.length);
          expect(msgIndex).to.equal(parts.length - 1); // complete with its last fragment
          expect(got[msgIndex].payload.equals(f.subarray(5))).to.equal(true);
        }),
        { numRuns: 200 },
      );
    });

    it('sends a raft message\'s large entries from their own memory, split into the same fragments', () => {
      const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
      const small = Buffer.from('small entry');
      const m: Frame = {
        type: 'raft',
        message: msg({
          type: MessageType.App,
          from: 1,
          to: 2,
          term: 3,
          index: 10,
          logTerm: 3,
          commit: 9,
          entries: [
            { term: 3, index: 11, type: EntryType.Normal, data: small },
            { term: 3, index: 12, type: EntryType.Normal, data: big },
            { term: 3, index: 13, type: EntryType.Normal, data: small },
          ],
        }),
      };
      const whole = encodeFrame(m);
      const { parts, length } = encodeFrameParts(m);
      expect(length).to.equal(whole.length);
      expect(Buffer.concat(parts).equals(whole)).to.equal(true);
      expect(parts.some((p) => p.buffer === big.buffer), 'the big entry is a view, not a copy').to.equal(true);
      const frags = fragmentParts(parts, length, 1024 * 1024);
      expect(frags.map((f) => Buffer.concat(f))).to.deep.equal(fragmentFrame(whole, 1024 * 1024));
      const got = join(frags.map((f) => Buffer.concat(f)), 2 * 1024 * 1024);
      expect(plain(decodeFrame(got[0].code, got[0].payload, true))).to.deep.equal(plain(m));
    });

    it('a large snapshot chunk or forwarded payload is framed as a view of its bytes, identical to one buffer', () => {
      const big = Buffer.alloc(300 * 1024);
      for (let i = 0; i < big.length; i += 8) big.writeUInt32LE((i * 2654435761) >>> 0, i);
      const frames: Frame[] = [
        { type: 'snapshot-chunk', index: 2 ** 40, term: 7, seq: 300, last: true, data: big.subarray(5) },
        { type: 'snapshot-chunk', index: 1, term: 1, seq: 0, last: false, data: big },
        { type: 'forward', payload: big.subarray(1) },
        { type: 'forward-reply', payload: big },
      ];
      for (const f of frames) {
        const whole = encodeFrame(f);
        const { parts, length } = encodeFrameParts(f);
        expect(length).to.equal(whole.length);
        expect(Buffer.concat(parts).equals(whole)).to.equal(true);
        expect(parts.some((p) => p.buffer === big.buffer), 'a view, not a copy').to.equal(true);
        const got = join(fragmentParts(parts, length, 64 * 1024).map((x) => Buffer.concat(x)), 1024 * 1024);
        expect(plain(decodeFrame(got[0].code, got[0].payload, true))).to.deep.equal(plain(f));
      }
    });

    it('bounds reassembly: a message announced over the limit is refused before any buffering', () => {
      const parts = fragmentFrame(bigFrame(5000), 1000);
      expect(() => join(parts, 2000, 4000)).to.throw(FrameError, /message of 5001 bytes exceeds the limit of 4000/);
      expect(join(parts, 2000, 5001)).to.have.length(1);
    });

    it('rejects fragments out of order: a continuation first, a new message inside another, an overrun, a nested fragment', () => {
      const parts = fragmentFrame(bigFrame(3000), 1000);
      expect(() => join(parts.slice(1), 2000)).to.throw(FrameError, /continuation without a first/);
      expect(() => join([parts[0], parts[0]], 2000)).to.throw(FrameError, /before the previous one was complete/);
      const extra = Buffer.from(parts[1]);
      expect(() => join([parts[0], parts[1], parts[2], parts[3], extra], 2000)).to.throw(FrameError, /continuation without a first/);
      const longLast = fragmentFrame(bigFrame(3000), 1000);
      const tail = Buffer.concat([longLast[3].subarray(5), Buffer.from('xx')]);
      const overrun = Buffer.concat([Buffer.from([0, 0, 0, 0, FrameCode.Fragment]), tail]);
      overrun.writeUInt32BE(1 + tail.length, 0);
      expect(() => join([longLast[0], longLast[1], longLast[2], overrun], 2000)).to.throw(FrameError, /overrun/);
      const nested = fragmentFrame(Buffer.concat(fragmentFrame(bigFrame(3000), 1000).slice(0, 1)), 200);
      expect(() => join(nested, 2000)).to.throw(FrameError, /nested fragment/);
    });
  });
});
