import { ErrorReply, SetReply, SimpleString, type Reply } from '../../protocol/reply';
import { arityOk } from './define';
import { REDIS_KEY_SPECS, type KeySpec } from './key-specs';
import { serverCmd } from './ops-cmd';
import type { CommandDef, LeafCommand, ServerCommand } from './table';

/*
 * COMMAND GETKEYS / GETKEYSANDFLAGS, as Redis 7's getKeysSubcommandImpl: the
 * keys come from the command's key specs (Redis's own, key-specs.ts); where
 * those cannot say (a spec marked incomplete or with variable flags, or one
 * that fails on these arguments) from the command's own key finder, as Redis
 * falls back to its getkeys_proc. Commands of our own (LOCK.*, DELIFEQ, ...)
 * have no Redis spec: their first/last/step range with RW or RO flags.
 */

export interface FoundKey {
  pos: number;
  flags: string[];
}

const ERR_INVALID_COMMAND = new ErrorReply('ERR Invalid command specified');
const ERR_INVALID_ARGC = new ErrorReply('ERR Invalid number of arguments specified for command');
const ERR_NO_KEYS = new ErrorReply('ERR The command has no key arguments');
const ERR_INVALID_ARGS = new ErrorReply('ERR Invalid arguments specified for command');

/** Redis's CMD_NO_MANDATORY_KEYS: no keys is a valid call (EVAL script 0). */
const NO_MANDATORY_KEYS = new Set(['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']);

const lower = (b: Buffer): string => b.toString('latin1').toLowerCase();

/** C's atoi: leading blanks, a sign, digits up to the first non-digit (what Redis's fallbacks parse numkeys with). */
function atoi(b: Buffer): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(b.toString('latin1'));
  if (!m) return 0;
  const n = Number(m[1]);
  return Math.max(-2147483648, Math.min(2147483647, n));
}

/** Redis's string2ll for numkeys: strict, no sign on zero, no leading zeros. */
function strictInt(b: Buffer): number | undefined {
  const s = b.toString('latin1');
  return /^(0|-?[1-9][0-9]{0,17})$/.test(s) ? Number(s) : undefined;
}

/** getKeysUsingKeySpecs: the keys, or null where Redis's answer is "invalid spec" (then a fallback decides). */
function keysBySpecs(specs: KeySpec[], argv: Buffer[], arity: number): FoundKey[] | null {
  const argc = argv.length;
  const keys: FoundKey[] = [];
  for (const spec of specs) {
    const flags = spec.flags.split(' ');
    if (flags.includes('not_key')) continue;
    let first = 0;
    const b = spec.begin;
    if (b === null) return null;
    if ('index' in b) first = b.index;
    else {
      // A negative startfrom searches backwards from the end.
      const start = b.startfrom > 0 ? b.startfrom : argc + b.startfrom;
      const end = b.startfrom > 0 ? argc - 1 : 0;
      for (let i = start; i !== end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (lower(argv[i]) === b.keyword.toLowerCase()) {
          first = i + 1;
          break;
        }
      }
      if (first === 0) continue; // keyword absent: this spec has no keys here
    }
    const f = spec.find;
    if (f === null) return null;
    let last: number;
    let step: number;
    if ('lastkey' in f) {
      step = f.keystep;
      if (f.lastkey >= 0) last = first + f.lastkey;
      else if (f.limit === 0) last = argc + f.lastkey;
      else last = first + (Math.trunc((argc - first) / f.limit) + f.lastkey);
    } else {
      step = f.keystep;
      if (f.keynumidx >= argc - first) return null;
      const numkeys = strictInt(argv[first + f.keynumidx]);
      if (numkeys === undefined || numkeys < 0) return null;
      first += f.firstkey;
      last = first + numkeys - 1;
    }
    if (last >= argc || last < first || first >= argc) return null;
    for (let i = first; i <= last; i += step) {
      if (i >= argc || i < first) {
        if (arity < 0) continue;
        return null;
      }
      keys.push({ pos: i, flags });
    }
    if (flags.includes('incomplete')) return null;
  }
  return keys;
}

const none: string[] = [];

/** genericGetKeys: numkeys read with atoi; the keys carry no flags (as Redis's fallback); a store key last. */
function numkeysFallback(argv: Buffer[], numkeysIdx: number, firstIdx: number, storeIdx: number): FoundKey[] {
  const num = atoi(argv[numkeysIdx] ?? Buffer.alloc(0));
  if (num < 1 || num > argv.length - firstIdx) return [];
  const keys: FoundKey[] = [];
  for (let i = 0; i < num; i++) keys.push({ pos: firstIdx + i, flags: none });
  if (storeIdx > 0) keys.push({ pos: storeIdx, flags: none });
  return keys;
}

/** sortGetKeys: the key, and the last STORE destination (LIMIT, GET and BY skip their arguments). */
function sortKeys(argv: Buffer[], readOnly: boolean): FoundKey[] {
  const keys: FoundKey[] = [{ pos: 1, flags: ['RO', 'access'] }];
  if (readOnly) return keys;
  const skip: Record<string, number> = { limit: 2, get: 1, by: 1 };
  let store: FoundKey | undefined;
  for (let i = 2; i < argv.length; i++) {
    const a = lower(argv[i]);
    if (a in skip) i += skip[a];
    else if (a === 'store' && i + 1 < argv.length) store = { pos: i + 1, flags: ['OW', 'update'] };
  }
  if (store) keys.push(store);
  return keys;
}

/** The command's own key finder, where Redis has one (its getkeys_proc). */
function fallbackKeys(name: string, argv: Buffer[]): FoundKey[] | undefined {
  switch (name) {
    case 'set': {
      const get = argv.slice(3).some((a) => lower(a) === 'get');
      return [{ pos: 1, flags: get ? ['RW', 'access', 'update'] : ['OW', 'update'] }];
    }
    case 'bitfield': {
      let readonly = true;
      for (let i = 2; i < argv.length; i++) {
        const rem = argv.length - i - 1;
        const a = lower(argv[i]);
        if (a === 'get' && rem >= 2) i += 2;
        else if (a === 'overflow' && rem >= 1) i += 1;
        else {
          readonly = false; // SET, INCRBY, or a syntax error: assume a write, as Redis does
          break;
        }
      }
      return [{ pos: 1, flags: readonly ? ['RO', 'access'] : ['RW', 'access', 'update'] }];
    }
    case 'sort':
    case 'sort_ro':
      return sortKeys(argv, name === 'sort_ro');
    case 'migrate': {
      let first = 3;
      let num = 1;
      for (let i = 6; i < argv.length; i++) {
        if (lower(argv[i]) === 'keys') {
          if (argv[3].length > 0) return [];
          first = i + 1;
          num = argv.length - first;
          break;
        }
      }
      return Array.from({ length: num }, (_, i) => ({ pos: first + i, flags: ['RW', 'access', 'delete'] }));
    }
    case 'eval':
    case 'evalsha':
    case 'eval_ro':
    case 'evalsha_ro':
    case 'fcall':
    case 'fcall_ro':
      return numkeysFallback(argv, 2, 3, 0);
    case 'zunionstore':
    case 'zinterstore':
    case 'zdiffstore':
      return numkeysFallback(argv, 2, 3, 1);
    case 'zunion':
    case 'zinter':
    case 'zdiff':
    case 'zintercard':
    case 'sintercard':
    case 'lmpop':
    case 'zmpop':
      return numkeysFallback(argv, 1, 2, 0);
    case 'blmpop':
    case 'bzmpop':
      return numkeysFallback(argv, 2, 3, 0);
    default:
      return undefined;
  }
}

/**
 * The keys of argv (already arity-checked) for cmd with their key-spec flags
 * (RW/RO/OW/RM, access/update/insert/delete); empty when Redis finds none it
 * trusts. ACL checks (server/acl/keys.ts) and client tracking use it too.
 */
export function findKeys(cmd: LeafCommand, argv: Buffer[]): FoundKey[] {
  const specs = REDIS_KEY_SPECS[cmd.name];
  if (specs === undefined) {
    // One of our own commands: its COMMAND INFO range.
    const flags = cmd.flags.includes('write') ? ['RW', 'update'] : ['RO', 'access'];
    const last = cmd.lastKey < 0 ? argv.length + cmd.lastKey : cmd.lastKey;
    const keys: FoundKey[] = [];
    for (let i = cmd.firstKey; i > 0 && i <= last && i < argv.length; i += Math.max(1, cmd.keyStep)) keys.push({ pos: i, flags });
    return keys;
  }
  const variable = specs.some((s) => s.flags.split(' ').includes('variable_flags'));
  const bySpecs = variable ? null : keysBySpecs(specs, argv, cmd.arity);
  if (bySpecs !== null) return bySpecs;
  return fallbackKeys(cmd.name, argv) ?? [];
}

function hasKeys(cmd: CommandDef): boolean {
  const specs = REDIS_KEY_SPECS[cmd.name];
  if (specs !== undefined) return specs.some((s) => !s.flags.split(' ').includes('not_key'));
  return cmd.firstKey > 0;
}

/** lookupCommand over argv: a container's subcommand when one is named, else the command itself. */
function lookup(find: (n: string) => CommandDef | undefined, argv: Buffer[]): CommandDef | undefined {
  const base = find(lower(argv[0]));
  if (base === undefined || base.kind !== 'container' || argv.length === 1) return base;
  return base.subcommands.get(lower(argv[1]));
}

export function getKeys(find: (n: string) => CommandDef | undefined, target: Buffer[], withFlags: boolean): Reply {
  const cmd = lookup(find, target);
  if (cmd === undefined) return ERR_INVALID_COMMAND;
  if (!hasKeys(cmd)) return ERR_NO_KEYS;
  if (!arityOk(cmd.arity, target.length)) return ERR_INVALID_ARGC;
  const keys = cmd.kind === 'container' ? [] : findKeys(cmd, target);
  if (keys.length === 0) return NO_MANDATORY_KEYS.has(cmd.name) ? [] : ERR_INVALID_ARGS;
  return keys.map((k) => (withFlags ? [target[k.pos], new SetReply(k.flags.map((f) => new SimpleString(f)))] : target[k.pos]));
}

/** COMMAND GETKEYS and GETKEYSANDFLAGS, for the COMMAND container (arity -4 as redis-server 7.0: a command and one argument at least). */
export function getKeysSubcommands(find: (n: string) => CommandDef | undefined): ServerCommand[] {
  const doc = (summary: string, since: string) => ({
    summary,
    since,
    group: 'server' as const,
    complexity: 'O(N) where N is the number of arguments to the command',
  });
  return [
    serverCmd('command|getkeys', -4, ['loading', 'stale'], ['@slow', '@connection'], doc('Extract keys given a full Redis command', '2.8.13'), (_ctx, argv) =>
      getKeys(find, argv.slice(2), false),
    ),
    serverCmd('command|getkeysandflags', -4, ['loading', 'stale'], ['@slow', '@connection'], doc('Extract keys and access flags given a full Redis command', '7.0.0'), (_ctx, argv) =>
      getKeys(find, argv.slice(2), true),
    ),
  ];
}
