import type { RaftConfig, RandomSource } from './types';

/**
 * Sensible defaults: with a 100 ms tick, elections after 1–2 s of silence,
 * heartbeats every 100 ms, a lease of 0.8 s after each quorum acknowledgement.
 */
export function defaultRaftConfig(id: number, random: RandomSource, overrides: Partial<RaftConfig> = {}): RaftConfig {
  return {
    id,
    electionTicks: 10,
    heartbeatTicks: 1,
    preVote: true,
    checkQuorum: true,
    leaseDriftTicks: 2,
    maxInflightMsgs: 256,
    maxInflightBytes: 32 * 1024 * 1024,
    maxMsgBytes: 1024 * 1024,
    maxUncommittedBytes: 64 * 1024 * 1024,
    applied: 0,
    random,
    ...overrides,
  };
}
