/**
 * Binary encoding of a Raft Message for the peer wire (no JSON): the size is
 * computed first, then the message is written into one buffer.
 *
 * Layout (varint = unsigned LEB128, see varint.ts):
 *   u8 type, u8 flags (bit 0 reject, bit 1 optional fields follow),
 *   varint from, to, term, logTerm, index, commit, rejectHint,
 *   varint entry count, entries, [optional fields]
 * Entry:
 *   u8 type (bit 7: optional fields follow), varint term, varint index,
 *   varint data length, data, [optional fields]
 * Optional fields: repeated (varint tag >= 1, varint length, bytes), ended
 * by tag 0. A decoder skips tags it does not know and ignores bytes
 * appended after a known field's content, so a new optional field (or a
 * new trailing part of one) is one row in MESSAGE_FIELDS / ENTRY_FIELDS and
 * older peers keep working. Tags are never reused.
 */
import { EntryType, MessageType, type ConfState, type Entry, type Message, type NodeId, type SnapshotMeta } from '../raft/types';
import { CodecError, Reader, uvarintSize, writeUvarint } from './varint';

export { CodecError };

/** One optional field of T: absent fields cost nothing on the wire. */
export interface OptionalField<T> {
  /** Wire tag, unique within its table, >= 1, never reused. */
  readonly tag: number;
  present(obj: T): boolean;
  /** Content size in bytes (without tag and length). */
  size(obj: T): number;
  /** Writes the content at pos; returns the position after it. */
  write(obj: T, buf: Uint8Array, pos: number): number;
  /** Reads the content from r (bounded to this field) into obj. */
  read(obj: T, r: Reader): void;
}

const FLAG_REJECT = 0x01;
const FLAG_FIELDS = 0x02;
const ENTRY_FLAG_FIELDS = 0x80;

// ---- optional fields -------------------------------------------------------

function bytesField<T>(tag: number, get: (o: T) => Uint8Array | undefined, set: (o: T, v: Uint8Array) => void): OptionalField<T> {
  return {
    tag,
    present: (o) => get(o) !== undefined,
    size: (o) => (get(o) as Uint8Array).byteLength,
    write(o, buf, pos) {
      const v = get(o) as Uint8Array;
      buf.set(v, pos);
      return pos + v.byteLength;
    },
    read: (o, r) => set(o, r.bytes(r.remaining)),
  };
}

function idsSize(ids: NodeId[], field: string): number {
  let n = uvarintSize(ids.length);
  for (const id of ids) n += uvarintSize(id, field);
  return n;
}

function writeIds(ids: NodeId[], buf: Uint8Array, pos: number): number {
  pos = writeUvarint(buf, pos, ids.length);
  for (const id of ids) pos = writeUvarint(buf, pos, id);
  return pos;
}

function readIds(r: Reader): NodeId[] {
  const n = r.uvarint();
  if (n > r.remaining) throw new CodecError('id list longer than its payload');
  const ids: NodeId[] = new Array<NodeId>(n);
  for (let i = 0; i < n; i++) ids[i] = r.uvarint();
  return ids;
}

function confStateSize(c: ConfState): number {
  return (
    idsSize(c.voters, 'conf.voters') +
    idsSize(c.learners, 'conf.learners') +
    idsSize(c.votersOutgoing, 'conf.votersOutgoing') +
    idsSize(c.learnersNext, 'conf.learnersNext') +
    1
  );
}

function writeConfState(c: ConfState, buf: Uint8Array, pos: number): number {
  pos = writeIds(c.voters, buf, pos);
  pos = writeIds(c.learners, buf, pos);
  pos = writeIds(c.votersOutgoing, buf, pos);
  pos = writeIds(c.learnersNext, buf, pos);
  buf[pos++] = c.autoLeave ? 1 : 0;
  return pos;
}

function readConfState(r: Reader): ConfState {
  const voters = readIds(r);
  const learners = readIds(r);
  const votersOutgoing = readIds(r);
  const learnersNext = readIds(r);
  const autoLeave = r.u8() !== 0;
  return { voters, learners, votersOutgoing, learnersNext, autoLeave };
}

const snapshotField: OptionalField<Message> = {
  tag: 2,
  present: (m) => m.snapshot !== undefined,
  size(m) {
    const s = m.snapshot as SnapshotMeta;
    return uvarintSize(s.index, 'snapshot.index') + uvarintSize(s.term, 'snapshot.term') + confStateSize(s.conf);
  },
  write(m, buf, pos) {
    const s = m.snapshot as SnapshotMeta;
    pos = writeUvarint(buf, pos, s.index);
    pos = writeUvarint(buf, pos, s.term);
    return writeConfState(s.conf, buf, pos);
  },
  read(m, r) {
    const index = r.uvarint();
    const term = r.uvarint();
    m.snapshot = { index, term, conf: readConfState(r) };
  },
};

/** Optional Message fields. Add a row (with a new tag) for a new optional field. */
export const MESSAGE_FIELDS: readonly OptionalField<Message>[] = [
  bytesField<Message>(1, (m) => m.context, (m, v) => (m.context = v)),
  snapshotField,
];

/** Optional Entry fields (none yet); same rules as MESSAGE_FIELDS. */
export const ENTRY_FIELDS: readonly OptionalField<Entry>[] = [];

function fieldsSize<T>(fields: readonly OptionalField<T>[], obj: T): number {
  let n = 0;
  for (const f of fields) {
    if (!f.present(obj)) continue;
    const len = f.size(obj);
    n += uvarintSize(f.tag) + uvarintSize(len) + len;
  }
  return n === 0 ? 0 : n + 1; // + the terminating tag 0
}

function writeFields<T>(fields: readonly OptionalField<T>[], obj: T, buf: Uint8Array, pos: number): number {
  for (const f of fields) {
    if (!f.present(obj)) continue;
    const len = f.size(obj);
    pos = writeUvarint(buf, pos, f.tag);
    pos = writeUvarint(buf, pos, len);
    const end = f.write(obj, buf, pos);
    if (end !== pos + len) throw new CodecError(`optional field ${f.tag}: wrote ${end - pos} bytes, sized ${len}`);
    pos = end;
  }
  buf[pos++] = 0;
  return pos;
}

function readFields<T>(fields: readonly OptionalField<T>[], obj: T, r: Reader): void {
  for (;;) {
    const tag = r.uvarint();
    if (tag === 0) return;
    const len = r.uvarint();
    if (len > r.remaining) throw new CodecError(`optional field ${tag} longer than its payload`);
    const end = r.pos + len;
    const field = fields.find((f) => f.tag === tag);
    if (field !== undefined) field.read(obj, new Reader(r.buf, r.pos, end));
    r.pos = end; // unknown tag, or bytes appended to a known field by a newer peer
  }
}

// ---- message ---------------------------------------------------------------

function entrySize(e: Entry): number {
  const len = e.data.byteLength;
  const fields = ENTRY_FIELDS.length === 0 ? 0 : fieldsSize(ENTRY_FIELDS, e);
  return 1 + uvarintSize(e.term, 'entry.term') + uvarintSize(e.index, 'entry.index') + uvarintSize(len) + len + fields;
}

/** Encoded size of m in bytes. Throws CodecError for a field that cannot be encoded. */
export function messageSize(m: Message): number {
  if (!(m.type >= 0 && m.type <= 0xff && Number.isInteger(m.type))) throw new CodecError(`bad message type ${m.type}`);
  let n =
    2 +
    uvarintSize(m.from, 'from') +
    uvarintSize(m.to, 'to') +
    uvarintSize(m.term, 'term') +
    uvarintSize(m.logTerm, 'logTerm') +
    uvarintSize(m.index, 'index') +
    uvarintSize(m.commit, 'commit') +
    uvarintSize(m.rejectHint, 'rejectHint') +
    uvarintSize(m.entries.length);
  for (const e of m.entries) n += entrySize(e);
  return n + fieldsSize(MESSAGE_FIELDS, m);
}

/** Entry data at least this large is not copied by writeMessage when it is given `external`. */
export const EXTERNAL_ENTRY_BYTES = 64 * 1024;

/** Bytes of entry data writeMessage leaves to `external` (see there). */
export function externalBytes(m: Message): number {
  let n = 0;
  for (const e of m.entries) if (e.data.byteLength >= EXTERNAL_ENTRY_BYTES) n += e.data.byteLength;
  return n;
}

/**
 * Writes m at pos (buf must have messageSize(m) bytes free); returns the
 * position after it. With `external`, the data of each entry of at least
 * EXTERNAL_ENTRY_BYTES is not written: external(pos, data) is called where it
 * belongs instead (buf then needs messageSize(m) - externalBytes(m) bytes),
 * so a huge entry is sent from its own memory, never copied per follower.
 */
export function writeMessage(m: Message, buf: Uint8Array, pos: number, external?: (pos: number, data: Uint8Array) => void): number {
  const hasFields = MESSAGE_FIELDS.some((f) => f.present(m));
  buf[pos++] = m.type;
  buf[pos++] = (m.reject ? FLAG_REJECT : 0) | (hasFields ? FLAG_FIELDS : 0);
  pos = writeUvarint(buf, pos, m.from);
  pos = writeUvarint(buf, pos, m.to);
  pos = writeUvarint(buf, pos, m.term);
  pos = writeUvarint(buf, pos, m.logTerm);
  pos = writeUvarint(buf, pos, m.index);
  pos = writeUvarint(buf, pos, m.commit);
  pos = writeUvarint(buf, pos, m.rejectHint);
  pos = writeUvarint(buf, pos, m.entries.length);
  for (const e of m.entries) {
    if (!(e.type >= 0 && e.type < ENTRY_FLAG_FIELDS && Number.isInteger(e.type))) throw new CodecError(`bad entry type ${e.type}`);
    const entryHasFields = ENTRY_FIELDS.length !== 0 && ENTRY_FIELDS.some((f) => f.present(e));
    buf[pos++] = e.type | (entryHasFields ? ENTRY_FLAG_FIELDS : 0);
    pos = writeUvarint(buf, pos, e.term);
    pos = writeUvarint(buf, pos, e.index);
    pos = writeUvarint(buf, pos, e.data.byteLength);
    if (external !== undefined && e.data.byteLength >= EXTERNAL_ENTRY_BYTES) {
      external(pos, e.data);
    } else {
      buf.set(e.data, pos);
      pos += e.data.byteLength;
    }
    if (entryHasFields) pos = writeFields(ENTRY_FIELDS, e, buf, pos);
  }
  if (hasFields) pos = writeFields(MESSAGE_FIELDS, m, buf, pos);
  return pos;
}

/** m encoded into a fresh buffer of exactly messageSize(m) bytes. */
export function encodeMessage(m: Message): Buffer {
  const buf = Buffer.allocUnsafe(messageSize(m));
  const end = writeMessage(m, buf, 0);
  if (end !== buf.length) throw new CodecError(`encoded ${end} bytes, sized ${buf.length}`);
  return buf;
}

export interface DecodeOptions {
  /**
   * Copy the payload first (default true), so entry data and context do not
   * keep the (possibly much larger) network buffer alive while the log holds
   * them. false: they are views of `payload`.
   */
  copy?: boolean;
}

/** Decodes one message occupying all of `payload`; throws CodecError if malformed. */
export function decodeMessage(payload: Uint8Array, opts: DecodeOptions = {}): Message {
  const buf = opts.copy === false ? payload : Buffer.from(payload);
  const r = new Reader(buf);
  const type = r.u8();
  if (MessageType[type] === undefined) throw new CodecError(`unknown message type ${type}`);
  const flags = r.u8();
  const m: Message = {
    type,
    from: r.uvarint(),
    to: r.uvarint(),
    term: r.uvarint(),
    logTerm: r.uvarint(),
    index: r.uvarint(),
    commit: r.uvarint(),
    rejectHint: r.uvarint(),
    reject: (flags & FLAG_REJECT) !== 0,
    entries: [],
  };
  const count = r.uvarint();
  if (count * 4 > r.remaining) throw new CodecError('entry count larger than the payload');
  for (let i = 0; i < count; i++) {
    const typeByte = r.u8();
    const entryType = typeByte & ~ENTRY_FLAG_FIELDS;
    if (EntryType[entryType] === undefined) throw new CodecError(`unknown entry type ${entryType}`);
    const e: Entry = { term: r.uvarint(), index: r.uvarint(), type: entryType, data: r.lengthPrefixed() };
    if ((typeByte & ENTRY_FLAG_FIELDS) !== 0) readFields(ENTRY_FIELDS, e, r);
    m.entries.push(e);
  }
  if ((flags & FLAG_FIELDS) !== 0) readFields(MESSAGE_FIELDS, m, r);
  if (r.remaining !== 0) throw new CodecError(`${r.remaining} trailing bytes after the message`);
  return m;
}
