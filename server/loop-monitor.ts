/**
 * Logs when the event loop was blocked long enough to matter to Raft (a
 * stall near the election timeout costs heartbeats, and with checkQuorum the
 * leadership). Like Redis's latency monitor, it only reports: an operator
 * seeing these lines knows elections came from a stalled process (a slow
 * synchronous disk call, a huge command, GC), not from the network.
 */
import type { Logger } from 'pino';
import { latencyMonitor } from './latency';

export interface LoopMonitorOptions {
  /** How often the loop is sampled. */
  intervalMs: number;
  /** A delay beyond the interval of at least this much is logged. */
  thresholdMs: number;
}

/** Starts sampling; returns a stop function. The timer never keeps the process alive. */
export function monitorEventLoop(log: Logger, opts: LoopMonitorOptions): () => void {
  let expected = Date.now() + opts.intervalMs;
  const timer = setInterval(() => {
    const now = Date.now();
    const lateMs = now - expected;
    expected = now + opts.intervalMs;
    if (lateMs > 0) latencyMonitor.maybeAdd('event-loop-stall', lateMs); // LATENCY (ops): its own threshold
    if (lateMs >= opts.thresholdMs) log.warn({ blockedMs: lateMs }, 'event loop was blocked');
  }, opts.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
