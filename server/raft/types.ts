/**
 * The contract of the Raft core (server/raft/). Modelled on etcd-io/raft's
 * RawNode: inputs are tick/step/propose/readIndex/transferLeader/conf changes,
 * output is a Ready that the driver persists, sends and applies, then
 * acknowledges with advance(). The core does no I/O and reads no clock:
 * time is ticks, randomness comes from an injected source.
 *
 * Node ids are positive integers; 0 means "none".
 */

export type NodeId = number;
export const NONE: NodeId = 0;

export enum EntryType {
  Normal = 0,
  /** data is an encoded ConfChange (see ConfChange below). */
  ConfChange = 1,
}

/**
 * Entries are immutable once created: the core shares the same Entry objects
 * between its log, Ready.entries, Ready.committedEntries and App messages.
 * The size of an entry, for every byte limit below, is data.byteLength.
 */
export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  /** Opaque to the core; empty for the leader's no-op. */
  data: Uint8Array;
}

/** Persisted before any message that depends on it is sent. */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
}

/** Cluster membership. Joint consensus: votersOutgoing is non-empty while in a joint config. */
export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
  votersOutgoing: NodeId[];
  /** Learners that become voters when the joint config is left. */
  learnersNext: NodeId[];
  autoLeave: boolean;
}

export enum ConfChangeType {
  AddNode = 0,
  RemoveNode = 1,
  AddLearner = 2,
}

export interface ConfChangeSingle {
  type: ConfChangeType;
  node: NodeId;
}

/**
 * One or more changes. More than one change (or joint=true) enters joint
 * consensus; the leader leaves the joint config automatically once it is
 * applied (autoLeave). A single change is applied directly (one voter at most).
 */
export interface ConfChange {
  changes: ConfChangeSingle[];
  /** Enter a joint config even for a single change. */
  joint?: boolean;
  /** Leave a joint config (empty changes + leaveJoint=true). */
  leaveJoint?: boolean;
  /** Opaque context for the driver (e.g. the new node's addresses). */
  context?: Uint8Array;
}

export interface SnapshotMeta {
  index: number;
  term: number;
  conf: ConfState;
}

export enum MessageType {
  // Local inputs (never sent over the wire)
  Hup = 0, // start an election
  Beat = 1, // leader: send heartbeats
  Prop = 2, // proposal via step() (= propose(entries' data)); a follower refuses, the driver forwards writes
  Unreachable = 3, // driver reports a peer unreachable
  SnapStatus = 4, // driver reports a snapshot transfer finished (reject = failed)
  // Wire messages
  App = 10,
  AppResp = 11,
  Vote = 12,
  VoteResp = 13,
  PreVote = 14,
  PreVoteResp = 15,
  Snap = 16,
  Heartbeat = 17,
  HeartbeatResp = 18,
  TransferLeader = 19, // reserved: transferLeader() is local to the leader (drivers forward admin requests)
  TimeoutNow = 20,
  ReadIndex = 21,
  ReadIndexResp = 22,
}

export interface Message {
  type: MessageType;
  from: NodeId;
  to: NodeId;
  term: number;
  /** App: term of the entry preceding `entries`; also the hint term on rejection. */
  logTerm: number;
  /**
   * App: index preceding `entries`; AppResp: last index matched (or rejected index);
   * Vote/PreVote: candidate's last index; ReadIndexResp: the read index;
   * Heartbeat/HeartbeatResp: the leader's heartbeat round (echoed), which
   * confirms ReadIndex requests and times the leader lease.
   */
  index: number;
  entries: Entry[];
  commit: number;
  reject: boolean;
  rejectHint: number;
  /**
   * ReadIndex/ReadIndexResp: the request context, opaque bytes.
   * Vote/PreVote: CAMPAIGN_TRANSFER when the election follows a TimeoutNow
   * (voters then grant it even while they still hear from a leader).
   */
  context?: Uint8Array;
  /** Snap: the snapshot's metadata. The driver streams the data itself. */
  snapshot?: SnapshotMeta;
}

export enum Role {
  Follower = 'follower',
  PreCandidate = 'pre-candidate',
  Candidate = 'candidate',
  Leader = 'leader',
}

export interface SoftState {
  leader: NodeId;
  role: Role;
}

/** A completed ReadIndex request: serve the read once applied >= index. */
export interface ReadState {
  index: number;
  context: Uint8Array;
}

/**
 * Work handed to the driver. Processing order:
 *  1. if hardState has a new term or vote, persist it before sending anything;
 *  2. messages of type App/Snap/Heartbeat from a leader may be sent at once
 *     (the leader writes its log in parallel with its followers, Raft thesis 10.2.1);
 *  3. install `snapshot` if present (the keyspace data streamed by the leader,
 *     then LogStore.compact(snapshot.index, snapshot)); persist `entries`
 *     (LogStore.append discards persisted entries with index >= entries[0].index)
 *     and hardState, in one durable write when possible;
 *  4. send the remaining messages (acknowledgements must follow persistence);
 *  5. apply committedEntries in order (a ConfChange entry: applyConfChange());
 *     serve readStates once the applied index reaches theirs;
 *  6. call advance(ready).
 * The driver may call ready() again before advance() (e.g. while a write is
 * in flight); Readies must then be processed and advanced in the order
 * returned, and the messages of step 4 and the entries of step 5 of a Ready
 * wait until the writes of that Ready AND of every earlier one are durable
 * (an acknowledgement may cover entries written by an earlier Ready).
 * The leader counts its own log toward the commit quorum only for entries it
 * has persisted, i.e. after advance(). The arrays of a Ready are read-only
 * (empty ones are shared and frozen).
 */
export interface Ready {
  softState?: SoftState;
  hardState?: HardState;
  entries: Entry[];
  snapshot?: SnapshotMeta;
  committedEntries: Entry[];
  messages: Message[];
  readStates: ReadState[];
  /** True when hardState term/vote or entries changed: the write must be fsynced. */
  mustSync: boolean;
}

/** Deterministic randomness injected into the core (election jitter). */
export interface RandomSource {
  /** An integer in [0, n). */
  intn(n: number): number;
}

export interface RaftConfig {
  id: NodeId;
  /** Ticks without hearing from a leader before campaigning (randomised in [t, 2t)). */
  electionTicks: number;
  heartbeatTicks: number;
  preVote: boolean;
  checkQuorum: boolean;
  /**
   * Leader lease: valid for (electionTicks - leaseDriftTicks) ticks after the
   * tick at which a quorum last acknowledged this leader.
   */
  leaseDriftTicks: number;
  /** Flow control per follower. */
  maxInflightMsgs: number;
  maxInflightBytes: number;
  /** Max bytes of entries in one App message. */
  maxMsgBytes: number;
  /** Proposals are rejected (ErrProposalDropped) beyond this many uncommitted bytes. 0 = unlimited. */
  maxUncommittedBytes: number;
  /** Applied index at start (from the durable keyspace); committed entries start after it. */
  applied: number;
  random: RandomSource;
  /**
   * Membership as of `applied` (the durable keyspace records it with the
   * applied index). Defaults to log.snapshotMeta().conf, which is right only
   * when no conf change was applied after the log's snapshot.
   */
  conf?: ConfState;
  /** Max bytes of committedEntries in one Ready (at least one entry). Default unlimited. */
  maxCommittedBytesPerReady?: number;
}

/** Context of a Vote sent after TimeoutNow (leadership transfer). */
export const CAMPAIGN_TRANSFER: Uint8Array = Uint8Array.of(0x54, 0x52, 0x41, 0x4e, 0x53, 0x46, 0x45, 0x52); // "TRANSFER"

/** Where an accepted proposal landed: wait for an applied entry with this index AND term. */
export interface ProposeResult {
  /** Index of the first entry of the proposal; the others follow consecutively. */
  index: number;
  term: number;
}

export type ProgressStateName = 'probe' | 'replicate' | 'snapshot';

/** The leader's view of one peer (status()). */
export interface PeerStatus {
  id: NodeId;
  match: number;
  next: number;
  state: ProgressStateName;
  /** Snapshot state: the index of the snapshot being sent. */
  pendingSnapshot: number;
  inflightMsgs: number;
  inflightBytes: number;
  /** Heard from since the last check-quorum round. */
  recentActive: boolean;
  /** No more App messages until an acknowledgement arrives. */
  paused: boolean;
  isLearner: boolean;
}

export interface Status {
  id: NodeId;
  term: number;
  vote: NodeId;
  commit: number;
  applied: number;
  firstIndex: number;
  lastIndex: number;
  role: Role;
  leader: NodeId;
  /** Leadership transfer in progress (leader only), else NONE. */
  leadTransferee: NodeId;
  conf: ConfState;
  /** Leader only: every member but itself, sorted by id; empty otherwise. */
  progress: PeerStatus[];
  /** Ticks seen since start. */
  tick: number;
  /** Leader only: lease reads are allowed while tick < leaseValidUntilTick; 0 when not valid. */
  leaseValidUntilTick: number;
  /** Bytes of proposals appended by this leader and not committed yet. */
  uncommittedBytes: number;
}

/** Why the core refused a proposal/request; the driver maps these to Redis errors. */
export class RaftError extends Error {
  constructor(
    readonly code: 'not-leader' | 'proposal-dropped' | 'uncommitted-limit' | 'conf-change-pending' | 'transfer-in-progress' | 'invalid',
    message: string,
    readonly leader: NodeId = NONE,
  ) {
    super(message);
  }
}

/** Synchronous read access to the durable log the core needs (LMDB reads are synchronous). */
export interface LogReader {
  /** Index of the first entry still in the log (snapshot.index + 1 when compacted). */
  firstIndex(): number;
  lastIndex(): number;
  /** Term of the entry at index; the snapshot's index also answers. undefined if compacted or beyond lastIndex. */
  term(index: number): number | undefined;
  /**
   * Entries in [lo, hi): the longest prefix whose total size (data.byteLength)
   * is <= maxBytes, but always at least one entry. Requires
   * firstIndex() <= lo <= hi <= lastIndex() + 1 (throws otherwise). The caller
   * must not mutate the returned array.
   */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  /**
   * The snapshot the log starts after: index firstIndex()-1, its term, and the
   * membership at that index. A fresh log answers { index: 0, term: 0, conf }
   * with the bootstrap membership.
   */
  snapshotMeta(): SnapshotMeta;
}
