/**
 * DUMP: a value as redis-server 7.0 serializes it (rdbSaveObjectType +
 * rdbSaveObject + the footer of createDumpPayload). Encodings follow the
 * value's OBJECT ENCODING, and within them the byte layout Redis writes, so
 * a value built the same way on both servers DUMPs to the same bytes
 * (hashtable-encoded hashes and sets list their elements in this server's
 * iteration order, not Redis's dict order).
 */
import { encodingConfig, elementBuffer, type Value } from '../keyspace/object';
import type { ListValue } from '../keyspace/list';
import type { HashValue } from '../keyspace/hash';
import type { SetValue } from '../keyspace/set';
import type { ZSetValue } from '../keyspace/zset';
import type { StreamValue } from '../keyspace/stream';
import { QUICKLIST_NODE_PACKED, RDB_TYPE, RdbWriter } from './format';
import { encodeIntset } from './intset';
import { encodeListpack, entrySize } from './listpack';
import { listpackScore } from './score';
import { writeStream } from './stream';

export function dumpValue(v: Value): Buffer {
  const w = new RdbWriter();
  switch (v.type) {
    case 'string':
      w.byte(RDB_TYPE.STRING);
      w.string(v.value);
      break;
    case 'list':
      writeList(w, v as ListValue);
      break;
    case 'set':
      writeSet(w, v as SetValue);
      break;
    case 'hash':
      writeHash(w, v as HashValue);
      break;
    case 'zset':
      writeZset(w, v as ZSetValue);
      break;
    case 'stream':
      writeStream(w, v as StreamValue);
      break;
    default: {
      const unknown: never = v;
      throw new Error(`no RDB encoding for ${(unknown as Value).type}`);
    }
  }
  return w.finish();
}

/** quicklist.c optimization_level: node byte limits for list-max-listpack-size -1..-5. */
const OPTIMIZATION_LEVEL = [4096, 8192, 16384, 32768, 65536];
const SIZE_SAFETY_LIMIT = 8192;
/** quicklist.c SIZE_ESTIMATE_OVERHEAD: what an element may add to a listpack beyond its bytes. */
const SIZE_ESTIMATE_OVERHEAD = 8;

/**
 * Redis 7.0.15's _quicklistNodeAllowInsert for an element of `sz` bytes:
 * a byte limit for a negative fill, else an entry count (within the safety
 * size). Splitting the elements this way gives the nodes RPUSH builds.
 */
function allowInsert(nodeBytes: number, nodeCount: number, sz: number, fill: number): boolean {
  const newSz = nodeBytes + sz + SIZE_ESTIMATE_OVERHEAD;
  if (fill < 0) return newSz <= OPTIMIZATION_LEVEL[Math.min(-fill - 1, OPTIMIZATION_LEVEL.length - 1)];
  return newSz <= SIZE_SAFETY_LIMIT && nodeCount + 1 <= Math.max(fill, 1);
}

function writeList(w: RdbWriter, l: ListValue): void {
  const fill = encodingConfig['list-max-listpack-size'];
  const nodes: string[][] = [];
  let node: string[] | null = null;
  let nodeBytes = 0;
  for (const s of l.elements()) {
    if (node === null || !allowInsert(nodeBytes, node.length, s.length, fill)) {
      node = [];
      nodes.push(node);
      nodeBytes = 7; // empty listpack: header + terminator
    }
    node.push(s);
    nodeBytes += entrySize(s);
  }
  w.byte(RDB_TYPE.LIST_QUICKLIST_2);
  w.len(nodes.length);
  for (const n of nodes) {
    w.len(QUICKLIST_NODE_PACKED);
    w.string(encodeListpack(n));
  }
}

function writeSet(w: RdbWriter, s: SetValue): void {
  if (s.encoding() === 'intset') {
    w.byte(RDB_TYPE.SET_INTSET);
    w.string(encodeIntset(s.elements()));
    return;
  }
  w.byte(RDB_TYPE.SET);
  w.len(s.length);
  for (const m of s.elements()) w.string(elementBuffer(m));
}

function writeHash(w: RdbWriter, h: HashValue): void {
  if (h.encoding() === 'listpack') {
    const flat: string[] = [];
    for (const [f, v] of h.entries()) flat.push(f, v);
    w.byte(RDB_TYPE.HASH_LISTPACK);
    w.string(encodeListpack(flat));
    return;
  }
  w.byte(RDB_TYPE.HASH);
  w.len(h.length);
  for (const [f, v] of h.entries()) {
    w.string(elementBuffer(f));
    w.string(elementBuffer(v));
  }
}

function writeZset(w: RdbWriter, z: ZSetValue): void {
  if (z.encoding() === 'listpack') {
    const flat: string[] = [];
    for (const n of z.index) flat.push(n.member, listpackScore(n.score));
    w.byte(RDB_TYPE.ZSET_LISTPACK);
    w.string(encodeListpack(flat));
    return;
  }
  // From the highest score down, as rdbSaveObject walks the skiplist (makes loading O(1) per insert).
  const nodes = [...z.index];
  w.byte(RDB_TYPE.ZSET_2);
  w.len(nodes.length);
  for (let i = nodes.length - 1; i >= 0; i--) {
    w.string(elementBuffer(nodes[i].member));
    w.binaryDouble(nodes[i].score);
  }
}
