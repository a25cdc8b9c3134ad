/**
 * Blocking pops: BLPOP BRPOP BRPOPLPUSH BLMOVE BLMPOP BZPOPMIN BZPOPMAX
 * BZMPOP. Each `exec` is the non-blocking attempt (what apply runs, and
 * what MULTI and Lua get: they never block); `blocking` tells the machinery
 * (server/blocking.ts, server/blocked-clients.ts) how to park the caller,
 * what to answer at the timeout and how to put back what a departed client
 * took. Replies and errors as redis-server 7.0.
 */
import { DoubleReply, ErrorReply, NullArray, PairsReply, type Reply } from '../../protocol/reply';
import { arg, defineCommand, keyArg, oneOf, pureToken } from './define';
import { parseTimeoutMs } from './blocking-args';
import { lmpopFirst, moveBetween, parseListEnd, parseMpopArgs, popFromList } from './list';
import { parseZmpop, zmpopFirst, zpopFirstKey } from './zset';
import type { BlockingSpec, DataCommand } from './types';
import { parseInt64 } from './util';


function latin1(b: Buffer): string {
  return b.toString('latin1');
}

function checkTimeout(b: Buffer): ErrorReply | null {
  const t = parseTimeoutMs(b);
  return typeof t === 'number' ? null : t;
}

/** A reply element as bytes (replies decoded from RESP hold Buffers; local ones may hold strings). */
function bytes(r: Reply): Buffer | null {
  if (Buffer.isBuffer(r)) return r;
  if (typeof r === 'string') return Buffer.from(r, 'latin1');
  if (typeof r === 'number') return Buffer.from(String(r));
  if (r instanceof DoubleReply) return Buffer.from(String(r.value));
  return null;
}

const PUSH = { left: Buffer.from('lpush'), right: Buffer.from('rpush') };
const ZADD = Buffer.from('zadd');

// ------------------------------------------------------------- MPOP arguments

/**
 * BLMPOP/BZMPOP take LMPOP's/ZMPOP's arguments after the timeout (argv[2] =
 * numkeys): parsed by those commands' own parsers, so the errors agree.
 */
function mpopKeys(argv: Buffer[]): number[] {
  const n = Number(parseInt64(argv[2]) ?? 0);
  const out: number[] = [];
  for (let i = 0; i < n && 3 + i < argv.length; i++) out.push(3 + i);
  return out;
}

function errorOf(a: unknown): ErrorReply | null {
  return a instanceof ErrorReply ? a : null;
}

// ------------------------------------------------------------------ lists

function listPopSpec(end: 'left' | 'right'): BlockingSpec {
  return {
    type: 'list',
    keys: (argv) => argv.slice(1, -1).map((_, i) => i + 1),
    timeoutIndex: (argv) => argv.length - 1,
    timeoutReply: NullArray.instance,
    giveBack: (_argv, reply) => {
      if (!Array.isArray(reply) || reply.length !== 2) return [];
      const key = bytes(reply[0]);
      const el = bytes(reply[1]);
      return key && el ? [[PUSH[end], key, el]] : [];
    },
  };
}

function blockingPop(end: 'left' | 'right'): DataCommand {
  const name = end === 'left' ? 'blpop' : 'brpop';
  return defineCommand({
    name,
    arity: -3,
    flags: ['write', 'noscript', 'blocking'],
    keys: [1, -2, 1],
    acl: ['@write', '@list', '@slow', '@blocking'],
    doc: {
      summary: `Removes and returns the ${end === 'left' ? 'first' : 'last'} element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.`,
      since: '2.0.0',
      group: 'list',
      complexity: 'O(N) where N is the number of provided keys.',
      arguments: [keyArg('key', { multiple: true }), arg('timeout', 'double')],
    },
    check: (argv) => checkTimeout(argv[argv.length - 1]),
    exec: (ctx, argv) => {
      const bad = checkTimeout(argv[argv.length - 1]);
      if (bad) return bad;
      // Keys in order; a key of another type answers WRONGTYPE even when a later one holds elements (as Redis).
      for (let i = 1; i < argv.length - 1; i++) {
        const got = popFromList(ctx, argv[i], end, 1);
        if (got instanceof ErrorReply) return got;
        if (got !== null && got.length > 0) return [argv[i], got[0]];
      }
      return NullArray.instance;
    },
    blocking: listPopSpec(end),
  });
}

const moveSpec = (timeoutAt: (argv: Buffer[]) => number): BlockingSpec => ({
  type: 'list',
  keys: () => [1],
  timeoutIndex: timeoutAt,
  timeoutReply: NullArray.instance,
  // The element is in the destination list, not lost: nothing to put back (the point of BLMOVE).
  giveBack: () => [],
});

const blmove = defineCommand({
  name: 'blmove',
  arity: 6,
  flags: ['write', 'denyoom', 'noscript', 'blocking'],
  keys: [1, 2, 1],
  acl: ['@write', '@list', '@slow', '@blocking'],
  doc: {
    summary: 'Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved.',
    since: '6.2.0',
    group: 'list',
    complexity: 'O(1)',
    arguments: [
      keyArg('source'),
      keyArg('destination'),
      oneOf('wherefrom', [pureToken('left', 'LEFT'), pureToken('right', 'RIGHT')]),
      oneOf('whereto', [pureToken('left', 'LEFT'), pureToken('right', 'RIGHT')]),
      arg('timeout', 'double'),
    ],
  },
  check: (argv) => errorOf(parseListEnd(argv[3])) ?? errorOf(parseListEnd(argv[4])) ?? checkTimeout(argv[5]),
  exec: (ctx, argv) => {
    const from = parseListEnd(argv[3]);
    if (from instanceof ErrorReply) return from;
    const to = parseListEnd(argv[4]);
    if (to instanceof ErrorReply) return to;
    const bad = checkTimeout(argv[5]);
    if (bad) return bad;
    return moveBetween(ctx, argv[1], argv[2], from, to);
  },
  blocking: moveSpec(() => 5),
});

const brpoplpush = defineCommand({
  name: 'brpoplpush',
  arity: 4,
  flags: ['write', 'denyoom', 'noscript', 'blocking'],
  keys: [1, 2, 1],
  acl: ['@write', '@list', '@slow', '@blocking'],
  doc: {
    summary: 'Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped.',
    since: '2.2.0',
    group: 'list',
    complexity: 'O(1)',
    arguments: [keyArg('source'), keyArg('destination'), arg('timeout', 'double')],
  },
  check: (argv) => checkTimeout(argv[3]),
  exec: (ctx, argv) => {
    const bad = checkTimeout(argv[3]);
    if (bad) return bad;
    return moveBetween(ctx, argv[1], argv[2], 'right', 'left');
  },
  blocking: moveSpec(() => 3),
});

const blmpop = defineCommand({
  name: 'blmpop',
  arity: -5,
  flags: ['write', 'blocking', 'movablekeys'],
  keys: [0, 0, 0],
  acl: ['@write', '@list', '@slow', '@blocking'],
  doc: {
    summary: 'Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped.',
    since: '7.0.0',
    group: 'list',
    complexity: 'O(N+M) where N is the number of provided keys and M is the number of elements returned.',
    arguments: [
      arg('timeout', 'double'),
      arg('numkeys', 'integer'),
      keyArg('key', { multiple: true }),
      oneOf('where', [pureToken('left', 'LEFT'), pureToken('right', 'RIGHT')]),
      arg('count', 'integer', { token: 'COUNT', optional: true }),
    ],
  },
  check: (argv) => checkTimeout(argv[1]) ?? errorOf(parseMpopArgs(argv, 2)),
  exec: (ctx, argv) => {
    const bad = checkTimeout(argv[1]);
    if (bad) return bad;
    const a = parseMpopArgs(argv, 2);
    if (a instanceof ErrorReply) return a;
    return lmpopFirst(ctx, a.keys, a.end, a.count);
  },
  blocking: {
    type: 'list',
    keys: mpopKeys,
    timeoutIndex: () => 1,
    timeoutReply: NullArray.instance,
    giveBack: (argv, reply) => {
      const a = parseMpopArgs(argv, 2);
      if (a instanceof ErrorReply || !Array.isArray(reply) || reply.length !== 2 || !Array.isArray(reply[1])) return [];
      const key = bytes(reply[0]);
      const els = reply[1].map(bytes);
      if (!key || els.some((e) => e === null)) return [];
      // Pushed back in reverse, so the list reads as it did before the pop.
      return [[PUSH[a.end], key, ...(els as Buffer[]).reverse()]];
    },
  },
});

// ------------------------------------------------------------- sorted sets

function zpopSpec(): BlockingSpec {
  return {
    type: 'zset',
    keys: (argv) => argv.slice(1, -1).map((_, i) => i + 1),
    timeoutIndex: (argv) => argv.length - 1,
    timeoutReply: NullArray.instance,
    giveBack: (_argv, reply) => {
      if (!Array.isArray(reply) || reply.length !== 3) return [];
      const key = bytes(reply[0]);
      const member = bytes(reply[1]);
      const score = bytes(reply[2]);
      return key && member && score ? [[ZADD, key, score, member]] : [];
    },
  };
}

function blockingZpop(where: 'min' | 'max'): DataCommand {
  return defineCommand({
    name: `bzpop${where}`,
    arity: -3,
    flags: ['write', 'noscript', 'blocking', 'fast'],
    keys: [1, -2, 1],
    acl: ['@write', '@sortedset', '@fast', '@blocking'],
    doc: {
      summary: `Removes and returns the member with the ${where === 'min' ? 'lowest' : 'highest'} score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.`,
      since: '5.0.0',
      group: 'sorted-set',
      complexity: 'O(log(N)) with N being the number of elements in the sorted set.',
      arguments: [keyArg('key', { multiple: true }), arg('timeout', 'double')],
    },
    check: (argv) => checkTimeout(argv[argv.length - 1]),
    exec: (ctx, argv) => {
      const bad = checkTimeout(argv[argv.length - 1]);
      if (bad) return bad;
      const got = zpopFirstKey(ctx, argv.slice(1, -1).map(latin1), where);
      return got === null ? NullArray.instance : got;
    },
    blocking: zpopSpec(),
  });
}


const bzmpop = defineCommand({
  name: 'bzmpop',
  arity: -5,
  flags: ['write', 'blocking', 'movablekeys'],
  keys: [0, 0, 0],
  acl: ['@write', '@sortedset', '@slow', '@blocking'],
  doc: {
    summary: 'Removes and returns a member by score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.',
    since: '7.0.0',
    group: 'sorted-set',
    complexity: 'O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.',
    arguments: [
      arg('timeout', 'double'),
      arg('numkeys', 'integer'),
      keyArg('key', { multiple: true }),
      oneOf('where', [pureToken('min', 'MIN'), pureToken('max', 'MAX')]),
      arg('count', 'integer', { token: 'COUNT', optional: true }),
    ],
  },
  check: (argv) => checkTimeout(argv[1]) ?? errorOf(parseZmpop(argv, 2)),
  exec: (ctx, argv) => {
    const bad = checkTimeout(argv[1]);
    if (bad) return bad;
    const a = parseZmpop(argv, 2);
    if (a instanceof ErrorReply) return a;
    const got = zmpopFirst(ctx, a.keys, a.where, a.count);
    return got === null ? NullArray.instance : got;
  },
  blocking: {
    type: 'zset',
    keys: mpopKeys,
    timeoutIndex: () => 1,
    timeoutReply: NullArray.instance,
    giveBack: (_argv, reply) => {
      if (!Array.isArray(reply) || reply.length !== 2) return [];
      const key = bytes(reply[0]);
      const pairs = reply[1] instanceof PairsReply ? reply[1].pairs : reply[1];
      if (!Array.isArray(pairs)) return [];
      const args: Buffer[] = [];
      for (const pair of pairs) {
        if (!Array.isArray(pair) || pair.length !== 2) return [];
        const m = bytes(pair[0]);
        const s = bytes(pair[1]);
        if (!m || !s) return [];
        args.push(s, m);
      }
      return key && args.length > 0 ? [[ZADD, key, ...args]] : [];
    },
  },
});

export const blockingCommands: DataCommand[] = [blockingPop('left'), blockingPop('right'), blmove, brpoplpush, blmpop, blockingZpop('min'), blockingZpop('max'), bzmpop];
