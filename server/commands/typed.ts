/**
 * The one typed lookup every command uses (Redis's lookupKeyReadOrReply /
 * checkType): a key holding another type answers -WRONGTYPE, everywhere.
 */
import { WRONGTYPE } from '../../protocol/errors';
import type { ErrorReply } from '../../protocol/reply';
import type { Collection } from '../keyspace';
import { lookupRead, type ExecContext } from './types';

/** A collection class (HashValue, ListValue, ...). */
export type CollectionClass<T extends Collection> = abstract new (...args: never[]) => T;

/** For a read: the collection, null when absent (or expired), or WRONGTYPE. Counts a keyspace hit or miss. */
export function readTyped<T extends Collection>(ctx: ExecContext, key: string, cls: CollectionClass<T>, noTouch = false): T | null | ErrorReply {
  const v = lookupRead(ctx, key, noTouch);
  if (v === undefined) return null;
  return v instanceof cls ? v : WRONGTYPE;
}

/** For a write at apply time: an expired key is deleted first; undefined when absent. */
export function writeTyped<T extends Collection>(ctx: ExecContext, key: string, cls: CollectionClass<T>): T | undefined | ErrorReply {
  const v = ctx.db.lookupWrite(key, ctx.now, ctx.index);
  if (v === undefined) return undefined;
  return v instanceof cls ? v : WRONGTYPE;
}

/** Stores a collection this write created under `key` (replacing whatever was there, TTL cleared). */
export function storeCollection(ctx: ExecContext, key: string, c: Collection): void {
  if (c.length === 0) {
    ctx.db.delete(key, ctx.index);
    return;
  }
  ctx.db.set(key, c, ctx.index);
}

/**
 * After a stored collection was changed in place: an emptied one is deleted
 * (Redis never keeps an empty aggregate), otherwise its version (WATCH), size
 * (maxmemory) and pending records (durable copy) are updated.
 */
export function collectionWritten(ctx: ExecContext, key: string, c: Collection): void {
  if (c.length === 0) ctx.db.delete(key, ctx.index);
  else ctx.db.touched(key, ctx.index);
}
