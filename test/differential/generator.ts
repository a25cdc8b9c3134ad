/**
 * Seeded random command sequences for the differential test (raftcache vs a
 * real redis-server). Command families are data: a family is a list of
 * templates, each a command name and an argument generator. Every family
 * draws keys from the same eight names, so a hash command lands on a key a
 * list command created and wrong-type replies happen without being asked for.
 *
 * A sequence is a pure function of (seed, family names, count): the failing
 * seed reproduces with the same three values.
 *
 * Left out on purpose:
 * - blocking commands (BLPOP, BRPOP, BLMOVE, BZPOPMIN, ...): on a single
 *   connection they either return at once (then they are LPOP/ZPOPMIN, which
 *   we test) or block for a timeout, whose end is a race between two servers;
 * - commands whose replies describe the server, not the data (INFO, MEMORY
 *   USAGE, OBJECT IDLETIME/FREQ, DEBUG, CLIENT, CONFIG): they must differ;
 * - SELECT/MOVE/SWAPDB (raftcache has one database), DUMP/RESTORE (the
 *   payload embeds LZF compression and an RDB version, a format of its own),
 *   expiry shorter than a few minutes (the moment a key expires would race
 *   with the commands of the sequence on two servers).
 */

import { hllFamily } from './gen-hll';
import { geoFamily } from './gen-geo';
import { functionsFamily } from './gen-functions';
import { opsFamily } from './gen-ops';
import { dumpFamily } from './gen-dump';
import { streamFamily } from './gen-stream';
import { streamSurfaceFamily } from './gen-stream-surface';

/** mulberry32: small, fast, and good enough to pick commands. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = (seed ^ 0x9e3779b9) >>> 0;
    for (let i = 0; i < 4; i++) this.next();
  }
  /** A uint32. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.next() / 0x100000000) * n);
  }
  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() / 0x100000000 < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}

/** The eight keys every family shares. One is binary (NUL and 0xff bytes), one has a hash tag. */
export const KEYS: readonly string[] = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6', '{k}7', 'k\x00\xff'];

/** Values for string-like arguments: empty, binary, numeric-looking, encoding boundaries (44 = embstr, 64 = listpack value). */
const VALUES: readonly string[] = [
  '', 'a', 'b', 'hello', 'foo bar', '0', '1', '-1', '10', '42', '007', '-0', '+5', ' 7', '7 ', '0x1f', '3.14', '1e3', '1e400',
  'inf', '-inf', 'nan', '9223372036854775807', '-9223372036854775808', '9223372036854775808', '18446744073709551616',
  '\x00', '\xff\x00\r\n', 'x'.repeat(44), 'x'.repeat(45), 'y'.repeat(64), 'y'.repeat(65), 'z'.repeat(200),
];

/** Members and fields: a small pool so that collections overlap; integers keep intsets intsets, one long member converts encodings. */
const MEMBERS: readonly string[] = ['a', 'b', 'c', 'd', 'e', '1', '2', '3', '10', '-1', '', '\x00b', 'm'.repeat(70)];

const INTS: readonly string[] = [
  '0', '1', '-1', '2', '3', '5', '10', '-5', '100', '9223372036854775807', '-9223372036854775808', '9223372036854775808',
  'abc', '', '1.5', ' 1', '0x10', '-0', '+1', '007',
];

const FLOATS: readonly string[] = [
  '0', '1', '1.5', '-2.5', '1e2', '10.5', '0.1', '3', 'inf', '-inf', '+inf', 'nan', 'abc', '', '1e400', '-1e-400', ' 1',
  '1.0e', '.5', '5.', '5.0e3',
];

/**
 * Increments whose sum needs more than a double's 17 digits or range: Redis
 * adds in 80-bit long double (server/commands/long-double.ts emulates it),
 * up to ~1.19e4932 and down to subnormals near 3.6e-4951; hex literals too.
 */
const HUGE_FLOATS: readonly string[] = [
  '17976931348623157e292', '1e30', '123456789012345678901234', '1.5e300', '-1e25', '1e400', '1e4932', '-1e4932',
  '0x1.8p3', '1e-30', '3.6e-4951', '9223372036854775807.5',
];

/** List/string/rank indexes: in range, negative, far out of range, 64-bit limits, not a number. */
const INDEXES: readonly string[] = ['0', '1', '2', '3', '-1', '-2', '-3', '-100', '100', '9223372036854775807', '-9223372036854775808', 'x', '1.5'];

/** Counts for COUNT-like arguments. */
const COUNTS: readonly string[] = ['0', '1', '2', '3', '5', '10', '-1', '-3', '-10', 'x', '9223372036854775807', '-9223372036854775808'];

/**
 * Expiry amounts: long enough never to lapse during a run, or zero/negative
 * (the key goes at once), or out of range (errors). Absolute times are fixed
 * far past/future instants so sequences do not depend on the clock.
 */
const SECONDS: readonly string[] = ['100', '1000', '86400', '0', '-1', '-100', 'x', '9223372036854775807', '9223372036854775', '1.5'];
const MILLIS: readonly string[] = ['100000', '1000000', '86400000', '0', '-1', 'x', '9223372036854775807', '9223372036854775808'];
const UNIX_SECONDS: readonly string[] = ['1', '1000000000', '4102444800', '32503680000', '0', '-1', '9223372036854775807', 'x'];
const UNIX_MILLIS: readonly string[] = ['1', '1000000000000', '4102444800000', '32503680000000', '0', '-1', '9223372036854775808', 'x'];
/** Valid deadlines past 2^53 ms (exact int64 in every reply: not representable as a double). */
const HUGE_MILLIS: readonly string[] = ['9223372036854775807', '9223372036854775', '9007199254740993'];

/** Glob patterns for MATCH/KEYS: everything, prefixes, classes, escapes, a pattern matching nothing. */
const PATTERNS: readonly string[] = ['*', 'k*', 'k[1-3]', '?', '*1*', '{k}*', 'k\\x', '[^k]*', 'a*', 'nomatch', '', '*\x00*'];

/** Argument builders that templates share. */
export class Gen {
  /** The keys the current family prefers (FAMILY_HOMES), or null for any. */
  home: readonly string[] | null = null;
  constructor(readonly rng: Rng) {}
  /** Mostly one of the family's home keys (so commands meet values of their type), else any key (wrong types). */
  key(): string {
    return this.home && this.rng.chance(0.85) ? this.rng.pick(this.home) : this.rng.pick(KEYS);
  }
  keys(min: number, max: number): string[] {
    return Array.from({ length: this.rng.range(min, max) }, () => this.key());
  }
  value(): string {
    return this.rng.pick(VALUES);
  }
  member(): string {
    return this.rng.pick(MEMBERS);
  }
  members(min: number, max: number): string[] {
    return Array.from({ length: this.rng.range(min, max) }, () => this.member());
  }
  int(): string {
    return this.rng.pick(INTS);
  }
  float(): string {
    return this.rng.pick(FLOATS);
  }
  index(): string {
    return this.rng.pick(INDEXES);
  }
  count(): string {
    return this.rng.pick(COUNTS);
  }
  /**
   * Counts for SRANDMEMBER/HRANDFIELD/ZRANDMEMBER/SPOP: no huge negative
   * count, which asks for that many picks with repetition (gigabytes of reply).
   */
  randCount(): string {
    return this.rng.pick(['0', '1', '2', '3', '5', '10', '200', '-1', '-3', '-10', 'x', '9223372036854775807']);
  }
  seconds(): string {
    return this.rng.pick(SECONDS);
  }
  millis(): string {
    return this.rng.pick(MILLIS);
  }
  unixSeconds(): string {
    return this.rng.pick(UNIX_SECONDS);
  }
  unixMillis(): string {
    return this.rng.pick(UNIX_MILLIS);
  }
  pattern(): string {
    return this.rng.pick(PATTERNS);
  }
  /** A word in random case: Redis matches options and command names case-insensitively. */
  word(w: string): string {
    if (!this.rng.chance(0.3)) return w;
    return this.rng.chance(0.5) ? w.toLowerCase() : [...w].map((c) => (this.rng.chance(0.5) ? c.toLowerCase() : c)).join('');
  }
  /** Mostly `good`, sometimes `bad`: for values that are usually valid. */
  mostly(good: () => string, bad: () => string, pBad = 0.1): string {
    return this.rng.chance(pBad) ? bad() : good();
  }
  /** A run of integer members, enough to cross the size thresholds (128 listpack entries, 512 intset entries). */
  many(): string[] {
    const n = this.rng.pick([20, 129, 130, 513, 600]);
    const start = this.rng.pick([0, 1000]);
    return Array.from({ length: n }, (_, i) => String(start + i));
  }
  /** Options picked in random order, some of them possibly conflicting: a subset of `opts` flattened. */
  options(opts: ReadonlyArray<() => string[]>, maxPicks = 2): string[] {
    const out: string[] = [];
    const n = this.rng.int(maxPicks + 1);
    for (let i = 0; i < n; i++) out.push(...this.rng.pick(opts)());
    return out;
  }
}

export interface Template {
  /** The command name, as generated (case may vary). */
  cmd: string;
  /** Relative frequency within the family (default 1). */
  weight?: number;
  /** The arguments after the command name. */
  args: (g: Gen) => string[];
  /**
   * A raftcache bug this template finds (text names it): left out of
   * sequences unless asked for (--with-known-bugs), so the default run stays
   * green and keeps looking for new differences.
   */
  knownBug?: string;
}

export interface Family {
  name: string;
  /** Whether this family runs when the caller does not choose (blocked families need an explicit --families). */
  defaultOn: boolean;
  templates: Template[];
}

const w = (g: Gen, s: string): string => g.word(s);
const sign = (g: Gen, opts: readonly string[]): string => g.word(g.rng.pick(opts));

/** Options of SET, GETEX, EXPIRE, ZADD ... as small builders. */
const setExpiry = (g: Gen): string[] =>
  g.rng.pick([
    () => [w(g, 'EX'), g.seconds()],
    () => [w(g, 'PX'), g.millis()],
    () => [w(g, 'EXAT'), g.unixSeconds()],
    () => [w(g, 'PXAT'), g.unixMillis()],
    () => [w(g, 'KEEPTTL')],
    () => [w(g, 'EX')],
  ])();

/** SCAN cursors: mostly 0 (a full scan, see normalize.ts), sometimes another valid one or an invalid one. */
const scanCursor = (g: Gen): string => g.mostly(() => '0', () => g.rng.pick(['1', '5', '00', '+0', 'x', '5 ', '0x', '18446744073709551616', '18446744073709551615']), 0.15);
/** Signed and space-led cursors: strtoul (Redis's parseScanCursorOrReply) takes a sign and wraps negatives; a leading space is invalid. */
const oddCursor = (g: Gen): string => g.rng.pick([' 0', ' 5', '-1', '-0', '-18446744073709551615', '-18446744073709551616', '+5', '', '+', '-', '5\x00']);
const scanOptions = (g: Gen, withType: boolean): string[] =>
  g.options(
    [
      () => [w(g, 'MATCH'), g.pattern()],
      () => [w(g, 'COUNT'), g.rng.pick(['1', '2', '10', '0', '-1', 'x'])],
      ...(withType ? [() => [w(g, 'TYPE'), g.rng.pick(['string', 'hash', 'list', 'set', 'zset', 'nosuch'])]] : []),
    ],
    3,
  );

// ---------------------------------------------------------------------------
// strings
// ---------------------------------------------------------------------------
const stringFamily: Family = {
  name: 'string',
  defaultOn: true,
  templates: [
    { cmd: 'GET', weight: 3, args: (g) => [g.key()] },
    {
      cmd: 'SET',
      weight: 4,
      args: (g) => [g.key(), g.value(), ...g.options([() => [w(g, 'NX')], () => [w(g, 'XX')], () => [w(g, 'GET')], () => setExpiry(g), () => setExpiry(g)], 3)],
    },
    { cmd: 'SETNX', args: (g) => [g.key(), g.value()] },
    { cmd: 'SETEX', args: (g) => [g.key(), g.seconds(), g.value()] },
    { cmd: 'PSETEX', args: (g) => [g.key(), g.millis(), g.value()] },
    { cmd: 'GETSET', args: (g) => [g.key(), g.value()] },
    { cmd: 'GETDEL', args: (g) => [g.key()] },
    { cmd: 'GETEX', args: (g) => [g.key(), ...g.options([() => setExpiry(g), () => [w(g, 'PERSIST')], () => setExpiry(g)], 2)] },
    { cmd: 'MGET', args: (g) => g.keys(1, 4) },
    { cmd: 'MSET', args: (g) => g.keys(1, 3).flatMap((k) => [k, g.value()]) },
    { cmd: 'MSETNX', args: (g) => g.keys(1, 3).flatMap((k) => [k, g.value()]) },
    { cmd: 'INCR', weight: 2, args: (g) => [g.key()] },
    { cmd: 'DECR', args: (g) => [g.key()] },
    { cmd: 'INCRBY', weight: 2, args: (g) => [g.key(), g.int()] },
    { cmd: 'DECRBY', args: (g) => [g.key(), g.int()] },
    { cmd: 'INCRBYFLOAT', weight: 2, args: (g) => [g.key(), g.mostly(() => g.float(), () => g.rng.pick(HUGE_FLOATS))] },
    { cmd: 'APPEND', weight: 2, args: (g) => [g.key(), g.value()] },
    { cmd: 'STRLEN', args: (g) => [g.key()] },
    { cmd: 'GETRANGE', args: (g) => [g.key(), g.index(), g.index()] },
    { cmd: 'SUBSTR', args: (g) => [g.key(), g.index(), g.index()] },
    {
      cmd: 'SETRANGE',
      weight: 2,
      // Offsets stay small: a valid offset near 512 MB would allocate that much on both servers (536870912 is the first invalid one).
      args: (g) => [g.key(), g.rng.pick(['0', '1', '3', '10', '50', '-1', 'x', '536870912', '9223372036854775807']), g.value()],
    },
  ],
};

// ---------------------------------------------------------------------------
// generic key commands (on every type)
// ---------------------------------------------------------------------------
const keysFamily: Family = {
  name: 'keys',
  defaultOn: true,
  templates: [
    { cmd: 'DEL', args: (g) => g.keys(1, 3) },
    { cmd: 'UNLINK', args: (g) => g.keys(1, 2) },
    { cmd: 'EXISTS', args: (g) => g.keys(1, 4) },
    { cmd: 'TOUCH', args: (g) => g.keys(1, 3) },
    { cmd: 'TYPE', weight: 2, args: (g) => [g.key()] },
    { cmd: 'RENAME', args: (g) => [g.key(), g.key()] },
    { cmd: 'RENAMENX', args: (g) => [g.key(), g.key()] },
    { cmd: 'COPY', args: (g) => [g.key(), g.key(), ...g.options([() => [w(g, 'REPLACE')]], 2)] },
    {
      cmd: 'COPY',
      // DB values out of range, not integers or missing: Redis checks each as it reads it.
      args: (g) => [g.key(), g.key(), ...g.options([() => [w(g, 'REPLACE')], () => [w(g, 'DB'), g.rng.pick(['0', 'x', '-1'])], () => [w(g, 'DB')]], 3)],
    },
    { cmd: 'EXPIRE', args: (g) => [g.key(), g.seconds(), ...g.options([() => [sign(g, ['NX', 'XX', 'GT', 'LT', 'BOGUS'])]], 2)] },
    { cmd: 'PEXPIRE', args: (g) => [g.key(), g.millis(), ...g.options([() => [sign(g, ['NX', 'XX', 'GT', 'LT'])]], 1)] },
    { cmd: 'EXPIREAT', args: (g) => [g.key(), g.unixSeconds(), ...g.options([() => [sign(g, ['NX', 'XX', 'GT', 'LT'])]], 1)] },
    { cmd: 'PEXPIREAT', args: (g) => [g.key(), g.unixMillis(), ...g.options([() => [sign(g, ['NX', 'XX', 'GT', 'LT'])]], 1)] },
    { cmd: 'PEXPIREAT', args: (g) => [g.key(), g.rng.pick(HUGE_MILLIS)] },
    {
      cmd: 'SET',
      args: (g) => [g.key(), g.value(), ...(g.rng.chance(0.5) ? ['PXAT', '4102444800000'] : []), w(g, g.rng.pick(['PXAT', 'PX'])), g.rng.pick(HUGE_MILLIS)],
    },
    { cmd: 'PERSIST', args: (g) => [g.key()] },
    { cmd: 'TTL', weight: 2, args: (g) => [g.key()] },
    { cmd: 'PTTL', args: (g) => [g.key()] },
    { cmd: 'EXPIRETIME', args: (g) => [g.key()] },
    { cmd: 'PEXPIRETIME', args: (g) => [g.key()] },
    { cmd: 'OBJECT', weight: 3, args: (g) => [w(g, 'ENCODING'), g.key()] },
    // REFCOUNT is data (shared integers 0..9999 answer INT_MAX); FREQ answers an error without an LFU policy; IDLETIME is time.
    { cmd: 'OBJECT', args: (g) => [sign(g, ['REFCOUNT', 'REFCOUNT', 'FREQ', 'NOSUCH']), g.key()] },
    { cmd: 'DBSIZE', args: () => [] },
    { cmd: 'KEYS', args: (g) => [g.pattern()] },
    { cmd: 'SCAN', args: (g) => [scanCursor(g), ...scanOptions(g, true)] },
    { cmd: 'SCAN', args: (g) => [oddCursor(g), ...scanOptions(g, true)] },
    { cmd: 'RANDOMKEY', args: () => [] },
  ],
};

// ---------------------------------------------------------------------------
// hashes
// ---------------------------------------------------------------------------
const hashFamily: Family = {
  name: 'hash',
  defaultOn: true,
  templates: [
    { cmd: 'HSET', weight: 4, args: (g) => [g.key(), ...Array.from({ length: g.rng.range(1, 3) }, () => [g.member(), g.value()]).flat()] },
    { cmd: 'HSET', args: (g) => [g.key(), ...g.many().flatMap((f) => [f, 'v'])] },
    { cmd: 'HSETNX', args: (g) => [g.key(), g.member(), g.value()] },
    { cmd: 'HMSET', args: (g) => [g.key(), ...Array.from({ length: g.rng.range(1, 3) }, () => [g.member(), g.value()]).flat()] },
    { cmd: 'HGET', weight: 2, args: (g) => [g.key(), g.member()] },
    { cmd: 'HMGET', args: (g) => [g.key(), ...g.members(1, 4)] },
    { cmd: 'HDEL', weight: 2, args: (g) => [g.key(), ...g.members(1, 3)] },
    { cmd: 'HLEN', args: (g) => [g.key()] },
    { cmd: 'HSTRLEN', args: (g) => [g.key(), g.member()] },
    { cmd: 'HEXISTS', args: (g) => [g.key(), g.member()] },
    { cmd: 'HKEYS', args: (g) => [g.key()] },
    { cmd: 'HVALS', args: (g) => [g.key()] },
    { cmd: 'HGETALL', weight: 2, args: (g) => [g.key()] },
    { cmd: 'HINCRBY', weight: 2, args: (g) => [g.key(), g.member(), g.int()] },
    { cmd: 'HINCRBYFLOAT', weight: 2, args: (g) => [g.key(), g.member(), g.mostly(() => g.float(), () => g.rng.pick(HUGE_FLOATS))] },
    { cmd: 'HRANDFIELD', args: (g) => [g.key(), ...(g.rng.chance(0.7) ? [g.randCount(), ...(g.rng.chance(0.5) ? [w(g, 'WITHVALUES')] : [])] : [])] },
    { cmd: 'HSCAN', args: (g) => [g.key(), scanCursor(g), ...scanOptions(g, false)] },
    { cmd: 'HSCAN', args: (g) => [g.key(), oddCursor(g), ...scanOptions(g, false)] },
  ],
};

// ---------------------------------------------------------------------------
// lists
// ---------------------------------------------------------------------------
const end = (g: Gen): string => sign(g, ['LEFT', 'RIGHT', 'LEFT', 'RIGHT', 'UP']);
const listFamily: Family = {
  name: 'list',
  defaultOn: true,
  templates: [
    { cmd: 'LPUSH', weight: 3, args: (g) => [g.key(), ...g.members(1, 4)] },
    { cmd: 'RPUSH', weight: 3, args: (g) => [g.key(), ...g.members(1, 4)] },
    { cmd: 'RPUSH', args: (g) => [g.key(), ...g.many()] },
    { cmd: 'LPUSHX', args: (g) => [g.key(), ...g.members(1, 2)] },
    { cmd: 'RPUSHX', args: (g) => [g.key(), ...g.members(1, 2)] },
    { cmd: 'LPOP', weight: 2, args: (g) => [g.key(), ...(g.rng.chance(0.4) ? [g.count()] : [])] },
    { cmd: 'RPOP', weight: 2, args: (g) => [g.key(), ...(g.rng.chance(0.4) ? [g.count()] : [])] },
    { cmd: 'LLEN', args: (g) => [g.key()] },
    { cmd: 'LRANGE', weight: 2, args: (g) => [g.key(), g.index(), g.index()] },
    { cmd: 'LINDEX', args: (g) => [g.key(), g.index()] },
    { cmd: 'LSET', args: (g) => [g.key(), g.index(), g.member()] },
    { cmd: 'LINSERT', args: (g) => [g.key(), sign(g, ['BEFORE', 'AFTER', 'BEFORE', 'AFTER', 'MIDDLE']), g.member(), g.member()] },
    { cmd: 'LREM', args: (g) => [g.key(), g.count(), g.member()] },
    { cmd: 'LTRIM', args: (g) => [g.key(), g.index(), g.index()] },
    {
      cmd: 'LPOS',
      args: (g) => [
        g.key(),
        g.member(),
        ...g.options([() => [w(g, 'RANK'), g.count()], () => [w(g, 'COUNT'), g.count()], () => [w(g, 'MAXLEN'), g.count()], () => [w(g, 'BOGUS')]], 3),
      ],
    },
    { cmd: 'LMOVE', args: (g) => [g.key(), g.key(), end(g), end(g)] },
    { cmd: 'RPOPLPUSH', args: (g) => [g.key(), g.key()] },
    {
      cmd: 'LMPOP',
      args: (g) => {
        const keys = g.keys(1, 3);
        const n = g.mostly(() => String(keys.length), () => g.rng.pick(['0', '-1', 'x', String(keys.length + 1)]));
        return [n, ...keys, end(g), ...(g.rng.chance(0.5) ? [w(g, 'COUNT'), g.count()] : [])];
      },
    },
  ],
};

// ---------------------------------------------------------------------------
// sets
// ---------------------------------------------------------------------------
const setFamily: Family = {
  name: 'set',
  defaultOn: true,
  templates: [
    { cmd: 'SADD', weight: 4, args: (g) => [g.key(), ...g.members(1, 4)] },
    { cmd: 'SADD', args: (g) => [g.key(), ...g.many()] },
    { cmd: 'SREM', weight: 2, args: (g) => [g.key(), ...g.members(1, 3)] },
    { cmd: 'SCARD', args: (g) => [g.key()] },
    { cmd: 'SISMEMBER', args: (g) => [g.key(), g.member()] },
    { cmd: 'SMISMEMBER', args: (g) => [g.key(), ...g.members(1, 3)] },
    { cmd: 'SMEMBERS', weight: 2, args: (g) => [g.key()] },
    { cmd: 'SINTER', args: (g) => g.keys(1, 3) },
    { cmd: 'SUNION', args: (g) => g.keys(1, 3) },
    { cmd: 'SDIFF', args: (g) => g.keys(1, 3) },
    { cmd: 'SINTERSTORE', args: (g) => [g.key(), ...g.keys(1, 3)] },
    { cmd: 'SUNIONSTORE', args: (g) => [g.key(), ...g.keys(1, 3)] },
    { cmd: 'SDIFFSTORE', args: (g) => [g.key(), ...g.keys(1, 3)] },
    {
      cmd: 'SINTERCARD',
      args: (g) => {
        const keys = g.keys(1, 3);
        const n = g.mostly(() => String(keys.length), () => g.rng.pick(['0', '-1', 'x', String(keys.length + 1)]));
        return [n, ...keys, ...(g.rng.chance(0.5) ? [w(g, 'LIMIT'), g.count()] : [])];
      },
    },
    { cmd: 'SMOVE', args: (g) => [g.key(), g.key(), g.member()] },
    { cmd: 'SPOP', args: (g) => [g.key(), ...(g.rng.chance(0.5) ? [g.randCount()] : [])] },
    { cmd: 'SRANDMEMBER', args: (g) => [g.key(), ...(g.rng.chance(0.7) ? [g.randCount()] : [])] },
    { cmd: 'SSCAN', args: (g) => [g.key(), scanCursor(g), ...scanOptions(g, false)] },
    { cmd: 'SSCAN', args: (g) => [g.key(), oddCursor(g), ...scanOptions(g, false)] },
  ],
};

// ---------------------------------------------------------------------------
// sorted sets
// ---------------------------------------------------------------------------
const SCORES: readonly string[] = ['0', '1', '2', '2.5', '-1', '10', '1e3', '-0', 'inf', '-inf', '+inf', 'nan', 'x', '', '1.0', '0x10', '5.', '.5'];
const RANGE_SCORES: readonly string[] = ['-inf', '+inf', 'inf', '0', '1', '(1', '2.5', '(2.5', '-1', '10', '(10', 'x', '(x', '((1', 'nan'];
const RANGE_LEX: readonly string[] = ['-', '+', '[a', '(a', '[c', '(c', '[', '(', 'a', '[1', '(\x00b', '[m'];
const zscore = (g: Gen): string => g.rng.pick(SCORES);
const zmin = (g: Gen): string => g.rng.pick(RANGE_SCORES);
const zlex = (g: Gen): string => g.rng.pick(RANGE_LEX);
/** numkeys + keys for ZUNION & co., sometimes with a wrong numkeys. */
const numkeys = (g: Gen, min = 1, max = 3): { n: string; keys: string[] } => {
  const keys = g.keys(min, max);
  return { n: g.mostly(() => String(keys.length), () => g.rng.pick(['0', '-1', 'x', String(keys.length + 1)])), keys };
};
const setOpOptions = (g: Gen, nkeys: number, withScores: boolean): string[] =>
  g.options(
    [
      () => [w(g, 'WEIGHTS'), ...Array.from({ length: g.rng.chance(0.1) ? nkeys + 1 : nkeys }, () => g.rng.pick(['1', '2', '-1', '0.5', 'inf', 'x']))],
      () => [w(g, 'AGGREGATE'), sign(g, ['SUM', 'MIN', 'MAX', 'AVG'])],
      ...(withScores ? [() => [w(g, 'WITHSCORES')]] : []),
    ],
    3,
  );
const zsetFamily: Family = {
  name: 'zset',
  defaultOn: true,
  templates: [
    {
      cmd: 'ZADD',
      weight: 5,
      args: (g) => [
        g.key(),
        ...g.options([() => [sign(g, ['NX', 'XX', 'GT', 'LT', 'CH', 'INCR'])]], 3),
        ...Array.from({ length: g.rng.range(1, 3) }, () => [zscore(g), g.member()]).flat(),
      ],
    },
    { cmd: 'ZADD', args: (g) => [g.key(), ...g.many().flatMap((m, i) => [String(i % 7), m])] },
    { cmd: 'ZINCRBY', weight: 2, args: (g) => [g.key(), zscore(g), g.member()] },
    { cmd: 'ZREM', weight: 2, args: (g) => [g.key(), ...g.members(1, 3)] },
    { cmd: 'ZCARD', args: (g) => [g.key()] },
    { cmd: 'ZSCORE', args: (g) => [g.key(), g.member()] },
    { cmd: 'ZMSCORE', args: (g) => [g.key(), ...g.members(1, 3)] },
    { cmd: 'ZRANK', args: (g) => [g.key(), g.member()] },
    { cmd: 'ZREVRANK', args: (g) => [g.key(), g.member()] },
    { cmd: 'ZCOUNT', args: (g) => [g.key(), zmin(g), zmin(g)] },
    { cmd: 'ZLEXCOUNT', args: (g) => [g.key(), zlex(g), zlex(g)] },
    {
      cmd: 'ZRANGE',
      weight: 3,
      args: (g) => {
        const mode = g.rng.int(3);
        const [a, b] = mode === 0 ? [g.index(), g.index()] : mode === 1 ? [zmin(g), zmin(g)] : [zlex(g), zlex(g)];
        return [
          g.key(),
          a,
          b,
          ...(mode === 1 ? [w(g, 'BYSCORE')] : mode === 2 ? [w(g, 'BYLEX')] : []),
          ...g.options([() => [w(g, 'REV')], () => [w(g, 'LIMIT'), g.index(), g.count()], () => [w(g, 'WITHSCORES')], () => [w(g, 'BYSCORE')]], 3),
        ];
      },
    },
    { cmd: 'ZREVRANGE', args: (g) => [g.key(), g.index(), g.index(), ...(g.rng.chance(0.5) ? [w(g, 'WITHSCORES')] : [])] },
    {
      cmd: 'ZRANGEBYSCORE',
      args: (g) => [g.key(), zmin(g), zmin(g), ...g.options([() => [w(g, 'WITHSCORES')], () => [w(g, 'LIMIT'), g.index(), g.count()]], 2)],
    },
    {
      cmd: 'ZREVRANGEBYSCORE',
      args: (g) => [g.key(), zmin(g), zmin(g), ...g.options([() => [w(g, 'WITHSCORES')], () => [w(g, 'LIMIT'), g.index(), g.count()]], 2)],
    },
    { cmd: 'ZRANGEBYLEX', args: (g) => [g.key(), zlex(g), zlex(g), ...(g.rng.chance(0.3) ? [w(g, 'LIMIT'), g.index(), g.count()] : [])] },
    { cmd: 'ZREVRANGEBYLEX', args: (g) => [g.key(), zlex(g), zlex(g), ...(g.rng.chance(0.3) ? [w(g, 'LIMIT'), g.index(), g.count()] : [])] },
    {
      cmd: 'ZRANGESTORE',
      args: (g) => [g.key(), g.key(), g.index(), g.index(), ...g.options([() => [w(g, 'REV')], () => [w(g, 'WITHSCORES')]], 1)],
    },
    { cmd: 'ZREMRANGEBYRANK', args: (g) => [g.key(), g.index(), g.index()] },
    { cmd: 'ZREMRANGEBYSCORE', args: (g) => [g.key(), zmin(g), zmin(g)] },
    { cmd: 'ZREMRANGEBYLEX', args: (g) => [g.key(), zlex(g), zlex(g)] },
    { cmd: 'ZPOPMIN', weight: 2, args: (g) => [g.key(), ...(g.rng.chance(0.5) ? [g.count()] : [])] },
    { cmd: 'ZPOPMAX', weight: 2, args: (g) => [g.key(), ...(g.rng.chance(0.5) ? [g.count()] : [])] },
    {
      cmd: 'ZMPOP',
      args: (g) => {
        const { n, keys } = numkeys(g);
        return [n, ...keys, sign(g, ['MIN', 'MAX', 'MID']), ...(g.rng.chance(0.5) ? [w(g, 'COUNT'), g.count()] : [])];
      },
    },
    {
      cmd: 'ZUNION',
      args: (g) => {
        const { n, keys } = numkeys(g);
        return [n, ...keys, ...setOpOptions(g, keys.length, true)];
      },
    },
    {
      cmd: 'ZINTER',
      args: (g) => {
        const { n, keys } = numkeys(g);
        return [n, ...keys, ...setOpOptions(g, keys.length, true)];
      },
    },
    {
      cmd: 'ZDIFF',
      args: (g) => {
        const { n, keys } = numkeys(g);
        return [n, ...keys, ...(g.rng.chance(0.5) ? [w(g, 'WITHSCORES')] : [])];
      },
    },
    {
      cmd: 'ZUNIONSTORE',
      args: (g) => {
        const { n, keys } = numkeys(g);
        return [g.key(), n, ...keys, ...setOpOptions(g, keys.length, false)];
      },
    },
    {
      cmd: 'ZINTERSTORE',
      args: (g) => {
        const { n, keys } = numkeys(g);
        return [g.key(), n, ...keys, ...setOpOptions(g, keys.length, false)];
      },
    },
    {
      cmd: 'ZDIFFSTORE',
      args: (g) => {
        const { n, keys } = numkeys(g);
        return [g.key(), n, ...keys];
      },
    },
    {
      cmd: 'ZINTERCARD',
      args: (g) => {
        const { n, keys } = numkeys(g);
        return [n, ...keys, ...(g.rng.chance(0.5) ? [w(g, 'LIMIT'), g.count()] : [])];
      },
    },
    { cmd: 'ZRANDMEMBER', args: (g) => [g.key(), ...(g.rng.chance(0.7) ? [g.randCount(), ...(g.rng.chance(0.5) ? [w(g, 'WITHSCORES')] : [])] : [])] },
    { cmd: 'ZSCAN', args: (g) => [g.key(), scanCursor(g), ...scanOptions(g, false)] },
    { cmd: 'ZSCAN', args: (g) => [g.key(), oddCursor(g), ...scanOptions(g, false)] },
  ],
};

// ---------------------------------------------------------------------------
// bitmaps
// ---------------------------------------------------------------------------
/** Bit offsets stay under 100k bits: a valid offset near 2^32 would allocate 512 MB. Invalid ones test the errors. */
const BIT_OFFSETS: readonly string[] = ['0', '1', '7', '8', '15', '63', '100', '1000', '99999', '-1', 'x', '4294967296', '1.5'];
const BITFIELD_TYPES: readonly string[] = ['u1', 'u8', 'i8', 'u16', 'i16', 'i32', 'u63', 'i64', 'u64', 'i65', 'x8', 'u0', 'i1'];
const bitOffset = (g: Gen): string => g.rng.pick(BIT_OFFSETS);
const bfOffset = (g: Gen): string => g.rng.pick(['0', '1', '7', '8', '100', '#0', '#1', '#3', '-1', 'x', '#x']);
const bitUnit = (g: Gen): string[] => (g.rng.chance(0.4) ? [sign(g, ['BYTE', 'BIT', 'BYTE', 'BIT', 'WORD'])] : []);
const bitmapFamily: Family = {
  name: 'bitmap',
  defaultOn: true,
  templates: [
    { cmd: 'SETBIT', weight: 4, args: (g) => [g.key(), bitOffset(g), g.mostly(() => g.rng.pick(['0', '1']), () => g.rng.pick(['2', '-1', 'x', '']))] },
    { cmd: 'GETBIT', weight: 2, args: (g) => [g.key(), bitOffset(g)] },
    {
      cmd: 'BITCOUNT',
      weight: 2,
      args: (g) => [g.key(), ...(g.rng.chance(0.7) ? [g.index(), ...(g.rng.chance(0.9) ? [g.index(), ...bitUnit(g)] : [])] : [])],
    },
    {
      cmd: 'BITPOS',
      weight: 2,
      args: (g) => [
        g.key(),
        g.mostly(() => g.rng.pick(['0', '1']), () => g.rng.pick(['2', 'x'])),
        ...(g.rng.chance(0.7) ? [g.index(), ...(g.rng.chance(0.6) ? [g.index(), ...bitUnit(g)] : [])] : []),
      ],
    },
    {
      cmd: 'BITOP',
      args: (g) => {
        const op = sign(g, ['AND', 'OR', 'XOR', 'NOT', 'NOT', 'NAND']);
        return [op, g.key(), ...g.keys(1, op.toUpperCase() === 'NOT' ? (g.rng.chance(0.8) ? 1 : 2) : 3)];
      },
    },
    {
      cmd: 'BITFIELD',
      weight: 2,
      args: (g) => [
        g.key(),
        ...Array.from({ length: g.rng.range(0, 3) }, () =>
          g.rng.pick([
            () => [w(g, 'GET'), g.rng.pick(BITFIELD_TYPES), bfOffset(g)],
            () => [w(g, 'SET'), g.rng.pick(BITFIELD_TYPES), bfOffset(g), g.int()],
            () => [w(g, 'INCRBY'), g.rng.pick(BITFIELD_TYPES), bfOffset(g), g.int()],
            () => [w(g, 'OVERFLOW'), sign(g, ['WRAP', 'SAT', 'FAIL', 'NONE'])],
          ])(),
        ).flat(),
      ],
    },
    { cmd: 'BITFIELD_RO', args: (g) => [g.key(), ...Array.from({ length: g.rng.range(0, 2) }, () => g.rng.pick([() => [w(g, 'GET'), g.rng.pick(BITFIELD_TYPES), bfOffset(g)], () => [w(g, 'SET'), 'u8', '0', '1']])()).flat()] },
  ],
};

// ---------------------------------------------------------------------------
// LCS
// ---------------------------------------------------------------------------
const lcsFamily: Family = {
  name: 'lcs',
  defaultOn: true,
  templates: [
    {
      cmd: 'LCS',
      args: (g) => [
        g.key(),
        g.key(),
        ...g.options([() => [w(g, 'LEN')], () => [w(g, 'IDX')], () => [w(g, 'MINMATCHLEN'), g.rng.pick(['0', '1', '2', '-1', 'x'])], () => [w(g, 'WITHMATCHLEN')]], 3),
      ],
    },
    // LCS needs strings worth comparing: short words sharing letters.
    { cmd: 'SET', args: (g) => [g.key(), g.rng.pick(['ohmytext', 'mynewtext', 'abcabc', 'cab', '', 'aaaa', 'xyz', 'abcdefghij'])] },
  ],
};

// ---------------------------------------------------------------------------
// SORT
// ---------------------------------------------------------------------------
const sortOptions = (g: Gen, store: boolean): string[] =>
  g.options(
    [
      () => [w(g, 'BY'), g.rng.pick(['nosort', 'k*', '*', 'k*->a', 'nosuch_*', '#'])],
      () => [w(g, 'LIMIT'), g.index(), g.count()],
      () => [w(g, 'GET'), g.rng.pick(['#', 'k*', 'k*->a', '*'])],
      () => [sign(g, ['ASC', 'DESC'])],
      () => [w(g, 'ALPHA')],
      ...(store ? [() => [w(g, 'STORE'), g.key()]] : []),
    ],
    3,
  );
const sortFamily: Family = {
  name: 'sort',
  defaultOn: true,
  templates: [
    { cmd: 'SORT', weight: 2, args: (g) => [g.key(), ...sortOptions(g, true)] },
    { cmd: 'SORT_RO', args: (g) => [g.key(), ...sortOptions(g, g.rng.chance(0.1))] },
  ],
};

/** Every family, in a fixed order (the order is part of what makes a seed reproducible). */
export const FAMILIES: readonly Family[] = [stringFamily, keysFamily, hashFamily, listFamily, setFamily, zsetFamily, bitmapFamily, lcsFamily, sortFamily, hllFamily, geoFamily, functionsFamily, opsFamily, dumpFamily, streamFamily, streamSurfaceFamily];

export function familyByName(name: string): Family {
  const f = FAMILIES.find((x) => x.name === name);
  if (!f) throw new Error(`unknown family ${JSON.stringify(name)}; families: ${FAMILIES.map((x) => x.name).join(', ')}`);
  return f;
}

/** Family names in canonical order, so `hash,set` and `set,hash` make the same sequence. */
export function canonicalFamilies(names: readonly string[]): string[] {
  for (const n of names) familyByName(n);
  return FAMILIES.map((f) => f.name).filter((n) => names.includes(n));
}

/**
 * Home keys per family. With every key open to every family, three
 * collection commands in four met a value of another type (WRONGTYPE);
 * homes overlap, so wrong types still come up, but most commands now reach
 * a value they can work on.
 */
const FAMILY_HOMES: Record<string, readonly string[]> = {
  string: ['k1', 'k2'],
  bitmap: ['k1', 'k2'],
  lcs: ['k1', 'k2'],
  hash: ['k3'],
  list: ['k4', 'k5'],
  set: ['k6', '{k}7'],
  zset: ['{k}7', 'k\x00\xff'],
  sort: ['k4', 'k5', 'k6', 'k\x00\xff'],
};

/** A generated step: argv (latin1 strings) or a state check of one key. */
export type Step = { kind: 'cmd'; argv: string[]; family: string } | { kind: 'check'; key: string };

/** How often the whole state of every key is compared (plus once at the end). */
export const CHECK_EVERY = 40;

/** Wrong arity for a few percent of commands: drop the last argument or add a stray one. */
function mutateArity(g: Gen, argv: string[]): string[] {
  if (!g.rng.chance(0.03)) return argv;
  if (argv.length > 1 && g.rng.chance(0.6)) return argv.slice(0, -1);
  return [...argv, g.rng.pick(['extra', '', '1'])];
}

/**
 * The steps of one seed: `count` commands over the given families, with a
 * state check every CHECK_EVERY commands and one at the end.
 */
export function generate(seed: number, familyNames: readonly string[], count: number, withKnownBugs = false): Step[] {
  const families = canonicalFamilies(familyNames)
    .map(familyByName)
    .map((f) => ({ ...f, templates: f.templates.filter((t) => withKnownBugs || !t.knownBug) }))
    .filter((f) => f.templates.length > 0);
  if (families.length === 0) throw new Error('no families to generate from');
  const g = new Gen(new Rng(seed));
  const steps: Step[] = [];
  for (let i = 0; i < count; i++) {
    const fam = g.rng.pick(families);
    const total = fam.templates.reduce((s, t) => s + (t.weight ?? 1), 0);
    let r = g.rng.int(total);
    let tpl = fam.templates[0];
    for (const t of fam.templates) {
      r -= t.weight ?? 1;
      if (r < 0) {
        tpl = t;
        break;
      }
    }
    g.home = FAMILY_HOMES[fam.name] ?? null;
    const argv = mutateArity(g, [g.word(tpl.cmd), ...tpl.args(g)]);
    steps.push({ kind: 'cmd', argv, family: fam.name });
    if ((i + 1) % CHECK_EVERY === 0 || i === count - 1) for (const key of KEYS) steps.push({ kind: 'check', key });
  }
  return steps;
}

/** Templates left out for a known raftcache bug, as `family: CMD (bug)` lines. */
export function knownBugs(familyNames: readonly string[]): string[] {
  return canonicalFamilies(familyNames)
    .map(familyByName)
    .flatMap((f) => f.templates.filter((t) => t.knownBug).map((t) => `${f.name}: ${t.cmd} (${t.knownBug})`));
}

/** Whether a seed runs in RESP3 (HELLO 3 first): one seed in four. */
export function isResp3(seed: number): boolean {
  return seed % 4 === 3;
}
