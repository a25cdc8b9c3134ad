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
import { closeSync, openSync, readSync } from 'node:fs';
import type { Logger } from 'pino';
import { latencyMonitor } from './latency';

export interface LoopMonitorOptions {
  /** How often the loop is sampled. */
  intervalMs: number;
  /** A delay beyond the interval of at least this much is logged. */
  thresholdMs: number;
}

/** The calling thread's schedstat ("run ns, run-queue wait ns, timeslices"). */
const SCHEDSTAT = '/proc/thread-self/schedstat';

/**
 * The thread's total run-queue wait in ms, or null where the kernel does not
 * say (not Linux, or schedstats off).
 */
export function runQueueWaitMs(read: () => string): number | null {
  try {
    const wait = Number(read().split(' ')[1]);
    return Number.isFinite(wait) ? wait / 1e6 : null;
  } catch {
    return null;
  }
}

/**
 * The calling thread's run-queue wait (ms, or null), read through one
 * descriptor opened here: the monitor samples every 10 ms, and a pread of an
 * open /proc file costs ~3 us where readFileSync (open, read, close) costs ~28.
 */
export function openRunQueueWait(path = SCHEDSTAT): { waitedMs: () => number | null; close: () => void } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return { waitedMs: () => null, close: () => {} };
  }
  const buf = Buffer.alloc(128);
  return {
    waitedMs: () => runQueueWaitMs(() => buf.toString('latin1', 0, readSync(fd, buf, 0, buf.length, 0))),
    close: () => closeSync(fd),
  };
}

/**
 * Starts sampling on the calling (main) thread; returns a stop function. The
 * timer never keeps the process alive. `waitedMs` (for tests) stands for the
 * thread's run-queue wait.
 */
export function monitorEventLoop(log: Logger, opts: LoopMonitorOptions, waitedMs?: () => number | null): () => void {
  const own = waitedMs === undefined ? openRunQueueWait() : undefined;
  const waitedNow = waitedMs ?? own!.waitedMs;
  let expected = Date.now() + opts.intervalMs;
  let waitedBefore = waitedNow();
  const timer = setInterval(() => {
    const now = Date.now();
    const lateMs = now - expected;
    expected = now + opts.intervalMs;
    const waited = waitedBefore === null ? null : waitedNow();
    const cpuWaitMs = waited === null || waitedBefore === null ? null : Math.max(0, Math.round(waited - waitedBefore));
    waitedBefore = waited;
    // LATENCY (ops): its own threshold. With a stall, how much of the second's worst one was a wait for a CPU.
    if (lateMs > 0 && latencyMonitor.maybeAdd('event-loop-stall', lateMs) && cpuWaitMs !== null && cpuWaitMs > 0) {
      latencyMonitor.addAlong('event-loop-cpu-wait', 'event-loop-stall', Math.floor(lateMs), cpuWaitMs);
    }
    if (lateMs >= opts.thresholdMs) log.warn(cpuWaitMs === null ? { blockedMs: lateMs } : { blockedMs: lateMs, cpuWaitMs }, 'event loop was blocked');
  }, opts.intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    own?.close();
  };
}
