/**
 * RESTORE's parser: a verified payload -> the elements of one value, for
 * every encoding redis-server up to 7.2 DUMPs for strings, lists, sets,
 * sorted sets and hashes (rdbLoadObject). Every structure is validated in
 * full (as Redis does with sanitize-dump-payload yes): anything malformed,
 * empty or with duplicate members throws RdbFormatError.
 *
 * Each RDB type has one entry in DECODERS; a module for another type (the
 * stream encodings 15/19/21) adds its own with registerDecoder.
 */
import { QUICKLIST_NODE_PACKED, QUICKLIST_NODE_PLAIN, RDB_TYPE, RdbReader, fail, scanDouble } from './format';
import { decodeIntset } from './intset';
import { decodeListpack } from './listpack';
import { decodeZiplist, decodeZipmap } from './ziplist';
import type { DecodedStream } from './stream';

/** What a payload holds; elements as latin1 strings. */
export type DecodedValue =
  | { type: 'string'; value: Buffer }
  | { type: 'list'; items: string[] }
  | { type: 'set'; members: string[] }
  /** Field/value pairs flattened: [f1, v1, f2, v2, ...]. */
  | { type: 'hash'; pairs: string[] }
  | { type: 'zset'; members: string[]; scores: number[] }
  /** Registered by stream.ts (STREAM_LISTPACKS, _2, _3). */
  | { type: 'stream'; stream: DecodedStream };

export type Decoder = (r: RdbReader, version: number) => DecodedValue;

const DECODERS = new Map<number, Decoder>();

export function registerDecoder(rdbType: number, d: Decoder): void {
  DECODERS.set(rdbType, d);
}

/**
 * Decodes a payload already checked by verifyPayload. The reader sees the
 * whole payload, footer included, as Redis's does (rioInitWithBuffer over the
 * argument): a value may end inside the footer, and bytes after it are ignored.
 */
export function decodePayload(p: Buffer, version: number): DecodedValue {
  const r = new RdbReader(p);
  const type = r.byte();
  const d = DECODERS.get(type);
  if (d === undefined) fail(`unsupported RDB type ${type}`);
  if (type === RDB_TYPE.SET_LISTPACK && version < 11) fail('SET_LISTPACK needs RDB 11');
  return d(r, version);
}

function nonEmpty(n: number): number {
  if (n === 0) fail('empty key');
  return n;
}

function strings(r: RdbReader, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(r.string().toString('latin1'));
  return out;
}

function noDuplicates(members: string[], step: number): void {
  const seen = new Set<string>();
  for (let i = 0; i < members.length; i += step) {
    if (seen.has(members[i])) fail('duplicate member');
    seen.add(members[i]);
  }
}

function pairsOf(flat: string[]): string[] {
  if (flat.length === 0) fail('empty key');
  if (flat.length % 2 !== 0) fail('odd number of entries');
  noDuplicates(flat, 2);
  return flat;
}

function zsetFromPairs(flat: string[]): DecodedValue {
  pairsOf(flat);
  const members: string[] = [];
  const scores: number[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    // zzlGetScore: strtod of the entry, no error check (no number at all reads as 0); NaN cannot be stored.
    const s = scanDouble(flat[i + 1]) ?? 0;
    if (Number.isNaN(s)) fail('NaN score');
    members.push(flat[i]);
    scores.push(s);
  }
  return { type: 'zset', members, scores };
}

function zsetFromList(r: RdbReader, binary: boolean): DecodedValue {
  const n = nonEmpty(r.len());
  const members: string[] = [];
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    members.push(r.string().toString('latin1'));
    const s = binary ? r.binaryDouble() : r.textDouble();
    if (Number.isNaN(s)) fail('NaN score');
    scores.push(s);
  }
  noDuplicates(members, 1);
  return { type: 'zset', members, scores };
}

/** Elements of a blob that must itself be non-empty. */
function nonEmptyList(items: string[]): string[] {
  if (items.length === 0) fail('empty key');
  return items;
}

registerDecoder(RDB_TYPE.STRING, (r) => ({ type: 'string', value: r.string() }));

registerDecoder(RDB_TYPE.LIST, (r) => ({ type: 'list', items: strings(r, nonEmpty(r.len())) }));
registerDecoder(RDB_TYPE.LIST_ZIPLIST, (r) => ({ type: 'list', items: nonEmptyList(decodeZiplist(r.string())) }));
registerDecoder(RDB_TYPE.LIST_QUICKLIST, (r) => {
  const nodes = nonEmpty(r.len());
  const items: string[] = [];
  // Empty nodes are skipped, as Redis does; an empty list in the end is an error.
  for (let i = 0; i < nodes; i++) for (const s of decodeZiplist(r.string())) items.push(s);
  return { type: 'list', items: nonEmptyList(items) };
});
registerDecoder(RDB_TYPE.LIST_QUICKLIST_2, (r) => {
  const nodes = nonEmpty(r.len());
  const items: string[] = [];
  for (let i = 0; i < nodes; i++) {
    const container = r.len();
    if (container === QUICKLIST_NODE_PLAIN) items.push(r.string().toString('latin1'));
    else if (container === QUICKLIST_NODE_PACKED) for (const s of decodeListpack(r.string())) items.push(s);
    else fail('bad quicklist container');
  }
  return { type: 'list', items: nonEmptyList(items) };
});

function setOf(members: string[]): DecodedValue {
  nonEmptyList(members);
  noDuplicates(members, 1);
  return { type: 'set', members };
}

registerDecoder(RDB_TYPE.SET, (r) => setOf(strings(r, nonEmpty(r.len()))));
registerDecoder(RDB_TYPE.SET_INTSET, (r) => setOf(decodeIntset(r.string())));
registerDecoder(RDB_TYPE.SET_LISTPACK, (r) => setOf(decodeListpack(r.string())));

registerDecoder(RDB_TYPE.ZSET, (r) => zsetFromList(r, false));
registerDecoder(RDB_TYPE.ZSET_2, (r) => zsetFromList(r, true));
registerDecoder(RDB_TYPE.ZSET_ZIPLIST, (r) => zsetFromPairs(decodeZiplist(r.string())));
registerDecoder(RDB_TYPE.ZSET_LISTPACK, (r) => zsetFromPairs(decodeListpack(r.string())));

registerDecoder(RDB_TYPE.HASH, (r) => ({ type: 'hash', pairs: pairsOf(strings(r, nonEmpty(r.len()) * 2)) }));
registerDecoder(RDB_TYPE.HASH_ZIPMAP, (r) => ({ type: 'hash', pairs: pairsOf(decodeZipmap(r.string())) }));
registerDecoder(RDB_TYPE.HASH_ZIPLIST, (r) => ({ type: 'hash', pairs: pairsOf(decodeZiplist(r.string())) }));
registerDecoder(RDB_TYPE.HASH_LISTPACK, (r) => ({ type: 'hash', pairs: pairsOf(decodeListpack(r.string())) }));
