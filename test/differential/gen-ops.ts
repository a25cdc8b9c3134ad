/**
 * The `ops` family: COMMAND GETKEYS / GETKEYSANDFLAGS over commands both
 * servers have, with argument lists made to hit the key finders (numkeys,
 * STORE, GET, KEYS, STREAMS...) and their errors. Off by default (run it with
 * --families ops): its replies describe commands, not the data.
 */
import type { Family, Gen } from './generator';

const TARGETS = [
  'get', 'set', 'mget', 'mset', 'del', 'rename', 'lmove', 'blpop', 'sort', 'sort_ro', 'eval', 'evalsha', 'eval_ro',
  'zunionstore', 'zinterstore', 'zdiffstore', 'zunion', 'zinter', 'zdiff', 'zintercard', 'sintercard', 'lmpop', 'blmpop',
  'zmpop', 'bzmpop', 'bitfield', 'bitfield_ro', 'bitop', 'copy', 'smove', 'lcs', 'object', 'memory', 'exists', 'touch',
  'hset', 'zrangestore', 'getex', 'ping', 'config', 'echo', 'nosuchcommand',
];

const WORDS = ['0', '1', '2', '3', '-1', '2x', 'k1', 'k2', 'store', 'get', 'by', 'limit', 'keys', 'streams', 'weights', 'encoding', 'usage', 'left', 'x'];

function targetArgs(g: Gen): string[] {
  const n = g.rng.range(0, 7);
  return Array.from({ length: n }, () => (g.rng.chance(0.3) ? g.key() : g.word(g.rng.pick(WORDS))));
}

export const opsFamily: Family = {
  name: 'ops',
  defaultOn: false,
  templates: [
    { cmd: 'COMMAND', weight: 2, args: (g) => [g.word('GETKEYS'), g.word(g.rng.pick(TARGETS)), ...targetArgs(g)] },
    { cmd: 'COMMAND', weight: 2, args: (g) => [g.word('GETKEYSANDFLAGS'), g.word(g.rng.pick(TARGETS)), ...targetArgs(g)] },
  ],
};
