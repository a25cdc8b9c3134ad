/**
 * The state several of the driver's jobs share: who leads, the membership,
 * what is on disk, whether the disk refuses writes. RaftReplicator owns one
 * NodeState; each part (server/node/*.ts) is handed it typed as a Pick of
 * exactly the fields it reads or writes, so its dependencies are visible in
 * its own interface. State used by one job only lives in that job's class.
 */
import type { StateMachine } from '../fsm';
import type { Keyspace } from '../keyspace';
import type { Logger } from '../log';
import type { ClusterMember } from '../members';
import { Role, type ConfState, type RaftNode } from '../raft';
import type { PeerTransport } from '../transport/peer-transport';
import type { NodeStore } from './store';

export class NodeState {
  /** The pure Raft core; built by RaftReplicator.start() once the durable state is loaded. */
  raft!: RaftNode;
  /** The applied membership. */
  conf!: ConfState;
  /** Member addresses (the members table, persisted in the keyspace copy). */
  readonly members = new Map<number, ClusterMember>();
  /** Role and leader as of the last Ready (status() is too costly for the write path). */
  role: Role = Role.Follower;
  leader = 0;
  /** The term of the last hard state taken from the core (forwarded writes are tagged with it). */
  lastTerm = -1;
  /** The term of the last applied entry (the keyspace copy's snapshot meta). */
  appliedTerm = 0;
  /** Last log index known to be on this node's disk. */
  durableIndex = 0;
  closed = false;
  /** Set while the disk refuses writes; writes are answered -MISCONF meanwhile. */
  diskError: Error | undefined;
  /** Ask for a write of the durable keyspace copy (compaction.ts, outside the Ready chain); wired by RaftReplicator. */
  requestKeyspaceFlush: () => void = () => undefined;
  /** The members table changed: the next keyspace flush writes it. */
  membersDirty = false;

  constructor(
    readonly id: number,
    readonly log: Logger,
    readonly fsm: StateMachine,
    readonly keyspace: Keyspace,
    readonly storage: NodeStore,
    readonly transport: PeerTransport | undefined,
  ) {}
}
