import type { TrackingOptions } from './tracking';
import type { Socket } from 'node:net';
import { RequestDecoder, type DecoderLimits } from '../protocol/decoder';
import { ReplyWriter, type Protocol } from '../protocol/encoder';
import { ErrorReply, type Reply } from '../protocol/reply';
import type { WatchedKey } from './logop';
import { checkOutputLimit, type OutputLimit } from './output-limits';

/** How long a closing client's final reply may take to reach the kernel before the socket is destroyed anyway. */
const CLOSE_FLUSH_MS = 5000;

/**
 * A reply position in a connection's output. Writes wait for their entry to
 * be applied; reads queued behind a write start only once every write before
 * them has been applied (so a pipeline reads its own writes); replies leave
 * strictly in request order.
 */
interface Slot {
  reply: Reply | undefined;
  /** Produces the reply (a read); undefined for writes and ready replies. */
  start: ((done: (r: Reply) => void) => void) | undefined;
  isWrite: boolean;
  started: boolean;
  /** CLIENT REPLY OFF / SKIP: produced in order, never written. */
  muted?: boolean;
}

/** Stands in for a written slot until the queue is compacted (drops the reply it held). */
const DONE_SLOT: Slot = { reply: null, start: undefined, isWrite: false, started: true };

/** Requests decoded per event-loop turn, about (see feedBacklog): the unit of work in a turn is a request. */
const FEED_TURN_COMMANDS = 48;
/** Received bytes fed to the decoder per turn at most (a big value's bytes are cheap to take, and go a piece at a time). */
const FEED_TURN_BYTES = 64 * 1024;
/** The decoder is fed pieces this large, so a turn stops soon after FEED_TURN_COMMANDS. */
const FEED_PIECE_BYTES = 4 * 1024;
/** The socket stops being read while this many received bytes wait to be fed. */
const FEED_BACKLOG_PAUSE_BYTES = 16 * 1024;

export interface ConnectionHooks {
  onCommand(conn: ClientConnection, argv: Buffer[]): void;
  /** The connection has output to flush at the end of this turn. */
  markDirty(conn: ClientConnection): void;
  /** The client leaves the client table (closed, or closing after its final reply); called once. */
  onClose(conn: ClientConnection): void;
  /** client-query-buffer-limit: most memory an incomplete request may hold. */
  queryBufferLimit(): number;
  /** client-output-buffer-limit of the client's class. */
  outputLimit(conn: ClientConnection): OutputLimit;
  /** The client is being closed for going over a limit (logged as Redis does). */
  onOverLimit(conn: ClientConnection, what: 'query' | 'output', bytes: number): void;
  /** INFO's total_net_input_bytes / total_net_output_bytes: every client's bytes read and written. */
  readonly stats: { netInputBytes: number; netOutputBytes: number };
}

/** One client: its socket, decoder, session state and ordered reply queue. */
export class ClientConnection {
  name = '';
  db = 0;
  proto: Protocol = 2;
  private authed: boolean;
  /** The ACL user this connection runs as (AUTH / HELLO AUTH change it). */
  user = 'default';
  /** CLIENT TRACKING ON's options (server/tracking.ts); undefined = off. */
  tracking: TrackingOptions | undefined;
  /** CLIENT CACHING yes/no: applies to the next command only. */
  cachingNext: 'yes' | 'no' | undefined;
  libName = '';
  libVer = '';
  lastCommand = 'NULL';
  /** Applied index when this client's latest write was answered (WAIT counts replicas that have it). */
  lastWriteIndex = 0;
  /** Commands queued since MULTI (null: not in a transaction). */
  multi: Buffer[][] | null = null;
  /** A command was refused while queuing: EXEC answers EXECABORT. */
  multiFailed = false;
  /** Keys WATCHed, with the version each had when watched. */
  watches: WatchedKey[] = [];
  /** Pub/sub subscriptions (latin1 keys), kept in sync by PubSub. */
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  /** CLIENT REPLY OFF: no reply (nor pub/sub message) is written until CLIENT REPLY ON. */
  replyOff = false;
  /** CLIENT REPLY SKIP: 'next' while SKIP runs, 'this' for the command after it. */
  replySkip: 'none' | 'next' | 'this' = 'none';
  /** The replies of the command being processed are dropped (set by the server around each command). */
  muteCurrent = false;
  /** Read consistency chosen with CLIENT READMODE; undefined = the server default. */
  readMode: 'local' | 'lease' | 'linearizable' | undefined;
  lastActive: number;
  readonly createdAt: number;
  readonly addr: string;
  readonly laddr: string;
  /** Set by QUIT / CLIENT KILL / a protocol error: input is ignored, close once every queued reply is written. */
  closing = false;
  closed = false;
  /** onClose was called: the client no longer counts in the client table. */
  private released = false;
  /** Socket writes not yet handed to the kernel (CLIENT LIST oll). */
  private writesQueued = 0;
  /** When the output went over the soft limit (0: it is not). */
  private softLimitSince = 0;
  /** Slots from `head` on are pending; the part before is dropped in chunks (shift() is O(n) on a deep pipeline). */
  private queue: Slot[] = [];
  private head = 0;
  /**
   * Every slot before `scan` is a started read or an answered write: only a
   * write still unanswered stops the scan. advanceQueue resumes from here
   * instead of rescanning the queue per reply, which made a pipeline of n
   * writes cost O(n^2) (a 4,000-deep ioredis pipeline: 20% of the CPU).
   */
  private scan = 0;
  private readonly writer = new ReplyWriter();
  private readonly decoder: RequestDecoder;
  private dirty = false;

  constructor(
    readonly id: number,
    readonly socket: Socket,
    limits: Partial<DecoderLimits>,
    needsAuth: boolean,
    private readonly hooks: ConnectionHooks,
  ) {
    this.authed = !needsAuth;
    this.createdAt = this.lastActive = Date.now();
    this.addr = `${socket.remoteAddress}:${socket.remotePort}`;
    this.laddr = `${socket.localAddress}:${socket.localPort}`;
    this.decoder = new RequestDecoder(limits);
    // Redis limits request sizes until a client has authenticated.
    this.decoder.authRequired = needsAuth;
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('drain', () => {
      if (!this.closing) socket.resume();
    });
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.destroy());
  }

  get authenticated(): boolean {
    return this.authed;
  }

  set authenticated(v: boolean) {
    this.authed = v;
    this.decoder.authRequired = !v;
  }

  get queryBufferBytes(): number {
    return this.decoder.bufferedBytes;
  }

  /** CLIENT LIST qbuf, qbuf-free, argv-mem: the incomplete request's bytes, spare buffer room, parsed arguments. */
  get queryBufferStats(): { qbuf: number; free: number; argvMem: number } {
    const d = this.decoder;
    return { qbuf: d.unparsedBytes, free: d.freeBytes, argvMem: d.argvBytes };
  }

  /** Output not yet handed to the kernel: our reply buffer (obl) plus what the socket queues (omem). */
  get outputStats(): { obl: number; oll: number; omem: number } {
    return { obl: this.writer.pendingBytes, oll: this.writesQueued, omem: this.closed ? 0 : this.socket.writableLength };
  }

  /** Memory this client holds for its input and output (CLIENT LIST tot-mem). */
  get totalMemory(): number {
    const o = this.outputStats;
    return this.decoder.memoryBytes + o.obl + o.omem + this.writer.capacity;
  }

  get pendingReplies(): number {
    return this.queue.length - this.head;
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.closing) return;
    this.lastActive = Date.now();
    this.hooks.stats.netInputBytes += chunk.length;
    this.backlog.push(chunk);
    this.backlogBytes += chunk.length;
    // Bytes wait here only while an earlier chunk is being fed over several turns: stop reading meanwhile.
    if (this.backlogBytes > FEED_BACKLOG_PAUSE_BYTES) this.socket.pause();
    if (!this.feedScheduled) this.feedBacklog();
  };

  /** Received bytes not yet fed to the decoder (a deep pipeline is fed about FEED_TURN_COMMANDS requests per event-loop turn). */
  private backlog: Buffer[] = [];
  private backlogBytes = 0;
  private feedScheduled = false;
  /** Requests the decoder produced in the current feedBacklog call. */
  private turnCommands = 0;

  /**
   * Feeds received requests to the decoder a piece at a time until about
   * FEED_TURN_COMMANDS requests (or FEED_TURN_BYTES) came out, then lets the
   * event loop run before the rest: one client's 64 KB pipeline of writes
   * (hundreds of commands) cannot hold every other client, heartbeats and
   * timers for its whole length. The decoder takes any split of the bytes.
   * Counting requests, not bytes, bounds the turn's work (parse, propose)
   * whatever the requests' size: 16 KB a turn was ~100 XADDs, and a turn that
   * also applied and met a young-generation GC ran past 30 ms.
   */
  private feedBacklog(): void {
    this.feedScheduled = false;
    this.turnCommands = 0;
    let bytes = 0;
    while (this.backlog.length > 0 && bytes < FEED_TURN_BYTES && this.turnCommands < FEED_TURN_COMMANDS) {
      if (this.closing || this.closed) break;
      let chunk = this.backlog[0];
      if (chunk.length > FEED_PIECE_BYTES) {
        this.backlog[0] = chunk.subarray(FEED_PIECE_BYTES);
        chunk = chunk.subarray(0, FEED_PIECE_BYTES);
      } else {
        this.backlog.shift();
      }
      bytes += chunk.length;
      this.backlogBytes -= chunk.length;
      if (!this.feed(chunk)) break;
    }
    if (this.closing || this.closed) {
      this.backlog = [];
      this.backlogBytes = 0;
      return;
    }
    if (this.backlog.length > 0) {
      this.feedScheduled = true;
      setImmediate(() => this.feedBacklog());
    } else if (this.socket.isPaused() && !this.socket.writableNeedDrain) {
      // Paused for the backlog only (output backpressure resumes on 'drain').
      this.socket.resume();
    }
  }

  /** One piece of input through the decoder; false once the connection is closing (protocol error, query limit). */
  private feed(chunk: Buffer): boolean {
    const error = this.decoder.feed(chunk, this.onArgv);
    if (error !== null) {
      // Redis answers a protocol error and closes: nothing after it is trusted.
      this.reply(new ErrorReply(error));
      this.closeAfterReplies();
      return false;
    }
    const held = this.decoder.memoryBytes;
    if (held > this.hooks.queryBufferLimit()) {
      this.hooks.onOverLimit(this, 'query', held);
      this.destroy();
      return false;
    }
    return true;
  }

  private readonly onArgv = (argv: Buffer[]): void => {
    this.turnCommands++;
    if (!this.closing && !this.closed) this.hooks.onCommand(this, argv);
  };

  /** A reply available now; queued if earlier replies are still pending. */
  reply(r: Reply): void {
    if (this.pendingReplies === 0) {
      if (this.muteCurrent) return;
      this.writer.write(r, this.proto);
      this.markDirty();
    } else {
      this.queue.push({ reply: r, start: undefined, isWrite: false, started: true, muted: this.muteCurrent });
    }
  }

  /** CLIENT REPLY: called before each command is processed; decides whether its replies are written. */
  beginCommand(): void {
    this.muteCurrent = this.replyOff || this.replySkip === 'this';
  }

  /** After each command: SKIP's "next command" becomes this one, then is done. */
  endCommand(): void {
    if (this.replySkip === 'this') this.replySkip = 'none';
    else if (this.replySkip === 'next') this.replySkip = 'this';
    this.muteCurrent = false;
  }

  get subscriptions(): number {
    return this.channels.size + this.patterns.size;
  }

  /** A pub/sub message for this client, in order with its other replies. */
  push(r: Reply): void {
    if (!this.closed && !this.replyOff) this.reply(r);
  }

  /** A read answered synchronously: runs now unless writes of this connection are still pending. */
  read(run: () => Reply): void {
    if (this.pendingReplies === 0) this.reply(run());
    else this.readAsync((done) => done(run()));
  }

  /** A read that may answer later (lease / ReadIndex barrier); starts once no write is pending ahead of it. */
  readAsync(start: (done: (r: Reply) => void) => void): void {
    const slot: Slot = { reply: undefined, start, isWrite: false, started: false, muted: this.muteCurrent };
    this.queue.push(slot);
    if (this.unresolvedWrites === 0) this.startSlot(slot);
  }

  /** Reserves the reply position of a write; call the result with the applied reply. */
  pendingWrite(): (r: Reply) => void {
    const slot: Slot = { reply: undefined, start: undefined, isWrite: true, started: true, muted: this.muteCurrent };
    this.queue.push(slot);
    this.unresolvedWrites++;
    return (r: Reply) => {
      if (slot.reply !== undefined) return;
      slot.reply = r;
      this.unresolvedWrites--;
      this.advanceQueue();
    };
  }

  private unresolvedWrites = 0;
  private advancing = false;
  private advanceAgain = false;

  private startSlot(slot: Slot): void {
    slot.started = true;
    slot.start!((r) => {
      if (slot.reply !== undefined) return;
      slot.reply = r;
      this.advanceQueue();
    });
  }

  /** Starts reads no longer blocked by writes and writes out the completed head of the queue. */
  private advanceQueue(): void {
    if (this.advancing) {
      this.advanceAgain = true;
      return;
    }
    this.advancing = true;
    do {
      this.advanceAgain = false;
      const q = this.queue;
      while (this.scan < q.length) {
        const s = q[this.scan];
        if (s.isWrite && s.reply === undefined) break;
        if (!s.started) this.startSlot(s);
        this.scan++;
      }
      while (this.head < q.length && q[this.head].reply !== undefined) {
        const s = q[this.head];
        q[this.head++] = DONE_SLOT;
        if (!s.muted) this.writer.write(s.reply!, this.proto);
      }
      if (this.head === q.length) {
        this.queue = [];
        this.head = this.scan = 0;
      } else if (this.head >= 1024 && this.head * 2 >= q.length) {
        this.queue = q.slice(this.head);
        this.scan -= this.head;
        this.head = 0;
      }
    } while (this.advanceAgain);
    this.advancing = false;
    this.markDirty();
  }

  private markDirty(): void {
    if (!this.dirty) {
      this.dirty = true;
      this.hooks.markDirty(this);
    }
  }

  private readonly onWritten = (): void => {
    this.writesQueued--;
  };

  /** Writes buffered replies to the socket; called once per event-loop turn. */
  flush(): void {
    this.dirty = false;
    if (this.closed) return;
    const out = this.writer.take();
    if (out.length > 0) {
      this.lastActive = Date.now();
      this.hooks.stats.netOutputBytes += out.length;
      this.writesQueued++;
      if (!this.socket.write(out, this.onWritten)) {
        // The client is not reading its replies: stop reading its requests
        // until it does, so it cannot make us queue ever more output.
        this.socket.pause();
      }
      if (this.overOutputLimit()) return;
    }
    if (this.closing && this.pendingReplies === 0 && !this.socket.writableEnded) {
      // The final reply goes out, then the socket is destroyed: a client that
      // keeps writing gets a reset instead of a half-open socket that accepts more.
      this.socket.end(() => this.destroy());
      setTimeout(() => this.destroy(), CLOSE_FLUSH_MS).unref();
    }
  }

  /** client-output-buffer-limit: closes the client (dropping its queued output) once over it. */
  private overOutputLimit(): boolean {
    const used = this.socket.writableLength + this.writer.pendingBytes;
    if (used === 0 && this.softLimitSince === 0) return false;
    const check = checkOutputLimit(this.hooks.outputLimit(this), used, this.softLimitSince, Date.now());
    this.softLimitSince = check.softSince;
    if (!check.close) return false;
    this.hooks.onOverLimit(this, 'output', used);
    this.destroy();
    return true;
  }

  /**
   * Close after queued replies are written (QUIT, a protocol error, CLIENT
   * KILL of itself): input stops at once and the client leaves the client
   * table (and its maxclients slot) now, not when the peer closes.
   */
  closeAfterReplies(): void {
    if (this.closing || this.closed) return;
    this.closing = true;
    this.socket.pause();
    this.release();
    this.markDirty();
  }

  /** Closes at once, dropping queued output (CLIENT KILL of another client, limits, timeout). */
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.release();
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.hooks.onClose(this);
  }
}
