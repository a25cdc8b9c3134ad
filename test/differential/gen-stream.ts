/**
 * The "stream" family of the differential test: XADD, XRANGE, XDEL, XTRIM,
 * XSETID, XREAD, XINFO STREAM.
 *
 * Ids: `*` is never generated, since an auto id is the server's clock and
 * two servers never agree on it. Instead XADD gives explicit ids that mostly
 * grow (a per-sequence clock that advances by 0-3 ms per XADD), `ms-*`
 * (the seq is chosen by the server, deterministically), and now and then an
 * old, zero, huge or malformed id for the error paths. Values are sometimes
 * 200 bytes and entries up to 5 fields, so streams cross Redis's node limits
 * (100 entries / 4096 bytes) and `~` trimming has whole nodes to drop.
 */
import type { Family, Gen } from './generator';

/** Per-sequence id clock: each Gen is one sequence. */
const clocks = new WeakMap<Gen, number>();

/** The stream family's keys: mostly two of its own, sometimes any (wrong types). */
const HOMES = ['k5', 'k6'];
const ANY = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6', '{k}7', 'k\x00\xff'];
function key(g: Gen): string {
  return g.rng.chance(0.85) ? g.rng.pick(HOMES) : g.rng.pick(ANY);
}

function now(g: Gen): number {
  return clocks.get(g) ?? 1;
}

/** An id for XADD: usually the next tick of the clock, else a special case. */
function addId(g: Gen): string {
  const r = g.rng.int(100);
  if (r < 60) {
    const t = now(g) + g.rng.int(4);
    clocks.set(g, t);
    return g.rng.chance(0.3) ? `${t}-*` : `${t}-${g.rng.int(3)}`;
  }
  if (r < 75) return `${now(g)}-*`;
  if (r < 85) return `${Math.max(0, now(g) - g.rng.int(5))}-${g.rng.int(3)}`;
  return g.rng.pick(['0-0', '0', '0-*', '0-1', '1', '18446744073709551615-18446744073709551615', '18446744073709551615-*', '18446744073709551616', 'x', '-1', '1-x', '5-18446744073709551615']);
}

/** An id argument for reads, deletes, trims: around the clock, or special. */
function someId(g: Gen): string {
  const r = g.rng.int(100);
  if (r < 55) return `${g.rng.int(now(g) + 2)}-${g.rng.int(3)}`;
  if (r < 75) return `${g.rng.int(now(g) + 2)}`;
  return g.rng.pick(['0', '0-0', '18446744073709551615-18446744073709551615', '18446744073709551615', 'x', '', '-1', '1-', '-', '+', '007-1', '2-01']);
}

function rangeBound(g: Gen, start: boolean): string {
  const r = g.rng.int(100);
  if (r < 30) return start ? '-' : '+';
  if (r < 45) return `(${someId(g)}`;
  if (r < 48) return g.rng.pick(['(-', '(+', '(', start ? '+' : '-']);
  return someId(g);
}

const FIELDS = ['a', 'b', 'c', 'field', '\x00f', ''];
const SMALL = ['1', '2', 'x', 'hello', '', '-5', '123456', '\xff\x00'];

function pairs(g: Gen): string[] {
  const n = g.rng.chance(0.8) ? g.rng.range(1, 2) : g.rng.range(1, 5);
  const same = g.rng.chance(0.7);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(same ? ['a', 'b', 'c', 'd', 'e'][i] : g.rng.pick(FIELDS));
    out.push(g.rng.chance(0.15) ? 'z'.repeat(g.rng.pick([200, 1000, 3000])) : g.rng.pick(SMALL));
  }
  if (g.rng.chance(0.03)) out.pop(); // odd count: arity error
  return out;
}

const w = (g: Gen, s: string): string => g.word(s);

function trimArgs(g: Gen): string[] {
  const strategy = g.rng.chance(0.6) ? 'MAXLEN' : 'MINID';
  const out = [w(g, strategy)];
  const op = g.rng.int(10);
  if (op < 4) out.push('~');
  else if (op < 6) out.push('=');
  out.push(strategy === 'MAXLEN' ? g.rng.pick(['0', '1', '2', '5', '10', '50', '100', '-1', 'x', '9223372036854775807']) : someId(g));
  if (g.rng.chance(0.25)) out.push(w(g, 'LIMIT'), g.rng.pick(['0', '1', '5', '100', '-1', 'x']));
  return out;
}

export const streamFamily: Family = {
  name: 'stream',
  defaultOn: true,
  templates: [
    {
      cmd: 'XADD',
      weight: 12,
      args: (g) => {
        const out = [key(g)];
        if (g.rng.chance(0.1)) out.push(w(g, 'NOMKSTREAM'));
        if (g.rng.chance(0.2)) out.push(...trimArgs(g));
        out.push(addId(g), ...pairs(g));
        return out;
      },
    },
    { cmd: 'XLEN', args: (g) => [key(g)] },
    {
      cmd: 'XRANGE',
      weight: 3,
      args: (g) => [key(g), rangeBound(g, true), rangeBound(g, false), ...(g.rng.chance(0.4) ? [w(g, 'COUNT'), g.count()] : [])],
    },
    {
      cmd: 'XREVRANGE',
      weight: 2,
      args: (g) => [key(g), rangeBound(g, false), rangeBound(g, true), ...(g.rng.chance(0.4) ? [w(g, 'COUNT'), g.count()] : [])],
    },
    { cmd: 'XDEL', weight: 2, args: (g) => [key(g), ...Array.from({ length: g.rng.range(1, 3) }, () => someId(g))] },
    { cmd: 'XTRIM', weight: 2, args: (g) => [key(g), ...trimArgs(g)] },
    {
      cmd: 'XSETID',
      args: (g) => {
        const out = [key(g), g.rng.chance(0.7) ? `${now(g) + g.rng.int(3)}-${g.rng.int(3)}` : someId(g)];
        if (g.rng.chance(0.3)) out.push(w(g, 'ENTRIESADDED'), g.rng.pick(['0', '1', '5', '100', '-1', 'x']));
        if (g.rng.chance(0.3)) out.push(w(g, 'MAXDELETEDID'), someId(g));
        return out;
      },
    },
    {
      cmd: 'XREAD',
      weight: 2,
      args: (g) => {
        const out: string[] = [];
        if (g.rng.chance(0.4)) out.push(w(g, 'COUNT'), g.count());
        const keys = Array.from({ length: g.rng.range(1, 2) }, () => key(g));
        out.push(w(g, 'STREAMS'), ...keys, ...keys.map(() => (g.rng.chance(0.2) ? '$' : someId(g))));
        if (g.rng.chance(0.03)) out.pop();
        return out;
      },
    },
    {
      cmd: 'XINFO',
      args: (g) =>
        g.rng.pick([
          () => [w(g, 'STREAM'), key(g)],
          () => [w(g, 'STREAM'), key(g), w(g, 'FULL')],
          () => [w(g, 'STREAM'), key(g), w(g, 'FULL'), w(g, 'COUNT'), g.rng.pick(['0', '1', '3', '-1', 'x'])],
          () => [w(g, 'STREAM'), key(g), 'x'],
          () => [g.rng.pick(['nosuch', 'HELP'])],
        ])(),
    },
    { cmd: 'TYPE', args: (g) => [key(g)] },
    { cmd: 'DEL', args: (g) => [key(g)] },
    { cmd: 'COPY', args: (g) => [key(g), key(g), ...(g.rng.chance(0.5) ? ['REPLACE'] : [])] },
    { cmd: 'RENAME', args: (g) => [key(g), key(g)] },
  ],
};
