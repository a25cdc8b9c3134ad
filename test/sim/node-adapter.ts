import type {
  ConfChange,
  ConfState,
  HardState,
  LogReader,
  Message,
  NodeId,
  ProposeResult,
  RaftConfig,
  Ready,
  Role,
} from '../../server/raft/types';

/**
 * The seam between the simulator and a Raft core. The simulator only talks
 * to `SimCore`; `core-binding.ts` maps the real core in server/raft/ onto it,
 * and tests wrap it to inject deliberately broken behaviour.
 */

/** What the simulator reads from a core after each step (for invariants and targeting faults). */
export interface CoreStatus {
  term: number;
  vote: NodeId;
  commit: number;
  role: Role;
  leader: NodeId;
}

export interface SimCore {
  tick(): void;
  step(m: Message): void;
  /** Where the proposal landed; throws RaftError when refused (not leader, limits, ...). */
  propose(data: Uint8Array): ProposeResult;
  proposeConfChange(cc: ConfChange): void;
  readIndex(ctx: Uint8Array): void;
  /**
   * Lease read on the leader: the index the read must wait for (applied >=
   * index) when the lease is valid now, or undefined when a lease read is
   * refused (not leader, lease expired, no entry committed in this term yet).
   */
  leaseRead(): number | undefined;
  transferLeader(to: NodeId): void;
  hasReady(): boolean;
  ready(): Ready;
  advance(rd: Ready): void;
  /** Called by the driver when it applies a ConfChange entry; returns the new membership. */
  applyConfChange(cc: ConfChange): ConfState;
  /** The driver reports the fate of a snapshot it streamed to `to`. */
  reportSnapshot(to: NodeId, ok: boolean): void;
  status(): CoreStatus;
}

/** Everything a core needs to start (or restart) from persisted state. */
export interface CoreBootstrap {
  config: RaftConfig;
  log: LogReader;
  hardState: HardState;
}

/** Builds a core and the wire encoding of membership changes. */
export interface CoreBinding {
  create(boot: CoreBootstrap): SimCore;
  encodeConfChange(cc: ConfChange): Uint8Array;
  decodeConfChange(data: Uint8Array): ConfChange;
}

/**
 * A binding whose cores are wrapped, e.g. to grant every vote or to ack
 * without persisting; used by the tests that prove the checker catches bugs.
 */
export function wrapBinding(base: CoreBinding, wrap: (core: SimCore, boot: CoreBootstrap) => SimCore): CoreBinding {
  return {
    create: (boot) => wrap(base.create(boot), boot),
    encodeConfChange: (cc) => base.encodeConfChange(cc),
    decodeConfChange: (data) => base.decodeConfChange(data),
  };
}
