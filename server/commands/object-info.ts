/**
 * OBJECT's answers about a value, shared by the OBJECT command and by
 * redis.call('object', ...) in scripts.
 */
import { ErrorReply, SimpleString, type Reply } from '../../protocol/reply';
import type { Value } from '../keyspace';
import { stringObjectEncoding } from './string-encoding';

export const OBJECT_HELP = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
  'HELP',
  '    Prints this help.',
].map((line) => new SimpleString(line));

/** Refcount of Redis's shared integers (string-encoding.ts). */
const OBJ_SHARED_REFCOUNT = 2147483647;

/** No LFU policy exists here, so FREQ answers what Redis answers without one. */
export const ERR_NO_LFU = new ErrorReply(
  'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
);

export function objectEncoding(v: Value): Reply {
  return v.type === 'string' ? stringObjectEncoding(v).encoding : v.encoding();
}

export function objectRefcount(v: Value): Reply {
  if (v.type !== 'string') return 1;
  return stringObjectEncoding(v).shared ? OBJ_SHARED_REFCOUNT : 1;
}
