import { ErrorReply, isError as isErr, OK, type Reply } from '../../protocol/reply';
import {
  ERR_INCR_NAN,
  ERR_NOT_FLOAT,
  ERR_NOT_INTEGER,
  ERR_OFFSET_RANGE,
  ERR_OVERFLOW,
  ERR_STRING_TOO_LONG,
  WRONGTYPE,
  errArity,
} from '../../protocol/errors';
import { appendableString, copiedString, keyString, stringValue, type Database, type Deadline, type StringValue } from '../keyspace';
import { lookupRead, type DataCommand, type ExecContext } from './types';
import { arg, block, defineCommand, keyArg, oneOf, pureToken } from './define';
import { ERR_DECR_OVERFLOW } from './errors';
import { createdStringEncoding } from './string-encoding';
import {
  PXAT,
  checkExpireValue,
  expireDeadline,
  msBuffer,
  parseStringOptions,
  type ExpireKind,
  type StringOptions,
} from './expire-args';
import { INT64_MIN, addInt64, parseInt64, type Int64 } from './util';
import { addLongDouble, formatLongDoubleHuman, isNanOrInf, parseLongDouble } from './long-double';

/** proto-max-bulk-len: the largest string SETRANGE/APPEND may build. */
export const MAX_STRING_LENGTH = 512 * 1024 * 1024;

const EMPTY = Buffer.alloc(0);

/** The string at key for a read: Buffer, null when absent, or WRONGTYPE. */
function readString(ctx: ExecContext, key: Buffer): Buffer | null | ErrorReply {
  const v = lookupRead(ctx, keyString(key));
  if (v === undefined) return null;
  if (v.type !== 'string') return WRONGTYPE;
  return v.value;
}

/** Same for a write at apply time (an expired key is deleted first). */
function writeLookup(ctx: ExecContext, key: string): StringValue | undefined | ErrorReply {
  const v = ctx.db.lookupWrite(key, ctx.now, ctx.index);
  if (v !== undefined && v.type !== 'string') return WRONGTYPE;
  return v;
}


/** Applies a deadline computed for `key`: a deadline already past deletes the key (Redis checkAlreadyExpired). */
function applyDeadline(db: Database, key: string, at: Deadline, now: number, index: number): void {
  if (at <= now) db.delete(key, index);
  else db.setExpire(key, at, index);
}

const STRING_READ = ['@read', '@string'];
const STRING_WRITE = ['@write', '@string'];

// ------------------------------------------------------------------- GET / SET

const get = defineCommand({
  name: 'get',
  arity: 2,
  flags: ['readonly', 'fast'],
  keys: [1, 1, 1],
  acl: [...STRING_READ, '@fast'],
  doc: { summary: 'Returns the string value of a key.', since: '1.0.0', group: 'string', complexity: 'O(1)', arguments: [keyArg()] },
  exec: (ctx, argv) => readString(ctx, argv[1]),
});

function checkSetOptions(o: StringOptions, argv: Buffer[], command: string): ErrorReply | null {
  return o.expire ? checkExpireValue(argv[o.expire.at], o.expire.kind, command) : null;
}

/**
 * Rewrites the expiry option of SET/GETEX into PXAT <absolute ms>, dropping
 * earlier repeats of it (the last one wins, and PXAT must not follow EX).
 */
function absolutize(argv: Buffer[], o: StringOptions, now: number, command: string): Buffer[] {
  if (o.expire === null || (o.expire.kind === 'pxat' && o.expireAts.length === 1)) return argv;
  const ms = expireDeadline(argv[o.expire.at], o.expire.kind, now, command);
  if (typeof ms !== 'number') return argv; // exec reports the error deterministically
  const drop = new Set<number>();
  for (const at of o.expireAts) drop.add(at - 1).add(at);
  const out = argv.filter((_, i) => !drop.has(i));
  out.push(PXAT, msBuffer(ms));
  return out;
}

const set = defineCommand({
  name: 'set',
  arity: -3,
  flags: ['write', 'denyoom'],
  keys: [1, 1, 1],
  acl: [...STRING_WRITE, '@slow'],
  doc: {
    summary: "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
    since: '1.0.0',
    group: 'string',
    complexity: 'O(1)',
    arguments: [
      keyArg(),
      arg('value', 'string'),
      oneOf(
        'condition',
        [
          pureToken('nx', 'NX'),
          pureToken('xx', 'XX'),
          arg('ifeq-value', 'string', { token: 'IFEQ', since: '8.4.0' }),
          arg('ifne-value', 'string', { token: 'IFNE', since: '8.4.0' }),
        ],
        { optional: true, since: '2.6.12' },
      ),
      pureToken('get', 'GET', { optional: true, since: '6.2.0' }),
      oneOf(
        'expiration',
        [
          arg('seconds', 'integer', { token: 'EX', since: '2.6.12' }),
          arg('milliseconds', 'integer', { token: 'PX', since: '2.6.12' }),
          arg('unix-time-seconds', 'unix-time', { token: 'EXAT', since: '6.2.0' }),
          arg('unix-time-milliseconds', 'unix-time', { token: 'PXAT', since: '6.2.0' }),
          pureToken('keepttl', 'KEEPTTL', { since: '6.0.0' }),
        ],
        { optional: true },
      ),
    ],
  },
  check(argv) {
    const o = parseStringOptions(argv, 'set');
    return isErr(o) ? o : checkSetOptions(o, argv, 'set');
  },
  rewrite(argv, now) {
    const o = parseStringOptions(argv, 'set');
    return isErr(o) ? argv : absolutize(argv, o, now, 'set');
  },
  exec(ctx, argv) {
    const o = parseStringOptions(argv, 'set');
    if (isErr(o)) return o;
    let at: Deadline | undefined;
    if (o.expire) {
      const d = expireDeadline(argv[o.expire.at], o.expire.kind, ctx.now, 'set');
      if (isErr(d)) return d;
      at = d;
    }
    const key = keyString(argv[1]);
    const cur = ctx.db.lookupWrite(key, ctx.now, ctx.index);
    let old: Reply = null;
    if (o.get && cur !== undefined) {
      if (cur.type !== 'string') return WRONGTYPE;
      old = cur.value;
    }
    if ((o.nx && cur !== undefined) || (o.xx && cur === undefined)) return o.get ? old : null;
    if (o.cmp) {
      // Compare-and-set: a missing key equals nothing, so IFEQ never creates it and IFNE does.
      if (cur !== undefined && cur.type !== 'string') return WRONGTYPE;
      const equal = cur !== undefined && cur.equals(argv[o.cmp.at]);
      if ((o.cmp.kind === 'ifeq') !== equal) return o.get ? old : null;
    }
    ctx.db.set(key, copiedString(argv[2]), ctx.index, o.keepTtl);
    if (at !== undefined) applyDeadline(ctx.db, key, at, ctx.now, ctx.index);
    return o.get ? old : OK;
  },
});

const setnx = defineCommand({
  name: 'setnx',
  arity: 3,
  flags: ['write', 'denyoom', 'fast'],
  keys: [1, 1, 1],
  acl: [...STRING_WRITE, '@fast'],
  doc: {
    summary: "Set the string value of a key only when the key doesn't exist.",
    since: '1.0.0',
    group: 'string',
    complexity: 'O(1)',
    arguments: [keyArg(), arg('value', 'string')],
  },
  exec(ctx, argv) {
    const key = keyString(argv[1]);
    if (ctx.db.lookupWrite(key, ctx.now, ctx.index) !== undefined) return 0;
    ctx.db.set(key, copiedString(argv[2]), ctx.index);
    return 1;
  },
});

/** SETEX / PSETEX: key ttl value. Logged as SET key value PXAT <ms>. */
function setWithTtl(name: 'setex' | 'psetex', kind: ExpireKind, summary: string, since: string, ttlName: string): DataCommand {
  return defineCommand({
    name,
    arity: 4,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    acl: [...STRING_WRITE, '@slow'],
    doc: {
      summary,
      since,
      group: 'string',
      complexity: 'O(1)',
      arguments: [keyArg(), arg(ttlName, 'integer'), arg('value', 'string')],
    },
    check: (argv) => checkExpireValue(argv[2], kind, name),
    rewrite(argv, now) {
      const ms = expireDeadline(argv[2], kind, now, name);
      if (typeof ms !== 'number') return argv;
      return [Buffer.from('SET'), argv[1], argv[3], PXAT, msBuffer(ms)];
    },
    exec(ctx, argv) {
      const at = expireDeadline(argv[2], kind, ctx.now, name);
      if (isErr(at)) return at;
      const key = keyString(argv[1]);
      ctx.db.set(key, copiedString(argv[3]), ctx.index);
      applyDeadline(ctx.db, key, at, ctx.now, ctx.index);
      return OK;
    },
  });
}

const setex = setWithTtl(
  'setex',
  'ex',
  "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.",
  '2.0.0',
  'seconds',
);
const psetex = setWithTtl(
  'psetex',
  'px',
  "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.",
  '2.6.0',
  'milliseconds',
);

const getset = defineCommand({
  name: 'getset',
  arity: 3,
  flags: ['write', 'denyoom', 'fast'],
  keys: [1, 1, 1],
  acl: [...STRING_WRITE, '@fast'],
  doc: {
    summary: 'Returns the previous string value of a key after setting it to a new value.',
    since: '1.0.0',
    group: 'string',
    complexity: 'O(1)',
    arguments: [keyArg(), arg('value', 'string')],
  },
  exec(ctx, argv) {
    const key = keyString(argv[1]);
    const cur = writeLookup(ctx, key);
    if (isErr(cur)) return cur;
    ctx.db.set(key, copiedString(argv[2]), ctx.index);
    return cur === undefined ? null : cur.value;
  },
});

const getdel = defineCommand({
  name: 'getdel',
  arity: 2,
  flags: ['write', 'fast'],
  keys: [1, 1, 1],
  acl: [...STRING_WRITE, '@fast'],
  doc: {
    summary: 'Returns the string value of a key after deleting the key.',
    since: '6.2.0',
    group: 'string',
    complexity: 'O(1)',
    arguments: [keyArg()],
  },
  exec(ctx, argv) {
    const key = keyString(argv[1]);
    const cur = writeLookup(ctx, key);
    if (isErr(cur)) return cur;
    if (cur === undefined) return null;
    ctx.db.delete(key, ctx.index);
    return cur.value;
  },
});

const getex = defineCommand({
  name: 'getex',
  arity: -2,
  flags: ['write', 'fast'],
  keys: [1, 1, 1],
  acl: [...STRING_WRITE, '@fast'],
  doc: {
    summary: 'Returns the string value of a key after setting its expiration time.',
    since: '6.2.0',
    group: 'string',
    complexity: 'O(1)',
    arguments: [
      keyArg(),
      oneOf(
        'expiration',
        [
          arg('seconds', 'integer', { token: 'EX' }),
          arg('milliseconds', 'integer', { token: 'PX' }),
          arg('unix-time-seconds', 'unix-time', { token: 'EXAT' }),
          arg('unix-time-milliseconds', 'unix-time', { token: 'PXAT' }),
          pureToken('persist', 'PERSIST'),
        ],
        { optional: true },
      ),
    ],
  },
  // Only syntax here: Redis validates the expiry value after the key lookup
  // (a missing key answers nil even with a bad value), so exec does that.
  check(argv) {
    const o = parseStringOptions(argv, 'get');
    return isErr(o) ? o : null;
  },
  rewrite(argv, now) {
    const o = parseStringOptions(argv, 'get');
    return isErr(o) ? argv : absolutize(argv, o, now, 'getex');
  },
  exec(ctx, argv) {
    const o = parseStringOptions(argv, 'get');
    if (isErr(o)) return o;
    const key = keyString(argv[1]);
    const cur = writeLookup(ctx, key);
    if (isErr(cur)) return cur;
    if (cur === undefined) return null;
    if (o.expire) {
      const at = expireDeadline(argv[o.expire.at], o.expire.kind, ctx.now, 'getex');
      if (isErr(at)) return at;
      applyDeadline(ctx.db, key, at, ctx.now, ctx.index);
    } else if (o.persist) {
      ctx.db.removeExpire(key, ctx.index);
    }
    return cur.value;
  },
});

// ------------------------------------------------------------- multiple keys

const mget = defineCommand({
  name: 'mget',
  arity: -2,
  flags: ['readonly', 'fast'],
  keys: [1, -1, 1],
  acl: [...STRING_READ, '@fast'],
  doc: {
    summary: 'Atomically returns the string values of one or more keys.',
    since: '1.0.0',
    group: 'string',
    complexity: 'O(N) where N is the number of keys to retrieve.',
    arguments: [keyArg('key', { multiple: true })],
  },
  exec(ctx, argv) {
    const out: Reply[] = new Array<Reply>(argv.length - 1);
    for (let i = 1; i < argv.length; i++) {
      const v = lookupRead(ctx, keyString(argv[i]));
      out[i - 1] = v !== undefined && v.type === 'string' ? v.value : null;
    }
    return out;
  },
});

function msetDoc(summary: string): DataCommand['doc'] {
  return {
    summary,
    since: '1.0.1',
    group: 'string',
    complexity: 'O(N) where N is the number of keys to set.',
    arguments: [block('data', [keyArg(), arg('value', 'string')], { multiple: true })],
  };
}

const mset = defineCommand({
  name: 'mset',
  arity: -3,
  flags: ['write', 'denyoom'],
  keys: [1, -1, 2],
  acl: [...STRING_WRITE, '@slow'],
  doc: msetDoc('Atomically creates or modifies the string values of one or more keys.'),
  check: (argv) => (argv.length % 2 === 0 ? errArity('mset') : null),
  exec(ctx, argv) {
    if (argv.length % 2 === 0) return errArity('mset');
    for (let i = 1; i < argv.length; i += 2) ctx.db.set(keyString(argv[i]), copiedString(argv[i + 1]), ctx.index);
    return OK;
  },
});

const msetnx = defineCommand({
  name: 'msetnx',
  arity: -3,
  flags: ['write', 'denyoom'],
  keys: [1, -1, 2],
  acl: [...STRING_WRITE, '@slow'],
  doc: msetDoc("Atomically modifies the string values of one or more keys only when all keys don't exist."),
  check: (argv) => (argv.length % 2 === 0 ? errArity('msetnx') : null),
  exec(ctx, argv) {
    if (argv.length % 2 === 0) return errArity('msetnx');
    for (let i = 1; i < argv.length; i += 2) {
      if (ctx.db.lookupWrite(keyString(argv[i]), ctx.now, ctx.index) !== undefined) return 0;
    }
    for (let i = 1; i < argv.length; i += 2) ctx.db.set(keyString(argv[i]), copiedString(argv[i + 1]), ctx.index);
    return 1;
  },
});

// ------------------------------------------------------------ byte ranges

/**
 * APPEND without quadratic copying: grows like sds (double below 1MB, then +1MB).
 * The result is raw, as Redis's dbUnshareStringValue + sdscatlen leave it.
 */
function appended(cur: StringValue, add: Buffer): StringValue {
  const len = cur.length;
  const total = len + add.length;
  const d = cur.data;
  if (cur.capacity !== undefined && typeof d !== 'string' && total <= cur.capacity) {
    const base = Buffer.from(d.buffer, d.byteOffset, cur.capacity);
    add.copy(base, len);
    return appendableString(base, total, cur.capacity);
  }
  const capacity = total < 1024 * 1024 ? total * 2 : total + 1024 * 1024;
  const buf = Buffer.allocUnsafeSlow(capacity);
  cur.writeTo(buf, 0);
  add.copy(buf, len);
  return appendableString(buf, total, capacity);
}

const append = defineCommand({
  name: 'append',
  arity: 3,
  flags: ['write', 'denyoom', 'fast'],
  keys: [1, 1, 1],
  acl: [...STRING_WRITE, '@fast'],
  doc: {
    summary: "Appends a string to the value of a key. Creates the key if it doesn't exist.",
    since: '2.0.0',
    group: 'string',
    complexity: 'O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.',
    arguments: [keyArg(), arg('value', 'string')],
  },
  exec(ctx, argv) {
    const key = keyString(argv[1]);
    const cur = writeLookup(ctx, key);
    if (isErr(cur)) return cur;
    if (cur === undefined) {
      ctx.db.set(key, copiedString(argv[2]), ctx.index);
      return argv[2].length;
    }
    if (cur.length + argv[2].length > MAX_STRING_LENGTH) return ERR_STRING_TOO_LONG;
    const next = appended(cur, argv[2]);
    ctx.db.set(key, next, ctx.index, true);
    return next.length;
  },
});

const strlen = defineCommand({
  name: 'strlen',
  arity: 2,
  flags: ['readonly', 'fast'],
  keys: [1, 1, 1],
  acl: [...STRING_READ, '@fast'],
  doc: { summary: 'Returns the length of a string value.', since: '2.2.0', group: 'string', complexity: 'O(1)', arguments: [keyArg()] },
  exec(ctx, argv) {
    const v = readString(ctx, argv[1]);
    return v === null ? 0 : isErr(v) ? v : v.length;
  },
});

function checkRange(argv: Buffer[]): ErrorReply | null {
  return parseInt64(argv[2]) === null || parseInt64(argv[3]) === null ? ERR_NOT_INTEGER : null;
}

function getRange(ctx: ExecContext, argv: Buffer[]): Reply {
  const s0 = parseInt64(argv[2]);
  const e0 = parseInt64(argv[3]);
  if (s0 === null || e0 === null) return ERR_NOT_INTEGER;
  const v = readString(ctx, argv[1]);
  if (v === null) return EMPTY;
  if (isErr(v)) return v;
  const n = v.length;
  let start = Number(s0);
  let end = Number(e0);
  if (start < 0 && end < 0 && start > end) return EMPTY;
  if (start < 0) start = n + start;
  if (end < 0) end = n + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= n) end = n - 1;
  if (start > end || n === 0) return EMPTY;
  return v.subarray(start, end + 1);
}

const rangeArgs = [keyArg(), arg('start', 'integer'), arg('end', 'integer')];

const getrange = defineCommand({
  name: 'getrange',
  arity: 4,
  flags: ['readonly'],
  keys: [1, 1, 1],
  acl: [...STRING_READ, '@slow'],
  doc: {
    summary: 'Returns a substring of the string stored at a key.',
    since: '2.4.0',
    group: 'string',
    complexity: 'O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.',
    arguments: rangeArgs,
  },
  check: checkRange,
  exec: getRange,
});

const substr = defineCommand({
  name: 'substr',
  arity: 4,
  flags: ['readonly'],
  keys: [1, 1, 1],
  acl: [...STRING_READ, '@slow'],
  doc: {
    summary: 'Returns a substring from a string value.',
    since: '1.0.0',
    group: 'string',
    complexity: 'O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.',
    arguments: rangeArgs,
  },
  check: checkRange,
  exec: getRange,
});

function checkOffset(argv: Buffer[]): ErrorReply | null {
  const off = parseInt64(argv[2]);
  if (off === null) return ERR_NOT_INTEGER;
  return off < 0 ? ERR_OFFSET_RANGE : null;
}

const setrange = defineCommand({
  name: 'setrange',
  arity: 4,
  flags: ['write', 'denyoom'],
  keys: [1, 1, 1],
  acl: [...STRING_WRITE, '@slow'],
  doc: {
    summary: "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.",
    since: '2.2.0',
    group: 'string',
    complexity: "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.",
    arguments: [keyArg(), arg('offset', 'integer'), arg('value', 'string')],
  },
  check: checkOffset,
  exec(ctx, argv) {
    const bad = checkOffset(argv);
    if (bad) return bad;
    const offset = Number(parseInt64(argv[2]));
    const value = argv[3];
    const key = keyString(argv[1]);
    const cur = writeLookup(ctx, key);
    if (isErr(cur)) return cur;
    if (value.length === 0) return cur === undefined ? 0 : cur.length;
    if (offset + value.length > MAX_STRING_LENGTH) return ERR_STRING_TOO_LONG;
    const old = cur === undefined ? EMPTY : cur.value;
    const buf = Buffer.alloc(Math.max(old.length, offset + value.length));
    old.copy(buf, 0);
    value.copy(buf, offset);
    // Created with createObject(sdsnewlen) or unshared by dbUnshareStringValue: raw either way.
    ctx.db.set(key, stringValue(buf, 'raw'), ctx.index, true);
    return buf.length;
  },
});

// ---------------------------------------------------------------- counters

function incrBy(ctx: ExecContext, keyArg0: Buffer, delta: Int64): Reply {
  const key = keyString(keyArg0);
  const cur = writeLookup(ctx, key);
  if (isErr(cur)) return cur;
  let value: Int64 = 0;
  if (cur !== undefined) {
    const v = parseInt64(cur.value);
    if (v === null) return ERR_NOT_INTEGER;
    value = v;
  }
  const result = addInt64(value, delta);
  if (result === null) return ERR_OVERFLOW;
  ctx.db.set(key, stringValue(Buffer.from(String(result), 'latin1')), ctx.index, true);
  return result;
}

function counterDoc(summary: string, extra: DataCommand['doc']['arguments'] = []): DataCommand['doc'] {
  return { summary, since: '1.0.0', group: 'string', complexity: 'O(1)', arguments: [keyArg(), ...extra] };
}

const counterFlags: DataCommand['flags'] = ['write', 'denyoom', 'fast'];
const counterAcl = [...STRING_WRITE, '@fast'];

const incr = defineCommand({
  name: 'incr',
  arity: 2,
  flags: counterFlags,
  keys: [1, 1, 1],
  acl: counterAcl,
  doc: counterDoc("Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist."),
  exec: (ctx, argv) => incrBy(ctx, argv[1], 1),
});

const decr = defineCommand({
  name: 'decr',
  arity: 2,
  flags: counterFlags,
  keys: [1, 1, 1],
  acl: counterAcl,
  doc: counterDoc("Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist."),
  exec: (ctx, argv) => incrBy(ctx, argv[1], -1),
});

const incrby = defineCommand({
  name: 'incrby',
  arity: 3,
  flags: counterFlags,
  keys: [1, 1, 1],
  acl: counterAcl,
  doc: counterDoc("Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.", [
    arg('increment', 'integer'),
  ]),
  check: (argv) => (parseInt64(argv[2]) === null ? ERR_NOT_INTEGER : null),
  exec(ctx, argv) {
    const by = parseInt64(argv[2]);
    return by === null ? ERR_NOT_INTEGER : incrBy(ctx, argv[1], by);
  },
});

function parseDecrement(b: Buffer): Int64 | ErrorReply {
  const by = parseInt64(b);
  if (by === null) return ERR_NOT_INTEGER;
  if (by === INT64_MIN) return ERR_DECR_OVERFLOW; // negating it overflows
  return typeof by === 'number' ? -by : -by; // (split so each branch keeps its type)
}

const decrby = defineCommand({
  name: 'decrby',
  arity: 3,
  flags: counterFlags,
  keys: [1, 1, 1],
  acl: counterAcl,
  doc: counterDoc("Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.", [
    arg('decrement', 'integer'),
  ]),
  check(argv) {
    const d = parseDecrement(argv[2]);
    return isErr(d) ? d : null;
  },
  exec(ctx, argv) {
    const d = parseDecrement(argv[2]);
    return isErr(d) ? d : incrBy(ctx, argv[1], d);
  },
});

const incrbyfloat = defineCommand({
  name: 'incrbyfloat',
  arity: 3,
  flags: counterFlags,
  keys: [1, 1, 1],
  acl: counterAcl,
  doc: {
    summary: "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.",
    since: '2.6.0',
    group: 'string',
    complexity: 'O(1)',
    arguments: [keyArg(), arg('increment', 'double')],
  },
  // No check(): Redis looks the key up and answers WRONGTYPE before it
  // parses the increment (incrbyfloatCommand), so a bad increment is only
  // known to be the reply once the key's type is.
  exec(ctx, argv) {
    const key = keyString(argv[1]);
    const cur = writeLookup(ctx, key);
    if (isErr(cur)) return cur;
    // Redis adds in C long double (80-bit on x86-64) and stores the
    // "%.17Lf"-trimmed text: long-double.ts emulates both exactly.
    const value = cur === undefined ? 0 : parseLongDouble(cur.value);
    const by = parseLongDouble(argv[2]);
    if (value === null || by === null) return ERR_NOT_FLOAT;
    const result = addLongDouble(value, by);
    if (isNanOrInf(result)) return ERR_INCR_NAN;
    const text = Buffer.from(formatLongDoubleHuman(result), 'latin1');
    ctx.db.set(key, stringValue(text, createdStringEncoding(text)), ctx.index, true); // createStringObjectFromLongDouble
    return text;
  },
});

export const stringCommands: DataCommand[] = [
  get,
  set,
  setnx,
  setex,
  psetex,
  getset,
  getdel,
  getex,
  mget,
  mset,
  msetnx,
  append,
  strlen,
  getrange,
  substr,
  setrange,
  incr,
  decr,
  incrby,
  decrby,
  incrbyfloat,
];
