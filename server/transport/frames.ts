/**
 * Frames on a peer TCP stream: [u32 length, big-endian][u8 type][payload],
 * where length = 1 + payload bytes. FrameReader reassembles frames from
 * chunks split anywhere and enforces a maximum size before allocating, so a
 * peer cannot make us buffer an unbounded frame.
 */
import type { Message } from '../raft/types';
import { decodeMessage, externalBytes, messageSize, writeMessage } from './codec';
import { CodecError, Reader, uvarintSize, writeUvarint } from './varint';

export const FRAME_HEADER_BYTES = 5;
/** Default limit on a frame's length field (type byte + payload). */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** Wire codes of the frame types; handshake codes (auth.ts) live in 0x40..0x4f. */
export const FrameCode = {
  Raft: 0x01,
  SnapshotChunk: 0x02,
  Forward: 0x03,
  ForwardReply: 0x04,
  Ping: 0x05,
  Pong: 0x06,
  Fragment: 0x07,
} as const;

/**
 * A frame longer than this is sent as Fragment frames of at most this many
 * data bytes, so a message of any size (a 512 MB SET, a snapshot chunk
 * holding one huge record) crosses the link without a frame over the limit,
 * and the receiver's memory is bounded by the message limit below.
 */
export const DEFAULT_FRAGMENT_BYTES = 1024 * 1024;
/**
 * Largest reassembled message (type byte + payload): room for a client
 * request of two proto-max-bulk-len (512 MB) arguments and its framing.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 1100 * 1024 * 1024;

export interface RaftFrame {
  type: 'raft';
  message: Message;
}

/** One piece of a snapshot stream; the driver defines what the bytes hold. */
export interface SnapshotChunkFrame {
  type: 'snapshot-chunk';
  /** Index and term of the snapshot being streamed. */
  index: number;
  term: number;
  /** 0, 1, 2, ... within one snapshot stream. */
  seq: number;
  last: boolean;
  data: Uint8Array;
}

/** Opaque bytes: a client request forwarded follower -> leader, or its result. */
export interface ForwardFrame {
  type: 'forward' | 'forward-reply';
  payload: Uint8Array;
}

/** Liveness/latency probes; `seq` is echoed by the driver in its pong. */
export interface PingFrame {
  type: 'ping' | 'pong';
  seq: number;
}

export type Frame = RaftFrame | SnapshotChunkFrame | ForwardFrame | PingFrame;

/** A stream that breaks the framing rules; the connection must be closed. */
export class FrameError extends Error {
  override readonly name = 'FrameError';
}

function frameWithPayload(code: number, payloadBytes: number): Buffer {
  const buf = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payloadBytes);
  buf.writeUInt32BE(1 + payloadBytes, 0);
  buf[4] = code;
  return buf;
}

/** A frame of any type code around `payload` (copied), in one buffer. */
export function encodeRawFrame(code: number, payload: Uint8Array): Buffer {
  const buf = frameWithPayload(code, payload.byteLength);
  buf.set(payload, FRAME_HEADER_BYTES);
  return buf;
}

/** The complete frame (header included) in one buffer allocation. */
export function encodeFrame(frame: Frame): Buffer {
  switch (frame.type) {
    case 'raft': {
      const buf = frameWithPayload(FrameCode.Raft, messageSize(frame.message));
      writeMessage(frame.message, buf, FRAME_HEADER_BYTES);
      return buf;
    }
    case 'snapshot-chunk': {
      const head =
        uvarintSize(frame.index, 'index') + uvarintSize(frame.term, 'term') + uvarintSize(frame.seq, 'seq') + 1;
      const buf = frameWithPayload(FrameCode.SnapshotChunk, head + frame.data.byteLength);
      let pos = writeUvarint(buf, FRAME_HEADER_BYTES, frame.index);
      pos = writeUvarint(buf, pos, frame.term);
      pos = writeUvarint(buf, pos, frame.seq);
      buf[pos++] = frame.last ? 1 : 0;
      buf.set(frame.data, pos);
      return buf;
    }
    case 'forward':
      return encodeRawFrame(FrameCode.Forward, frame.payload);
    case 'forward-reply':
      return encodeRawFrame(FrameCode.ForwardReply, frame.payload);
    case 'ping':
    case 'pong': {
      const buf = frameWithPayload(frame.type === 'ping' ? FrameCode.Ping : FrameCode.Pong, uvarintSize(frame.seq, 'seq'));
      writeUvarint(buf, FRAME_HEADER_BYTES, frame.seq);
      return buf;
    }
  }
}

/** Byte fields at least this long are sent as views of their own data (encodeFrameParts). */
const VIEW_FROM_BYTES = 64 * 1024;

const view = (data: Uint8Array): Buffer => Buffer.from(data.buffer, data.byteOffset, data.byteLength);

/** A frame's header and the `headBytes` after it, for a frame whose last `tailBytes` follow as a view. */
function frameHead(code: number, headBytes: number, tailBytes: number): Buffer {
  const buf = Buffer.allocUnsafe(FRAME_HEADER_BYTES + headBytes);
  buf.writeUInt32BE(1 + headBytes + tailBytes, 0);
  buf[4] = code;
  return buf;
}

/**
 * The complete frame as a list of buffers to be written back to back:
 * `length` bytes in all (header included). A raft message's large entries,
 * a large snapshot chunk and a large forwarded request are views of their
 * own data, not copies: copying 100 MB into a new frame took ~380 ms of the
 * event loop here (fresh memory), enough to cost the leader its leadership.
 * Nothing that is sent is written to afterwards.
 */
export function encodeFrameParts(frame: Frame): { parts: Buffer[]; length: number } {
  if (frame.type === 'snapshot-chunk' && frame.data.byteLength >= VIEW_FROM_BYTES) {
    const headBytes = uvarintSize(frame.index, 'index') + uvarintSize(frame.term, 'term') + uvarintSize(frame.seq, 'seq') + 1;
    const head = frameHead(FrameCode.SnapshotChunk, headBytes, frame.data.byteLength);
    let pos = writeUvarint(head, FRAME_HEADER_BYTES, frame.index);
    pos = writeUvarint(head, pos, frame.term);
    pos = writeUvarint(head, pos, frame.seq);
    head[pos] = frame.last ? 1 : 0;
    return { parts: [head, view(frame.data)], length: head.length + frame.data.byteLength };
  }
  if ((frame.type === 'forward' || frame.type === 'forward-reply') && frame.payload.byteLength >= VIEW_FROM_BYTES) {
    const head = frameHead(frame.type === 'forward' ? FrameCode.Forward : FrameCode.ForwardReply, 0, frame.payload.byteLength);
    return { parts: [head, view(frame.payload)], length: head.length + frame.payload.byteLength };
  }
  if (frame.type !== 'raft' || externalBytes(frame.message) === 0) {
    const buf = encodeFrame(frame);
    return { parts: [buf], length: buf.length };
  }
  const m = frame.message;
  const size = messageSize(m);
  const head = frameWithPayload(FrameCode.Raft, size - externalBytes(m));
  head.writeUInt32BE(1 + size, 0);
  const parts: Buffer[] = [];
  let from = 0;
  const end = writeMessage(m, head, FRAME_HEADER_BYTES, (pos, data) => {
    parts.push(head.subarray(from, pos), view(data));
    from = pos;
  });
  parts.push(head.subarray(from, end));
  return { parts, length: FRAME_HEADER_BYTES + size };
}

/**
 * The frame for a data type code. Byte fields are views of `payload`
 * except Raft entries/context, which are copied (see decodeMessage).
 * Throws FrameError for an unknown code, CodecError for a bad payload.
 */
export function decodeFrame(code: number, payload: Uint8Array, owned = false): Frame {
  switch (code) {
    case FrameCode.Raft:
      // A payload of its own (reassembled from fragments) need not be copied again.
      return { type: 'raft', message: decodeMessage(payload, { copy: !owned }) };
    case FrameCode.SnapshotChunk: {
      const r = new Reader(payload);
      const index = r.uvarint();
      const term = r.uvarint();
      const seq = r.uvarint();
      const flags = r.u8();
      if (flags > 1) throw new CodecError(`bad snapshot chunk flags ${flags}`);
      return { type: 'snapshot-chunk', index, term, seq, last: flags === 1, data: r.bytes(r.remaining) };
    }
    case FrameCode.Forward:
      return { type: 'forward', payload };
    case FrameCode.ForwardReply:
      return { type: 'forward-reply', payload };
    case FrameCode.Ping:
    case FrameCode.Pong: {
      const r = new Reader(payload);
      const seq = r.uvarint();
      if (r.remaining !== 0) throw new CodecError('trailing bytes after ping/pong');
      return { type: code === FrameCode.Ping ? 'ping' : 'pong', seq };
    }
    default:
      throw new FrameError(`unknown frame type 0x${code.toString(16)}`);
  }
}

/**
 * A frame given as parts (as from encodeFrameParts, `length` bytes in all)
 * cut into Fragment frames when its length field exceeds `fragmentBytes`,
 * else `[parts]` itself. Each fragment is a list of buffers (its header, then
 * views of the parts), so nothing is copied here. Fragment payload: u8 flags
 * (1 = first) | first only: uvarint total | data, where the data of all
 * fragments concatenated is the original frame minus its length field (type
 * code + payload) and `total` is that byte count.
 */
export function fragmentParts(parts: readonly Buffer[], length: number, fragmentBytes = DEFAULT_FRAGMENT_BYTES): Buffer[][] {
  const total = length - 4;
  if (total <= fragmentBytes) return [[...parts]];
  const out: Buffer[][] = [];
  let part = 0;
  let offset = 4; // within parts[part]: skip the length field
  for (let left = total; left > 0; ) {
    const first = left === total;
    const n = Math.min(left, fragmentBytes);
    const headBytes = 1 + (first ? uvarintSize(total, 'total') : 0);
    const head = Buffer.allocUnsafe(FRAME_HEADER_BYTES + headBytes);
    head.writeUInt32BE(1 + headBytes + n, 0);
    head[4] = FrameCode.Fragment;
    head[FRAME_HEADER_BYTES] = first ? 1 : 0;
    if (first) writeUvarint(head, FRAME_HEADER_BYTES + 1, total);
    const frag: Buffer[] = [head];
    for (let need = n; need > 0; ) {
      while (offset >= parts[part].length) {
        part++;
        offset = 0;
      }
      const take = Math.min(need, parts[part].length - offset);
      frag.push(parts[part].subarray(offset, offset + take));
      offset += take;
      need -= take;
    }
    out.push(frag);
    left -= n;
  }
  return out;
}

/** fragmentParts for a frame in one buffer (as from encodeFrame), each fragment joined into one buffer. */
export function fragmentFrame(frame: Buffer, fragmentBytes = DEFAULT_FRAGMENT_BYTES): Buffer[] {
  const frags = fragmentParts([frame], frame.length, fragmentBytes);
  if (frags.length === 1) return [frame];
  return frags.map((f) => Buffer.concat(f));
}

/**
 * Joins Fragment frames back into the frame they carry. One message at a
 * time per connection (a sender writes a message's fragments in order, other
 * frames may come between them); the buffer is allocated once from the
 * announced total, which is checked against `maxMessageBytes` first.
 */
export class FragmentAssembler {
  private buf: Buffer | null = null;
  private filled = 0;

  constructor(public maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES) {}

  get idle(): boolean {
    return this.buf === null;
  }

  /** Takes a Fragment frame's payload; returns the inner frame's code and payload once complete. */
  push(payload: Uint8Array): { code: number; payload: Buffer } | undefined {
    const r = new Reader(payload);
    const flags = r.u8();
    if (flags > 1) throw new CodecError(`bad fragment flags ${flags}`);
    if (flags === 1) {
      if (this.buf !== null) throw new FrameError('a new fragmented message began before the previous one was complete');
      const total = r.uvarint();
      if (total < 2) throw new FrameError(`fragmented message of ${total} bytes`);
      if (total > this.maxMessageBytes) throw new FrameError(`message of ${total} bytes exceeds the limit of ${this.maxMessageBytes}`);
      this.buf = Buffer.allocUnsafe(total);
      this.filled = 0;
    } else if (this.buf === null) {
      throw new FrameError('fragment continuation without a first fragment');
    }
    const buf = this.buf;
    const data = r.bytes(r.remaining);
    if (this.filled + data.byteLength > buf.length) throw new FrameError('fragments overrun the announced message size');
    buf.set(data, this.filled);
    this.filled += data.byteLength;
    if (this.filled < buf.length) return undefined;
    this.buf = null;
    const code = buf[0];
    if (code === FrameCode.Fragment) throw new FrameError('nested fragment');
    return { code, payload: buf.subarray(1) };
  }
}

/**
 * Reassembles frames from stream chunks. `onFrame` gets each frame's type
 * code and payload: a view of the chunk when the frame lies within one
 * chunk, else a buffer of its own. Throws FrameError on a frame over
 * `maxFrameBytes` (checked on the header, before buffering anything).
 */
export class FrameReader {
  /** May be raised after the handshake; checked on every header. */
  maxFrameBytes: number;
  private readonly head = Buffer.alloc(FRAME_HEADER_BYTES);
  private headFilled = 0;
  /** The payload being assembled across chunks, or null between frames. */
  private body: Buffer | null = null;
  private bodyFilled = 0;
  private bodyCode = 0;
  private stopped = false;

  constructor(
    private readonly onFrame: (code: number, payload: Buffer) => void,
    maxFrameBytes = DEFAULT_MAX_FRAME_BYTES,
  ) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Ignore all further input (the connection is being closed). */
  stop(): void {
    this.stopped = true;
    this.body = null;
  }

  /** True when no partial frame is buffered. */
  get idle(): boolean {
    return this.headFilled === 0 && this.body === null;
  }

  push(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length && !this.stopped) {
      if (this.body === null) {
        let length: number;
        let code: number;
        if (this.headFilled === 0 && chunk.length - pos >= FRAME_HEADER_BYTES) {
          length = chunk.readUInt32BE(pos);
          code = chunk[pos + 4];
          pos += FRAME_HEADER_BYTES;
        } else {
          const n = Math.min(FRAME_HEADER_BYTES - this.headFilled, chunk.length - pos);
          chunk.copy(this.head, this.headFilled, pos, pos + n);
          this.headFilled += n;
          pos += n;
          if (this.headFilled < FRAME_HEADER_BYTES) return;
          this.headFilled = 0;
          length = this.head.readUInt32BE(0);
          code = this.head[4];
        }
        if (length === 0) throw new FrameError('frame with length 0');
        if (length > this.maxFrameBytes) {
          throw new FrameError(`frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes}`);
        }
        const payloadBytes = length - 1;
        if (chunk.length - pos >= payloadBytes) {
          const payload = chunk.subarray(pos, pos + payloadBytes);
          pos += payloadBytes;
          this.onFrame(code, payload);
          continue;
        }
        this.body = Buffer.allocUnsafe(payloadBytes);
        this.bodyFilled = 0;
        this.bodyCode = code;
      }
      const body = this.body;
      const n = Math.min(body.length - this.bodyFilled, chunk.length - pos);
      chunk.copy(body, this.bodyFilled, pos, pos + n);
      this.bodyFilled += n;
      pos += n;
      if (this.bodyFilled === body.length) {
        this.body = null;
        this.onFrame(this.bodyCode, body);
      }
    }
  }
}
