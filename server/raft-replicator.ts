import { randomBytes } from 'node:crypto';
import type { ErrorReply, Reply } from '../protocol/reply';
import { MessageType, RaftNode, Role, defaultRaftConfig, seededRandom, type ConfChange, type ConfState, type Message, type Status } from './raft';
import type { PeerPubSubHandler } from './forwarding';
import type { StateMachine } from './fsm';
import type { Keyspace } from './keyspace';
import type { Logger } from './log';
import { encodeOp, type LogOp } from './logop';
import type { ClusterMember } from './members';
import type { Replicator } from './replicator';
import { PeerTransport } from './transport/peer-transport';
import type { Frame } from './transport/frames';
import { Compaction, KEYSPACE_FLUSH_MS, type PersistenceInfo } from './node/compaction';
import { misconf } from './node/errors';
import { Forwarder, type ForwardHandler, type RequestId } from './node/forwarder';
import { KeyspaceCopy } from './node/keyspace-copy';
import { Membership } from './node/membership';
import { Proposals } from './node/proposals';
import { FAILPOINT_LOCAL_READS, ReadBarriers, type ReadMode } from './node/read-barriers';
import { ReadyLoop } from './node/ready-loop';
import { RejoinGuard, type RejoinLeader } from './node/rejoin';
import { Snapshots } from './node/snapshots';
import { NodeState } from './node/state';
import type { NodeStore } from './node/store';

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
 * Timers drive tick(); the Ready loop persists (entries appended to the
 * segment log, one fdatasync per Ready; term and vote to LMDB when they
 * change), sends, applies and answers clients; the durable keyspace copy is
 * written beside it (node/compaction.ts). Followers forward
 * writes to the leader; reads may wait for a lease or ReadIndex barrier.
 *
 * This class is the facade the rest of the server uses. Each job lives in
 * server/node/ and is handed only what it uses; this class wires them
 * together and routes timers and peer frames to them:
 *   ready-loop.ts     the Ready loop: durable write, send, apply, advance
 *   proposals.ts      the leader's write intake (batches, waiters by index)
 *   forwarder.ts      writes forwarded to the leader; `forward` frames
 *   read-barriers.ts  lease and ReadIndex reads, waitApplied
 *   snapshots.ts      snapshot transfer: send, receive, stage, install
 *   membership.ts     conf changes, members table, peer links, transfers
 *   keyspace-copy.ts  the durable keyspace copy: load, collect changes
 *   compaction.ts     when the copy is written, SAVE/BGSAVE, log compaction
 *   rejoin.ts         a voter that lost its data (RejoinGuard)
 *   state.ts          the state several jobs share; store.ts: the store type
 */
export class RaftReplicator implements Replicator {
  readonly id: number;
  readonly transport: PeerTransport | undefined;
  readonly storage: NodeStore;
  readonly members: Map<number, ClusterMember>;
  /** Keeps a voter that lost its data from voting until it is re-added (server/node/rejoin.ts). */
  readonly recovery: RejoinGuard;
  private readonly log: Logger;
  private readonly fsm: StateMachine;
  private readonly opts: RaftReplicatorOptions;
  /** The state the driver's parts share (server/node/state.ts). */
  private readonly node: NodeState;
  private readonly copy: KeyspaceCopy;
  private readonly proposals: Proposals;
  private readonly reads: ReadBarriers;
  private readonly membership: Membership;
  private readonly forwarder: Forwarder;
  private readonly snapshots: Snapshots;
  private readonly compaction: Compaction;
  private readonly ready: ReadyLoop;
  private tickTimer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(opts: RaftReplicatorOptions) {
    this.opts = opts;
    this.id = opts.id;
    this.log = opts.log;
    this.fsm = opts.fsm;
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
      flushSettled: () => this.compaction.flushSettled(),
    });
    this.compaction = new Compaction(this.node, {
      logTail: opts.logTail,
      snapshotEntries: opts.snapshotEntries,
      keyspaceBatch: () => this.ready.keyspaceBatch(),
      keyspaceBatchInTurns: () => this.ready.keyspaceBatchInTurns(),
      durableWrite: (batch) => this.ready.durableWrite(batch),
      installing: () => this.ready.installing(),
      compactionFloor: () => this.snapshots.compactionFloor(),
    });
    this.node.requestKeyspaceFlush = () => this.compaction.requestFlush();
    this.ready = new ReadyLoop(this.node, {
      proposals: this.proposals,
      reads: this.reads,
      snapshots: this.snapshots,
      membership: this.membership,
      copy: this.copy,
      compaction: this.compaction,
      recovery: this.recovery,
      onLeaderChange: (leader, role) => this.onLeaderChange(leader, role),
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
    this.ready.begin(hs);
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
    await this.ready.idle();
    await this.compaction.flushSettled();
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
    this.ready.onBatchApplied(cb);
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
    this.proposeData(encodeOp(op), (reply) => done(reply), op);
  }

  /** Proposes encoded op bytes on the leader; `done` gets the applied reply and its index; `op`: what `data` encodes (Proposals.proposeData). */
  proposeData(data: Buffer, done: (reply: Reply, index: number) => void, op?: LogOp): void {
    this.proposals.proposeData(data, done, op);
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
  /**
   * DEBUG RELOAD's second half: replaces the in-memory keyspace with the
   * durable copy, as a restart would, when that copy is of exactly the state
   * applied now (false otherwise: an entry was applied after the save).
   */
  reloadFromCopy(): boolean {
    if (this.storage.keyspace.snapshotMeta().index !== this.node.fsm.appliedIndex) return false;
    this.copy.load();
    return true;
  }

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

  private scheduleReady(): void {
    this.ready.scheduleReady();
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

  /** The role or leader changed (the Ready loop has updated the node state and logged it): each part reacts, in this order. */
  private onLeaderChange(leader: number, role: Role): void {
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
