/**
 * The `functions` family: FUNCTION LOAD/DELETE/FLUSH/LIST/RESTORE/STATS and
 * FCALL/FCALL_RO over a small fixed set of libraries.
 *
 * Each library registers one function, so FUNCTION LIST (asked for one
 * library by name) has a defined order; Redis lists several functions, and
 * several libraries, in its seeded hash table's order. FUNCTION DUMP is not
 * generated: redis-server compresses long strings (LZF), this server does
 * not, so the payloads differ by design (RESTORE of a payload from either
 * works on both: test/commands/functions.test.ts). Libraries survive the
 * runner's FLUSHALL between seeds (as in Redis), identically on both
 * servers; FUNCTION FLUSH is frequent so the table keeps returning to empty.
 */
import { encodeFunctionDump } from '../../server/scripting/functions-dump';
import type { Family, Gen } from './generator';

const LIBS: Record<string, string> = {
  counter: "#!lua name=counter\nredis.register_function('bump', function(keys, args) return redis.call('incrby', keys[1], args[1] or '1') end)",
  reader: "#!lua name=reader\nredis.register_function{function_name='peek', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}, description='get a key'}",
  lists: "#!lua name=lists\nredis.register_function('push', function(keys, args) return redis.call('rpush', keys[1], unpack(args)) end)",
  safe: "#!lua name=safe\nredis.register_function{function_name='tryget', callback=function(keys) local r = redis.pcall('get', keys[1]) if type(r) == 'table' and r.err then return 'caught: ' .. r.err end return r end, flags={'no-writes', 'allow-stale'}}",
  shape: "#!lua name=shape\nredis.register_function('shape', function(keys, args) return {#keys, #args, keys[1] or false, args[1] or false, 3.99, {ok='fine'}} end)",
  replies: "#!lua name=replies\nredis.register_function('replies', function(keys, args) local m = args[1] or 'x' if m == '1' then return redis.error_reply('MY failure') elseif m == '5' then return redis.status_reply('FINE') elseif m == 'v' then redis.setresp(3) return {redis.call('exists', keys[1] or 'none'), redis.call('get', keys[1] or 'none'), true, false} elseif m == '-3' then return cjson.encode({a = {1, 2}}) else return {redis.sha1hex(m), math.floor(7.9), tostring(nil)} end end)",
  // The same function name as counter's: a collision unless counter is gone.
  rival: "#!lua name=rival\nredis.register_function('BUMP', function() return 'rival' end)",
  // Faulty ones: each fails at a different stage.
  nofuncs: '#!lua name=nofuncs\nlocal x = 1',
  syntax: "#!lua name=syntax\nredis.register_function('s', function() return 1 end",
  loadcall: "#!lua name=loadcall\nredis.call('set', 'x', 'y')\nredis.register_function('lc', function() return 1 end)",
  badflag: "#!lua name=badflag\nredis.register_function{function_name='bf', callback=function() end, flags={'no-writes', 'bogus'}}",
  nometa: "redis.register_function('nm', function() return 1 end)",
  badname: "#!lua name=bad-name\nredis.register_function('bn', function() return 1 end)",
};
const LIB_NAMES = Object.keys(LIBS);
const FUNCTIONS = ['bump', 'BUMP', 'peek', 'push', 'tryget', 'shape', 'replies', 'nosuch'];

/** A version-2 library replacing counter's code (LOAD REPLACE / RESTORE REPLACE). */
const COUNTER_V2 = "#!lua name=counter\nredis.register_function('bump', function(keys) return redis.call('incrby', keys[1], 100) end)";

const latin1 = (b: Buffer): string => b.toString('latin1');

/**
 * One library per payload (Redis checks several against the existing ones in
 * its hash table's order, so which collision it names would differ), or the
 * two that collide with each other (checked in payload order).
 */
function payload(g: Gen): string {
  const pick = g.rng.pick(['counter', 'counter2', 'reader', 'lists', 'safe', 'shape', 'replies', 'rival', 'pair']);
  const code = (n: string): Buffer => Buffer.from(n === 'counter2' ? COUNTER_V2 : LIBS[n], 'latin1');
  const p = encodeFunctionDump(pick === 'pair' ? [code('counter'), code('rival')] : [code(pick)]);
  if (g.rng.chance(0.1)) p[p.length - 1] ^= 0x55; // a damaged checksum
  return latin1(p);
}

function numkeysAndArgs(g: Gen): string[] {
  const keys = g.keys(0, 2);
  const args = Array.from({ length: g.rng.range(0, 2) }, () => g.rng.pick(['1', '5', '-3', 'x', '', 'v']));
  const n = g.mostly(() => String(keys.length), () => g.rng.pick(['-1', 'x', '9', '1.5']), 0.1);
  return [n, ...keys, ...args];
}

export const functionsFamily: Family = {
  name: 'functions',
  defaultOn: true,
  templates: [
    {
      cmd: 'FUNCTION',
      weight: 4,
      args: (g) => [g.word('LOAD'), ...(g.rng.chance(0.3) ? [g.word('REPLACE')] : []), g.rng.chance(0.1) ? COUNTER_V2 : LIBS[g.rng.pick(LIB_NAMES)]],
    },
    { cmd: 'FCALL', weight: 6, args: (g) => [g.rng.pick(FUNCTIONS), ...numkeysAndArgs(g)] },
    { cmd: 'FCALL_RO', weight: 3, args: (g) => [g.rng.pick(FUNCTIONS), ...numkeysAndArgs(g)] },
    { cmd: 'FUNCTION', args: (g) => [g.word('DELETE'), g.rng.pick([...LIB_NAMES, 'COUNTER', 'nosuch'])] },
    { cmd: 'FUNCTION', weight: 2, args: (g) => [g.word('FLUSH'), ...(g.rng.chance(0.5) ? [g.rng.pick(['SYNC', 'ASYNC', 'sync', 'lazy'])] : [])] },
    {
      cmd: 'FUNCTION',
      weight: 2,
      // Always one library at most (several would be listed in hash table order).
      args: (g) => {
        const byName = [g.word('LIBRARYNAME'), g.rng.pick([...LIB_NAMES, 'count*', 'r?ader', 'COUNTER', 'nomatch'])];
        if (!g.rng.chance(0.5)) return [g.word('LIST'), ...byName];
        return g.rng.chance(0.5) ? [g.word('LIST'), g.word('WITHCODE'), ...byName] : [g.word('LIST'), ...byName, g.word('WITHCODE')];
      },
    },
    { cmd: 'FUNCTION', args: (g) => [g.word('STATS')] },
    {
      cmd: 'FUNCTION',
      weight: 2,
      args: (g) => [g.word('RESTORE'), payload(g), ...(g.rng.chance(0.7) ? [g.rng.pick(['FLUSH', 'APPEND', 'REPLACE', 'replace', 'MERGE'])] : [])],
    },
    // Values for the functions to meet: a string, an integer, a list.
    { cmd: 'SET', args: (g) => [g.key(), g.rng.pick(['7', 'text', '-2', ''])] },
    { cmd: 'RPUSH', args: (g) => [g.key(), g.member()] },
  ],
};
