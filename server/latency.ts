/**
 * Redis's latency monitor (latency.c) and per-command latency histograms.
 *
 * Events: `command` / `fast-command` (a client's command, or a write's apply,
 * that took at least `latency-monitor-threshold` ms) and this server's own:
 * `raft-log-sync` (a batch made durable: write + fdatasync), `keyspace-copy-flush`
 * (the durable keyspace copy written), `event-loop-stall` (the loop was late).
 * Each event keeps its last 160 samples, one per second (the worst of that
 * second), and its all-time maximum, as Redis does.
 *
 * One monitor per process: the event loop, the disk and the log are the
 * process's, and the storage layers record without a handle on the Server.
 * The Server points `threshold` at its config.
 */

export const LATENCY_TS_LEN = 160;

export interface LatencySample {
  /** Unix seconds. */
  time: number;
  ms: number;
}

interface TimeSeries {
  samples: LatencySample[];
  max: number;
}

/** Nanosecond histogram buckets as Redis's HdrHistogram (1 ns .. 1 s, 2 significant digits). */
const HIST_MIN_NS = 1;
const HIST_MAX_NS = 1_000_000_000;
/** log2 of the sub-bucket half count for 2 significant digits (256 sub-buckets). */
const SUB_HALF_MAGNITUDE = 7;

/** The resolution of the bucket holding v ns: 1 below 256, then doubling per power of two. */
function resolution(v: number): number {
  const mag = Math.floor(Math.log2(Math.max(1, v)));
  return 2 ** Math.max(0, mag - SUB_HALF_MAGNITUDE);
}

export class CommandHistogram {
  calls = 0;
  /** Counts per power-of-two reporting level (index k: up to 2^k ns's equivalence range). */
  private readonly levels = new Map<number, number>();

  record(micros: number): void {
    const ns = Math.min(HIST_MAX_NS, Math.max(HIST_MIN_NS, Math.round(micros * 1000)));
    this.calls++;
    // Reporting levels are 1024 ns * 2^n; a value belongs to the first level whose equivalence range reaches it.
    let k = 10;
    while (ns > 2 ** k + resolution(2 ** k) - 1) k++;
    this.levels.set(k, (this.levels.get(k) ?? 0) + 1);
  }

  /** Redis's fillCommandCDF: (upper bound in us, cumulative count) where the count grows. */
  cdf(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    let cumulative = 0;
    for (const k of [...this.levels.keys()].sort((a, b) => a - b)) {
      cumulative += this.levels.get(k)!;
      const level = 2 ** k;
      out.push([Math.floor((level + resolution(level) - 1) / 1000), cumulative]);
    }
    return out;
  }
}

export class LatencyMonitor {
  /** latency-monitor-threshold in ms; 0 = off. */
  threshold: () => number = () => 0;
  private readonly events = new Map<string, TimeSeries>();
  readonly histograms = new Map<string, CommandHistogram>();
  /** For tests and DEBUG: the clock (ms). */
  now: () => number = Date.now;

  /** latencyAddSampleIfNeeded. */
  maybeAdd(event: string, ms: number): void {
    const t = this.threshold();
    if (t > 0 && ms >= t) this.add(event, Math.floor(ms));
  }

  add(event: string, ms: number): void {
    let ts = this.events.get(event);
    if (ts === undefined) {
      ts = { samples: [], max: 0 };
      this.events.set(event, ts);
    }
    const time = Math.floor(this.now() / 1000);
    if (ms > ts.max) ts.max = ms;
    const prev = ts.samples[ts.samples.length - 1];
    if (prev !== undefined && prev.time === time) {
      if (ms > prev.ms) prev.ms = ms;
      return;
    }
    ts.samples.push({ time, ms });
    if (ts.samples.length > LATENCY_TS_LEN) ts.samples.shift();
  }

  /** A client's call of `name` (`container|sub` for subcommands) took `micros`. */
  commandDone(name: string, fast: boolean, micros: number): void {
    let h = this.histograms.get(name);
    if (h === undefined) {
      h = new CommandHistogram();
      this.histograms.set(name, h);
    }
    h.record(micros);
    this.maybeAdd(fast ? 'fast-command' : 'command', micros / 1000);
  }

  eventNames(): string[] {
    return [...this.events.keys()];
  }

  series(event: string): { samples: readonly LatencySample[]; max: number } | undefined {
    return this.events.get(event);
  }

  /** LATENCY RESET: how many events were dropped. */
  reset(events?: string[]): number {
    if (events === undefined) {
      const n = this.events.size;
      this.events.clear();
      return n;
    }
    let n = 0;
    for (const e of events) if (this.events.delete(e)) n++;
    return n;
  }

  /** CONFIG RESETSTAT clears the histograms, as Redis's resetCommandTableStats. */
  resetHistograms(): void {
    this.histograms.clear();
  }
}

export const latencyMonitor = new LatencyMonitor();
