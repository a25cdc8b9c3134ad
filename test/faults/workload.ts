/**
 * Concurrent ioredis clients doing register ops (GET/SET/DEL on a few keys,
 * unique values) and counter ops (INCR, GET), each recorded with invoke and
 * complete times from one clock (performance.now, monotonic, one process).
 *
 * Outcome of an error: `fail` when the command certainly did not take effect
 * (-CLUSTERDOWN, -MISCONF, a -TRYAGAIN that says it was not applied, not connected),
 * `info` when it may have (-TRYAGAIN "may or may not", other -TRYAGAIN whose
 * wording promises nothing, timeouts, a connection dropped after sending).
 * Unknown is always the safe answer: it can hide a bug, never invent one.
 */
import { performance } from 'node:perf_hooks';
import Redis from 'ioredis';
import type { CounterInput, CounterOutput, Operation, Outcome, RegisterInput, RegisterOutput } from './checker';

export type ReadMode = 'local' | 'lease' | 'linearizable';
export type RegisterOp = Operation<RegisterInput, RegisterOutput>;
export type CounterOp = Operation<CounterInput, CounterOutput>;

export interface WorkloadOptions {
  /** How to reach each node (ioredis host/port or Unix socket path); client i uses the i-th node (round robin). */
  endpoints: Map<number, { host: string; port: number } | { path: string }>;
  clients?: number;
  registerKeys?: number;
  counterKeys?: number;
  readMode: ReadMode;
  /** Per-command client timeout; a timed-out command is recorded as unknown. */
  commandTimeoutMs?: number;
  /** Key prefix, so several runs can share a cluster. */
  prefix?: string;
  /**
   * Clients move to fresh keys this often (ms; default 2000), as Jepsen's
   * independent keys do: each key's history stays short, so checking stays
   * fast even with many unknown outcomes (the search is exponential in them).
   */
  keyRotateMs?: number;
  /**
   * The first `readers` clients only read (default: one per node). A client
   * blocks on a write its node cannot commit; readers keep reading through
   * partitions, which is when a stale read would show.
   */
  readers?: number;
}

export interface History {
  register: RegisterOp[];
  counter: CounterOp[];
  /** Error messages (digits folded) with how often each was seen and how it was classified. */
  errors: Record<string, { count: number; outcome: Outcome }>;
}

export const now = (): number => performance.now();

/** How an error's outcome is judged (see the header). */
export function classifyError(e: unknown, sent: boolean): Outcome {
  const msg = e instanceof Error ? e.message : String(e);
  if (msg.startsWith('CLUSTERDOWN')) return 'fail';
  if (msg.startsWith('TRYAGAIN')) {
    if (/may or may not/.test(msg)) return 'info';
    if (/not applied|too many writes|transfer in progress|not the leader|could not confirm|during a linearizable read/.test(msg)) return 'fail';
    return 'info';
  }
  if (/ECONNREFUSED|isn't writeable|Connection is closed/.test(msg) && !sent) return 'fail';
  if (/timed out|Connection is closed|ECONNRESET|EPIPE|socket/i.test(msg)) return 'info';
  // -MISCONF: the server answers it only for a write it has not proposed (checked before proposing, and
  // queued writes are failed while the disk refuses); entries already proposed time out as "may or may not".
  if (msg.startsWith('MISCONF')) return 'fail';
  // Other replies (-ERR ...) are the server refusing the command.
  return msg.startsWith('ERR') || msg.startsWith('WRONGTYPE') ? 'fail' : 'info';
}

export class Workload {
  readonly history: History = { register: [], counter: [], errors: {} };
  private running = false;
  private loops: Array<Promise<void>> = [];
  private readonly clients: number;
  private readonly ids: number[];
  private t0 = 0;

  constructor(private readonly opts: WorkloadOptions) {
    this.clients = opts.clients ?? 10;
    this.ids = [...opts.endpoints.keys()];
  }

  start(): void {
    this.running = true;
    this.t0 = now();
    for (let c = 0; c < this.clients; c++) this.loops.push(this.client(c));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  get opCount(): number {
    return this.history.register.length + this.history.counter.length;
  }

  /** Counts the error by message (digits folded); returns the message as received. */
  private noteError(e: unknown, outcome: Outcome): string {
    const raw = e instanceof Error ? e.message : String(e);
    const msg = raw.replace(/\d+/g, 'N').slice(0, 100);
    const rec = (this.history.errors[msg] ??= { count: 0, outcome });
    rec.count++;
    return raw.slice(0, 200);
  }

  private async connect(node: number): Promise<Redis | undefined> {
    const timeout = this.opts.commandTimeoutMs ?? 4000;
    const r = new Redis({
      ...this.opts.endpoints.get(node)!,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      commandTimeout: timeout,
      connectTimeout: 1000,
    });
    r.on('error', () => undefined);
    try {
      await r.connect();
      await r.call('CLIENT', 'READMODE', this.opts.readMode);
      return r;
    } catch {
      r.disconnect();
      return undefined;
    }
  }

  private async client(c: number): Promise<void> {
    const prefix = this.opts.prefix ?? '';
    const regKeys = this.opts.registerKeys ?? 3;
    const ctrKeys = this.opts.counterKeys ?? 2;
    const node = this.ids[c % this.ids.length];
    const reader = c < (this.opts.readers ?? this.ids.length);
    let conn: Redis | undefined;
    let seq = 0;
    while (this.running) {
      if (!conn) {
        conn = await this.connect(node);
        if (!conn) {
          await sleep(200);
          continue;
        }
      }
      const r = Math.random();
      const base = { process: c, node };
      const gen = Math.floor((now() - this.t0) / (this.opts.keyRotateMs ?? 2000));
      if (r < 0.6) {
        const key = `${prefix}r${gen}.${Math.floor(Math.random() * regKeys)}`;
        const k = Math.random();
        const input: RegisterInput = k < 0.5 || reader ? { f: 'get' } : k < 0.9 ? { f: 'set', value: `${c}-${seq++}` } : { f: 'del' };
        const op: RegisterOp = { ...base, key, input, invoke: now(), outcome: 'info' };
        this.history.register.push(op);
        try {
          if (input.f === 'get') op.output = { value: await conn.get(key) };
          else if (input.f === 'set') {
            await conn.set(key, input.value);
            op.output = {};
          } else op.output = { deleted: await conn.del(key) };
          op.complete = now();
          op.outcome = 'ok';
        } catch (e) {
          op.complete = now();
          op.outcome = classifyError(e, true);
          op.error = this.noteError(e, op.outcome);
          if (op.outcome === 'info') conn = this.drop(conn);
        }
      } else {
        const key = `${prefix}c${gen}.${Math.floor(Math.random() * ctrKeys)}`;
        const input: CounterInput = Math.random() < 0.7 && !reader ? { f: 'incr' } : { f: 'get' };
        const op: CounterOp = { ...base, key, input, invoke: now(), outcome: 'info' };
        this.history.counter.push(op);
        try {
          op.output = { value: input.f === 'incr' ? await conn.incr(key) : Number((await conn.get(key)) ?? 0) };
          op.complete = now();
          op.outcome = 'ok';
        } catch (e) {
          op.complete = now();
          op.outcome = classifyError(e, true);
          op.error = this.noteError(e, op.outcome);
          if (op.outcome === 'info') conn = this.drop(conn);
        }
      }
      if (conn && conn.status !== 'ready') conn = this.drop(conn);
      await sleep(Math.random() * 10);
    }
    conn?.disconnect();
  }

  /** After an unknown outcome the connection's state is unclear: start afresh (same node). */
  private drop(conn: Redis): undefined {
    conn.disconnect();
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
