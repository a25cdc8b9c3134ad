import {
  applyConfChangeTo,
  checkConfState,
  cloneConfState,
  ConfChangeError,
  encodeConfChange,
  isJoint,
  isLeaveJoint,
  members,
} from './confchange';
import { entriesBytes, NO_ENTRIES, RaftLog } from './log';
import { Progress, ProgressState } from './progress';
import { isSingleton, jointCommitted, jointVoteResult, jointVoters, VoteResult } from './quorum';
import type { AckedIndexer, JointConfig } from './quorum';
import { ReadTracker } from './reads';
import { CAMPAIGN_TRANSFER, EntryType, MessageType, NONE, RaftError, Role } from './types';
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
  RandomSource,
  ReadState,
  SnapshotMeta,
} from './types';

/**
 * The Raft state machine (etcd-io/raft raft.go). Everything is synchronous and
 * deterministic: inputs are tick() and step(); outputs are queued in `msgs`,
 * `readStates` and the log, and collected by RaftNode.ready().
 *
 * Sends of App messages are deferred to flush() (called by ready()/hasReady()),
 * so any number of proposals and acknowledgements between two Readies yield
 * one App per follower (more only when maxMsgBytes splits it).
 */

const EMPTY_BYTES = new Uint8Array(0);

function newMessage(type: MessageType, from: NodeId, to: NodeId, term: number): Message {
  // Every field set, always in this order: one hidden class for all messages.
  return {
    type,
    from,
    to,
    term,
    logTerm: 0,
    index: 0,
    entries: NO_ENTRIES,
    commit: 0,
    reject: false,
    rejectHint: 0,
    context: undefined,
    snapshot: undefined,
  };
}

function isTransferContext(ctx: Uint8Array | undefined): boolean {
  if (ctx === undefined || ctx.byteLength !== CAMPAIGN_TRANSFER.byteLength) return false;
  for (let i = 0; i < ctx.byteLength; i++) if (ctx[i] !== CAMPAIGN_TRANSFER[i]) return false;
  return true;
}

function voteRespType(t: MessageType): MessageType {
  return t === MessageType.PreVote ? MessageType.PreVoteResp : MessageType.VoteResp;
}

export function validateConfig(c: RaftConfig): void {
  const bad = (why: string): never => {
    throw new RaftError('invalid', `invalid raft config: ${why}`);
  };
  if (!Number.isSafeInteger(c.id) || c.id <= 0) bad('id must be a positive integer');
  if (!(c.heartbeatTicks >= 1)) bad('heartbeatTicks must be >= 1');
  if (!(c.electionTicks > c.heartbeatTicks)) bad('electionTicks must be greater than heartbeatTicks');
  if (!(c.maxInflightMsgs >= 1)) bad('maxInflightMsgs must be >= 1');
  if (!(c.maxInflightBytes >= 0)) bad('maxInflightBytes must be >= 0 (0 = unlimited)');
  if (!(c.maxMsgBytes > 0)) bad('maxMsgBytes must be > 0');
  if (!(c.maxUncommittedBytes >= 0)) bad('maxUncommittedBytes must be >= 0 (0 = unlimited)');
  if (!(c.leaseDriftTicks >= 0) || c.leaseDriftTicks >= c.electionTicks) bad('leaseDriftTicks must be in [0, electionTicks)');
  if (!(c.applied >= 0)) bad('applied must be >= 0');
}

export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId = NONE;
  lead: NodeId = NONE;
  role: Role = Role.Follower;
  readonly log: RaftLog;

  // Configuration.
  private readonly electionTimeout: number;
  private readonly heartbeatTimeout: number;
  private readonly preVote: boolean;
  private readonly checkQuorum: boolean;
  private readonly leaseDrift: number;
  private readonly maxInflightMsgs: number;
  private readonly maxInflightBytes: number;
  private readonly maxMsgBytes: number;
  private readonly maxUncommittedBytes: number;
  readonly maxCommittedBytesPerReady: number;
  private readonly random: RandomSource;

  // Membership and the leader's view of its peers.
  conf: ConfState;
  private joint: JointConfig;
  readonly progress = new Map<NodeId, Progress>();
  /** Every member but this node, sorted. */
  private peers: NodeId[] = [];
  private readonly votes = new Map<NodeId, boolean>();

  // Timing (in ticks).
  ticks = 0;
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  /**
   * After a restart we may have promised a leader, before crashing, not to
   * vote for anyone else for an election timeout (its lease relies on it).
   * We cannot remember when, so we refuse votes for one timeout from start.
   */
  private bootLease = false;
  /**
   * False while this node may have forgotten votes (it started with no data
   * but is listed as a voter): it neither campaigns nor grants (pre-)votes,
   * and only follows a leader. See server/node/rejoin.ts.
   */
  private votingAllowed = true;

  leadTransferee: NodeId = NONE;
  /** A TimeoutNow went out this term: another node may win without waiting, so no lease. */
  private timeoutNowSent = false;
  /** Index of the latest conf change this leader may still have to apply. */
  private pendingConfIndex = 0;
  uncommittedBytes = 0;
  readonly reads = new ReadTracker();

  msgs: Message[] = [];
  readStates: ReadState[] = [];
  /** App messages may be due (flush() decides per follower). */
  private appendsDirty = false;

  private readonly ackedMatch: AckedIndexer = (id) => this.progress.get(id)?.match ?? 0;
  private readonly ackedRound: AckedIndexer = (id) => (id === this.id ? this.reads.round : this.progress.get(id)?.ackedRound ?? 0);
  private readonly activeVotes = new Map<NodeId, boolean>();

  constructor(config: RaftConfig, storage: LogReader, hs: HardState) {
    validateConfig(config);
    this.id = config.id;
    this.electionTimeout = config.electionTicks;
    this.heartbeatTimeout = config.heartbeatTicks;
    this.preVote = config.preVote;
    this.checkQuorum = config.checkQuorum;
    // Ticks of two nodes are never in phase: one tick of margin at least.
    this.leaseDrift = Math.max(1, config.leaseDriftTicks);
    this.maxInflightMsgs = config.maxInflightMsgs;
    this.maxInflightBytes = config.maxInflightBytes;
    this.maxMsgBytes = config.maxMsgBytes;
    this.maxUncommittedBytes = config.maxUncommittedBytes;
    this.maxCommittedBytesPerReady = config.maxCommittedBytesPerReady ?? Infinity;
    this.random = config.random;

    this.log = new RaftLog(storage, config.applied, hs.commit);
    const conf = config.conf ?? storage.snapshotMeta().conf;
    checkConfState(conf);
    this.conf = cloneConfState(conf);
    this.joint = { incoming: this.conf.voters, outgoing: this.conf.votersOutgoing };
    this.syncProgress();
    this.becomeFollower(hs.term, NONE);
    this.vote = hs.vote;
    this.bootLease = this.checkQuorum && hs.term > 0;
  }

  // ---------------------------------------------------------------- helpers

  private send(m: Message): void {
    this.msgs.push(m);
  }

  private msg(type: MessageType, to: NodeId): Message {
    return newMessage(type, this.id, to, this.term);
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  isLearner(): boolean {
    return this.progress.get(this.id)?.isLearner ?? false;
  }

  /** Can this node become leader? A voter without a snapshot to install. */
  promotable(): boolean {
    if (!this.votingAllowed) return false;
    const pr = this.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.log.hasPendingSnapshot();
  }

  /**
   * Forbids or allows this node to vote and campaign. Allowing it restarts
   * the election timer, so a node that was just cleared waits a full timeout
   * before it campaigns (its peers, cleared at the same moment, too).
   */
  setVoting(allowed: boolean): void {
    if (allowed && !this.votingAllowed) {
      this.electionElapsed = 0;
      this.resetRandomizedElectionTimeout();
    }
    this.votingAllowed = allowed;
  }

  get voting(): boolean {
    return this.votingAllowed;
  }

  private committedInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  private resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.electionTimeout + this.random.intn(this.electionTimeout);
  }

  /** Reconciles `progress` and `peers` with `conf` (new members probe from the last index). */
  private syncProgress(): void {
    const ids = members(this.conf);
    const learners = new Set(this.conf.learners);
    for (const id of [...this.progress.keys()]) if (!ids.includes(id)) this.progress.delete(id);
    const last = this.log.lastIndex();
    for (const id of ids) {
      let pr = this.progress.get(id);
      if (pr === undefined) {
        pr = new Progress(Math.max(last, 1), this.maxInflightMsgs, this.maxInflightBytes, learners.has(id));
        this.progress.set(id, pr);
      }
      pr.isLearner = learners.has(id);
    }
    this.peers = ids.filter((id) => id !== this.id);
    this.joint = { incoming: this.conf.voters, outgoing: this.conf.votersOutgoing };
  }

  // ---------------------------------------------------------------- roles

  private reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.leadTransferee = NONE;
    this.timeoutNowSent = false;
    this.bootLease = false;
    this.votes.clear();
    const last = this.log.lastIndex();
    for (const [id, pr] of this.progress) {
      pr.becomeProbe();
      pr.match = id === this.id ? this.log.persistedIndex() : 0;
      pr.next = last + 1;
      pr.recentActive = false;
      pr.sentCommit = 0;
      pr.ackedRound = 0;
    }
    this.pendingConfIndex = 0;
    this.uncommittedBytes = 0;
    this.reads.reset();
    this.appendsDirty = false;
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.role = Role.Follower;
  }

  private becomePreCandidate(): void {
    // Neither term nor vote change: a pre-election only asks whether we could win.
    this.votes.clear();
    this.lead = NONE;
    this.role = Role.PreCandidate;
  }

  private becomeCandidate(): void {
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = Role.Candidate;
  }

  private becomeLeader(): void {
    this.reset(this.term);
    this.lead = this.id;
    this.role = Role.Leader;
    const self = this.progress.get(this.id)!;
    self.becomeReplicate();
    self.recentActive = true;
    // Conf changes inherited in the log must be applied before we propose one.
    this.pendingConfIndex = this.log.lastIndex();
    // The no-op: commits everything before it, and gates reads and the lease.
    this.appendEntries([EMPTY_BYTES], EntryType.Normal);
  }

  // ---------------------------------------------------------------- time

  tick(): void {
    this.ticks++;
    if (this.role === Role.Leader) this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) this.bootLease = false;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.campaign(false);
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) {
        if (!this.quorumActive()) {
          this.becomeFollower(this.term, NONE);
          return;
        }
        for (const [id, pr] of this.progress) if (id !== this.id) pr.recentActive = false;
      }
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.leadTransferee !== NONE) this.leadTransferee = NONE;
    }
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat();
    }
  }

  private quorumActive(): boolean {
    const v = this.activeVotes;
    v.clear();
    for (const [id, pr] of this.progress) v.set(id, id === this.id || pr.recentActive);
    return jointVoteResult(this.joint, v) === VoteResult.Won;
  }

  // ---------------------------------------------------------------- elections

  /** Start an election (a pre-election first when preVote is on, unless forced by a transfer). */
  campaign(transfer: boolean): void {
    if (this.role === Role.Leader) return;
    if (!this.promotable()) return;
    // Our config may be stale until committed conf changes are applied.
    if (this.hasUnappliedConfChanges()) return;
    if (this.preVote && !transfer) this.runElection(true, false);
    else this.runElection(false, transfer);
  }

  private hasUnappliedConfChanges(): boolean {
    const lo = this.log.applied + 1;
    const hi = this.log.committed + 1;
    if (lo >= hi) return false;
    const ents = this.log.slice(lo, hi, Infinity);
    for (let i = 0; i < ents.length; i++) if (ents[i]!.type === EntryType.ConfChange) return true;
    return false;
  }

  private runElection(pre: boolean, transfer: boolean): void {
    let term: number;
    if (pre) {
      this.becomePreCandidate();
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      term = this.term;
    }
    if (this.poll(this.id, true) === VoteResult.Won) {
      // A single-voter config wins at once.
      if (pre) this.runElection(false, transfer);
      else this.becomeLeader();
      return;
    }
    const lastIndex = this.log.lastIndex();
    const lastTerm = this.log.lastTerm();
    for (const id of jointVoters(this.joint)) {
      if (id === this.id) continue;
      const m = newMessage(pre ? MessageType.PreVote : MessageType.Vote, this.id, id, term);
      m.index = lastIndex;
      m.logTerm = lastTerm;
      if (transfer) m.context = CAMPAIGN_TRANSFER;
      this.send(m);
    }
  }

  private poll(id: NodeId, granted: boolean): VoteResult {
    if (!this.votes.has(id)) this.votes.set(id, granted);
    return jointVoteResult(this.joint, this.votes);
  }

  private inLease(): boolean {
    return this.checkQuorum && (this.lead !== NONE || this.bootLease) && this.electionElapsed < this.electionTimeout;
  }

  private handleVoteRequest(m: Message): void {
    const canVote =
      this.votingAllowed &&
      (this.vote === m.from ||
        (this.vote === NONE && this.lead === NONE) ||
        (m.type === MessageType.PreVote && m.term > this.term));
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      // Granted: answer in the candidate's term so it counts the vote.
      const r = newMessage(voteRespType(m.type), this.id, m.from, m.term);
      this.send(r);
      if (m.type === MessageType.Vote) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      const r = this.msg(voteRespType(m.type), m.from);
      r.reject = true;
      this.send(r);
    }
  }

  // ---------------------------------------------------------------- step

  step(m: Message): void {
    if (m.term === 0) {
      // Local input, or a reply from a node that has never seen a term.
    } else if (m.term > this.term) {
      if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
        // Leader stickiness: while we hear from a leader, a (pre-)candidate is
        // a partitioned or removed node; ignore it unless the leader itself
        // handed over leadership (TimeoutNow).
        if (!isTransferContext(m.context) && this.inLease()) return;
      }
      if (m.type === MessageType.PreVote) {
        // A pre-vote never changes our term.
      } else if (m.type === MessageType.PreVoteResp && !m.reject) {
        // We adopt the term only when a quorum pre-voted for us.
      } else if (m.type === MessageType.App || m.type === MessageType.Heartbeat || m.type === MessageType.Snap) {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      if ((this.checkQuorum || this.preVote) && (m.type === MessageType.Heartbeat || m.type === MessageType.App)) {
        // A stale leader: answer with our term so it steps down (otherwise,
        // with pre-vote, nobody would ever tell it).
        this.send(this.msg(MessageType.AppResp, m.from));
      } else if (m.type === MessageType.PreVote) {
        const r = this.msg(MessageType.PreVoteResp, m.from);
        r.reject = true;
        this.send(r);
      }
      return;
    }

    switch (m.type) {
      case MessageType.Hup:
        this.campaign(false);
        return;
      case MessageType.Vote:
      case MessageType.PreVote:
        this.handleVoteRequest(m);
        return;
      case MessageType.Unreachable:
        this.reportUnreachable(m.from);
        return;
      case MessageType.SnapStatus:
        this.reportSnapshot(m.from, !m.reject);
        return;
      case MessageType.Prop:
        this.propose(m.entries.map((e) => e.data));
        return;
      default:
        break;
    }
    switch (this.role) {
      case Role.Leader:
        this.stepLeader(m);
        break;
      case Role.Candidate:
      case Role.PreCandidate:
        this.stepCandidate(m);
        break;
      case Role.Follower:
        this.stepFollower(m);
        break;
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case MessageType.App:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        break;
      case MessageType.Heartbeat:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        break;
      case MessageType.Snap:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        break;
      case MessageType.TimeoutNow:
        // The leader hands over: campaign at once, skipping the pre-vote.
        this.campaign(true);
        break;
      case MessageType.ReadIndexResp:
        this.readStates.push({ index: m.index, context: m.context ?? EMPTY_BYTES });
        break;
      default:
        break;
    }
  }

  private stepCandidate(m: Message): void {
    const myResp = this.role === Role.PreCandidate ? MessageType.PreVoteResp : MessageType.VoteResp;
    switch (m.type) {
      case MessageType.App:
        this.becomeFollower(m.term, m.from);
        this.handleAppendEntries(m);
        break;
      case MessageType.Heartbeat:
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        break;
      case MessageType.Snap:
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        break;
      case MessageType.PreVoteResp:
      case MessageType.VoteResp: {
        if (m.type !== myResp) break;
        const res = this.poll(m.from, !m.reject);
        if (res === VoteResult.Won) {
          if (this.role === Role.PreCandidate) this.runElection(false, false);
          else this.becomeLeader();
        } else if (res === VoteResult.Lost) {
          this.becomeFollower(this.term, NONE);
        }
        break;
      }
      default:
        break;
    }
  }

  private stepLeader(m: Message): void {
    switch (m.type) {
      case MessageType.Beat:
        this.bcastHeartbeat();
        return;
      case MessageType.ReadIndex:
        this.leaderReadIndex(m.from, m.context ?? EMPTY_BYTES);
        return;
      default:
        break;
    }
    const pr = this.progress.get(m.from);
    if (pr === undefined || m.from === this.id) return;
    switch (m.type) {
      case MessageType.AppResp:
        this.handleAppResp(m, pr);
        break;
      case MessageType.HeartbeatResp:
        pr.recentActive = true;
        pr.msgAppFlowPaused = false;
        if (pr.match < this.log.lastIndex() || pr.state === ProgressState.Probe) {
          pr.appWanted = true;
          this.appendsDirty = true;
        }
        if (m.index > pr.ackedRound && m.index <= this.reads.round) {
          pr.ackedRound = m.index;
          this.releaseReads();
        }
        break;
      default:
        break;
    }
  }

  // ---------------------------------------------------------------- follower side

  private handleAppendEntries(m: Message): void {
    const r = this.msg(MessageType.AppResp, m.from);
    if (m.index < this.log.committed) {
      // Everything up to our commit index matches any leader's log: tell it.
      r.index = this.log.committed;
      this.send(r);
      return;
    }
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew >= 0) {
      r.index = lastNew;
      this.send(r);
      return;
    }
    // Mismatch. Fast back-off: point the leader at the last index whose term
    // is <= the term it probed with, so it can skip a whole term per round trip.
    const hint = Math.min(m.index, this.log.lastIndex());
    const [hintIndex, hintTerm] = this.log.findConflictByTerm(hint, m.logTerm);
    r.index = m.index;
    r.reject = true;
    r.rejectHint = hintIndex;
    r.logTerm = hintTerm;
    this.send(r);
  }

  private handleHeartbeat(m: Message): void {
    // The leader sends min(match, commit): beyond our log only if we lost
    // entries we acknowledged (a wiped data directory). Commit what we hold,
    // never more; the App exchange that follows finds where our logs diverge.
    this.log.commitTo(Math.min(m.commit, this.log.lastIndex()));
    const r = this.msg(MessageType.HeartbeatResp, m.from);
    r.index = m.index;
    r.context = m.context;
    this.send(r);
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot;
    const r = this.msg(MessageType.AppResp, m.from);
    if (s !== undefined && this.restore(s)) r.index = this.log.lastIndex();
    else r.index = this.log.committed;
    this.send(r);
  }

  /** Install a snapshot from the leader if it is news to us. */
  private restore(s: SnapshotMeta): boolean {
    if (s.index <= this.log.committed) return false;
    if (this.role !== Role.Follower) {
      this.becomeFollower(this.term + 1, NONE);
      return false;
    }
    const inConf = members(s.conf).includes(this.id);
    if (!inConf) return false;
    if (this.log.matchTerm(s.index, s.term)) {
      // We hold the snapshot's last entry: just fast-forward the commit index.
      this.log.commitTo(s.index);
      return false;
    }
    try {
      checkConfState(s.conf);
    } catch {
      return false;
    }
    this.log.restore(s);
    this.conf = cloneConfState(s.conf);
    this.progress.clear();
    this.syncProgress();
    return true;
  }

  // ---------------------------------------------------------------- leader side

  private handleAppResp(m: Message, pr: Progress): void {
    pr.recentActive = true;
    if (m.reject) {
      let nextProbe = m.rejectHint;
      if (m.logTerm > 0) nextProbe = this.log.findConflictByTerm(m.rejectHint, m.logTerm)[0];
      if (pr.maybeDecrTo(m.index, nextProbe)) {
        if (pr.state === ProgressState.Replicate) pr.becomeProbe();
        this.appendsDirty = true;
      }
      return;
    }
    if (pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === ProgressState.Probe)) {
      if (pr.state === ProgressState.Probe) {
        pr.becomeReplicate();
      } else if (pr.state === ProgressState.Snapshot && pr.match + 1 >= this.log.firstIndex()) {
        // Caught up by the snapshot (whatever index it had): replicate from match.
        pr.becomeProbe();
        pr.becomeReplicate();
      } else if (pr.state === ProgressState.Replicate) {
        pr.inflights.freeLE(m.index);
      }
      this.maybeCommit();
      this.appendsDirty = true;
      if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) this.sendTimeoutNow(m.from);
    }
  }

  /** Advance the commit index to what a (joint) quorum has persisted, if it is of this term. */
  maybeCommit(): boolean {
    const wasInTerm = this.committedInCurrentTerm();
    // Figure 8: only an entry of the current term is committed by counting replicas.
    if (!this.log.maybeCommit(jointCommitted(this.joint, this.ackedMatch), this.term)) return false;
    this.appendsDirty = true;
    if (!wasInTerm) {
      // The no-op is committed: reads that waited for it can start.
      const waiting = this.reads.awaitingCommit;
      this.reads.awaitingCommit = [];
      for (const r of waiting) this.leaderReadIndex(r.from, r.context);
    }
    return true;
  }

  /** Called by RaftNode.advance(): our own entries up to the persisted index count now. */
  onPersisted(): void {
    if (this.role !== Role.Leader) return;
    const self = this.progress.get(this.id);
    if (self !== undefined && self.maybeUpdate(this.log.persistedIndex())) this.maybeCommit();
  }

  private appendEntries(datas: readonly Uint8Array[], type: EntryType): ProposeResult {
    const first = this.log.lastIndex() + 1;
    const ents: Entry[] = new Array<Entry>(datas.length);
    for (let i = 0; i < datas.length; i++) ents[i] = { term: this.term, index: first + i, type, data: datas[i]! };
    this.log.append(ents);
    this.appendsDirty = true;
    return { index: first, term: this.term };
  }

  private checkCanPropose(bytes: number): void {
    if (this.role !== Role.Leader) throw new RaftError('not-leader', 'not the leader', this.lead);
    if (this.leadTransferee !== NONE) {
      throw new RaftError('transfer-in-progress', `leadership transfer to ${this.leadTransferee} in progress`, this.leadTransferee);
    }
    if (!this.progress.has(this.id)) throw new RaftError('proposal-dropped', 'this node was removed from the cluster');
    if (
      this.maxUncommittedBytes > 0 &&
      bytes > 0 &&
      this.uncommittedBytes > 0 &&
      this.uncommittedBytes + bytes > this.maxUncommittedBytes
    ) {
      throw new RaftError(
        'uncommitted-limit',
        `uncommitted log too large (${this.uncommittedBytes} + ${bytes} bytes > ${this.maxUncommittedBytes})`,
        this.id,
      );
    }
  }

  propose(datas: readonly Uint8Array[]): ProposeResult {
    if (datas.length === 0) throw new RaftError('invalid', 'empty proposal');
    let bytes = 0;
    for (let i = 0; i < datas.length; i++) bytes += datas[i]!.byteLength;
    this.checkCanPropose(bytes);
    this.uncommittedBytes += bytes;
    return this.appendEntries(datas, EntryType.Normal);
  }

  proposeConfChange(cc: ConfChange): ProposeResult {
    const data = encodeConfChange(cc);
    this.checkCanPropose(data.byteLength);
    if (this.pendingConfIndex > this.log.applied) {
      throw new RaftError('conf-change-pending', `a conf change (index ${this.pendingConfIndex}) is not applied yet`, this.id);
    }
    const joint = isJoint(this.conf);
    const leave = isLeaveJoint(cc);
    if (joint && !leave) throw new RaftError('conf-change-pending', 'the joint config must be left first', this.id);
    if (!joint && leave) throw new RaftError('invalid', 'not in a joint config', this.id);
    try {
      applyConfChangeTo(this.conf, cc);
    } catch (e) {
      if (e instanceof ConfChangeError) throw new RaftError('invalid', e.message, this.id);
      throw e;
    }
    this.uncommittedBytes += data.byteLength;
    const res = this.appendEntries([data], EntryType.ConfChange);
    this.pendingConfIndex = res.index;
    return res;
  }

  /**
   * The driver applied a ConfChange entry. An invalid change (impossible when
   * proposed through proposeConfChange) is ignored, identically on every node.
   */
  applyConfChange(cc: ConfChange): ConfState {
    let next: ConfState;
    try {
      next = applyConfChangeTo(this.conf, cc);
    } catch (e) {
      if (e instanceof ConfChangeError) return cloneConfState(this.conf);
      throw e;
    }
    this.conf = next;
    this.syncProgress();
    if (this.role === Role.Leader) {
      const self = this.progress.get(this.id);
      if (self === undefined || self.isLearner) {
        // Removed or demoted (the change is committed): hand the cluster to the others.
        this.becomeFollower(this.term, NONE);
      } else {
        this.maybeCommit();
        this.releaseReads();
        this.appendsDirty = true;
        if (this.leadTransferee !== NONE && !jointVoters(this.joint).includes(this.leadTransferee)) this.leadTransferee = NONE;
      }
    }
    return cloneConfState(this.conf);
  }

  /** After applying: a leader in an auto-leave joint config proposes leaving it. */
  maybeAutoLeave(): void {
    if (this.role !== Role.Leader || !this.conf.autoLeave || !isJoint(this.conf)) return;
    if (this.log.applied < this.pendingConfIndex) return;
    const res = this.appendEntries([encodeConfChange({ changes: [], leaveJoint: true })], EntryType.ConfChange);
    this.pendingConfIndex = res.index;
  }

  /** Sends due App messages to every follower (deferred sends, see the class comment). */
  flush(): void {
    if (this.role !== Role.Leader) {
      this.appendsDirty = false;
      return;
    }
    if (this.reads.roundWanted) this.bcastHeartbeat();
    if (!this.appendsDirty) return;
    this.appendsDirty = false;
    const peers = this.peers;
    for (let i = 0; i < peers.length; i++) {
      const pr = this.progress.get(peers[i]!)!;
      this.sendAppends(peers[i]!, pr);
    }
  }

  private sendAppends(to: NodeId, pr: Progress): void {
    for (;;) {
      if (pr.isPaused()) return;
      const hasEntries = this.canSendEntries(pr);
      const wanted = hasEntries || pr.appWanted || pr.sentCommit < this.log.committed || pr.state === ProgressState.Probe;
      if (!wanted || !this.sendAppend(to, pr)) return;
      if (!hasEntries) return;
    }
  }

  private canSendEntries(pr: Progress): boolean {
    // A replicating peer with a full window gets empty Apps only (see appWanted).
    return pr.next <= this.log.lastIndex() && !(pr.state === ProgressState.Replicate && pr.inflights.full());
  }

  /** One App (or a Snap when the entries are compacted). False when nothing could be sent. */
  private sendAppend(to: NodeId, pr: Progress): boolean {
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    if (prevTerm === undefined) return this.sendSnapshot(to, pr);
    const last = this.log.lastIndex();
    let ents = NO_ENTRIES;
    if (this.canSendEntries(pr)) {
      if (pr.next < this.log.firstIndex()) return this.sendSnapshot(to, pr);
      ents = this.log.slice(pr.next, last + 1, this.maxMsgBytes);
    }
    pr.appWanted = false;
    const m = this.msg(MessageType.App, to);
    m.index = prevIndex;
    m.logTerm = prevTerm;
    m.entries = ents;
    m.commit = this.log.committed;
    this.send(m);
    pr.sentEntries(ents.length, ents.length === 0 ? 0 : entriesBytes(ents));
    if (pr.state === ProgressState.Probe) pr.msgAppFlowPaused = true; // one probe at a time
    if (pr.sentCommit < m.commit) pr.sentCommit = m.commit;
    return true;
  }

  private sendSnapshot(to: NodeId, pr: Progress): boolean {
    // A peer we have not heard from may be down: don't start a transfer.
    if (!pr.recentActive) return false;
    const snap = this.log.snapshotMeta();
    if (snap.index === 0) throw new Error('raft: need a snapshot but the log was never compacted');
    pr.becomeSnapshot(snap.index);
    const m = this.msg(MessageType.Snap, to);
    m.snapshot = { index: snap.index, term: snap.term, conf: cloneConfState(snap.conf) };
    this.send(m);
    return true;
  }

  private bcastHeartbeat(): void {
    const round = this.reads.startRound(this.ticks);
    const self = this.progress.get(this.id);
    if (self !== undefined) self.ackedRound = round;
    const peers = this.peers;
    for (let i = 0; i < peers.length; i++) {
      const pr = this.progress.get(peers[i]!)!;
      const m = this.msg(MessageType.Heartbeat, peers[i]!);
      // Never tell a follower to commit beyond what it is known to hold.
      m.commit = Math.min(pr.match, this.log.committed);
      m.index = round;
      this.send(m);
    }
    // A config where this node decides alone confirms at once.
    this.releaseReads();
  }

  private sendTimeoutNow(to: NodeId): void {
    this.timeoutNowSent = true;
    this.send(this.msg(MessageType.TimeoutNow, to));
  }

  // ---------------------------------------------------------------- reads

  /** The highest heartbeat round acknowledged by a quorum (0: none). */
  private quorumRound(): number {
    return jointCommitted(this.joint, this.ackedRound);
  }

  private leaderReadIndex(from: NodeId, context: Uint8Array): void {
    if (!this.committedInCurrentTerm()) {
      // Our commit index may lag the previous leader's: wait for the no-op.
      this.reads.awaitingCommit.push({ from, context });
      return;
    }
    if (isSingleton(this.joint, this.id)) {
      this.respondRead(from, context, this.log.committed);
      return;
    }
    this.reads.enqueue(from, context, this.log.committed);
  }

  private releaseReads(): void {
    if (this.role !== Role.Leader || this.reads.pendingCount() === 0) return;
    const done = this.reads.release(this.quorumRound());
    for (const r of done) this.respondRead(r.from, r.context, r.index);
  }

  private respondRead(from: NodeId, context: Uint8Array, index: number): void {
    if (from === this.id || from === NONE) {
      this.readStates.push({ index, context });
    } else {
      const m = this.msg(MessageType.ReadIndexResp, from);
      m.index = index;
      m.context = context;
      this.send(m);
    }
  }

  readIndex(context: Uint8Array): void {
    if (this.role === Role.Leader) {
      this.leaderReadIndex(this.id, context);
    } else if (this.lead !== NONE) {
      const m = this.msg(MessageType.ReadIndex, this.lead);
      m.context = context;
      this.send(m);
    } else {
      throw new RaftError('not-leader', 'no leader known', NONE);
    }
  }

  /**
   * Lease reads are allowed while ticks < this value; 0 when not valid. The
   * lease runs from the send tick of the latest heartbeat round a quorum
   * acknowledged: each acknowledging follower then refuses votes (leader
   * stickiness) for an election timeout after it received that round.
   */
  leaseValidUntil(): number {
    if (this.role !== Role.Leader || !this.checkQuorum) return 0;
    if (this.leadTransferee !== NONE || this.timeoutNowSent) return 0;
    if (!this.committedInCurrentTerm()) return 0;
    if (isSingleton(this.joint, this.id)) return Infinity;
    const sent = this.reads.sentTick(this.quorumRound());
    if (sent === undefined) return 0;
    return sent + this.electionTimeout - this.leaseDrift;
  }

  leaseValid(): boolean {
    return this.ticks < this.leaseValidUntil();
  }

  // ---------------------------------------------------------------- transfer, reports

  transferLeader(to: NodeId): void {
    if (this.role !== Role.Leader) throw new RaftError('not-leader', 'not the leader', this.lead);
    if (to === this.id) {
      this.leadTransferee = NONE;
      return;
    }
    const pr = this.progress.get(to);
    if (pr === undefined || pr.isLearner || !jointVoters(this.joint).includes(to)) {
      throw new RaftError('invalid', `${to} is not a voter`, this.id);
    }
    if (this.leadTransferee === to) return;
    this.leadTransferee = to;
    // The transfer has one election timeout to complete.
    this.electionElapsed = 0;
    if (pr.match === this.log.lastIndex()) {
      this.sendTimeoutNow(to);
    } else {
      pr.appWanted = true; // start catching it up now, even if Apps seem in flight
      this.appendsDirty = true;
    }
  }

  reportSnapshot(peer: NodeId, ok: boolean): void {
    if (this.role !== Role.Leader) return;
    const pr = this.progress.get(peer);
    if (pr === undefined || pr.state !== ProgressState.Snapshot) return;
    if (!ok) pr.pendingSnapshot = 0;
    pr.becomeProbe();
    // Wait for a heartbeat response before probing: the peer may be slow to install.
    pr.msgAppFlowPaused = true;
  }

  reportUnreachable(peer: NodeId): void {
    if (this.role !== Role.Leader) return;
    const pr = this.progress.get(peer);
    if (pr !== undefined && pr.state === ProgressState.Replicate) pr.becomeProbe();
  }

  /** Whether flush() may produce messages (used by hasReady()). */
  hasPendingSends(): boolean {
    return this.role === Role.Leader && (this.appendsDirty || this.reads.roundWanted);
  }
}
