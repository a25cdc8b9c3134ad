/**
 * Redis's latency monitor (latency.c) and per-command latency histograms.
 *
 * Events: `command` / `fast-command` (a client's command, or a write's apply,
 * that took at least `latency-monitor-threshold` ms) and this server's own:
 * `raft-log-sync` (a batch made durable: write + fdatasync), `keyspace-copy-flush`
 * (the durable keyspace copy written), `event-loop-stall` (the loop was late),
 * `event-loop-cpu-wait` (of each second's worst stall, the time spent waiting
 * for a CPU; recorded when over 0).
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

/** The highest value (ns) in the equivalence range of 2^k: buckets hold 256 values, resolution doubling per power of two. */
function highestAt(k: number): number {
  return 2 ** k + 2 ** Math.max(0, k - SUB_HALF_MAGNITUDE) - 1;
}

export class CommandHistogram {
  calls = 0;
  /** Counts per power-of-two reporting level (index k: up to 2^k ns's equivalence range). */
  private readonly levels = new Map<number, number>();

  record(micros: number): void {
    const ns = Math.min(HIST_MAX_NS, Math.max(HIST_MIN_NS, Math.round(micros * 1000)));
    this.calls++;
    // Reporting levels are 1024 ns * 2^n; a value belongs to the first level whose equivalence range reaches it.
    let k = Math.max(10, Math.ceil(Math.log2(ns)) - 1);
    while (ns > highestAt(k)) k++;
    this.levels.set(k, (this.levels.get(k) ?? 0) + 1);
  }

  /** Redis's fillCommandCDF: (upper bound in us, cumulative count) where the count grows. */
  cdf(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    let cumulative = 0;
    for (const k of [...this.levels.keys()].sort((a, b) => a - b)) {
      cumulative += this.levels.get(k)!;
      out.push([Math.floor(highestAt(k) / 1000), cumulative]);
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

  /** Whether a duration is at or over the threshold (monitoring on). */
  over(ms: number): boolean {
    const t = this.threshold();
    return t > 0 && ms >= t;
  }

  /** latencyAddSampleIfNeeded; whether the sample was recorded. */
  maybeAdd(event: string, ms: number): boolean {
    if (!this.over(ms)) return false;
    this.add(event, Math.floor(ms));
    return true;
  }

  add(event: string, ms: number): void {
    this.record(event, ms, (prev) => {
      if (ms > prev.ms) prev.ms = ms;
    });
  }

  /**
   * Records `ms` for `event` as a companion of `leader`'s sample of this
   * second, and only when `leaderMs` is that sample (the second's worst), so
   * both series describe the same occurrence (event-loop-cpu-wait: how much
   * of the worst event-loop-stall of each second was spent waiting for a CPU).
   */
  addAlong(event: string, leader: string, leaderMs: number, ms: number): void {
    const lead = this.events.get(leader)?.samples;
    const last = lead?.[lead.length - 1];
    if (last === undefined || last.time !== Math.floor(this.now() / 1000) || last.ms !== leaderMs) return;
    this.record(event, ms, (prev) => {
      prev.ms = ms;
    });
  }

  /** Adds this second's sample to `event`'s series, or lets `sameSecond` update the one it already has. */
  private record(event: string, ms: number, sameSecond: (prev: LatencySample) => void): void {
    let ts = this.events.get(event);
    if (ts === undefined) {
      ts = { samples: [], max: 0 };
      this.events.set(event, ts);
    }
    const time = Math.floor(this.now() / 1000);
    if (ms > ts.max) ts.max = ms;
    const prev = ts.samples[ts.samples.length - 1];
    if (prev !== undefined && prev.time === time) {
      sameSecond(prev);
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
