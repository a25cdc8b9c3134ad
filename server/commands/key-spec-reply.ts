/**
 * COMMAND INFO's key specs (its 9th field) from Redis 7.0's own specs
 * (key-specs.ts), so a subcommand such as XGROUP CREATE reports `RW insert`
 * as redis-server does. Only the spec `notes` texts are not kept there.
 */
import { MapReply, SetReply, SimpleString, type Reply } from '../../protocol/reply';
import { REDIS_KEY_SPECS, type KeySpec } from './key-specs';

function specReply(s: KeySpec): Reply {
  const begin: Reply =
    s.begin === null
      ? new MapReply([['type', 'unknown'], ['spec', new MapReply([])]])
      : 'index' in s.begin
        ? new MapReply([['type', 'index'], ['spec', new MapReply([['index', s.begin.index]])]])
        : new MapReply([['type', 'keyword'], ['spec', new MapReply([['keyword', s.begin.keyword], ['startfrom', s.begin.startfrom]])]]);
  const find: Reply =
    s.find === null
      ? new MapReply([['type', 'unknown'], ['spec', new MapReply([])]])
      : 'lastkey' in s.find
        ? new MapReply([['type', 'range'], ['spec', new MapReply([['lastkey', s.find.lastkey], ['keystep', s.find.keystep], ['limit', s.find.limit]])]])
        : new MapReply([['type', 'keynum'], ['spec', new MapReply([['keynumidx', s.find.keynumidx], ['firstkey', s.find.firstkey], ['keystep', s.find.keystep]])]]);
  return new MapReply([
    ['flags', new SetReply(s.flags.split(' ').map((f) => new SimpleString(f)))],
    ['begin_search', begin],
    ['find_keys', find],
  ]);
}

/** Redis's key specs of `name` ('get', 'xgroup|create'), or undefined for a command Redis does not have. */
export function redisKeySpecs(name: string): Reply[] | undefined {
  return Object.prototype.hasOwnProperty.call(REDIS_KEY_SPECS, name) ? REDIS_KEY_SPECS[name].map(specReply) : undefined;
}
