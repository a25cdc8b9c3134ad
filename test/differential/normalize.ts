import { KEYS } from './generator';
import { quote, show, text, type Reply, type RespConn } from './resp';
import { pfcount } from './normalize-hll';

/**
 * How one step runs on both servers and what "the same reply" means.
 *
 * The default is strict: the canonical text of both replies (resp.ts `show`)
 * must be equal, which compares bytes, RESP types, error texts and the kind
 * of null. Every exception below exists because Redis's own reply is not a
 * function of the command sequence, and each says why:
 *
 * - random picks (SPOP, SRANDMEMBER, HRANDFIELD, ZRANDMEMBER, RANDOMKEY): Redis
 *   draws from its own random generator. We check the reply's shape (types,
 *   lengths, nesting) exactly, each pick for validity (a member of the value,
 *   the right value/score beside it, distinct when the count asks for distinct),
 *   and replace the picks by a placeholder. SPOP also changes the state, so
 *   afterwards both servers are brought to the same canonical state (the
 *   popped members put back, the first n members in byte order removed), which
 *   keeps the rest of the sequence a function of the seed;
 * - SCAN/SSCAN/HSCAN/ZSCAN: cursors are positions in each server's own table.
 *   A scan from cursor 0 is iterated to completion on both and the sorted,
 *   deduplicated union is compared. A scan from another valid cursor only has
 *   its shape compared (what it returns depends on the table);
 * - KEYS, SMEMBERS/SINTER/SUNION/SDIFF, HGETALL/HKEYS/HVALS, SORT of a
 *   hashtable set where the input order shows (see sort): Redis returns hashtable-encoded values in the order of its hash
 *   function and table size, an artifact. Compared order-insensitively unless
 *   the value is listpack/intset-encoded in Redis (asked with OBJECT ENCODING
 *   before the command), where the order is defined (insertion order, sorted
 *   integers) and must match exactly;
 * - lex ranges over a sorted set with mixed scores: unspecified by Redis
 *   (see lexRange);
 * - DBSIZE: Redis counts expired keys it has not reclaimed yet (timing);
 *   they are reclaimed on Redis first (see dbsize);
 * - TTL/PTTL/EXPIRETIME/PEXPIRETIME: the two servers set the expiry at
 *   slightly different moments (raftcache after a Raft round, on a loaded
 *   machine possibly hundreds of ms later); equal within 2 s / 2000 ms, which
 *   still catches a unit mistake (generated expiries are >= 100 s), and the
 *   negative answers (-1 no expiry, -2 no key) exactly.
 *
 * OBJECT ENCODING is compared exactly (it is part of what raftcache promises).
 * MEMORY USAGE, OBJECT IDLETIME/FREQ, INFO, DEBUG are never generated: they
 * describe the server, not the data.
 */

export interface Pair {
  /** The server under test. */
  rc: RespConn;
  /** The reference redis-server. */
  redis: RespConn;
  /** Compare through the known-bug masks too (KNOWN_BUG_MASKS); default false: masks apply. */
  withKnownBugs?: boolean;
}

/**
 * Differences that ARE raftcache bugs, known and reported, masked by default
 * so that the default run stays green and keeps finding new ones. Unlike the
 * normalizations above, nothing justifies them; --with-known-bugs turns the
 * masks off.
 */
export const KNOWN_BUG_MASKS: readonly string[] = [
  'SORT ... ALPHA ties: Redis breaks no ties in ALPHA mode (elements with equal BY weights, missing weights, or strings equal up ' +
    'to a NUL byte under strcoll) and returns them in the order its pqsort leaves them (with LIMIT, a partial sort); raftcache ' +
    'orders ties otherwise. Deterministic in Redis, so a divergence (porting pqsort would fix it). Masked: ALPHA with a BY pattern ' +
    'or a NUL byte in the reply compares sorted (with LIMIT: the length). Repro (h-list SORT): rpush l "" "\x00b" "" "\x00b" "a" "\x00a" ; ' +
    'sort l alpha (redis: "" "\x00b" "" "\x00b" "\x00a" "a"; raftcache compares all bytes: "" "" "\x00a" "\x00b" "\x00b" "a")',
];

export interface Outcome {
  same: boolean;
  /** What raftcache answered (normalized, as compared). */
  rc: string;
  /** What Redis answered. */
  redis: string;
  /** Which normalization applied, or what the mismatch is about when it is not the reply itself. */
  note?: string;
}

type Handler = (p: Pair, argv: string[]) => Promise<Outcome>;

const both = (p: Pair, argv: readonly string[]): Promise<[Reply, Reply]> => Promise.all([p.rc.call(argv), p.redis.call(argv)]);

function strict(a: Reply, b: Reply, note?: string): Outcome {
  const rc = show(a);
  const redis = show(b);
  return { same: rc === redis, rc, redis, note };
}

const isErr = (r: Reply): boolean => r.t === '-' || r.t === '!';
/** The elements of an array-like reply (array, set, map flattened), or null. */
const itemsOf = (r: Reply): Reply[] | null => (r.t === '*' || r.t === '~' || r.t === '%' ? r.items : null);

async function encodingOf(c: RespConn, key: string): Promise<string | null> {
  const r = await c.call(['OBJECT', 'ENCODING', key]);
  return r.t === '$' ? r.b.toString('latin1') : null;
}

/** Sorts the items of an array-like reply (in groups of `group`, for field/value pairs), keeping its type. */
function sortedReply(r: Reply, group = 1): Reply {
  const items = itemsOf(r);
  if (!items) return r;
  const groups: Reply[][] = [];
  for (let i = 0; i < items.length; i += group) groups.push(items.slice(i, i + group));
  groups.sort((x, y) => {
    const a = x.map(show).join('\0');
    const b = y.map(show).join('\0');
    return a < b ? -1 : a > b ? 1 : 0;
  });
  return { ...(r as { t: '*' }), items: groups.flat() };
}

// ---------------------------------------------------------------------------
// order-insensitive replies
// ---------------------------------------------------------------------------

/** Compares order-insensitively when Redis holds any of `keys` in a hashtable (see the header). */
function unorderedIf(ordered: (encodings: Array<string | null>) => boolean, keysOf: (argv: string[]) => string[], group = 1): Handler {
  return async (p, argv) => {
    const encodings = await Promise.all(keysOf(argv).map((k) => encodingOf(p.redis, k)));
    const [a, b] = await both(p, argv);
    if (ordered(encodings) || isErr(a) || isErr(b)) return strict(a, b);
    return strict(sortedReply(a, group), sortedReply(b, group), 'hashtable order ignored (sorted)');
  };
}

const key1 = (argv: string[]): string[] => (argv.length > 1 ? [argv[1]] : []);
const allKeys = (argv: string[]): string[] => argv.slice(1);
/** Ordered when every existing key is compact (listpack/intset) in Redis. */
const allCompact = (enc: Array<string | null>): boolean => enc.every((e) => e === null || e === 'listpack' || e === 'intset' || e === 'ziplist');

// ---------------------------------------------------------------------------
// expiry reads
// ---------------------------------------------------------------------------

function within(tolerance: number): Handler {
  return async (p, argv) => {
    const [a, b] = await both(p, argv);
    if (a.t === ':' && b.t === ':') {
      // BigInt: TTLs up to 2^63 ms lose their last digits as doubles.
      const x = BigInt(a.s);
      const y = BigInt(b.s);
      const d = x > y ? x - y : y - x;
      if (x >= 0n && y >= 0n && d <= BigInt(tolerance)) return { same: true, rc: show(a), redis: show(b), note: `within ${tolerance}` };
    }
    return strict(a, b);
  };
}

// ---------------------------------------------------------------------------
// SCAN family
// ---------------------------------------------------------------------------

/** Iterates a scan to completion from the first page's cursor; returns the sorted, deduplicated union as text. */
async function scanAll(c: RespConn, argv: string[], cursorAt: number, first: Reply, pairs: boolean): Promise<string> {
  const seen = new Map<string, string>();
  let page = first;
  for (let i = 0; i < 100000; i++) {
    if (page.t !== '*' || page.items.length !== 2) return `(bad scan page) ${show(page)}`;
    const [cur, elems] = page.items;
    const list = itemsOf(elems);
    if (!list) return `(bad scan page) ${show(page)}`;
    for (let j = 0; j < list.length; j += pairs ? 2 : 1) {
      const k = show(list[j]);
      seen.set(k, pairs ? `${k} => ${list[j + 1] ? show(list[j + 1]) : '(missing)'}` : k);
    }
    const next = text(cur);
    if (next === null) return `(bad scan cursor) ${show(page)}`;
    if (next === '0') break;
    const again = argv.slice();
    again[cursorAt] = next;
    page = await c.call(again);
  }
  return `{${[...seen.values()].sort().join(', ')}}`;
}

function scan(cursorAt: number, pairs: boolean): Handler {
  return async (p, argv) => {
    const [a, b] = await both(p, argv);
    if (isErr(a) || isErr(b)) return strict(a, b);
    if (argv[cursorAt] !== '0') {
      // A nonzero cursor points into each server's own table: only the shape can match.
      const shape = (r: Reply): string => (r.t === '*' && r.items.length === 2 && r.items[0].t === '$' && r.items[1].t === '*' ? '[cursor, [elements]]' : show(r));
      return { same: shape(a) === shape(b), rc: shape(a), redis: shape(b), note: 'nonzero cursor: shape only' };
    }
    const [x, y] = await Promise.all([scanAll(p.rc, argv, cursorAt, a, pairs), scanAll(p.redis, argv, cursorAt, b, pairs)]);
    return { same: x === y, rc: x, redis: y, note: 'iterated to completion, union compared' };
  };
}

// ---------------------------------------------------------------------------
// random picks
// ---------------------------------------------------------------------------

const PICK: Reply = { t: '+', s: '<pick>' };

/** The leaves (scalars) of a reply, depth first, and the same reply with every leaf replaced by <pick>. */
function leaves(r: Reply, out: Reply[]): Reply {
  if (r.t === '*' || r.t === '~' || r.t === '%' || r.t === '>' || r.t === '|') return { t: r.t, items: r.items.map((x) => leaves(x, out)) };
  if (r.t === 'nil') return r;
  out.push(r);
  return PICK;
}

interface Picked {
  shape: string;
  picks: Reply[];
}
function picked(r: Reply): Picked {
  const picks: Reply[] = [];
  const shape = show(leaves(r, picks));
  return { shape, picks };
}

/**
 * Validates picks against the value's contents: `contents` maps an element's
 * text to the text of its companion (value or score; '' for sets and keys).
 * `group` is 2 when picks come as element/companion pairs.
 */
function validatePicks(ps: Reply[], contents: Map<string, string>, group: number, distinct: boolean, expectCount: number | null): string | null {
  if (expectCount !== null && ps.length !== expectCount * group) return `expected ${expectCount} picks, got ${ps.length / group}`;
  const seen = new Set<string>();
  for (let i = 0; i < ps.length; i += group) {
    const el = text(ps[i]);
    if (el === null || !contents.has(el)) return `pick ${show(ps[i])} is not in the value`;
    if (group === 2 && contents.get(el) !== show(ps[i + 1])) return `pick ${show(ps[i])} comes with ${show(ps[i + 1])}, the value has ${contents.get(el)}`;
    if (distinct && seen.has(el)) return `pick ${show(ps[i])} repeated`;
    seen.add(el);
  }
  return null;
}

/** Reads a collection's contents as element -> companion text, with the command that reads it whole. */
async function contentsOf(c: RespConn, read: string[], pairs: boolean): Promise<Map<string, string> | string> {
  const r = await c.call(read);
  if (r.t === '-' || r.t === 'nil' || !itemsOf(r)) return `(cannot read contents: ${show(r)})`;
  // Flattened: RESP3 nests member/score pairs of ZRANGE WITHSCORES.
  const items: Reply[] = [];
  leaves(r, items);
  const m = new Map<string, string>();
  for (let i = 0; i < items.length; i += pairs ? 2 : 1) {
    const el = text(items[i]);
    if (el === null) return `(odd contents: ${show(r)})`;
    m.set(el, pairs ? show(items[i + 1]) : '');
  }
  return m;
}

const contentsText = (m: Map<string, string> | string): string =>
  typeof m === 'string' ? m : `{${[...m.entries()].map(([k, v]) => (v ? `${quote(k)} => ${v}` : quote(k))).sort().join(', ')}}`;

interface RandomSpec {
  /** The read that gives the whole value (and companions when `pairs`). */
  read: (key: string) => string[];
  pairs: boolean;
  /** Whether the reply carries companions (WITHVALUES/WITHSCORES). */
  withCompanion: (argv: string[]) => boolean;
}

/** SRANDMEMBER / HRANDFIELD / ZRANDMEMBER: validated picks, exact shape. */
function randomRead(spec: RandomSpec): Handler {
  return async (p, argv) => {
    const [a, b] = await both(p, argv);
    if (isErr(a) || isErr(b) || argv.length < 2) return strict(a, b);
    const key = argv[1];
    const [ca, cb] = await Promise.all([contentsOf(p.rc, spec.read(key), spec.pairs), contentsOf(p.redis, spec.read(key), spec.pairs)]);
    const ta = contentsText(ca);
    const tb = contentsText(cb);
    if (ta !== tb) return { same: false, rc: ta, redis: tb, note: `contents of ${quote(key)} differ` };
    const hasCount = argv.length >= 3;
    const count = hasCount ? Number(argv[2]) : 1;
    const size = typeof ca === 'string' ? 0 : ca.size;
    const expect = !hasCount ? null : count >= 0 ? Math.min(count, size) : size === 0 ? 0 : -count;
    const group = spec.withCompanion(argv) ? 2 : 1;
    const pa = picked(a);
    const pb = picked(b);
    if (typeof ca !== 'string' && typeof cb !== 'string') {
      // Redis failing the check means this normalization misreads the command, which is worth a failure too.
      const badA = validatePicks(pa.picks, ca, group, count >= 0, expect);
      const badB = validatePicks(pb.picks, cb, group, count >= 0, expect);
      if (badA || badB) {
        return { same: false, rc: badA ? `${pa.shape} (${badA})` : pa.shape, redis: badB ? `${pb.shape} (${badB})` : pb.shape, note: 'random picks validated' };
      }
    }
    return { same: pa.shape === pb.shape, rc: pa.shape, redis: pb.shape, note: 'random picks validated, shape compared' };
  };
}

/** RANDOMKEY: nil for an empty keyspace, else a key that exists on that server. */
const randomKey: Handler = async (p, argv) => {
  const [a, b] = await both(p, argv);
  if (isErr(a) || isErr(b) || a.t !== '$' || b.t !== '$') return strict(a, b);
  const exists = await p.rc.call(['EXISTS', a.b.toString('latin1')]);
  if (exists.t !== ':' || exists.s !== '1') return { same: false, rc: `${show(a)} (no such key)`, redis: show(b), note: 'RANDOMKEY picked a missing key' };
  return { same: true, rc: '<key>', redis: '<key>', note: 'random pick validated' };
};

const bytewise = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);

/**
 * SPOP: picks validated like SRANDMEMBER, then both servers brought to the
 * canonical state (before minus its n smallest members) so that what follows
 * does not depend on either server's random draw.
 */
const spop: Handler = async (p, argv) => {
  if (argv.length < 2) return strict(...(await both(p, argv)));
  const key = argv[1];
  const read = ['SMEMBERS', key];
  const before = await Promise.all([contentsOf(p.rc, read, false), contentsOf(p.redis, read, false)]);
  const [a, b] = await both(p, argv);
  if (isErr(a) || isErr(b) || typeof before[0] === 'string' || typeof before[1] === 'string') return strict(a, b);
  const [ba, bb] = before;
  if (contentsText(ba) !== contentsText(bb)) return { same: false, rc: contentsText(ba), redis: contentsText(bb), note: `contents of ${quote(key)} before SPOP differ` };
  const hasCount = argv.length >= 3;
  const expect = hasCount ? Math.min(Number(argv[2]), ba.size) : null;
  const pa = picked(a);
  const pb = picked(b);
  const bad = validatePicks(pa.picks, ba, 1, true, expect);
  if (bad) return { same: false, rc: `${pa.shape} (${bad})`, redis: pb.shape, note: 'SPOP picks validated' };
  if (pa.shape !== pb.shape) return { same: false, rc: pa.shape, redis: pb.shape, note: 'SPOP shape' };
  // Canonical state: the n smallest members (byte order) are the ones gone.
  const n = pb.picks.length;
  const canonical = [...bb.keys()].sort(bytewise).slice(0, n);
  const restore = async (c: RespConn, ps: Reply[]): Promise<void> => {
    const popped = ps.map((r) => text(r) ?? '');
    const same = popped.length === canonical.length && [...popped].sort(bytewise).every((x, i) => x === canonical[i]);
    if (same || n === 0 || n >= bb.size) return;
    await c.call(['SADD', key, ...popped]);
    await c.call(['SREM', key, ...canonical]);
  };
  await Promise.all([restore(p.rc, pa.picks), restore(p.redis, pb.picks)]);
  return { same: true, rc: pa.shape, redis: pb.shape, note: 'SPOP picks validated, state made canonical' };
};

// ---------------------------------------------------------------------------
// SORT
// ---------------------------------------------------------------------------

/**
 * SORT. Redis sorts deterministically, except in two cases where the order
 * of the input decides, and the input is a hashtable set whose iteration
 * order follows Redis's hash function (SipHash with a random key per
 * process: two redis-servers disagree with each other):
 * - BY <pattern without *> (nosort): the set comes back in hash order;
 * - ALPHA ties: ALPHA mode breaks no ties (equal BY weights, missing
 *   weights, strings equal up to a NUL byte under strcoll), so tied elements
 *   keep the order pqsort leaves them in, which depends on the input order;
 *   a sorted set is read from its dict (hash order) unless nosort.
 * Then the reply is compared sorted (with LIMIT, which elements fall in the
 * window depends on that order: length only), and a STORE destination is
 * rewritten on both servers in byte order, so what follows stays a function
 * of the seed. For a list or intset input the order is defined, and
 * ALPHA ties differing there are KNOWN_BUG_MASKS[0].
 */
const sort: Handler = async (p, argv) => {
  const upper = argv.map((x) => x.toUpperCase());
  // BY may repeat: the last pattern is used, but any BY without '*' switches sorting off for good (sort.c).
  const byArgs = argv.flatMap((x, i) => (i > 1 && x.toUpperCase() === 'BY' && i + 1 < argv.length ? [argv[i + 1]] : []));
  const nosort = byArgs.some((x) => !x.includes('*'));
  const byPattern = !nosort && byArgs.length > 0;
  const storeAt = upper.lastIndexOf('STORE');
  const dest = storeAt > 0 ? argv[storeAt + 1] : undefined;
  const enc = argv.length > 1 ? await encodingOf(p.redis, argv[1]) : null;
  const [a, b] = await both(p, argv);
  // A Redis bug, not ours: sort.c checks errno == ERANGE after strtod without
  // clearing errno first, so an earlier out-of-range strtoul/strtod in the same
  // process (e.g. SSCAN k 18446744073709551616) makes a valid numeric SORT fail.
  // Where raftcache sorted successfully and Redis gave exactly that error, the
  // data decides nothing; the key checks that follow still compare the contents.
  if (isErr(b) && !isErr(a) && show(b).includes("One or more scores can't be converted into double")) {
    if (dest !== undefined) await both(p, ['DEL', dest]); // Redis stored nothing: both start over from the same state
    return { ...strict(a, a), note: "redis-server's stale errno made SORT fail (sort.c strtod without errno = 0)" };
  }
  if (isErr(a) || isErr(b)) return strict(a, b);
  const nulInReply = (itemsOf(b) ?? []).some((r) => r.t === '$' && r.b.includes(0));
  // With GET the reply is not the sorted elements: assume ties are possible.
  const alphaTies = upper.includes('ALPHA') && (byPattern || nulInReply || upper.includes('GET'));
  // Redis forces an ALPHA sort for nosort + STORE on a set (sort.c), so nosort only matters without STORE.
  // A sorted set (listpack or skiplist: hashes answered WRONGTYPE above) is converted to a skiplist and read
  // from its dict, in hash order, unless nosort (then in rank order).
  const zset = enc === 'listpack' || enc === 'skiplist';
  const hashOrder = (enc === 'hashtable' && ((nosort && dest === undefined) || alphaTies)) || (zset && !nosort && alphaTies);
  const masked = !hashOrder && alphaTies && !p.withKnownBugs;
  if (!hashOrder && !masked) return strict(a, b);
  const why = hashOrder ? 'input in hashtable order' : 'masked: SORT ALPHA ties (KNOWN_BUG_MASKS[0])';
  if (dest !== undefined) {
    const read = ['LRANGE', dest, '0', '-1'];
    const [la, lb] = await both(p, read);
    const out = strict(sortedReply(la), sortedReply(lb), `${why}: stored list compared sorted`);
    if (!out.same) return out;
    const elems = (itemsOf(lb) ?? []).map((r) => text(r) ?? '').sort(bytewise);
    for (const c of [p.rc, p.redis]) {
      await c.call(['DEL', dest]);
      if (elems.length) await c.call(['RPUSH', dest, ...elems]);
    }
    return strict(a, b, `${why}: stored list rewritten in byte order`);
  }
  const getCount = upper.filter((x) => x === 'GET').length || 1;
  if (upper.includes('LIMIT')) {
    const la = itemsOf(a)?.length ?? -1;
    const lb = itemsOf(b)?.length ?? -1;
    return { same: la === lb, rc: `${la} elements`, redis: `${lb} elements`, note: `${why} with LIMIT: length only` };
  }
  return strict(sortedReply(a, getCount), sortedReply(b, getCount), `${why}: sorted before comparing`);
};

// ---------------------------------------------------------------------------
// dispatch
// ---------------------------------------------------------------------------

/**
 * DBSIZE: Redis counts keys that expired but were not reclaimed yet (its
 * active expiry samples keys 10 times a second, so whether a key set with a
 * past PXAT is still counted is a matter of timing). EXISTS on every key
 * first makes Redis reclaim them (lazy expiry); raftcache must count live keys.
 */
const dbsize: Handler = async (p, argv) => {
  // On both: symmetric, and --self-test puts a redis-server on the raftcache side too.
  for (const k of KEYS) await Promise.all([p.rc.call(['EXISTS', k]), p.redis.call(['EXISTS', k])]);
  return strict(...(await both(p, argv)));
};

/**
 * Lex ranges (ZRANGEBYLEX & co., ZRANGE BYLEX) over a sorted set whose
 * scores are not all equal: "the returned elements are unspecified" (Redis
 * docs); Redis's answer depends on where its search starts, which on a
 * skiplist depends on the random levels of its nodes. Reads are compared for
 * their type only; ZREMRANGEBYLEX is not run at all (its effect would make
 * the two states differ for the rest of the sequence).
 */
function lexRange(mutates: boolean): Handler {
  return async (p, argv) => {
    const mixed = argv.length > 1 && (await mixedScores(p.redis, argv[1]));
    if (mixed && mutates) return { same: true, rc: '(not run)', redis: '(not run)', note: 'lex range over mixed scores: unspecified, not run' };
    const [a, b] = await both(p, argv);
    if (!mixed || isErr(a) || isErr(b)) return strict(a, b);
    return { same: a.t === b.t, rc: a.t, redis: b.t, note: 'lex range over mixed scores: unspecified, reply type only' };
  };
}

async function mixedScores(c: RespConn, key: string): Promise<boolean> {
  const r = await c.call(['ZRANGE', key, '0', '-1', 'WITHSCORES']);
  if (!itemsOf(r)) return false;
  const flat: Reply[] = [];
  leaves(r, flat);
  const scores = new Set<string>();
  for (let i = 1; i < flat.length; i += 2) scores.add(show(flat[i]));
  return scores.size > 1;
}

const zrange: Handler = async (p, argv) => (argv.some((x) => x.toUpperCase() === 'BYLEX') ? lexRange(false)(p, argv) : strict(...(await both(p, argv))));

const HANDLERS: Record<string, Handler> = {
  ZRANGEBYLEX: lexRange(false),
  ZREVRANGEBYLEX: lexRange(false),
  ZLEXCOUNT: lexRange(false),
  ZREMRANGEBYLEX: lexRange(true),
  ZRANGE: zrange,
  DBSIZE: dbsize,
  TTL: within(2),
  PTTL: within(2000),
  EXPIRETIME: within(2),
  PEXPIRETIME: within(2000),
  KEYS: async (p, argv) => {
    const [a, b] = await both(p, argv);
    return strict(sortedReply(a), sortedReply(b), 'KEYS: hashtable order ignored');
  },
  SCAN: scan(1, false),
  SSCAN: scan(2, false),
  HSCAN: scan(2, true),
  ZSCAN: scan(2, true),
  SMEMBERS: unorderedIf(allCompact, key1),
  SINTER: unorderedIf(allCompact, allKeys),
  SUNION: unorderedIf(allCompact, allKeys),
  SDIFF: unorderedIf(allCompact, allKeys),
  HGETALL: unorderedIf(allCompact, key1, 2),
  HKEYS: unorderedIf(allCompact, key1),
  HVALS: unorderedIf(allCompact, key1),
  SRANDMEMBER: randomRead({ read: (k) => ['SMEMBERS', k], pairs: false, withCompanion: () => false }),
  HRANDFIELD: randomRead({ read: (k) => ['HGETALL', k], pairs: true, withCompanion: (argv) => argv.length >= 4 && argv[3].toUpperCase() === 'WITHVALUES' }),
  ZRANDMEMBER: randomRead({
    read: (k) => ['ZRANGE', k, '0', '-1', 'WITHSCORES'],
    pairs: true,
    withCompanion: (argv) => argv.length >= 4 && argv[3].toUpperCase() === 'WITHSCORES',
  }),
  RANDOMKEY: randomKey,
  SPOP: spop,
  SORT: sort,
  SORT_RO: sort,
  PFCOUNT: pfcount,
};

/** Runs one command on both servers and compares, normalizing as the header says. */
export async function runCommand(p: Pair, argv: string[]): Promise<Outcome> {
  const h = HANDLERS[argv[0].toUpperCase()];
  if (h) return h(p, argv);
  const [a, b] = await both(p, argv);
  return strict(a, b);
}

/**
 * Compares everything about one key: type, encoding, contents (order-free
 * only where Redis's order is a hashtable artifact) and TTL (within 2000 ms).
 * Catches a write that went wrong silently, before a read stumbles on it.
 */
export async function checkKey(p: Pair, key: string): Promise<Outcome & { command: string[] }> {
  const steps: string[][] = [['TYPE', key]];
  const [ta, tb] = await both(p, ['TYPE', key]);
  if (show(ta) !== show(tb)) return { ...strict(ta, tb), command: ['TYPE', key] };
  const type = ta.t === '+' ? ta.s : 'none';
  if (type === 'none') return { same: true, rc: '', redis: '', command: steps[0] };
  const enc = ['OBJECT', 'ENCODING', key];
  const [ea, eb] = await both(p, enc);
  if (show(ea) !== show(eb)) return { ...strict(ea, eb), command: enc };
  const compact = eb.t === '$' && allCompact([eb.b.toString('latin1')]);
  const read: Record<string, { argv: string[]; group: number; ordered: boolean }> = {
    string: { argv: ['GET', key], group: 1, ordered: true },
    hash: { argv: ['HGETALL', key], group: 2, ordered: compact },
    list: { argv: ['LRANGE', key, '0', '-1'], group: 1, ordered: true },
    set: { argv: ['SMEMBERS', key], group: 1, ordered: compact },
    zset: { argv: ['ZRANGE', key, '0', '-1', 'WITHSCORES'], group: 1, ordered: true },
    stream: { argv: ['XRANGE', key, '-', '+'], group: 1, ordered: true },
  };
  const r = read[type];
  if (r) {
    const [ca, cb] = await both(p, r.argv);
    const out = r.ordered ? strict(ca, cb) : strict(sortedReply(ca, r.group), sortedReply(cb, r.group), 'hashtable order ignored');
    if (!out.same) return { ...out, command: r.argv };
  }
  const ttl = ['PTTL', key];
  const t = await within(2000)(p, ttl);
  return { ...t, command: ttl };
}
