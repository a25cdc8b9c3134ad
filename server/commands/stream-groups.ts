/**
 * Consumer groups (Redis 7.0 t_stream.c): XGROUP, XREADGROUP, XACK,
 * XPENDING, XCLAIM, XAUTOCLAIM, XINFO GROUPS / CONSUMERS (in stream.ts).
 *
 * Every command here that changes a PEL, a group or a consumer is a write:
 * it is logged and applied on every node, and the times it records
 * (delivery time, seen time) are ctx.now, the log entry's cluster time, so
 * every node holds the same times. XPENDING and XINFO are reads: the idle
 * times they answer are the local clock minus those logged times.
 */
import { ErrorReply, isError as isErr, MapReply, NullArray, OK, SimpleString, type Reply } from '../../protocol/reply';
import { ERR_SYNTAX, errArity, errUnknownSubcommand, WRONGTYPE } from '../../protocol/errors';
import { keyString } from '../keyspace';
import { ENTRIES_READ_UNKNOWN, StreamValue, type Consumer, type ConsumerGroup } from '../keyspace/stream';
import { compareIds, idBuffer, idKey, MAX_ID, nextId, type StreamId } from '../keyspace/stream-id';
import { arg, block, defineCommand, keyArg, oneOf, pureToken } from './define';
import { withSubcommands } from './data-container';
import { int64Arg, intervalId, looseId, strictId } from './stream-args';
import { cString, entryReply, errSubcommandSyntax, estimateEntriesRead, hasTombstonesFrom, parseReadArgs, streamDoc, streamWritten, subcommandArityOk } from './stream';
import { lookupRead, type ArgDoc, type BlockingSpec, type DataCommand, type ExecContext } from './types';
import { isToken } from './util';

const STREAM_WRITE = ['@write', '@stream'];
const STREAM_READ = ['@read', '@stream'];

const ERR_NEEDS_KEY = new ErrorReply(
  'ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.',
);
const ERR_BUSYGROUP = new ErrorReply('BUSYGROUP Consumer Group name already exists');
const ERR_ENTRIES_READ = new ErrorReply('ERR value for ENTRIESREAD must be positive or -1');

const text = (b: Buffer): string => b.toString('latin1');

function noGroup(key: Buffer, group: Buffer, suffix = ''): ErrorReply {
  return new ErrorReply(`NOGROUP No such key '${cString(key)}' or consumer group '${cString(group)}'${suffix}`);
}

/** The stream at argv[1] for a write (undefined when absent) or WRONGTYPE. */
function writeStream(ctx: ExecContext, keyArgv: Buffer): StreamValue | undefined | ErrorReply {
  const v = ctx.db.lookupWrite(keyString(keyArgv), ctx.now, ctx.index);
  if (v === undefined) return undefined;
  return v instanceof StreamValue ? v : WRONGTYPE;
}

/** Redis streamLookupConsumer + streamCreateConsumer: the consumer, created if absent, seen now. */
function seenConsumer(s: StreamValue, g: ConsumerGroup, name: string, now: number): Consumer {
  let c = g.consumers.get(name);
  if (c === undefined) c = s.createConsumer(g, name, now);
  c.seenTime = now;
  s.consumerChanged(g, c);
  return c;
}

// ------------------------------------------------------------ XGROUP

const XGROUP_HELP = [
  'XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CREATE <key> <groupname> <id|$> [option]',
  '    Create a new consumer group. Options are:',
  '    * MKSTREAM',
  '      Create the empty stream if it does not exist.',
  '    * ENTRIESREAD entries_read',
  "      Set the group's entries_read counter (internal use).",
  'CREATECONSUMER <key> <groupname> <consumer>',
  '    Create a new consumer in the specified group.',
  'DELCONSUMER <key> <groupname> <consumer>',
  '    Remove the specified consumer.',
  'DESTROY <key> <groupname>',
  '    Remove the specified group.',
  'SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]',
  '    Set the current group ID and entries_read counter.',
  'HELP',
  '    Prints this help.',
];

const XGROUP_ARITY: Record<string, number> = { create: -5, setid: -5, destroy: 4, createconsumer: 5, delconsumer: 5, help: 2 };

function xgroup(ctx: ExecContext, argv: Buffer[]): Reply {
  const sub = text(argv[1]).toLowerCase();
  const arity = Object.prototype.hasOwnProperty.call(XGROUP_ARITY, sub) ? XGROUP_ARITY[sub] : undefined;
  if (arity === undefined) return errUnknownSubcommand(argv[1], 'xgroup');
  if (!subcommandArityOk(arity, argv.length)) return errArity(`xgroup|${sub}`);
  if (sub === 'help') return XGROUP_HELP.map((l) => new SimpleString(l));
  let mkstream = false;
  let entriesRead = ENTRIES_READ_UNKNOWN;
  if (sub === 'create' || sub === 'setid') {
    for (let i = 5; i < argv.length; ) {
      if (sub === 'create' && isToken(argv[i], 'mkstream')) {
        mkstream = true;
        i++;
      } else if (isToken(argv[i], 'entriesread') && i + 1 < argv.length) {
        const n = int64Arg(argv[i + 1]);
        if (isErr(n)) return n;
        if (n < 0 && n !== -1) return ERR_ENTRIES_READ;
        entriesRead = BigInt(n);
        i += 2;
      } else {
        return errSubcommandSyntax(argv[1], 'XGROUP');
      }
    }
  }
  const key = keyString(argv[2]);
  const cur = writeStream(ctx, argv[2]);
  if (isErr(cur)) return cur;
  if (cur === undefined && !(sub === 'create' && mkstream)) return ERR_NEEDS_KEY;
  const gname = text(argv[3]);
  const g = cur?.groups.get(gname);
  if (g === undefined && (sub === 'setid' || sub === 'createconsumer' || sub === 'delconsumer')) {
    return new ErrorReply(`NOGROUP No such consumer group '${cString(argv[3])}' for key name '${cString(argv[2])}'`);
  }
  // Redis dispatches CREATE with 5 to 8 arguments and SETID with 5 or 7 only, after the lookups.
  if ((sub === 'create' && argv.length > 8) || (sub === 'setid' && argv.length !== 5 && argv.length !== 7)) return errSubcommandSyntax(argv[1], 'XGROUP');
  switch (sub) {
    case 'create': {
      let id: StreamId;
      if (argv[4].length === 1 && argv[4][0] === 0x24) id = cur?.lastId ?? { ms: 0n, seq: 0n };
      else {
        const p = strictId(argv[4]);
        if (isErr(p)) return p;
        id = p;
      }
      let s = cur;
      if (s === undefined) {
        s = new StreamValue();
        ctx.db.set(key, s, ctx.index);
      }
      if (s.groups.has(gname)) return ERR_BUSYGROUP;
      s.createGroup(gname, id, entriesRead);
      streamWritten(ctx, key);
      return OK;
    }
    case 'setid': {
      const s = cur!;
      let id: StreamId;
      if (argv[4].length === 1 && argv[4][0] === 0x24) id = s.lastId;
      else {
        const p = looseId(argv[4], 0n);
        if (isErr(p)) return p;
        id = p;
      }
      g!.lastId = id;
      g!.entriesRead = entriesRead;
      s.groupChanged(g!);
      streamWritten(ctx, key);
      return OK;
    }
    case 'destroy': {
      if (g === undefined) return 0;
      cur!.destroyGroup(g);
      streamWritten(ctx, key);
      return 1;
    }
    case 'createconsumer': {
      const name = text(argv[4]);
      if (g!.consumers.has(name)) return 0;
      cur!.createConsumer(g!, name, ctx.now);
      streamWritten(ctx, key);
      return 1;
    }
    default: {
      // delconsumer: answers how many entries it had pending.
      const c = g!.consumers.get(text(argv[4]));
      if (c === undefined) return 0;
      const n = cur!.deleteConsumer(g!, c);
      streamWritten(ctx, key);
      return n;
    }
  }
}

const xgroupWhole = defineCommand({
  name: 'xgroup',
  arity: -2,
  flags: ['write', 'denyoom'],
  keys: [2, 2, 1],
  acl: [...STREAM_WRITE, '@slow'],
  doc: streamDoc('A container for consumer groups commands', '5.0.0', 'Depends on subcommand.', [arg('subcommand', 'string')]),
  exec: xgroup,
});

const groupId = (): ArgDoc => oneOf('id', [arg('id', 'string'), pureToken('new_id', '$')]);
const entriesReadArg = (): ArgDoc => arg('entries_read', 'integer', { token: 'ENTRIESREAD', optional: true });

/**
 * XGROUP's subcommands as redis-server 7.0 describes them (COMMAND INFO / DOCS
 * xgroup): each is a write of its own for ACL rules, CLIENT PAUSE WRITE and
 * OOM checks (only CREATE and CREATECONSUMER are denyoom); HELP is not a write.
 */
const xgroupCmd = withSubcommands(xgroupWhole, [
  {
    name: 'xgroup|create',
    arity: -5,
    flags: ['write', 'denyoom'],
    keys: [2, 2, 1],
    acl: [...STREAM_WRITE, '@slow'],
    doc: {
      ...streamDoc('Create a consumer group.', '5.0.0', 'O(1)', [
        keyArg(),
        arg('groupname', 'string'),
        groupId(),
        pureToken('mkstream', 'MKSTREAM', { optional: true }),
        entriesReadArg(),
      ]),
      history: [['7.0.0', 'Added the `entries_read` named argument.']],
    },
  },
  {
    name: 'xgroup|setid',
    arity: -5,
    flags: ['write'],
    keys: [2, 2, 1],
    acl: [...STREAM_WRITE, '@slow'],
    doc: {
      ...streamDoc('Set a consumer group to an arbitrary last delivered ID value.', '5.0.0', 'O(1)', [keyArg(), arg('groupname', 'string'), groupId(), entriesReadArg()]),
      history: [['7.0.0', 'Added the optional `entries_read` argument.']],
    },
  },
  {
    name: 'xgroup|destroy',
    arity: 4,
    flags: ['write'],
    keys: [2, 2, 1],
    acl: [...STREAM_WRITE, '@slow'],
    doc: streamDoc('Destroy a consumer group.', '5.0.0', "O(N) where N is the number of entries in the group's pending entries list (PEL).", [keyArg(), arg('groupname', 'string')]),
  },
  {
    name: 'xgroup|createconsumer',
    arity: 5,
    flags: ['write', 'denyoom'],
    keys: [2, 2, 1],
    acl: [...STREAM_WRITE, '@slow'],
    doc: streamDoc('Create a consumer in a consumer group.', '6.2.0', 'O(1)', [keyArg(), arg('groupname', 'string'), arg('consumername', 'string')]),
  },
  {
    name: 'xgroup|delconsumer',
    arity: 5,
    flags: ['write'],
    keys: [2, 2, 1],
    acl: [...STREAM_WRITE, '@slow'],
    doc: streamDoc('Delete a consumer from a consumer group.', '5.0.0', 'O(1)', [keyArg(), arg('groupname', 'string'), arg('consumername', 'string')]),
  },
  {
    name: 'xgroup|help',
    arity: 2,
    flags: ['loading', 'stale'],
    keys: [0, 0, 0],
    acl: ['@stream', '@slow'],
    doc: streamDoc('Show helpful text about the different subcommands', '5.0.0', 'O(1)', []),
  },
]);

// ------------------------------------------------------------ XREADGROUP

const ERR_DOLLAR_GROUP = new ErrorReply(
  'ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.',
);

/** Delivers new entries (`>`) to a consumer: group last id, entries read and PELs move (Redis streamReplyWithRange with a group). */
function deliverNew(ctx: ExecContext, s: StreamValue, g: ConsumerGroup, c: Consumer, count: number, noack: boolean): Reply[] {
  const start = nextId(g.lastId) ?? MAX_ID;
  const entries = s.range(start, MAX_ID, count, false);
  for (const e of entries) {
    if (compareIds(e.id, g.lastId) > 0) {
      if (g.entriesRead !== ENTRIES_READ_UNKNOWN && !hasTombstonesFrom(s, e.id)) g.entriesRead++;
      else if (s.entriesAdded !== 0n) g.entriesRead = estimateEntriesRead(s, e.id);
      g.lastId = e.id;
    }
    if (!noack) s.addPending(g, c, e.id, ctx.now);
  }
  if (entries.length > 0) s.groupChanged(g);
  return entries.map(entryReply);
}

/** Re-delivers a consumer's pending entries after `after` (history): counts and times move; deleted entries come back as [id, nil]. */
function deliverHistory(ctx: ExecContext, s: StreamValue, g: ConsumerGroup, c: Consumer, after: StreamId, count: number): Reply[] {
  const out: Reply[] = [];
  const start = nextId(after);
  if (start === null) return out;
  for (const p of c.pel.range(idKey(start), idKey(MAX_ID))) {
    if (count > 0 && out.length >= count) break;
    const e = s.get(p.id);
    if (e === undefined) {
      out.push([idBuffer(p.id), NullArray.instance]);
      continue;
    }
    p.deliveryTime = ctx.now;
    p.deliveryCount++;
    s.pendingChanged(g, p.key);
    out.push(entryReply(e));
  }
  return out;
}

function xreadgroup(ctx: ExecContext, argv: Buffer[]): Reply {
  const o = parseReadArgs(argv, true);
  if (isErr(o)) return o;
  const { name: gname, consumer: cname } = o.group!;
  // Every check before any change: the command is all or nothing.
  const targets: Array<{ key: string; s: StreamValue; g: ConsumerGroup; after: StreamId | null }> = [];
  for (let k = 0; k < o.keys; k++) {
    const keyArgv = argv[o.streamsAt + k];
    const s = writeStream(ctx, keyArgv);
    if (isErr(s)) return s;
    const g = s?.groups.get(gname);
    if (s === undefined || g === undefined) return noGroup(keyArgv, Buffer.from(gname, 'latin1'), ' in XREADGROUP with GROUP option');
    const a = argv[o.streamsAt + o.keys + k];
    if (a.length === 1 && a[0] === 0x24) return ERR_DOLLAR_GROUP;
    let after: StreamId | null = null;
    if (!(a.length === 1 && a[0] === 0x3e)) {
      const id = strictId(a);
      if (isErr(id)) return id;
      // Redis marks `>` with the maximum id, so that id written out reads new entries too.
      if (compareIds(id, MAX_ID) !== 0) after = id;
    }
    targets.push({ key: keyString(keyArgv), s, g, after });
  }
  const served: Array<[Reply, Reply]> = [];
  targets.forEach(({ key, s, g, after }, k) => {
    const history = after !== null;
    const serveNew = !history && s.length > 0 && compareIds(s.lastValidId(), g.lastId) > 0;
    // As in Redis, the consumer is created (and seen) only by a read it is served.
    if (!history && !serveNew) return;
    const c = seenConsumer(s, g, cname, ctx.now);
    if (history) served.push([argv[o.streamsAt + k], deliverHistory(ctx, s, g, c, after, o.count)]);
    else served.push([argv[o.streamsAt + k], deliverNew(ctx, s, g, c, o.count, o.noack)]);
    streamWritten(ctx, key);
  });
  return served.length === 0 ? NullArray.instance : new MapReply(served, true);
}

/**
 * XREADGROUP BLOCK on the leader's blocking machinery (server/blocking.ts,
 * as BLPOP): an apply that delivers nothing parks the caller; it is woken
 * (its XREADGROUP proposed again) once a stream it waits on has entries
 * past its group's last delivered id. Without BLOCK it never parks.
 */
const xreadgroupBlocking: BlockingSpec = {
  keys(argv) {
    const o = parseReadArgs(argv, true);
    return isErr(o) ? [] : Array.from({ length: o.keys }, (_, k) => o.streamsAt + k);
  },
  timeoutIndex(argv) {
    const o = parseReadArgs(argv, true);
    return isErr(o) ? 0 : o.blockAt;
  },
  timeoutMs(argv) {
    const o = parseReadArgs(argv, true);
    return isErr(o) || o.block < 0 ? null : o.block;
  },
  timeoutArg: (ms) => Buffer.from(String(Math.max(1, Math.ceil(ms))), 'latin1'),
  type: 'stream',
  // Redis 7.2 (blocked.c unblock_on_nokey): a stream deleted (DEL, FLUSHALL) or
  // overwritten by another type wakes it, and its retry answers "NOGROUP No such
  // key ..." or WRONGTYPE. Redis 7.0.15 instead answers "-UNBLOCKED the stream key
  // no longer exists" for both; we follow 7.2, the version INFO reports.
  unblockOnNoKey: true,
  ready(v, argv) {
    const o = parseReadArgs(argv, true);
    if (isErr(o) || !(v instanceof StreamValue)) return false;
    const g = v.groups.get(o.group!.name);
    // A destroyed group wakes it too: the retry answers NOGROUP (7.2's words; 7.0 says
    // "NOGROUP the consumer group this client was blocked on no longer exists").
    return g === undefined || (v.length > 0 && compareIds(v.lastValidId(), g.lastId) > 0);
  },
  timeoutReply: NullArray.instance,
  // What it was given stays in its consumer's PEL (Redis does not undo a delivery either).
  giveBack: () => [],
};

const xreadgroupCmd = defineCommand({
  name: 'xreadgroup',
  arity: -7,
  flags: ['write', 'blocking', 'movablekeys'],
  keys: [0, 0, 0],
  acl: [...STREAM_WRITE, '@slow', '@blocking'],
  doc: streamDoc('Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.', '5.0.0', 'For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.', [
    block('group-block', [arg('group', 'string'), arg('consumer', 'string')], { token: 'GROUP' }),
    arg('count', 'integer', { token: 'COUNT', optional: true }),
    arg('milliseconds', 'integer', { token: 'BLOCK', optional: true }),
    pureToken('noack', 'NOACK', { optional: true }),
    block('streams', [keyArg('key', { multiple: true }), arg('id', 'string', { multiple: true })], { token: 'STREAMS' }),
  ]),
  check(argv) {
    const o = parseReadArgs(argv, true);
    return isErr(o) ? o : null;
  },
  exec: xreadgroup,
  blocking: xreadgroupBlocking,
});

// ------------------------------------------------------------ XACK

const xack = defineCommand({
  name: 'xack',
  arity: -4,
  flags: ['write', 'fast'],
  keys: [1, 1, 1],
  acl: [...STREAM_WRITE, '@fast'],
  doc: streamDoc('Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.', '5.0.0', 'O(1) for each message ID processed.', [
    keyArg(),
    arg('group', 'string'),
    arg('id', 'string', { multiple: true }),
  ]),
  exec(ctx, argv) {
    const s = writeStream(ctx, argv[1]);
    if (isErr(s)) return s;
    const g = s?.groups.get(text(argv[2]));
    if (s === undefined || g === undefined) return 0;
    const ids: StreamId[] = [];
    for (let i = 3; i < argv.length; i++) {
      const id = strictId(argv[i]);
      if (isErr(id)) return id;
      ids.push(id);
    }
    let acked = 0;
    for (const id of ids) {
      const p = g.pel.get(idKey(id));
      if (p === undefined) continue;
      s.removePending(g, p);
      acked++;
    }
    if (acked > 0) streamWritten(ctx, keyString(argv[1]));
    return acked;
  },
});

// ------------------------------------------------------------ XPENDING

const xpending = defineCommand({
  name: 'xpending',
  arity: -3,
  flags: ['readonly'],
  keys: [1, 1, 1],
  acl: [...STREAM_READ, '@slow'],
  doc: streamDoc('Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.', '5.0.0', 'O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.', [
    keyArg(),
    arg('group', 'string'),
    block('filters', [arg('min-idle-time', 'integer', { token: 'IDLE', optional: true, since: '6.2.0' }), arg('start', 'string'), arg('end', 'string'), arg('count', 'integer'), arg('consumer', 'string', { optional: true })], { optional: true }),
  ]),
  exec(ctx, argv) {
    const n = argv.length;
    if (n !== 3 && (n < 6 || n > 9)) return ERR_SYNTAX;
    let minIdle = 0;
    let start: StreamId = { ms: 0n, seq: 0n };
    let end: StreamId = MAX_ID;
    let count = 0;
    let consumerName: string | null = null;
    if (n >= 6) {
      let at = 3;
      if (isToken(argv[3], 'idle')) {
        const m = int64Arg(argv[4]);
        if (isErr(m)) return m;
        minIdle = m;
        if (n < 8) return ERR_SYNTAX;
        at += 2;
      }
      const c = int64Arg(argv[at + 2]);
      if (isErr(c)) return c;
      count = c < 0 ? 0 : c;
      const st = intervalId(argv[at], true);
      if (isErr(st)) return st;
      const en = intervalId(argv[at + 1], false);
      if (isErr(en)) return en;
      start = st;
      end = en;
      if (at + 3 < n) consumerName = text(argv[at + 3]);
    }
    const v = lookupRead(ctx, keyString(argv[1]));
    if (v !== undefined && !(v instanceof StreamValue)) return WRONGTYPE;
    const g = v?.groups.get(text(argv[2]));
    if (v === undefined || g === undefined) return noGroup(argv[1], argv[2]);
    if (n === 3) {
      const first = g.pel.first();
      const last = g.pel.last();
      if (first === undefined || last === undefined) return [0, null, null, NullArray.instance];
      const per: Reply[] = [];
      for (const c of g.sortedConsumers()) if (c.pel.size > 0) per.push([Buffer.from(c.name, 'latin1'), String(c.pel.size)]);
      return [g.pel.size, idBuffer(first.id), idBuffer(last.id), per];
    }
    let pel = g.pel;
    if (consumerName !== null) {
      const c = g.consumers.get(consumerName);
      if (c === undefined) return [];
      pel = c.pel;
    }
    const out: Reply[] = [];
    if (count === 0 || compareIds(start, end) > 0) return out;
    for (const p of pel.range(idKey(start), idKey(end))) {
      const idle = ctx.now - p.deliveryTime;
      if (minIdle !== 0 && idle < minIdle) continue;
      out.push([idBuffer(p.id), Buffer.from(p.consumer.name, 'latin1'), Math.max(0, idle), p.deliveryCount]);
      if (out.length >= count) break;
    }
    return out;
  },
});

// ------------------------------------------------------------ XCLAIM / XAUTOCLAIM

function claimReply(s: StreamValue, id: StreamId, justid: boolean): Reply {
  if (justid) return idBuffer(id);
  const e = s.get(id);
  return e === undefined ? null : entryReply(e);
}

const xclaim = defineCommand({
  name: 'xclaim',
  arity: -6,
  flags: ['write', 'fast'],
  keys: [1, 1, 1],
  acl: [...STREAM_WRITE, '@fast'],
  doc: streamDoc('Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.', '5.0.0', 'O(log N) with N being the number of messages in the PEL of the consumer group.', [
    keyArg(),
    arg('group', 'string'),
    arg('consumer', 'string'),
    arg('min-idle-time', 'string'),
    arg('id', 'string', { multiple: true }),
    arg('ms', 'integer', { token: 'IDLE', optional: true }),
    arg('unix-time-milliseconds', 'unix-time', { token: 'TIME', optional: true }),
    arg('count', 'integer', { token: 'RETRYCOUNT', optional: true }),
    pureToken('force', 'FORCE', { optional: true }),
    pureToken('justid', 'JUSTID', { optional: true }),
    arg('lastid', 'string', { token: 'LASTID', optional: true }),
  ]),
  exec(ctx, argv) {
    const s = writeStream(ctx, argv[1]);
    if (isErr(s)) return s;
    const g = s?.groups.get(text(argv[2]));
    if (s === undefined || g === undefined) return noGroup(argv[1], argv[2]);
    let minIdle = int64Arg(argv[4]);
    if (isErr(minIdle)) return new ErrorReply('ERR Invalid min-idle-time argument for XCLAIM');
    if (minIdle < 0) minIdle = 0;
    const ids: StreamId[] = [];
    let j = 5;
    for (; j < argv.length; j++) {
      const id = strictId(argv[j]);
      if (isErr(id)) break;
      ids.push(id);
    }
    const now = ctx.now;
    let force = false;
    let justid = false;
    let deliveryTime = -1;
    let retryCount = -1;
    let lastId: StreamId = { ms: 0n, seq: 0n };
    for (; j < argv.length; j++) {
      const more = argv.length - 1 - j;
      const a = argv[j];
      const num = (what: string): number | ErrorReply => {
        const v = int64Arg(argv[++j]);
        return isErr(v) ? new ErrorReply(`ERR Invalid ${what} option argument for XCLAIM`) : v;
      };
      if (isToken(a, 'force')) force = true;
      else if (isToken(a, 'justid')) justid = true;
      else if (isToken(a, 'idle') && more > 0) {
        const v = num('IDLE');
        if (isErr(v)) return v;
        deliveryTime = now - v;
      } else if (isToken(a, 'time') && more > 0) {
        const v = num('TIME');
        if (isErr(v)) return v;
        deliveryTime = v;
      } else if (isToken(a, 'retrycount') && more > 0) {
        const v = num('RETRYCOUNT');
        if (isErr(v)) return v;
        retryCount = v;
      } else if (isToken(a, 'lastid') && more > 0) {
        const id = strictId(argv[++j]);
        if (isErr(id)) return id;
        lastId = id;
      } else {
        return new ErrorReply(`ERR Unrecognized XCLAIM option '${text(a)}'`);
      }
    }
    const key = keyString(argv[1]);
    if (compareIds(lastId, g.lastId) > 0) {
      g.lastId = lastId;
      s.groupChanged(g);
    }
    if (deliveryTime === -1 || deliveryTime < 0 || deliveryTime > now) deliveryTime = now;
    let consumer: Consumer | null = null;
    const out: Reply[] = [];
    for (const id of ids) {
      const k = idKey(id);
      let p = g.pel.get(k);
      if (s.get(id) === undefined) {
        if (p !== undefined) s.removePending(g, p);
        continue;
      }
      let fresh = false;
      if (force && p === undefined) {
        consumer ??= seenConsumer(s, g, text(argv[3]), now);
        p = s.addPending(g, consumer, id, deliveryTime);
        fresh = true;
      }
      if (p === undefined) continue;
      if (!fresh && minIdle !== 0 && now - p.deliveryTime < minIdle) continue;
      consumer ??= seenConsumer(s, g, text(argv[3]), now);
      s.reassignPending(g, p, consumer);
      p.deliveryTime = deliveryTime;
      if (retryCount >= 0) p.deliveryCount = retryCount;
      else if (!justid) p.deliveryCount++;
      out.push(claimReply(s, id, justid));
    }
    streamWritten(ctx, key);
    return out;
  },
});

const ERR_COUNT_POSITIVE = new ErrorReply('ERR COUNT must be > 0');

const xautoclaim = defineCommand({
  name: 'xautoclaim',
  arity: -6,
  flags: ['write', 'fast'],
  keys: [1, 1, 1],
  acl: [...STREAM_WRITE, '@fast'],
  doc: streamDoc('Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.', '6.2.0', 'O(1) if COUNT is small.', [
    keyArg(),
    arg('group', 'string'),
    arg('consumer', 'string'),
    arg('min-idle-time', 'string'),
    arg('start', 'string'),
    arg('count', 'integer', { token: 'COUNT', optional: true }),
    pureToken('justid', 'JUSTID', { optional: true }),
  ]),
  exec(ctx, argv) {
    let minIdle = int64Arg(argv[4]);
    if (isErr(minIdle)) return new ErrorReply('ERR Invalid min-idle-time argument for XAUTOCLAIM');
    if (minIdle < 0) minIdle = 0;
    const start = intervalId(argv[5], true);
    if (isErr(start)) return start;
    let count = 100;
    let justid = false;
    for (let j = 6; j < argv.length; j++) {
      const more = argv.length - 1 - j;
      if (isToken(argv[j], 'count') && more > 0) {
        const n = int64Arg(argv[j + 1]);
        // LONG_MAX / 16: Redis bounds COUNT so that count * 10 attempts cannot overflow.
        if (isErr(n) || n < 1 || n > 576460752303423487) return ERR_COUNT_POSITIVE;
        count = n;
        j++;
      } else if (isToken(argv[j], 'justid')) justid = true;
      else return ERR_SYNTAX;
    }
    const s = writeStream(ctx, argv[1]);
    if (isErr(s)) return s;
    const g = s?.groups.get(text(argv[2]));
    if (s === undefined || g === undefined) return noGroup(argv[1], argv[2]);
    const now = ctx.now;
    let attempts = count * 10;
    let consumer: Consumer | null = null;
    const claimed: Reply[] = [];
    const deleted: Reply[] = [];
    const candidates = [...g.pel.range(idKey(start), idKey(MAX_ID))];
    let i = 0;
    for (; attempts > 0 && count > 0 && i < candidates.length; i++) {
      attempts--;
      const p = candidates[i];
      if (s.get(p.id) === undefined) {
        s.removePending(g, p);
        deleted.push(idBuffer(p.id));
        count--;
        continue;
      }
      if (minIdle !== 0 && now - p.deliveryTime < minIdle) continue;
      consumer ??= seenConsumer(s, g, text(argv[3]), now);
      s.reassignPending(g, p, consumer);
      p.deliveryTime = now;
      if (!justid) p.deliveryCount++;
      claimed.push(claimReply(s, p.id, justid));
      count--;
    }
    const next = candidates[i];
    if (claimed.length > 0 || deleted.length > 0) streamWritten(ctx, keyString(argv[1]));
    return [idBuffer(next?.id ?? { ms: 0n, seq: 0n }), claimed, deleted];
  },
});

export const streamGroupCommands: DataCommand[] = [xgroupCmd, xreadgroupCmd, xack, xpending, xclaim, xautoclaim];
