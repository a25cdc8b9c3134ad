import { ErrorReply, type Reply } from '../../protocol/reply';
import { ERR_NOT_INTEGER, ERR_SYNTAX } from '../../protocol/errors';
import { keyString } from '../keyspace';
import { arg, defineCommand } from './define';
import type { ArgDoc, CommandDoc, DataCommand } from './types';
import { isToken, parseInt64 } from './util';

/**
 * Native locks with fencing tokens (server/locks.ts holds the state):
 *
 *   LOCK.ACQUIRE name owner ttl-ms [WAIT ms]  -> token, or nil (held / timed out)
 *   LOCK.RELEASE name owner                   -> 1 released, 0 not held by owner
 *   LOCK.EXTEND  name owner ttl-ms            -> 1 extended, 0 not held by owner
 *   LOCK.CHECK   name token                   -> 1 if token is the current holder's
 *   ELECTION.CAMPAIGN / RESIGN / LEADER       -> the same on a lock named for the election
 *
 * WAIT is served by the leader (server.ts keeps the FIFO waiters); LOCK.INFO,
 * which needs the leader's waiters, is a server command in lock-info.ts.
 */

/** Longest TTL and WAIT accepted (a day), so deadlines stay far from overflow. */
export const MAX_LOCK_MS = 24 * 60 * 60 * 1000;

const ERR_TTL = new ErrorReply('ERR invalid lock ttl (milliseconds, 1..86400000)');
const ERR_WAIT = new ErrorReply('ERR invalid WAIT timeout (milliseconds, 0..86400000)');

function ms(b: Buffer, min: number): number | null {
  const v = parseInt64(b);
  if (v === null || typeof v !== 'number' || v < min || v > MAX_LOCK_MS) return null;
  return v;
}

/** The WAIT of LOCK.ACQUIRE / ELECTION.CAMPAIGN argv (index 4..5), 0 when absent. */
export function lockWaitMs(argv: Buffer[]): number {
  if (argv.length === 6 && isToken(argv[4], 'wait')) return ms(argv[5], 0) ?? 0;
  return 0;
}

function checkAcquire(argv: Buffer[]): ErrorReply | null {
  if (ms(argv[3], 1) === null) return parseInt64(argv[3]) === null ? ERR_NOT_INTEGER : ERR_TTL;
  if (argv.length === 5 || argv.length > 6) return ERR_SYNTAX;
  if (argv.length === 6) {
    if (!isToken(argv[4], 'wait')) return ERR_SYNTAX;
    if (ms(argv[5], 0) === null) return parseInt64(argv[5]) === null ? ERR_NOT_INTEGER : ERR_WAIT;
  }
  return null;
}

const doc = (summary: string, args: ArgDoc[]): CommandDoc => ({ summary, since: '0.1.0', group: 'generic', complexity: 'O(1)', arguments: args });
const nameArg = (n = 'name') => arg(n, 'string');
const LOCK_WRITE = ['@write', '@slow'];
const LOCK_READ = ['@read', '@fast'];

const acquire = defineCommand({
  name: 'lock.acquire',
  arity: -4,
  flags: ['write', 'denyoom'],
  keys: [0, 0, 0],
  acl: LOCK_WRITE,
  doc: doc('Acquires a lock for an owner; returns its fencing token, or nil while another owner holds it.', [
    nameArg(),
    arg('owner', 'string'),
    arg('ttl-ms', 'integer'),
    arg('wait-ms', 'integer', { token: 'WAIT', optional: true }),
  ]),
  check: checkAcquire,
  exec(ctx, argv) {
    const bad = checkAcquire(argv);
    if (bad) return bad;
    const r = ctx.keyspace.locks.acquire(keyString(argv[1]), argv[2], ms(argv[3], 1)!, ctx.now, ctx.index);
    return r.granted ? r.token : null;
  },
});

const release = defineCommand({
  name: 'lock.release',
  arity: 3,
  flags: ['write', 'fast'],
  keys: [0, 0, 0],
  acl: LOCK_WRITE,
  doc: doc('Releases a lock held by the owner.', [nameArg(), arg('owner', 'string')]),
  exec: (ctx, argv) => (ctx.keyspace.locks.release(keyString(argv[1]), argv[2]) ? 1 : 0),
});

const extend = defineCommand({
  name: 'lock.extend',
  arity: 4,
  flags: ['write', 'fast'],
  keys: [0, 0, 0],
  acl: LOCK_WRITE,
  doc: doc('Sets the TTL of a lock held by the owner, from now.', [nameArg(), arg('owner', 'string'), arg('ttl-ms', 'integer')]),
  check: (argv) => (ms(argv[3], 1) === null ? (parseInt64(argv[3]) === null ? ERR_NOT_INTEGER : ERR_TTL) : null),
  exec(ctx, argv) {
    const ttl = ms(argv[3], 1);
    if (ttl === null) return ERR_TTL;
    return ctx.keyspace.locks.extend(keyString(argv[1]), argv[2], ttl, ctx.now) ? 1 : 0;
  },
});

const check = defineCommand({
  name: 'lock.check',
  arity: 3,
  flags: ['readonly', 'fast'],
  keys: [0, 0, 0],
  acl: LOCK_READ,
  doc: doc('Returns 1 if the token is the fencing token of the lock\'s current holder (use a linearizable read mode).', [nameArg(), arg('token', 'integer')]),
  exec(ctx, argv) {
    const t = parseInt64(argv[2]);
    if (t === null) return ERR_NOT_INTEGER;
    const l = ctx.keyspace.locks.get(keyString(argv[1]));
    return l !== undefined && l.token === Number(t) ? 1 : 0;
  },
});

/** Elections are locks named `election:<name>`; the candidate's value is the owner. */
const ELECTION_PREFIX = Buffer.from('election:');
const electionName = (b: Buffer) => Buffer.concat([ELECTION_PREFIX, b]);

const campaign = defineCommand({
  name: 'election.campaign',
  arity: -4,
  flags: ['write', 'denyoom'],
  keys: [0, 0, 0],
  acl: LOCK_WRITE,
  doc: doc('Campaigns to lead an election with a value; returns the leadership token, or nil while another value leads.', [
    nameArg('election'),
    arg('value', 'string'),
    arg('ttl-ms', 'integer'),
    arg('wait-ms', 'integer', { token: 'WAIT', optional: true }),
  ]),
  check: checkAcquire,
  // Logged as the lock operation it is, so apply has one code path.
  rewrite: (argv) => [Buffer.from('lock.acquire'), electionName(argv[1]), ...argv.slice(2)],
  exec: (ctx, argv) => acquire.exec(ctx, [Buffer.from('lock.acquire'), electionName(argv[1]), ...argv.slice(2)]),
});

const resign = defineCommand({
  name: 'election.resign',
  arity: 3,
  flags: ['write', 'fast'],
  keys: [0, 0, 0],
  acl: LOCK_WRITE,
  doc: doc('Gives up leadership of an election held with this value.', [nameArg('election'), arg('value', 'string')]),
  rewrite: (argv) => [Buffer.from('lock.release'), electionName(argv[1]), argv[2]],
  exec: (ctx, argv) => release.exec(ctx, [Buffer.from('lock.release'), electionName(argv[1]), argv[2]]),
});

const leader = defineCommand({
  name: 'election.leader',
  arity: 2,
  flags: ['readonly', 'fast'],
  keys: [0, 0, 0],
  acl: LOCK_READ,
  doc: doc('Returns the current leader\'s value and token, or nil.', [nameArg('election')]),
  exec(ctx, argv): Reply {
    const l = ctx.keyspace.locks.get(keyString(electionName(argv[1])));
    return l === undefined ? null : [l.owner, l.token];
  },
});

export const lockCommands: DataCommand[] = [acquire, release, extend, check, campaign, resign, leader];
