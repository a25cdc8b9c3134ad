/**
 * The Ready loop and the durable write (hashicorp/raft's raft.go run loop).
 * It takes Readies from the core and, for each: persists entries and hard
 * state (one store batch, one sync), sends messages, writes the durable
 * keyspace copy when due, applies committed entries and answers their
 * writers, then advances the core. Order matters and is kept exactly:
 *  - a new term or vote is durable before any message goes out; otherwise a
 *    leader's appends, heartbeats and snapshots and a follower's heartbeat
 *    answers go out at once (they claim nothing about this node's disk),
 *    everything else after the sync;
 *  - committed entries already on disk are applied at once unless an earlier
 *    Ready still holds some (apply order is log order);
 *  - each Ready finishes (snapshot install, writes, late messages, apply,
 *    read states, advance) strictly in order, in one promise chain.
 * While the disk refuses, the write is retried (a Ready cannot be skipped)
 * and writes are answered -MISCONF.
 */
import { ErrorReply, type Reply } from '../../protocol/reply';
import { decodeOp } from '../logop';
import { nodeObservations } from '../metrics-node';
import { EntryType, MessageType, Role, type Entry, type HardState, type Message, type Ready } from '../raft';
import type { Compaction } from './compaction';
import type { KeyspaceCopy } from './keyspace-copy';
import type { Membership } from './membership';
import type { Proposals } from './proposals';
import type { ReadBarriers } from './read-barriers';
import type { RejoinGuard } from './rejoin';
import type { Snapshots } from './snapshots';
import type { NodeState } from './state';
import type { NodeWriteBatch } from './store';
import { latencyMonitor } from '../latency';

/**
 * Readies being persisted at once. The loop supports pipelining (the next
 * batch appended while the previous fsync runs), but on this 2-core machine
 * one at a time measured better: proposals pile up into fewer, larger
 * batches (durable SET -c 50 at the leader: ~6.6-7.3k/s with 1 vs ~5.0-5.6k/s
 * with 4, load ~4.5, interleaved runs). Revisit on machines with spare cores.
 */
const MAX_INFLIGHT_READIES = 1;
/**
 * A Ready still persisting after SLOW_READY_MS (a huge value, a slow or busy
 * disk, a new log segment being zero-filled) lets up to
 * MAX_INFLIGHT_READIES_SLOW start behind it, so heartbeats and their answers
 * keep flowing and a slow fsync does not cost an election (with checkQuorum a
 * leader whose followers cannot answer steps down). Each heartbeat round
 * takes one, so the bound must cover an fsync of seconds. Normal fsyncs
 * finish well inside SLOW_READY_MS and keep one Ready at a time.
 */
const SLOW_READY_MS = 150;
/** Readies in flight behind a slow one: enough for a heartbeat per tick through a stall of tens of seconds. */
const MAX_INFLIGHT_READIES_SLOW = 1024;
/** Behind a slow Ready, new proposals wait (and batch) once this many Readies are writing. */
const MAX_INFLIGHT_WRITES_SLOW = 8;

/** What the Ready loop uses of the node's shared state (it writes role, leader, lastTerm, appliedTerm, durableIndex, diskError). */
export type ReadyNode = Pick<
  NodeState,
  | 'log'
  | 'raft'
  | 'storage'
  | 'fsm'
  | 'transport'
  | 'role'
  | 'leader'
  | 'lastTerm'
  | 'appliedTerm'
  | 'durableIndex'
  | 'closed'
  | 'diskError'
>;

/** The other parts, as far as the Ready loop calls them. */
export interface ReadyParts {
  proposals: Pick<Proposals, 'hasPending' | 'submitProposals' | 'failQueuedWrites' | 'onApplied' | 'proposedOp'>;
  reads: Pick<ReadBarriers, 'hasBatch' | 'submitReadIndex' | 'onReadStates' | 'runApplyWaiters'>;
  snapshots: Pick<Snapshots, 'send' | 'takeStepped' | 'installSnapshot' | 'dropStagedSnapshot'>;
  membership: Pick<Membership, 'applyConfChange'>;
  copy: Pick<KeyspaceCopy, 'collectChanges' | 'collectChangesInTurns' | 'appliedMeta'>;
  compaction: Pick<Compaction, 'countChange' | 'resumeFlush'>;
  recovery: Pick<RejoinGuard, 'state' | 'onApplied'>;
  /** The role or leader changed; the node state is updated and the change logged. */
  onLeaderChange(leader: number, role: Role): void;
}

/**
 * Applying committed entries yields to the event loop after about this long
 * per turn (whole entries). 5 ms left too little room for the rest of a
 * turn (parsing and proposing, the log write, a young-generation GC) under a
 * pipelined 10M-entry XADD fill; 3 ms costs no throughput there.
 */
const APPLY_TURN_MS = 3;

/**
 * The apply time of one event-loop turn, shared by everything that applies
 * in it: several Readies can finish in one turn (their log writes complete
 * together), and each used to apply a whole turn's worth, so a turn could
 * hold the loop for 15-30 ms under a pipelined fill. Spending arms an
 * immediate that gives the time back in the next turn's check phase: an
 * immediate armed during the poll phase runs in this turn's check phase, where
 * a second Ready could then apply another budget before the loop went back to
 * its sockets; the refill's own immediate always runs after a poll phase.
 */
class TurnBudget {
  private spent = 0;
  private refill: NodeJS.Immediate | undefined;

  constructor(private readonly perTurnMs: number) {}

  /** Milliseconds left in this turn (0 or less: apply nothing more now). */
  left(): number {
    return this.perTurnMs - this.spent;
  }

  spend(ms: number): void {
    this.spent += ms;
    this.refill ??= setImmediate(() => {
      this.refill = setImmediate(() => {
        this.spent = 0;
        this.refill = undefined;
      });
    });
  }
}
/** Entries applied between clock reads. */
const APPLY_STEP = 32;

export class ReadyLoop {
  private lastVote = -1;
  /** The newest hard state from the core (persisted lazily when only commit moved). */
  private latestHardState: HardState | undefined;
  private readonly batchCallbacks: Array<() => void> = [];
  private readyScheduled = false;
  private readonly applyBudget = new TurnBudget(APPLY_TURN_MS);

  constructor(
    private readonly node: ReadyNode,
    private readonly parts: ReadyParts,
  ) {}

  /** Sets what the last persisted hard state said (start, before the first Ready). */
  begin(hs: HardState): void {
    this.node.lastTerm = hs.term;
    this.lastVote = hs.vote;
  }

  /** Called after each batch of entries is applied (blocked clients, lock service, eviction). */
  onBatchApplied(cb: () => void): void {
    this.batchCallbacks.push(cb);
  }

  /** Settles once every Ready started so far has finished. */
  idle(): Promise<void> {
    return this.readyChain;
  }

  scheduleReady(): void {
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
      this.node.log.error({ err }, 'ready loop failed');
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
      if (this.readyStartedAt.length >= MAX_INFLIGHT_READIES) {
        // Not while the disk refuses: the Ready is retrying, not slow, and more writes would only queue behind it.
        const slow =
          !this.node.diskError &&
          this.readyStartedAt.length < MAX_INFLIGHT_READIES_SLOW &&
          Date.now() - this.readyStartedAt[0] > SLOW_READY_MS;
        if (!slow) return;
      }
      // Behind a slow disk, heartbeats keep flowing; new writes wait and batch instead of each starting a write.
      if (this.inflightWrites < MAX_INFLIGHT_WRITES_SLOW || this.readyStartedAt.length < MAX_INFLIGHT_READIES) {
        this.parts.proposals.submitProposals();
        this.parts.reads.submitReadIndex();
      }
      if (!this.node.raft.hasReady()) return;
      this.startReady(this.node.raft.ready());
    }
  }

  /** In-flight Readies that write to the log or hard state. */
  private inflightWrites = 0;
  /** When each in-flight Ready started, oldest first (they finish in order); its length is the number in flight. */
  private readonly readyStartedAt: number[] = [];
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
    return !this.node.closed && (this.parts.proposals.hasPending() || this.parts.reads.hasBatch() || this.node.raft.hasReady());
  }

  private startReady(rd: Ready | undefined): void {
    this.readyStartedAt.push(Date.now());
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
    if (
      !rd?.snapshot &&
      this.pendingSnapshots === 0 &&
      this.pendingApplies === 0 &&
      this.applyGate === undefined &&
      committed.length > 0 &&
      committed[0].index <= this.node.durableIndex
    ) {
      let n = 0;
      while (n < committed.length && committed[n].index <= this.node.durableIndex) n++;
      // At most one turn's worth here; the rest goes through the chain below, a turn at a time.
      n = this.applyForATurn(committed.slice(0, n));
      committed = committed.slice(n);
    }
    const holdsApplies = committed.length > 0;
    if (holdsApplies) this.pendingApplies++;
    const snapshot = rd?.snapshot;
    if (snapshot) this.pendingSnapshots++;
    const snapStepped = this.parts.snapshots.takeStepped();
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
    if (mustWrite) this.inflightWrites++;
    const entryBatch = { entries: rd && rd.entries.length > 0 ? (rd.entries as Entry[]) : undefined, hardState: this.latestHardState };
    const entryWrite = mustWrite && !deferEntries ? this.timedWrite(entryBatch) : undefined;
    entryWrite?.catch(() => undefined); // retried in order below
    this.readyChain = this.readyChain
      .then(async () => {
        if (snapshot) await this.parts.snapshots.installSnapshot(snapshot);
        else if (snapStepped) this.parts.snapshots.dropStagedSnapshot();
        if (mustWrite) {
          const writeStart = performance.now();
          await this.durableWrite(entryBatch, entryWrite);
          latencyMonitor.maybeAdd('raft-log-sync', performance.now() - writeStart); // LATENCY (ops): write + fdatasync
          if (deferEntries) this.deferredEntryWrites--;
          if (rd && rd.entries.length > 0) this.node.durableIndex = rd.entries[rd.entries.length - 1].index;
        }
        this.send(late);
        if (holdsApplies) {
          // A long batch (a deep pipeline, a follower catching up) is applied over
          // several event-loop turns, so clients, heartbeats and timers are not
          // held up for its whole length. Each turn applies whole entries and
          // ends at an applied index, which is all a read or a keyspace flush
          // in between needs; pendingApplies keeps later Readies behind it.
          let rest = committed;
          for (;;) {
            while (this.applyGate) await this.applyGate;
            rest = rest.slice(this.applyForATurn(rest));
            if (rest.length === 0 || this.node.closed) break;
            await new Promise<void>((resolve) => setImmediate(resolve));
          }
          this.pendingApplies--;
        }
        if (rd) {
          this.parts.reads.onReadStates(rd.readStates);
          if (!this.node.closed) this.node.raft.advance(rd);
        }
      })
      .catch((err: unknown) => this.node.log.error({ err }, 'ready processing failed'))
      .finally(() => {
        if (termChanged) this.pendingTermWrites--;
        if (mustWrite) this.inflightWrites--;
        if (snapshot && --this.pendingSnapshots === 0) this.parts.compaction.resumeFlush();
        this.readyStartedAt.shift();
        if (this.hasWork()) this.scheduleReady();
      });
  }

  /** A snapshot install is in flight (no keyspace flush may start: the keyspace is about to be replaced). */
  installing(): boolean {
    return this.pendingSnapshots > 0;
  }

  /** The durable keyspace copy's next write: what changed since the last one, at the applied index. */
  keyspaceBatch(): NodeWriteBatch {
    return { hardState: this.latestHardState, keyspace: { changes: this.parts.copy.collectChanges(), meta: this.parts.copy.appliedMeta() } };
  }

  /**
   * keyspaceBatch() for a large change set, encoded over several event-loop
   * turns: applies wait meanwhile, so the keyspace holds still at one applied
   * index (the copy must be that index's state exactly: the log replays on
   * top of it), while heartbeats, reads and new proposals go on.
   */
  async keyspaceBatchInTurns(): Promise<NodeWriteBatch> {
    const resume = this.pauseApplies();
    try {
      const changes = await this.parts.copy.collectChangesInTurns();
      return { hardState: this.latestHardState, keyspace: { changes, meta: this.parts.copy.appliedMeta() } };
    } finally {
      resume();
    }
  }

  /** While set, committed entries wait (in order) instead of being applied. */
  private applyGate: Promise<void> | undefined;

  private pauseApplies(): () => void {
    if (this.applyGate) throw new Error('applies are already paused');
    let open: () => void = () => undefined;
    this.applyGate = new Promise<void>((resolve) => (open = resolve));
    return () => {
      this.applyGate = undefined;
      open();
      if (this.hasWork()) this.scheduleReady();
    };
  }

  /** A Ready's log write, its duration (write + fdatasync) observed for /metrics. */
  private timedWrite(batch: NodeWriteBatch): Promise<void> {
    const started = performance.now();
    const write = this.node.storage.writeBatch(batch);
    write.then(() => nodeObservations.logPersist.observe((performance.now() - started) / 1000), () => undefined);
    return write;
  }

  /** One durable write; while the disk refuses, retry (the Ready cannot be skipped) and refuse new writes. */
  async durableWrite(batch: NodeWriteBatch, started?: Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await (attempt === 0 && started ? started : this.node.storage.writeBatch(batch));
        if (this.node.diskError) {
          this.node.log.warn('disk writes succeed again; accepting writes');
          this.node.diskError = undefined;
        }
        return;
      } catch (err) {
        if (!this.node.diskError) this.node.log.error({ err }, 'disk write failed; refusing writes until it succeeds');
        this.node.diskError = err as Error;
        this.parts.proposals.failQueuedWrites();
        if (this.node.closed) throw err;
        // The store refuses a commit before LMDB could meet ENOSPC (storage/disk-reserve.ts), so
        // retrying is harmless; it succeeds once the disk has room for the reserve again.
        await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** Math.min(attempt, 5))));
      }
    }
  }

  /**
   * Applies entries from the front while this turn's apply budget lasts
   * (whole entries; none when it is spent: the caller waits a turn); returns
   * how many.
   */
  private applyForATurn(entries: readonly Entry[]): number {
    const left = this.applyBudget.left();
    if (entries.length === 0 || left <= 0) return 0;
    const start = performance.now();
    const deadline = start + left;
    let n = 0;
    while (n < entries.length) {
      this.applyEntry(entries[n++]);
      if (n % APPLY_STEP === 0 && performance.now() >= deadline) break;
    }
    this.applyBudget.spend(performance.now() - start);
    this.node.storage.log.keepCachedFrom?.(this.node.fsm.appliedIndex + 1);
    if (this.parts.recovery.state !== 'none') this.parts.recovery.onApplied();
    for (const cb of this.batchCallbacks) cb();
    return n;
  }

  private applyEntry(e: Entry): void {
    let reply: Reply = null;
    if (e.type === EntryType.ConfChange) {
      reply = this.parts.membership.applyConfChange(e);
    } else if (e.data.byteLength === 0) {
      this.node.fsm.applyEmpty(e.index);
    } else {
      try {
        reply = this.node.fsm.apply(e.index, this.parts.proposals.proposedOp(e.index, e.term) ?? decodeOp(e.data));
      } catch (err) {
        this.node.log.error({ err, index: e.index }, 'undecodable log entry');
        this.node.fsm.applyEmpty(e.index);
        reply = new ErrorReply('ERR internal error: undecodable log entry');
      }
      this.parts.compaction.countChange(e.data.byteLength);
    }
    this.node.appliedTerm = e.term;
    this.parts.proposals.onApplied(e, reply);
    this.parts.reads.runApplyWaiters();
  }

  /** Each message on its own: one that cannot be sent is logged and left to Raft to retry, never stopping the Ready loop. */
  private send(messages: readonly Message[]): void {
    if (!this.node.transport) return;
    for (const m of messages) {
      try {
        if (m.type === MessageType.Snap) {
          this.parts.snapshots.send(m);
          continue;
        }
        if (!this.node.transport.send(m.to, { type: 'raft', message: m })) this.node.raft.reportUnreachable(m.to);
      } catch (err) {
        this.node.log.error({ err, type: MessageType[m.type], to: m.to, entries: m.entries.length }, 'sending a raft message failed');
        try {
          if (m.type === MessageType.Snap) this.node.raft.reportSnapshot(m.to, false);
          else this.node.raft.reportUnreachable(m.to);
        } catch {
          // reporting is best effort: the core retries on the next heartbeat anyway
        }
      }
    }
  }

  private onSoftState(leader: number, role: Role): void {
    this.node.role = role;
    this.node.leader = leader;
    this.node.log.info({ leader, role }, 'raft role changed');
    this.parts.onLeaderChange(leader, role);
  }
}
