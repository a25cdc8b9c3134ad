/**
 * The "stream" family of the differential test: XADD, XRANGE, XDEL, XTRIM,
 * XSETID, XREAD, XINFO STREAM / GROUPS, and consumer groups: XGROUP,
 * XREADGROUP, XACK, XPENDING (summary form), XCLAIM, XAUTOCLAIM.
 *
 * Ids: `*` is never generated, since an auto id is the server's clock and
 * two servers never agree on it. Instead XADD gives explicit ids that mostly
 * grow (a per-sequence clock that advances by 0-3 ms per XADD), `ms-*`
 * (the seq is chosen by the server, deterministically), and now and then an
 * old, zero, huge or malformed id for the error paths. Never a seq of
 * 2^64-1 below the maximum ms: redis-server 7.0 answers the following
 * `ms-*` from a stale errno (one of two texts, not a function of the data). Values are sometimes
 * 200 bytes and entries up to 5 fields, so streams cross Redis's node limits
 * (100 entries / 4096 bytes) and `~` trimming has whole nodes to drop.
 *
 * Left out because their replies are clocks, not data: XPENDING's extended
 * form and XINFO CONSUMERS (idle ms), XINFO STREAM FULL (seen and delivery
 * times; tested without groups in test/commands/stream.test.ts). Min-idle
 * times are 0, negative, invalid or an hour (only entries given an old
 * delivery time by IDLE / TIME qualify), so two servers a few ms apart agree.
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
  return g.rng.pick(['0-0', '0', '0-*', '0-1', '1', '18446744073709551615-18446744073709551615', '18446744073709551615-*', '18446744073709551616', 'x', '-1', '1-x']);
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

const GROUPS = ['g1', 'g2', 'nog'];
const CONSUMERS = ['alice', 'bob', 'carol'];
const group = (g: Gen): string => g.rng.pick(GROUPS);
const consumer = (g: Gen): string => g.rng.pick(CONSUMERS);
const minIdle = (g: Gen): string => g.rng.pick(['0', '0', '0', '-5', '3600000', 'x']);

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
          () => [w(g, 'STREAM'), key(g), 'x'],
          () => [w(g, 'GROUPS'), key(g)],
          () => [g.rng.pick(['nosuch', 'HELP'])],
        ])(),
    },
    {
      cmd: 'XGROUP',
      weight: 3,
      args: (g) =>
        g.rng.pick([
          () => [w(g, 'CREATE'), key(g), group(g), g.rng.chance(0.3) ? '$' : someId(g), ...g.options([() => [w(g, 'MKSTREAM')], () => [w(g, 'ENTRIESREAD'), g.rng.pick(['0', '1', '3', '-1', '-2', 'x'])]], 2)],
          () => [w(g, 'CREATE'), key(g), group(g), '0', w(g, 'MKSTREAM')],
          () => [w(g, 'SETID'), key(g), group(g), g.rng.chance(0.3) ? '$' : someId(g), ...(g.rng.chance(0.3) ? [w(g, 'ENTRIESREAD'), g.rng.pick(['0', '2', '-1', 'x'])] : [])],
          () => [w(g, 'DESTROY'), key(g), group(g)],
          () => [w(g, 'CREATECONSUMER'), key(g), group(g), consumer(g)],
          () => [w(g, 'DELCONSUMER'), key(g), group(g), consumer(g)],
          () => [g.rng.pick(['HELP', 'nosuch', 'CREATE'])],
        ])(),
    },
    {
      cmd: 'XREADGROUP',
      weight: 4,
      args: (g) => {
        const out = [w(g, 'GROUP'), group(g), consumer(g)];
        if (g.rng.chance(0.4)) out.push(w(g, 'COUNT'), g.rng.pick(['1', '2', '0', '-1', 'x']));
        if (g.rng.chance(0.2)) out.push(w(g, 'NOACK'));
        const keys = Array.from({ length: g.rng.range(1, 2) }, () => key(g));
        out.push(w(g, 'STREAMS'), ...keys, ...keys.map(() => (g.rng.chance(0.7) ? '>' : g.rng.chance(0.1) ? '$' : someId(g))));
        return out;
      },
    },
    { cmd: 'XACK', weight: 2, args: (g) => [key(g), group(g), ...Array.from({ length: g.rng.range(1, 3) }, () => someId(g))] },
    { cmd: 'XPENDING', weight: 2, args: (g) => [key(g), group(g)] },
    {
      cmd: 'XCLAIM',
      weight: 2,
      args: (g) => [
        key(g),
        group(g),
        consumer(g),
        minIdle(g),
        ...Array.from({ length: g.rng.range(1, 3) }, () => someId(g)),
        ...g.options(
          [
            () => [w(g, 'IDLE'), g.rng.pick(['0', '7200000', 'x'])],
            () => [w(g, 'TIME'), g.rng.pick(['1', '0', '-1', 'x'])],
            () => [w(g, 'RETRYCOUNT'), g.rng.pick(['0', '5', '-1', 'x'])],
            () => [w(g, 'FORCE')],
            () => [w(g, 'JUSTID')],
            () => [w(g, 'LASTID'), someId(g)],
          ],
          3,
        ),
      ],
    },
    {
      cmd: 'XAUTOCLAIM',
      weight: 2,
      args: (g) => [key(g), group(g), consumer(g), minIdle(g), rangeBound(g, true), ...g.options([() => [w(g, 'COUNT'), g.rng.pick(['1', '2', '10', '0', 'x'])], () => [w(g, 'JUSTID')]], 2)],
    },
    { cmd: 'TYPE', args: (g) => [key(g)] },
    { cmd: 'DEL', args: (g) => [key(g)] },
    { cmd: 'COPY', args: (g) => [key(g), key(g), ...(g.rng.chance(0.5) ? ['REPLACE'] : [])] },
    { cmd: 'RENAME', args: (g) => [key(g), key(g)] },
  ],
};
