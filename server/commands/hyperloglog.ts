/**
 * HyperLogLog commands (Redis 7.0 hyperloglog.c): PFADD PFCOUNT PFMERGE
 * PFDEBUG PFSELFTEST. The values are plain strings in Redis's exact byte
 * format (server/keyspace/hyperloglog.ts), so GET/SET move them to and from
 * redis-server.
 *
 * Determinism: Redis's PFCOUNT on one key stores the cardinality it computed
 * in the value's cache bytes (a read that writes, propagated to replicas).
 * Here reads run locally on any node and must not change replicated state,
 * so PFCOUNT never stores the cache: it answers from a valid cache, or
 * computes and answers without storing. PFADD and PFMERGE write bytes
 * exactly as Redis's write path does. The only stored difference from
 * redis-server is therefore the cache bytes (8..15) of a value Redis has
 * PFCOUNTed since its last change (and the embstr -> raw conversion that
 * PFCOUNT's unsharing does in Redis); PFCOUNT's answers are the same except
 * on a value whose registers were edited by SETRANGE/APPEND after Redis
 * cached a count (Redis answers the stale cache, we recompute).
 */
import { ErrorReply, isError as isErr, SimpleString, OK, type Reply } from '../../protocol/reply';
import { WRONGTYPE } from '../../protocol/errors';
import { copiedString, encodingConfig, keyString, type StringValue, type Value } from '../keyspace';
import {
  HLL_DENSE,
  HLL_DENSE_SIZE,
  HLL_HDR_SIZE,
  HLL_REGISTERS,
  HLL_SPARSE,
  Sds,
  cachedCard,
  createHll,
  decodeSparse,
  denseGet,
  denseSetRaw,
  estimate,
  hllAdd,
  hllSet,
  histogram,
  invalidateCache,
  isValidHll,
  mergeInto,
  rawHistogram,
  sparseToDense,
} from '../keyspace/hyperloglog';
import { lookupRead, type DataCommand, type ExecContext } from './types';
import { arg, defineCommand, keyArg } from './define';
import { stringObjectEncoding } from './string-encoding';

export const ERR_NOT_HLL = new ErrorReply('WRONGTYPE Key is not a valid HyperLogLog string value.');
export const ERR_INVALID_HLL = new ErrorReply('INVALIDOBJ Corrupted HLL object detected');
const ERR_NO_KEY = new ErrorReply('ERR The specified key does not exist');
const ERR_NOT_SPARSE = new ErrorReply('ERR HLL encoding is not sparse');

const maxSparseBytes = (): number => encodingConfig['hll-sparse-max-bytes'];

/** isHLLObjectOrReply: another type is the usual WRONGTYPE, a string that is no HLL the HLL one. */
function hllBytes(v: Value): Buffer | ErrorReply {
  if (v.type !== 'string') return WRONGTYPE;
  const bytes = v.value;
  return isValidHll(bytes) ? bytes : ERR_NOT_HLL;
}

/**
 * Stores the work area back as Redis leaves the object: raw (dbUnshareStringValue),
 * TTL kept. Skipped when nothing would change, so an idle PFADD is no new version.
 */
function storeHll(ctx: ExecContext, key: string, old: StringValue | undefined, hll: Sds): void {
  const bytes = hll.bytes();
  if (old !== undefined && stringObjectEncoding(old).encoding === 'raw' && old.equals(bytes)) return;
  ctx.db.set(key, copiedString(bytes, 'raw'), ctx.index, true);
}

/** At apply time: the key's HLL as a work area, undefined when absent, or the error to answer. */
function hllForWrite(ctx: ExecContext, key: string): { old: StringValue; hll: Sds } | undefined | ErrorReply {
  const v = ctx.db.lookupWrite(key, ctx.now, ctx.index);
  if (v === undefined) return undefined;
  const bytes = hllBytes(v);
  if (isErr(bytes)) return bytes;
  return { old: v as StringValue, hll: new Sds(bytes, 3) };
}

const toReplyInt = (n: bigint): number | bigint => (n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n);

// ------------------------------------------------------------------ PFADD

const pfadd = defineCommand({
  name: 'pfadd',
  arity: -2,
  flags: ['write', 'denyoom', 'fast'],
  keys: [1, 1, 1],
  acl: ['@write', '@hyperloglog', '@fast'],
  doc: {
    summary: 'Adds elements to a HyperLogLog key. Creates the key if it doesn\'t exist.',
    since: '2.8.9',
    group: 'hyperloglog',
    complexity: 'O(1) to add every element.',
    arguments: [keyArg(), arg('element', 'string', { optional: true, multiple: true })],
  },
  exec(ctx, argv) {
    const key = keyString(argv[1]);
    const found = hllForWrite(ctx, key);
    if (isErr(found)) return found;
    let hll = found === undefined ? createHll() : found.hll;
    let updated = found === undefined ? 1 : 0;
    for (let j = 2; j < argv.length; j++) {
      const r = hllAdd(hll, argv[j], maxSparseBytes());
      hll = r.hll;
      if (r.result === -1) {
        // Redis edits in place: what the earlier elements changed stays.
        storeHll(ctx, key, found?.old, hll);
        return ERR_INVALID_HLL;
      }
      updated += r.result;
    }
    if (updated) invalidateCache(hll);
    storeHll(ctx, key, found?.old, hll);
    return updated ? 1 : 0;
  },
});

// ---------------------------------------------------------------- PFCOUNT

/** Several keys: the count of their union, merged into a temporary register set (never stored). */
function countUnion(ctx: ExecContext, argv: Buffer[]): Reply {
  const max = new Uint8Array(HLL_REGISTERS);
  for (let j = 1; j < argv.length; j++) {
    const v = lookupRead(ctx, keyString(argv[j]));
    if (v === undefined) continue;
    const bytes = hllBytes(v);
    if (isErr(bytes)) return bytes;
    if (!mergeInto(max, bytes)) return ERR_INVALID_HLL;
  }
  return estimate(rawHistogram(max));
}

const pfcount = defineCommand({
  name: 'pfcount',
  arity: -2,
  flags: ['readonly'],
  keys: [1, -1, 1],
  acl: ['@read', '@hyperloglog', '@slow'],
  doc: {
    summary: 'Returns the approximated cardinality of the set(s) observed by the HyperLogLog key(s).',
    since: '2.8.9',
    group: 'hyperloglog',
    complexity: 'O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.',
    arguments: [keyArg('key', { multiple: true })],
  },
  exec(ctx, argv) {
    if (argv.length > 2) return countUnion(ctx, argv);
    const v = lookupRead(ctx, keyString(argv[1]));
    if (v === undefined) return 0;
    const bytes = hllBytes(v);
    if (isErr(bytes)) return bytes;
    const cached = cachedCard(bytes);
    if (cached !== null) return toReplyInt(cached);
    // Not stored back (see the header): this runs on one node, outside the log.
    const h = histogram(bytes);
    return h === null ? ERR_INVALID_HLL : estimate(h);
  },
});

// ---------------------------------------------------------------- PFMERGE

const pfmerge = defineCommand({
  name: 'pfmerge',
  arity: -2,
  flags: ['write', 'denyoom'],
  keys: [1, -1, 1],
  acl: ['@write', '@hyperloglog', '@slow'],
  doc: {
    summary: 'Merges one or more HyperLogLog values into a single key.',
    since: '2.8.9',
    group: 'hyperloglog',
    complexity: 'O(N) to merge N HyperLogLogs, but with high constant times.',
    arguments: [keyArg('destkey'), keyArg('sourcekey', { optional: true, multiple: true })],
  },
  exec(ctx, argv) {
    const max = new Uint8Array(HLL_REGISTERS);
    let useDense = false;
    // The destination is a source too (argv[1]), so it is validated here.
    for (let j = 1; j < argv.length; j++) {
      const v = ctx.db.lookupWrite(keyString(argv[j]), ctx.now, ctx.index);
      if (v === undefined) continue;
      const bytes = hllBytes(v);
      if (isErr(bytes)) return bytes;
      if (bytes[4] === HLL_DENSE) useDense = true;
      if (!mergeInto(max, bytes)) return ERR_INVALID_HLL;
    }
    const key = keyString(argv[1]);
    const found = hllForWrite(ctx, key);
    if (isErr(found)) return found; // cannot happen: checked above
    let hll = found === undefined ? createHll() : found.hll;
    if (useDense) {
      const d = sparseToDense(hll);
      if (d === null) return ERR_INVALID_HLL;
      hll = d;
    }
    // Redis ignores a failed sparse set here: the destination was validated as a source.
    for (let j = 0; j < HLL_REGISTERS; j++) if (max[j] !== 0) hll = hllSet(hll, j, max[j], maxSparseBytes()).hll;
    invalidateCache(hll);
    storeHll(ctx, key, found?.old, hll);
    return OK;
  },
});

// ---------------------------------------------------------------- PFDEBUG

function pfdebugReply(sub: string, hll: Sds): { reply: Reply; hll: Sds } {
  switch (sub.toLowerCase()) {
    case 'getreg': {
      const d = sparseToDense(hll);
      if (d === null) return { reply: ERR_INVALID_HLL, hll };
      const regs: number[] = new Array<number>(HLL_REGISTERS);
      for (let j = 0; j < HLL_REGISTERS; j++) regs[j] = denseGet(d.b, HLL_HDR_SIZE, j);
      return { reply: regs, hll: d };
    }
    case 'decode':
      if (hll.encoding !== HLL_SPARSE) return { reply: ERR_NOT_SPARSE, hll };
      return { reply: Buffer.from(decodeSparse(hll.bytes()), 'latin1'), hll };
    case 'encoding':
      return { reply: new SimpleString(hll.encoding === HLL_DENSE ? 'dense' : 'sparse'), hll };
    case 'todense': {
      if (hll.encoding !== HLL_SPARSE) return { reply: 0, hll };
      const d = sparseToDense(hll);
      return d === null ? { reply: ERR_INVALID_HLL, hll } : { reply: 1, hll: d };
    }
    default:
      return { reply: new ErrorReply(`ERR Unknown PFDEBUG subcommand '${sub.replace(/[\r\n]/g, ' ')}'`), hll };
  }
}

const pfdebug = defineCommand({
  name: 'pfdebug',
  arity: 3,
  flags: ['write', 'denyoom', 'admin'],
  keys: [2, 2, 1],
  acl: ['@write', '@hyperloglog', '@admin', '@slow', '@dangerous'],
  doc: {
    summary: 'Internal commands for debugging HyperLogLog values',
    since: '2.8.9',
    group: 'hyperloglog',
    complexity: 'N/A',
    arguments: [arg('subcommand', 'string'), keyArg()],
  },
  exec(ctx, argv) {
    // As Redis: the key is looked up (and unshared to raw) before the subcommand is read.
    const key = keyString(argv[2]);
    const found = hllForWrite(ctx, key);
    if (found === undefined) return ERR_NO_KEY;
    if (isErr(found)) return found;
    const { reply, hll } = pfdebugReply(argv[1].toString('latin1'), found.hll);
    storeHll(ctx, key, found.old, hll);
    return reply;
  },
});

// ------------------------------------------------------------- PFSELFTEST

/**
 * Fewer rounds than Redis (1000 register rounds, 10M elements): this runs on
 * the event loop that also keeps Raft heartbeats going, so it is kept to
 * well under a second; the checks are Redis's.
 */
const SELFTEST_REGISTER_ROUNDS = 20;
const SELFTEST_ELEMENTS = 100000;

function selftest(random: () => number): Reply {
  const dense = new Uint8Array(HLL_DENSE_SIZE + 1);
  const bytes = new Uint8Array(HLL_REGISTERS);
  for (let round = 0; round < SELFTEST_REGISTER_ROUNDS; round++) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const r = Math.floor(random() * 64);
      bytes[i] = r;
      denseSetRaw(dense, HLL_HDR_SIZE, i, r);
    }
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const val = denseGet(dense, HLL_HDR_SIZE, i);
      if (val !== bytes[i]) return new ErrorReply(`TESTFAILED Register ${i} should be ${bytes[i]} but is ${val}`);
    }
  }
  const d = createHll();
  const denseHll = sparseToDense(d) as Sds;
  let sparse = createHll();
  const relerr = 1.04 / Math.sqrt(HLL_REGISTERS);
  let checkpoint = 1;
  const seedLo = Math.floor(random() * 0x100000000);
  const seedHi = Math.floor(random() * 0x100000000);
  const ele = Buffer.alloc(8);
  for (let j = 1; j <= SELFTEST_ELEMENTS; j++) {
    ele.writeUInt32LE((j ^ seedLo) >>> 0, 0);
    ele.writeUInt32LE(seedHi, 4);
    hllAdd(denseHll, ele, maxSparseBytes());
    sparse = hllAdd(sparse, ele, maxSparseBytes()).hll;
    if (j !== checkpoint) continue;
    if (j < maxSparseBytes() / 2 && sparse.encoding !== HLL_SPARSE) return new ErrorReply('TESTFAILED sparse encoding not used');
    const a = histogram(denseHll.bytes());
    const b = histogram(sparse.bytes());
    const count = a === null ? -1 : estimate(a);
    if (b === null || count !== estimate(b)) return new ErrorReply('TESTFAILED dense/sparse disagree');
    const abserr = Math.abs(checkpoint - count);
    const maxerr = j === 10 ? 1 : Math.ceil(relerr * 6 * checkpoint);
    if (abserr > maxerr) return new ErrorReply(`TESTFAILED Too big error. card:${checkpoint} abserr:${abserr}`);
    checkpoint *= 10;
  }
  return OK;
}

const pfselftest = defineCommand({
  name: 'pfselftest',
  arity: 1,
  flags: ['admin'],
  keys: [0, 0, 0],
  acl: ['@hyperloglog', '@admin', '@slow', '@dangerous'],
  doc: { summary: 'An internal command for testing HyperLogLog values', since: '2.8.9', group: 'hyperloglog', complexity: 'N/A' },
  exec: (ctx) => selftest(ctx.random),
});

export const hyperloglogCommands: DataCommand[] = [pfadd, pfcount, pfmerge, pfdebug, pfselftest];
