/**
 * What the replicated log carries for the keyspace, and its binary encoding
 * (the `data` of a Raft entry). Every op carries the leader's cluster time
 * `ts`; apply uses it as "now", so every node computes the same state.
 *
 * Layout (little-endian):
 *   u8 kind | f64 ts | u8 db | f64 clientId | f64 seq | f64 ackedBelow | body
 *   kind Command: u32 argc, then argc x (u32 len, bytes)
 *   kind Multi:   u32 count, then count x (u32 argc, argc x (u32 len, bytes)),
 *                 then u32 watches, watches x (u8 db, u32 len, key bytes, f64 version),
 *                 then watches x u8 flags (bit 0: the key was already past its
 *                 deadline when watched; bit 1: the key did not exist, and
 *                 version is the watcher's applied index; absent in entries of
 *                 older builds: 0)
 *   kind Expire:  u32 len, key bytes
 * An empty entry (length 0) is the Raft leader's no-op and is never decoded.
 */
import { entryBytes } from './entry-bytes';

export enum OpKind {
  Command = 1,
  Multi = 2,
  /** Delete `key` if its deadline has passed at `ts` (proposed by the leader's active expiry). */
  Expire = 3,
  /** Free lock `key` if it is still the grant (token, deadline) the leader saw expire. */
  LockExpire = 4,
  /** A new leader extends every lock to at least its TTL from `ts` (locks expire late, never early). */
  LockRefresh = 5,
  /** Delete `key` to stay under maxmemory (victim chosen by the leader's eviction policy). */
  Evict = 6,
}

/** A key a transaction WATCHed, with the version (log index of its last change) seen then. */
export interface WatchedKey {
  db: number;
  key: Buffer;
  version: number;
  /** The key was already past its deadline (a stale key) when watched. */
  expired?: boolean;
  /**
   * The key did not exist when watched; `version` is then the applied index
   * the watcher's node had (so a FLUSH that did not touch it can be told apart).
   */
  absent?: boolean;
}

export interface OpHeader {
  ts: number;
  db: number;
  /** (clientId, seq) identify a request for dedupe across retries; 0 = no dedupe. */
  clientId: number;
  seq: number;
  /** Every seq of clientId below this was answered: its cached reply can go. */
  ackedBelow?: number;
}

export type LogOp =
  | (OpHeader & { kind: OpKind.Command; argv: Buffer[] })
  | (OpHeader & { kind: OpKind.Multi; commands: Buffer[][]; watches: WatchedKey[] })
  | (OpHeader & { kind: OpKind.Expire | OpKind.Evict; key: Buffer })
  | (OpHeader & { kind: OpKind.LockExpire; key: Buffer; token: number; deadline: number })
  | (OpHeader & { kind: OpKind.LockRefresh });

const HEADER = 1 + 8 + 1 + 8 + 8 + 8;

function argvSize(argv: Buffer[]): number {
  let n = 4;
  for (const a of argv) n += 4 + a.length;
  return n;
}

function writeArgv(buf: Buffer, off: number, argv: Buffer[]): number {
  off = buf.writeUInt32LE(argv.length, off);
  for (const a of argv) {
    off = buf.writeUInt32LE(a.length, off);
    off += a.copy(buf, off);
  }
  return off;
}

export function encodeOp(op: LogOp): Buffer {
  let size = HEADER;
  switch (op.kind) {
    case OpKind.Command:
      size += argvSize(op.argv);
      break;
    case OpKind.Multi:
      size += 4;
      for (const c of op.commands) size += argvSize(c);
      size += 4;
      for (const w of op.watches) size += 1 + 4 + w.key.length + 8 + 1;
      break;
    case OpKind.Expire:
    case OpKind.Evict:
      size += 4 + op.key.length;
      break;
    case OpKind.LockExpire:
      size += 4 + op.key.length + 16;
      break;
    case OpKind.LockRefresh:
      break;
  }
  const buf = entryBytes(size);
  let off = buf.writeUInt8(op.kind, 0);
  off = buf.writeDoubleLE(op.ts, off);
  off = buf.writeUInt8(op.db, off);
  off = buf.writeDoubleLE(op.clientId, off);
  off = buf.writeDoubleLE(op.seq, off);
  off = buf.writeDoubleLE(op.ackedBelow ?? 0, off);
  switch (op.kind) {
    case OpKind.Command:
      writeArgv(buf, off, op.argv);
      break;
    case OpKind.Multi:
      off = buf.writeUInt32LE(op.commands.length, off);
      for (const c of op.commands) off = writeArgv(buf, off, c);
      off = buf.writeUInt32LE(op.watches.length, off);
      for (const w of op.watches) {
        off = buf.writeUInt8(w.db, off);
        off = buf.writeUInt32LE(w.key.length, off);
        off += w.key.copy(buf, off);
        off = buf.writeDoubleLE(w.version, off);
      }
      for (const w of op.watches) off = buf.writeUInt8((w.expired ? 1 : 0) | (w.absent ? 2 : 0), off);
      break;
    case OpKind.Expire:
    case OpKind.Evict:
      off = buf.writeUInt32LE(op.key.length, off);
      op.key.copy(buf, off);
      break;
    case OpKind.LockExpire:
      off = buf.writeUInt32LE(op.key.length, off);
      off += op.key.copy(buf, off);
      off = buf.writeDoubleLE(op.token, off);
      buf.writeDoubleLE(op.deadline, off);
      break;
    case OpKind.LockRefresh:
      break;
  }
  return buf;
}

class Reader {
  constructor(private readonly buf: Buffer, public off: number) {}
  u32(): number {
    const v = this.buf.readUInt32LE(this.off);
    this.off += 4;
    return v;
  }
  bytes(n: number): Buffer {
    if (this.off + n > this.buf.length) throw new RangeError('log op truncated');
    const b = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return b;
  }
  argv(): Buffer[] {
    const argc = this.u32();
    const argv = new Array<Buffer>(argc);
    for (let i = 0; i < argc; i++) argv[i] = this.bytes(this.u32());
    return argv;
  }
}

/** Decodes an op. Buffers in the result are views into `data` (no copy). Throws on corrupt input. */
export function decodeOp(data: Uint8Array): LogOp {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < HEADER) throw new RangeError('log op too short');
  const kind = buf.readUInt8(0) as OpKind;
  // Plain literals (no spread): this runs once per applied entry.
  const ts = buf.readDoubleLE(1);
  const db = buf[9];
  const clientId = buf.readDoubleLE(10);
  const seq = buf.readDoubleLE(18);
  const ackedBelow = buf.readDoubleLE(26);
  const r = new Reader(buf, HEADER);
  switch (kind) {
    case OpKind.Command:
      return { kind, ts, db, clientId, seq, ackedBelow, argv: r.argv() };
    case OpKind.Multi: {
      const n = r.u32();
      const commands: Buffer[][] = [];
      for (let i = 0; i < n; i++) commands.push(r.argv());
      const watches: WatchedKey[] = [];
      const nw = r.u32();
      for (let i = 0; i < nw; i++) {
        const wdb = r.bytes(1)[0];
        const key = r.bytes(r.u32());
        const version = buf.readDoubleLE(r.off);
        r.off += 8;
        watches.push({ db: wdb, key, version });
      }
      if (r.off < buf.length) {
        for (const w of watches) {
          const flags = r.bytes(1)[0];
          w.expired = (flags & 1) === 1;
          if (flags & 2) w.absent = true;
        }
      }
      return { kind, ts, db, clientId, seq, ackedBelow, commands, watches };
    }
    case OpKind.Expire:
    case OpKind.Evict:
      return { kind, ts, db, clientId, seq, ackedBelow, key: r.bytes(r.u32()) };
    case OpKind.LockExpire: {
      const key = r.bytes(r.u32());
      const token = buf.readDoubleLE(r.off);
      const deadline = buf.readDoubleLE(r.off + 8);
      return { kind, ts, db, clientId, seq, ackedBelow, key, token, deadline };
    }
    case OpKind.LockRefresh:
      return { kind, ts, db, clientId, seq, ackedBelow };
    default:
      throw new RangeError(`unknown log op kind ${kind}`);
  }
}
