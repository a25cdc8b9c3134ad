/**
 * Writers that record every acknowledged write, for "no acknowledged write is
 * lost" checks across failovers and membership changes. Each writer owns its
 * keys and alternates `SET wl:<w>:<n> v<n>` (each key written once) with
 * `INCR wl:<w>:ctr`. A write that errors may or may not have been applied, so
 * only acknowledged ones are checked: every acknowledged SET must be present
 * with its value, and each counter must be at least its highest acknowledged
 * reply. On an error a writer moves to the next node and carries on.
 */
import type Redis from 'ioredis';
import type { Cluster } from './harness';
import { sleep } from './harness';

export class Workload {
  /** Acknowledged SETs: key → value. */
  readonly acked = new Map<string, string>();
  /** Highest acknowledged INCR reply per counter key. */
  readonly counters = new Map<string, number>();
  /** Wall-clock time of every acknowledgement. */
  readonly ackTimes: number[] = [];
  /** Every operation: which writer sent it to which node, when, and whether it was acknowledged. */
  readonly ops: Array<{ writer: number; node: number; issued: number; done: number; ok: boolean }> = [];
  /** Error replies and connection failures, counted by message. */
  readonly errors = new Map<string, number>();
  /** Violations seen while running (an INCR reply not above the previous one of the same writer). */
  readonly violations: string[] = [];
  private running = false;
  private loops: Array<Promise<void>> = [];

  constructor(
    private readonly cluster: Cluster,
    /** Nodes writers may connect to, read at every (re)connection. */
    private readonly targets: () => number[],
    private readonly writers = 10,
  ) {}

  start(): void {
    this.running = true;
    for (let w = 0; w < this.writers; w++) this.loops.push(this.writer(w));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  get ackCount(): number {
    return this.ackTimes.length;
  }

  /** Per writer, how long after `t` its first write sent after `t` was acknowledged (Infinity if none). */
  resumedAfter(t: number): number[] {
    return Array.from({ length: this.writers }, (_, w) => {
      const op = this.ops.find((o) => o.writer === w && o.ok && o.issued > t);
      return op ? op.done - t : Infinity;
    });
  }

  private noteError(e: unknown): void {
    const msg = (e instanceof Error ? e.message : String(e)).replace(/\d+/g, 'N').slice(0, 120);
    this.errors.set(msg, (this.errors.get(msg) ?? 0) + 1);
  }

  private async writer(w: number): Promise<void> {
    let n = 0;
    let lastIncr = 0;
    let pick = w;
    let client: Redis | undefined;
    let node = 0;
    while (this.running) {
      if (!client) {
        const ids = this.targets();
        const id = ids[pick++ % ids.length];
        node = id;
        // commandTimeout: a write must never hang; write-timeout-ms (5 s by default) bounds a healthy node.
        client = this.cluster.client(id, { commandTimeout: 15000 });
      }
      const issued = Date.now();
      try {
        if (n % 2 === 0) {
          const key = `wl:${w}:${n}`;
          const r = await client.set(key, `v${n}`);
          if (r !== 'OK') throw new Error(`SET replied ${String(r)}`);
          this.acked.set(key, `v${n}`);
        } else {
          const key = `wl:${w}:ctr`;
          const r = await client.incr(key);
          if (r <= lastIncr) this.violations.push(`writer ${w}: INCR ${key} replied ${r} after ${lastIncr}`);
          lastIncr = Math.max(lastIncr, r);
          this.counters.set(key, lastIncr);
        }
        this.ackTimes.push(Date.now());
        this.ops.push({ writer: w, node, issued, done: Date.now(), ok: true });
      } catch (e) {
        this.ops.push({ writer: w, node, issued, done: Date.now(), ok: false });
        this.noteError(e);
        client.disconnect();
        client = undefined;
        await sleep(20);
      }
      n++;
    }
    client?.disconnect();
  }

  /** Checks every acknowledged write on one node (local reads); returns the problems found. */
  async verify(id: number): Promise<string[]> {
    const problems: string[] = [];
    const c = this.cluster.client(id, { commandTimeout: 15000 });
    try {
      await c.call('CLIENT', 'READMODE', 'local').catch(() => undefined);
      const keys = [...this.acked.keys()];
      for (let i = 0; i < keys.length; i += 500) {
        const chunk = keys.slice(i, i + 500);
        const values = await c.mget(...chunk);
        chunk.forEach((k, j) => {
          if (values[j] !== this.acked.get(k)) problems.push(`node ${id}: acknowledged ${k}=${this.acked.get(k)} but found ${String(values[j])}`);
        });
      }
      for (const [k, max] of this.counters) {
        const v = Number(await c.get(k));
        if (!(v >= max)) problems.push(`node ${id}: counter ${k} is ${v}, below acknowledged ${max}`);
      }
    } finally {
      c.disconnect();
    }
    return problems;
  }

  summary(): string {
    const errs = [...this.errors].map(([m, k]) => `${k}x ${m}`).join('; ');
    return `${this.ackCount} acknowledged writes (${this.acked.size} SETs, ${this.counters.size} counters); errors: ${errs || 'none'}`;
  }
}
