/**
 * Which arguments of a command are keys or channels, and whether a key is
 * read, written or both: what ACL key patterns (~, %R~, %W~) and channel
 * patterns (&) are checked against. Keys and their flags come from Redis 7's
 * key specs (commands/getkeys.ts, the same finder as COMMAND GETKEYSANDFLAGS);
 * as Redis's ACL does, a key flagged `access` needs read permission and one
 * flagged insert, update or delete needs write permission.
 */
import { findKeys } from '../commands/getkeys';
import type { LeafCommand } from '../commands/table';
import type { ChannelAccess, KeyAccess } from './user';

const WRITE_FLAGS = new Set(['insert', 'update', 'delete']);

/** Key argument indexes (Redis's getKeysFromCommand). */
export function keyIndexes(cmd: LeafCommand, argv: Buffer[]): number[] {
  return findKeys(cmd, argv).map((k) => k.pos);
}

/** Keys with the access each needs. */
export function keyAccesses(cmd: LeafCommand, argv: Buffer[]): KeyAccess[] {
  return findKeys(cmd, argv).map((k) => ({
    index: k.pos,
    read: k.flags.includes('access'),
    write: k.flags.some((f) => WRITE_FLAGS.has(f)),
  }));
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
