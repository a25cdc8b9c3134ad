/**
 * DUMP and RESTORE (Redis's cluster.c dumpCommand / restoreCommand) over
 * Redis's own serialized format (server/rdb/), so payloads move between this
 * server and redis-server in both directions.
 *
 * RESTORE is a write applied on every node: a relative TTL is turned into an
 * absolute one before it is logged (RESTORE k <now+ttl> v ... ABSTTL, as
 * Redis propagates it), and IDLETIME is set from the entry's time.
 */
import { ErrorReply, OK, type Reply } from '../../protocol/reply';
import { ERR_NOT_INTEGER, ERR_SYNTAX } from '../../protocol/errors';
import { keyString } from '../keyspace';
import { buildValue } from '../rdb/build';
import { decodePayload } from '../rdb/decode';
import { dumpValue } from '../rdb/encode';
import { RdbFormatError, verifyPayload } from '../rdb/format';
import { arg, defineCommand, keyArg, pureToken } from './define';
import { lookupRead, type DataCommand, type ExecContext } from './types';
import { INT64_MAX, isToken, parseInt64 } from './util';

const ERR_BUSYKEY = new ErrorReply('BUSYKEY Target key name already exists.');
const ERR_BAD_TTL = new ErrorReply('ERR Invalid TTL value, must be >= 0');
const ERR_BAD_IDLETIME = new ErrorReply('ERR Invalid IDLETIME value, must be >= 0');
const ERR_BAD_FREQ = new ErrorReply('ERR Invalid FREQ value, must be >= 0 and <= 255');
const ERR_PAYLOAD = new ErrorReply('ERR DUMP payload version or checksum are wrong');
const ERR_BAD_FORMAT = new ErrorReply('ERR Bad data format');
const ABSTTL = Buffer.from('ABSTTL');
/** Redis's LRU clock wraps every 2^24 seconds: a bigger IDLETIME is taken modulo that. */
const LRU_CLOCK_MAX = 2 ** 24;

interface RestoreOptions {
  replace: boolean;
  absttl: boolean;
  /** Seconds, or -1 when not given. */
  idle: number;
  /** 0..255, or -1 when not given (only kept under an LFU policy, which this server has not). */
  freq: number;
}

/** restoreCommand's option loop: IDLETIME and FREQ exclude each other (the later one is a syntax error). */
function parseOptions(argv: Buffer[]): RestoreOptions | ErrorReply {
  const o: RestoreOptions = { replace: false, absttl: false, idle: -1, freq: -1 };
  for (let j = 4; j < argv.length; j++) {
    const more = j + 1 < argv.length;
    if (isToken(argv[j], 'replace')) o.replace = true;
    else if (isToken(argv[j], 'absttl')) o.absttl = true;
    else if (isToken(argv[j], 'idletime') && more && o.freq === -1) {
      const v = parseInt64(argv[j + 1]);
      if (v === null) return ERR_NOT_INTEGER;
      if (v < 0) return ERR_BAD_IDLETIME;
      o.idle = Number(BigInt(v) % BigInt(LRU_CLOCK_MAX));
      j++;
    } else if (isToken(argv[j], 'freq') && more && o.idle === -1) {
      const v = parseInt64(argv[j + 1]);
      if (v === null) return ERR_NOT_INTEGER;
      if (v < 0 || v > 255) return ERR_BAD_FREQ;
      o.freq = Number(v);
      j++;
    } else return ERR_SYNTAX;
  }
  return o;
}

const dump = defineCommand({
  name: 'dump',
  arity: 2,
  flags: ['readonly'],
  keys: [1, 1, 1],
  acl: ['@keyspace', '@read', '@slow'],
  doc: {
    summary: 'Returns a serialized representation of the value stored at a key.',
    since: '2.6.0',
    group: 'generic',
    complexity:
      'O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).',
    arguments: [keyArg()],
  },
  exec(ctx, argv) {
    const v = lookupRead(ctx, keyString(argv[1]));
    return v === undefined ? null : dumpValue(v);
  },
});

function restore(ctx: ExecContext, argv: Buffer[]): Reply {
  const o = parseOptions(argv);
  if (o instanceof ErrorReply) return o;
  const key = keyString(argv[1]);
  const db = ctx.db;
  if (!o.replace && db.lookupWrite(key, ctx.now, ctx.index) !== undefined) return ERR_BUSYKEY;
  const ttl = parseInt64(argv[2]);
  if (ttl === null) return ERR_NOT_INTEGER;
  if (ttl < 0) return ERR_BAD_TTL;
  const payload = argv[3];
  const ok = verifyPayload(payload);
  if (ok === null) return ERR_PAYLOAD;
  let value;
  try {
    value = buildValue(decodePayload(payload, ok.version));
  } catch (e) {
    if (e instanceof RdbFormatError || e instanceof RangeError) return ERR_BAD_FORMAT;
    throw e;
  }
  if (o.replace) db.delete(key, ctx.index);
  let when: bigint | null = null;
  if (ttl !== 0) {
    when = BigInt(ttl) + (o.absttl ? 0n : BigInt(ctx.now));
    // Past int64 Redis's deadline wraps negative: already expired.
    if (when > INT64_MAX || when <= BigInt(ctx.now)) return OK;
  }
  db.set(key, value, ctx.index);
  if (when !== null) db.setExpire(key, Number.isSafeInteger(Number(when)) ? Number(when) : when, ctx.index);
  if (o.idle >= 0) db.setAccessedAt(key, ctx.now - o.idle * 1000);
  return OK;
}

const restoreCmd = defineCommand({
  name: 'restore',
  arity: -4,
  flags: ['write', 'denyoom'],
  keys: [1, 1, 1],
  acl: ['@keyspace', '@write', '@slow', '@dangerous'],
  doc: {
    summary: 'Creates a key from the serialized representation of a value.',
    since: '2.6.0',
    group: 'generic',
    complexity:
      'O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).',
    arguments: [
      keyArg(),
      arg('ttl', 'integer'),
      arg('serialized-value', 'string'),
      pureToken('replace', 'REPLACE', { optional: true, since: '3.0.0' }),
      pureToken('absttl', 'ABSTTL', { optional: true, since: '5.0.0' }),
      arg('seconds', 'integer', { token: 'IDLETIME', optional: true, since: '5.0.0' }),
      arg('frequency', 'integer', { token: 'FREQ', optional: true, since: '5.0.0' }),
    ],
  },
  check(argv) {
    const o = parseOptions(argv);
    return o instanceof ErrorReply ? o : null;
  },
  rewrite(argv, now) {
    // A relative TTL becomes an absolute deadline taken on the leader, so every node holds the same one.
    const o = parseOptions(argv);
    const ttl = parseInt64(argv[2]);
    if (o instanceof ErrorReply || o.absttl || ttl === null || ttl <= 0) return argv;
    const when = BigInt(ttl) + BigInt(now);
    if (when > INT64_MAX) return argv;
    const out = argv.slice();
    out[2] = Buffer.from(when.toString(), 'latin1');
    out.push(ABSTTL);
    return out;
  },
  exec: restore,
});

export const dumpCommands: DataCommand[] = [dump, restoreCmd];
