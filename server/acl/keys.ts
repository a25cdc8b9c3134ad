/**
 * Which arguments of a command are keys or channels, and whether a key is
 * read, written or both — what ACL key patterns (~, %R~, %W~) and channel
 * patterns (&) are checked against. Redis derives this from its key specs;
 * here: the command table's first/last/step, the commands whose keys move
 * (numkeys, STREAMS, STORE), and Redis 7's key-spec flags for the writes
 * that do not read their keys (SET without GET, DEL, LPUSH ... are
 * OW/RM/RW-INSERT in Redis, so %W~ suffices) or that read some keys and
 * write one (ZUNIONSTORE, COPY, BITOP ...).
 */
import type { LeafCommand } from '../commands/table';
import type { ChannelAccess, KeyAccess } from './user';

/** Writes whose keys need only write permission (Redis key specs without ACCESS). */
const WRITE_ONLY = new Set([
  'set', 'setex', 'psetex', 'setnx', 'mset', 'msetnx', 'del', 'unlink', 'expire', 'pexpire', 'expireat', 'pexpireat', 'persist',
  'lpush', 'rpush', 'lpushx', 'rpushx', 'sadd', 'hset', 'hmset', 'hsetnx', 'zadd', 'pfadd', 'xadd', 'geoadd', 'restore', 'flushdb',
  'append', 'setrange', 'touch',
]);

/** Writes whose first key is a destination written and whose other keys are only read. */
const DEST_FIRST = new Set([
  'sunionstore', 'sinterstore', 'sdiffstore', 'zunionstore', 'zinterstore', 'zdiffstore', 'zrangestore', 'georadius', 'georadiusbymember',
  'geosearchstore', 'bitop', 'pfmerge',
]);

function lower(b: Buffer | undefined): string {
  return b === undefined ? '' : b.toString('latin1').toLowerCase();
}

function numKeysAt(argv: Buffer[], at: number, first: number): number[] {
  const n = Number(argv[at]?.toString('latin1'));
  if (!Number.isInteger(n) || n < 0) return [];
  const out: number[] = [];
  for (let i = 0; i < n && first + i < argv.length; i++) out.push(first + i);
  return out;
}

/** Key argument indexes (Redis's getKeysFromCommand). */
export function keyIndexes(cmd: LeafCommand, argv: Buffer[]): number[] {
  const name = cmd.name;
  switch (name) {
    case 'eval':
    case 'evalsha':
    case 'eval_ro':
    case 'evalsha_ro':
    case 'fcall':
    case 'fcall_ro':
      return numKeysAt(argv, 2, 3);
    case 'zunionstore':
    case 'zinterstore':
    case 'zdiffstore':
      return [1, ...numKeysAt(argv, 2, 3)];
    case 'zunion':
    case 'zinter':
    case 'zdiff':
    case 'zintercard':
    case 'sintercard':
    case 'lmpop':
    case 'zmpop':
      return numKeysAt(argv, 1, 2);
    case 'blmpop':
    case 'bzmpop':
      return numKeysAt(argv, 2, 3);
    case 'xread':
    case 'xreadgroup': {
      const at = argv.findIndex((a, i) => i > 0 && lower(a) === 'streams');
      if (at < 0) return [];
      const n = Math.floor((argv.length - at - 1) / 2);
      return Array.from({ length: n }, (_, i) => at + 1 + i);
    }
    case 'sort':
    case 'sort_ro': {
      const out = [1];
      for (let i = 2; i < argv.length - 1; i++) if (lower(argv[i]) === 'store') out.push(i + 1);
      return out;
    }
  }
  if (cmd.firstKey <= 0) return [];
  const last = cmd.lastKey < 0 ? argv.length + cmd.lastKey : cmd.lastKey;
  const step = cmd.keyStep > 0 ? cmd.keyStep : 1;
  const out: number[] = [];
  for (let i = cmd.firstKey; i <= last && i < argv.length; i += step) out.push(i);
  return out;
}

/** Keys with the access each needs. */
export function keyAccesses(cmd: LeafCommand, argv: Buffer[]): KeyAccess[] {
  const idx = keyIndexes(cmd, argv);
  if (idx.length === 0) return [];
  const write = cmd.flags.includes('write');
  if (!write) return idx.map((index) => ({ index, read: true, write: false }));
  const name = cmd.name;
  if (name === 'set' && argv.some((a, i) => i > 2 && lower(a) === 'get')) return idx.map((index) => ({ index, read: true, write: true }));
  if (WRITE_ONLY.has(name)) return idx.map((index) => ({ index, read: false, write: true }));
  if (DEST_FIRST.has(name) || name === 'copy' || name === 'sort') {
    // COPY src dst: the source is read, the destination written; SORT ... STORE dst likewise.
    return idx.map((index, i) => {
      const isDest = name === 'copy' ? i === 1 : name === 'sort' ? i > 0 : i === 0;
      return { index, read: !isDest, write: isDest };
    });
  }
  return idx.map((index) => ({ index, read: true, write: true }));
}

/** Channels a pub/sub command names (UNSUBSCRIBE and PUBSUB introspection name none that need permission). */
export function channelAccesses(cmd: LeafCommand, argv: Buffer[]): ChannelAccess[] {
  switch (cmd.name) {
    case 'publish':
    case 'spublish':
      return argv.length > 1 ? [{ index: 1, pattern: false }] : [];
    case 'subscribe':
    case 'ssubscribe':
      return argv.slice(1).map((_, i) => ({ index: i + 1, pattern: false }));
    case 'psubscribe':
      return argv.slice(1).map((_, i) => ({ index: i + 1, pattern: true }));
  }
  return [];
}
