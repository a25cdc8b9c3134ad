/**
 * The "stream-surface" family: XINFO and XGROUP as containers (unknown
 * subcommands, each subcommand's arity, any letter case), COMMAND INFO and
 * GETKEYS of their subcommands by full name, and ACL DRYRUN of a user
 * whose rules name subcommands. Off by default (--families stream-surface):
 * most replies describe commands, not the data. Uses the stream family's
 * homes (k5, k6) so groups exist to act on. COMMAND DOCS is left out: its
 * arguments carry 7.2's display_text, which the 7.0.15 reference lacks
 * (test/commands/stream-surface.test.ts compares the rest).
 */
import type { Family, Gen } from './generator';

const SUBS: Record<string, string[]> = {
  XINFO: ['STREAM', 'GROUPS', 'CONSUMERS', 'HELP', 'nosuch', ''],
  XGROUP: ['CREATE', 'SETID', 'DESTROY', 'CREATECONSUMER', 'DELCONSUMER', 'HELP', 'nosuch'],
};
const FULL = [
  'xinfo|stream', 'xinfo|groups', 'xinfo|consumers', 'xinfo|help', 'xgroup|create', 'xgroup|setid', 'xgroup|destroy',
  'xgroup|createconsumer', 'xgroup|delconsumer', 'xgroup|help', 'xinfo|nosuch', 'xinfo|stream|x', 'xgroup|',
];
const ARGS = ['k5', 'k6', 'g1', 'g2', 'alice', '$', '0', 'MKSTREAM', 'ENTRIESREAD', '1', 'FULL', 'COUNT'];

/** Flips the case of some letters: subcommand names are case-insensitive. */
function mixCase(g: Gen, s: string): string {
  return [...s].map((c) => (g.rng.chance(0.3) ? c.toLowerCase() : c)).join('');
}

/** A container call with 0-5 arguments after the subcommand: most are arity or syntax errors, some succeed. */
function containerCall(g: Gen, container: string): string[] {
  const sub = mixCase(g, g.rng.pick(SUBS[container]));
  const n = g.rng.range(0, 5);
  const out = [sub];
  // The key and group first, so well-formed calls reach the data.
  for (let i = 0; i < n; i++) out.push(i === 0 ? g.rng.pick(['k5', 'k6']) : i === 1 ? g.rng.pick(['g1', 'g2']) : g.rng.pick(ARGS));
  // A well-formed XINFO CONSUMERS answers consumers' idle times (clocks, not data: two servers differ by a ms or
  // two on a loaded machine): it only runs with its arity wrong here (test/commands/stream.test.ts covers it).
  if (container === 'XINFO' && sub.toUpperCase() === 'CONSUMERS' && out.length === 3) out.push(g.rng.pick(ARGS));
  return g.rng.chance(0.05) ? [] : out;
}

const ACL_USER = 'surface';
const ACL_RULES = ['on', 'nopass', '~*', '+@all', '-xgroup|destroy', '-xinfo', '+xinfo|stream'];

export const streamSurfaceFamily: Family = {
  name: 'stream-surface',
  defaultOn: false,
  templates: [
    { cmd: 'XINFO', weight: 4, args: (g) => containerCall(g, 'XINFO') },
    { cmd: 'XGROUP', weight: 4, args: (g) => containerCall(g, 'XGROUP') },
    { cmd: 'XADD', args: (g) => [g.rng.pick(['k5', 'k6']), `${g.rng.range(1, 1000)}-*`, 'f', 'v'] },
    // Two names at least: a dropped last argument (the generator's arity mutation) must not make it COMMAND INFO of everything.
    { cmd: 'COMMAND', args: (g) => [g.word('INFO'), ...Array.from({ length: g.rng.range(2, 3) }, () => g.rng.pick(FULL))] },
    { cmd: 'COMMAND', args: (g) => [g.word('GETKEYS'), g.rng.pick(['xinfo', 'xgroup', 'XGROUP']), ...containerCall(g, g.rng.pick(['XINFO', 'XGROUP']))] },
    { cmd: 'ACL', args: () => ['SETUSER', ACL_USER, ...ACL_RULES] },
    { cmd: 'ACL', weight: 2, args: (g) => ['DRYRUN', ACL_USER, g.rng.pick(['XINFO', 'XGROUP']), ...containerCall(g, g.rng.pick(['XINFO', 'XGROUP']))] },
  ],
};
