/**
 * The scenario lists behind `npm run faults` (cli.ts) and the CI test
 * (short-suite.test.ts): one definition, so CI runs exactly the short suite.
 */
import { nemesisList } from './nemesis';
import type { ScenarioOptions } from './run';
import type { ReadMode } from './workload';

export interface SuiteSetup {
  nodes: number;
  outDir: string;
  network: 'auto' | 'netns' | 'proxy';
}

/** The short suite: every nemesis at least once, every read mode, and two setups the checker must catch. */
export function shortSuite(setup: SuiteSetup): ScenarioOptions[] {
  const base = { ...setup, faultMs: 5000, healMs: 3000 };
  return [
    { ...base, name: 'linearizable-partitions', readMode: 'linearizable', durationMs: 50000, nemeses: nemesisList('partition-leader,partition-halves,one-way,bridge,flaky') },
    { ...base, name: 'linearizable-crashes', readMode: 'linearizable', durationMs: 40000, nemeses: nemesisList('kill-leader,pause,kill,slow-subscriber') },
    // Clock rates within the lease's drift margin (20%): lease reads must stay linearizable.
    { ...base, name: 'lease-clock-drift', readMode: 'lease', durationMs: 35000, clockRates: { 1: 0.9, 2: 1.1 }, nemeses: nemesisList('partition-leader,pause,kill-leader,clock-jump'), order: 'random' },
    { ...base, name: 'local-mixed', readMode: 'local', durationMs: 30000, nemeses: nemesisList('all'), order: 'random' },
    // A full disk on one node (leader, then follower): -MISCONF for writes, reads still served, no crash, resumes.
    { ...base, name: 'linearizable-disk-full', readMode: 'linearizable', durationMs: 16000, faultMs: 5000, healMs: 3000, nemeses: nemesisList('disk-full') },
    // Recovery while writes go on: a follower restarted from a snapshot (the log compacted under it), a follower
    // whose disk was wiped (rejoins as learner, promoted), a 100 MB value replicated to every node.
    { ...base, name: 'recovery-under-writes', readMode: 'linearizable', durationMs: 24000, faultMs: 5000, healMs: 3000, serverArgs: ['--snapshot-entries', '500', '--log-tail', '100'], nemeses: nemesisList('snapshot-restart,wipe-follower,big-value') },
    // Locks: increments inside LOCK.ACQUIRE/RELEASE must not be lost, fencing tokens must increase.
    { ...base, name: 'locks-failover', workload: 'lock', readMode: 'linearizable', durationMs: 30000, nemeses: nemesisList('partition-leader,kill-leader,pause') },
    // Must be caught: clients that skip LOCK.ACQUIRE lose increments.
    { ...base, name: 'locks-skip-acquire-caught', workload: 'lock', brokenLocks: 'skip-acquire', readMode: 'linearizable', durationMs: 5000, faultMs: 3000, healMs: 1000, nemeses: nemesisList('pause') },
    // Must be caught: local reads claimed linearizable (a client-side stand-in for a server failpoint).
    { ...base, name: 'weakened-reads-caught', readMode: 'linearizable', weakReads: true, durationMs: 6000, faultMs: 4000, healMs: 1000, nemeses: nemesisList('partition-leader') },
    // Must be caught: the server's failpoint serves linearizable reads from local state.
    { ...base, name: 'failpoint-reads-caught', readMode: 'linearizable', failpoint: 'linearizable-reads-local', expect: 'violation', durationMs: 6000, faultMs: 4000, healMs: 1000, nemeses: nemesisList('partition-leader') },
    // Must be caught: a leader whose clock runs at 0.2x, far beyond the drift margin, keeps serving lease reads after it is cut off.
    { ...base, name: 'lease-beyond-drift-caught', readMode: 'lease', expect: 'violation', durationMs: 13000, faultMs: 4000, healMs: 1000, clockRates: { 1: 0.2 }, nemeses: nemesisList('isolate-slowest-clock') },
  ];
}

/** The long soak: timeS seconds in total, split over read modes and workloads. */
export function soakSuite(setup: SuiteSetup, timeS: number, nemesis: string, mode?: ReadMode): ScenarioOptions[] {
  const total = timeS * 1000;
  const nemeses = nemesisList(nemesis);
  const base = { ...setup, nemeses, order: 'random' as const };
  if (mode) return [{ ...base, name: `soak-${mode}`, readMode: mode, durationMs: total }];
  return [
    { ...base, name: 'soak-linearizable', readMode: 'linearizable', durationMs: (total * 2) / 5 },
    { ...base, name: 'soak-lease', readMode: 'lease', durationMs: total / 5 },
    { ...base, name: 'soak-local', readMode: 'local', durationMs: total / 5 },
    { ...base, name: 'soak-locks', workload: 'lock', readMode: 'linearizable', durationMs: total / 5 },
  ];
}

