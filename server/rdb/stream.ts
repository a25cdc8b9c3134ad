/**
 * Streams in the RDB format (rdb.c rdbSaveObject / rdbLoadObject for
 * streams, t_stream.c for the node listpack layout).
 *
 * A stream is: the number of nodes, then per node its 16-byte master id
 * (big-endian ms, seq) and a listpack; the length, last id, and for
 * STREAM_LISTPACKS_2/_3 the first id, max deleted id and entries added;
 * then the consumer groups: name, last delivered id, (2/3) entries read,
 * the group PEL (16-byte id, delivery time ms as int64 LE, delivery count),
 * the consumers (name, seen time, (3) active time, their PEL ids).
 *
 * A node's listpack: the master entry
 *   count (live), deleted, field count, field names..., 0
 * then per entry
 *   flags (1 deleted, 2 same fields), ms - master ms, seq - master seq,
 *   [field count, field, value, ...] or, with same fields, [value, ...],
 *   lp-count (the entry's element count before it).
 *
 * DUMP writes STREAM_LISTPACKS_2 as redis-server 7.0 does; RESTORE reads
 * 15 (Redis 5/6), 19 (7.0) and 21 (7.2). Our blocks split where Redis's nodes
 * split (stream-block.ts), so one block is one node and a stream built by the
 * same commands DUMPs to the same bytes.
 */
import { StreamValue, type Consumer } from '../keyspace/stream';
import { compareIds, MIN_ID, type StreamId } from '../keyspace/stream-id';
import { FLAG_DELETED, FLAG_SAMEFIELDS } from '../keyspace/stream-block';
import { estimateEntriesRead } from '../commands/stream';
import { registerDecoder } from './decode';
import { RDB_TYPE, RdbReader, RdbWriter, fail, strictInt } from './format';
import { decodeListpack, encodeListpack } from './listpack';

// ------------------------------------------------------------ writer

function idRaw(id: StreamId): Buffer {
  const b = Buffer.allocUnsafe(16);
  b.writeBigUInt64BE(id.ms, 0);
  b.writeBigUInt64BE(id.seq, 8);
  return b;
}

/** rdbSaveLen of a u64 (ids, entries read as an unsigned 64-bit number). */
function lenU64(w: RdbWriter, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  if (u <= 0xffffffffn) w.len(Number(u));
  else {
    const b = Buffer.alloc(9);
    b[0] = 0x81;
    b.writeBigUInt64BE(u, 1);
    w.bytes(b);
  }
}

function writeId(w: RdbWriter, id: StreamId): void {
  lenU64(w, id.ms);
  lenU64(w, id.seq);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** rdbSaveMillisecondTime: int64 little-endian (a time restored near the int64 limits may have rounded past them). */
function msTime(w: RdbWriter, t: number): void {
  let v = BigInt(Math.trunc(t));
  if (v > INT64_MAX) v = INT64_MAX;
  else if (v < INT64_MIN) v = INT64_MIN;
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(v, 0);
  w.bytes(b);
}

function sameNames(pairs: Buffer[], fields: Buffer[]): boolean {
  if (pairs.length !== fields.length * 2) return false;
  for (let i = 0; i < fields.length; i++) if (!pairs[2 * i].equals(fields[i])) return false;
  return true;
}

/** The node listpack of one block, element by element as t_stream.c appends them. */
function nodeListpack(s: StreamValue, bi: number): Buffer {
  const b = s.nodes()[bi];
  const fields = b.masterFields();
  const items: string[] = [String(b.live), String(b.count - b.live), String(fields.length)];
  for (const f of fields) items.push(f.toString('latin1'));
  items.push('0');
  b.forEach((id, deleted, off) => {
    const pairs = b.pairsAt(off);
    const same = sameNames(pairs, fields);
    items.push(String((deleted ? FLAG_DELETED : 0) | (same ? FLAG_SAMEFIELDS : 0)));
    items.push(BigInt.asIntN(64, id.ms - b.base.ms).toString(), BigInt.asIntN(64, id.seq - b.base.seq).toString());
    const nf = pairs.length / 2;
    if (same) for (let i = 1; i < pairs.length; i += 2) items.push(pairs[i].toString('latin1'));
    else {
      items.push(String(nf));
      for (const p of pairs) items.push(p.toString('latin1'));
    }
    items.push(String(same ? nf + 3 : 2 * nf + 4));
    return true;
  });
  return encodeListpack(items);
}

/**
 * A stream value, type byte included: STREAM_LISTPACKS_2 as DUMP writes it;
 * the older and newer layouts (15: no first id, max deleted id, entries
 * added or entries read; 21: consumers' active times) for tests.
 */
export function writeStream(w: RdbWriter, s: StreamValue, type: number = RDB_TYPE.STREAM_LISTPACKS_2): void {
  const v2 = type !== RDB_TYPE.STREAM_LISTPACKS;
  w.byte(type);
  const nodes = s.nodes();
  w.len(nodes.length);
  for (let i = 0; i < nodes.length; i++) {
    w.string(idRaw(nodes[i].base));
    w.string(nodeListpack(s, i));
  }
  w.len(s.length);
  writeId(w, s.lastId);
  if (v2) {
    writeId(w, s.firstId());
    writeId(w, s.maxDeletedId);
    lenU64(w, s.entriesAdded);
  }
  // Groups and consumers in name order, PELs in id order: Redis's rax order.
  const groups = [...s.groups.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  w.len(groups.length);
  for (const g of groups) {
    w.string(Buffer.from(g.name, 'latin1'));
    writeId(w, g.lastId);
    if (v2) lenU64(w, g.entriesRead);
    w.len(g.pel.size);
    for (const p of g.pel.values()) {
      w.bytes(idRaw(p.id));
      msTime(w, p.deliveryTime);
      w.len(p.deliveryCount);
    }
    const consumers = g.sortedConsumers();
    w.len(consumers.length);
    for (const c of consumers) {
      w.string(Buffer.from(c.name, 'latin1'));
      msTime(w, c.seenTime);
      if (type === RDB_TYPE.STREAM_LISTPACKS_3) msTime(w, c.activeTime);
      w.len(c.pel.size);
      for (const p of c.pel.values()) w.bytes(idRaw(p.id));
    }
  }
}

// ------------------------------------------------------------ reader

export interface DecodedStreamEntry {
  id: StreamId;
  pairs: Buffer[];
  deleted: boolean;
}

export interface DecodedStreamNode {
  base: StreamId;
  fields: Buffer[];
  entries: DecodedStreamEntry[];
}

export interface DecodedStreamGroup {
  name: string;
  lastId: StreamId;
  /** null: not in the payload (STREAM_LISTPACKS), estimated as Redis does once the stream is built. */
  entriesRead: bigint | null;
  pel: Array<{ id: StreamId; deliveryTime: number; deliveryCount: number }>;
  consumers: Array<{ name: string; seenTime: number; activeTime: number; pel: StreamId[] }>;
}

export interface DecodedStream {
  nodes: DecodedStreamNode[];
  length: number;
  lastId: StreamId;
  maxDeletedId: StreamId;
  /** STREAM_LISTPACKS has none: the length, as Redis takes it. */
  entriesAdded: bigint;
  groups: DecodedStreamGroup[];
}

/** rdbLoadLen as a u64 (ids and counters may use all 64 bits). */
function readU64(r: RdbReader): bigint {
  const b = r.byte();
  if (b >> 6 === 3) fail('encoded value where a length belongs');
  if (b === 0x81) return r.take(8).readBigUInt64BE(0);
  r.pos--;
  return BigInt(r.len());
}

function readId(r: RdbReader): StreamId {
  const ms = readU64(r);
  return { ms, seq: readU64(r) };
}

function readRawId(r: RdbReader): StreamId {
  const b = r.take(16);
  return { ms: b.readBigUInt64BE(0), seq: b.readBigUInt64BE(8) };
}

function readMsTime(r: RdbReader): number {
  return Number(r.take(8).readBigInt64LE(0));
}

/** lpGetIntegerIfValid: an element that reads as an int64. */
function int(items: string[], i: number): bigint {
  if (i >= items.length) fail('stream node listpack too short');
  const v = strictInt(items[i]);
  if (v === null) fail('stream node listpack: not an integer');
  return v;
}

function smallInt(items: string[], i: number, max: number): number {
  const v = int(items, i);
  if (v < 0n || v > BigInt(max)) fail('stream node listpack: count out of range');
  return Number(v);
}

/** One node (streamValidateListpackIntegrity with deep checks, plus the ids our blocks need). */
function readNode(base: StreamId, lp: Buffer): DecodedStreamNode {
  const items = decodeListpack(lp);
  const buf = (i: number): Buffer => {
    if (i >= items.length) fail('stream node listpack too short');
    return Buffer.from(items[i], 'latin1');
  };
  const total = items.length;
  const live = smallInt(items, 0, total);
  const deletedCount = smallInt(items, 1, total);
  const nf = smallInt(items, 2, total);
  const fields: Buffer[] = [];
  for (let i = 0; i < nf; i++) fields.push(buf(3 + i));
  let p = 3 + nf;
  if (int(items, p++) !== 0n) fail('stream master entry not terminated');
  const entries: DecodedStreamEntry[] = [];
  for (let n = live + deletedCount; n > 0; n--) {
    const flags = int(items, p++);
    const msDiff = int(items, p++);
    const seqDiff = int(items, p++);
    const same = (flags & BigInt(FLAG_SAMEFIELDS)) !== 0n;
    const pairs: Buffer[] = [];
    let counted: number;
    if (same) {
      for (let i = 0; i < nf; i++) pairs.push(fields[i], buf(p++));
      counted = nf + 3;
    } else {
      const k = smallInt(items, p++, total);
      for (let i = 0; i < 2 * k; i++) pairs.push(buf(p++));
      counted = 2 * k + 4;
    }
    if (int(items, p++) !== BigInt(counted)) fail('stream entry lp-count mismatch');
    if (msDiff < 0n) fail('stream entry before its node');
    const id = { ms: base.ms + msDiff, seq: BigInt.asUintN(64, base.seq + seqDiff) };
    if (id.ms > 0xffffffffffffffffn || compareIds(id, base) < 0) fail('stream entry before its node');
    entries.push({ id, pairs, deleted: (flags & BigInt(FLAG_DELETED)) !== 0n });
  }
  if (p !== items.length) fail('stream node listpack: trailing elements');
  if (entries.length === 0) fail('empty stream node');
  return { base, fields, entries };
}

function readStream(r: RdbReader, type: number): DecodedStream {
  const v2 = type !== RDB_TYPE.STREAM_LISTPACKS;
  const nodeCount = r.len();
  const nodes: DecodedStreamNode[] = [];
  let liveTotal = 0;
  let lastBase: StreamId | null = null;
  let lastLive: StreamId | null = null;
  for (let i = 0; i < nodeCount; i++) {
    const key = r.string();
    if (key.length !== 16) fail('stream node key is not an id');
    const base = { ms: key.readBigUInt64BE(0), seq: key.readBigUInt64BE(8) };
    if (lastBase !== null && compareIds(base, lastBase) <= 0) fail('stream nodes out of order');
    lastBase = base;
    const node = readNode(base, r.string());
    for (const e of node.entries) {
      if (!e.deleted) {
        liveTotal++;
        lastLive = e.id;
      }
    }
    nodes.push(node);
  }
  const length = r.len();
  if (length !== liveTotal) fail('stream length does not match its entries');
  const lastId = readId(r);
  if (lastLive !== null && compareIds(lastLive, lastId) > 0) fail('stream last id below an entry');
  let maxDeletedId = MIN_ID;
  let entriesAdded = BigInt(length);
  if (v2) {
    readId(r); // first id: this server derives it from the entries
    maxDeletedId = readId(r);
    entriesAdded = readU64(r);
  }
  const groupCount = r.len();
  const groups: DecodedStreamGroup[] = [];
  const groupNames = new Set<string>();
  for (let i = 0; i < groupCount; i++) {
    const name = r.string().toString('latin1');
    if (groupNames.has(name)) fail('duplicate consumer group');
    groupNames.add(name);
    const lastGroupId = readId(r);
    const entriesRead = v2 ? BigInt.asIntN(64, readU64(r)) : null;
    const pelCount = r.len();
    const pel: DecodedStreamGroup['pel'] = [];
    const pelIds = new Map<string, boolean>();
    for (let j = 0; j < pelCount; j++) {
      const id = readRawId(r);
      const deliveryTime = readMsTime(r);
      const deliveryCount = r.len();
      const k = `${id.ms}-${id.seq}`;
      if (pelIds.has(k)) fail('duplicate PEL entry');
      pelIds.set(k, false);
      pel.push({ id, deliveryTime, deliveryCount });
    }
    const consumerCount = r.len();
    const consumers: DecodedStreamGroup['consumers'] = [];
    const consumerNames = new Set<string>();
    for (let j = 0; j < consumerCount; j++) {
      const cname = r.string().toString('latin1');
      if (consumerNames.has(cname)) fail('duplicate consumer');
      consumerNames.add(cname);
      const seenTime = readMsTime(r);
      // Before 7.2 there is no active time: Redis 7.2 takes the seen time for it.
      const activeTime = type === RDB_TYPE.STREAM_LISTPACKS_3 ? readMsTime(r) : seenTime;
      const n = r.len();
      const ids: StreamId[] = [];
      for (let x = 0; x < n; x++) {
        const id = readRawId(r);
        const k = `${id.ms}-${id.seq}`;
        const owned = pelIds.get(k);
        if (owned === undefined) fail('consumer PEL entry not in the group PEL');
        if (owned) fail('PEL entry owned twice');
        pelIds.set(k, true);
        ids.push(id);
      }
      consumers.push({ name: cname, seenTime, activeTime, pel: ids });
    }
    for (const owned of pelIds.values()) if (!owned) fail('PEL entry without a consumer');
    groups.push({ name, lastId: lastGroupId, entriesRead, pel, consumers });
  }
  return { nodes, length, lastId, maxDeletedId, entriesAdded, groups };
}

for (const t of [RDB_TYPE.STREAM_LISTPACKS, RDB_TYPE.STREAM_LISTPACKS_2, RDB_TYPE.STREAM_LISTPACKS_3]) {
  registerDecoder(t, (r) => ({ type: 'stream', stream: readStream(r, t) }));
}

// ------------------------------------------------------------ building

/** A decoded stream as a StreamValue, built through its ordinary methods (as commands build one). */
export function buildStream(d: DecodedStream): StreamValue {
  const s = new StreamValue();
  for (const n of d.nodes) s.restoreNode(n.base, n.fields, n.entries);
  s.lastId = d.lastId;
  s.maxDeletedId = d.maxDeletedId;
  s.entriesAdded = d.entriesAdded;
  s.metaChanged();
  for (const dg of d.groups) {
    // STREAM_LISTPACKS has no entries read: Redis estimates it from the loaded stream.
    const g = s.createGroup(dg.name, dg.lastId, dg.entriesRead ?? estimateEntriesRead(s, dg.lastId));
    const times = new Map<string, { deliveryTime: number; deliveryCount: number }>();
    for (const p of dg.pel) times.set(`${p.id.ms}-${p.id.seq}`, p);
    for (const dc of dg.consumers) {
      const c: Consumer = s.createConsumer(g, dc.name, dc.seenTime);
      c.activeTime = dc.activeTime;
      for (const id of dc.pel) {
        const t = times.get(`${id.ms}-${id.seq}`)!;
        const p = s.addPending(g, c, id, t.deliveryTime);
        p.deliveryCount = t.deliveryCount;
      }
    }
  }
  return s;
}
