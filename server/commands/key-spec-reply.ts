/**
 * COMMAND INFO's key specs (its 9th field) from Redis 7.0's own specs
 * (key-specs.ts), so a subcommand such as XGROUP CREATE reports `RW insert`
 * as redis-server does. key-specs.ts keeps no `notes`: the few specs that
 * have one in redis-server 7.0.15 carry it here.
 */
import { MapReply, SetReply, SimpleString, type Reply } from '../../protocol/reply';
import { REDIS_KEY_SPECS, type KeySpec } from './key-specs';

const WORST_RW = 'We cannot tell how the keys will be used so we assume the worst, RW and UPDATE';
const WORST_RO = 'We cannot tell how the keys will be used so we assume the worst, RO and ACCESS';
const SORT_BY = "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort";

/** Spec notes by command and spec index (COMMAND INFO of redis-server 7.0.15). */
const NOTES: Record<string, Record<number, string>> = {
  set: { 0: 'RW and ACCESS due to the optional `GET` argument' },
  getex: { 0: 'RW and UPDATE because it changes the TTL' },
  pfcount: { 0: 'RW because it may change the internal representation of the key, and propagate to replicas' },
  bitfield: { 0: 'This command allows both access and modification of the key' },
  xadd: { 0: 'UPDATE instead of INSERT because of the optional trimming feature' },
  eval: { 0: WORST_RW },
  fcall: { 0: WORST_RW },
  eval_ro: { 0: WORST_RO },
  fcall_ro: { 0: WORST_RO },
  sort: { 1: SORT_BY, 2: "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array" },
  sort_ro: { 1: SORT_BY },
};

function specReply(s: KeySpec, note: string | undefined): Reply {
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
  const fields: Array<[Reply, Reply]> = note === undefined ? [] : [['notes', note]];
  fields.push(['flags', new SetReply(s.flags.split(' ').map((f) => new SimpleString(f)))], ['begin_search', begin], ['find_keys', find]);
  return new MapReply(fields);
}

/** Redis's key specs of `name` ('get', 'xgroup|create'), or undefined for a command Redis does not have. */
export function redisKeySpecs(name: string): Reply[] | undefined {
  if (!Object.prototype.hasOwnProperty.call(REDIS_KEY_SPECS, name)) return undefined;
  const notes = Object.prototype.hasOwnProperty.call(NOTES, name) ? NOTES[name] : {};
  return REDIS_KEY_SPECS[name].map((s, i) => specReply(s, notes[i]));
}
