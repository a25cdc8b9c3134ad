/**
 * Peer links between cluster nodes. Each node dials each peer for its own
 * outbound traffic; accepted connections only receive. Like etcd's two
 * streams, there are two outbound connections per peer (lanes, auth.ts):
 * Data for appends, snapshots and forwarded requests, Control for
 * heartbeats, votes and their answers. A heartbeat queued behind a 100 MB
 * entry on one connection waits for the kernel's socket buffers (tens of MB
 * on loopback) to drain first: measured, 800 ms at 40 MB/s, which cost an
 * election per huge write. While the Control connection is down they go on
 * the Data one. Every connection first runs the cluster-secret handshake
 * (auth.ts), optionally over TLS.
 *
 * Outbound frames are encoded at send(), queued per peer (bounded by bytes)
 * and written once per event-loop turn as one batch. When the queue is over
 * its bound, send() returns false and drops the frame: Raft tolerates loss,
 * and the caller reports the peer unreachable to the core.
 *
 * A frame over the fragment size (a huge log entry, a forwarded 512 MB SET,
 * a snapshot chunk holding one huge record) is sent as Fragment frames the
 * receiver joins in a buffer bounded by maxMessageBytes. Large parts are
 * handed to the socket as views (a vectored write), never copied into a
 * batch: copying megabytes into fresh memory is what stalls the event loop.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from '../log';
import { HANDSHAKE_MAX_FRAME_BYTES, Handshake, HandshakeCode, Lane } from './auth';
import { MessageType } from '../raft/types';
import {
  DEFAULT_FRAGMENT_BYTES,
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_MAX_MESSAGE_BYTES,
  FragmentAssembler,
  FrameCode,
  FrameError,
  FrameReader,
  decodeFrame,
  encodeFrameParts,
  fragmentParts,
  type Frame,
} from './frames';
import { CodecError } from './varint';

export interface PeerAddress {
  host: string;
  port: number;
}

export interface TransportOptions {
  /** This node's id (positive). */
  id: number;
  /** Peer port; port 0 picks a free one (see `port`). */
  listen: PeerAddress;
  /** Peers to dial for outbound traffic, by node id. */
  peers: Map<number, PeerAddress>;
  /** Shared cluster secret (non-empty). */
  secret: string;
  log: Logger;
  /** TLS on the peer port; both sides present a certificate signed by `ca`. */
  tls?: { key: Buffer; cert: Buffer; ca: Buffer };
  /** Per-peer outbound queue bound in bytes (default 16 MiB). */
  maxQueueBytes?: number;
  /** Largest single frame accepted or sent (default 64 MiB). */
  maxFrameBytes?: number;
  /** Largest message (reassembled from fragments) accepted or sent (default 1100 MiB). */
  maxMessageBytes?: number;
  /** Frames longer than this are sent in fragments of this size (default 1 MiB, at most maxFrameBytes - 16). */
  fragmentBytes?: number;
  /** A connection must authenticate within this time (default 5000 ms). */
  handshakeTimeoutMs?: number;
  /** Reconnect delay: doubles from minMs up to maxMs, with jitter (default 50..2000 ms). */
  backoff?: { minMs: number; maxMs: number };
}

export interface PeerStats {
  /** The outbound Data link is authenticated and writable. */
  connected: boolean;
  /** The same for the Control link (heartbeats and votes go on the Data link while it is down). */
  controlConnected: boolean;
  /** Bytes waiting in the queue and in the socket's write buffer. */
  queuedBytes: number;
  sentFrames: number;
  receivedFrames: number;
  /** Times the outbound link was re-established after losing a connection. */
  reconnects: number;
}

export type FrameHandler = (from: number, frame: Frame) => void;
export type PeerStateHandler = (peer: number, connected: boolean) => void;
export type DrainHandler = (peer: number) => void;

const DEFAULT_MAX_QUEUE_BYTES = 16 * 1024 * 1024;
/** Frames are handed to the socket in batches of up to this size. */
const WRITE_BATCH_BYTES = 1024 * 1024;
/** Parts at least this long are written as they are; shorter ones are joined into one buffer per batch. */
const WRITE_AS_IS_BYTES = 64 * 1024;
const KEEPALIVE_MS = 10_000;
/** Heartbeats and votes are queued even over the bound, up to this much more. */
const URGENT_ALLOWANCE_BYTES = 1024 * 1024;

function describe(socket: net.Socket): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
}

/** Liveness messages, sent on the Control lane: overtaking queued data is harmless to Raft (a heartbeat's commit is capped at the peer's match). */
function isUrgent(frame: Frame): boolean {
  if (frame.type === 'ping' || frame.type === 'pong') return true;
  if (frame.type !== 'raft') return false;
  switch (frame.message.type) {
    case MessageType.Heartbeat:
    case MessageType.HeartbeatResp:
    case MessageType.Vote:
    case MessageType.VoteResp:
    case MessageType.PreVote:
    case MessageType.PreVoteResp:
      return true;
    default:
      return false;
  }
}

/** One queued frame: buffers written back to back (views of a message's data for a fragment). */
type QueuedFrame = Buffer[];

function frameBytes(f: QueuedFrame): number {
  let n = 0;
  for (const b of f) n += b.length;
  return n;
}

/** A fragment that continues a message (not its first): meaningless on a new connection. */
function isContinuation(f: QueuedFrame): boolean {
  return f[0][4] === FrameCode.Fragment && f[0][5] === 0;
}

/** Handshake and protocol failures end a connection with one of these. */
class ConnectionRefused extends Error {}

/** Carries an exception thrown by a frame handler past the protocol-error handling. */
class HandlerFailure {
  constructor(readonly error: unknown) {}
}

/** The two outbound connections to one peer (see the file comment). */
interface PeerLinks {
  data: OutboundLink;
  control: OutboundLink;
}

/** The contract between PeerTransport and its links. */
interface LinkHost {
  readonly id: number;
  readonly secret: string;
  readonly log: Logger;
  readonly tls?: { key: Buffer; cert: Buffer; ca: Buffer };
  readonly maxQueueBytes: number;
  readonly maxFrameBytes: number;
  readonly handshakeTimeoutMs: number;
  readonly backoff: { minMs: number; maxMs: number };
  peerState(peer: number, connected: boolean): void;
  drained(peer: number): void;
}

/**
 * Writes one batch of frames, under cork so the socket makes one vectored
 * write: short parts joined, long ones (fragments of a huge message) as
 * they are. The caller then checks writableNeedDrain.
 */
function writeBatch(socket: net.Socket, frames: readonly QueuedFrame[], start: number, end: number): void {
  socket.cork();
  let small: Buffer[] = [];
  let smallBytes = 0;
  const writeSmall = (): void => {
    if (small.length === 0) return;
    socket.write(small.length === 1 ? small[0] : Buffer.concat(small, smallBytes));
    small = [];
    smallBytes = 0;
  };
  for (let i = start; i < end; i++) {
    for (const b of frames[i]) {
      if (b.length >= WRITE_AS_IS_BYTES) {
        writeSmall();
        socket.write(b);
      } else {
        small.push(b);
        smallBytes += b.length;
      }
    }
  }
  writeSmall();
  socket.uncork();
}

/** The outbound side towards one peer on one lane: dial, authenticate, write the queue, redial. */
class OutboundLink {
  sentFrames = 0;
  reconnects = 0;
  private queue: QueuedFrame[] = [];
  private head = 0;
  private queued = 0;
  /** Frames of the one queued message larger than the bound (see enqueue), and their bytes still queued. */
  private oversizedFrames = new Set<QueuedFrame>();
  private oversized = 0;
  private socket: net.Socket | null = null;
  private connected = false;
  private everConnected = false;
  private closed = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | null = null;
  private flushScheduled = false;
  private waitingDrain = false;
  /** A send was refused: tell the host once the queue has drained. */
  private refusedSend = false;
  private lastRefusal = '';

  constructor(
    private readonly host: LinkHost,
    readonly peer: number,
    readonly addr: PeerAddress,
    readonly lane: Lane,
  ) {}

  get isConnected(): boolean {
    return this.connected;
  }

  get queuedBytes(): number {
    return this.queued + (this.connected && this.socket !== null ? this.socket.writableLength : 0);
  }

  /** Queues one message's frames (all or none). Urgent ones (liveness) may exceed the bound a little. */
  enqueue(frames: readonly QueuedFrame[], urgent: boolean): boolean {
    if (this.closed) return false;
    let bytes = 0;
    for (const f of frames) bytes += frameBytes(f);
    const max = this.host.maxQueueBytes;
    // A message larger than the whole bound is taken when the queue is under the bound and holds
    // no other such message; it does not count against the bound for the messages behind it.
    // (Counting it refused every small App for the seconds a 100 MB entry takes to send, which
    // sent the follower to probing and the leader into resending the entry again and again.)
    // So the queue holds at most max + one message, plus a small allowance for liveness messages.
    const others = this.queued - this.oversized;
    const refuse = urgent
      ? others > max + URGENT_ALLOWANCE_BYTES
      : bytes > max
        ? this.oversized > 0 || this.queued >= max
        : others > 0 && others + bytes > max;
    if (refuse) {
      this.refusedSend = true;
      return false;
    }
    for (const f of frames) this.queue.push(f);
    if (bytes > max && !urgent) {
      for (const f of frames) this.oversizedFrames.add(f);
      this.oversized = bytes;
    }
    this.queued += bytes;
    if (this.connected && !this.flushScheduled && !this.waitingDrain) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
    return true;
  }

  dial(): void {
    if (this.closed || this.socket !== null) return;
    const { host, port } = this.addr;
    const t = this.host.tls;
    const socket = t ? tls.connect({ host, port, key: t.key, cert: t.cert, ca: t.ca }) : net.connect({ host, port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEPALIVE_MS);
    const handshake = Handshake.dial(this.host, this.peer, this.lane);
    let authenticated = false;
    let ending = false;
    const where = `${host}:${port}`;
    const fail = (err: Error): void => {
      if (ending) return;
      ending = true;
      reader.stop();
      if (err instanceof ConnectionRefused) {
        // A misconfigured peer is retried every backoff period: log each new reason once.
        if (err.message !== this.lastRefusal) {
          this.host.log.warn({ peerAddress: where, claimedId: handshake.claimedId, reason: err.message }, 'peer refused');
        }
        this.lastRefusal = err.message;
        socket.end();
        setTimeout(() => socket.destroy(), 1000).unref(); // do not wait for the peer to close its side
      } else {
        this.host.log.debug({ peerAddress: where, peer: this.peer, err: err.message }, 'peer connection failed');
        socket.destroy();
      }
    };
    const handshakeTimer = setTimeout(() => {
      const ms = this.host.handshakeTimeoutMs;
      // Still connecting: the peer is down or unreachable, not refusing us.
      fail(socket.connecting ? new Error(`connect timeout after ${ms} ms`) : new ConnectionRefused(`handshake not completed within ${ms} ms`));
      socket.destroy();
    }, this.host.handshakeTimeoutMs);
    const reader = new FrameReader((code, payload) => {
      if (authenticated) {
        // The listener sends nothing once authenticated, except a late REFUSE.
        const why = code === HandshakeCode.Refuse ? `refused by peer: ${payload.toString('utf8')}` : `unexpected frame 0x${code.toString(16)} from the listener`;
        throw new ConnectionRefused(why);
      }
      const result = handshake.receive(code, payload);
      for (const frame of result.send) socket.write(frame);
      if (result.status === 'refused') throw new ConnectionRefused(result.reason);
      if (result.status === 'done') {
        authenticated = true;
        clearTimeout(handshakeTimer);
        this.onConnected();
      }
    }, HANDSHAKE_MAX_FRAME_BYTES);
    for (const frame of handshake.start()) socket.write(frame);
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (err) {
        if (err instanceof ConnectionRefused || err instanceof FrameError || err instanceof CodecError) {
          fail(err instanceof ConnectionRefused ? err : new ConnectionRefused(`protocol error: ${err.message}`));
        } else throw err;
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // Errors without a syscall come from TLS (e.g. an untrusted certificate): a refusal.
      fail(t && err.syscall === undefined ? new ConnectionRefused(`TLS: ${err.message}`) : err);
    });
    socket.on('close', () => {
      clearTimeout(handshakeTimer);
      this.onClosed(socket);
    });
  }

  private onConnected(): void {
    this.connected = true;
    this.attempt = 0;
    this.lastRefusal = '';
    if (this.everConnected) this.reconnects++;
    this.everConnected = true;
    if (this.lane === Lane.Data) {
      this.host.log.info({ peer: this.peer, peerAddress: `${this.addr.host}:${this.addr.port}` }, 'peer connected');
      this.host.peerState(this.peer, true);
    } else this.host.log.debug({ peer: this.peer, peerAddress: `${this.addr.host}:${this.addr.port}` }, 'peer control lane connected');
    // The rest of a message cut off by the lost connection cannot be joined on this one.
    while (this.head < this.queue.length && isContinuation(this.queue[this.head])) {
      this.dequeued(this.queue[this.head]);
      this.head++;
    }
    this.flush();
  }

  private onClosed(socket: net.Socket): void {
    if (this.socket !== socket) return;
    this.socket = null;
    this.waitingDrain = false;
    const wasConnected = this.connected;
    this.connected = false;
    if (this.closed) return;
    if (wasConnected && this.lane === Lane.Data) {
      this.host.log.info({ peer: this.peer }, 'peer disconnected');
      this.host.peerState(this.peer, false);
    } else if (wasConnected) this.host.log.debug({ peer: this.peer }, 'peer control lane disconnected');
    const { minMs, maxMs } = this.host.backoff;
    const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    // "Equal jitter": half fixed, half random, so peers do not redial in lockstep.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.dial();
    }, delay);
  }

  /** Writes queued frames in batches until the queue is empty or the socket pushes back. */
  private readonly flush = (): void => {
    this.flushScheduled = false;
    const socket = this.socket;
    if (!this.connected || socket === null || this.waitingDrain) return;
    const q = this.queue;
    while (this.head < q.length) {
      const start = this.head;
      let end = start;
      let bytes = 0;
      while (end < q.length) {
        const n = frameBytes(q[end]);
        if (end > start && bytes + n > WRITE_BATCH_BYTES) break;
        bytes += n;
        this.dequeued(q[end], n);
        end++;
      }
      this.head = end;
      this.sentFrames += end - start;
      writeBatch(socket, q, start, end);
      if (socket.writableNeedDrain) {
        this.waitingDrain = true;
        socket.once('drain', () => {
          if (this.socket !== socket) return;
          this.waitingDrain = false;
          this.flush();
        });
        break;
      }
    }
    if (this.head === q.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > q.length) {
      this.queue = q.slice(this.head);
      this.head = 0;
    }
    if (this.queued === 0 && this.refusedSend) {
      this.refusedSend = false;
      this.host.drained(this.peer);
    }
  };

  /** Accounts for a frame leaving the queue (written or dropped). */
  private dequeued(f: QueuedFrame, n = frameBytes(f)): void {
    this.queued -= n;
    if (this.oversized > 0 && this.oversizedFrames.delete(f)) this.oversized -= n;
  }

  close(): void {
    this.closed = true;
    this.connected = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.socket?.destroy();
    this.socket = null;
    this.queue = [];
    this.head = 0;
    this.queued = 0;
    this.oversizedFrames.clear();
    this.oversized = 0;
  }
}

export class PeerTransport implements LinkHost {
  readonly id: number;
  readonly secret: string;
  readonly log: Logger;
  readonly tls?: { key: Buffer; cert: Buffer; ca: Buffer };
  readonly maxQueueBytes: number;
  readonly maxFrameBytes: number;
  readonly maxMessageBytes: number;
  readonly fragmentBytes: number;
  readonly handshakeTimeoutMs: number;
  readonly backoff: { minMs: number; maxMs: number };

  private readonly listenAddr: PeerAddress;
  /** Outbound links by peer id, one per lane. */
  private readonly links = new Map<number, PeerLinks>();
  /** Authenticated inbound connections by lane, then by peer id (the newest wins). */
  private readonly inbound: Record<Lane, Map<number, net.Socket>> = { [Lane.Data]: new Map(), [Lane.Control]: new Map() };
  /** Every accepted TCP socket (under TLS too), destroyed by close(). */
  private readonly sockets = new Set<net.Socket>();
  private readonly received = new Map<number, number>();
  private readonly frameHandlers: FrameHandler[] = [];
  private readonly stateHandlers: PeerStateHandler[] = [];
  private readonly drainHandlers: DrainHandler[] = [];
  private server: net.Server | null = null;
  private boundPort = 0;
  private started = false;
  private closed = false;

  constructor(opts: TransportOptions) {
    if (!Number.isSafeInteger(opts.id) || opts.id <= 0) throw new Error(`bad node id ${opts.id}`);
    if (opts.secret.length === 0) throw new Error('the cluster secret must not be empty');
    this.id = opts.id;
    this.secret = opts.secret;
    this.log = opts.log.child({ component: 'transport' });
    this.tls = opts.tls;
    this.maxQueueBytes = opts.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES;
    this.maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.fragmentBytes = Math.max(1, Math.min(opts.fragmentBytes ?? DEFAULT_FRAGMENT_BYTES, this.maxFrameBytes - 16));
    this.handshakeTimeoutMs = opts.handshakeTimeoutMs ?? 5000;
    this.backoff = opts.backoff ?? { minMs: 50, maxMs: 2000 };
    this.listenAddr = opts.listen;
    for (const [id, addr] of opts.peers) this.addPeer(id, addr);
  }

  /** The bound peer port (after start()). */
  get port(): number {
    return this.boundPort;
  }

  /** Listens on the peer port and starts dialing every peer. */
  async start(): Promise<void> {
    if (this.started) throw new Error('transport already started');
    this.started = true;
    const t = this.tls;
    const server = t
      ? tls.createServer(
          { key: t.key, cert: t.cert, ca: t.ca, requestCert: true, rejectUnauthorized: true, handshakeTimeout: this.handshakeTimeoutMs },
          (s) => this.accept(s),
        )
      : net.createServer((s) => this.accept(s));
    server.on('connection', (s: net.Socket) => {
      if (this.closed) return void s.destroy();
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    server.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => {
      this.log.warn({ peerAddress: describe(socket), reason: `TLS: ${err.message}` }, 'peer refused');
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listenAddr.port, this.listenAddr.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log.error({ err: err.message }, 'peer listener error'));
    this.boundPort = (server.address() as net.AddressInfo).port;
    for (const l of this.links.values()) (l.data.dial(), l.control.dial());
  }

  /**
   * Queues a frame for a peer. False when the peer is unknown or its queue
   * is full (the frame is dropped; report the peer unreachable). Throws
   * FrameError for a message larger than maxMessageBytes, CodecError for a
   * field that cannot be encoded (e.g. a negative term).
   */
  send(to: number, frame: Frame): boolean {
    const links = this.links.get(to);
    if (links === undefined) return false;
    const { parts, length } = encodeFrameParts(frame);
    if (length - 4 > this.maxMessageBytes) {
      throw new FrameError(`message of ${length - 4} bytes exceeds the limit of ${this.maxMessageBytes}`);
    }
    const urgent = isUrgent(frame);
    const link = urgent && links.control.isConnected ? links.control : links.data;
    return link.enqueue(fragmentParts(parts, length, this.fragmentBytes), urgent);
  }

  /** Adds (or re-addresses) a peer to dial. Peers not listed may still connect in. */
  addPeer(id: number, addr: PeerAddress): void {
    if (id === this.id) throw new Error(`node ${id} cannot be its own peer`);
    if (!Number.isSafeInteger(id) || id <= 0) throw new Error(`bad peer id ${id}`);
    const old = this.links.get(id);
    if (old !== undefined) {
      if (old.data.addr.host === addr.host && old.data.addr.port === addr.port) return;
      this.removePeer(id);
    }
    const at = { host: addr.host, port: addr.port };
    const links: PeerLinks = { data: new OutboundLink(this, id, at, Lane.Data), control: new OutboundLink(this, id, at, Lane.Control) };
    this.links.set(id, links);
    if (this.started && !this.closed) (links.data.dial(), links.control.dial());
  }

  /** Stops dialing a peer, drops its queue and closes its inbound connection. */
  removePeer(id: number): void {
    const links = this.links.get(id);
    if (links !== undefined) {
      const wasConnected = links.data.isConnected;
      links.data.close();
      links.control.close();
      this.links.delete(id);
      if (wasConnected) this.peerState(id, false);
    }
    for (const inbound of Object.values(this.inbound)) {
      inbound.get(id)?.destroy();
      inbound.delete(id);
    }
  }

  onFrame(handler: FrameHandler): void {
    this.frameHandlers.push(handler);
  }

  /** Outbound link state changes (authenticated and writable, or lost). */
  onPeerState(handler: PeerStateHandler): void {
    this.stateHandlers.push(handler);
  }

  /** A peer whose queue refused a send has emptied its queue again. */
  onDrain(handler: DrainHandler): void {
    this.drainHandlers.push(handler);
  }

  stats(): Map<number, PeerStats> {
    const out = new Map<number, PeerStats>();
    for (const [id, { data, control }] of this.links) {
      out.set(id, {
        connected: data.isConnected,
        controlConnected: control.isConnected,
        queuedBytes: data.queuedBytes + control.queuedBytes,
        sentFrames: data.sentFrames + control.sentFrames,
        receivedFrames: this.received.get(id) ?? 0,
        reconnects: data.reconnects,
      });
    }
    for (const [id, n] of this.received) {
      if (!out.has(id)) out.set(id, { connected: false, controlConnected: false, queuedBytes: 0, sentFrames: 0, receivedFrames: n, reconnects: 0 });
    }
    return out;
  }

  /** Closes the listener and every connection; no handler is called afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.links.values()) (l.data.close(), l.control.close());
    for (const inbound of Object.values(this.inbound)) {
      for (const s of inbound.values()) s.destroy();
      inbound.clear();
    }
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const server = this.server;
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  peerState(peer: number, connected: boolean): void {
    if (this.closed) return;
    for (const h of this.stateHandlers) h(peer, connected);
  }

  drained(peer: number): void {
    if (this.closed) return;
    for (const h of this.drainHandlers) h(peer);
  }

  /** An accepted connection: authenticate the dialer, then deliver its frames. */
  private accept(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEPALIVE_MS);
    const where = describe(socket);
    const handshake = Handshake.accept(this);
    let peer = 0;
    let lane: Lane = Lane.Data;
    let ending = false;
    const fail = (reason: string, message: string): void => {
      if (ending) return;
      ending = true;
      reader.stop();
      this.log.warn({ peerAddress: where, claimedId: handshake.claimedId, reason }, message);
      socket.end();
      // Do not wait for a misbehaving peer to close its side.
      setTimeout(() => socket.destroy(), 1000).unref();
    };
    const handshakeTimer = setTimeout(
      () => fail(`handshake not completed within ${this.handshakeTimeoutMs} ms`, 'peer refused'),
      this.handshakeTimeoutMs,
    );
    const assembler = new FragmentAssembler(this.maxMessageBytes);
    const reader = new FrameReader((frameCode, framePayload) => {
      let code = frameCode;
      let payload = framePayload;
      if (peer !== 0 && code === FrameCode.Fragment) {
        const whole = assembler.push(payload);
        if (whole === undefined) return;
        ({ code, payload } = whole);
      }
      if (peer === 0) {
        const result = handshake.receive(code, payload);
        for (const frame of result.send) socket.write(frame);
        if (result.status === 'refused') throw new ConnectionRefused(result.reason);
        if (result.status === 'done') {
          clearTimeout(handshakeTimer);
          peer = result.peerId;
          lane = result.lane;
          reader.maxFrameBytes = this.maxFrameBytes;
          const inbound = this.inbound[lane];
          const previous = inbound.get(peer);
          inbound.set(peer, socket);
          if (previous && !previous.destroyed) {
            // Usually the peer redialed and its old connection is dead or dying; but it may be
            // someone else holding the secret, so say where both came from.
            this.log.warn({ peer, lane, peerAddress: where, previousAddress: describe(previous) }, 'peer connection replaced by a new one from the same node id');
            previous.destroy();
          }
          this.log.debug({ peer, lane, peerAddress: where }, 'peer accepted');
        }
        return;
      }
      if (socket.destroyed) return; // a handler closed the transport or removed the peer mid-chunk
      if (code === HandshakeCode.Refuse) throw new ConnectionRefused(`refused by peer: ${payload.toString('utf8')}`);
      const frame = decodeFrame(code, payload, payload !== framePayload);
      if (frame.type === 'raft' && (frame.message.from !== peer || frame.message.to !== this.id)) {
        throw new CodecError(`raft message from ${frame.message.from} to ${frame.message.to} on the link from node ${peer} to node ${this.id}`);
      }
      this.received.set(peer, (this.received.get(peer) ?? 0) + 1);
      try {
        for (const h of this.frameHandlers) h(peer, frame);
      } catch (err) {
        throw new HandlerFailure(err);
      }
    }, HANDSHAKE_MAX_FRAME_BYTES);
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (err) {
        if (err instanceof HandlerFailure) throw err.error; // a bug in the driver, not the peer's fault
        if (err instanceof ConnectionRefused) fail(err.message, 'peer refused');
        else if (err instanceof FrameError || err instanceof CodecError) fail(err.message, 'peer protocol error');
        else throw err;
      }
    });
    socket.on('error', (err) => this.log.debug({ peerAddress: where, err: err.message }, 'peer connection error'));
    socket.on('close', () => {
      clearTimeout(handshakeTimer);
      if (peer !== 0 && this.inbound[lane].get(peer) === socket) this.inbound[lane].delete(peer);
    });
  }
}
