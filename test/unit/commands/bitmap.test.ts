import { expect } from 'chai';
import { ErrorReply, MapReply, SimpleString, type Reply } from '../../../protocol/reply';
import type { Value } from '../../../server/keyspace';
import { lcsReply } from '../../../server/commands/lcs';
import { err, Harness } from './helpers';
import { TRANSCRIPT, type Expected } from './bitmap-transcript';

const WRONGTYPE = err('WRONGTYPE Operation against a key holding the wrong kind of value');
const SYNTAX = err('ERR syntax error');
const NOT_INT = err('ERR value is not an integer or out of range');
const BAD_OFFSET = err('ERR bit offset is not an integer or out of range');
const BAD_BIT = err('ERR bit is not an integer or out of range');
const BAD_TYPE = err('ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.');

/** A key of another type, to exercise WRONGTYPE paths without depending on the list module. */
function putList(h: Harness, key: string): void {
  h.ks.dbs[h.db].set(key, { type: 'list', value: Buffer.alloc(0) } as unknown as Value, ++h.index);
}

/** Replies in the transcript's form: integers as decimal strings, maps flattened (RESP2). */
function asExpected(r: Reply): Expected {
  if (r instanceof ErrorReply) return { err: r.message };
  if (r instanceof SimpleString) return r.value;
  if (r instanceof MapReply) return r.entries.flat().map(asExpected);
  if (Buffer.isBuffer(r)) return r.toString('latin1');
  if (Array.isArray(r)) return r.map(asExpected);
  if (typeof r === 'number' || typeof r === 'bigint') return String(r);
  if (r === null) return null;
  throw new Error(`unexpected reply ${String(r)}`);
}

const bin = (...bytes: number[]): Buffer => Buffer.from(bytes);

describe('bitmap commands', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });

  it('replays 600 random commands with the replies redis-server 7.0.15 gave', () => {
    putList(h, 'l');
    h.run('set', 's1', 'ohmytext');
    h.run('set', 's2', 'mynewtext');
    TRANSCRIPT.forEach(([args, expected], i) => {
      const reply = h.raw(...args.map((a) => Buffer.from(a, 'latin1')));
      expect(asExpected(reply), `#${i}: ${args.join(' ')}`).to.deep.equal(expected);
    });
  });

  describe('SETBIT / GETBIT', () => {
    it('sets bits MSB first, grows with zeros, answers the old bit', () => {
      expect(h.run('setbit', 'k', 7, 1)).to.equal(0);
      expect(h.run('get', 'k')).to.equal('\x01');
      expect(h.run('setbit', 'k', 7, 1)).to.equal(1);
      expect(h.run('setbit', 'k', 0, 1)).to.equal(0);
      expect(h.run('setbit', 'k', 23, 1)).to.equal(0);
      expect(h.run('get', 'k')).to.equal('\x81\x00\x01');
      expect(h.run('setbit', 'k', 0, 0)).to.equal(1);
      expect(h.run('getbit', 'k', 0)).to.equal(0);
      expect(h.run('getbit', 'k', 7)).to.equal(1);
      expect(h.run('getbit', 'k', 1000)).to.equal(0);
      expect(h.run('getbit', 'missing', 3)).to.equal(0);
    });

    it('checks offset, then bit, before the type (as Redis)', () => {
      putList(h, 'l');
      expect(h.run('setbit', 'l', 4294967296, 1)).to.deep.equal(BAD_OFFSET);
      expect(h.run('setbit', 'l', -1, 1)).to.deep.equal(BAD_OFFSET);
      expect(h.run('setbit', 'l', 'x', 1)).to.deep.equal(BAD_OFFSET);
      expect(h.run('setbit', 'l', 1, 2)).to.deep.equal(BAD_BIT);
      expect(h.run('setbit', 'l', 1, 'x')).to.deep.equal(BAD_BIT);
      expect(h.run('setbit', 'l', 1, 1)).to.deep.equal(WRONGTYPE);
      expect(h.run('getbit', 'l', 'x')).to.deep.equal(BAD_OFFSET);
      expect(h.run('getbit', 'l', 4294967296)).to.deep.equal(BAD_OFFSET);
      expect(h.run('getbit', 'l', 1)).to.deep.equal(WRONGTYPE);
      expect(h.run('setbit', 'k', 1)).to.deep.equal(err("ERR wrong number of arguments for 'setbit' command"));
    });

    it('never modifies stored bytes in place (earlier replies stay valid)', () => {
      h.run('set', 'k', 'abc');
      const before = h.raw('get', 'k') as Buffer;
      h.run('setbit', 'k', 7, 0);
      h.run('bitfield', 'k', 'set', 'u8', 8, 0);
      expect(before.toString()).to.equal('abc');
      expect(h.run('get', 'k')).to.equal('`\x00c');
    });

    it('keeps the TTL of an existing key', () => {
      h.run('set', 'k', 'a', 'px', 100000);
      h.run('setbit', 'k', 100, 1);
      expect(h.run('pttl', 'k')).to.equal(100000);
    });
  });

  describe('BITCOUNT', () => {
    it('counts bytes or bits ranges with negative indexes', () => {
      h.run('set', 'k', 'foobar');
      expect(h.run('bitcount', 'k')).to.equal(26);
      expect(h.run('bitcount', 'k', 0, 0)).to.equal(4);
      expect(h.run('bitcount', 'k', 1, 1)).to.equal(6);
      expect(h.run('bitcount', 'k', 1, 1, 'BYTE')).to.equal(6);
      expect(h.run('bitcount', 'k', 5, 30, 'bit')).to.equal(17);
      expect(h.run('bitcount', 'k', -2, -1)).to.equal(7);
      expect(h.run('bitcount', 'k', -1, -2)).to.equal(0);
      expect(h.run('bitcount', 'k', 100, 200)).to.equal(0);
    });

    it('looks the key up before parsing the range', () => {
      putList(h, 'l');
      h.run('set', 'k', 'x');
      expect(h.run('bitcount', 'missing', 'a', 'b', 'c')).to.equal(0);
      expect(h.run('bitcount', 'l', 'a')).to.deep.equal(WRONGTYPE);
      expect(h.run('bitcount', 'k', 1)).to.deep.equal(SYNTAX);
      expect(h.run('bitcount', 'k', 'a', 1)).to.deep.equal(NOT_INT);
      expect(h.run('bitcount', 'k', 0, 1, 'bits')).to.deep.equal(SYNTAX);
      // An empty negative range answers 0 before BIT|BYTE is checked.
      expect(h.run('bitcount', 'k', -1, -2, 'bits')).to.equal(0);
    });
  });

  describe('BITPOS', () => {
    it('finds set and clear bits, with Redis rules for the end of the range', () => {
      h.raw('set', 'k', bin(0xff, 0xf0, 0x00));
      expect(h.run('bitpos', 'k', 0)).to.equal(12);
      expect(h.run('bitpos', 'k', 1, 2)).to.equal(-1);
      expect(h.run('bitpos', 'k', 1, 1)).to.equal(8);
      expect(h.run('bitpos', 'k', 1, 7, 15, 'bit')).to.equal(7);
      expect(h.run('bitpos', 'k', 0, 7, 15, 'bit')).to.equal(12);
      h.raw('set', 'ones', bin(0xff, 0xff));
      expect(h.run('bitpos', 'ones', 0)).to.equal(16); // past the end: the string continues with zeros
      expect(h.run('bitpos', 'ones', 0, 0)).to.equal(16);
      expect(h.run('bitpos', 'ones', 0, 0, -1)).to.equal(-1); // an explicit end does not
      expect(h.run('bitpos', 'ones', 0, 3, 9, 'BIT')).to.equal(-1);
      expect(h.run('bitpos', 'missing', 0)).to.equal(0);
      expect(h.run('bitpos', 'missing', 1, 'junk', 'junk')).to.equal(-1);
    });

    it('errors in Redis order', () => {
      putList(h, 'l');
      h.run('set', 'k', 'x');
      expect(h.run('bitpos', 'l', 2)).to.deep.equal(err('ERR The bit argument must be 1 or 0.'));
      expect(h.run('bitpos', 'l', 'x')).to.deep.equal(NOT_INT);
      expect(h.run('bitpos', 'l', 1)).to.deep.equal(WRONGTYPE);
      expect(h.run('bitpos', 'k', 1, 'a')).to.deep.equal(NOT_INT);
      expect(h.run('bitpos', 'k', 1, 0, -1, 'x')).to.deep.equal(SYNTAX);
      expect(h.run('bitpos', 'k', 0, 0, -1, 'bit', 1)).to.deep.equal(SYNTAX);
    });
  });

  describe('BITOP', () => {
    it('AND OR XOR NOT with zero padding, the length as reply', () => {
      h.raw('set', 'a', bin(0xf0, 0x0f, 0xaa));
      h.raw('set', 'b', bin(0xff, 0x01));
      expect(h.run('bitop', 'and', 'd', 'a', 'b')).to.equal(3);
      expect(h.run('get', 'd')).to.equal('\xf0\x01\x00');
      expect(h.run('bitop', 'OR', 'd', 'a', 'b', 'missing')).to.equal(3);
      expect(h.run('get', 'd')).to.equal('\xff\x0f\xaa');
      expect(h.run('bitop', 'xor', 'd', 'a', 'b')).to.equal(3);
      expect(h.run('get', 'd')).to.equal('\x0f\x0e\xaa');
      expect(h.run('bitop', 'not', 'd', 'b')).to.equal(2);
      expect(h.run('get', 'd')).to.equal('\x00\xfe');
      expect(h.run('bitop', 'and', 'a', 'a', 'missing')).to.equal(3);
      expect(h.run('get', 'a')).to.equal('\x00\x00\x00');
    });

    it('replaces the destination (TTL cleared) or deletes it when every source is empty', () => {
      h.run('set', 'd', 'old', 'px', 100000);
      h.run('set', 'a', 'x');
      h.run('bitop', 'or', 'd', 'a');
      expect(h.run('pttl', 'd')).to.equal(-1);
      putList(h, 'l');
      expect(h.run('bitop', 'or', 'l', 'missing')).to.equal(0);
      expect(h.run('exists', 'l')).to.equal(0);
    });

    it('errors', () => {
      putList(h, 'l');
      expect(h.run('bitop', 'nand', 'd', 'a')).to.deep.equal(SYNTAX);
      expect(h.run('bitop', 'not', 'd', 'a', 'b')).to.deep.equal(err('ERR BITOP NOT must be called with a single source key.'));
      expect(h.run('bitop', 'and', 'd', 'missing', 'l')).to.deep.equal(WRONGTYPE);
    });
  });

  describe('BITFIELD', () => {
    it('GET SET INCRBY with signed and unsigned types and # offsets', () => {
      expect(h.run('bitfield', 'k', 'set', 'i8', 0, -100, 'get', 'i8', 0, 'get', 'u8', 0, 'incrby', 'u4', '#1', 3)).to.deep.equal([
        0, -100, 156, 15,
      ]);
      expect(h.run('get', 'k')).to.equal('\x9f');
      expect(h.run('bitfield', 'k', 'set', 'i64', 8, '-9223372036854775808', 'get', 'i64', 8, 'get', 'u63', 8)).to.deep.equal([
        0,
        -9223372036854775808n,
        4611686018427387904n,
      ]);
      expect(h.run('bitfield', 'missing')).to.deep.equal([]);
      expect(h.run('exists', 'missing')).to.equal(0);
    });

    it('OVERFLOW WRAP / SAT / FAIL, FAIL still growing the string', () => {
      expect(h.run('bitfield', 'k', 'incrby', 'u2', 0, 5, 'overflow', 'sat', 'incrby', 'u2', 0, 5, 'overflow', 'fail', 'incrby', 'u2', 0, 1)).to.deep.equal([
        1, 3, null,
      ]);
      expect(h.run('bitfield', 'k', 'overflow', 'sat', 'incrby', 'i8', 8, -200, 'overflow', 'wrap', 'incrby', 'i8', 8, -1)).to.deep.equal([-128, 127]);
      expect(h.run('bitfield', 'n', 'overflow', 'fail', 'incrby', 'u2', 100, 5)).to.deep.equal([null]);
      expect(h.run('strlen', 'n')).to.equal(13);
      // SET of an int64 that does not fit: Redis's 64-bit arithmetic saturates INT64_MIN to the maximum.
      expect(h.run('bitfield', 's', 'overflow', 'sat', 'set', 'i8', 0, '-9223372036854775808', 'get', 'i8', 0)).to.deep.equal([0, 127]);
      expect(h.run('bitfield', 's', 'overflow', 'sat', 'set', 'u8', 0, -1, 'get', 'u8', 0)).to.deep.equal([127, 255]);
    });

    it('parses every operation before touching the key, with Redis errors', () => {
      putList(h, 'l');
      expect(h.run('bitfield', 'l', 'get', 'u64', 0)).to.deep.equal(BAD_TYPE);
      expect(h.run('bitfield', 'l', 'get', 'i65', 0)).to.deep.equal(BAD_TYPE);
      expect(h.run('bitfield', 'l', 'get', 'i08', 0)).to.deep.equal(BAD_TYPE);
      expect(h.run('bitfield', 'l', 'get', 'I8', 0)).to.deep.equal(BAD_TYPE);
      expect(h.run('bitfield', 'l', 'get', 'i8', '#-1')).to.deep.equal(BAD_OFFSET);
      expect(h.run('bitfield', 'l', 'get', 'i8', '#536870912')).to.deep.equal(BAD_OFFSET);
      expect(h.run('bitfield', 'l', 'overflow', 'foo')).to.deep.equal(err('ERR Invalid OVERFLOW type specified'));
      expect(h.run('bitfield', 'l', 'overflow')).to.deep.equal(SYNTAX);
      expect(h.run('bitfield', 'l', 'set', 'i8', 0)).to.deep.equal(SYNTAX);
      expect(h.run('bitfield', 'l', 'set', 'i8', 0, 'x')).to.deep.equal(NOT_INT);
      expect(h.run('bitfield', 'l', 'get', 'i8', 0)).to.deep.equal(WRONGTYPE);
      // '#N' multiplies as C int64 does: 2^61 * 8 wraps to offset 0.
      h.run('set', 'k', 'A');
      expect(h.run('bitfield', 'k', 'get', 'u8', '#2305843009213693952')).to.deep.equal([65]);
    });

    it('BITFIELD_RO accepts GET only', () => {
      h.run('set', 'k', 'A');
      putList(h, 'l');
      expect(h.run('bitfield_ro', 'k', 'get', 'u8', 0, 'get', 'i4', 4)).to.deep.equal([65, 1]);
      expect(h.run('bitfield_ro', 'k')).to.deep.equal([]);
      expect(h.run('bitfield_ro', 'k', 'set', 'u8', 0, 1)).to.deep.equal(err('ERR BITFIELD_RO only supports the GET subcommand'));
      expect(h.run('bitfield_ro', 'k', 'get', 'u8', 0, 'incrby', 'u8', 0, 'x')).to.deep.equal(NOT_INT);
      expect(h.run('bitfield_ro', 'l', 'get', 'u8', 0)).to.deep.equal(WRONGTYPE);
    });
  });
});

describe('LCS', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
    h.run('set', 'a', 'ohmytext');
    h.run('set', 'b', 'mynewtext');
  });

  it('the subsequence, LEN, and IDX with MINMATCHLEN / WITHMATCHLEN', () => {
    expect(h.run('lcs', 'a', 'b')).to.equal('mytext');
    expect(h.run('lcs', 'a', 'b', 'LEN')).to.equal(6);
    const idx = h.raw('lcs', 'a', 'b', 'idx');
    expect(idx).to.be.instanceOf(MapReply); // RESP3 map, RESP2 flat array
    expect(asExpected(idx)).to.deep.equal(['matches', [[['4', '7'], ['5', '8']], [['2', '3'], ['0', '1']]], 'len', '6']);
    expect(asExpected(h.raw('lcs', 'a', 'b', 'idx', 'minmatchlen', 4, 'withmatchlen'))).to.deep.equal([
      'matches',
      [[['4', '7'], ['5', '8'], '4']],
      'len',
      '6',
    ]);
    expect(h.run('lcs', 'a', 'missing')).to.equal('');
    expect(h.run('lcs', 'missing', 'missing', 'len')).to.equal(0);
  });

  it('errors in Redis order', () => {
    putList(h, 'l');
    expect(h.run('lcs', 'a', 'l', 'bogus')).to.deep.equal(err('ERR The specified keys must contain string values'));
    expect(h.run('lcs', 'a', 'b', 'bogus')).to.deep.equal(SYNTAX);
    expect(h.run('lcs', 'a', 'b', 'minmatchlen')).to.deep.equal(SYNTAX);
    expect(h.run('lcs', 'a', 'b', 'minmatchlen', 'x')).to.deep.equal(NOT_INT);
    expect(h.run('lcs', 'a', 'b', 'idx', 'len')).to.deep.equal(err('ERR If you want both the length and indexes, please just use IDX.'));
  });

  it('refuses a table larger than proto-max-bulk-len, as Redis', () => {
    const opts = { getlen: true, getidx: false, withmatchlen: false, minmatchlen: 0 };
    expect(lcsReply(Buffer.from('abc'), Buffer.from('abd'), opts, 64)).to.equal(2);
    expect((lcsReply(Buffer.from('abcd'), Buffer.from('abd'), opts, 64) as ErrorReply).message).to.equal(
      'ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len',
    );
    // 11586^2 * 4 bytes > 512 MB (redis-server answers the same for these lengths).
    h.raw('set', 'big', Buffer.alloc(11585, 'a'));
    expect(h.run('lcs', 'big', 'big', 'len')).to.deep.equal(err('ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len'));
  });
});
