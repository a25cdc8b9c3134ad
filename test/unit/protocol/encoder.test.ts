import { expect } from 'chai';
import { encodeReply, encodeRequest, ReplyWriter, type Protocol } from '../../../protocol/encoder';
import { formatDouble } from '../../../protocol/double';
import {
  BoolReply,
  DoubleReply,
  ErrorReply,
  MapReply,
  NullArray,
  OK,
  PushReply,
  RawReply,
  SetReply,
  SimpleString,
  VerbatimReply,
  type Reply,
} from '../../../protocol/reply';

/** [description, reply, RESP2 bytes, RESP3 bytes] as latin1 strings (one char per byte). */
const GOLDEN: Array<[string, Reply, string, string]> = [
  ['bulk Buffer', Buffer.from('hello'), '$5\r\nhello\r\n', '$5\r\nhello\r\n'],
  ['empty bulk', Buffer.alloc(0), '$0\r\n\r\n', '$0\r\n\r\n'],
  ['binary bulk', Buffer.from([0, 13, 10, 255]), '$4\r\n\x00\r\n\xff\r\n', '$4\r\n\x00\r\n\xff\r\n'],
  ['string as UTF-8 bulk', 'héllo', '$6\r\nh\xc3\xa9llo\r\n', '$6\r\nh\xc3\xa9llo\r\n'],
  ['long ASCII string', 'x'.repeat(40), `$40\r\n${'x'.repeat(40)}\r\n`, `$40\r\n${'x'.repeat(40)}\r\n`],
  ['integer 0', 0, ':0\r\n', ':0\r\n'],
  ['integer', 1234567890, ':1234567890\r\n', ':1234567890\r\n'],
  ['negative integer', -42, ':-42\r\n', ':-42\r\n'],
  ['largest safe integer', Number.MAX_SAFE_INTEGER, ':9007199254740991\r\n', ':9007199254740991\r\n'],
  ['-0 is 0', -0, ':0\r\n', ':0\r\n'],
  ['bigint', 9223372036854775807n, ':9223372036854775807\r\n', ':9223372036854775807\r\n'],
  ['negative bigint', -9223372036854775808n, ':-9223372036854775808\r\n', ':-9223372036854775808\r\n'],
  ['null bulk', null, '$-1\r\n', '_\r\n'],
  ['empty array', [], '*0\r\n', '*0\r\n'],
  ['nested array', [1, 'a', null, [Buffer.from('b')]], '*4\r\n:1\r\n$1\r\na\r\n$-1\r\n*1\r\n$1\r\nb\r\n', '*4\r\n:1\r\n$1\r\na\r\n_\r\n*1\r\n$1\r\nb\r\n'],
  ['simple string', OK, '+OK\r\n', '+OK\r\n'],
  ['long simple string', new SimpleString('s'.repeat(50)), `+${'s'.repeat(50)}\r\n`, `+${'s'.repeat(50)}\r\n`],
  ['error', new ErrorReply('ERR syntax error'), '-ERR syntax error\r\n', '-ERR syntax error\r\n'],
  ['error with newlines', new ErrorReply('ERR bad\r\nthing\nhere'), '-ERR bad  thing here\r\n', '-ERR bad  thing here\r\n'],
  ['status with newline', new SimpleString('a\nb'), '+a b\r\n', '+a b\r\n'],
  [
    'error built from argv bytes with latin1 keeps the bytes',
    new ErrorReply(`ERR unknown command '${Buffer.from('é', 'utf8').toString('latin1')}'`),
    "-ERR unknown command '\xc3\xa9'\r\n",
    "-ERR unknown command '\xc3\xa9'\r\n",
  ],
  ['error beyond latin1 is UTF-8', new ErrorReply('ERR €'), '-ERR \xe2\x82\xac\r\n', '-ERR \xe2\x82\xac\r\n'],
  ['null array', NullArray.instance, '*-1\r\n', '_\r\n'],
  [
    'map',
    new MapReply([['a', 1], [Buffer.from('b'), [2]]]),
    '*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n*1\r\n:2\r\n',
    '%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n*1\r\n:2\r\n',
  ],
  ['empty map', new MapReply([]), '*0\r\n', '%0\r\n'],
  ['set', new SetReply(['a', 'b']), '*2\r\n$1\r\na\r\n$1\r\nb\r\n', '~2\r\n$1\r\na\r\n$1\r\nb\r\n'],
  ['double', new DoubleReply(3.14), '$4\r\n3.14\r\n', ',3.14\r\n'],
  ['integral double', new DoubleReply(10), '$2\r\n10\r\n', ',10\r\n'],
  ['double inf', new DoubleReply(Infinity), '$3\r\ninf\r\n', ',inf\r\n'],
  ['double -inf', new DoubleReply(-Infinity), '$4\r\n-inf\r\n', ',-inf\r\n'],
  ['double nan', new DoubleReply(NaN), '$3\r\nnan\r\n', ',nan\r\n'],
  ['non-integer number falls back to a double', 1.5, '$3\r\n1.5\r\n', ',1.5\r\n'],
  ['boolean true', new BoolReply(true), ':1\r\n', '#t\r\n'],
  ['boolean false', new BoolReply(false), ':0\r\n', '#f\r\n'],
  ['verbatim', new VerbatimReply('txt', 'Some string'), '$11\r\nSome string\r\n', '=15\r\ntxt:Some string\r\n'],
  ['verbatim UTF-8', new VerbatimReply('mkd', 'é'), '$2\r\n\xc3\xa9\r\n', '=6\r\nmkd:\xc3\xa9\r\n'],
  [
    'push',
    new PushReply([Buffer.from('message'), 'ch', 'hi']),
    '*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n',
    '>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n',
  ],
  ['raw bytes pass through', new RawReply(Buffer.from('+PONG\r\n:1\r\n')), '+PONG\r\n:1\r\n', '+PONG\r\n:1\r\n'],
];

describe('protocol/encoder', () => {
  describe('golden replies', () => {
    for (const [name, reply, resp2, resp3] of GOLDEN) {
      it(name, () => {
        expect(encodeReply(reply, 2).toString('latin1'), 'RESP2').to.equal(resp2);
        expect(encodeReply(reply, 3).toString('latin1'), 'RESP3').to.equal(resp3);
      });
    }
  });

  it('encodes integers of every digit count', () => {
    for (let n = 1, d = 1; d <= 16; n *= 10, d++) {
      for (const v of [n - 1, n, n + 7, -n]) {
        expect(encodeReply(v, 2).toString()).to.equal(`:${v}\r\n`);
      }
    }
  });

  it('encodes requests as arrays of bulk strings', () => {
    expect(encodeRequest(['SET', Buffer.from('k'), 'vé']).toString('latin1')).to.equal('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nv\xc3\xa9\r\n');
  });

  describe('formatDouble (Redis 7.2 d2string + fpconv_dtoa layout)', () => {
    const cases: Array<[number, string]> = [
      [0, '0'],
      [-0, '-0'],
      [1, '1'],
      [-2.5, '-2.5'],
      [0.1, '0.1'],
      [1 / 3, '0.3333333333333333'],
      [100.25, '100.25'],
      [1234.5, '1234.5'],
      [0.000001, '0.000001'],
      [1e-7, '1e-7'],
      [1.5e-7, '1.5e-7'],
      [12345.678901234, '1.2345678901234e+4'],
      [1e15, '1000000000000000'],
      [2 ** 62, '4611686018427387904'],
      [-(2 ** 62), '-4611686018427387904'],
      [2 ** 63, '9223372036854776000'],
      [1.2345678901234568e20, '123456789012345680000'],
      [1e19, '1e+19'],
      [1e300, '1e+300'],
      [1e105, '1e+105'],
      [Number.MAX_VALUE, '1.7976931348623157e+308'],
      [Number.MIN_VALUE, '5e-324'],
      [Infinity, 'inf'],
      [-Infinity, '-inf'],
      [NaN, 'nan'],
    ];
    for (const [value, text] of cases) {
      it(`${value} -> ${text}`, () => {
        expect(formatDouble(value)).to.equal(text);
      });
    }

    it('always round-trips', () => {
      for (let i = 0; i < 2000; i++) {
        const v = (Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 40 - 20);
        expect(Number(formatDouble(v)), String(v)).to.equal(v);
      }
    });
  });

  describe('ReplyWriter', () => {
    const protos: Protocol[] = [2, 3];

    it('accumulates replies and take() returns them once', () => {
      for (const proto of protos) {
        const w = new ReplyWriter();
        expect(w.take().length).to.equal(0);
        w.write(OK, proto);
        w.write(7, proto);
        w.write(Buffer.from('v'), proto);
        expect(w.pendingBytes).to.equal(5 + 4 + 7);
        expect(w.take().toString()).to.equal('+OK\r\n:7\r\n$1\r\nv\r\n');
        expect(w.pendingBytes).to.equal(0);
        expect(w.take().length).to.equal(0);
      }
    });

    it('never changes a Buffer it has handed out', () => {
      for (const size of [10, 100 * 1024]) {
        const w = new ReplyWriter();
        w.write(Buffer.alloc(size, 'a'), 2);
        const first = w.take();
        const copy = Buffer.from(first);
        for (let i = 0; i < 50; i++) w.write(Buffer.alloc(size, 'b'), 2);
        expect(first.equals(copy), `size ${size}`).to.equal(true);
        expect(w.take().length).to.equal(50 * (size + `$${size}\r\n\r\n`.length));
      }
    });

    it('grows for large replies and many small ones', () => {
      const w = new ReplyWriter();
      const big = Buffer.alloc(1024 * 1024, 'z');
      w.write(big, 2);
      for (let i = 0; i < 10000; i++) w.write(i, 2);
      const out = w.take();
      expect(out.subarray(0, 12).toString()).to.equal('$1048576\r\nzz');
      expect(out.subarray(out.length - 7).toString()).to.equal(':9999\r\n');
    });

    it('leaves no half reply behind when a reply cannot be encoded', () => {
      const w = new ReplyWriter();
      w.write(OK, 2);
      const bad = [1, { not: 'a reply' }] as unknown as Reply;
      expect(() => w.write(bad, 2)).to.throw(TypeError);
      w.write(2, 2);
      expect(w.take().toString()).to.equal('+OK\r\n:2\r\n');
    });
  });
});
