import { cloneConfState } from './confchange';
import { NO_ENTRIES } from './log';
import { Raft } from './raft';
import { NONE, RaftError, Role } from './types';
import type {
  ConfChange,
  ConfState,
  Entry,
  HardState,
  LogReader,
  Message,
  NodeId,
  ProposeResult,
  RaftConfig,
  ReadState,
  Ready,
  SoftState,
  Status,
} from './types';

const EMPTY_HARD_STATE: HardState = { term: 0, vote: NONE, commit: 0 };
const NO_MESSAGES = Object.freeze([]) as unknown as Message[];
const NO_READ_STATES = Object.freeze([]) as unknown as ReadState[];

/**
 * The driver's handle on one Raft node (etcd-io/raft rawnode.go): every
 * method is synchronous, deterministic and does no I/O.
 *
 * Driving loop:
 *   on a timer: tick(); on a message: step(m); on a client: propose(...) etc.
 *   while (hasReady()) { const rd = ready(); persist/send/apply (see Ready); advance(rd); }
 * ready() may be called again before the previous Ready is advanced (the
 * driver may keep stepping while a write is in flight); each Ready holds only
 * new work, and Readies must be processed and advanced in the order returned.
 */
export class RaftNode {
  private readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;

  /**
   * @param log the durable log (synchronous reads).
   * @param hardState the persisted term/vote/commit; defaults to
   *   `log.hardState()` when the log object is also a StableStore, else empty.
   */
  constructor(config: RaftConfig, log: LogReader, hardState?: HardState) {
    const hs = hardState ?? readHardState(log);
    this.raft = new Raft(config, log, hs);
    this.prevSoft = this.softState();
    this.prevHard = this.raft.hardState();
  }

  get id(): NodeId {
    return this.raft.id;
  }

  /** Advance logical time by one tick (election and heartbeat timers). */
  tick(): void {
    this.raft.tick();
  }

  /** Feed a message received from a peer. Messages for other nodes are ignored. */
  step(m: Message): void {
    if (m.to !== this.raft.id && m.to !== NONE) return;
    this.raft.step(m);
  }

  /**
   * Append one or many entries (one call = one batch). Throws RaftError:
   * 'not-leader' (err.leader is the known leader or NONE), 'transfer-in-progress',
   * 'uncommitted-limit', 'proposal-dropped' (removed from the cluster), 'invalid'.
   * The entries are committed when an applied entry has this index and term;
   * an entry with the same index but another term means the proposal was lost.
   */
  propose(data: Uint8Array | readonly Uint8Array[]): ProposeResult {
    return this.raft.propose(data instanceof Uint8Array ? [data] : data);
  }

  /**
   * Propose a membership change (see confchange.ts). Throws RaftError as
   * propose() does, plus 'conf-change-pending' while a previous change is
   * not applied (or a joint config is not left yet) and 'invalid'.
   */
  proposeConfChange(cc: ConfChange): ProposeResult {
    return this.raft.proposeConfChange(cc);
  }

  /**
   * The driver applies a ConfChange entry (decodeConfChange(entry.data)) and
   * calls this; returns the membership to record with the applied index.
   */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  /**
   * Linearizable read: a ReadState with this context appears in a later Ready
   * once leadership is confirmed; serve the read when applied >= its index.
   * A follower forwards the request to the leader. Throws 'not-leader' when
   * no leader is known. A request is silently dropped when leadership changes
   * (the driver fails pending reads when Ready.softState shows a change, or
   * after a timeout).
   */
  readIndex(context: Uint8Array): void {
    this.raft.readIndex(context);
  }

  /** The leader's lease is valid now (checkQuorum on, its no-op committed, no transfer). */
  leaseValid(): boolean {
    return this.raft.leaseValid();
  }

  /** A lease read: the index to wait for (applied >= index) if the lease is valid, else undefined. */
  leaseRead(): number | undefined {
    return this.raft.leaseValid() ? this.raft.log.committed : undefined;
  }

  /** Leader only: hand leadership to `to` (a voter). Proposals are refused until done or aborted. */
  transferLeader(to: NodeId): void {
    this.raft.transferLeader(to);
  }

  /**
   * Forbid (false) or allow this node to vote and campaign. A node that may
   * have forgotten a vote (it lost its data) must not vote until it is
   * re-added through a membership change; it still follows a leader.
   */
  setVoting(allowed: boolean): void {
    this.raft.setVoting(allowed);
  }

  votingAllowed(): boolean {
    return this.raft.voting;
  }

  /** Start an election now (with a pre-vote when enabled). No-op on a leader, learner or removed node. */
  campaign(): void {
    this.raft.campaign(false);
  }

  /** The driver finished (ok) or gave up on streaming the snapshot of a Snap message to `peer`. */
  reportSnapshot(peer: NodeId, ok: boolean): void {
    this.raft.reportSnapshot(peer, ok);
  }

  /** The driver failed to send to `peer`: stop streaming optimistically to it. */
  reportUnreachable(peer: NodeId): void {
    this.raft.reportUnreachable(peer);
  }

  private softState(): SoftState {
    return { leader: this.raft.lead, role: this.raft.role };
  }

  hasReady(): boolean {
    const r = this.raft;
    if (r.hasPendingSends()) r.flush();
    if (r.msgs.length > 0 || r.readStates.length > 0) return true;
    const log = r.log;
    if (log.unstable.hasNextEntries() || log.unstable.nextSnapshot() !== undefined) return true;
    if (log.hasNextCommittedEnts()) return true;
    if (r.lead !== this.prevSoft.leader || r.role !== this.prevSoft.role) return true;
    const hs = this.prevHard;
    return r.term !== hs.term || r.vote !== hs.vote || log.committed !== hs.commit;
  }

  /** Collect the pending work. The caller must process it and call advance(rd). */
  ready(): Ready {
    const r = this.raft;
    r.flush();
    const log = r.log;
    const rd: Ready = {
      entries: log.unstable.hasNextEntries() ? log.unstable.nextEntries() : NO_ENTRIES,
      committedEntries: log.nextCommittedEnts(r.maxCommittedBytesPerReady),
      // The arrays are handed over (never shared with later Readies).
      messages: r.msgs.length > 0 ? r.msgs : NO_MESSAGES,
      readStates: r.readStates.length > 0 ? r.readStates : NO_READ_STATES,
      mustSync: false,
    };
    if (r.msgs.length > 0) r.msgs = [];
    if (r.readStates.length > 0) r.readStates = [];
    if (r.lead !== this.prevSoft.leader || r.role !== this.prevSoft.role) {
      rd.softState = this.softState();
      this.prevSoft = rd.softState;
    }
    const hs = this.prevHard;
    if (r.term !== hs.term || r.vote !== hs.vote || log.committed !== hs.commit) {
      rd.hardState = r.hardState();
      rd.mustSync = rd.hardState.term !== hs.term || rd.hardState.vote !== hs.vote;
      this.prevHard = rd.hardState;
    }
    const snap = log.unstable.nextSnapshot();
    if (snap !== undefined) {
      rd.snapshot = snap;
      rd.mustSync = true;
      // Committed entries resume after the snapshot once it is installed.
      log.applying = Math.max(log.applying, snap.index);
    }
    if (rd.entries.length > 0) rd.mustSync = true;
    log.unstable.acceptInProgress();
    const ce = rd.committedEntries;
    if (ce.length > 0) {
      log.applying = ce[ce.length - 1]!.index;
      if (r.role === Role.Leader && r.uncommittedBytes > 0) {
        let n = 0;
        for (let i = 0; i < ce.length; i++) n += ce[i]!.data.byteLength;
        r.uncommittedBytes = Math.max(0, r.uncommittedBytes - n);
      }
    }
    return rd;
  }

  /** The Ready was persisted, sent and applied. */
  advance(rd: Ready): void {
    const r = this.raft;
    const log = r.log;
    if (rd.snapshot !== undefined) {
      log.unstable.stableSnapTo(rd.snapshot.index);
      if (log.applied < rd.snapshot.index) log.applied = rd.snapshot.index;
    }
    if (rd.entries.length > 0) {
      const last: Entry = rd.entries[rd.entries.length - 1]!;
      log.unstable.stableTo(last.index, last.term);
      r.onPersisted();
    }
    if (rd.committedEntries.length > 0) log.appliedTo(rd.committedEntries[rd.committedEntries.length - 1]!.index);
    r.maybeAutoLeave();
  }

  status(): Status {
    const r = this.raft;
    const progress = [];
    if (r.role === Role.Leader) {
      for (const [id, pr] of r.progress) if (id !== r.id) progress.push(pr.toStatus(id));
      progress.sort((a, b) => a.id - b.id);
    }
    const until = r.leaseValidUntil();
    return {
      id: r.id,
      term: r.term,
      vote: r.vote,
      commit: r.log.committed,
      applied: r.log.applied,
      firstIndex: r.log.firstIndex(),
      lastIndex: r.log.lastIndex(),
      role: r.role,
      leader: r.lead,
      leadTransferee: r.leadTransferee,
      conf: cloneConfState(r.conf),
      progress,
      tick: r.ticks,
      leaseValidUntilTick: until > r.ticks ? until : 0,
      uncommittedBytes: r.uncommittedBytes,
    };
  }
}

function readHardState(log: LogReader): HardState {
  const maybe = log as LogReader & { hardState?: () => HardState };
  return typeof maybe.hardState === 'function' ? maybe.hardState() : EMPTY_HARD_STATE;
}

export { RaftError };
