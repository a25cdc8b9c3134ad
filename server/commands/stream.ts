/**
 * Stream commands (Redis 7.0 t_stream.c): XADD, XLEN, XRANGE, XREVRANGE,
 * XDEL, XTRIM, XSETID, XREAD and XINFO STREAM; the consumer-group commands
 * are in stream-groups.ts. XREAD's exec never waits (MULTI and Lua get
 * that); a client's XREAD BLOCK waits in stream-wait.ts. Data lives in
 * keyspace/stream.ts.
 *
 * `*` ids are computed at apply time from ctx.now (the log entry's cluster
 * time) and the stream's last id, not in `rewrite` on the leader: several
 * XADDs proposed in one batch are rewritten before any of them is applied,
 * so the leader could not know the last id the earlier ones will leave. At
 * apply the id is a pure function of (state, entry) and identical on every
 * node, and a replayed log produces the same ids.
 */
import { ErrorReply, isError as isErr, MapReply, NullArray, OK, SimpleString, type Reply } from '../../protocol/reply';
import { ERR_NO_SUCH_KEY, ERR_SYNTAX, errArity, errUnknownSubcommand } from '../../protocol/errors';
import { keyString } from '../keyspace';
import { StreamValue, ENTRIES_READ_UNKNOWN, type ConsumerGroup, type StreamEntry } from '../keyspace/stream';
import { compareIds, formatId, idBuffer, isZeroId, MAX_ID, MIN_ID, nextId, U64_MAX, type StreamId } from '../keyspace/stream-id';
import { arg, block, defineCommand, keyArg, oneOf, pureToken } from './define';
import { int64Arg, intervalId, parseAddTrim, strictId } from './stream-args';
import { readTyped, writeTyped } from './typed';
import type { ArgDoc, CommandDoc, DataCommand, ExecContext } from './types';
import { isToken } from './util';
import { withSubcommands } from './data-container';
import { ERR_TIMEOUT_NEGATIVE } from './blocking-args';
import { rangeReply } from './stream-reply';

const ERR_ZERO_ID = new ErrorReply('ERR The ID specified in XADD must be greater than 0-0');
const ERR_ID_SMALLER = new ErrorReply('ERR The ID specified in XADD is equal or smaller than the target stream top item');
const ERR_EXHAUSTED = new ErrorReply('ERR The stream has exhausted the last possible ID, unable to add more items');
const ERR_TIMEOUT_NOT_INT = new ErrorReply('ERR timeout is not an integer or out of range');

const STREAM_READ = ['@read', '@stream'];
const STREAM_WRITE = ['@write', '@stream'];

export function streamDoc(summary: string, since: string, complexity: string, args: ArgDoc[]): CommandDoc {
  return { summary, since, group: 'stream', complexity, arguments: args };
}

/** [id, [field, value, ...]]: how every command replies an entry. */
export function entryReply(e: StreamEntry): Reply {
  return [idBuffer(e.id), e.pairs];
}

export function entriesReply(list: StreamEntry[]): Reply {
  return list.map(entryReply);
}

/** After a stream was changed in place: version, size and records (an empty stream stays: streams may be empty). */
export function streamWritten(ctx: ExecContext, key: string): void {
  ctx.db.touched(key, ctx.index);
}

/**
 * Redis streamEstimateDistanceFromFirstEverEntry: the entries-read counter
 * of `id`, or ENTRIES_READ_UNKNOWN.
 */
export function estimateEntriesRead(s: StreamValue, id: StreamId): bigint {
  if (s.entriesAdded === 0n) return 0n;
  if (s.length === 0 && compareIds(id, s.lastId) < 1) return s.entriesAdded;
  const cmpLast = compareIds(id, s.lastId);
  if (cmpLast === 0) return s.entriesAdded;
  if (cmpLast > 0) return ENTRIES_READ_UNKNOWN;
  const first = s.firstId();
  const cmpFirst = compareIds(id, first);
  if (isZeroId(s.maxDeletedId) || compareIds(s.maxDeletedId, first) < 0) {
    if (cmpFirst < 0) return s.entriesAdded - BigInt(s.length);
    if (cmpFirst === 0) return s.entriesAdded - BigInt(s.length) + 1n;
  }
  return ENTRIES_READ_UNKNOWN;
}

/** Redis streamRangeHasTombstones from `start` to the end. */
export function hasTombstonesFrom(s: StreamValue, start: StreamId): boolean {
  if (s.length === 0 || isZeroId(s.maxDeletedId)) return false;
  if (compareIds(s.firstId(), s.maxDeletedId) > 0) return false;
  return compareIds(start, s.maxDeletedId) <= 0;
}

/** XINFO's lag of a group, null when it cannot be known. */
export function groupLag(s: StreamValue, g: ConsumerGroup): bigint | null {
  if (s.entriesAdded === 0n) return 0n;
  if (g.entriesRead !== ENTRIES_READ_UNKNOWN && !hasTombstonesFrom(s, g.lastId)) return s.entriesAdded - g.entriesRead;
  const read = estimateEntriesRead(s, g.lastId);
  return read === ENTRIES_READ_UNKNOWN ? null : s.entriesAdded - read;
}

// ------------------------------------------------------------ XADD / XTRIM

const trimArgs: ArgDoc = block('trim', [
  oneOf('strategy', [pureToken('maxlen', 'MAXLEN'), pureToken('minid', 'MINID', { since: '6.2.0' })]),
  oneOf('operator', [pureToken('equal', '='), pureToken('approximately', '~')], { optional: true }),
  arg('threshold', 'string'),
  arg('count', 'integer', { token: 'LIMIT', optional: true, since: '6.2.0' }),
]);

/** XADD's checks that need no state (all of Redis's, up to the 0-0 id). */
function checkXadd(argv: Buffer[]): ErrorReply | ReturnType<typeof parseAddTrim> {
  const p = parseAddTrim(argv, true);
  if (isErr(p)) return p;
  const fieldPos = p.idPos + 1;
  if (argv.length - fieldPos < 2 || (argv.length - fieldPos) % 2 === 1) return errArity('xadd');
  if (p.id !== null && p.seqGiven && isZeroId(p.id)) return ERR_ZERO_ID;
  return p;
}

const xadd = defineCommand({
  name: 'xadd',
  arity: -5,
  flags: ['write', 'denyoom', 'fast'],
  keys: [1, 1, 1],
  acl: [...STREAM_WRITE, '@fast'],
  doc: streamDoc('Appends a new message to a stream. Creates the key if it doesn\'t exist.', '5.0.0', 'O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.', [
    keyArg(),
    pureToken('nomkstream', 'NOMKSTREAM', { optional: true, since: '6.2.0' }),
    { ...trimArgs, optional: true },
    oneOf('id-selector', [pureToken('auto-id', '*'), arg('id', 'string')]),
    block('data', [arg('field', 'string'), arg('value', 'string')], { multiple: true }),
  ]),
  check(argv) {
    const p = checkXadd(argv);
    return isErr(p) ? p : null;
  },
  exec(ctx, argv) {
    const p = checkXadd(argv);
    if (isErr(p)) return p;
    const key = keyString(argv[1]);
    const cur = writeTyped(ctx, key, StreamValue);
    if (isErr(cur)) return cur;
    if (cur === undefined && p.noMkStream) return null;
    const s = cur ?? new StreamValue();
    // As Redis, the stream is created before the id checks (they cannot fail on a new stream).
    if (cur === undefined) ctx.db.set(key, s, ctx.index);
    const last = s.lastId;
    if (last.ms === U64_MAX && last.seq === U64_MAX) return ERR_EXHAUSTED;
    let id: StreamId;
    if (p.id === null) {
      const now = BigInt(ctx.now);
      id = now > last.ms ? { ms: now, seq: 0n } : nextId(last)!;
    } else if (p.seqGiven) {
      id = p.id;
    } else if (p.id.ms === last.ms) {
      // redis-server 7.0 leaves errno unset on this path and answers whichever text a stale errno
      // picks ("Elements are too large to be stored" or this); this one is the deterministic choice.
      if (last.seq === U64_MAX) return ERR_ID_SMALLER;
      id = { ms: last.ms, seq: last.seq + 1n };
    } else {
      id = p.id;
    }
    if (compareIds(id, last) <= 0) return ERR_ID_SMALLER;
    s.add(id, argv.slice(p.idPos + 1));
    if (p.trim !== null) s.trim(p.trim);
    streamWritten(ctx, key);
    // A string, not a Buffer: the reply waits for the write's turn to be flushed, and a Buffer
    // view is three times the heap (XADD is the hot path of a pipelined fill).
    return formatId(id);
  },
});

const xtrim = defineCommand({
  name: 'xtrim',
  arity: -4,
  flags: ['write'],
  keys: [1, 1, 1],
  acl: [...STREAM_WRITE, '@slow'],
  doc: streamDoc('Deletes messages from the beginning of a stream.', '5.0.0', 'O(N), with N being the number of evicted entries.', [keyArg(), trimArgs]),
  check(argv) {
    const p = parseAddTrim(argv, false);
    return isErr(p) ? p : null;
  },
  exec(ctx, argv) {
    const p = parseAddTrim(argv, false);
    if (isErr(p)) return p;
    const key = keyString(argv[1]);
    const s = writeTyped(ctx, key, StreamValue);
    if (s === undefined || isErr(s)) return s ?? 0;
    const n = s.trim(p.trim!);
    if (n > 0) streamWritten(ctx, key);
    return n;
  },
});

// ------------------------------------------------------------ XLEN / XRANGE / XREVRANGE / XDEL

const xlen = defineCommand({
  name: 'xlen',
  arity: 2,
  flags: ['readonly', 'fast'],
  keys: [1, 1, 1],
  acl: [...STREAM_READ, '@fast'],
  doc: streamDoc('Return the number of messages in a stream.', '5.0.0', 'O(1)', [keyArg()]),
  exec(ctx, argv) {
    const s = readTyped(ctx, keyString(argv[1]), StreamValue);
    if (isErr(s)) return s;
    return s === null ? 0 : s.length;
  },
});

function rangeCommand(ctx: ExecContext, argv: Buffer[], rev: boolean): Reply {
  const start = intervalId(argv[rev ? 3 : 2], true);
  if (isErr(start)) return start;
  const end = intervalId(argv[rev ? 2 : 3], false);
  if (isErr(end)) return end;
  let count = -1;
  for (let j = 4; j < argv.length; j++) {
    if (isToken(argv[j], 'count') && j + 1 < argv.length) {
      const n = int64Arg(argv[j + 1]);
      if (isErr(n)) return n;
      count = n < 0 ? 0 : n;
      j++;
    } else {
      return ERR_SYNTAX;
    }
  }
  const s = readTyped(ctx, keyString(argv[1]), StreamValue);
  if (isErr(s)) return s;
  if (s === null) return [];
  if (count === 0) return NullArray.instance;
  if (ctx.directReply === true) return rangeReply(s, start, end, count < 0 ? 0 : count, rev);
  return entriesReply(s.range(start, end, count < 0 ? 0 : count, rev));
}

const rangeDoc = (summary: string, first: string, second: string): CommandDoc =>
  streamDoc(summary, '5.0.0', 'O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).', [
    keyArg(),
    arg(first, 'string'),
    arg(second, 'string'),
    arg('count', 'integer', { token: 'COUNT', optional: true }),
  ]);

const xrange = defineCommand({
  name: 'xrange',
  arity: -4,
  flags: ['readonly'],
  keys: [1, 1, 1],
  acl: [...STREAM_READ, '@slow'],
  doc: rangeDoc('Return a range of elements in a stream, with IDs matching the specified IDs interval', 'start', 'end'),
  exec: (ctx, argv) => rangeCommand(ctx, argv, false),
});

const xrevrange = defineCommand({
  name: 'xrevrange',
  arity: -4,
  flags: ['readonly'],
  keys: [1, 1, 1],
  acl: [...STREAM_READ, '@slow'],
  doc: rangeDoc('Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE', 'end', 'start'),
  exec: (ctx, argv) => rangeCommand(ctx, argv, true),
});

const xdel = defineCommand({
  name: 'xdel',
  arity: -3,
  flags: ['write', 'fast'],
  keys: [1, 1, 1],
  acl: [...STREAM_WRITE, '@fast'],
  doc: streamDoc('Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.', '5.0.0', 'O(1) for each single item to delete in the stream, regardless of the stream size.', [keyArg(), arg('id', 'string', { multiple: true })]),
  exec(ctx, argv) {
    const key = keyString(argv[1]);
    const s = writeTyped(ctx, key, StreamValue);
    if (s === undefined || isErr(s)) return s ?? 0;
    const ids: StreamId[] = [];
    for (let i = 2; i < argv.length; i++) {
      const id = strictId(argv[i]);
      if (isErr(id)) return id;
      ids.push(id);
    }
    let deleted = 0;
    for (const id of ids) {
      if (!s.delete(id)) continue;
      if (compareIds(id, s.maxDeletedId) > 0) s.maxDeletedId = id;
      deleted++;
    }
    if (deleted > 0) {
      s.metaChanged();
      streamWritten(ctx, key);
    }
    return deleted;
  },
});

// ------------------------------------------------------------ XSETID

const xsetid = defineCommand({
  name: 'xsetid',
  arity: -3,
  flags: ['write', 'denyoom', 'fast'],
  keys: [1, 1, 1],
  acl: [...STREAM_WRITE, '@fast'],
  doc: streamDoc('An internal command for replicating stream values', '5.0.0', 'O(1)', [
    keyArg(),
    arg('last-id', 'string'),
    arg('entries-added', 'integer', { token: 'ENTRIESADDED', optional: true, since: '7.0.0' }),
    arg('max-deleted-id', 'string', { token: 'MAXDELETEDID', optional: true, since: '7.0.0' }),
  ]),
  exec(ctx, argv) {
    const id = strictId(argv[2]);
    if (isErr(id)) return id;
    let entriesAdded = -1n;
    let maxDeleted: StreamId = MIN_ID;
    for (let i = 3; i < argv.length; ) {
      const more = argv.length - 1 - i;
      if (isToken(argv[i], 'entriesadded') && more > 0) {
        const n = int64Arg(argv[i + 1]);
        if (isErr(n)) return n;
        if (n < 0) return new ErrorReply('ERR entries_added must be positive');
        entriesAdded = BigInt(argv[i + 1].toString('latin1'));
        i += 2;
      } else if (isToken(argv[i], 'maxdeletedid') && more > 0) {
        const m = strictId(argv[i + 1]);
        if (isErr(m)) return m;
        if (compareIds(id, m) < 0) return new ErrorReply('ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id');
        maxDeleted = m;
        i += 2;
      } else {
        return ERR_SYNTAX;
      }
    }
    const key = keyString(argv[1]);
    const s = writeTyped(ctx, key, StreamValue);
    if (s === undefined) return ERR_NO_SUCH_KEY;
    if (isErr(s)) return s;
    if (s.length > 0) {
      if (compareIds(id, s.lastValidId()) < 0) return new ErrorReply('ERR The ID specified in XSETID is smaller than the target stream top item');
      if (entriesAdded !== -1n && BigInt(s.length) > entriesAdded) return new ErrorReply('ERR The entries_added specified in XSETID is smaller than the target stream length');
    }
    // (7.0 has no check against the current max deleted id: XSETID below it is accepted.)
    s.lastId = id;
    if (entriesAdded !== -1n) s.entriesAdded = entriesAdded;
    if (!isZeroId(maxDeleted)) s.maxDeletedId = maxDeleted;
    s.metaChanged();
    streamWritten(ctx, key);
    return OK;
  },
});

// ------------------------------------------------------------ XREAD

export interface ReadArgs {
  count: number;
  /** BLOCK's timeout in ms, or -1. */
  block: number;
  group: { name: string; consumer: string } | null;
  noack: boolean;
  /** argv index of BLOCK's value, or 0. */
  blockAt: number;
  /** argv index of the first key; `keys` keys follow, then as many ids. */
  streamsAt: number;
  keys: number;
}

/** XREAD / XREADGROUP options (Redis xreadCommand's loop); ids are parsed by the caller. */
export function parseReadArgs(argv: Buffer[], group: boolean): ReadArgs | ErrorReply {
  const o: ReadArgs = { count: 0, block: -1, blockAt: 0, group: null, noack: false, streamsAt: 0, keys: 0 };
  for (let i = 1; i < argv.length; i++) {
    const more = argv.length - i - 1;
    const a = argv[i];
    if (isToken(a, 'block') && more > 0) {
      i++;
      const t = int64Arg(argv[i]);
      if (isErr(t)) return ERR_TIMEOUT_NOT_INT;
      if (t < 0) return ERR_TIMEOUT_NEGATIVE;
      o.block = t;
      o.blockAt = i;
    } else if (isToken(a, 'count') && more > 0) {
      i++;
      const n = int64Arg(argv[i]);
      if (isErr(n)) return n;
      o.count = n < 0 ? 0 : n;
    } else if (isToken(a, 'streams') && more > 0) {
      o.streamsAt = i + 1;
      const n = argv.length - o.streamsAt;
      // 7.0 words it so for XREADGROUP too.
      if (n % 2 !== 0) return new ErrorReply("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
      o.keys = n / 2;
      break;
    } else if (isToken(a, 'group') && more >= 2) {
      if (!group) return new ErrorReply('ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.');
      o.group = { name: argv[i + 1].toString('latin1'), consumer: argv[i + 2].toString('latin1') };
      i += 2;
    } else if (isToken(a, 'noack')) {
      if (!group) return new ErrorReply('ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.');
      o.noack = true;
    } else {
      return ERR_SYNTAX;
    }
  }
  if (o.streamsAt === 0) return ERR_SYNTAX;
  if (group && o.group === null) return new ErrorReply('ERR Missing GROUP option for XREADGROUP');
  return o;
}

const ERR_GT_XREAD = new ErrorReply('ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.');

/** XREAD's ids after their keys' lookups: `$` is the stream's last id then. */
function xreadIds(ctx: ExecContext, argv: Buffer[], o: ReadArgs): Array<{ s: StreamValue | null; after: StreamId }> | ErrorReply {
  const out: Array<{ s: StreamValue | null; after: StreamId }> = [];
  for (let k = 0; k < o.keys; k++) {
    const s = readTyped(ctx, keyString(argv[o.streamsAt + k]), StreamValue);
    if (isErr(s)) return s;
    const a = argv[o.streamsAt + o.keys + k];
    if (a.length === 1 && a[0] === 0x24) {
      out.push({ s, after: s?.lastId ?? MIN_ID });
      continue;
    }
    if (a.length === 1 && a[0] === 0x3e) return ERR_GT_XREAD;
    const id = strictId(a);
    if (isErr(id)) return id;
    out.push({ s, after: id });
  }
  return out;
}

/** XREAD without waiting: the streams with entries after their ids, else null (RESP3 `_`). */
export function xreadNow(ctx: ExecContext, argv: Buffer[], o: ReadArgs): Reply {
  const ids = xreadIds(ctx, argv, o);
  if (isErr(ids)) return ids;
  const served: Array<[Reply, Reply]> = [];
  ids.forEach(({ s, after }, k) => {
    if (s === null || s.length === 0 || compareIds(s.lastValidId(), after) <= 0) return;
    const start = nextId(after) ?? MAX_ID;
    const entries = ctx.directReply === true ? rangeReply(s, start, MAX_ID, o.count, false) : entriesReply(s.range(start, MAX_ID, o.count, false));
    served.push([argv[o.streamsAt + k], entries]);
  });
  return served.length === 0 ? NullArray.instance : new MapReply(served, true);
}

const xread = defineCommand({
  name: 'xread',
  arity: -4,
  flags: ['readonly', 'blocking', 'movablekeys'],
  keys: [0, 0, 0],
  acl: [...STREAM_READ, '@slow', '@blocking'],
  doc: streamDoc('Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.', '5.0.0', 'For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.', [
    arg('count', 'integer', { token: 'COUNT', optional: true }),
    arg('milliseconds', 'integer', { token: 'BLOCK', optional: true }),
    block('streams', [keyArg('key', { multiple: true }), arg('id', 'string', { multiple: true })], { token: 'STREAMS' }),
  ]),
  exec(ctx, argv) {
    const o = parseReadArgs(argv, false);
    if (isErr(o)) return o;
    return xreadNow(ctx, argv, o);
  },
});

// ------------------------------------------------------------ XINFO

const XINFO_HELP = [
  'XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CONSUMERS <key> <groupname>',
  '    Show consumers of <groupname>.',
  'GROUPS <key>',
  '    Show the stream consumer groups.',
  'STREAM <key> [FULL [COUNT <count>]',
  '    Show information about the stream.',
  'HELP',
  '    Prints this help.',
];

function nullable(v: bigint | null): Reply {
  return v === null ? null : v;
}

function entriesReadReply(v: bigint): Reply {
  return v === ENTRIES_READ_UNKNOWN ? null : v;
}

/** Redis addReplySubcommandSyntaxError: names the subcommand as the client wrote it. */
export function errSubcommandSyntax(sub: Buffer, container: string): ErrorReply {
  return new ErrorReply(`ERR unknown subcommand or wrong number of arguments for '${sub.subarray(0, 128).toString('latin1')}'. Try ${container} HELP.`);
}

function xinfoStream(ctx: ExecContext, argv: Buffer[]): Reply {
  const s = readTyped(ctx, keyString(argv[2]), StreamValue);
  if (isErr(s)) return s;
  if (s === null) return ERR_NO_SUCH_KEY;
  let full = false;
  let count = 10;
  if (argv.length > 3) {
    if (!isToken(argv[3], 'full')) return errSubcommandSyntax(argv[1], 'XINFO');
    full = true;
    if (argv.length > 4) {
      if (argv.length !== 6 || !isToken(argv[4], 'count')) return errSubcommandSyntax(argv[1], 'XINFO');
      const n = int64Arg(argv[5]);
      if (isErr(n)) return n;
      count = n < 0 ? 10 : n;
    }
  }
  const rax = s.raxStats();
  const head: Array<[Reply, Reply]> = [
    ['length', s.length],
    ['radix-tree-keys', rax.keys],
    ['radix-tree-nodes', rax.nodes],
    ['last-generated-id', idBuffer(s.lastId)],
    ['max-deleted-entry-id', idBuffer(s.maxDeletedId)],
    ['entries-added', s.entriesAdded],
    ['recorded-first-entry-id', idBuffer(s.firstId())],
  ];
  if (!full) {
    const first = s.first();
    const last = s.last();
    head.push(['groups', s.groups.size], ['first-entry', first ? entryReply(first) : null], ['last-entry', last ? entryReply(last) : null]);
    return new MapReply(head);
  }
  head.push(['entries', entriesReply(s.range(MIN_ID, MAX_ID, count, false))]);
  const groups: Reply[] = [];
  for (const g of sortedGroups(s)) {
    const pending: Reply[] = [];
    for (const p of g.pel.values()) {
      if (count > 0 && pending.length >= count) break;
      pending.push([idBuffer(p.id), Buffer.from(p.consumer.name, 'latin1'), p.deliveryTime, p.deliveryCount]);
    }
    const consumers: Reply[] = [];
    for (const c of g.sortedConsumers()) {
      const cp: Reply[] = [];
      for (const p of c.pel.values()) {
        if (count > 0 && cp.length >= count) break;
        cp.push([idBuffer(p.id), p.deliveryTime, p.deliveryCount]);
      }
      consumers.push(
        new MapReply([
          ['name', Buffer.from(c.name, 'latin1')],
          ['seen-time', c.seenTime],
          ['pel-count', c.pel.size],
          ['pending', cp],
        ]),
      );
    }
    groups.push(
      new MapReply([
        ['name', Buffer.from(g.name, 'latin1')],
        ['last-delivered-id', idBuffer(g.lastId)],
        ['entries-read', entriesReadReply(g.entriesRead)],
        ['lag', nullable(groupLag(s, g))],
        ['pel-count', g.pel.size],
        ['pending', pending],
        ['consumers', consumers],
      ]),
    );
  }
  head.push(['groups', groups]);
  return new MapReply(head);
}

/** A name as Redis's "%s" prints it: up to its first NUL byte. */
export function cString(b: Buffer): string {
  const nul = b.indexOf(0);
  return (nul < 0 ? b : b.subarray(0, nul)).toString('latin1');
}

/** Groups by name (Redis keeps them in a rax). */
export function sortedGroups(s: StreamValue): ConsumerGroup[] {
  return [...s.groups.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function xinfoGroups(ctx: ExecContext, argv: Buffer[]): Reply {
  const s = readTyped(ctx, keyString(argv[2]), StreamValue);
  if (isErr(s)) return s;
  if (s === null) return ERR_NO_SUCH_KEY;
  return sortedGroups(s).map(
    (g) =>
      new MapReply([
        ['name', Buffer.from(g.name, 'latin1')],
        ['consumers', g.consumers.size],
        ['pending', g.pel.size],
        ['last-delivered-id', idBuffer(g.lastId)],
        ['entries-read', entriesReadReply(g.entriesRead)],
        ['lag', nullable(groupLag(s, g))],
      ]),
  );
}

function xinfoConsumers(ctx: ExecContext, argv: Buffer[]): Reply {
  const s = readTyped(ctx, keyString(argv[2]), StreamValue);
  if (isErr(s)) return s;
  if (s === null) return ERR_NO_SUCH_KEY;
  const g = s.groups.get(argv[3].toString('latin1'));
  if (g === undefined) return new ErrorReply(`NOGROUP No such consumer group '${cString(argv[3])}' for key name '${cString(argv[2])}'`);
  return g.sortedConsumers().map(
    (c) =>
      new MapReply([
        ['name', Buffer.from(c.name, 'latin1')],
        ['pending', c.pel.size],
        ['idle', Math.max(0, ctx.now - c.seenTime)],
      ]),
  );
}

/**
 * XINFO is one data command dispatching on its subcommand (the command
 * table's containers hold no data commands), answering each subcommand's
 * arity and unknown-subcommand errors as Redis does.
 */
const XINFO_SUBS: Record<string, { arity: number; run: (ctx: ExecContext, argv: Buffer[]) => Reply }> = {
  stream: { arity: -3, run: xinfoStream },
  groups: { arity: 3, run: xinfoGroups },
  consumers: { arity: 4, run: xinfoConsumers },
  help: { arity: 2, run: () => XINFO_HELP.map((l) => new SimpleString(l)) },
};

export function subcommandArityOk(arity: number, n: number): boolean {
  return arity >= 0 ? n === arity : n >= -arity;
}

const xinfoWhole = defineCommand({
  name: 'xinfo',
  arity: -2,
  flags: ['readonly'],
  keys: [2, 2, 1],
  acl: [...STREAM_READ, '@slow'],
  doc: streamDoc('A container for stream introspection commands', '5.0.0', 'Depends on subcommand.', [arg('subcommand', 'string')]),
  exec(ctx, argv) {
    const name = argv[1].toString('latin1').toLowerCase();
    const sub = Object.prototype.hasOwnProperty.call(XINFO_SUBS, name) ? XINFO_SUBS[name] : undefined;
    if (sub === undefined) return errUnknownSubcommand(argv[1], 'xinfo');
    if (!subcommandArityOk(sub.arity, argv.length)) return errArity(`xinfo|${name}`);
    return sub.run(ctx, argv);
  },
});

/** XINFO's subcommands as redis-server 7.0 describes them (COMMAND INFO / DOCS xinfo); the table lists XINFO as their container. */
const xinfo = withSubcommands(xinfoWhole, [
  {
    name: 'xinfo|stream',
    arity: -3,
    flags: ['readonly'],
    keys: [2, 2, 1],
    acl: [...STREAM_READ, '@slow'],
    doc: {
      ...streamDoc('Get information about a stream', '5.0.0', 'O(1)', [
        keyArg(),
        block('full', [arg('count', 'integer', { token: 'COUNT', optional: true })], { token: 'FULL', optional: true }),
      ]),
      history: [
        ['6.0.0', 'Added the `FULL` modifier.'],
        ['7.0.0', 'Added the `max-deleted-entry-id`, `entries-added`, `recorded-first-entry-id`, `entries-read` and `lag` fields'],
      ],
    },
  },
  {
    name: 'xinfo|groups',
    arity: 3,
    flags: ['readonly'],
    keys: [2, 2, 1],
    acl: [...STREAM_READ, '@slow'],
    doc: { ...streamDoc('List the consumer groups of a stream', '5.0.0', 'O(1)', [keyArg()]), history: [['7.0.0', 'Added the `entries-read` and `lag` fields']] },
  },
  {
    name: 'xinfo|consumers',
    arity: 4,
    flags: ['readonly'],
    keys: [2, 2, 1],
    acl: [...STREAM_READ, '@slow'],
    doc: streamDoc('List the consumers in a consumer group', '5.0.0', 'O(1)', [keyArg(), arg('groupname', 'string')]),
  },
  {
    name: 'xinfo|help',
    arity: 2,
    flags: ['loading', 'stale'],
    keys: [0, 0, 0],
    acl: ['@stream', '@slow'],
    doc: streamDoc('Show helpful text about the different subcommands', '5.0.0', 'O(1)', []),
  },
]);

export const streamBaseCommands: DataCommand[] = [xadd, xtrim, xlen, xrange, xrevrange, xdel, xsetid, xread, xinfo];
