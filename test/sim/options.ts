import type { NetworkOptions } from './network';
import { Prng } from './prng';

/**
 * Everything one simulated run depends on besides the seed. `swarmOptions`
 * draws them from the seed (TigerBeetle's options_swarm), so each seed
 * explores a different corner: small or large clusters, calm or lossy
 * networks, rare or frequent crashes.
 */
export interface SimOptions {
  voters: number;
  learners: number;
  preVote: boolean;
  checkQuorum: boolean;
  electionTicks: number;
  heartbeatTicks: number;
  leaseDriftTicks: number;
  maxInflightMsgs: number;
  maxMsgBytes: number;
  maxUncommittedBytes: number;
  /** Cap on committed entries per Ready (undefined = all at once). */
  maxCommittedBytesPerReady: number | undefined;
  /** Virtual ms per tick, and the largest relative deviation of any node's tick interval. */
  tickMs: number;
  clockSkew: number;
  net: NetworkOptions;
  /** Virtual ms from a Ready to its durable write (0 = synchronous, the write finishes at once). */
  diskLatencyMs: number;
  /** Take the next Ready while earlier durable writes are in flight (the core allows it). */
  pipelineReadies: boolean;
  /** Odds of a crash at each boundary of the Ready processing (after persist, after send, ...). */
  crashMidReadyProb: number;
  /** A fault decision is taken every faultEveryMs; the odds below apply to each decision. */
  faultEveryMs: number;
  crashProb: number;
  restartAfterMs: [number, number];
  partitionProb: number;
  partitionForMs: [number, number];
  confChangeProb: number;
  transferProb: number;
  /**
   * Driver policy: when the core asks to send a snapshot that predates the
   * target's membership (so the target would refuse it), take a fresh one.
   * Always on; off only to demonstrate the stall it prevents (FINDINGS.md).
   */
  freshSnapshotForNewMembers: boolean;
  /** Compact the log when more than this many applied entries precede the applied index. */
  compactAfter: number;
  clients: number;
  clientEveryMs: [number, number];
  readProb: number;
  leaseReadProb: number;
  /** Client gives up on an operation after this long (the write may still commit). */
  clientTimeoutMs: number;
  faultPhaseMs: number;
  /** After heal, a leader and the pending proposals must commit within this much virtual time. */
  livenessBoundMs: number;
}


export interface SwarmOverrides {
  nodes?: number;
  faultPhaseMs?: number;
  /** false: turn off the driver's fresh-snapshot policy (to reproduce FINDINGS.md #2). */
  freshSnapshots?: boolean;
}

export function swarmOptions(seed: number, overrides: SwarmOverrides = {}): SimOptions {
  const r = new Prng(seed ^ 0x5eed);
  const voters = overrides.nodes ?? (r.chance(0.5) ? 3 : 5);
  const calm = r.chance(0.15); // some seeds run with few faults, to go deep instead of wide
  const lossy = !calm && r.chance(0.5);
  const electionTicks = r.between(8, 14);
  const checkQuorum = r.chance(0.7);
  return {
    voters,
    learners: r.chance(0.4) ? r.between(1, 2) : 0,
    preVote: r.chance(0.6),
    checkQuorum,
    electionTicks,
    heartbeatTicks: r.between(1, 3),
    leaseDriftTicks: r.between(2, 4),
    maxInflightMsgs: r.pick([1, 4, 64]),
    maxMsgBytes: r.pick([16, 256, 1 << 20]),
    maxUncommittedBytes: r.chance(0.2) ? 2048 : 0,
    maxCommittedBytesPerReady: r.pick([undefined, undefined, 16]),
    tickMs: 10,
    clockSkew: r.pick([0, 0.005, 0.01]),
    net: {
      minDelay: 1,
      maxDelay: r.pick([2, 5, 10, 20]),
      dropProb: calm ? 0 : lossy ? r.pick([0.05, 0.1, 0.2]) : r.pick([0, 0.01]),
      dupProb: calm ? 0 : r.pick([0, 0.02, 0.1]),
      reorderProb: calm ? 0 : r.pick([0, 0.05, 0.2]),
      reorderDelay: r.pick([10, 40, 100]),
    },
    diskLatencyMs: r.pick([0, 0, 1, 3, 8]),
    pipelineReadies: r.chance(0.4),
    crashMidReadyProb: calm ? 0 : r.pick([0, 0.002, 0.01]),
    faultEveryMs: 50,
    crashProb: calm ? 0 : r.pick([0, 0.02, 0.05, 0.1]),
    restartAfterMs: [20, r.pick([100, 400, 1000])],
    partitionProb: calm ? 0 : r.pick([0, 0.03, 0.08]),
    partitionForMs: [50, r.pick([200, 600, 1500])],
    confChangeProb: r.pick([0, 0.05, 0.12]),
    transferProb: r.pick([0, 0.03, 0.1]),
    freshSnapshotForNewMembers: overrides.freshSnapshots ?? true,
    compactAfter: r.pick([8, 32, 1000]),
    clients: r.between(1, 4),
    clientEveryMs: [1, r.pick([5, 20, 50])],
    readProb: r.pick([0.2, 0.5]),
    leaseReadProb: r.pick([0, 0.1, 0.3]),
    clientTimeoutMs: 400,
    faultPhaseMs: overrides.faultPhaseMs ?? r.pick([3_000, 6_000, 10_000]),
    livenessBoundMs: 40 * electionTicks * 10,
  };
}

export function describeOptions(o: SimOptions): string {
  const n = o.net;
  return [
    `voters=${o.voters} learners=${o.learners} prevote=${o.preVote} checkquorum=${o.checkQuorum}`,
    `election=${o.electionTicks} heartbeat=${o.heartbeatTicks} leasedrift=${o.leaseDriftTicks} inflight=${o.maxInflightMsgs} msgbytes=${o.maxMsgBytes} applybytes=${o.maxCommittedBytesPerReady ?? 'all'} uncommitted=${o.maxUncommittedBytes || 'unlimited'}`,
    `net delay=${n.minDelay}-${n.maxDelay}ms drop=${n.dropProb} dup=${n.dupProb} reorder=${n.reorderProb}/${n.reorderDelay}ms skew=${o.clockSkew}`,
    `disk=${o.diskLatencyMs}ms${o.pipelineReadies ? ' pipelined' : ''} crash=${o.crashProb} midready=${o.crashMidReadyProb} partition=${o.partitionProb} conf=${o.confChangeProb} transfer=${o.transferProb} compact=${o.compactAfter}`,
    `clients=${o.clients} reads=${o.readProb} lease=${o.leaseReadProb} faults=${o.faultPhaseMs}ms liveness<=${o.livenessBoundMs}ms`,
  ].join('\n');
}
