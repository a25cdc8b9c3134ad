/**
 * Logs when the event loop was blocked long enough to matter to Raft (a
 * stall near the election timeout costs heartbeats, and with checkQuorum the
 * leadership). Like Redis's latency monitor, it only reports: an operator
 * seeing these lines knows elections came from a stalled process (a slow
 * synchronous disk call, a huge command, GC), not from the network.
 *
 * Each stall also says how much of it the main thread spent runnable but
 * waiting for a CPU (Linux schedstat): a stall that is mostly waiting is the
 * machine's (other processes, too few CPUs), not this server's own work.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { latencyMonitor } from './latency';

export interface LoopMonitorOptions {
  /** How often the loop is sampled. */
  intervalMs: number;
  /** A delay beyond the interval of at least this much is logged. */
  thresholdMs: number;
}

/** The main thread's schedstat ("run ns, run-queue wait ns, timeslices"); the timer runs on the main thread. */
const SCHEDSTAT = `/proc/thread-self/schedstat`;

/**
 * The thread's total run-queue wait in ms, or null where the kernel does not
 * say (not Linux, or schedstats off).
 */
export function runQueueWaitMs(read: () => string = () => readFileSync(SCHEDSTAT, 'latin1')): number | null {
  try {
    const wait = Number(read().split(' ')[1]);
    return Number.isFinite(wait) ? wait / 1e6 : null;
  } catch {
    return null;
  }
}

/** Starts sampling; returns a stop function. The timer never keeps the process alive. */
export function monitorEventLoop(log: Logger, opts: LoopMonitorOptions, waitedMs: () => number | null = runQueueWaitMs): () => void {
  let expected = Date.now() + opts.intervalMs;
  let waitedBefore = waitedMs();
  const timer = setInterval(() => {
    const now = Date.now();
    const lateMs = now - expected;
    expected = now + opts.intervalMs;
    const waited = waitedBefore === null ? null : waitedMs();
    const cpuWaitMs = waited === null || waitedBefore === null ? null : Math.max(0, Math.round(waited - waitedBefore));
    waitedBefore = waited;
    if (lateMs > 0 && latencyMonitor.over(lateMs)) {
      // LATENCY (ops): its own threshold. With it, how much of the second's worst stall was a wait for a CPU.
      latencyMonitor.add('event-loop-stall', Math.floor(lateMs));
      if (cpuWaitMs !== null && cpuWaitMs > 0) latencyMonitor.addAlong('event-loop-cpu-wait', 'event-loop-stall', Math.floor(lateMs), cpuWaitMs);
    }
    if (lateMs >= opts.thresholdMs) log.warn(cpuWaitMs === null ? { blockedMs: lateMs } : { blockedMs: lateMs, cpuWaitMs }, 'event loop was blocked');
  }, opts.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
