/**
 * A Prometheus histogram kept cheap for the hot path: observe() is a short
 * scan of fixed bounds and two array increments, no allocation. Counts are
 * kept per bucket (not cumulative); render time turns them into `le` series.
 */

/** Command latency: 10 µs .. 10 s (a GET is tens of µs, a durable write ms, a stalled disk seconds). */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Disk and snapshot work: 100 µs .. 60 s. */
export const DISK_BUCKETS_SECONDS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

export class Histogram {
  /** counts[i]: observations <= bounds[i] and > bounds[i-1]; the last slot is above every bound (+Inf). */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(seconds: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && seconds > b[i]) i++;
    this.counts[i]++;
    this.sum += seconds;
    this.count++;
  }
}
