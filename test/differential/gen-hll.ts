/**
 * Family "hll": PFADD / PFCOUNT / PFMERGE / PFDEBUG mixed with the string
 * commands that can break an HLL value (SET, APPEND, SETRANGE) on the same
 * keys, so the wrong-type (-WRONGTYPE Key is not a valid HyperLogLog string
 * value.) and corrupted-value (-INVALIDOBJ) paths come up, and with a few
 * commands of other types (a list key is the plain WRONGTYPE).
 *
 * Bulk adds (hundreds to thousands of elements) take a sparse value across
 * hll-sparse-max-bytes (3000) to dense, and PFMERGE then meets both forms.
 * The PFCOUNT normalization (Redis stores the cached count, raftcache does
 * not) is in normalize-hll.ts.
 */
import type { Family, Gen, Template } from './generator';

/** Mostly these keys (strings and HLLs share them), sometimes any of the eight. */
const HOME = ['k1', 'k2', 'k3'];
const ALL = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6', '{k}7', 'k\x00\xff'];
const key = (g: Gen): string => (g.rng.chance(0.85) ? g.rng.pick(HOME) : g.rng.pick(ALL));
const keys = (g: Gen, min: number, max: number): string[] => Array.from({ length: g.rng.range(min, max) }, () => key(g));

/** Elements: a small pool (re-adds change nothing), binary ones, the empty string. */
const ELEMENTS = ['a', 'b', 'c', 'd', 'foo', 'bar', '1', '2', '', '\x00', '\xff\xfe', 'x'.repeat(9), 'hello world', 'é'];
const elements = (g: Gen, min: number, max: number): string[] => Array.from({ length: g.rng.range(min, max) }, () => g.rng.pick(ELEMENTS));

/** A run of distinct elements: 50 stays sparse, 1500+ crosses 3000 bytes to dense. */
function bulk(g: Gen): string[] {
  const n = g.rng.pick([50, 300, 1500, 3000]);
  const prefix = g.rng.pick(['e', 'f', 'g']);
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`);
}

/** Hand-made values: a header alone, bad magic or encoding, a sparse value short of 16384 registers, a dense header of the wrong length. */
const HLLISH = [
  'HYLL',
  'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80',
  'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff',
  'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xfe',
  'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xfe\x80',
  'HYLL\x01\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x7f\xff',
  'HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x00\x00',
  'HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff',
  'HYLX\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff',
  'hello',
  '12345',
];
/** Bytes SETRANGE/APPEND write into a value: opcodes of each kind, a terminator-like NUL, text. */
const PATCHES = ['\x00', '\x80', '\xfc', '\x7f', '\x40', '\x3f\x3f', '\x01', 'x', 'HYLL', '\xff\xff\xff', '\x00\x00\x00\x00\x00\x00\x00\x00'];
const OFFSETS = ['0', '4', '8', '15', '16', '17', '18', '20', '30', '100', '2000', '12303', '12304'];

const templates: Template[] = [
  { cmd: 'PFADD', weight: 8, args: (g) => [key(g), ...elements(g, 0, 5)] },
  { cmd: 'PFADD', weight: 3, args: (g) => [key(g), ...bulk(g)] },
  { cmd: 'PFCOUNT', weight: 4, args: (g) => [key(g)] },
  { cmd: 'PFCOUNT', weight: 2, args: (g) => keys(g, 2, 4) },
  { cmd: 'PFMERGE', weight: 3, args: (g) => keys(g, 1, 4) },
  { cmd: 'PFDEBUG', weight: 2, args: (g) => [g.word(g.rng.pick(['ENCODING', 'DECODE', 'TODENSE', 'ENCODING', 'NOSUCH'])), key(g)] },
  { cmd: 'PFDEBUG', args: (g) => ['GETREG', key(g)] },
  { cmd: 'GET', weight: 2, args: (g) => [key(g)] },
  { cmd: 'SET', args: (g) => [key(g), g.rng.chance(0.6) ? g.rng.pick(HLLISH) : g.value()] },
  { cmd: 'APPEND', args: (g) => [key(g), g.rng.pick(PATCHES)] },
  { cmd: 'SETRANGE', weight: 3, args: (g) => [key(g), g.rng.pick(OFFSETS), g.rng.pick(PATCHES)] },
  { cmd: 'STRLEN', args: (g) => [key(g)] },
  { cmd: 'GETRANGE', args: (g) => [key(g), g.rng.pick(['0', '4', '16']), g.rng.pick(['3', '15', '40', '-1'])] },
  { cmd: 'DEL', weight: 3, args: (g) => keys(g, 1, 2) },
  { cmd: 'COPY', args: (g) => [key(g), key(g), 'REPLACE'] },
  { cmd: 'LPUSH', args: (g) => [key(g), 'x'] },
  { cmd: 'OBJECT', args: (g) => ['ENCODING', key(g)] },
];

export const hllFamily: Family = { name: 'hll', defaultOn: true, templates };
