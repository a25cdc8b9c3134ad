import { expect } from 'chai';
import { CORPUS } from './corpus';
import { DECODERS, bytes, decodeChunks, everyByte, splitAt } from './helpers';
import { encodeRequest } from '../../../protocol/encoder';

/** Several multibulk and inline requests, binary payloads with \r\n inside. */
const PIPELINE = Buffer.concat([
  encodeRequest(['SET', 'key:1', Buffer.from('va\r\nl\0ue\r\n', 'latin1')]),
  bytes('PING\r\n'),
  encodeRequest(['GET', 'key:1']),
  bytes('*0\r\n*-1\r\n'),
  bytes('\r\n'),
  bytes('set "a b" \'c d\' "\\x00\\r\\n"\n'),
  encodeRequest(['MSET', 'k', '', 'k2', Buffer.from([0xff, 13, 10, 0, 13])]),
  encodeRequest(['ECHO', 'x'.repeat(300)]),
  bytes('QUIT\r\n'),
]);
const PIPELINE_COMMANDS = [
  ['SET', 'key:1', 'va\r\nl\0ue\r\n'],
  ['PING'],
  ['GET', 'key:1'],
  ['set', 'a b', 'c d', '\0\r\n'],
  ['MSET', 'k', '', 'k2', '\xff\r\n\0\r'],
  ['ECHO', 'x'.repeat(300)],
  ['QUIT'],
];

for (const [name, make] of DECODERS) {
  describe(`protocol/${name}`, () => {
    it('decodes a pipeline fed whole', () => {
      const out = decodeChunks(make(), [PIPELINE]);
      expect(out).to.deep.equal({ commands: PIPELINE_COMMANDS, error: null, buffered: 0 });
    });

    it('decodes the same pipeline split at every byte boundary', () => {
      for (let i = 0; i <= PIPELINE.length; i++) {
        const out = decodeChunks(make(), splitAt(PIPELINE, i));
        expect(out, `split at ${i}`).to.deep.equal({ commands: PIPELINE_COMMANDS, error: null, buffered: 0 });
      }
    });

    it('decodes the pipeline split at every pair of boundaries (first 120 bytes)', () => {
      for (let i = 0; i <= 120; i++) {
        for (let j = i; j <= 120; j++) {
          const out = decodeChunks(make(), splitAt(PIPELINE, i, j));
          expect(out.commands, `split at ${i},${j}`).to.deep.equal(PIPELINE_COMMANDS);
        }
      }
    });

    it('decodes the pipeline fed one byte at a time', () => {
      expect(decodeChunks(make(), everyByte(PIPELINE))).to.deep.equal({
        commands: PIPELINE_COMMANDS,
        error: null,
        buffered: 0,
      });
    });

    it('delivers each request as soon as its last byte arrives, not before', () => {
      const d = make();
      const seen: string[] = [];
      const req = encodeRequest(['ECHO', 'hello']);
      for (let i = 0; i < req.length - 1; i++) {
        expect(d.feed(req.subarray(i, i + 1), (a) => seen.push(a.join(' ')))).to.equal(null);
        expect(seen, `after byte ${i}`).to.deep.equal([]);
        expect(d.bufferedBytes).to.equal(i + 1);
      }
      d.feed(req.subarray(req.length - 1), (a) => seen.push(a.join(' ')));
      expect(seen).to.deep.equal(['ECHO hello']);
      expect(d.bufferedBytes).to.equal(0);
    });

    it('returns copies that do not alias the fed chunk', () => {
      const chunk = encodeRequest(['SET', 'k', 'value']);
      const out: Buffer[][] = [];
      make().feed(chunk, (a) => out.push(a));
      chunk.fill(0);
      expect(out[0].map(String)).to.deep.equal(['SET', 'k', 'value']);
    });

    it('decodes a 200 KB payload split into 1.5 KB and 1-byte-then-rest chunks', () => {
      const value = Buffer.alloc(200 * 1024);
      for (let i = 0; i < value.length; i++) value[i] = (i * 31) & 0xff;
      const req = Buffer.concat([encodeRequest(['SET', 'big', value]), encodeRequest(['PING'])]);
      const chunks: Buffer[] = [];
      for (let i = 0; i < req.length; i += 1500) chunks.push(req.subarray(i, i + 1500));
      for (const split of [chunks, splitAt(req, 30), splitAt(req, req.length - 20)]) {
        const got: Buffer[][] = [];
        const d = make();
        for (const c of split) expect(d.feed(c, (a) => got.push(a))).to.equal(null);
        expect(got.length).to.equal(2);
        expect(got[0][2].equals(value)).to.equal(true);
        expect(got[1].map(String)).to.deep.equal(['PING']);
        expect(d.bufferedBytes).to.equal(0);
      }
    });

    describe('malformed and partial input (Redis 7 behaviour)', () => {
      for (const c of CORPUS) {
        it(c.name, () => {
          const input = bytes(c.input);
          const pendingAfterCommands = c.waits ? (n: number) => expect(n).to.be.greaterThan(0) : (n: number) => expect(n).to.equal(0);
          const ways: Array<[string, Buffer[]]> = [['whole', [input]], ['byte by byte', everyByte(input)]];
          for (const [how, chunks] of ways) {
            if (how === 'byte by byte' && input.length > 5000) continue;
            const out = decodeChunks(make(), chunks);
            expect(out.commands, how).to.deep.equal(c.commands);
            expect(out.error, how).to.equal(c.error);
            if (c.error === null) pendingAfterCommands(out.buffered);
          }
        });
      }
    });

    it('keeps returning the error after a protocol error and delivers nothing more', () => {
      const d = make();
      const seen: string[][] = [];
      expect(d.feed(bytes('*x\r\n'), (a) => seen.push(a.map(String)))).to.equal('ERR Protocol error: invalid multibulk length');
      expect(d.feed(bytes('PING\r\n'), (a) => seen.push(a.map(String)))).to.equal('ERR Protocol error: invalid multibulk length');
      expect(seen).to.deep.equal([]);
    });

    describe('hostile length prefixes', () => {
      it('rejects *2 then $536870913 before any payload', () => {
        expect(decodeChunks(make(), [bytes('*2\r\n$536870913\r\n')]).error).to.equal('ERR Protocol error: invalid bulk length');
      });

      it('rejects *99999999999999', () => {
        expect(decodeChunks(make(), [bytes('*99999999999999\r\n')]).error).to.equal('ERR Protocol error: invalid multibulk length');
      });

      it('does not allocate from a declared 10 MB length when 10 bytes arrive', () => {
        const decoders = [];
        const before = process.memoryUsage().arrayBuffers;
        for (let i = 0; i < 50; i++) {
          const d = make();
          const header = bytes('*2\r\n$3\r\nSET\r\n$10485760\r\n');
          expect(d.feed(header, () => expect.fail('no command')), 'header').to.equal(null);
          expect(d.feed(bytes('0123456789'), () => expect.fail('no command'))).to.equal(null);
          expect(d.bufferedBytes).to.equal(header.length + 10);
          decoders.push(d);
        }
        // 50 pre-sized payload buffers would be 500 MB.
        expect(process.memoryUsage().arrayBuffers - before).to.be.lessThan(20 * 1024 * 1024);
      });

      it('accepts *2147483647 and stays small while few arguments arrive', () => {
        const d = make();
        expect(d.feed(bytes('*2147483647\r\n$1\r\na\r\n'), () => expect.fail('no command'))).to.equal(null);
        expect(d.bufferedBytes).to.equal(20);
      });
    });

    describe('limits', () => {
      it('applies a configured proto-max-bulk-len', () => {
        const out = decodeChunks(make({ maxBulkLen: 5 }), [bytes('*1\r\n$5\r\nhello\r\n*1\r\n$6\r\n')]);
        expect(out.commands).to.deep.equal([['hello']]);
        expect(out.error).to.equal('ERR Protocol error: invalid bulk length');
      });

      it('applies a configured multibulk limit', () => {
        expect(decodeChunks(make({ maxMultibulkLen: 2 }), [bytes('*3\r\n')]).error).to.equal(
          'ERR Protocol error: invalid multibulk length',
        );
      });

      it('applies a configured inline limit to unterminated lines', () => {
        const d = make({ maxInlineLen: 8 });
        expect(decodeChunks(d, [bytes('PING PIN'), bytes('G')]).error).to.equal('ERR Protocol error: too big inline request');
        expect(decodeChunks(make({ maxInlineLen: 8 }), [bytes('*1\r\n$'), bytes('12345678')]).error).to.equal(
          'ERR Protocol error: too big bulk count string',
        );
        expect(decodeChunks(make({ maxInlineLen: 8 }), [bytes('*1234567'), bytes('89')]).error).to.equal(
          'ERR Protocol error: too big mbulk count string',
        );
      });

      it('applies the unauthenticated limits while authRequired is set', () => {
        const strict = (): ReturnType<typeof make> => {
          const d = make();
          d.authRequired = true;
          return d;
        };
        expect(decodeChunks(strict(), [bytes('*11\r\n')]).error).to.equal('ERR Protocol error: unauthenticated multibulk length');
        expect(decodeChunks(strict(), [bytes('*10\r\n')]).error).to.equal(null);
        expect(decodeChunks(strict(), [bytes('*1\r\n$16385\r\n')]).error).to.equal('ERR Protocol error: unauthenticated bulk length');
        expect(decodeChunks(strict(), [bytes('*1\r\n$16384\r\n')]).error).to.equal(null);
        expect(decodeChunks(strict(), [bytes('*3000000000\r\n')]).error).to.equal('ERR Protocol error: invalid multibulk length');
        const d = strict();
        d.authRequired = false;
        expect(decodeChunks(d, [bytes('*11\r\n')]).error).to.equal(null);
      });
    });

    it('treats NUL as an ordinary byte in inline commands (Redis would stall on it)', () => {
      expect(decodeChunks(make(), [bytes('ECHO a\0b\r\n')]).commands).to.deep.equal([['ECHO', 'a\0b']]);
    });
  });
}
