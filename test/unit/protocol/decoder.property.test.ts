import { expect } from 'chai';
import fc from 'fast-check';
import { DECODERS, decodeChunks, splitAt, type Outcome } from './helpers';
import { RequestDecoder } from '../../../protocol/decoder';
import { RedisParserDecoder } from '../../../protocol/decoder-redis-parser';
import { encodeRequest } from '../../../protocol/encoder';

const KNOWN_ERRORS = new Set([
  'ERR Protocol error: invalid multibulk length',
  'ERR Protocol error: invalid bulk length',
  'ERR Protocol error: too big mbulk count string',
  'ERR Protocol error: too big bulk count string',
  'ERR Protocol error: too big inline request',
  'ERR Protocol error: unbalanced quotes in request',
]);

function isKnownError(e: string): boolean {
  return KNOWN_ERRORS.has(e) || /^ERR Protocol error: expected '\$', got '[\s\S]'$/.test(e);
}

/** Byte strings biased towards protocol syntax, so the fuzzing reaches deep states. */
const TOKENS = ['*', '$', '\r', '\n', '\r\n', '0', '1', '2', '3', '9', '-', ' ', '"', "'", '\\', 'x', 'A', 'PING', '*1\r\n', '$3\r\n', '\\x4', '\0'];
const protocolish = fc
  .array(
    fc.oneof(
      fc.constantFrom(...TOKENS).map((t) => Buffer.from(t, 'latin1')),
      fc.uint8Array({ maxLength: 4 }).map((a) => Buffer.from(a)),
      fc.array(fc.uint8Array({ maxLength: 6 }), { minLength: 1, maxLength: 4 }).map((args) => encodeRequest(args.map((a) => Buffer.from(a)))),
    ),
    { maxLength: 24 },
  )
  .map((parts) => Buffer.concat(parts));

const arbitraryBytes = fc.oneof(protocolish, fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)));

/** Sorted split points within a buffer of length n. */
function cuts(n: number): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 0, max: n }), { maxLength: 6 }).map((p) => [...p].sort((a, b) => a - b));
}

const RUNS = 400;

for (const [name, make] of DECODERS) {
  describe(`protocol/${name} properties`, () => {
    it('never throws on arbitrary bytes: yields commands, then an error or a wait', () => {
      fc.assert(
        fc.property(arbitraryBytes, (input) => {
          const out = decodeChunks(make(), [input]);
          if (out.error !== null) expect(isKnownError(out.error), out.error).to.equal(true);
          else expect(out.buffered).to.be.within(0, input.length);
          for (const argv of out.commands) expect(argv.length).to.be.greaterThan(0);
        }),
        { numRuns: RUNS },
      );
    });

    it('gives the same outcome however the bytes are split', () => {
      fc.assert(
        fc.property(
          arbitraryBytes.chain((input) => fc.tuple(fc.constant(input), cuts(input.length))),
          ([input, points]) => {
            const whole = decodeChunks(make(), [input]);
            const split = decodeChunks(make(), splitAt(input, ...points));
            expect(split.commands).to.deep.equal(whole.commands);
            expect(split.error).to.equal(whole.error);
            if (whole.error === null) expect(split.buffered).to.equal(whole.buffered);
          },
        ),
        { numRuns: RUNS },
      );
    });

    it('round-trips requests encoded as arrays of bulk strings', () => {
      const request = fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 6 });
      fc.assert(
        fc.property(
          fc.array(request, { minLength: 1, maxLength: 8 }).chain((reqs) => {
            const bytes = Buffer.concat(reqs.map((r) => encodeRequest(r.map((a) => Buffer.from(a)))));
            return fc.tuple(fc.constant(reqs), fc.constant(bytes), cuts(bytes.length));
          }),
          ([reqs, bytes, points]) => {
            const out = decodeChunks(make(), splitAt(bytes, ...points));
            const want: Outcome = {
              commands: reqs.map((r) => r.map((a) => Buffer.from(a).toString('latin1'))),
              error: null,
              buffered: 0,
            };
            expect(out).to.deep.equal(want);
          },
        ),
        { numRuns: RUNS },
      );
    });
  });
}

describe('protocol decoders agree with each other', () => {
  it('RequestDecoder and RedisParserDecoder give the same outcome on arbitrary bytes', () => {
    fc.assert(
      fc.property(
        arbitraryBytes.chain((input) => fc.tuple(fc.constant(input), cuts(input.length))),
        ([input, points]) => {
          const a = decodeChunks(new RequestDecoder(), splitAt(input, ...points));
          const b = decodeChunks(new RedisParserDecoder(), splitAt(input, ...points));
          expect(b.commands).to.deep.equal(a.commands);
          expect(b.error).to.equal(a.error);
          if (a.error === null) expect(b.buffered).to.equal(a.buffered);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
