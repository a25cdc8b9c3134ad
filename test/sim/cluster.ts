import {
  ConfChangeType,
  EntryType,
  MessageType,
  RaftError,
  Role,
  type ConfChange,
  type ConfState,
  type Entry,
  type Message,
  type NodeId,
  type ReadState,
  type Ready,
} from '../../server/raft/types';
import { Checker, Violation, overlayView } from './checker';
import { SimDisk, cloneConf, type SmState } from './disk';
import { EventQueue } from './event-queue';
import { Network, RELIABLE_NETWORK, describePartition, type Partition } from './network';
import type { CoreBinding, CoreStatus, SimCore } from './node-adapter';
import { swarmOptions, type SimOptions, type SwarmOverrides } from './options';
import { Prng } from './prng';
import {
  SimClient,
  decodeReadCtx,
  decodeWrite,
  describeOp,
  encodeReadCtx,
  encodeWrite,
  type ClientOp,
  type HistoryRecord,
  type Outcome,
  type ReadMode,
  type ReadOp,
  type WriteOp,
} from './workload';

/**
 * The simulator (TigerBeetle VOPR style). One seed drives everything: the
 * options (swarm), the network's fate for every message, the faults, the
 * clients and every core's election jitter, so a failing seed replays
 * exactly. Each node is a Raft core plus a SimDisk; the driver below follows
 * the Ready contract of server/raft/types.ts step by step, and a crash can
 * land between any two steps (everything not yet written to the disk is lost).
 *
 * The loop pops one event (a delivery, a tick, a finished disk write, a client
 * action, a fault decision), runs it, and checks the invariants; the checks
 * are incremental (they look at what the step changed), so "after every step"
 * costs little. After the fault phase, heal() makes the network reliable and
 * restarts every node; the cluster must then elect a leader and commit every
 * pending proposal within options.livenessBoundMs.
 */

type Event =
  | { kind: 'tick'; node: NodeId; incarnation: number }
  | { kind: 'deliver'; msg: Message; snapshot: SmState | undefined }
  | { kind: 'persisted'; node: NodeId; incarnation: number }
  | { kind: 'client'; client: number }
  | { kind: 'fault' }
  | { kind: 'restart'; node: NodeId }
  | { kind: 'unpartition'; partition: Partition }
  | { kind: 'heal' }
  | { kind: 'snapshot-status'; node: NodeId; incarnation: number; to: NodeId; ok: boolean }
  | { kind: 'liveness-check' };

interface InflightReady {
  rd: Ready;
  /** Its term/vote change is written with the rest, so its leader messages wait too. */
  held: boolean;
}

/** Driver state of one node: the durable disk, and (while up) the core and its volatile companions. */
class SimNode {
  core: SimCore | undefined;
  incarnation = 0;
  /**
   * Readies whose durable write is in progress (async disk), oldest first.
   * More than one only when the driver pipelines (takes the next Ready before
   * advancing the previous one, which the core allows); writes finish in order.
   */
  readonly inflight: InflightReady[] = [];
  /** The latest disk flush (group commit): writes queued before it starts join it. */
  flushStart = 0;
  flushEnd = 0;
  /** Index of the last committed entry handed out for applying (pipelined Readies hand out ahead of applying). */
  handedApply = 0;
  /** Highest commit this incarnation reported (commit-monotonic). */
  commit = 0;
  /** Entries up to here were compared with the canonical history. */
  checkedCommit = 0;
  /** Terms in which this node was seen leading and whose log was checked. */
  leaderChecked = -1;
  status: CoreStatus | undefined;
  /** Snapshot data received with Snap messages, by snapshot index. */
  readonly receivedSnapshots = new Map<number, SmState>();
  /** Read states waiting for applied >= index. */
  readonly waitingReads: Array<{ op: ReadOp; index: number }> = [];
  /** Inside drive(): guards against re-entrance. */
  driving = false;
  /** Removed from the membership (by a committed conf change); shut down later. */
  removed = false;
  decommissioned = false;

  constructor(
    readonly id: NodeId,
    readonly disk: SimDisk,
    readonly prng: Prng,
    readonly tickMs: number,
  ) {}

  get up(): boolean {
    return this.core !== undefined;
  }
}

export interface SimConfig {
  binding: CoreBinding;
  options?: SimOptions;
  overrides?: SwarmOverrides;
  /** Called with one line per event when tracing. */
  trace?: (line: string) => void;
}

export interface SimStats {
  steps: number;
  virtualMs: number;
  messages: number;
  dropped: number;
  elections: number;
  crashes: number;
  midReadyCrashes: number;
  partitions: number;
  confChanges: number;
  transfers: number;
  snapshots: number;
  compactions: number;
  writesAcked: number;
  readsServed: number;
  leaseReads: number;
  refused: number;
  timeouts: number;
  committed: number;
  maxTerm: number;
}

export interface SimResult {
  seed: number;
  options: SimOptions;
  violation: Violation | undefined;
  /** Virtual time at which the violation was detected. */
  at: number;
  stats: SimStats;
  history: HistoryRecord[];
}

const MAX_STEPS = 2_000_000;

export class Sim {
  readonly options: SimOptions;
  readonly checker = new Checker();
  readonly nodes = new Map<NodeId, SimNode>();
  readonly history: HistoryRecord[] = [];
  private readonly prng: Prng;
  private readonly network: Network;
  private readonly queue = new EventQueue<Event>();
  private readonly binding: CoreBinding;
  private readonly trace: ((line: string) => void) | undefined;
  private readonly clients: SimClient[] = [];
  private readonly bootstrapConf: ConfState;
  private now = 0;
  private phase: 'faults' | 'liveness' = 'faults';
  private healedAt = 0;
  private nextNodeId = 1;
  private nextValue = 1;
  private nextReadId = 1;
  /** Pending writes by "node:index", so an apply finds the client it acknowledges. */
  private readonly pendingWrites = new Map<string, WriteOp>();
  private readonly pendingReads = new Map<number, ReadOp>();
  private probe: WriteOp | undefined;
  private probeAcked = false;
  /** Nodes that appeared in some applied membership. */
  private readonly everMember = new Set<NodeId>();
  private newestConfIndex = 0;
  readonly stats: SimStats = {
    steps: 0,
    virtualMs: 0,
    messages: 0,
    dropped: 0,
    elections: 0,
    crashes: 0,
    midReadyCrashes: 0,
    partitions: 0,
    confChanges: 0,
    transfers: 0,
    snapshots: 0,
    compactions: 0,
    writesAcked: 0,
    readsServed: 0,
    leaseReads: 0,
    refused: 0,
    timeouts: 0,
    committed: 0,
    maxTerm: 0,
  };

  constructor(
    readonly seed: number,
    config: SimConfig,
  ) {
    this.options = config.options ?? swarmOptions(seed, config.overrides);
    this.binding = config.binding;
    this.trace = config.trace;
    this.prng = new Prng(seed);
    this.network = new Network(this.prng.fork(), this.options.net);
    const o = this.options;
    const voters: NodeId[] = [];
    const learners: NodeId[] = [];
    for (let i = 0; i < o.voters; i++) voters.push(this.nextNodeId++);
    for (let i = 0; i < o.learners; i++) learners.push(this.nextNodeId++);
    this.bootstrapConf = { voters, learners, votersOutgoing: [], learnersNext: [], autoLeave: false };
    for (const id of [...voters, ...learners]) {
      this.addNode(id);
      this.everMember.add(id);
    }
    for (let c = 1; c <= o.clients; c++) this.clients.push(new SimClient(c));
  }

  /** Run the fault phase, heal, and require convergence. Never throws: violations are returned. */
  run(): SimResult {
    let violation: Violation | undefined;
    try {
      for (const n of this.nodes.values()) this.start(n);
      for (const c of this.clients) this.schedule(this.clientDelay(), { kind: 'client', client: c.id });
      this.schedule(this.options.faultEveryMs, { kind: 'fault' });
      this.schedule(this.options.faultPhaseMs, { kind: 'heal' });
      while (this.stats.steps < MAX_STEPS) {
        const ev = this.queue.pop();
        if (ev === undefined) throw new Violation('liveness', 'no events left (every node stopped)');
        this.now = ev.at;
        this.stats.steps++;
        if (this.handle(ev.item)) break;
      }
      if (this.stats.steps >= MAX_STEPS) throw new Violation('liveness', `no convergence after ${MAX_STEPS} steps`);
    } catch (err) {
      violation = err instanceof Violation ? err : new Violation('core-error', errorText(err));
      this.log(`VIOLATION ${violation.message}`);
    }
    this.stats.virtualMs = Math.round(this.now);
    this.stats.committed = this.checker.commitIndex;
    return { seed: this.seed, options: this.options, violation, at: this.now, stats: this.stats, history: this.history };
  }

  // ---------------------------------------------------------------- events

  /** Returns true when the run is over (converged after heal). */
  private handle(ev: Event): boolean {
    switch (ev.kind) {
      case 'tick': {
        const n = this.nodes.get(ev.node)!;
        if (n.incarnation !== ev.incarnation || !n.core) return false;
        this.guard(n, () => n.core!.tick());
        this.afterInput(n);
        this.schedule(n.tickMs, { kind: 'tick', node: n.id, incarnation: n.incarnation });
        return false;
      }
      case 'deliver':
        this.deliver(ev.msg, ev.snapshot);
        return false;
      case 'persisted': {
        const n = this.nodes.get(ev.node)!;
        if (n.incarnation !== ev.incarnation || n.inflight.length === 0) return false;
        const { rd, held } = n.inflight[0]!;
        n.driving = true;
        let alive: boolean;
        try {
          this.persist(n, rd);
          if (held) for (const m of rd.messages) if (isLeaderSend(m)) this.send(n, m);
          alive = this.finishReady(n, rd);
        } finally {
          n.driving = false;
        }
        if (alive) this.drive(n);
        return false;
      }
      case 'client':
        this.clientStep(this.clients[ev.client - 1]!);
        return false;
      case 'fault':
        if (this.phase === 'faults') {
          this.faultStep();
          this.schedule(this.options.faultEveryMs, { kind: 'fault' });
        }
        return false;
      case 'restart': {
        const n = this.nodes.get(ev.node)!;
        if (!n.up && !n.decommissioned) this.start(n);
        return false;
      }
      case 'unpartition':
        this.network.remove(ev.partition);
        this.log(`partition ends: ${describePartition(ev.partition)}`);
        return false;
      case 'heal':
        this.heal();
        return false;
      case 'snapshot-status':
        this.snapshotStatus(ev.node, ev.incarnation, ev.to, ev.ok);
        return false;
      case 'liveness-check':
        return this.livenessCheck();
    }
  }

  // ---------------------------------------------------------------- nodes

  private addNode(id: NodeId): SimNode {
    const skew = this.options.clockSkew;
    const tickMs = this.options.tickMs * (1 + (this.prng.float() * 2 - 1) * skew);
    const n = new SimNode(id, new SimDisk(this.bootstrapConf), this.prng.fork(), tickMs);
    this.nodes.set(id, n);
    return n;
  }

  /** (Re)start a node from what its disk holds. */
  private start(n: SimNode): void {
    const o = this.options;
    const disk = n.disk;
    n.incarnation++;
    n.inflight.length = 0;
    n.flushStart = n.flushEnd = this.now;
    n.handedApply = disk.sm.applied;
    n.receivedSnapshots.clear();
    n.waitingReads.length = 0;
    n.leaderChecked = -1;
    const core = this.guard(n, () =>
      this.binding.create({
        config: {
          id: n.id,
          electionTicks: o.electionTicks,
          heartbeatTicks: o.heartbeatTicks,
          preVote: o.preVote,
          checkQuorum: o.checkQuorum,
          leaseDriftTicks: o.leaseDriftTicks,
          maxInflightMsgs: o.maxInflightMsgs,
          maxInflightBytes: o.maxMsgBytes * o.maxInflightMsgs,
          maxMsgBytes: o.maxMsgBytes,
          maxUncommittedBytes: o.maxUncommittedBytes,
          maxCommittedBytesPerReady: o.maxCommittedBytesPerReady,
          applied: disk.sm.applied,
          conf: cloneConf(disk.sm.conf),
          random: n.prng.fork(),
        },
        log: disk,
        hardState: { ...disk.hardState },
      }),
    );
    n.core = core;
    const st = this.guard(n, () => core.status());
    // A restart resumes from the persisted commit, never below it.
    if (st.commit < disk.hardState.commit) {
      throw new Violation(
        'commit-monotonic',
        `node ${n.id} restarted with commit ${st.commit} below its persisted commit ${disk.hardState.commit}`,
      );
    }
    n.commit = st.commit;
    n.checkedCommit = Math.max(disk.hardState.commit, disk.snapshotMeta().index);
    n.status = st;
    this.log(
      `n${n.id} start #${n.incarnation} term=${st.term} vote=${st.vote} commit=${st.commit} applied=${disk.sm.applied} ` +
        `log=[${disk.firstIndex()},${disk.lastIndex()}]`,
    );
    this.schedule(n.tickMs * (0.5 + n.prng.float()), { kind: 'tick', node: n.id, incarnation: n.incarnation });
    this.drive(n);
  }

  private crash(n: SimNode, why: string): void {
    if (!n.core) return;
    this.stats.crashes++;
    const lost = n.inflight.length;
    this.log(`n${n.id} CRASH (${why})${lost ? `, losing ${lost} unfinished write(s)` : ''}`);
    n.core = undefined;
    n.inflight.length = 0;
    n.status = undefined;
    n.incarnation++;
    n.waitingReads.length = 0;
  }

  /** Run a core call; any exception other than a RaftError refusal is a core bug. */
  private guard<T>(n: SimNode, f: () => T): T {
    try {
      return f();
    } catch (err) {
      if (err instanceof Violation) throw err;
      throw new Violation('core-error', `node ${n.id}: ${errorText(err)}`);
    }
  }

  /** After any input to a core: check what can be checked from its status, then process its Ready. */
  private afterInput(n: SimNode): void {
    this.observe(n);
    this.drive(n);
  }

  private observe(n: SimNode): void {
    const core = n.core;
    if (!core) return;
    const st = this.guard(n, () => core.status());
    const prev = n.status;
    n.status = st;
    if (st.commit < n.commit) {
      throw new Violation('commit-monotonic', `node ${n.id} commit went from ${n.commit} to ${st.commit}`);
    }
    n.commit = st.commit;
    if (st.term > this.stats.maxTerm) this.stats.maxTerm = st.term;
    if (st.role === Role.Leader) {
      this.checker.onLeader(n.id, st.term);
      if (!prev || prev.role !== Role.Leader || prev.term !== st.term) {
        this.stats.elections++;
        this.log(`n${n.id} becomes LEADER term=${st.term}`);
      }
    } else if (prev && (prev.role !== st.role || prev.term !== st.term)) {
      this.log(`n${n.id} ${st.role} term=${st.term} leader=${st.leader}`);
    }
  }

  // ---------------------------------------------------------------- the driver (Ready contract)

  /**
   * Process Ready after Ready until the core has nothing, a write is in flight
   * (unless pipelining), or the node crashed.
   */
  private drive(n: SimNode): void {
    // Never re-entrant: a nested drive would apply a later Ready before this one (the loop re-checks hasReady).
    if (n.driving) return;
    n.driving = true;
    try {
      this.driveLoop(n);
    } finally {
      n.driving = false;
    }
  }

  private driveLoop(n: SimNode): void {
    const o = this.options;
    for (let guard = 0; guard < 1000; guard++) {
      const core = n.core;
      if (!core || (n.inflight.length > 0 && !o.pipelineReadies)) return;
      if (!this.guard(n, () => core.hasReady())) return;
      const rd = this.guard(n, () => core.ready());
      this.observe(n);
      this.checkReady(n, rd);
      const inc = n.incarnation;
      const hs = rd.hardState;
      const newTermOrVote = hs !== undefined && (hs.term !== n.disk.hardState.term || hs.vote !== n.disk.hardState.vote);
      // Behind a queued write, this Ready's term/vote is written in turn, so everything it sends waits.
      const held = newTermOrVote && n.inflight.length > 0;
      // 1. a new term or vote is durable before anything is sent
      if (newTermOrVote && !held) {
        n.disk.setHardState({ term: hs.term, vote: hs.vote, commit: n.disk.hardState.commit });
        if (this.midReadyCrash(n, 'after persisting term/vote')) return;
      }
      // 2. a leader's App/Snap/Heartbeat go out before its own write (thesis 10.2.1)
      if (!held) {
        for (const m of rd.messages) if (isLeaderSend(m)) this.send(n, m);
        if (this.midReadyCrash(n, 'after sending leader messages')) return;
      }
      // 3. the durable write: entries, hard state, snapshot (after any queued write)
      const writes = rd.entries.length > 0 || hs !== undefined || rd.snapshot !== undefined;
      if (n.inflight.length > 0 || (o.diskLatencyMs > 0 && writes)) {
        n.inflight.push({ rd, held });
        this.queue.push(this.flushTime(n), { kind: 'persisted', node: n.id, incarnation: inc });
        continue;
      }
      this.persist(n, rd);
      if (!this.finishReady(n, rd)) return;
    }
    throw new Violation('core-error', `node ${n.id} produced 1000 Readies in a row without settling`);
  }

  /**
   * When a write queued now becomes durable. The disk does group commit: a
   * write joins the flush queued behind the one in progress, so a driver that
   * pipelines Readies gets batching, not an ever-growing queue.
   */
  private flushTime(n: SimNode): number {
    const latency = this.options.diskLatencyMs * (0.5 + n.prng.float());
    if (this.now >= n.flushEnd) {
      n.flushStart = this.now;
      n.flushEnd = this.now + latency;
    } else if (this.now >= n.flushStart) {
      n.flushStart = n.flushEnd;
      n.flushEnd = n.flushStart + latency;
    }
    return n.flushEnd;
  }

  /** Step 3: write entries, snapshot and hard state in one durable write. */
  private persist(n: SimNode, rd: Ready): void {
    const disk = n.disk;
    if (rd.snapshot) {
      const meta = rd.snapshot;
      const data = n.receivedSnapshots.get(meta.index);
      if (!data) throw new Violation('driver-contract', `node ${n.id}: Ready.snapshot ${meta.index} was never received`);
      if (meta.index < disk.sm.applied) {
        throw new Violation(
          'driver-contract',
          `node ${n.id}: snapshot ${meta.index} is older than applied ${disk.sm.applied}`,
        );
      }
      disk.installSnapshot(meta, data);
      this.stats.snapshots++;
      this.checker.onSnapshotInstalled(n.id, disk.sm);
      n.checkedCommit = Math.max(n.checkedCommit, meta.index);
      this.log(`n${n.id} installs snapshot index=${meta.index} term=${meta.term}`);
      for (const idx of [...n.receivedSnapshots.keys()]) if (idx <= meta.index) n.receivedSnapshots.delete(idx);
    }
    if (rd.entries.length > 0) {
      disk.append(rd.entries);
      this.checker.onLogWrite(n.id, disk, rd.entries);
    }
    if (rd.hardState) {
      disk.setHardState(rd.hardState);
      const hs = rd.hardState;
      if (hs.commit > n.checkedCommit) {
        this.checker.onCommit(n.id, hs.term, n.checkedCommit, hs.commit, disk);
        n.checkedCommit = hs.commit;
      }
    }
  }

  /** Steps 4-6 after the durable write. Returns false if the node crashed on the way. */
  private finishReady(n: SimNode, rd: Ready): boolean {
    if (n.inflight.length > 0 && n.inflight[0]!.rd === rd) n.inflight.shift();
    if (this.midReadyCrash(n, 'after the durable write')) return false;
    // 4. acknowledgements and everything else, now that they are backed by the disk
    for (const m of rd.messages) if (!isLeaderSend(m)) this.send(n, m);
    if (this.midReadyCrash(n, 'after sending acknowledgements')) return false;
    // 5. apply
    for (const e of rd.committedEntries) this.apply(n, e);
    for (const rs of rd.readStates) this.onReadState(n, rs);
    this.serveReads(n);
    this.maybeCompact(n);
    if (this.midReadyCrash(n, 'after applying')) return false;
    // 6. advance
    const core = n.core!;
    this.guard(n, () => core.advance(rd));
    this.observe(n);
    return true;
  }

  /** What the core hands out must be consistent with what it said before. */
  private checkReady(n: SimNode, rd: Ready): void {
    const st = n.status!;
    if (rd.hardState && rd.hardState.commit < n.disk.hardState.commit) {
      throw new Violation(
        'commit-monotonic',
        `node ${n.id} Ready commit ${rd.hardState.commit} below persisted ${n.disk.hardState.commit}`,
      );
    }
    if (rd.snapshot) n.handedApply = Math.max(n.handedApply, rd.snapshot.index);
    let expect = n.handedApply + 1;
    for (const e of rd.committedEntries) {
      if (e.index !== expect) {
        throw new Violation('driver-contract', `node ${n.id} hands entry ${e.index} to apply, expected ${expect}`);
      }
      if (e.index > st.commit) {
        throw new Violation('driver-contract', `node ${n.id} hands entry ${e.index} to apply beyond commit ${st.commit}`);
      }
      expect++;
    }
    if (rd.committedEntries.length > 0) n.handedApply = expect - 1;
    if (st.role === Role.Leader && n.leaderChecked !== st.term) {
      // Leader completeness, on the log as the new leader holds it (disk plus this Ready's entries).
      n.leaderChecked = st.term;
      this.checker.onLeaderLog(n.id, st.term, overlayView(n.disk, [...n.inflight.map((f) => f.rd.entries), rd.entries]));
    }
  }

  private midReadyCrash(n: SimNode, where: string): boolean {
    if (this.phase !== 'faults' || !this.prng.chance(this.options.crashMidReadyProb)) return false;
    this.stats.midReadyCrashes++;
    this.crash(n, where);
    this.scheduleRestart(n);
    return true;
  }

  private apply(n: SimNode, e: Entry): void {
    let conf: ConfState | undefined;
    if (e.type === EntryType.ConfChange) {
      const cc = this.binding.decodeConfChange(e.data);
      const core = n.core!;
      conf = this.guard(n, () => core.applyConfChange(cc));
      this.log(`n${n.id} applies conf change @${e.index}: ${describeConf(conf)}`);
      // A node that was a member and is in no part of the newest committed config is gone for good
      // (ids are never reused). Older configs, applied by lagging nodes, say nothing new.
      if (e.index > this.newestConfIndex) this.noteMembership(e.index, conf);
    }
    this.guard(n, () => n.disk.applyEntry(e, conf));
    this.checker.onApply(n.id, e, n.disk.sm);
    const w = this.pendingWrites.get(`${n.id}:${e.index}`);
    if (w !== undefined) {
      this.pendingWrites.delete(`${n.id}:${e.index}`);
      if (w.incarnation === n.incarnation && w.term === e.term) this.ackWrite(w, e);
      else if (w.term !== e.term) this.completeOp(w, 'lost', e.index); // overwritten by another leader's entry
    }
  }

  private noteMembership(index: number, conf: ConfState): void {
    this.newestConfIndex = index;
    const now = new Set(this.members(conf));
    for (const id of now) this.everMember.add(id);
    for (const id of this.everMember) {
      const gone = this.nodes.get(id);
      if (!now.has(id) && gone && !gone.removed) {
        gone.removed = true;
        this.log(`n${id} removed from the cluster`);
      }
    }
  }

  private maybeCompact(n: SimNode): void {
    const disk = n.disk;
    const keep = Math.floor(this.options.compactAfter / 2);
    if (disk.sm.applied - disk.snapshotMeta().index > this.options.compactAfter) {
      disk.compact(disk.sm.applied - keep);
      this.stats.compactions++;
    }
  }

  // ---------------------------------------------------------------- network

  private send(from: SimNode, m: Message): void {
    this.stats.messages++;
    let snapshot: SmState | undefined;
    if (m.type === MessageType.Snap) {
      const meta = m.snapshot;
      if (
        this.options.freshSnapshotForNewMembers &&
        meta &&
        !this.members(meta.conf).includes(m.to) &&
        from.disk.sm.applied > meta.index
      ) {
        // The snapshot predates the target's membership, so the target would refuse it. In raftcache
        // the snapshot is the durable keyspace: take a fresh one (compact to applied) and fail this
        // transfer, so the core resends with the newer snapshot.
        from.disk.compact(from.disk.sm.applied);
        this.stats.compactions++;
        this.log(`n${from.id} snapshot ${meta.index} predates n${m.to}; compacting to ${from.disk.sm.applied}`);
        this.reportSnapshot(m.from, m.to, false);
        return;
      }
      const state = from.disk.snapshotState();
      if (!meta || state.applied !== meta.index) {
        // The driver streams the snapshot it has; a stale meta means the transfer fails.
        this.log(`n${from.id} cannot stream snapshot ${meta?.index} (has ${state.applied})`);
        this.reportSnapshot(m.from, m.to, false);
        return;
      }
      snapshot = state;
    }
    const fate = this.network.send(m.from, m.to, this.now);
    if (fate.kind === 'drop') {
      this.stats.dropped++;
      if (this.trace) this.log(`drop ${describeMsg(m)} (${fate.reason})`);
      if (snapshot) this.reportSnapshot(m.from, m.to, false);
      return;
    }
    for (const at of fate.at) this.queue.push(at, { kind: 'deliver', msg: m, snapshot });
  }

  private deliver(m: Message, snapshot: SmState | undefined): void {
    const to = this.nodes.get(m.to);
    if (!to || !to.core || this.network.blocked(m.from, m.to)) {
      this.stats.dropped++;
      if (this.trace) this.log(`lost ${describeMsg(m)} (${to?.core ? 'partition' : 'node down'})`);
      if (snapshot) this.reportSnapshot(m.from, m.to, false);
      return;
    }
    if (this.trace) this.log(`deliver ${describeMsg(m)}`);
    if (snapshot && m.snapshot) to.receivedSnapshots.set(m.snapshot.index, snapshot);
    // A fresh copy: duplicates must not share mutable containers.
    const copy: Message = { ...m, entries: m.entries.slice() };
    const core = to.core;
    this.guard(to, () => core.step(copy));
    this.afterInput(to);
    if (snapshot) this.reportSnapshot(m.from, m.to, true);
  }

  /** The driver learns a transfer's fate asynchronously (never in the middle of processing a Ready). */
  private reportSnapshot(from: NodeId, to: NodeId, ok: boolean): void {
    const n = this.nodes.get(from);
    if (n) this.schedule(0, { kind: 'snapshot-status', node: from, incarnation: n.incarnation, to, ok });
  }

  private snapshotStatus(from: NodeId, incarnation: number, to: NodeId, ok: boolean): void {
    const n = this.nodes.get(from);
    if (!n || !n.core || n.incarnation !== incarnation) return;
    const core = n.core;
    this.guard(n, () => core.reportSnapshot(to, ok));
    this.afterInput(n);
  }

  // ---------------------------------------------------------------- clients

  private clientDelay(): number {
    const [lo, hi] = this.options.clientEveryMs;
    return lo + this.prng.float() * (hi - lo);
  }

  private clientStep(c: SimClient): void {
    const o = this.options;
    this.schedule(this.clientDelay(), { kind: 'client', client: c.id });
    if (c.op) {
      if (this.now - c.op.invokedAt < o.clientTimeoutMs) return;
      this.completeOp(c.op, 'timeout', 0);
    }
    if (this.phase === 'liveness' && c.unacked === undefined) return; // only retries after heal
    const target = this.pickTarget();
    if (!target) return;
    if (c.unacked !== undefined || !this.prng.chance(o.readProb)) {
      const value = c.unacked ?? this.nextValue++;
      this.invokeWrite(c, target, value);
    } else {
      const lease = this.prng.chance(o.leaseReadProb);
      this.invokeRead(c, target, lease ? 'lease' : 'read-index');
    }
  }

  /**
   * Usually a node that believes it leads: the newest leader, or any self-believed
   * leader (a deposed one on the wrong side of a partition is where stale reads
   * and lost writes hide); sometimes any node (followers refuse or forward).
   */
  private pickTarget(): SimNode | undefined {
    const leader = this.leaderNode();
    if (leader && this.phase === 'liveness') return leader;
    const r = this.prng.float();
    if (leader && r < 0.5) return leader;
    if (r < 0.8) {
      const leaders = [...this.nodes.values()].filter((n) => n.up && n.status?.role === Role.Leader);
      if (leaders.length > 0) return this.prng.pick(leaders);
    }
    const up = [...this.nodes.values()].filter((n) => n.up);
    return up.length === 0 ? undefined : this.prng.pick(up);
  }

  private leaderNode(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.nodes.values()) {
      if (n.core && n.status?.role === Role.Leader && (!best || n.status.term > best.status!.term)) best = n;
    }
    return best;
  }

  private invokeWrite(c: SimClient, n: SimNode, value: number): void {
    c.unacked = value;
    const core = n.core!;
    let res: { index: number; term: number } | undefined;
    try {
      res = core.propose(encodeWrite(c.id, value));
    } catch (err) {
      if (!(err instanceof RaftError)) throw new Violation('core-error', `node ${n.id} propose: ${errorText(err)}`);
      this.record(c.id, `write ${value}`, n.id, this.now, 'refused', 0);
      return;
    }
    const op: WriteOp = {
      kind: 'write',
      client: c.id,
      value,
      node: n.id,
      incarnation: n.incarnation,
      index: res.index,
      term: res.term,
      invokedAt: this.now,
    };
    c.op = op;
    this.pendingWrites.set(`${n.id}:${res.index}`, op);
    this.log(`client ${c.id} write ${value} -> n${n.id} index=${res.index} term=${res.term}`);
    this.afterInput(n);
  }

  private invokeRead(c: SimClient, n: SimNode, mode: ReadMode): void {
    const op: ReadOp = {
      kind: 'read',
      client: c.id,
      id: this.nextReadId++,
      mode,
      node: n.id,
      incarnation: n.incarnation,
      invokedAt: this.now,
      mustSee: this.checker.ackedIndex,
    };
    const core = n.core!;
    if (mode === 'lease') {
      const index = this.guard(n, () => core.leaseRead());
      if (index === undefined) {
        this.record(c.id, describeOp(op), n.id, this.now, 'refused', 0);
        return;
      }
      this.stats.leaseReads++;
      c.op = op;
      this.log(`client ${c.id} lease read #${op.id} on n${n.id}: index ${index} (must see ${op.mustSee})`);
      this.onReadIndex(n, op, index);
      this.serveReads(n);
      return;
    }
    try {
      core.readIndex(encodeReadCtx(op.id));
    } catch (err) {
      if (!(err instanceof RaftError)) throw new Violation('core-error', `node ${n.id} readIndex: ${errorText(err)}`);
      this.record(c.id, describeOp(op), n.id, this.now, 'refused', 0);
      return;
    }
    c.op = op;
    this.pendingReads.set(op.id, op);
    this.log(`client ${c.id} read-index #${op.id} on n${n.id} (must see ${op.mustSee})`);
    this.afterInput(n);
  }

  private onReadState(n: SimNode, rs: ReadState): void {
    const id = decodeReadCtx(rs.context);
    const op = id === undefined ? undefined : this.pendingReads.get(id);
    if (!op || op.node !== n.id || op.incarnation !== n.incarnation) return;
    this.pendingReads.delete(op.id);
    this.onReadIndex(n, op, rs.index);
  }

  private onReadIndex(n: SimNode, op: ReadOp, index: number): void {
    if (index < op.mustSee) {
      throw new Violation(
        'stale-read',
        `${op.mode} read #${op.id} on node ${n.id} got read index ${index}, but the write at index ${op.mustSee} ` +
          `was acknowledged before the read began`,
      );
    }
    op.readIndex = index;
    n.waitingReads.push({ op, index });
  }

  private serveReads(n: SimNode): void {
    const applied = n.disk.sm.applied;
    for (let i = 0; i < n.waitingReads.length; ) {
      const w = n.waitingReads[i]!;
      if (w.index > applied) {
        i++;
        continue;
      }
      n.waitingReads.splice(i, 1);
      const client = this.clients[w.op.client - 1]!;
      if (client.op !== w.op) continue; // the client gave up already
      if (applied < w.op.mustSee) {
        throw new Violation('stale-read', `read #${w.op.id} served at applied ${applied} < ${w.op.mustSee}`);
      }
      this.stats.readsServed++;
      this.completeOp(w.op, 'ok', applied);
    }
  }

  private ackWrite(w: WriteOp, e: Entry): void {
    const c = this.clients[w.client - 1];
    if (w.client === 0) {
      this.probeAcked = true;
      this.checker.onWriteAcked(e.index);
      this.log(`probe write acknowledged at index ${e.index}`);
      return;
    }
    if (!c || c.op !== w) {
      // The client timed out, but the write did commit: still acknowledged for later reads? No: nobody saw the ack.
      return;
    }
    const d = decodeWrite(e.data);
    if (!d || d.value !== w.value) {
      throw new Violation('state-machine-safety', `write ${w.value} acknowledged by an entry holding other data`);
    }
    this.checker.onWriteAcked(e.index);
    this.stats.writesAcked++;
    c.unacked = undefined;
    this.completeOp(w, 'ok', e.index);
  }

  private completeOp(op: ClientOp, outcome: Outcome, index: number): void {
    const c = this.clients[op.client - 1];
    if (outcome === 'timeout') this.stats.timeouts++;
    if (op.kind === 'write') {
      const key = `${op.node}:${op.index}`;
      if (this.pendingWrites.get(key) === op) this.pendingWrites.delete(key);
    }
    else this.pendingReads.delete(op.id);
    if (c && c.op === op) c.op = undefined;
    this.record(op.client, describeOp(op), op.node, op.invokedAt, outcome, index);
    this.log(`client ${op.client} ${describeOp(op)} on n${op.node}: ${outcome}${index ? ` @${index}` : ''}`);
  }

  private record(client: number, op: string, node: NodeId, invokedAt: number, outcome: Outcome, index: number): void {
    if (outcome === 'refused') this.stats.refused++;
    this.history.push({ client, op, node, invokedAt, completedAt: this.now, outcome, index });
  }

  // ---------------------------------------------------------------- faults

  private faultStep(): void {
    const o = this.options;
    const r = this.prng;
    if (r.chance(o.crashProb)) {
      const up = this.liveNodes().filter((n) => n.up);
      if (up.length > 0) {
        const n = r.pick(up);
        this.crash(n, 'fault');
        this.scheduleRestart(n);
      }
    }
    if (r.chance(o.partitionProb)) this.partition();
    if (r.chance(o.confChangeProb)) this.changeMembership();
    if (r.chance(o.transferProb)) this.transferLeadership();
    for (const n of this.nodes.values()) {
      if (n.removed && !n.decommissioned && r.chance(0.05)) this.decommission(n);
    }
  }

  private liveNodes(): SimNode[] {
    return [...this.nodes.values()].filter((n) => !n.decommissioned);
  }

  private scheduleRestart(n: SimNode): void {
    const [lo, hi] = this.options.restartAfterMs;
    this.schedule(lo + this.prng.float() * (hi - lo), { kind: 'restart', node: n.id });
  }

  private decommission(n: SimNode): void {
    this.crash(n, 'decommissioned after removal');
    n.decommissioned = true;
  }

  private partition(): void {
    const r = this.prng;
    const ids = r.shuffle(this.liveNodes().map((n) => n.id));
    if (ids.length < 2) return;
    const leader = this.leaderNode();
    // Isolating the leader is the richest case (deposed leaders, lease and ReadIndex races): weight it.
    const kind = r.intn(6);
    let p: Partition;
    if (kind >= 4 && leader) {
      p = { kind: 'isolate', node: leader.id };
    } else if (kind === 0 && leader) {
      // The leader and a minority on one side.
      const others = ids.filter((id) => id !== leader.id);
      const k = r.between(0, Math.max(0, Math.floor(ids.length / 2) - 1));
      p = { kind: 'symmetric', a: [leader.id, ...others.slice(0, k)], b: others.slice(k) };
    } else if (kind === 1) {
      const k = r.between(1, ids.length - 1);
      p = { kind: 'one-way', from: ids.slice(0, k), to: ids.slice(k) };
    } else if (kind === 2 && ids.length >= 3) {
      const bridge = ids[0]!;
      const rest = ids.slice(1);
      const k = r.between(1, rest.length - 1);
      p = { kind: 'bridge', a: rest.slice(0, k), b: rest.slice(k), bridge };
    } else {
      const k = r.between(1, ids.length - 1);
      p = { kind: 'symmetric', a: ids.slice(0, k), b: ids.slice(k) };
    }
    this.stats.partitions++;
    this.network.partition(p);
    this.log(`PARTITION ${describePartition(p)}`);
    const [lo, hi] = this.options.partitionForMs;
    this.schedule(lo + r.float() * (hi - lo), { kind: 'unpartition', partition: p });
  }

  private changeMembership(): void {
    const leader = this.leaderNode();
    if (!leader) return;
    const conf = leader.disk.sm.conf;
    if (conf.votersOutgoing.length > 0) return;
    const r = this.prng;
    const voters = conf.voters;
    const learners = conf.learners;
    const options: Array<() => ConfChange> = [];
    if (this.nodes.size < this.options.voters + this.options.learners + 4) {
      options.push(() => ({ changes: [{ type: ConfChangeType.AddLearner, node: this.nextNodeId }] }));
    }
    if (learners.length > 0 && voters.length < 5) {
      options.push(() => ({ changes: [{ type: ConfChangeType.AddNode, node: r.pick(learners) }] }));
    }
    if (voters.length > 3) {
      options.push(() => ({ changes: [{ type: ConfChangeType.RemoveNode, node: r.pick(voters) }] }));
    }
    if (learners.length > 0) {
      options.push(() => ({ changes: [{ type: ConfChangeType.RemoveNode, node: r.pick(learners) }] }));
    }
    if (learners.length > 0 && voters.length >= 3) {
      // Replace a voter atomically (joint consensus): promote a learner, remove a voter.
      options.push(() => ({
        changes: [
          { type: ConfChangeType.AddNode, node: r.pick(learners) },
          { type: ConfChangeType.RemoveNode, node: r.pick(voters) },
        ],
      }));
    }
    if (options.length === 0) return;
    const cc = r.pick(options)();
    const core = leader.core!;
    const desc = cc.changes.map((c) => `${ConfChangeType[c.type]} ${c.node}`).join(', ');
    try {
      core.proposeConfChange(cc);
      this.stats.confChanges++;
      this.log(`n${leader.id} proposes conf change: ${desc}`);
      const added = cc.changes.find((c) => c.type === ConfChangeType.AddLearner && c.node === this.nextNodeId);
      if (added) this.start(this.addNode(this.nextNodeId++)); // the new machine boots and waits for the leader
    } catch (err) {
      if (!(err instanceof RaftError)) throw new Violation('core-error', `proposeConfChange: ${errorText(err)}`);
      this.log(`n${leader.id} refuses conf change ${desc}: ${err.code}`);
    }
    this.afterInput(leader);
  }

  private transferLeadership(): void {
    const leader = this.leaderNode();
    if (!leader) return;
    const others = leader.disk.sm.conf.voters.filter((v) => v !== leader.id);
    if (others.length === 0) return;
    const to = this.prng.pick(others);
    try {
      leader.core!.transferLeader(to);
      this.stats.transfers++;
      this.log(`n${leader.id} transfers leadership to n${to}`);
    } catch (err) {
      if (!(err instanceof RaftError)) throw new Violation('core-error', `transferLeader: ${errorText(err)}`);
      this.log(`n${leader.id} refuses transfer to n${to}: ${err.code}`);
    }
    this.afterInput(leader);
  }

  // ---------------------------------------------------------------- liveness

  /** Stop the faults: reliable network, every node back up, removed nodes shut down. */
  private heal(): void {
    this.phase = 'liveness';
    this.healedAt = this.now;
    this.network.heal();
    this.network.setOptions(RELIABLE_NETWORK);
    this.log('HEAL: network reliable, partitions healed, all nodes restarting');
    for (const n of this.nodes.values()) {
      if (n.removed && !n.decommissioned) this.decommission(n);
      else if (!n.up && !n.decommissioned) this.start(n);
    }
    this.schedule(this.options.tickMs, { kind: 'liveness-check' });
  }

  /** True once converged; a Violation once the bound has passed. */
  private livenessCheck(): boolean {
    const failure = this.convergenceProblem();
    if (failure === undefined) {
      this.log(`converged ${Math.round(this.now - this.healedAt)}ms after heal`);
      return true;
    }
    if (this.now - this.healedAt > this.options.livenessBoundMs) {
      throw new Violation('liveness', `${Math.round(this.now - this.healedAt)}ms after heal: ${failure}`);
    }
    this.schedule(this.options.tickMs, { kind: 'liveness-check' });
    return false;
  }

  private convergenceProblem(): string | undefined {
    const leader = this.leaderNode();
    if (!leader) return 'no leader';
    const members = this.members(leader.disk.sm.conf);
    for (const id of members) {
      const n = this.nodes.get(id);
      if (!n || !n.up) return `member ${id} is down`;
      if (n.status?.leader !== leader.id) return `member ${id} follows ${n.status?.leader ?? 0}, not leader ${leader.id}`;
    }
    if (this.probe === undefined || this.probe.node !== leader.id || this.probe.incarnation !== leader.incarnation) {
      // A probe write through the current leader: it must commit and reach every member.
      this.probeAcked = false;
      try {
        const res = leader.core!.propose(encodeWrite(0, 0));
        this.probe = {
          kind: 'write',
          client: 0,
          value: 0,
          node: leader.id,
          incarnation: leader.incarnation,
          index: res.index,
          term: res.term,
          invokedAt: this.now,
        };
        this.pendingWrites.set(`${leader.id}:${res.index}`, this.probe);
        this.afterInput(leader);
      } catch (err) {
        if (!(err instanceof RaftError)) throw new Violation('core-error', `propose: ${errorText(err)}`);
        return `leader ${leader.id} refuses the probe write: ${err.code}`;
      }
    }
    if (!this.probeAcked) return `probe write (index ${this.probe!.index}) not applied on leader ${leader.id}`;
    for (const id of members) {
      const n = this.nodes.get(id)!;
      if (n.disk.sm.applied < this.probe!.index) {
        return `member ${id} applied ${n.disk.sm.applied} < probe index ${this.probe!.index}`;
      }
    }
    for (const c of this.clients) {
      if (c.unacked !== undefined) return `client ${c.id} write ${c.unacked} not acknowledged`;
    }
    return undefined;
  }

  private members(conf: ConfState): NodeId[] {
    return [...new Set([...conf.voters, ...conf.learners, ...conf.votersOutgoing, ...conf.learnersNext])];
  }

  // ---------------------------------------------------------------- helpers

  private schedule(delay: number, ev: Event): void {
    this.queue.push(this.now + delay, ev);
  }

  private log(line: string): void {
    if (this.trace) this.trace(`${this.now.toFixed(2).padStart(9)} ${line}`);
  }
}

function isLeaderSend(m: Message): boolean {
  return m.type === MessageType.App || m.type === MessageType.Snap || m.type === MessageType.Heartbeat;
}

export function describeMsg(m: Message): string {
  let s = `${MessageType[m.type]} ${m.from}->${m.to} t${m.term}`;
  switch (m.type) {
    case MessageType.App:
      s += ` prev=${m.index}/${m.logTerm} n=${m.entries.length} commit=${m.commit}`;
      break;
    case MessageType.AppResp:
      s += m.reject ? ` REJECT ${m.index} hint=${m.rejectHint}/${m.logTerm}` : ` match=${m.index}`;
      break;
    case MessageType.Vote:
    case MessageType.PreVote:
      s += ` last=${m.index}/${m.logTerm}`;
      break;
    case MessageType.VoteResp:
    case MessageType.PreVoteResp:
      s += m.reject ? ' REJECT' : ' GRANT';
      break;
    case MessageType.Snap:
      s += ` snap=${m.snapshot?.index}/${m.snapshot?.term}`;
      break;
    case MessageType.Heartbeat:
      s += ` commit=${m.commit} round=${m.index}`;
      break;
    case MessageType.ReadIndexResp:
      s += ` index=${m.index}${m.reject ? ' REJECT' : ''}`;
      break;
    default:
      break;
  }
  return s;
}

function describeConf(c: ConfState): string {
  let s = `voters=[${c.voters}]`;
  if (c.learners.length) s += ` learners=[${c.learners}]`;
  if (c.votersOutgoing.length) s += ` outgoing=[${c.votersOutgoing}]`;
  if (c.learnersNext.length) s += ` learnersNext=[${c.learnersNext}]`;
  return s;
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const at = err.stack?.split('\n')[1]?.trim() ?? '';
    return `${err.name}: ${err.message}${at ? ` (${at})` : ''}`;
  }
  return String(err);
}

/** Convenience: run one seed with swarm options. */
export function runSeed(seed: number, config: SimConfig): SimResult {
  return new Sim(seed, config).run();
}
