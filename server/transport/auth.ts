/**
 * Mutual challenge-response between two peers sharing the cluster secret,
 * as a sans-IO state machine: the transport feeds it handshake frames and
 * writes what it returns. Neither side ever sends the secret; each proves
 * knowledge of it with HMAC-SHA256 over a protocol label, its role, both
 * nonces and both node ids (the role keeps one side's proof from being
 * replayed as the other's, fresh nonces keep old proofs from being replayed).
 *
 *   dialer   -> HELLO     version, dialer id, expected listener id, lane, nonceD
 *   listener -> CHALLENGE listener id, nonceL      (or REFUSE: wrong node id)
 *   dialer   -> PROOF     HMAC(secret, label, "dialer", ...)
 *   listener -> ACCEPT    HMAC(secret, label, "listener", ...) (or REFUSE: secret mismatch)
 *
 * The dialer proves first, so a listener reveals nothing derived from the
 * secret to a peer that does not know it, and always sees (and logs) why a
 * dialer was refused. The lane (which of the dialer's two connections this
 * is, see peer-transport.ts) is part of both proofs.
 *
 * Version 2 added the lane; a version 1 peer is refused with a reason.
 */
import crypto from 'node:crypto';
import { encodeRawFrame } from './frames';
import { CodecError, Reader, uvarintSize, writeUvarint } from './varint';

export const PROTOCOL_VERSION = 2;
const PROTOCOL_LABEL = Buffer.from('raftcache-peer-auth-v1', 'latin1');
const NONCE_BYTES = 32;
/** Frame limit while unauthenticated: handshake frames are tiny. */
export const HANDSHAKE_MAX_FRAME_BYTES = 1024;

export const HandshakeCode = {
  Hello: 0x40,
  Challenge: 0x41,
  Proof: 0x42,
  Accept: 0x43,
  Refuse: 0x44,
} as const;

/**
 * Each node dials each peer twice: Data carries appends, snapshots and
 * forwarded requests (megabytes at a time), Control carries heartbeats and
 * votes, so they never wait behind data queued in the socket buffers.
 */
export const Lane = { Data: 0, Control: 1 } as const;
export type Lane = (typeof Lane)[keyof typeof Lane];

function isLane(v: number): v is Lane {
  return v === Lane.Data || v === Lane.Control;
}

export type HandshakeResult =
  | { status: 'pending'; send: Buffer[] }
  /** Authenticated: peerId is proven to hold the secret; lane is the dialer's (proven too). */
  | { status: 'done'; send: Buffer[]; peerId: number; lane: Lane }
  /** Send `send` (a REFUSE telling the peer why, if any), then close. */
  | { status: 'refused'; send: Buffer[]; reason: string };

function isNodeId(id: number): boolean {
  return Number.isSafeInteger(id) && id > 0;
}

function ids(...values: number[]): Buffer {
  let n = 0;
  for (const v of values) n += uvarintSize(v);
  const buf = Buffer.allocUnsafe(n);
  let pos = 0;
  for (const v of values) pos = writeUvarint(buf, pos, v);
  return buf;
}

/** The proof one role gives for a handshake. */
export function computeProof(
  secret: Buffer,
  role: 'dialer' | 'listener',
  nonceDialer: Uint8Array,
  nonceListener: Uint8Array,
  dialerId: number,
  listenerId: number,
  lane: Lane,
): Buffer {
  return crypto
    .createHmac('sha256', secret)
    .update(PROTOCOL_LABEL)
    .update(role === 'dialer' ? 'D' : 'L')
    .update(nonceDialer)
    .update(nonceListener)
    .update(ids(dialerId, listenerId, lane))
    .digest();
}

function proofMatches(expected: Buffer, received: Uint8Array): boolean {
  return received.byteLength === expected.length && crypto.timingSafeEqual(expected, received);
}

export interface HandshakeOptions {
  /** This node's id. */
  id: number;
  secret: string;
}

/** One side of one connection's handshake. */
export class Handshake {
  /** The id the remote side claims (unverified until status 'done'); for logs. */
  claimedId: number | undefined;
  private readonly secret: Buffer;
  private readonly nonce = crypto.randomBytes(NONCE_BYTES);
  private peerNonce: Uint8Array = Buffer.alloc(0);
  private state: 'start' | 'hello-sent' | 'wait-hello' | 'wait-proof' | 'proof-sent' | 'finished' = 'start';

  private constructor(
    private readonly role: 'dialer' | 'listener',
    private readonly id: number,
    secret: string,
    /** Dialer: the node it means to reach. */
    private readonly expectedPeer: number,
    /** Dialer: the lane it opens; listener: the lane the dialer announced. */
    private lane: Lane,
  ) {
    if (!isNodeId(id)) throw new Error(`bad node id ${id}`);
    if (secret.length === 0) throw new Error('the cluster secret must not be empty');
    this.secret = Buffer.from(secret, 'utf8');
    if (role === 'listener') this.state = 'wait-hello';
  }

  /** The side that opened the connection, trying to reach node `expectedPeer`. */
  static dial(opts: HandshakeOptions, expectedPeer: number, lane: Lane = Lane.Data): Handshake {
    const h = new Handshake('dialer', opts.id, opts.secret, expectedPeer, lane);
    h.claimedId = expectedPeer;
    return h;
  }

  /** The side that accepted the connection. */
  static accept(opts: HandshakeOptions): Handshake {
    return new Handshake('listener', opts.id, opts.secret, 0, Lane.Data);
  }

  /** Frames to send when the connection opens (the dialer's HELLO). */
  start(): Buffer[] {
    if (this.role === 'listener') return [];
    this.state = 'hello-sent';
    const head = ids(PROTOCOL_VERSION, this.id, this.expectedPeer, this.lane);
    return [encodeRawFrame(HandshakeCode.Hello, Buffer.concat([head, this.nonce]))];
  }

  /** Feeds one frame received during the handshake. */
  receive(code: number, payload: Uint8Array): HandshakeResult {
    try {
      return this.step(code, payload);
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      return this.refuse(`malformed handshake frame 0x${code.toString(16)}: ${err.message}`);
    }
  }

  private step(code: number, payload: Uint8Array): HandshakeResult {
    if (code === HandshakeCode.Refuse) {
      this.state = 'finished';
      return { status: 'refused', send: [], reason: `refused by peer: ${Buffer.from(payload).toString('utf8')}` };
    }
    const r = new Reader(payload);
    switch (`${this.state}:${code}`) {
      case `wait-hello:${HandshakeCode.Hello}`: {
        const version = r.uvarint();
        const dialerId = r.uvarint();
        const expected = r.uvarint();
        this.claimedId = dialerId;
        // Checked before the fields that differ between versions are read.
        if (version !== PROTOCOL_VERSION) return this.refuse(`protocol version ${version} not supported (this node speaks ${PROTOCOL_VERSION})`);
        const lane = r.uvarint();
        this.peerNonce = Buffer.from(r.bytes(NONCE_BYTES));
        if (!isLane(lane)) return this.refuse(`unknown lane ${lane}`);
        this.lane = lane;
        if (!isNodeId(dialerId) || dialerId === this.id) return this.refuse(`bad dialer node id ${dialerId}`);
        if (expected !== this.id) return this.refuse(`wrong node id: this is node ${this.id}, the dialer expected node ${expected}`);
        this.state = 'wait-proof';
        return { status: 'pending', send: [encodeRawFrame(HandshakeCode.Challenge, Buffer.concat([ids(this.id), this.nonce]))] };
      }
      case `hello-sent:${HandshakeCode.Challenge}`: {
        const listenerId = r.uvarint();
        this.peerNonce = Buffer.from(r.bytes(NONCE_BYTES));
        this.claimedId = listenerId;
        if (listenerId !== this.expectedPeer) return this.refuse(`wrong node id: expected node ${this.expectedPeer}, the peer is node ${listenerId}`);
        this.state = 'proof-sent';
        const proof = computeProof(this.secret, 'dialer', this.nonce, this.peerNonce, this.id, listenerId, this.lane);
        return { status: 'pending', send: [encodeRawFrame(HandshakeCode.Proof, proof)] };
      }
      case `wait-proof:${HandshakeCode.Proof}`: {
        const dialerId = this.claimedId as number;
        const expected = computeProof(this.secret, 'dialer', this.peerNonce, this.nonce, dialerId, this.id, this.lane);
        if (!proofMatches(expected, payload)) return this.refuse('cluster secret mismatch (the dialer proof is wrong)');
        this.state = 'finished';
        const proof = computeProof(this.secret, 'listener', this.peerNonce, this.nonce, dialerId, this.id, this.lane);
        return { status: 'done', send: [encodeRawFrame(HandshakeCode.Accept, proof)], peerId: dialerId, lane: this.lane };
      }
      case `proof-sent:${HandshakeCode.Accept}`: {
        const expected = computeProof(this.secret, 'listener', this.nonce, this.peerNonce, this.id, this.expectedPeer, this.lane);
        if (!proofMatches(expected, payload)) return this.refuse('cluster secret mismatch (the listener proof is wrong)');
        this.state = 'finished';
        return { status: 'done', send: [], peerId: this.expectedPeer, lane: this.lane };
      }
      default:
        return this.refuse(`unexpected frame 0x${code.toString(16)} during the handshake (${this.role}, ${this.state})`);
    }
  }

  private refuse(reason: string): HandshakeResult {
    this.state = 'finished';
    return { status: 'refused', send: [encodeRawFrame(HandshakeCode.Refuse, Buffer.from(reason, 'utf8'))], reason };
  }
}
