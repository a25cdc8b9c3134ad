/**
 * What followers and the leader say to each other about client requests,
 * carried in the transport's `forward` / `forward-reply` frames.
 *
 *   request: u8 kind=1 | f64 reqId | f64 term | f64 clientId | f64 ackedBelow | u8 proto | u8 db | u32 argc | argc x (u32 len, bytes)
 *   reply:   u8 kind=2 | f64 reqId | f64 index | RESP bytes (encoded for `proto`)
 *
 * (clientId, reqId) name the request across retries: a follower that loses
 * its leader resends in-flight requests to the next one, and the state
 * machine answers a request it already applied from its reply cache.
 * `ackedBelow` lets the state machine drop the replies the follower no
 * longer needs.
 *
 * A follower forwards the original argv (not a rewritten one) so that the
 * leader alone turns relative times into absolute ones with its clock.
 * `term` is the term of the leader the follower addressed: a leader runs the
 * request only in that term, so a request delayed in a queue is never applied
 * after its client was told the outcome is unknown.
 * `index` is the log index whose apply produced the reply (0 when the reply
 * did not come from the log, e.g. an error): the follower answers its client
 * only once it has applied that index itself, so the client reads its writes.
 */

/**
 * argv[0] of a follower's acknowledgement of blocking pops: [POP_ACK, seq...]
 * (decimal seqs of its session). A blocking request's reply is not covered by
 * `ackedBelow` (it may wait for minutes); the state machine keeps a pop's
 * reply until this arrives, so a resend after a failover gets the element.
 * Logged as a Command op under the follower's session; see server/fsm.ts.
 */
export const POP_ACK = Buffer.from('\u0000raftcache.popack', 'latin1');

export interface ForwardRequest {
  reqId: number;
  term: number;
  clientId: number;
  ackedBelow: number;
  proto: 2 | 3;
  db: number;
  argv: Buffer[];
}

export interface ForwardReply {
  reqId: number;
  index: number;
  resp: Buffer;
}

const REQUEST = 1;
const REPLY = 2;

export function encodeForwardRequest(r: ForwardRequest): Buffer {
  let size = 1 + 8 + 8 + 8 + 8 + 1 + 1 + 4;
  for (const a of r.argv) size += 4 + a.length;
  const b = Buffer.allocUnsafe(size);
  let o = b.writeUInt8(REQUEST, 0);
  o = b.writeDoubleLE(r.reqId, o);
  o = b.writeDoubleLE(r.term, o);
  o = b.writeDoubleLE(r.clientId, o);
  o = b.writeDoubleLE(r.ackedBelow, o);
  o = b.writeUInt8(r.proto, o);
  o = b.writeUInt8(r.db, o);
  o = b.writeUInt32LE(r.argv.length, o);
  for (const a of r.argv) {
    o = b.writeUInt32LE(a.length, o);
    o += a.copy(b, o);
  }
  return b;
}

export function encodeForwardReply(r: ForwardReply): Buffer {
  const b = Buffer.allocUnsafe(1 + 8 + 8 + r.resp.length);
  let o = b.writeUInt8(REPLY, 0);
  o = b.writeDoubleLE(r.reqId, o);
  o = b.writeDoubleLE(r.index, o);
  r.resp.copy(b, o);
  return b;
}

/** A PUBLISH relayed to every peer: u8 kind=3 | u32 channel length | channel | message. */
export interface ForwardPublish {
  channel: Buffer;
  message: Buffer;
}

const PUBLISH = 3;

export function encodeForwardPublish(p: ForwardPublish): Buffer {
  const b = Buffer.allocUnsafe(1 + 4 + p.channel.length + p.message.length);
  b.writeUInt8(PUBLISH, 0);
  b.writeUInt32LE(p.channel.length, 1);
  p.channel.copy(b, 5);
  p.message.copy(b, 5 + p.channel.length);
  return b;
}

/**
 * Cluster-wide pub/sub introspection (server/pubsub-peers.ts), two kinds
 * older builds do not know: they log the frame as malformed and drop it, so
 * the asker's timeout counts them as 0 and nothing else changes.
 *   query:  u8 kind=4 | f64 reqId | u32 argc | argc x (u32 len, bytes)
 *   answer: u8 kind=5 | f64 reqId | u32 count | count x (u32 len, bytes)
 */
export interface PeerQuery {
  reqId: number;
  args: Buffer[];
}

const PUBSUB_QUERY = 4;
const PUBSUB_ANSWER = 5;

function encodeList(kind: number, reqId: number, items: Buffer[]): Buffer {
  let size = 1 + 8 + 4;
  for (const a of items) size += 4 + a.length;
  const b = Buffer.allocUnsafe(size);
  let o = b.writeUInt8(kind, 0);
  o = b.writeDoubleLE(reqId, o);
  o = b.writeUInt32LE(items.length, o);
  for (const a of items) {
    o = b.writeUInt32LE(a.length, o);
    o += a.copy(b, o);
  }
  return b;
}

function decodeList(b: Buffer, at: number): Buffer[] {
  const n = b.readUInt32LE(at);
  let o = at + 4;
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const len = b.readUInt32LE(o);
    o += 4;
    if (o + len > b.length) throw new RangeError('list truncated');
    out.push(Buffer.from(b.subarray(o, o + len)));
    o += len;
  }
  return out;
}

/** Who handles pub/sub frames from peers (server/pubsub-peers.ts). */
export interface PeerPubSubHandler {
  onPublish(from: number, channel: Buffer, message: Buffer): void;
  onQuery(from: number, q: PeerQuery): void;
  onAnswer(from: number, q: PeerQuery): void;
}

export function encodePeerQuery(q: PeerQuery): Buffer {
  return encodeList(PUBSUB_QUERY, q.reqId, q.args);
}

export function encodePeerAnswer(q: PeerQuery): Buffer {
  return encodeList(PUBSUB_ANSWER, q.reqId, q.args);
}

export type ForwardMessage =
  | ({ kind: 'request' } & ForwardRequest)
  | ({ kind: 'reply' } & ForwardReply)
  | ({ kind: 'publish' } & ForwardPublish)
  | ({ kind: 'pubsub-query' } & PeerQuery)
  | ({ kind: 'pubsub-answer' } & PeerQuery);

/** Decodes either message; throws RangeError on malformed input. Buffers are copies. */
export function decodeForward(payload: Uint8Array): ForwardMessage {
  const b = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const kind = b.readUInt8(0);
  if (kind === PUBLISH) {
    const n = b.readUInt32LE(1);
    if (5 + n > b.length) throw new RangeError('publish truncated');
    return { kind: 'publish', channel: Buffer.from(b.subarray(5, 5 + n)), message: Buffer.from(b.subarray(5 + n)) };
  }
  const reqId = b.readDoubleLE(1);
  if (kind === PUBSUB_QUERY) return { kind: 'pubsub-query', reqId, args: decodeList(b, 9) };
  if (kind === PUBSUB_ANSWER) return { kind: 'pubsub-answer', reqId, args: decodeList(b, 9) };
  if (kind === REPLY) return { kind: 'reply', reqId, index: b.readDoubleLE(9), resp: Buffer.from(b.subarray(17)) };
  if (kind !== REQUEST) throw new RangeError(`unknown forward message kind ${kind}`);
  const term = b.readDoubleLE(9);
  const clientId = b.readDoubleLE(17);
  const ackedBelow = b.readDoubleLE(25);
  const proto = b.readUInt8(33);
  if (proto !== 2 && proto !== 3) throw new RangeError(`bad protocol version ${proto}`);
  const db = b.readUInt8(34);
  const argc = b.readUInt32LE(35);
  let o = 39;
  const argv: Buffer[] = [];
  for (let i = 0; i < argc; i++) {
    const len = b.readUInt32LE(o);
    o += 4;
    if (o + len > b.length) throw new RangeError('forward request truncated');
    argv.push(Buffer.from(b.subarray(o, o + len)));
    o += len;
  }
  return { kind: 'request', reqId, term, clientId, ackedBelow, proto, db, argv };
}
