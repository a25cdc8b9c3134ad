import net from 'node:net';
import tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import { ErrorReply, NullArray, OK, QUEUED, RawReply, type Reply } from '../protocol/reply';
import { errArity, errUnknownCommand, errUnknownSubcommand, ERR_NOAUTH } from '../protocol/errors';
import { ClientConnection, type ConnectionHooks } from './connection';
import { AfterWrites, CommandTable, DeferredReply, Replies, arityOk, type LeafCommand } from './commands/table';
import { PubSub } from './pubsub';
import { PeerPubSub } from './pubsub-peers';
import { LockService } from './lock-service';
import { Evictor } from './eviction';
import { lockWaitMs } from './commands/locks';
import type { CommandLatency } from './metrics';
import type { DataCommand } from './commands/types';
import { isToken } from './commands/util';
import type { ServerConfig } from './config';
import { applyEncodingOptions } from './config-command';
import { StateMachine, TRANSACTION_PURE } from './fsm';
import { Keyspace } from './keyspace';
import type { Logger } from './log';
import type { Replicator } from './replicator';
import { misconf, type RaftReplicator, type ReadMode, type RequestId } from './raft-replicator';
import { decodeOp, encodeOp, OpKind, type WatchedKey } from './logop';
import { POP_ACK } from './forwarding';
import { latencyMonitor } from './latency';
import { ClientPause } from './client-pause';
import { MonitorFeed } from './monitor';
import { scriptCalls } from './scripting/call';

/** argv[0] of a transaction a follower forwards (argv[1] is the encoded Multi op). */
const MULTI_FORWARD = Buffer.from('\u0000raftcache.multi');
/** Commands whose replies may hold errors inside (EXEC's results, a script's tables): the rest are checked at the top only. */
const NESTED_ERRORS = new Set(['exec', 'eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']);

/** argv[0] of a blocking command a follower forwards: [BLOCK_FORWARD, token, ...argv]. */
const BLOCK_FORWARD = Buffer.from('\u0000raftcache.block');
/** [BLOCK_CANCEL, token]: the blocked client left; forget its waiter. */
const BLOCK_CANCEL = Buffer.from('\u0000raftcache.unblock');
/** How long a follower lets a forwarded BLPOP ... 0 wait for its answer (forever, in practice). */
const FOREVER_MS = 365 * 24 * 3600 * 1000;
import { ServerStats } from './stats';
import { SlowLog } from './slowlog';
import { PROTECTED_MODE_DENIED, protectedModeDenies } from './protected-mode';
import { parseOutputLimits, type OutputLimit, type OutputLimits } from './output-limits';
import { idleClients } from './idle-clients';
import { BlockingService } from './blocking';
import { BlockedClients } from './blocked-clients';
import { AclGuard } from './acl/guard';
import { keyIndexes } from './acl/keys';
import { Tracking } from './tracking';
import { ACL_OP, RUN_AS, SCRIPT_COMMANDS, runAs } from './acl/ops';
import { aclCatalog } from './acl/catalog';
import { defaultIsNopass, defaultIsOpen } from './acl/auth';
import { clientInfoLine } from './commands/server';
import { parseTimeoutMs } from './commands/blocking-args';
import { blockingReadTimeout, resolveLastIds, StreamReadWaits } from './commands/stream-wait';

export interface ServerDeps {
  config: ServerConfig;
  log: Logger;
  table: CommandTable;
  keyspace: Keyspace;
  fsm: StateMachine;
  replicator: Replicator;
  /** The Raft driver when the replicator is one (forwarding, read barriers, admin, INFO raft). */
  cluster?: RaftReplicator;
}

/** Writes that read their key first count a keyspace hit or miss, as in Redis (on the node the client asked). */
/** A blocking command's timeout in ms (0 = forever), or null when this call does not block (XREADGROUP without BLOCK). */
function blockTimeoutMs(cmd: DataCommand, argv: Buffer[]): number | null {
  const spec = cmd.blocking;
  if (spec === undefined) return null;
  if (spec.timeoutMs) return spec.timeoutMs(argv);
  const t = parseTimeoutMs(argv[spec.timeoutIndex(argv)]);
  return typeof t === 'number' ? t : 0;
}

function readsKey(cmd: DataCommand, argv: Buffer[]): boolean {
  switch (cmd.name) {
    case 'getdel':
    case 'getex':
    case 'getset':
      return true;
    case 'set':
      for (let i = 3; i < argv.length; i++) if (isToken(argv[i], 'get')) return true;
      return false;
    default:
      return false;
  }
}

const RESP2_NULL = Buffer.from('$-1\r\n');
const RESP3_NULL = Buffer.from('_\r\n');

/** Null, also when it comes back from the leader already encoded. */
function isNullReply(reply: Reply): boolean {
  if (reply === null) return true;
  return reply instanceof RawReply && (reply.bytes.equals(RESP2_NULL) || reply.bytes.equals(RESP3_NULL));
}

const EXEC_ARGV = Buffer.from('EXEC');

/** Commands SLOWLOG never records (Redis's CMD_SKIP_SLOWLOG: EXEC's commands count on their own). */
const NOT_SLOWLOGGED = new Set(['exec']);

/** Redis 7's answer for a no-multi command (SUBSCRIBE, ...) inside MULTI; EXEC then aborts. */
const ERR_NOT_IN_MULTI = new ErrorReply('ERR Command not allowed inside a transaction');

/** Commands that run at once even inside MULTI (the rest are queued); WATCH answers its own error there. */
const TRANSACTION_CONTROL = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);

/** Commands a RESP2 client in subscribed mode may send (Redis 7). */
const SUBSCRIBED_RESP2 = new Set(['subscribe', 'unsubscribe', 'psubscribe', 'punsubscribe', 'ssubscribe', 'sunsubscribe', 'ping', 'quit', 'reset']);

/** Longer than any command or subcommand name. */
const MAX_NAME_BYTES = 64;

/** How often the leader looks for expired keys to delete, and how many per database per round. */
const ACTIVE_EXPIRE_INTERVAL_MS = 100;
const ACTIVE_EXPIRE_KEYS_PER_DB = 200;

/** How often idle clients are looked for (the `timeout` setting is in seconds). */
const IDLE_CHECK_MS = 250;
/** How long a refused client's error line may take to go out before its socket is destroyed. */
const REFUSE_FLUSH_MS = 1000;

/**
 * The client-facing side of a node: accepts connections, checks each command
 * as Redis's processCommand does, answers reads from the applied state and
 * sends writes through the replicator.
 */
export class Server implements ConnectionHooks {
  readonly config: ServerConfig;
  readonly log: Logger;
  readonly table: CommandTable;
  readonly keyspace: Keyspace;
  readonly fsm: StateMachine;
  readonly replicator: Replicator;
  readonly cluster: RaftReplicator | undefined;
  readonly stats = new ServerStats();
  readonly pubsub = new PubSub();
  /** PUBLISH counts and PUBSUB answers across the cluster. */
  readonly peerPubSub: PeerPubSub;
  readonly locks: LockService = new LockService(this);
  /** The leader's parked blocking commands (BLPOP ...), from any node's clients. */
  readonly blocking: BlockingService;
  /** XREAD BLOCK reads waiting on this node for applied entries. */
  readonly streamWaits = new StreamReadWaits();
  /** This node's clients waiting in a blocking command. */
  readonly blockedClients: BlockedClients;
  private readonly evictor: Evictor = new Evictor(this);
  readonly clients = new Map<number, ClientConnection>();
  readonly startedAt = Date.now();
  readonly slowlog: SlowLog;
  /** ACL permission checks and ACL LOG (users are replicated state: keyspace.acl). */
  readonly acl: AclGuard;
  /** Client-side caching: keys tracking clients read, invalidated as writes are applied here. */
  readonly tracking: Tracking;
  readonly runId = randomBytes(20).toString('hex');
  private nextClientId = 1;
  private listener: net.Server | undefined;
  private tlsListener: tls.Server | undefined;
  private dirty: ClientConnection[] = [];
  /** Every open client socket, also those no longer in `clients` (closing after a final reply, refused). */
  private readonly sockets = new Set<net.Socket>();
  private flushScheduled = false;
  private timers: NodeJS.Timeout[] = [];
  /** Keys whose expiry delete is proposed but not yet applied, so we propose each once. */
  private expiring = new Set<string>();
  private lastIssuedTs = 0;
  /** CLIENT PAUSE: this node's held clients (ops). */
  readonly clientPause = new ClientPause(
    (conn, argv) => this.onCommand(conn, argv),
    (argv) => this.table.leaf(argv)?.flags.includes('write') ?? false,
  );
  /** MONITOR clients and their feed (ops). */
  readonly monitor = new MonitorFeed();
  /** DEBUG SET-ACTIVE-EXPIRE: false stops this node (as leader) proposing deletes of expired keys. */
  activeExpireEnabled = true;

  constructor(deps: ServerDeps) {
    this.config = deps.config;
    applyEncodingOptions(deps.config);
    this.slowlog = new SlowLog(deps.config);
    this.log = deps.log;
    this.table = deps.table;
    this.keyspace = deps.keyspace;
    this.fsm = deps.fsm;
    this.replicator = deps.replicator;
    this.cluster = deps.cluster;
    this.acl = new AclGuard(this.keyspace.acl, () => this.config['acllog-max-len'], (c) => clientInfoLine(c, Date.now()));
    if (!this.keyspace.acl.hasCatalog) this.keyspace.acl.setCatalog(aclCatalog(this.table));
    this.tracking = new Tracking(
      (id) => this.clients.get(id),
      () => this.clients.values(),
      () => this.fsm.appliedIndex,
      () => this.config['tracking-table-max-keys'],
    );
    this.keyspace.observer = this.tracking;
    // Redis disconnects the clients of a deleted user (on every node: each applies the deletion).
    this.keyspace.acl.onUsersRemoved = (names) => {
      const gone = new Set(names);
      for (const c of this.clients.values()) if (gone.has(c.user)) c.closeAfterReplies();
    };
    this.fsm.onScriptPublish = (channel, message, applied) => {
      if (applied) this.pubsub.deliver(channel, message);
      else this.publish(channel, message);
    };
    latencyMonitor.threshold = () => this.config['latency-monitor-threshold'];
    scriptCalls.observer = (db, argv) => this.monitor.feed('lua', db, argv);
    this.fsm.onApplyTimed = (op, micros) => {
      // A write's apply blocks the loop on every node: a latency event where it is slow (ops).
      if ((op.kind === OpKind.Command || op.kind === OpKind.Multi) && latencyMonitor.over(micros / 1000)) {
        const fast = op.kind === OpKind.Command && this.table.leaf(op.argv)?.flags.includes('fast');
        latencyMonitor.maybeAdd(fast ? 'fast-command' : 'command', micros / 1000);
      }
      if (op.kind === OpKind.Command) this.slowlog.maybeAdd(op.argv, micros);
      else if (op.kind === OpKind.Multi) this.slowlog.maybeAdd([EXEC_ARGV], micros);
    };
    this.blocking = new BlockingService({
      keyspace: this.keyspace,
      isLeader: () => this.cluster?.isLeader() ?? true,
      propose: (db, argv, done, id) => {
        const cmd = this.table.get(argv[0].toString('latin1').toLowerCase());
        if (cmd?.kind === 'data') this.proposeCommand(db, cmd, argv, done, id);
        else done(new ErrorReply('ERR internal: not a data command'), 0);
      },
    });
    this.blockedClients = new BlockedClients(
      {
        submit: (db, cmd, argv, token, timeoutMs, proto, done) => this.submitBlocking(db, cmd, argv, token, timeoutMs, proto, done),
        cancel: (token) => {
          if (this.cluster?.shouldForward()) this.cluster.forward(0, [BLOCK_CANCEL, Buffer.from(token, 'latin1')], 2, () => undefined);
          else this.blocking.cancel(token);
        },
        giveBack: (db, writes) => {
          for (const argv of writes) this.proposeInternal(db, argv);
        },
        noteGiveBack: (cmd, writes) => this.log.info({ cmd, writes }, 'blocked client left while its pop was applied; elements pushed back'),
      },
      randomBytes(6).toString('hex'),
    );
    this.replicator.onBatchApplied(() => {
      this.locks.afterApply();
      this.tracking.flush();
      this.blocking.afterApply();
      this.streamWaits.afterApply();
      this.flushDirty();
    });
    this.cluster?.setForwardHandler((db, argv, done, id) => this.executeForwarded(db, argv, done, id));
    this.peerPubSub = new PeerPubSub(this.cluster?.transport, this.pubsub);
    this.cluster?.setPubSubHandler(this.peerPubSub);
  }

  get port(): number {
    const addr = this.listener?.address();
    return addr && typeof addr === 'object' ? addr.port : this.config.port;
  }

  get tlsPort(): number {
    const addr = this.tlsListener?.address();
    return addr && typeof addr === 'object' ? addr.port : 0;
  }

  /** Credentials for the TLS client port, read by main from the tls-* files. */
  tlsCredentials: { key: Buffer; cert: Buffer; ca?: Buffer } | undefined;

  async listen(): Promise<void> {
    const listener = net.createServer((socket) => this.accept(socket));
    this.listener = listener;
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(this.config.port, this.config.bind, () => {
        listener.off('error', reject);
        resolve();
      });
    });
    if (this.config['tls-port'] && this.tlsCredentials) {
      const c = this.tlsCredentials;
      const requireCert = this.config['tls-auth-clients'] === 'yes';
      const tl = tls.createServer({ key: c.key, cert: c.cert, ca: c.ca, requestCert: requireCert, rejectUnauthorized: requireCert }, (socket) =>
        this.accept(socket),
      );
      tl.on('tlsClientError', (err) => this.log.warn({ err: err.message }, 'TLS client refused'));
      this.tlsListener = tl;
      await new Promise<void>((resolve, reject) => {
        tl.once('error', reject);
        tl.listen(this.config['tls-port'], this.config.bind, () => {
          tl.off('error', reject);
          resolve();
        });
      });
    }
    this.timers.push(setInterval(() => this.stats.sample(Date.now()), 100));
    this.timers.push(setInterval(() => this.activeExpire(), ACTIVE_EXPIRE_INTERVAL_MS));
    this.timers.push(setInterval(() => this.closeIdleClients(), IDLE_CHECK_MS));
    for (const t of this.timers) t.unref();
    this.log.info({ port: this.port, tlsPort: this.tlsPort || undefined, bind: this.config.bind }, 'ready to accept connections');
  }

  async close(): Promise<void> {
    this.peerPubSub.close();
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    for (const c of this.clients.values()) c.destroy();
    // Closing and refused clients too: the listener's close waits for every socket.
    for (const s of this.sockets) s.destroy();
    const l = this.listener;
    this.listener = undefined;
    if (l) await new Promise<void>((resolve) => l.close(() => resolve()));
    const t = this.tlsListener;
    this.tlsListener = undefined;
    if (t) await new Promise<void>((resolve) => t.close(() => resolve()));
  }

  /**
   * Cluster time for a new entry: the local clock, but never below what was
   * already applied or issued, so time in the log never goes backwards.
   */
  clusterNow(): number {
    const t = Math.max(Date.now(), this.fsm.lastTs, this.lastIssuedTs);
    this.lastIssuedTs = t;
    return t;
  }

  private accept(socket: net.Socket): void {
    this.stats.totalConnectionsReceived++;
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    if (this.clients.size >= this.config.maxclients) {
      this.stats.rejectedConnections++;
      // Best effort, as Redis: the error line, then the socket goes. The
      // client may reset it meanwhile: an unhandled 'error' would kill the process.
      socket.on('error', () => socket.destroy());
      socket.end('-ERR max number of clients reached\r\n', () => socket.destroy());
      setTimeout(() => socket.destroy(), REFUSE_FLUSH_MS).unref();
      return;
    }
    if (protectedModeDenies(this.config, socket.remoteAddress, defaultIsNopass(this.keyspace.acl, this.config))) {
      this.stats.rejectedConnections++;
      socket.on('error', () => socket.destroy()); // a reset before the reply is written is no concern of ours
      socket.end(PROTECTED_MODE_DENIED, () => socket.destroy());
      setTimeout(() => socket.destroy(), REFUSE_FLUSH_MS).unref();
      return;
    }
    const conn = new ClientConnection(
      this.nextClientId++,
      socket,
      { maxBulkLen: this.config['proto-max-bulk-len'] },
      !defaultIsOpen(this.keyspace.acl, this.config),
      this,
    );
    this.clients.set(conn.id, conn);
  }

  onClose(conn: ClientConnection): void {
    this.clients.delete(conn.id);
    if (conn.tracking) this.tracking.disable(conn);
    this.blockedClients.closed(conn.id);
    this.streamWaits.closed(conn.id);
    this.pubsub.drop(conn);
    this.clientPause.drop(conn);
    this.monitor.drop(conn);
  }

  queryBufferLimit(): number {
    return this.config['client-query-buffer-limit'];
  }

  private outputLimits: { text: string; limits: OutputLimits } | undefined;

  outputLimit(conn: ClientConnection): OutputLimit {
    const text = this.config['client-output-buffer-limit'];
    if (this.outputLimits?.text !== text) this.outputLimits = { text, limits: parseOutputLimits(text) };
    // Peers replicate over their own transport: every client here is normal or pub/sub.
    return this.outputLimits.limits[conn.subscriptions > 0 ? 'pubsub' : 'normal'];
  }

  onOverLimit(conn: ClientConnection, what: 'query' | 'output', bytes: number): void {
    const client = { id: conn.id, addr: conn.addr, name: conn.name || undefined, cmd: conn.lastCommand, bytes };
    if (what === 'query') this.log.warn(client, 'closing client that reached max query buffer length (client-query-buffer-limit)');
    else this.log.warn(client, 'client closed for overcoming of output buffer limits (client-output-buffer-limit)');
  }

  private closeIdleClients(): void {
    for (const c of idleClients(this.clients.values(), this.config.timeout, Date.now())) {
      this.log.debug({ id: c.id, addr: c.addr }, 'closing idle client');
      c.destroy();
    }
  }

  /**
   * PUBLISH: deliver here and relay to every peer; `done` gets the receivers
   * on every node (peers answer over the peer link, see pubsub-peers.ts).
   */
  publishCounted(channel: Buffer, message: Buffer, done: (receivers: number) => void): void {
    const here = this.pubsub.deliver(channel, message);
    this.peerPubSub.publish(channel, message, (there) => done(here + there));
  }

  /** A server announcement (lock events): delivered here and relayed, without waiting for counts. */
  publish(channel: Buffer, message: Buffer): number {
    this.cluster?.broadcastPublish(channel, message);
    return this.pubsub.deliver(channel, message);
  }

  markDirty(conn: ClientConnection): void {
    this.dirty.push(conn);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(this.flushDirty);
    }
  }

  /** Writes every connection's pending replies: one socket write per connection per turn. */
  private readonly flushDirty = (): void => {
    this.flushScheduled = false;
    const list = this.dirty;
    this.dirty = [];
    for (const c of list) c.flush();
  };

  /** One request of a client; whatever goes wrong costs that client an error reply, never the process. */
  onCommand(conn: ClientConnection, argv: Buffer[]): void {
    if (this.clientPause.holdBehind(conn, argv)) return; // behind its own paused command (ops)
    conn.beginCommand(); // CLIENT REPLY OFF/SKIP (ops)
    try {
      this.processCommand(conn, argv);
    } catch (err) {
      this.log.error({ err, id: conn.id }, 'request failed');
      this.reject(conn, new ErrorReply('ERR internal error'));
    }
    // A held command has not run yet: SKIP applies to it when it does.
    if (this.clientPause.isHeld(conn)) conn.muteCurrent = false;
    else conn.endCommand();
  }

  /** processCommand: lookup, arity, auth, then run, read or propose. */
  private processCommand(conn: ClientConnection, argv: Buffer[]): void {
    // A name longer than any command is unknown without turning it into a
    // string (a 512 MB name would not even fit in one).
    let cmd = argv[0].length <= MAX_NAME_BYTES ? this.table.get(argv[0].toString('latin1').toLowerCase()) : undefined;
    if (cmd === undefined) {
      if (conn.multi !== null) conn.multiFailed = true;
      this.reject(conn, errUnknownCommand(argv[0], argv.slice(1)));
      return;
    }
    if (cmd.kind === 'container') {
      if (argv.length < 2) {
        if (cmd.bare && conn.authenticated) this.replyServer(conn, cmd.name, cmd.bare({ conn, server: this }, argv));
        else this.reject(conn, conn.authenticated ? errArity(cmd.name) : ERR_NOAUTH);
        return;
      }
      const sub = argv[1].length <= MAX_NAME_BYTES ? cmd.subcommands.get(argv[1].toString('latin1').toLowerCase()) : undefined;
      if (sub === undefined) {
        this.reject(conn, errUnknownSubcommand(argv[1], cmd.name));
        return;
      }
      cmd = sub;
    }
    const stat = this.stats.command(cmd.name);
    if (!arityOk(cmd.arity, argv.length)) {
      stat.rejectedCalls++;
      if (conn.multi !== null) conn.multiFailed = true;
      this.reject(conn, errArity(cmd.name));
      return;
    }
    if (!conn.authenticated && !cmd.flags.includes('no_auth')) {
      stat.rejectedCalls++;
      this.reject(conn, ERR_NOAUTH);
      return;
    }
    if (!cmd.flags.includes('no_auth')) {
      const denied = this.acl.check(conn, cmd, argv);
      if (denied !== null) {
        stat.rejectedCalls++;
        if (conn.multi !== null) conn.multiFailed = true;
        this.reject(conn, denied);
        return;
      }
    }
    if (conn.proto === 2 && conn.subscriptions > 0 && !SUBSCRIBED_RESP2.has(cmd.name)) {
      // RESP2 cannot mix pub/sub messages with replies (RESP3 can, with push).
      stat.rejectedCalls++;
      this.reject(
        conn,
        new ErrorReply(`ERR Can't execute '${cmd.name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`),
      );
      return;
    }
    if (this.monitor.has(conn) && (cmd.kind === 'data' || cmd.flags.includes('readonly') || cmd.flags.includes('may_replicate'))) {
      // A MONITOR client is a replica to Redis: it may not touch the keyspace (ops).
      this.reject(conn, new ErrorReply("ERR Replica can't interact with the keyspace"));
      return;
    }
    // CLIENT PAUSE: held here, after every check, as Redis's processCommand (a write queued in MULTI too).
    if (this.clientPause.hold(conn, cmd, argv)) return;
    if (conn.multi !== null && !TRANSACTION_CONTROL.has(cmd.name)) {
      if (cmd.kind !== 'data' && !TRANSACTION_PURE.has(cmd.name)) {
        // Only keyspace commands (and PING/ECHO/TIME, answered at apply) can go into the transaction's log entry.
        conn.multiFailed = true;
        this.reject(conn, ERR_NOT_IN_MULTI);
        return;
      }
      conn.multi.push(this.scriptCaller(conn, cmd.name, argv));
      conn.lastCommand = cmd.name; // CLIENT LIST cmd= names a queued command too, as Redis's lastcmd
      conn.reply(QUEUED);
      return;
    }
    conn.lastCommand = cmd.name;
    this.stats.totalCommandsProcessed++;
    stat.calls++;
    this.monitor.before(conn, cmd, argv);
    const start = process.hrtime.bigint();
    try {
      this.execute(conn, cmd, argv);
      if (conn.cachingNext !== undefined) this.tracking.commandDone(conn, cmd.name);
    } catch (err) {
      // A bug in a handler must cost one error reply, never the process.
      this.log.error({ err, command: cmd.name }, 'command failed');
      stat.failedCalls++;
      this.reject(conn, new ErrorReply(`ERR internal error executing '${cmd.name}'`));
    }
    const micros = Number(process.hrtime.bigint() - start) / 1000;
    stat.usec += micros;
    // Writes are observed when answered (proposeWrite), so their latency includes commit and apply.
    if (this.metricsLatency && (cmd.kind === 'server' || !cmd.flags.includes('write'))) this.metricsLatency.observe(cmd.name, micros / 1e6);
    latencyMonitor.commandDone(cmd.name, cmd.flags.includes('fast'), micros); // LATENCY HISTOGRAM and command events (ops)
    this.monitor.after(conn, cmd, argv); // MONITOR (ops)
    // Writes execute when applied (timed there); the slowlog redacts AUTH/HELLO/CONFIG SET secrets as Redis does.
    if (cmd.kind === 'server' ? !NOT_SLOWLOGGED.has(cmd.name) : !cmd.flags.includes('write')) this.slowlog.maybeAdd(argv, micros, conn.addr, conn.name);
  }

  private execute(conn: ClientConnection, cmd: LeafCommand, argv: Buffer[]): void {
    if (cmd.kind === 'server') {
      this.replyServer(conn, cmd.name, cmd.run({ conn, server: this }, argv));
    } else if (cmd.flags.includes('write') && !(cmd.readOnlyWhen?.(argv) ?? false)) {
      this.proposeWrite(conn, cmd, argv);
    } else {
      const db = conn.db;
      // A node that lost its data and is catching up reads only behind a ReadIndex barrier: never its empty state.
      const mode: ReadMode = this.cluster?.recovery.catchingUp ? 'linearizable' : (conn.readMode ?? (this.config['read-mode'] as ReadMode));
      if (conn.tracking) this.tracking.rememberKeys(conn, keyIndexes(cmd, argv).map((i) => argv[i]));
      const waitMs = blockingReadTimeout(cmd.name, argv);
      if (waitMs !== null) {
        this.waitingRead(conn, cmd, argv, mode, waitMs);
      } else if (mode === 'local' || this.cluster === undefined) {
        if (conn.pendingReplies === 0) conn.reply(this.counted(cmd.name, this.readCommand(cmd, db, argv, conn)));
        else conn.read(() => this.counted(cmd.name, this.readCommand(cmd, db, argv, conn)));
      } else {
        const cluster = this.cluster;
        conn.readAsync((done) =>
          cluster.readBarrier(mode, (err) => done(this.counted(cmd.name, err ?? this.readCommand(cmd, db, argv, conn)))),
        );
      }
    }
  }

  /** XREAD BLOCK (commands/stream-wait.ts): read now; if nothing, wait for this node's applies or the timeout. */
  private waitingRead(conn: ClientConnection, cmd: DataCommand, argv: Buffer[], mode: ReadMode, waitMs: number): void {
    const db = conn.db;
    conn.readAsync((done) => {
      const go = (): void => {
        const resolved = resolveLastIds(this.keyspace.dbs[db], argv, Date.now());
        const run = (): Reply => this.readCommand(cmd, db, resolved);
        const first = run();
        if (first !== NullArray.instance) done(this.counted(cmd.name, first));
        else {
          const answer = (r: Reply): void => {
            this.blockedClients.localDone(conn.id);
            done(this.counted(cmd.name, r));
          };
          this.streamWaits.wait(conn.id, waitMs, run, answer);
          this.blockedClients.waitLocal(conn.id, waitMs, NullArray.instance, (r) => this.streamWaits.release(conn.id, r));
        }
      };
      if (mode === 'local' || this.cluster === undefined) go();
      else this.cluster.readBarrier(mode, (err) => (err ? done(this.counted(cmd.name, err)) : go()));
    });
  }

  private replyServer(conn: ClientConnection, name: string, r: Reply | DeferredReply | Replies | AfterWrites): void {
    if (r instanceof AfterWrites) {
      conn.read(() => this.counted(name, r.run()));
    } else if (r instanceof Replies) {
      for (const x of r.items) conn.reply(this.counted(name, x));
    } else if (r instanceof DeferredReply) {
      const done = conn.pendingWrite();
      r.start((reply) => done(this.counted(name, reply)));
    } else {
      conn.reply(this.counted(name, r));
    }
  }

  private readCommand(cmd: DataCommand, db: number, argv: Buffer[], conn?: ClientConnection): Reply {
    const user = conn !== undefined && SCRIPT_COMMANDS.has(cmd.name) ? this.acl.restrictedUserObject(conn) : undefined;
    return this.fsm.read(cmd, db, argv, Date.now(), this.stats, user);
  }

  private proposeWrite(conn: ClientConnection, cmd: DataCommand, argv: Buffer[]): void {
    const bad = this.refuseWrite(cmd, argv);
    if (bad) {
      conn.reply(this.counted(cmd.name, bad));
      return;
    }
    const done = conn.pendingWrite();
    const started = this.metricsLatency ? performance.now() : 0;
    const timeoutMs = blockTimeoutMs(cmd, argv);
    if (timeoutMs !== null) {
      this.blockedClients.run(conn.id, cmd, conn.db, argv, timeoutMs, conn.proto, (reply) => {
        this.metricsLatency?.observe(cmd.name, (performance.now() - started) / 1000);
        this.noteWritten(conn);
        done(this.counted(cmd.name, reply));
      });
      return;
    }
    const lookup = readsKey(cmd, argv);
    const answer = (reply: Reply) => {
      this.metricsLatency?.observe(cmd.name, (performance.now() - started) / 1000);
      this.noteWritten(conn);
      if (lookup && !(reply instanceof ErrorReply)) {
        if (isNullReply(reply)) this.stats.keyspaceMisses++;
        else this.stats.keyspaceHits++;
      }
      done(this.counted(cmd.name, reply));
    };
    const runAsUser = SCRIPT_COMMANDS.has(cmd.name) ? this.acl.restrictedUser(conn) : undefined;
    if (this.cluster?.shouldForward()) {
      // Followers hand writes to the leader, which rewrites times with its own clock.
      // A lock acquire with WAIT may legitimately wait that long on the leader.
      const extra = cmd.name === 'lock.acquire' || cmd.name === 'election.campaign' ? lockWaitMs(argv) : 0;
      this.cluster.forward(conn.db, runAsUser === undefined ? argv : runAs(runAsUser, argv), conn.proto, answer, extra);
      return;
    }
    this.proposeCommand(conn.db, cmd, argv, answer, undefined, undefined, runAsUser);
  }

  /** A queued transaction command: a restricted user's script runs as that user (server/acl/ops.ts RUN_AS). */
  private scriptCaller(conn: ClientConnection, name: string, argv: Buffer[]): Buffer[] {
    if (!SCRIPT_COMMANDS.has(name)) return argv;
    const user = this.acl.restrictedUser(conn);
    return user === undefined ? argv : runAs(user, argv);
  }

  /** A write of conn was just answered, hence applied here: the applied index covers it (WAIT counts replicas past it). */
  private noteWritten(conn: ClientConnection): void {
    if (this.fsm.appliedIndex > conn.lastWriteIndex) conn.lastWriteIndex = this.fsm.appliedIndex;
    if (conn.tracking?.noloop) this.tracking.noteWriter(conn.id);
  }

  /** Why a write is refused before anything else (syntax, or a disk that refuses writes), or null. */
  private refuseWrite(cmd: DataCommand, argv: Buffer[]): ErrorReply | null {
    return cmd.check?.(argv) ?? (this.cluster?.diskError ? misconf(this.cluster.diskError) : null);
  }

  /**
   * The leader's side of a write, from its own client or forwarded: memory
   * admission (maxmemory), absolute times with the leader's clock, the log.
   * `done` gets the applied reply and its log index.
   */
  private proposeCommand(
    db: number,
    cmd: DataCommand,
    argv: Buffer[],
    done: (reply: Reply, index: number) => void,
    id?: RequestId,
    blockToken?: string,
    runAsUser?: string,
  ): void {
    const oom = cmd.flags.includes('denyoom') ? this.evictor.admit() : null;
    if (oom) {
      done(oom, 0);
      return;
    }
    const ts = this.clusterNow();
    const rewritten = cmd.rewrite ? cmd.rewrite(argv, ts) : argv;
    const logged = runAsUser === undefined ? rewritten : runAs(runAsUser, rewritten);
    let finish = this.locks.wrap(logged, done);
    const timeoutMs = blockToken === undefined ? null : blockTimeoutMs(cmd, argv);
    if (cmd.blocking && timeoutMs !== null) finish = this.blocking.wrap(cmd.blocking, db, logged, timeoutMs, blockToken, finish, id);
    const op = { kind: OpKind.Command as const, ts, db, clientId: id?.clientId ?? 0, seq: id?.seq ?? 0, ackedBelow: id?.ackedBelow ?? 0, argv: logged };
    if (this.cluster) this.cluster.proposeData(encodeOp(op), finish, op);
    else this.replicator.propose(op, (reply) => finish(reply, 0));
  }

  /**
   * A write (or admin command) a follower forwarded to us: run it as if a
   * local client sent it; `done` gets the reply and the index that produced it.
   */
  executeForwarded(db: number, argv: Buffer[], done: (reply: Reply, index: number) => void, id?: RequestId): void {
    const name = argv[0]?.toString('latin1').toLowerCase() ?? '';
    const def = this.table.leaf(argv); // XGROUP CREATE: the subcommand, as on the follower
    if (argv[0]?.equals(MULTI_FORWARD) && argv.length === 2) {
      let op;
      try {
        op = decodeOp(argv[1]);
      } catch {
        done(new ErrorReply('ERR malformed forwarded transaction'), 0);
        return;
      }
      if (op.kind !== OpKind.Multi) {
        done(new ErrorReply('ERR malformed forwarded transaction'), 0);
        return;
      }
      this.proposeTransaction(op.db, op.commands, op.watches, done, id);
      return;
    }
    if (argv[0]?.equals(POP_ACK)) {
      // A follower received these blocking pops' replies: the state machine drops them (server/fsm.ts).
      if (!this.cluster || id === undefined) done(OK, 0);
      else if (this.cluster.diskError) done(misconf(this.cluster.diskError), 0);
      else {
        const op = { kind: OpKind.Command as const, ts: this.clusterNow(), db: 0, clientId: id.clientId, seq: id.seq, ackedBelow: id.ackedBelow, argv };
        this.cluster.proposeData(encodeOp(op), done);
      }
      return;
    }
    if (argv[0]?.equals(RUN_AS) && argv.length >= 3) {
      // A restricted user's script from a follower (checked there): run it as that user.
      const inner = argv.slice(2);
      const def = this.table.get(inner[0].toString('latin1').toLowerCase());
      if (def?.kind !== 'data' || !def.flags.includes('write') || !SCRIPT_COMMANDS.has(def.name)) {
        done(new ErrorReply('ERR malformed forwarded script'), 0);
        return;
      }
      const bad = this.refuseWrite(def, inner);
      if (bad) {
        done(bad, 0);
        return;
      }
      this.stats.totalCommandsProcessed++;
      this.stats.command(def.name).calls++;
      this.proposeCommand(db, def, inner, done, id, undefined, argv[1].toString('latin1'));
      return;
    }
    if (argv[0]?.equals(ACL_OP)) {
      // An ACL change from a follower (checked there against its client's user).
      this.proposeRawOp(argv, done, id);
      return;
    }
    if (argv[0]?.equals(BLOCK_CANCEL) && argv.length === 2) {
      this.blocking.cancel(argv[1].toString('latin1'));
      done(OK, 0);
      return;
    }
    if (argv[0]?.equals(BLOCK_FORWARD) && argv.length >= 3) {
      const inner = argv.slice(2);
      const blockDef = this.table.get(inner[0].toString('latin1').toLowerCase());
      if (blockDef?.kind !== 'data' || !blockDef.blocking) {
        done(new ErrorReply('ERR malformed forwarded blocking command'), 0);
        return;
      }
      const bad = this.refuseWrite(blockDef, inner);
      if (bad) {
        done(bad, 0);
        return;
      }
      this.stats.totalCommandsProcessed++;
      this.stats.command(blockDef.name).calls++;
      this.proposeCommand(db, blockDef, inner, done, id, argv[1].toString('latin1'));
      return;
    }
    if (name.startsWith('raft.') && this.forwardedAdmin) {
      this.forwardedAdmin(argv, (reply) => done(reply, 0));
      return;
    }
    if (def === undefined || def.kind !== 'data' || !def.flags.includes('write')) {
      done(new ErrorReply(`ERR cannot forward '${name}'`), 0);
      return;
    }
    const bad = this.refuseWrite(def, argv);
    if (bad) {
      done(bad, 0);
      return;
    }
    this.stats.totalCommandsProcessed++;
    this.stats.command(def.name).calls++;
    this.proposeCommand(db, def, argv, done, id);
  }

  /**
   * A replicated change that is not a client's command (ACL SETUSER ...):
   * forwarded to the leader from a follower, else logged here. `done` gets
   * the reply the state machine computed.
   */
  submitInternalOp(argv: Buffer[], proto: 2 | 3, done: (reply: Reply) => void): void {
    if (this.cluster?.diskError) {
      done(misconf(this.cluster.diskError));
      return;
    }
    if (this.cluster?.shouldForward()) {
      this.cluster.forward(0, argv, proto, done);
      return;
    }
    this.proposeRawOp(argv, (reply) => done(reply));
  }

  private proposeRawOp(argv: Buffer[], done: (reply: Reply, index: number) => void, id?: RequestId): void {
    if (this.cluster?.diskError) {
      done(misconf(this.cluster.diskError), 0);
      return;
    }
    const op = { kind: OpKind.Command as const, ts: this.clusterNow(), db: 0, clientId: id?.clientId ?? 0, seq: id?.seq ?? 0, ackedBelow: id?.ackedBelow ?? 0, argv };
    if (this.cluster) this.cluster.proposeData(encodeOp(op), done);
    else this.replicator.propose(op, (reply) => done(reply, 0));
  }

  /** A blocking command of this node's client: to the leader, or parked here when this node leads. */
  private submitBlocking(db: number, cmd: DataCommand, argv: Buffer[], token: string, timeoutMs: number, proto: 2 | 3, done: (reply: Reply) => void): void {
    if (this.cluster?.shouldForward()) {
      this.cluster.forward(db, [BLOCK_FORWARD, Buffer.from(token, 'latin1'), ...argv], proto, done, timeoutMs === 0 ? FOREVER_MS : timeoutMs, true);
      return;
    }
    this.proposeCommand(db, cmd, argv, (reply) => done(reply), undefined, token);
  }

  /** A write the server itself makes on no client's behalf (a blocked client's elements pushed back). */
  private proposeInternal(db: number, argv: Buffer[]): void {
    const cmd = this.table.get(argv[0].toString('latin1').toLowerCase());
    if (cmd?.kind !== 'data') return;
    const logFailure = (reply: Reply) => {
      if (reply instanceof ErrorReply) this.log.warn({ cmd: cmd.name, err: reply.message }, 'internal write failed');
    };
    if (this.cluster?.shouldForward()) this.cluster.forward(db, argv, 2, logFailure);
    else this.proposeCommand(db, cmd, argv, logFailure);
  }

  /**
   * EXEC: the queued commands become one log entry, applied atomically on
   * every node; WATCHed versions are compared at apply (nil array if any
   * changed). Followers forward the whole transaction to the leader.
   */
  exec(conn: ClientConnection): Reply | DeferredReply {
    const commands = conn.multi ?? [];
    const failed = conn.multiFailed;
    const watches = conn.watches;
    conn.multi = null;
    conn.multiFailed = false;
    conn.watches = [];
    if (failed) return new ErrorReply('EXECABORT Transaction discarded because of previous errors.');
    if (this.cluster?.diskError) return misconf(this.cluster.diskError);
    const db = conn.db;
    return new DeferredReply((settle) => {
      const done = (reply: Reply): void => {
        this.noteWritten(conn);
        settle(reply);
      };
      if (this.cluster?.shouldForward()) {
        const payload = encodeOp({ kind: OpKind.Multi, ts: 0, db, clientId: 0, seq: 0, commands, watches });
        this.cluster.forward(db, [MULTI_FORWARD, payload], conn.proto, done);
        return;
      }
      this.proposeTransaction(db, commands, watches, (reply) => done(reply));
    });
  }

  private proposeTransaction(
    db: number,
    commands: Buffer[][],
    watches: WatchedKey[],
    done: (reply: Reply, index: number) => void,
    id?: RequestId,
  ): void {
    const ts = this.clusterNow();
    const logged = commands.map((argv) => {
      const c = this.table.data(argv[0].toString('latin1').toLowerCase());
      return c?.rewrite ? c.rewrite(argv, ts) : argv;
    });
    this.cluster!.proposeData(
      encodeOp({ kind: OpKind.Multi, ts, db, clientId: id?.clientId ?? 0, seq: id?.seq ?? 0, ackedBelow: id?.ackedBelow ?? 0, commands: logged, watches }),
      done,
    );
  }

  /** Set by the cluster admin commands: runs a forwarded RAFT.* command on the leader. */
  forwardedAdmin: ((argv: Buffer[], done: (reply: Reply) => void) => void) | undefined;
  /** Per-command latency histograms for /metrics; set by main.ts only when --metrics-port is on. */
  metricsLatency: CommandLatency | undefined;
  /** SHUTDOWN: stop the process as SIGTERM does (set by main.ts; unset in embedded servers, where SHUTDOWN is refused). */
  onShutdown: (() => void) | undefined;

  /** Counts error replies per command (failed_calls) on their way out. */
  private counted(name: string, reply: Reply): Reply {
    // Errors nested in an array (EXEC, scripts) count in errorstats, not as the command's failure.
    if (this.stats.countErrors(reply, NESTED_ERRORS.has(name))) this.stats.command(name).failedCalls++;
    return reply;
  }

  private reject(conn: ClientConnection, err: ErrorReply): void {
    this.stats.countErrors(err);
    conn.reply(err);
  }

  /**
   * Only the leader deletes expired keys, by proposing deletes that every
   * node applies (replicas never expire keys on their own, as in Redis).
   */
  private activeExpire(): void {
    this.locks.tick(Date.now());
    if (this.cluster && !this.cluster.isLeader()) {
      if (this.blocking.size > 0) this.blocking.failAll();
      return;
    }
    this.evictor.admit(); // e.g. after CONFIG SET maxmemory lowered the limit
    if (!this.activeExpireEnabled || this.clientPause.paused) return; // Redis expires nothing while writes are paused
    const now = Date.now();
    this.keyspace.dbs.forEach((db, dbIndex) => {
      for (const key of db.expiredCandidates(now, ACTIVE_EXPIRE_KEYS_PER_DB)) {
        const tag = `${dbIndex}:${key}`;
        if (this.expiring.has(tag)) continue;
        this.expiring.add(tag);
        const ts = this.clusterNow();
        this.replicator.propose(
          { kind: OpKind.Expire, ts, db: dbIndex, clientId: 0, seq: 0, key: Buffer.from(key, 'latin1') },
          (reply) => {
            this.expiring.delete(tag);
            if (reply === 1) this.stats.expiredKeys++;
          },
        );
      }
    });
  }
}
