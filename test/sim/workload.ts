import type { NodeId } from '../../server/raft/types';

/**
 * Client operations and their virtual-time history. Writes carry unique
 * values; a write is acknowledged when the node it was proposed to applies
 * the entry at the index and term the core assigned it. Reads are ReadIndex
 * or lease reads; each remembers the highest acknowledged write index at the
 * moment it was invoked, and must be served from a state at least that new.
 */

export type ReadMode = 'read-index' | 'lease';

export interface WriteOp {
  kind: 'write';
  client: number;
  value: number;
  node: NodeId;
  incarnation: number;
  index: number;
  term: number;
  invokedAt: number;
}

export interface ReadOp {
  kind: 'read';
  client: number;
  id: number;
  mode: ReadMode;
  node: NodeId;
  incarnation: number;
  invokedAt: number;
  /** Highest index of any write acknowledged before this read was invoked. */
  mustSee: number;
  /** Set once the core answered with a read index. */
  readIndex?: number;
}

export type ClientOp = WriteOp | ReadOp;

export type Outcome = 'ok' | 'refused' | 'timeout' | 'lost';

export interface HistoryRecord {
  client: number;
  op: string; // "write 17" / "read-index #4" / "lease #5"
  node: NodeId;
  invokedAt: number;
  completedAt: number;
  outcome: Outcome;
  /** Write: its log index; read: the applied index it was served at. */
  index: number;
}

export class SimClient {
  op: ClientOp | undefined;
  /** A write not yet acknowledged; after heal the client retries it until it is. */
  unacked: number | undefined;
  constructor(readonly id: number) {}
}

const WRITE_TAG = 0x57; // 'W'
const READ_TAG = 0x52; // 'R'

export function encodeWrite(client: number, value: number): Uint8Array {
  const b = new Uint8Array(6);
  b[0] = WRITE_TAG;
  b[1] = client & 0xff;
  new DataView(b.buffer).setUint32(2, value);
  return b;
}

export function decodeWrite(data: Uint8Array): { client: number; value: number } | undefined {
  if (data.length !== 6 || data[0] !== WRITE_TAG) return undefined;
  return { client: data[1]!, value: new DataView(data.buffer, data.byteOffset, 6).getUint32(2) };
}

export function encodeReadCtx(id: number): Uint8Array {
  const b = new Uint8Array(5);
  b[0] = READ_TAG;
  new DataView(b.buffer).setUint32(1, id);
  return b;
}

export function decodeReadCtx(ctx: Uint8Array): number | undefined {
  if (ctx.length !== 5 || ctx[0] !== READ_TAG) return undefined;
  return new DataView(ctx.buffer, ctx.byteOffset, 5).getUint32(1);
}

export function describeOp(op: ClientOp): string {
  return op.kind === 'write' ? `write ${op.value}` : `${op.mode} #${op.id}`;
}
