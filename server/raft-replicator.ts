import { randomBytes } from 'node:crypto';
import { ErrorReply, RawReply, type Reply } from '../protocol/reply';
import { encodeReply } from '../protocol/encoder';
import { errClusterDown, errTryAgain } from '../protocol/errors';
import {
  ConfChangeType,
  EntryType,
  MessageType,
  RaftError,
  RaftNode,
  Role,
  decodeConfChange,
  defaultRaftConfig,
  encodeConfChange,
  seededRandom,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type Ready,
  type SnapshotMeta,
  type Status,
} from './raft';
import { Snapshots } from './node/snapshots';
import { Membership } from './node/membership';
import { KeyspaceCopy } from './node/keyspace-copy';
import { Compaction, KEYSPACE_FLUSH_MS, type PersistenceInfo } from './node/compaction';
import { compactionPoint, type NodeStore, type NodeWriteBatch, type StoreChange, type StoreRecord } from './node/store';
import { NodeState } from './node/state';
import { Forwarder, type ForwardHandler, type RequestId } from './node/forwarder';
import { Proposals } from './node/proposals';
import { FAILPOINT_LOCAL_READS, ReadBarriers, type ReadMode } from './node/read-barriers';
import { ERR_OUTCOME_UNKNOWN, misconf, raftErrorReply } from './node/errors';
import { PeerTransport } from './transport/peer-transport';
import { DEFAULT_MAX_MESSAGE_BYTES, type Frame } from './transport/frames';
import { decodeForward, encodeForwardPublish, encodeForwardReply, encodeForwardRequest, type PeerPubSubHandler } from './forwarding';
import type { StateMachine } from './fsm';
import { MEMBERS_KEY, RESERVED_DB, SESSIONS_KEY, type Keyspace } from './keyspace';
import type { Logger } from './log';
import { decodeOp, encodeOp, type LogOp } from './logop';
import { decodeMembers, encodeMembers, type ClusterMember } from './members';
import type { Replicator } from './replicator';
import { isProbePayload, RejoinGuard, type ProbeAnswer, type RejoinLeader } from './node/rejoin';


/**
 * Readies being persisted at once. The loop supports pipelining (the next
 * batch appended while the previous fsync runs), but on this 2-core machine
 * one at a time measured better: proposals pile up into fewer, larger
 * batches (durable SET -c 50 at the leader: ~6.6-7.3k/s with 1 vs ~5.0-5.6k/s
 * with 4, load ~4.5, interleaved runs). Revisit on machines with spare cores.
 */
const MAX_INFLIGHT_READIES = 1;
/**
 * A Ready carrying at least SLOW_READY_BYTES of entries and still persisting
 * after SLOW_READY_MS (a huge value) lets up to MAX_INFLIGHT_READIES_SLOW
 * start behind it, so heartbeats and their answers keep flowing and the write
 * does not cost an election. Each heartbeat round takes one, so the bound
 * must cover an fsync of seconds. Small batches keep one Ready at a time.
 */
const SLOW_READY_MS = 150;
const SLOW_READY_BYTES = 1024 * 1024;
const MAX_INFLIGHT_READIES_SLOW = 32;

/** How long start() waits to apply the log it knows committed before the node serves anyway. */
const STARTUP_CATCH_UP_MS = 10_000;

export interface RaftReplicatorOptions {
  id: number;
  log: Logger;
  fsm: StateMachine;
  keyspace: Keyspace;
  storage: NodeStore;
  /** Bootstrap membership (used when the data directory is new). */
  members: ClusterMember[];
  /** This node starts outside the bootstrap membership and waits to be added. */
  join: boolean;
  secret: string;
  peerListen: { host: string; port: number };
  /** TLS with verified certificates on peer links (tls-cluster yes). */
  peerTls?: { key: Buffer; cert: Buffer; ca: Buffer };
  tickMs: number;
  electionTicks: number;
  heartbeatTicks: number;
  writeTimeoutMs: number;
  snapshotEntries: number;
  logTail: number;
}

/**
 * The node driver: the only asynchronous layer around the pure Raft core.
 * Timers drive tick(); the Ready loop persists (one LMDB transaction and
 * fsync per Ready), sends, applies and answers clients. Followers forward
 * writes to the leader; reads may wait for a lease or ReadIndex barrier.
 */
export class RaftReplicator implements Replicator {
  readonly id: number;
  /** The state the driver's parts share (server/node/state.ts). */
  private readonly node: NodeState;
  private readonly proposals: Proposals;
  private readonly reads: ReadBarriers;
  private readonly forwarder: Forwarder;
  private readonly snapshots: Snapshots;
  private readonly membership: Membership;
  private readonly copy: KeyspaceCopy;
  private readonly compaction: Compaction;
  readonly transport: PeerTransport | undefined;
  private readonly log: Logger;
  private readonly fsm: StateMachine;
  private readonly keyspace: Keyspace;
  readonly storage: NodeStore;
  private readonly opts: RaftReplicatorOptions;
  readonly members: Map<number, ClusterMember>;
  private lastVote = -1;
  /** The newest hard state from the core (persisted lazily when only commit moved). */
  private latestHardState: HardState | undefined;

  private readonly batchCallbacks: Array<() => void> = [];

  private tickTimer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private readyScheduled = false;
  /** Keeps a voter that lost its data from voting until it is re-added (server/node/rejoin.ts). */
  readonly recovery: RejoinGuard;


  constructor(opts: RaftReplicatorOptions) {
    this.opts = opts;
    this.id = opts.id;
    this.log = opts.log;
    this.fsm = opts.fsm;
    this.keyspace = opts.keyspace;
    this.storage = opts.storage;
    const peers = opts.members.filter((m) => m.id !== opts.id);
    if (peers.length > 0 || opts.join) {
      this.transport = new PeerTransport({
        id: opts.id,
        listen: opts.peerListen,
        peers: new Map(peers.map((m) => [m.id, { host: m.host, port: m.peerPort }])),
        secret: opts.secret,
        log: opts.log,
        tls: opts.peerTls,
      });
    }
    this.node = new NodeState(opts.id, opts.log, opts.fsm, opts.keyspace, opts.storage, this.transport);
    this.members = this.node.members;
    this.copy = new KeyspaceCopy(this.node, { members: opts.members, peerListen: opts.peerListen });
    this.proposals = new Proposals(this.node, { writeTimeoutMs: opts.writeTimeoutMs, scheduleReady: () => this.scheduleReady() });
    this.reads = new ReadBarriers(this.node, { writeTimeoutMs: opts.writeTimeoutMs, scheduleReady: () => this.scheduleReady() });
    this.membership = new Membership(this.node, {
      tickMs: opts.tickMs,
      electionTicks: opts.electionTicks,
      awaitApply: (index, term, done) => this.proposals.awaitApply(index, term, done),
      scheduleReady: () => this.scheduleReady(),
    });
    this.forwarder = new Forwarder(this.node, {
      writeTimeoutMs: opts.writeTimeoutMs,
      waitApplied: (index, fn) => this.reads.waitApplied(index, fn),
      onProbe: (from, payload) => this.recovery.onPeerPayload(from, payload, () => this.membership.probeAnswer(from)),
    });
    this.recovery = new RejoinGuard({
      id: this.id,
      log: this.log,
      address: () => {
        const m = this.node.members.get(this.id);
        return m ? `${m.host}:${m.port}:${m.peerPort}` : '-';
      },
      confState: () => this.node.conf,
      appliedIndex: () => this.fsm.appliedIndex,
      leaderId: () => this.node.leader,
      setVoting: (allowed) => this.node.raft.setVoting(allowed),
      sendPeer: (to, payload) => void this.transport?.send(to, { type: 'forward', payload }),
      askLeader: (argv, done) => this.forward(0, argv, 2, done),
    });
    this.snapshots = new Snapshots(this.node, {
      scheduleReady: () => this.scheduleReady(),
      step: (m) => this.onRaftMessage(m),
      reloadKeyspace: () => this.copy.load(),
      syncTransportPeers: () => this.membership.syncTransportPeers(),
    });
    this.compaction = new Compaction(this.node, {
      logTail: opts.logTail,
      snapshotEntries: opts.snapshotEntries,
      scheduleReady: () => this.scheduleReady(),
      compactionFloor: () => this.snapshots.compactionFloor(),
    });
  }

  // ------------------------------------------------------------------ start

  /** Loads the durable keyspace, builds the core and starts ticking and listening. */
  async start(): Promise<void> {
    const meta = await this.copy.restore();
    const random = seededRandom(randomBytes(4).readUInt32LE(0));
    this.node.raft = new RaftNode(
      defaultRaftConfig(this.id, random, {
        electionTicks: this.opts.electionTicks,
        heartbeatTicks: this.opts.heartbeatTicks,
        applied: meta.index,
        conf: meta.conf,
      }),
      this.storage.log,
      this.storage.stable.hardState(),
    );
    const hs = this.storage.stable.hardState();
    this.node.durableIndex = this.storage.log.lastIndex();
    // Before the first tick or message: a voter that lost its data must not vote.
    const last = this.storage.log.lastIndex();
    this.recovery.begin(this.copy.freshStart && hs.term === 0 && last === 0, !this.copy.freshStart && hs.commit > Math.max(last, meta.index), this.opts.join);
    this.node.lastTerm = hs.term;
    this.lastVote = hs.vote;
    if (this.transport) {
      this.transport.onFrame((from, frame) => this.onFrame(from, frame));
      this.transport.onPeerState((peer, connected) => {
        if (!connected && this.node.role === Role.Leader) this.node.raft.reportUnreachable(peer);
        if (connected) this.recovery.onPeerConnected(peer);
      });
      await this.transport.start();
      for (const m of this.node.members.values()) if (m.id !== this.id) this.transport.addPeer(m.id, { host: m.host, port: m.peerPort });
    }
    this.tickTimer = setInterval(() => this.onTick(), this.opts.tickMs);
    this.flushTimer = setInterval(() => this.compaction.maybeFlushKeyspace(), KEYSPACE_FLUSH_MS / 2);
    // A one-voter cluster elects itself at once instead of waiting a timeout.
    const soleVoter = this.node.conf.voters.length === 1 && this.node.conf.voters[0] === this.id;
    if (soleVoter) this.node.raft.campaign();
    this.scheduleReady();
    await this.catchUpLocally(soleVoter ? this.storage.log.lastIndex() : hs.commit);
    this.log.info({ id: this.id, applied: meta.index, voters: this.node.conf.voters, learners: this.node.conf.learners }, 'raft node started');
    if (FAILPOINT_LOCAL_READS) this.log.warn('FAILPOINT linearizable-reads-local: lease and linearizable reads are NOT linearizable (tests only)');
  }

  /**
   * Like Redis loading its AOF before it serves: apply what this node knows
   * to be committed before clients can read. A one-voter cluster commits its
   * whole log as soon as it has re-elected itself, so it waits for all of it:
   * every write it acknowledged before a restart is readable once it listens.
   * A member of a larger cluster applies up to its stored commit index here
   * and catches up on the rest from the leader (local reads may lag; lease
   * and linearizable reads never do).
   */
  private async catchUpLocally(target: number): Promise<void> {
    if (this.storage.readOnly || this.fsm.appliedIndex >= target) return;
    let timer: NodeJS.Timeout | undefined;
    const applied = await Promise.race([
      new Promise<boolean>((resolve) => this.waitApplied(target, () => resolve(true))),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), STARTUP_CATCH_UP_MS))),
    ]);
    clearTimeout(timer);
    if (!applied) this.log.warn({ target, applied: this.fsm.appliedIndex }, 'still applying the log after start; serving anyway');
  }

  async close(): Promise<void> {
    this.node.closed = true;
    this.recovery.close();
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.flushTimer) clearInterval(this.flushTimer);
    const aborting = this.snapshots.close();
    if (aborting) await aborting;
    await this.transport?.close();
    await this.readyChain;
    // Write the keyspace copy so the next start replays little.
    if (!this.node.diskError) {
      const changes = this.copy.collectChanges();
      if (changes.length > 0) await this.storage.writeBatch({ keyspace: { changes, meta: this.copy.appliedMeta() } }).catch(() => undefined);
    }
    await this.storage.close();
  }

  // ------------------------------------------------------------------ status

  /** Set while the disk refuses writes; writes are answered -MISCONF meanwhile. */
  get diskError(): Error | undefined {
    return this.node.diskError;
  }

  status(): Status {
    return this.node.raft.status();
  }

  isLeader(): boolean {
    return this.node.role === Role.Leader;
  }

  leaderId(): number {
    return this.node.leader;
  }

  confState(): ConfState {
    return this.node.conf;
  }

  appliedIndex(): number {
    return this.fsm.appliedIndex;
  }

  /** The leader's side of RAFT.NODE REJOIN (server/node/rejoin.ts). */
  rejoinLeader(): RejoinLeader {
    return this.membership.rejoinLeader();
  }

  // ------------------------------------------------------------------ writes

  onBatchApplied(cb: () => void): void {
    this.batchCallbacks.push(cb);
  }

  setForwardHandler(h: ForwardHandler): void {
    this.forwarder.setForwardHandler(h);
  }

  /** Who handles pub/sub frames from peers (relayed PUBLISH, cluster-wide PUBSUB queries): server/pubsub-peers.ts. */
  setPubSubHandler(h: PeerPubSubHandler): void {
    this.forwarder.setPubSubHandler(h);
  }

  /** Relays a PUBLISH to every peer (best effort, like Redis Cluster's bus); each delivers locally. */
  broadcastPublish(channel: Buffer, message: Buffer): void {
    this.forwarder.broadcastPublish(channel, message);
  }

  propose(op: LogOp, done: (reply: Reply) => void): void {
    this.proposeData(encodeOp(op), (reply) => done(reply));
  }

  /** Proposes encoded op bytes on the leader; `done` gets the applied reply and its index. */
  proposeData(data: Buffer, done: (reply: Reply, index: number) => void): void {
    this.proposals.proposeData(data, done);
  }

  /**
   * A write this node cannot propose itself: forward it to the leader, or
   * queue it until one is known (failing after write-timeout-ms).
   */
  forward(db: number, argv: Buffer[], proto: 2 | 3, done: (reply: Reply) => void, extraTimeoutMs = 0, longWait = false): void {
    this.forwarder.forward(db, argv, proto, done, extraTimeoutMs, longWait);
  }

  /** Whether this node should hand client writes to another node. */
  shouldForward(): boolean {
    return this.node.role !== Role.Leader;
  }

  // ------------------------------------------------------------------ reads

  /**
   * Calls `done(null)` once a read in `mode` may be served from the local
   * applied state, or `done(error)`.
   */
  readBarrier(mode: ReadMode, done: (err: ErrorReply | null) => void): void {
    this.reads.readBarrier(mode, done);
  }

  /** Runs fn once this node has applied `index`. */
  waitApplied(index: number, fn: () => void): void {
    this.reads.waitApplied(index, fn);
  }

  // ------------------------------------------------------------------ admin

  /** Proposes a membership change on the leader; resolves with OK once applied. */
  proposeConfChange(cc: ConfChange, done: (reply: Reply) => void): void {
    this.membership.proposeConfChange(cc, done);
  }

  addNode(member: ClusterMember, done: (reply: Reply) => void): void {
    this.membership.addNode(member, done);
  }

  promoteNode(id: number, done: (reply: Reply) => void): void {
    this.membership.promoteNode(id, done);
  }

  removeNode(id: number, done: (reply: Reply) => void): void {
    this.membership.removeNode(id, done);
  }

  transferLeader(target: number, done: (reply: Reply) => void): void {
    this.membership.transferLeader(target, done);
  }

  /** Leader only: how many other members (voters and learners) have the log up to `index` on disk. */
  replicasHaving(index: number): number {
    return this.membership.replicasHaving(index);
  }

  /** The most up-to-date voter other than this node (for TRANSFER_LEADER without an id). */
  bestTransferTarget(): number {
    return this.membership.bestTransferTarget();
  }

  /**
   * SAVE / BGSAVE: write the durable keyspace copy (this node's snapshot) now
   * and compact the log behind it. One at a time, as Redis runs one bgsave.
   */
  saveNow(): Promise<void> {
    return this.compaction.saveNow();
  }

  /** BGSAVE SCHEDULE: one more save once the running one is done (at most one waits). */
  scheduleSave(): void {
    this.compaction.scheduleSave();
  }

  /** For INFO persistence and LASTSAVE: the durable keyspace copy is this node's snapshot. */
  persistence(): PersistenceInfo {
    return this.compaction.persistence();
  }

  /** Writes the durable keyspace now and compacts the log behind it. */
  compactNow(): Promise<{ upTo: number }> {
    return this.compaction.compactNow();
  }

  // ------------------------------------------------------------------ timers

  private onTick(): void {
    if (this.node.closed) return;
    this.node.raft.tick();
    const now = Date.now();
    this.expireDeadlines(now);
    this.snapshots.tick(now, this.node.role === Role.Leader);
    this.forwarder.retryUnsentForwards();
    this.scheduleReady();
  }

  private expireDeadlines(now: number): void {
    this.proposals.expire(now);
    this.forwarder.expire(now);
    this.reads.expire(now);
    this.membership.expire(now);
  }

  // ------------------------------------------------------------------ messages

  private onFrame(from: number, frame: Frame): void {
    if (this.node.closed) return;
    switch (frame.type) {
      case 'raft':
        this.onRaftMessage(frame.message);
        break;
      case 'forward':
        this.forwarder.onForward(from, frame.payload);
        break;
      case 'snapshot-chunk':
        this.snapshots.onChunk(from, frame.index, frame.term, frame.data, frame.seq);
        break;
      default:
        break;
    }
  }

  private onRaftMessage(m: Message): void {
    // Only step a snapshot whose data we hold staged; the core decides whether to install it.
    if (m.type === MessageType.Snap && !this.snapshots.admit(m)) return;
    try {
      this.node.raft.step(m);
    } catch (err) {
      this.log.error({ err, type: m.type, from: m.from }, 'raft step failed');
    }
    this.scheduleReady();
  }

  /** Each message on its own: one that cannot be sent is logged and left to Raft to retry, never stopping the Ready loop. */
  private send(messages: readonly Message[]): void {
    if (!this.transport) return;
    for (const m of messages) {
      try {
        if (m.type === MessageType.Snap) {
          this.snapshots.send(m);
          continue;
        }
        if (!this.transport.send(m.to, { type: 'raft', message: m })) this.node.raft.reportUnreachable(m.to);
      } catch (err) {
        this.log.error({ err, type: MessageType[m.type], to: m.to, entries: m.entries.length }, 'sending a raft message failed');
        try {
          if (m.type === MessageType.Snap) this.node.raft.reportSnapshot(m.to, false);
          else this.node.raft.reportUnreachable(m.to);
        } catch {
          // reporting is best effort: the core retries on the next heartbeat anyway
        }
      }
    }
  }

  // ------------------------------------------------------------------ ready loop

  private scheduleReady(): void {
    if (this.readyScheduled || this.node.closed) return;
    this.readyScheduled = true;
    setImmediate(this.runReady);
  }

  private readonly runReady = (): void => {
    this.readyScheduled = false;
    if (this.node.closed) return;
    try {
      this.readyLoop();
    } catch (err) {
      this.log.error({ err }, 'ready loop failed');
    }
  };

  /**
   * Takes Readies while fewer than MAX_INFLIGHT_READIES are being persisted:
   * the core allows ready() before the previous advance(), so the next batch
   * is appended (and its App messages sent) while the previous fsync runs.
   * Each Ready finishes (late messages, apply, advance) strictly in order.
   */
  private readyLoop(): void {
    for (;;) {
      if (this.node.closed) return;
      if (this.inflightReadies >= MAX_INFLIGHT_READIES) {
        // Not while the disk refuses: the Ready is retrying, not slow, and more writes would only queue behind it.
        const oldest = this.readyStarts[0];
        const slow =
          !this.node.diskError &&
          this.inflightReadies < MAX_INFLIGHT_READIES_SLOW &&
          oldest.bytes >= SLOW_READY_BYTES &&
          Date.now() - oldest.at > SLOW_READY_MS;
        if (!slow) return;
      }
      this.proposals.submitProposals();
      this.reads.submitReadIndex();
      const has = this.node.raft.hasReady();
      if (!has && !this.node.forceKeyspaceFlush) return;
      this.startReady(has ? this.node.raft.ready() : undefined);
    }
  }

  private inflightReadies = 0;
  /** When each in-flight Ready started and the entry bytes it persists, oldest first (they finish in order). */
  private readonly readyStarts: Array<{ at: number; bytes: number }> = [];
  /** Committed entries waiting for an in-flight Ready to finish before they can be applied in order. */
  private pendingApplies = 0;
  /** In-flight Readies whose write carries a new term or vote (nothing may be sent early until it is durable). */
  private pendingTermWrites = 0;
  /** In-flight Readies installing a snapshot (nothing is applied ahead of one). */
  private pendingSnapshots = 0;
  /** In-flight Readies whose entries wait in the chain instead of being written at once. */
  private deferredEntryWrites = 0;
  private readyChain: Promise<void> = Promise.resolve();

  private hasWork(): boolean {
    return !this.node.closed && (this.proposals.hasPending() || this.reads.hasBatch() || this.node.forceKeyspaceFlush || this.node.raft.hasReady());
  }

  private startReady(rd: Ready | undefined): void {
    this.inflightReadies++;
    let bytes = 0;
    if (rd) for (const e of rd.entries) bytes += e.data.byteLength;
    this.readyStarts.push({ at: Date.now(), bytes });
    if (rd?.softState) this.onSoftState(rd.softState.leader, rd.softState.role);
    const leader = this.node.role === Role.Leader;
    let late: Message[] = [];
    // A new term or vote must be durable before any message goes out.
    let termChanged = false;
    if (rd) {
      if (rd.hardState) {
        termChanged = rd.hardState.term !== this.node.lastTerm || rd.hardState.vote !== this.lastVote;
        this.node.lastTerm = rd.hardState.term;
        this.lastVote = rd.hardState.vote;
      }
      if (!termChanged && this.pendingTermWrites === 0) {
        // A heartbeat's answer claims nothing about what is on disk: it need not wait for the fsync.
        const early: Message[] = [];
        for (const m of rd.messages) {
          const t = m.type;
          if (t === MessageType.HeartbeatResp || (leader && (t === MessageType.App || t === MessageType.Heartbeat || t === MessageType.Snap))) early.push(m);
          else late.push(m);
        }
        this.send(early);
      } else {
        late = rd.messages as Message[];
      }
    }
    if (termChanged) this.pendingTermWrites++;
    // Committed entries already on our disk are applied now, unless an
    // earlier Ready still holds committed entries (apply stays in order).
    let committed: readonly Entry[] = rd ? rd.committedEntries : [];
    if (!rd?.snapshot && this.pendingSnapshots === 0 && this.pendingApplies === 0 && committed.length > 0 && committed[0].index <= this.node.durableIndex) {
      let n = 0;
      while (n < committed.length && committed[n].index <= this.node.durableIndex) n++;
      this.applyEntries(committed.slice(0, n));
      committed = committed.slice(n);
    }
    const holdsApplies = committed.length > 0;
    if (holdsApplies) this.pendingApplies++;
    const snapshot = rd?.snapshot;
    if (snapshot) this.pendingSnapshots++;
    const snapStepped = this.snapshots.takeStepped();
    const flushKeyspace = this.node.forceKeyspaceFlush || this.node.membersDirty;
    this.node.forceKeyspaceFlush = false;
    // A Ready whose only change is the commit index needs no fsync (etcd's
    // mustSync): the commit index is recoverable from the leader. It is
    // written with the next entries or keyspace flush, which keeps the stored
    // commit at or above the durable keyspace's applied index.
    if (rd?.hardState) this.latestHardState = rd.hardState;
    const mustWrite = rd !== undefined && (rd.entries.length > 0 || termChanged);
    // Entries start persisting right away (the storage queue keeps submission
    // order), unless an earlier Ready's entries are still waiting for their
    // turn (after a snapshot install), which they must not overtake.
    const deferEntries = mustWrite && (snapshot !== undefined || this.pendingSnapshots > 0 || this.deferredEntryWrites > 0);
    if (deferEntries) this.deferredEntryWrites++;
    const entryBatch = { entries: rd && rd.entries.length > 0 ? (rd.entries as Entry[]) : undefined, hardState: this.latestHardState };
    const entryWrite = mustWrite && !deferEntries ? this.storage.writeBatch(entryBatch) : undefined;
    entryWrite?.catch(() => undefined); // retried in order below
    this.readyChain = this.readyChain
      .then(async () => {
        if (snapshot) await this.snapshots.installSnapshot(snapshot);
        else if (snapStepped) this.snapshots.dropStagedSnapshot();
        if (mustWrite) {
          await this.durableWrite(entryBatch, entryWrite);
          if (deferEntries) this.deferredEntryWrites--;
          if (rd && rd.entries.length > 0) this.node.durableIndex = rd.entries[rd.entries.length - 1].index;
        }
        if (flushKeyspace) {
          // The keyspace copy reflects what is applied when it is taken: its turn in the chain.
          await this.durableWrite({ hardState: this.latestHardState, keyspace: { changes: this.copy.collectChanges(), meta: this.copy.appliedMeta() } });
          this.compaction.keyspaceFlushed();
        }
        this.send(late);
        if (holdsApplies) {
          this.pendingApplies--;
          this.applyEntries(committed);
        }
        if (rd) {
          this.reads.onReadStates(rd.readStates);
          if (!this.node.closed) this.node.raft.advance(rd);
        }
      })
      .catch((err: unknown) => this.log.error({ err }, 'ready processing failed'))
      .finally(() => {
        if (termChanged) this.pendingTermWrites--;
        if (snapshot) this.pendingSnapshots--;
        this.inflightReadies--;
        this.readyStarts.shift();
        if (this.hasWork()) this.scheduleReady();
      });
  }

  /** One durable write; while the disk refuses, retry (the Ready cannot be skipped) and refuse new writes. */
  private async durableWrite(batch: NodeWriteBatch, started?: Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await (attempt === 0 && started ? started : this.storage.writeBatch(batch));
        if (this.node.diskError) {
          this.log.warn('disk writes succeed again; accepting writes');
          this.node.diskError = undefined;
        }
        return;
      } catch (err) {
        if (!this.node.diskError) this.log.error({ err }, 'disk write failed; refusing writes until it succeeds');
        this.node.diskError = err as Error;
        this.proposals.failQueuedWrites();
        if (this.node.closed) throw err;
        // The store refuses a commit before LMDB could meet ENOSPC (storage/disk-reserve.ts), so
        // retrying is harmless; it succeeds once the disk has room for the reserve again.
        await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** Math.min(attempt, 5))));
      }
    }
  }

  private applyEntries(entries: readonly Entry[]): void {
    for (const e of entries) {
      let reply: Reply = null;
      if (e.type === EntryType.ConfChange) {
        reply = this.membership.applyConfChange(e);
      } else if (e.data.byteLength === 0) {
        this.fsm.applyEmpty(e.index);
      } else {
        try {
          reply = this.fsm.apply(e.index, decodeOp(e.data));
        } catch (err) {
          this.log.error({ err, index: e.index }, 'undecodable log entry');
          this.fsm.applyEmpty(e.index);
          reply = new ErrorReply('ERR internal error: undecodable log entry');
        }
        this.compaction.countChange();
      }
      this.node.appliedTerm = e.term;
      this.proposals.onApplied(e, reply);
      this.reads.runApplyWaiters();
    }
    if (this.recovery.state !== 'none') this.recovery.onApplied();
    for (const cb of this.batchCallbacks) cb();
  }

  private onSoftState(leader: number, role: Role): void {
    this.node.role = role;
    this.node.leader = leader;
    this.log.info({ leader, role }, 'raft role changed');
    this.reads.onLeaderChange();
    this.membership.onLeaderChange(leader);
    this.forwarder.onLeaderChange(leader);
    if (leader !== 0) {
      // Writes that waited for a leader: propose them here or forward them.
      this.proposals.onLeaderKnown(role);
      this.forwarder.retryUnsentForwards();
    }
  }
}

export { misconf };
export type { ReadMode, ForwardHandler, RequestId };
