/**
 * Bitmap commands on string values (Redis 7.0 bitops.c): SETBIT GETBIT
 * BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO.
 *
 * Stored bytes are never modified in place (object.ts: replies may be views
 * of them), so every write builds a new Buffer. That makes SETBIT O(length)
 * instead of Redis's O(1); fine for the bitmaps caches hold, noted for large ones.
 *
 * Bit 0 is the most significant bit of byte 0, as in Redis.
 */
import { ErrorReply, isError as isErr, type Reply } from '../../protocol/reply';
import { ERR_NOT_INTEGER, ERR_SYNTAX, WRONGTYPE } from '../../protocol/errors';
import { keyString, stringValue, type StringValue } from '../keyspace';
import { lookupRead, type DataCommand, type ExecContext } from './types';
import { arg, block, defineCommand, keyArg, oneOf, pureToken } from './define';
import { isToken, normalize, parseInt64 } from './util';
import { MAX_STRING_LENGTH } from './string';

export const ERR_BIT_OFFSET = new ErrorReply('ERR bit offset is not an integer or out of range');
export const ERR_BIT_VALUE = new ErrorReply('ERR bit is not an integer or out of range');
const ERR_BIT_ARG = new ErrorReply('ERR The bit argument must be 1 or 0.');
const ERR_BITOP_NOT = new ErrorReply('ERR BITOP NOT must be called with a single source key.');
const ERR_BITFIELD_TYPE = new ErrorReply(
  'ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.',
);
const ERR_OVERFLOW_TYPE = new ErrorReply('ERR Invalid OVERFLOW type specified');
const ERR_BITFIELD_RO = new ErrorReply('ERR BITFIELD_RO only supports the GET subcommand');

const BITMAP_READ = ['@read', '@bitmap'];
const BITMAP_WRITE = ['@write', '@bitmap'];
const EMPTY = Buffer.alloc(0);

/** Bits set in each byte value. */
const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1];

/**
 * Redis getBitOffsetFromArgument: an int64, or with `hash` "#N" meaning
 * N*bits (multiplied as C int64, wrapping, like Redis); negative or
 * (offset >> 3) >= proto-max-bulk-len is an error. Returns the bit offset.
 */
function parseBitOffset(b: Buffer, hash: boolean, bits: number): number | null {
  const useHash = hash && b.length > 1 && b[0] === 0x23;
  const v = parseInt64(useHash ? b.subarray(1) : b);
  if (v === null) return null;
  let off = BigInt(v);
  if (useHash) off = BigInt.asIntN(64, off * BigInt(bits));
  if (off < 0n || off >> 3n >= BigInt(MAX_STRING_LENGTH)) return null;
  return Number(off);
}


/** The string at key for a read: Buffer, null when absent, or WRONGTYPE. */
function readString(ctx: ExecContext, key: Buffer): Buffer | null | ErrorReply {
  const v = lookupRead(ctx, keyString(key));
  if (v === undefined) return null;
  if (v.type !== 'string') return WRONGTYPE;
  return v.value;
}

/**
 * Redis lookupStringForBitCommand at apply time: the key's bytes copied into
 * a new Buffer at least `maxbit` bits long (zero padded), or WRONGTYPE. The
 * caller stores the result (a created key has no TTL, an existing one keeps it).
 */
function bitsForWrite(ctx: ExecContext, key: string, maxbit: number): Buffer | ErrorReply {
  const v = ctx.db.lookupWrite(key, ctx.now, ctx.index);
  if (v !== undefined && v.type !== 'string') return WRONGTYPE;
  const need = Math.floor(maxbit / 8) + 1;
  const old = v === undefined ? EMPTY : (v as StringValue).value;
  const buf = Buffer.alloc(Math.max(old.length, need));
  old.copy(buf, 0);
  return buf;
}

/** Raw, as lookupStringForBitCommand leaves it (created with createObject, or unshared). */
function storeBits(ctx: ExecContext, key: string, buf: Buffer): void {
  ctx.db.set(key, stringValue(buf, 'raw'), ctx.index, true);
}

// ------------------------------------------------------------ SETBIT / GETBIT

function checkSetbit(argv: Buffer[]): ErrorReply | null {
  if (parseBitOffset(argv[2], false, 0) === null) return ERR_BIT_OFFSET;
  const on = parseInt64(argv[3]);
  if (on !== 0 && on !== 1) return ERR_BIT_VALUE;
  return null;
}

const setbit = defineCommand({
  name: 'setbit',
  arity: 4,
  flags: ['write', 'denyoom'],
  keys: [1, 1, 1],
  acl: [...BITMAP_WRITE, '@slow'],
  doc: {
    summary: 'Sets or clears the bit at offset of the string value. Creates the key if it doesn\'t exist.',
    since: '2.2.0',
    group: 'bitmap',
    complexity: 'O(1)',
    arguments: [keyArg(), arg('offset', 'integer'), arg('value', 'integer')],
  },
  check: checkSetbit,
  exec(ctx, argv) {
    const bad = checkSetbit(argv);
    if (bad) return bad;
    const offset = parseBitOffset(argv[2], false, 0) as number;
    const on = parseInt64(argv[3]) as number;
    const key = keyString(argv[1]);
    const buf = bitsForWrite(ctx, key, offset);
    if (isErr(buf)) return buf;
    const byte = offset >> 3;
    const mask = 0x80 >> (offset & 7);
    const old = buf[byte] & mask ? 1 : 0;
    buf[byte] = on ? buf[byte] | mask : buf[byte] & ~mask;
    storeBits(ctx, key, buf);
    return old;
  },
});

const getbit = defineCommand({
  name: 'getbit',
  arity: 3,
  flags: ['readonly', 'fast'],
  keys: [1, 1, 1],
  acl: [...BITMAP_READ, '@fast'],
  doc: {
    summary: 'Returns a bit value by offset.',
    since: '2.2.0',
    group: 'bitmap',
    complexity: 'O(1)',
    arguments: [keyArg(), arg('offset', 'integer')],
  },
  exec(ctx, argv) {
    const offset = parseBitOffset(argv[2], false, 0);
    if (offset === null) return ERR_BIT_OFFSET;
    const v = readString(ctx, argv[1]);
    if (v === null) return 0;
    if (isErr(v)) return v;
    const byte = offset >> 3;
    if (byte >= v.length) return 0;
    return v[byte] & (0x80 >> (offset & 7)) ? 1 : 0;
  },
});

// --------------------------------------------------------- BITCOUNT / BITPOS

/**
 * Start/end (bytes, or bits with BIT) of BITCOUNT/BITPOS turned into an
 * inclusive bit range over `len` bytes, Redis's clamping; null when empty.
 */
function bitRange(len: number, s0: bigint, e0: bigint, isBit: boolean): [number, number] | null {
  const n = BigInt(isBit ? len * 8 : len);
  let start = s0;
  let end = e0;
  if (start < 0n) start = n + start;
  if (end < 0n) end = n + end;
  if (start < 0n) start = 0n;
  if (end < 0n) end = 0n;
  if (end >= n) end = n - 1n;
  if (start > end) return null;
  return isBit ? [Number(start), Number(end)] : [Number(start) * 8, Number(end) * 8 + 7];
}

function countBits(p: Buffer, sb: number, eb: number): number {
  let count = 0;
  let i = sb;
  // Leading partial byte, whole bytes, trailing partial byte.
  while (i <= eb && (i & 7) !== 0) {
    if (p[i >> 3] & (0x80 >> (i & 7))) count++;
    i++;
  }
  while (i + 7 <= eb) {
    count += POPCOUNT[p[i >> 3]];
    i += 8;
  }
  while (i <= eb) {
    if (p[i >> 3] & (0x80 >> (i & 7))) count++;
    i++;
  }
  return count;
}

/** BIT|BYTE (case-insensitive): true for BIT, false for BYTE, null otherwise. */
function unitArg(b: Buffer): boolean | null {
  if (isToken(b, 'bit')) return true;
  if (isToken(b, 'byte')) return false;
  return null;
}

const bitcount = defineCommand({
  name: 'bitcount',
  arity: -2,
  flags: ['readonly'],
  keys: [1, 1, 1],
  acl: [...BITMAP_READ, '@slow'],
  doc: {
    summary: 'Counts the number of set bits (population counting) in a string.',
    since: '2.6.0',
    group: 'bitmap',
    complexity: 'O(N)',
    arguments: [
      keyArg(),
      block(
        'range',
        [
          arg('start', 'integer'),
          arg('end', 'integer'),
          oneOf('unit', [pureToken('byte', 'BYTE'), pureToken('bit', 'BIT')], { optional: true, since: '7.0.0' }),
        ],
        { optional: true },
      ),
    ],
  },
  // Redis looks the key up before parsing the range (a missing key answers 0 whatever follows).
  exec(ctx, argv) {
    const v = readString(ctx, argv[1]);
    if (v === null) return 0;
    if (isErr(v)) return v;
    if (argv.length === 2) return countBits(v, 0, v.length * 8 - 1);
    if (argv.length !== 4 && argv.length !== 5) return ERR_SYNTAX;
    const s = parseInt64(argv[2]);
    if (s === null) return ERR_NOT_INTEGER;
    const e = parseInt64(argv[3]);
    if (e === null) return ERR_NOT_INTEGER;
    // Redis answers this empty range before it looks at BIT|BYTE.
    if (s < 0 && e < 0 && s > e) return 0;
    let isBit = false;
    if (argv.length === 5) {
      const u = unitArg(argv[4]);
      if (u === null) return ERR_SYNTAX;
      isBit = u;
    }
    const r = bitRange(v.length, BigInt(s), BigInt(e), isBit);
    return r === null ? 0 : countBits(v, r[0], r[1]);
  },
});

/** First bit equal to `bit` in [sb, eb], or -1. */
function findBit(p: Buffer, bit: number, sb: number, eb: number): number {
  const skip = bit ? 0x00 : 0xff;
  let i = sb;
  while (i <= eb) {
    if ((i & 7) === 0 && i + 7 <= eb && p[i >> 3] === skip) {
      i += 8;
      continue;
    }
    if (((p[i >> 3] >> (7 - (i & 7))) & 1) === bit) return i;
    i++;
  }
  return -1;
}

const bitpos = defineCommand({
  name: 'bitpos',
  arity: -3,
  flags: ['readonly'],
  keys: [1, 1, 1],
  acl: [...BITMAP_READ, '@slow'],
  doc: {
    summary: 'Finds the first set (1) or clear (0) bit in a string.',
    since: '2.8.7',
    group: 'bitmap',
    complexity: 'O(N)',
    arguments: [
      keyArg(),
      arg('bit', 'integer'),
      block(
        'range',
        [
          arg('start', 'integer'),
          block(
            'end-unit-block',
            [
              arg('end', 'integer'),
              oneOf('unit', [pureToken('byte', 'BYTE'), pureToken('bit', 'BIT')], { optional: true, since: '7.0.0' }),
            ],
            { optional: true },
          ),
        ],
        { optional: true },
      ),
    ],
  },
  exec(ctx, argv) {
    const bit = parseInt64(argv[2]);
    if (bit === null) return ERR_NOT_INTEGER;
    if (bit !== 0 && bit !== 1) return ERR_BIT_ARG;
    const v = readString(ctx, argv[1]);
    // A missing key is an infinite run of zeros.
    if (v === null) return bit ? -1 : 0;
    if (isErr(v)) return v;
    let range: [number, number] | null;
    let endGiven = false;
    if (argv.length === 3) {
      range = v.length === 0 ? null : [0, v.length * 8 - 1];
    } else if (argv.length <= 6) {
      const s = parseInt64(argv[3]);
      if (s === null) return ERR_NOT_INTEGER;
      let isBit = false;
      if (argv.length === 6) {
        const u = unitArg(argv[5]);
        if (u === null) return ERR_SYNTAX;
        isBit = u;
      }
      let e: bigint;
      if (argv.length >= 5) {
        const e0 = parseInt64(argv[4]);
        if (e0 === null) return ERR_NOT_INTEGER;
        e = BigInt(e0);
        endGiven = true;
      } else {
        e = isBit ? BigInt(v.length * 8 + 7) : BigInt(v.length - 1);
      }
      range = bitRange(v.length, BigInt(s), e, isBit);
    } else {
      return ERR_SYNTAX;
    }
    // An empty range holds neither a 0 nor a 1.
    if (range === null) return -1;
    const pos = findBit(v, bit, range[0], range[1]);
    if (pos >= 0) return pos;
    // Looking for a 0 without an explicit end: the string continues with zeros.
    return bit === 0 && !endGiven ? range[1] + 1 : -1;
  },
});

// -------------------------------------------------------------------- BITOP

type BitOp = 'and' | 'or' | 'xor' | 'not';

function bitOpName(b: Buffer): BitOp | null {
  for (const op of ['and', 'or', 'xor', 'not'] as const) if (isToken(b, op)) return op;
  return null;
}

function checkBitop(argv: Buffer[]): ErrorReply | null {
  const op = bitOpName(argv[1]);
  if (op === null) return ERR_SYNTAX;
  if (op === 'not' && argv.length !== 4) return ERR_BITOP_NOT;
  return null;
}

const bitop = defineCommand({
  name: 'bitop',
  arity: -4,
  flags: ['write', 'denyoom'],
  keys: [2, -1, 1],
  acl: [...BITMAP_WRITE, '@slow'],
  doc: {
    summary: 'Performs bitwise operations on multiple strings, and stores the result.',
    since: '2.6.0',
    group: 'bitmap',
    complexity: 'O(N)',
    arguments: [
      oneOf('operation', [pureToken('and', 'AND'), pureToken('or', 'OR'), pureToken('xor', 'XOR'), pureToken('not', 'NOT')]),
      keyArg('destkey'),
      keyArg('key', { multiple: true }),
    ],
  },
  check: checkBitop,
  exec(ctx, argv) {
    const bad = checkBitop(argv);
    if (bad) return bad;
    const op = bitOpName(argv[1]) as BitOp;
    const srcs: Buffer[] = [];
    let maxlen = 0;
    for (let j = 3; j < argv.length; j++) {
      const v = ctx.db.lookupWrite(keyString(argv[j]), ctx.now, ctx.index);
      if (v === undefined) {
        srcs.push(EMPTY); // a missing key is an empty string
        continue;
      }
      if (v.type !== 'string') return WRONGTYPE;
      srcs.push(v.value);
      if (v.length > maxlen) maxlen = v.length;
    }
    const dest = keyString(argv[2]);
    if (maxlen === 0) {
      ctx.db.delete(dest, ctx.index);
      return 0;
    }
    // Shorter strings are zero padded.
    const res = Buffer.alloc(maxlen);
    srcs[0].copy(res, 0);
    if (op === 'not') {
      for (let i = 0; i < maxlen; i++) res[i] = ~res[i] & 0xff;
    } else {
      for (let k = 1; k < srcs.length; k++) {
        const s = srcs[k];
        const n = s.length;
        if (op === 'and') {
          for (let i = 0; i < n; i++) res[i] &= s[i];
          res.fill(0, n);
        } else if (op === 'or') {
          for (let i = 0; i < n; i++) res[i] |= s[i];
        } else {
          for (let i = 0; i < n; i++) res[i] ^= s[i];
        }
      }
    }
    ctx.db.set(dest, stringValue(res, 'raw'), ctx.index); // createObject(OBJ_STRING, res): raw
    return maxlen;
  },
});

// ----------------------------------------------------------------- BITFIELD

type Overflow = 'wrap' | 'sat' | 'fail';

interface FieldOp {
  op: 'get' | 'set' | 'incrby';
  signed: boolean;
  bits: number;
  offset: number;
  value: bigint;
  overflow: Overflow;
}

interface ParsedOps {
  ops: FieldOp[];
  readonly: boolean;
  /** Highest bit a SET/INCRBY touches (what the string grows to). */
  highest: number;
}

/** Redis getBitfieldTypeFromArgument: i1..i64, u1..u63. */
function parseFieldType(b: Buffer): { signed: boolean; bits: number } | null {
  if (b.length < 2) return null;
  const signed = b[0] === 0x69 ? true : b[0] === 0x75 ? false : null;
  if (signed === null) return null;
  const bits = parseInt64(b.subarray(1));
  if (typeof bits !== 'number' || bits < 1 || bits > (signed ? 64 : 63)) return null;
  return { signed, bits };
}

/** Parses BITFIELD's operations in order, with Redis's errors (all stateless). */
function parseFieldOps(argv: Buffer[]): ParsedOps | ErrorReply {
  const ops: FieldOp[] = [];
  let overflow: Overflow = 'wrap';
  let readonly = true;
  let highest = 0;
  for (let j = 2; j < argv.length; j++) {
    const rem = argv.length - j - 1;
    const sub = argv[j];
    let op: FieldOp['op'];
    if (isToken(sub, 'get') && rem >= 2) op = 'get';
    else if (isToken(sub, 'set') && rem >= 3) op = 'set';
    else if (isToken(sub, 'incrby') && rem >= 3) op = 'incrby';
    else if (isToken(sub, 'overflow') && rem >= 1) {
      const t = argv[++j];
      if (isToken(t, 'wrap')) overflow = 'wrap';
      else if (isToken(t, 'sat')) overflow = 'sat';
      else if (isToken(t, 'fail')) overflow = 'fail';
      else return ERR_OVERFLOW_TYPE;
      continue;
    } else return ERR_SYNTAX;
    const type = parseFieldType(argv[j + 1]);
    if (type === null) return ERR_BITFIELD_TYPE;
    const offset = parseBitOffset(argv[j + 2], true, type.bits);
    if (offset === null) return ERR_BIT_OFFSET;
    let value = 0n;
    if (op !== 'get') {
      readonly = false;
      if (highest < offset + type.bits - 1) highest = offset + type.bits - 1;
      const v = parseInt64(argv[j + 3]);
      if (v === null) return ERR_NOT_INTEGER;
      value = BigInt(v);
    }
    ops.push({ op, signed: type.signed, bits: type.bits, offset, value, overflow });
    j += op === 'get' ? 2 : 3;
  }
  return { ops, readonly, highest };
}

/** Unsigned value of `bits` bits at bit `offset` (bits past the end read as 0). */
function getField(p: Buffer, offset: number, bits: number): bigint {
  let v = 0n;
  for (let i = 0; i < bits; i++) {
    const pos = offset + i;
    const byte = pos >> 3;
    const b = byte < p.length ? (p[byte] >> (7 - (pos & 7))) & 1 : 0;
    v = (v << 1n) | BigInt(b);
  }
  return v;
}

function setField(p: Buffer, offset: number, bits: number, value: bigint): void {
  const u = BigInt.asUintN(bits, value);
  for (let i = 0; i < bits; i++) {
    const pos = offset + i;
    const mask = 0x80 >> (pos & 7);
    if ((u >> BigInt(bits - 1 - i)) & 1n) p[pos >> 3] |= mask;
    else p[pos >> 3] &= ~mask;
  }
}

function getSigned(p: Buffer, offset: number, bits: number): bigint {
  return BigInt.asIntN(bits, getField(p, offset, bits));
}

const i64 = (x: bigint): bigint => BigInt.asIntN(64, x);
const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);

/**
 * Redis checkUnsignedBitfieldOverflow, transcribed with C's 64-bit
 * arithmetic: 0 = fits, else 1/-1 with `limit` the WRAP/SAT result.
 * `value` is uint64, `incr` int64.
 */
function unsignedOverflow(value: bigint, incr: bigint, bits: number, ow: Overflow): { overflow: number; limit: bigint } {
  const max = (1n << BigInt(bits)) - 1n;
  const maxincr = i64(max - value);
  const minincr = i64(-value);
  const wrap = (): bigint => u64(value + incr) & max;
  if (value > max || (incr > 0n && incr > maxincr)) {
    return { overflow: 1, limit: ow === 'wrap' ? wrap() : max };
  }
  if (incr < 0n && incr < minincr) {
    return { overflow: -1, limit: ow === 'wrap' ? wrap() : 0n };
  }
  return { overflow: 0, limit: 0n };
}

/** Redis checkSignedBitfieldOverflow, same transcription (keeps its 64-bit wrap-around quirks). */
function signedOverflow(value: bigint, incr: bigint, bits: number, ow: Overflow): { overflow: number; limit: bigint } {
  const max = bits === 64 ? (1n << 63n) - 1n : (1n << BigInt(bits - 1)) - 1n;
  const min = -max - 1n;
  const maxincr = i64(u64(max) - u64(value));
  const minincr = i64(min - value);
  const wrap = (): bigint => {
    let c = u64(value + incr);
    if (bits < 64) {
      const msb = 1n << BigInt(bits - 1);
      const mask = u64(-1n << BigInt(bits));
      c = c & msb ? c | mask : c & ~mask;
    }
    return i64(c);
  };
  if (value > max || (bits !== 64 && incr > maxincr) || (value >= 0n && incr > 0n && incr > maxincr)) {
    return { overflow: 1, limit: ow === 'wrap' ? wrap() : max };
  }
  if (value < min || (bits !== 64 && incr < minincr) || (value < 0n && incr < 0n && incr < minincr)) {
    return { overflow: -1, limit: ow === 'wrap' ? wrap() : min };
  }
  return { overflow: 0, limit: 0n };
}

/** Runs one SET/INCRBY on `p` (Redis's order: read old, check overflow, write unless FAIL). */
function applyFieldWrite(p: Buffer, o: FieldOp): Reply {
  let oldval: bigint;
  let newval: bigint;
  let retval: bigint;
  let overflow: number;
  if (o.signed) {
    oldval = getSigned(p, o.offset, o.bits);
    if (o.op === 'incrby') {
      const c = signedOverflow(oldval, o.value, o.bits, o.overflow);
      overflow = c.overflow;
      newval = overflow ? c.limit : i64(oldval + o.value);
      retval = newval;
    } else {
      const c = signedOverflow(o.value, 0n, o.bits, o.overflow);
      overflow = c.overflow;
      newval = overflow ? c.limit : o.value;
      retval = oldval;
    }
  } else {
    oldval = getField(p, o.offset, o.bits);
    if (o.op === 'incrby') {
      const c = unsignedOverflow(oldval, o.value, o.bits, o.overflow);
      overflow = c.overflow;
      newval = overflow ? c.limit : u64(oldval + o.value);
      retval = newval;
    } else {
      const v = u64(o.value); // the int64 argument taken as uint64, as Redis does
      const c = unsignedOverflow(v, 0n, o.bits, o.overflow);
      overflow = c.overflow;
      newval = overflow ? c.limit : v;
      retval = oldval;
    }
  }
  if (overflow && o.overflow === 'fail') return null;
  setField(p, o.offset, o.bits, newval);
  return normalize(retval);
}

function readField(p: Buffer | null, o: FieldOp): Reply {
  const src = p ?? EMPTY;
  return normalize(o.signed ? getSigned(src, o.offset, o.bits) : getField(src, o.offset, o.bits));
}

const bitfieldArgs = [
  keyArg(),
  oneOf(
    'operation',
    [
      block('get-block', [arg('encoding', 'string'), arg('offset', 'integer')], { token: 'GET' }),
      block(
        'write',
        [
          oneOf(
            'overflow-block',
            [pureToken('wrap', 'WRAP'), pureToken('sat', 'SAT'), pureToken('fail', 'FAIL')],
            { token: 'OVERFLOW', optional: true },
          ),
          oneOf('write-operation', [
            block('set-block', [arg('encoding', 'string'), arg('offset', 'integer'), arg('value', 'integer')], { token: 'SET' }),
            block('incrby-block', [arg('encoding', 'string'), arg('offset', 'integer'), arg('increment', 'integer')], {
              token: 'INCRBY',
            }),
          ]),
        ],
      ),
    ],
    { optional: true, multiple: true },
  ),
];

const bitfield = defineCommand({
  name: 'bitfield',
  arity: -2,
  flags: ['write', 'denyoom'],
  keys: [1, 1, 1],
  acl: [...BITMAP_WRITE, '@slow'],
  doc: {
    summary: 'Performs arbitrary bitfield integer operations on strings.',
    since: '3.2.0',
    group: 'bitmap',
    complexity: 'O(1) for each subcommand specified',
    arguments: bitfieldArgs,
  },
  check(argv) {
    const p = parseFieldOps(argv);
    return isErr(p) ? p : null;
  },
  exec(ctx, argv) {
    const parsed = parseFieldOps(argv);
    if (isErr(parsed)) return parsed;
    const key = keyString(argv[1]);
    if (parsed.readonly) {
      const v = ctx.db.lookupWrite(key, ctx.now, ctx.index);
      if (v !== undefined && v.type !== 'string') return WRONGTYPE;
      const p = v === undefined ? null : v.value;
      return parsed.ops.map((o) => readField(p, o));
    }
    // Grown (or created) up to the highest bit written, even when every write FAILs, as Redis does.
    const buf = bitsForWrite(ctx, key, parsed.highest);
    if (isErr(buf)) return buf;
    const out = parsed.ops.map((o) => (o.op === 'get' ? readField(buf, o) : applyFieldWrite(buf, o)));
    storeBits(ctx, key, buf);
    return out;
  },
});

const bitfieldRo = defineCommand({
  name: 'bitfield_ro',
  arity: -2,
  flags: ['readonly', 'fast'],
  keys: [1, 1, 1],
  acl: [...BITMAP_READ, '@fast'],
  doc: {
    summary: 'Performs arbitrary read-only bitfield integer operations on strings.',
    since: '6.0.0',
    group: 'bitmap',
    complexity: 'O(1) for each subcommand specified',
    arguments: [
      keyArg(),
      block('get-block', [arg('encoding', 'string'), arg('offset', 'integer')], { token: 'GET', optional: true, multiple: true, multipleToken: true }),
    ],
  },
  exec(ctx, argv) {
    const parsed = parseFieldOps(argv);
    if (isErr(parsed)) return parsed;
    if (!parsed.readonly) return ERR_BITFIELD_RO;
    const v = readString(ctx, argv[1]);
    if (isErr(v)) return v;
    return parsed.ops.map((o) => readField(v, o));
  },
});

export const bitmapCommands: DataCommand[] = [setbit, getbit, bitcount, bitpos, bitop, bitfield, bitfieldRo];
