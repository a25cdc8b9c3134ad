import { ErrorReply, isError as isErr, OK, SimpleString, type Reply } from '../../protocol/reply';
import { ERR_DB_INDEX, ERR_NOT_INTEGER, ERR_NO_SUCH_KEY, ERR_SYNTAX, WRONGTYPE, errInvalidExpire } from '../../protocol/errors';
import { NO_EXPIRE, deadline, keyBuffer, keyString, sharedString, type Database, type Deadline, type Value } from '../keyspace';
import { lookupRead, type ArgDoc, type CommandDoc, type DataCommand, type ExecContext } from './types';
import { arg, defineCommand, keyArg, oneOf, pureToken } from './define';
import {
  ERR_EXPIRE_GT_LT,
  ERR_EXPIRE_NX,
  ERR_FIRST_DB,
  ERR_INVALID_CURSOR,
  ERR_SAME_OBJECT,
  ERR_SECOND_DB,
  errUnsupportedOption,
} from './errors';
import { PEXPIREAT, msBuffer } from './expire-args';
import { globMatchString } from './glob';
import { stringObjectEncoding } from './string-encoding';
import { INT64_MAX, INT64_MIN, isToken, parseInt64 } from './util';


const KEYSPACE_READ = ['@keyspace', '@read'];
const KEYSPACE_WRITE = ['@keyspace', '@write'];

function genericDoc(summary: string, since: string, complexity: string, args: ArgDoc[], group: CommandDoc['group'] = 'generic'): CommandDoc {
  return { summary, since, group, complexity, arguments: args };
}

/** Redis getIntFromObject: an int64 within C int range. */
function parseInt32(b: Buffer): number | null {
  const v = parseInt64(b);
  if (v === null || typeof v !== 'number' || v < -2147483648 || v > 2147483647) return null;
  return v;
}

// ------------------------------------------------------------ DEL / EXISTS

function deleteKeys(ctx: ExecContext, argv: Buffer[]): Reply {
  let n = 0;
  for (let i = 1; i < argv.length; i++) {
    const key = keyString(argv[i]);
    // An expired key is deleted by the lookup but does not count (Redis expireIfNeeded).
    if (ctx.db.lookupWrite(key, ctx.now, ctx.index) !== undefined && ctx.db.delete(key, ctx.index)) n++;
  }
  return n;
}

const del = defineCommand({
  name: 'del',
  arity: -2,
  flags: ['write'],
  keys: [1, -1, 1],
  acl: [...KEYSPACE_WRITE, '@slow'],
  doc: genericDoc(
    'Deletes one or more keys.',
    '1.0.0',
    'O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).',
    [keyArg('key', { multiple: true })],
  ),
  exec: deleteKeys,
});

const unlink = defineCommand({
  name: 'unlink',
  arity: -2,
  flags: ['write', 'fast'],
  keys: [1, -1, 1],
  acl: [...KEYSPACE_WRITE, '@fast'],
  doc: genericDoc(
    'Asynchronously deletes one or more keys.',
    '4.0.0',
    'O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.',
    [keyArg('key', { multiple: true })],
  ),
  exec: deleteKeys,
});

/**
 * Compare-and-delete: delete `key` only if its string value equals (or, for
 * IFNE, differs from) `value`. The safe way to release a lock you set.
 * Returns 1 when deleted. A missing key is deleted by nothing.
 */
function deleteIfCompare(ctx: ExecContext, argv: Buffer[], kind: 'ifeq' | 'ifne' | 'always', value: Buffer | undefined): Reply {
  const key = keyString(argv[1]);
  const cur = ctx.db.lookupWrite(key, ctx.now, ctx.index);
  if (cur === undefined) return 0;
  if (kind !== 'always') {
    if (cur.type !== 'string') return WRONGTYPE;
    if (cur.equals(value!) !== (kind === 'ifeq')) return 0;
  }
  return ctx.db.delete(key, ctx.index) ? 1 : 0;
}

/** DELEX key [IFEQ value | IFNE value] (Redis 8.4). */
function parseDelex(argv: Buffer[]): { kind: 'ifeq' | 'ifne' | 'always'; value: Buffer | undefined } | ErrorReply {
  if (argv.length === 2) return { kind: 'always', value: undefined };
  if (argv.length === 4 && (isToken(argv[2], 'ifeq') || isToken(argv[2], 'ifne'))) {
    return { kind: isToken(argv[2], 'ifeq') ? 'ifeq' : 'ifne', value: argv[3] };
  }
  return argv.length === 3 || argv.length > 4 ? new ErrorReply("ERR wrong number of arguments for 'delex' command") : ERR_SYNTAX;
}

const delex = defineCommand({
  name: 'delex',
  arity: -2,
  flags: ['write', 'fast'],
  keys: [1, 1, 1],
  acl: [...KEYSPACE_WRITE, '@string', '@fast'],
  doc: genericDoc('Conditionally removes the specified key based on value comparison.', '8.4.0', 'O(1)', [
    keyArg(),
    oneOf('condition', [arg('ifeq-value', 'string', { token: 'IFEQ' }), arg('ifne-value', 'string', { token: 'IFNE' })], { optional: true }),
  ]),
  check(argv) {
    const p = parseDelex(argv);
    return p instanceof ErrorReply ? p : null;
  },
  exec(ctx, argv) {
    const p = parseDelex(argv);
    if (p instanceof ErrorReply) return p;
    return deleteIfCompare(ctx, argv, p.kind, p.value);
  },
});

/** DELIFEQ key value (Valkey 9): delete the key if its value equals `value`. */
const delifeq = defineCommand({
  name: 'delifeq',
  arity: 3,
  flags: ['write', 'fast'],
  keys: [1, 1, 1],
  acl: [...KEYSPACE_WRITE, '@string', '@fast'],
  doc: genericDoc('Deletes the key if its value is equal to the given value.', '9.0.0', 'O(1)', [keyArg(), arg('value', 'string')]),
  exec: (ctx, argv) => deleteIfCompare(ctx, argv, 'ifeq', argv[2]),
});

const exists = defineCommand({
  name: 'exists',
  arity: -2,
  flags: ['readonly', 'fast'],
  keys: [1, -1, 1],
  acl: [...KEYSPACE_READ, '@fast'],
  doc: genericDoc('Determines whether one or more keys exist.', '1.0.0', 'O(N) where N is the number of keys to check.', [
    keyArg('key', { multiple: true }),
  ]),
  exec(ctx, argv) {
    let n = 0;
    for (let i = 1; i < argv.length; i++) if (lookupRead(ctx, keyString(argv[i]), true) !== undefined) n++;
    return n;
  },
});

const touch = defineCommand({
  name: 'touch',
  arity: -2,
  flags: ['readonly', 'fast'],
  keys: [1, -1, 1],
  acl: [...KEYSPACE_READ, '@fast'],
  doc: genericDoc(
    'Returns the number of existing keys out of those specified after updating the time they were last accessed.',
    '3.2.1',
    'O(N) where N is the number of keys that will be touched.',
    [keyArg('key', { multiple: true })],
  ),
  exec(ctx, argv) {
    let n = 0;
    for (let i = 1; i < argv.length; i++) if (lookupRead(ctx, keyString(argv[i])) !== undefined) n++;
    return n;
  },
});

const type = defineCommand({
  name: 'type',
  arity: 2,
  flags: ['readonly', 'fast'],
  keys: [1, 1, 1],
  acl: [...KEYSPACE_READ, '@fast'],
  doc: genericDoc('Determines the type of value stored at a key.', '1.0.0', 'O(1)', [keyArg()]),
  exec(ctx, argv) {
    const v = lookupRead(ctx, keyString(argv[1]), true);
    return new SimpleString(v === undefined ? 'none' : v.type);
  },
});

// ------------------------------------------------------------------ EXPIRE

interface ExpireFlags {
  nx: boolean;
  xx: boolean;
  gt: boolean;
  lt: boolean;
}

/** NX | XX | GT | LT after argv[2] (expire.c parseExtendedExpireArgumentsOrReply). */
function parseExpireFlags(argv: Buffer[]): ExpireFlags | ErrorReply {
  const f: ExpireFlags = { nx: false, xx: false, gt: false, lt: false };
  for (let j = 3; j < argv.length; j++) {
    const a = argv[j];
    if (isToken(a, 'nx')) f.nx = true;
    else if (isToken(a, 'xx')) f.xx = true;
    else if (isToken(a, 'gt')) f.gt = true;
    else if (isToken(a, 'lt')) f.lt = true;
    else return errUnsupportedOption(a);
  }
  if (f.nx && (f.xx || f.gt || f.lt)) return ERR_EXPIRE_NX;
  if (f.gt && f.lt) return ERR_EXPIRE_GT_LT;
  return f;
}

/**
 * The absolute deadline in ms (expireGenericCommand): seconds must not
 * overflow when converted, the sum with the base time must fit in int64.
 * Exact: a bigint past 2^53 (keyspace Deadline).
 */
function expireWhen(value: Buffer, seconds: boolean, base: number, command: string): Deadline | ErrorReply {
  const v = parseInt64(value);
  if (v === null) return ERR_NOT_INTEGER;
  if (typeof v === 'number' && Number.isSafeInteger(v * 1000 + base)) return (seconds ? v * 1000 : v) + base;
  let when = BigInt(v);
  if (seconds) {
    if (when > INT64_MAX / 1000n || when < INT64_MIN / 1000n) return errInvalidExpire(command);
    when *= 1000n;
  }
  if (when > INT64_MAX - BigInt(base)) return errInvalidExpire(command);
  return deadline(when + BigInt(base));
}

function expireCommand(name: string, seconds: boolean, relative: boolean, summary: string, since: string, valueArg: ArgDoc): DataCommand {
  const check = (argv: Buffer[]): ErrorReply | null => {
    const f = parseExpireFlags(argv);
    if (isErr(f)) return f;
    const w = expireWhen(argv[2], seconds, 0, name);
    return isErr(w) ? w : null;
  };
  return defineCommand({
    name,
    arity: -3,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    acl: [...KEYSPACE_WRITE, '@fast'],
    doc: genericDoc(summary, since, 'O(1)', [
      keyArg(),
      valueArg,
      oneOf(
        'condition',
        [pureToken('nx', 'NX'), pureToken('xx', 'XX'), pureToken('gt', 'GT'), pureToken('lt', 'LT')],
        { optional: true, since: '7.0.0' },
      ),
    ]),
    check,
    rewrite(argv, now) {
      if (!relative && !seconds) return argv;
      const when = expireWhen(argv[2], seconds, relative ? now : 0, name);
      if (isErr(when)) return argv; // exec reports the overflow deterministically
      return [PEXPIREAT, argv[1], msBuffer(when), ...argv.slice(3)];
    },
    exec(ctx, argv) {
      const f = parseExpireFlags(argv);
      if (isErr(f)) return f;
      const when = expireWhen(argv[2], seconds, relative ? ctx.now : 0, name);
      if (isErr(when)) return when;
      const key = keyString(argv[1]);
      if (ctx.db.lookupWrite(key, ctx.now, ctx.index) === undefined) return 0;
      const current = ctx.db.getDeadline(key); // NO_EXPIRE (-1) plays Redis's -1
      if (f.nx && current !== NO_EXPIRE) return 0;
      if (f.xx && current === NO_EXPIRE) return 0;
      if (f.gt && (current === NO_EXPIRE || when <= current)) return 0;
      if (f.lt && current !== NO_EXPIRE && when >= current) return 0;
      if (when <= ctx.now) ctx.db.delete(key, ctx.index);
      else ctx.db.setExpire(key, when, ctx.index);
      return 1;
    },
  });
}

const expire = expireCommand('expire', true, true, 'Sets the expiration time of a key in seconds.', '1.0.0', arg('seconds', 'integer'));
const pexpire = expireCommand(
  'pexpire',
  false,
  true,
  'Sets the expiration time of a key in milliseconds.',
  '2.6.0',
  arg('milliseconds', 'integer'),
);
const expireat = expireCommand(
  'expireat',
  true,
  false,
  'Sets the expiration time of a key to a Unix timestamp.',
  '1.2.0',
  arg('unix-time-seconds', 'unix-time'),
);
const pexpireat = expireCommand(
  'pexpireat',
  false,
  false,
  'Sets the expiration time of a key to a Unix milliseconds timestamp.',
  '2.6.0',
  arg('unix-time-milliseconds', 'unix-time'),
);

/** TTL, PTTL, EXPIRETIME, PEXPIRETIME (expire.c ttlGenericCommand). */
function ttlCommand(name: string, ms: boolean, absolute: boolean, summary: string, since: string): DataCommand {
  return defineCommand({
    name,
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    acl: [...KEYSPACE_READ, '@fast'],
    doc: genericDoc(summary, since, 'O(1)', [keyArg()]),
    exec(ctx, argv) {
      const key = keyString(argv[1]);
      if (lookupRead(ctx, key, true) === undefined) return -2;
      const at = ctx.db.getDeadline(key);
      if (at === NO_EXPIRE) return -1;
      if (typeof at === 'bigint') {
        // Past 2^53 ms: int64 arithmetic as Redis does it (C division truncates; the value is positive).
        const ttl = absolute ? at : at - BigInt(ctx.now);
        return deadline(ms ? ttl : (ttl + 500n) / 1000n);
      }
      let ttl = absolute ? at : at - ctx.now;
      if (ttl < 0) ttl = 0;
      return ms ? ttl : Math.floor((ttl + 500) / 1000);
    },
  });
}

const ttl = ttlCommand('ttl', false, false, 'Returns the expiration time in seconds of a key.', '1.0.0');
const pttl = ttlCommand('pttl', true, false, 'Returns the expiration time in milliseconds of a key.', '2.6.0');
const expiretime = ttlCommand('expiretime', false, true, 'Returns the expiration time of a key as a Unix timestamp.', '7.0.0');
const pexpiretime = ttlCommand(
  'pexpiretime',
  true,
  true,
  'Returns the expiration time of a key as a Unix milliseconds timestamp.',
  '7.0.0',
);

const persist = defineCommand({
  name: 'persist',
  arity: 2,
  flags: ['write', 'fast'],
  keys: [1, 1, 1],
  acl: [...KEYSPACE_WRITE, '@fast'],
  doc: genericDoc('Removes the expiration time of a key.', '2.2.0', 'O(1)', [keyArg()]),
  exec(ctx, argv) {
    const key = keyString(argv[1]);
    if (ctx.db.lookupWrite(key, ctx.now, ctx.index) === undefined) return 0;
    return ctx.db.removeExpire(key, ctx.index) ? 1 : 0;
  },
});

// ------------------------------------------------------- KEYS / SCAN / RANDOMKEY

const keys = defineCommand({
  name: 'keys',
  arity: 2,
  flags: ['readonly'],
  keys: [0, 0, 0],
  acl: [...KEYSPACE_READ, '@slow', '@dangerous'],
  doc: genericDoc(
    'Returns all key names that match a pattern.',
    '1.0.0',
    'O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.',
    [arg('pattern', 'pattern')],
  ),
  exec(ctx, argv) {
    const pattern = argv[1].toString('latin1');
    const all = pattern === '*';
    const out: Reply[] = [];
    for (const key of ctx.db.keys()) {
      if ((all || globMatchString(pattern, key)) && ctx.db.lookupRead(key, ctx.now) !== undefined) out.push(keyBuffer(key));
    }
    return out;
  },
});

/**
 * A SCAN/HSCAN/SSCAN/ZSCAN cursor as Redis 7.0's parseScanCursorOrReply
 * reads it: strtoul(ptr, &eptr, 10) on the C string, so it ends at the first
 * NUL byte ("5\0x" is 5, "\0" is 0: checked against redis-server 7.0.15);
 * rejected if the first byte is a space (isspace), if anything but the end
 * follows the digits, or on ERANGE. strtoul takes a sign: "-N" wraps to
 * 2^64 - N ("-0" is 0), a magnitude past 2^64-1 is ERANGE either way. No
 * digits at all leaves eptr at the start, so only an empty C string is
 * cursor 0 then ("+" and "-" are invalid). Null when invalid.
 */
export function parseCursor(b: Buffer): bigint | null {
  const nul = b.indexOf(0);
  const s = (nul < 0 ? b : b.subarray(0, nul)).toString('latin1');
  if (s === '') return 0n;
  const m = /^([+-]?)(\d+)$/.exec(s);
  if (m === null) return null;
  const v = BigInt(m[2]);
  if (v > U64_MAX) return null;
  return m[1] === '-' ? (U64_MAX + 1n - v) & U64_MAX : v;
}

const U64_MAX = 0xffffffffffffffffn;

interface ScanOptions {
  cursor: bigint;
  count: number;
  pattern: string | null;
  type: string | null;
}

/** SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] (db.c scanGenericCommand). */
function parseScan(argv: Buffer[]): ScanOptions | ErrorReply {
  const cursor = parseCursor(argv[1]);
  if (cursor === null) return ERR_INVALID_CURSOR;
  const o: ScanOptions = { cursor, count: 10, pattern: null, type: null };
  for (let i = 2; i < argv.length; i += 2) {
    const a = argv[i];
    const hasValue = argv.length - i >= 2;
    if (isToken(a, 'count') && hasValue) {
      const n = parseInt64(argv[i + 1]);
      if (n === null) return ERR_NOT_INTEGER;
      if (n < 1) return ERR_SYNTAX;
      o.count = Number(n);
    } else if (isToken(a, 'match') && hasValue) {
      const p = argv[i + 1].toString('latin1');
      o.pattern = p === '*' ? null : p;
    } else if (isToken(a, 'type') && hasValue) {
      o.type = argv[i + 1].toString('latin1').toLowerCase();
    } else {
      return ERR_SYNTAX;
    }
  }
  return o;
}

const scan = defineCommand({
  name: 'scan',
  arity: -2,
  flags: ['readonly'],
  keys: [0, 0, 0],
  acl: [...KEYSPACE_READ, '@slow'],
  doc: genericDoc(
    'Iterates over the key names in the database.',
    '2.8.0',
    'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.',
    [
      arg('cursor', 'integer'),
      arg('pattern', 'pattern', { token: 'MATCH', optional: true }),
      arg('count', 'integer', { token: 'COUNT', optional: true }),
      arg('type', 'string', { token: 'TYPE', optional: true, since: '6.0.0' }),
    ],
  ),
  check(argv) {
    const o = parseScan(argv);
    return isErr(o) ? o : null;
  },
  exec(ctx, argv) {
    const o = parseScan(argv);
    if (isErr(o)) return o;
    // Cursors are positions in 32-bit hash space; anything larger is past the end.
    const step = o.cursor < 0x100000000n ? ctx.db.scan(Number(o.cursor), o.count) : { cursor: 0, keys: [] };
    const out: Reply[] = [];
    for (const key of step.keys) {
      if (o.pattern !== null && !globMatchString(o.pattern, key)) continue;
      const v = ctx.db.lookupRead(key, ctx.now);
      if (v === undefined || (o.type !== null && v.type !== o.type)) continue;
      out.push(keyBuffer(key));
    }
    return [String(step.cursor), out];
  },
});

const randomkey = defineCommand({
  name: 'randomkey',
  arity: 1,
  flags: ['readonly'],
  keys: [0, 0, 0],
  acl: [...KEYSPACE_READ, '@slow'],
  doc: genericDoc('Returns a random key name from the database.', '1.0.0', 'O(1)', []),
  // A read: it never reaches the log, so local randomness is fine here.
  exec(ctx) {
    const key = ctx.db.randomKey(ctx.now, Math.random);
    return key === null ? null : keyBuffer(key);
  },
});

// ------------------------------------------------------------ RENAME / COPY / MOVE

function rename(ctx: ExecContext, argv: Buffer[], nx: boolean): Reply {
  const src = keyString(argv[1]);
  const dst = keyString(argv[2]);
  const db = ctx.db;
  const value = db.lookupWrite(src, ctx.now, ctx.index);
  if (value === undefined) return ERR_NO_SUCH_KEY;
  if (src === dst) return nx ? 0 : OK;
  const at = db.getDeadline(src);
  if (db.lookupWrite(dst, ctx.now, ctx.index) !== undefined) {
    if (nx) return 0;
    db.delete(dst, ctx.index);
  }
  db.delete(src, ctx.index);
  db.set(dst, value, ctx.index);
  if (at !== NO_EXPIRE) db.setExpire(dst, at, ctx.index);
  return nx ? 1 : OK;
}

const renameCmd = defineCommand({
  name: 'rename',
  arity: 3,
  flags: ['write'],
  keys: [1, 2, 1],
  acl: [...KEYSPACE_WRITE, '@slow'],
  doc: genericDoc('Renames a key and overwrites the destination.', '1.0.0', 'O(1)', [keyArg(), keyArg('newkey')]),
  exec: (ctx, argv) => rename(ctx, argv, false),
});

const renamenx = defineCommand({
  name: 'renamenx',
  arity: 3,
  flags: ['write', 'fast'],
  keys: [1, 2, 1],
  acl: [...KEYSPACE_WRITE, '@fast'],
  doc: genericDoc("Renames a key only when the target key name doesn't exist.", '1.0.0', 'O(1)', [keyArg(), keyArg('newkey')]),
  exec: (ctx, argv) => rename(ctx, argv, true),
});

/** A copy of a value that shares no mutable state with the original. */
function cloneValue(v: Value): Value {
  switch (v.type) {
    case 'string':
      // Stored bytes are immutable; the copy owns no spare capacity. Redis's dupStringObject keeps the
      // encoding, but an int copy is its own object (refcount 1), never a shared integer.
      return sharedString(v, stringObjectEncoding(v).encoding);
    default:
      return v.clone();
  }
}

interface CopyOptions {
  replace: boolean;
  db: number | null;
}

/**
 * COPY's options in Redis's order (db.c copyCommand): each DB value is read
 * and range-checked as soon as it is met, so `DB -1 DB x` is "DB index is
 * out of range" and `DB -1 DB` never reaches the syntax error. `dbCount` is
 * the number of databases, or null in `check` (before the config is known
 * there): an index >= 1 may or may not exist, so checking stops there and
 * exec decides.
 */
function parseCopy(argv: Buffer[], dbCount: number | null): CopyOptions | ErrorReply | null {
  const o: CopyOptions = { replace: false, db: null };
  for (let j = 3; j < argv.length; j++) {
    if (isToken(argv[j], 'replace')) {
      o.replace = true;
    } else if (isToken(argv[j], 'db') && j + 1 < argv.length) {
      const n = parseInt32(argv[j + 1]);
      if (n === null) return ERR_NOT_INTEGER;
      if (n < 0 || (dbCount !== null && n >= dbCount)) return ERR_DB_INDEX;
      if (dbCount === null && n > 0) return null;
      o.db = n;
      j++;
    } else {
      return ERR_SYNTAX;
    }
  }
  return o;
}

function dbAt(ctx: ExecContext, n: number): Database | undefined {
  return n >= 0 && n < ctx.keyspace.dbs.length ? ctx.keyspace.dbs[n] : undefined;
}

const copy = defineCommand({
  name: 'copy',
  arity: -3,
  flags: ['write', 'denyoom'],
  keys: [1, 2, 1],
  acl: [...KEYSPACE_WRITE, '@slow'],
  doc: genericDoc(
    'Copies the value of a key to a new key.',
    '6.2.0',
    'O(N) worst case for collections, where N is the number of nested items. O(1) for string values.',
    [
      keyArg('source'),
      keyArg('destination'),
      arg('destination-db', 'integer', { token: 'DB', optional: true }),
      pureToken('replace', 'REPLACE', { optional: true }),
    ],
  ),
  check(argv) {
    const o = parseCopy(argv, null);
    return o !== null && isErr(o) ? o : null;
  },
  exec(ctx, argv) {
    const o = parseCopy(argv, ctx.keyspace.dbs.length);
    if (o === null) return ERR_DB_INDEX; // not reached: with a db count, parseCopy always decides
    if (isErr(o)) return o;
    const dst = o.db === null ? ctx.db : dbAt(ctx, o.db);
    if (dst === undefined) return ERR_DB_INDEX;
    const src = keyString(argv[1]);
    const to = keyString(argv[2]);
    if (dst === ctx.db && src === to) return ERR_SAME_OBJECT;
    const value = ctx.db.lookupWrite(src, ctx.now, ctx.index);
    if (value === undefined) return 0;
    const at = ctx.db.getDeadline(src);
    if (dst.lookupWrite(to, ctx.now, ctx.index) !== undefined) {
      if (!o.replace) return 0;
      dst.delete(to, ctx.index);
    }
    dst.set(to, cloneValue(value), ctx.index);
    if (at !== NO_EXPIRE) dst.setExpire(to, at, ctx.index);
    return 1;
  },
});

const move = defineCommand({
  name: 'move',
  arity: 3,
  flags: ['write', 'fast'],
  keys: [1, 1, 1],
  acl: [...KEYSPACE_WRITE, '@fast'],
  doc: genericDoc('Moves a key to another database.', '1.0.0', 'O(1)', [keyArg(), arg('db', 'integer')]),
  check: (argv) => (parseInt32(argv[2]) === null ? ERR_NOT_INTEGER : null),
  exec(ctx, argv) {
    const n = parseInt32(argv[2]);
    if (n === null) return ERR_NOT_INTEGER;
    const dst = dbAt(ctx, n);
    if (dst === undefined) return ERR_DB_INDEX;
    if (dst === ctx.db) return ERR_SAME_OBJECT;
    const key = keyString(argv[1]);
    const value = ctx.db.lookupWrite(key, ctx.now, ctx.index);
    if (value === undefined) return 0;
    if (dst.lookupWrite(key, ctx.now, ctx.index) !== undefined) return 0;
    const at = ctx.db.getDeadline(key);
    ctx.db.delete(key, ctx.index);
    dst.set(key, value, ctx.index);
    if (at !== NO_EXPIRE) dst.setExpire(key, at, ctx.index);
    return 1;
  },
});

// ------------------------------------------------------------ whole databases

const dbsize = defineCommand({
  name: 'dbsize',
  arity: 1,
  flags: ['readonly', 'fast'],
  keys: [0, 0, 0],
  acl: [...KEYSPACE_READ, '@fast'],
  doc: genericDoc('Returns the number of keys in the database.', '1.0.0', 'O(1)', [], 'server'),
  exec: (ctx) => ctx.db.size(),
});

/** FLUSHDB/FLUSHALL [ASYNC|SYNC] (db.c getFlushCommandFlags). Both modes flush at once here. */
function checkFlush(argv: Buffer[]): ErrorReply | null {
  if (argv.length === 1) return null;
  if (argv.length === 2 && (isToken(argv[1], 'sync') || isToken(argv[1], 'async'))) return null;
  return ERR_SYNTAX;
}

const flushArgs = [
  oneOf('flush-type', [pureToken('async', 'ASYNC', { since: '4.0.0' }), pureToken('sync', 'SYNC', { since: '6.2.0' })], {
    optional: true,
  }),
];

const flushdb = defineCommand({
  name: 'flushdb',
  arity: -1,
  flags: ['write'],
  keys: [0, 0, 0],
  acl: [...KEYSPACE_WRITE, '@slow', '@dangerous'],
  doc: genericDoc('Remove all keys from the current database.', '1.0.0', 'O(N) where N is the number of keys in the selected database', flushArgs, 'server'),
  check: checkFlush,
  exec(ctx, argv) {
    const bad = checkFlush(argv);
    if (bad) return bad;
    ctx.db.flush(ctx.index);
    return OK;
  },
});

const flushall = defineCommand({
  name: 'flushall',
  arity: -1,
  flags: ['write'],
  keys: [0, 0, 0],
  acl: [...KEYSPACE_WRITE, '@slow', '@dangerous'],
  doc: genericDoc('Removes all keys from all databases.', '1.0.0', 'O(N) where N is the total number of keys in all databases', flushArgs, 'server'),
  check: checkFlush,
  exec(ctx, argv) {
    const bad = checkFlush(argv);
    if (bad) return bad;
    ctx.keyspace.flushAll(ctx.index);
    return OK;
  },
});

function parseSwap(argv: Buffer[]): [number, number] | ErrorReply {
  const a = parseInt32(argv[1]);
  if (a === null) return ERR_FIRST_DB;
  const b = parseInt32(argv[2]);
  if (b === null) return ERR_SECOND_DB;
  return [a, b];
}

const swapdb = defineCommand({
  name: 'swapdb',
  arity: 3,
  flags: ['write', 'fast'],
  keys: [0, 0, 0],
  acl: [...KEYSPACE_WRITE, '@fast', '@dangerous'],
  doc: genericDoc(
    'Swaps two Redis databases.',
    '4.0.0',
    'O(N) where N is the count of clients watching or blocking on keys from both databases.',
    [arg('index1', 'integer'), arg('index2', 'integer')],
    'server',
  ),
  check(argv) {
    const r = parseSwap(argv);
    return isErr(r) ? r : null;
  },
  exec(ctx, argv) {
    const r = parseSwap(argv);
    if (isErr(r)) return r;
    const n = ctx.keyspace.dbs.length;
    const [a, b] = r;
    if (a < 0 || a >= n || b < 0 || b >= n) return ERR_DB_INDEX;
    if (a !== b) ctx.keyspace.swapDb(a, b, ctx.index);
    return OK;
  },
});

export const keyCommands: DataCommand[] = [
  del,
  unlink,
  delex,
  delifeq,
  exists,
  touch,
  type,
  expire,
  pexpire,
  expireat,
  pexpireat,
  ttl,
  pttl,
  expiretime,
  pexpiretime,
  persist,
  keys,
  scan,
  randomkey,
  renameCmd,
  renamenx,
  copy,
  move,
  dbsize,
  flushdb,
  flushall,
  swapdb,
];
