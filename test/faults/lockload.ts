/**
 * Lock workload: clients on every node loop
 *   LOCK.ACQUIRE mutex <owner> <ttl> WAIT <ms>  ->  GET counter  ->  write counter+1  ->  LOCK.RELEASE
 * and record every grant (fencing token, invoke/complete times) and every
 * critical section (value read, value written, outcome of the write).
 *
 * The write is fenced (docs/locks.md): a script checks LOCK.CHECK with the
 * section's token and SETs only while the token is current, so a holder
 * paused past its TTL cannot overwrite its successor. A stale-token reply
 * means certainly not applied (`fail`).
 *
 * `broken` clients stand in for a buggy lock user the verdict must catch:
 * `skip-acquire` never takes the lock, `ignore-nil` proceeds when ACQUIRE
 * answers nil; both write with a plain SET.
 */
import Redis from 'ioredis';
import type { Outcome } from './checker';
import type { FinalState } from './verdicts';
import type { Endpoint } from './cluster';
import { classifyError, now } from './workload';

export type BrokenLockClient = 'skip-acquire' | 'ignore-nil';

export interface LockWorkloadOptions {
  endpoints: Map<number, Endpoint>;
  clients?: number;
  /** Lock TTL (ms); a holder cut off longer than this loses the lock. */
  ttlMs?: number;
  waitMs?: number;
  commandTimeoutMs?: number;
  prefix?: string;
  broken?: BrokenLockClient;
}

/** One LOCK.ACQUIRE that returned a token. */
export interface Grant {
  process: number;
  node: number;
  owner: string;
  token: number;
  invoke: number;
  complete: number;
}

/** One pass through the critical section (after a grant, or without one for a broken client). */
export interface Section {
  process: number;
  node: number;
  owner: string;
  /** Undefined when a broken client wrote without holding the lock. */
  token: number | undefined;
  read: number;
  wrote: number;
  invoke: number;
  complete: number;
  /** Outcome of the write: ok = acknowledged, fail = certainly not applied, info = unknown. */
  outcome: Outcome;
  error?: string;
}

export interface LockHistory {
  lock: string;
  counter: string;
  grants: Grant[];
  sections: Section[];
  /** ACQUIREs that answered nil (WAIT elapsed), and errors by message. */
  nils: number;
  errors: Record<string, { count: number; outcome: Outcome }>;
}

/** The fenced write: SET only while the token is the holder's. */
const FENCED_SET = "if redis.call('LOCK.CHECK', ARGV[1], ARGV[2]) == 1 then return redis.call('SET', KEYS[1], ARGV[3]) end return redis.error_reply('ERR stale fencing token')";

export class LockWorkload {
  readonly history: LockHistory;
  private running = false;
  private loops: Array<Promise<void>> = [];
  private readonly ids: number[];

  constructor(private readonly opts: LockWorkloadOptions) {
    const p = opts.prefix ?? '';
    this.history = { lock: `${p}mutex`, counter: `${p}locked-counter`, grants: [], sections: [], nils: 0, errors: {} };
    this.ids = [...opts.endpoints.keys()];
  }

  start(): void {
    this.running = true;
    for (let c = 0; c < (this.opts.clients ?? 6); c++) this.loops.push(this.client(c));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  get opCount(): number {
    return this.history.grants.length + this.history.sections.length + this.history.nils;
  }

  private noteError(e: unknown, outcome: Outcome): string {
    const raw = e instanceof Error ? e.message : String(e);
    const rec = (this.history.errors[raw.replace(/\d+/g, 'N').slice(0, 100)] ??= { count: 0, outcome });
    rec.count++;
    return raw.slice(0, 200);
  }

  private async connect(node: number): Promise<Redis | undefined> {
    const r = new Redis({
      ...this.opts.endpoints.get(node)!,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      commandTimeout: this.opts.commandTimeoutMs ?? 4000,
      connectTimeout: 1000,
    });
    r.on('error', () => undefined);
    try {
      await r.connect();
      await r.call('CLIENT', 'READMODE', 'linearizable');
      return r;
    } catch {
      r.disconnect();
      return undefined;
    }
  }

  private async client(c: number): Promise<void> {
    const h = this.history;
    const node = this.ids[c % this.ids.length];
    const ttl = String(this.opts.ttlMs ?? 3000);
    const wait = String(this.opts.waitMs ?? 1000);
    let conn: Redis | undefined;
    let seq = 0;
    while (this.running) {
      conn ??= await this.connect(node);
      if (!conn) {
        await sleep(200);
        continue;
      }
      const owner = `c${c}-${seq++}`;
      let token: number | undefined;
      let held = false;
      try {
        if (this.opts.broken !== 'skip-acquire') {
          const invoke = now();
          const reply = await conn.call('LOCK.ACQUIRE', h.lock, owner, ttl, 'WAIT', wait);
          if (reply === null) {
            h.nils++;
            if (this.opts.broken !== 'ignore-nil') continue;
          } else {
            token = Number(reply);
            held = true;
            h.grants.push({ process: c, node, owner, token, invoke, complete: now() });
          }
        }
        conn = await this.section(conn, c, node, owner, token);
      } catch (e) {
        // ACQUIRE failed or its outcome is unknown: no section; a lost grant expires after its TTL.
        const outcome = classifyError(e, true);
        this.noteError(e, outcome);
        if (outcome === 'info') conn = this.drop(conn);
        await sleep(50);
      } finally {
        if (held && conn) await conn.call('LOCK.RELEASE', h.lock, owner).catch((e: unknown) => this.noteError(e, 'info'));
      }
      if (conn && conn.status !== 'ready') conn = this.drop(conn);
    }
    conn?.disconnect();
  }

  /** GET then write counter+1; records the section unless the read failed. Returns the connection to keep (undefined = drop it). */
  private async section(conn: Redis, c: number, node: number, owner: string, token: number | undefined): Promise<Redis | undefined> {
    const h = this.history;
    const invoke = now();
    const read = Number((await conn.get(h.counter)) ?? 0);
    const s: Section = { process: c, node, owner, token, read, wrote: read + 1, invoke, complete: Infinity, outcome: 'info' };
    h.sections.push(s);
    try {
      if (token === undefined) await conn.set(h.counter, String(s.wrote));
      else await conn.eval(FENCED_SET, 1, h.counter, h.lock, String(token), String(s.wrote));
      s.outcome = 'ok';
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      s.outcome = msg.includes('stale fencing token') ? 'fail' : classifyError(e, true);
      s.error = this.noteError(e, s.outcome);
    }
    s.complete = now();
    return s.outcome === 'info' ? this.drop(conn) : conn;
  }

  private drop(conn: Redis | undefined): undefined {
    conn?.disconnect();
    return undefined;
  }
}

export interface LockVerdict {
  /** Lock safety: overlapping sections that lost an increment, tokens out of order. */
  safety: string[];
  /** Acknowledged increments missing from the final counter (or more increments than could have applied). */
  lost: string[];
  /** Sections that completed with an acknowledged write. */
  acknowledged: number;
  unknown: number;
}

/**
 * (a) Lock safety. Tokens: distinct grants have distinct tokens, and a grant
 * completed before another was invoked has the smaller token. Sections:
 * every acknowledged write wrote a distinct value (two acknowledged sections
 * that read the same value overlapped and one increment is lost); ordered by
 * token, each acknowledged section read exactly the previous acknowledged
 * section's value plus the writes of unknown-outcome sections granted in
 * between (each may or may not be there).
 * (b) The final counter (every node agrees) is at least the number of
 * acknowledged writes and at most that plus the unknown ones.
 */
export function lockVerdict(h: LockHistory, finals: FinalState): LockVerdict {
  const safety: string[] = [];
  const lost: string[] = [];
  const byToken = new Map<number, Grant>();
  for (const g of h.grants) {
    const other = byToken.get(g.token);
    if (other && other.owner !== g.owner) safety.push(`token ${g.token} granted to both ${other.owner} (node ${other.node}) and ${g.owner} (node ${g.node})`);
    byToken.set(g.token, g);
  }
  const grants = [...h.grants].sort((a, b) => a.complete - b.complete);
  let maxBefore = -Infinity;
  let maxGrant: Grant | undefined;
  // Sweep by invoke time: every grant completed before this one was invoked must carry a smaller token.
  const byInvoke = [...h.grants].sort((a, b) => a.invoke - b.invoke);
  let i = 0;
  for (const g of byInvoke) {
    while (i < grants.length && grants[i].complete < g.invoke) {
      if (grants[i].token > maxBefore) [maxBefore, maxGrant] = [grants[i].token, grants[i]];
      i++;
    }
    if (maxGrant && g.token <= maxBefore) safety.push(`token ${g.token} (${g.owner}, invoked ${g.invoke.toFixed(1)} ms) is not above token ${maxBefore} (${maxGrant.owner}) granted before it, at ${maxGrant.complete.toFixed(1)} ms`);
  }

  const acked = h.sections.filter((s) => s.outcome === 'ok');
  const unknown = h.sections.filter((s) => s.outcome === 'info');
  const byValue = new Map<number, Section>();
  for (const s of acked) {
    const prev = byValue.get(s.wrote);
    if (prev) safety.push(`lost increment: ${describe(prev)} and ${describe(s)} both read ${s.read} and wrote ${s.wrote}`);
    else byValue.set(s.wrote, s);
  }
  const fenced = acked.filter((s) => s.token !== undefined).sort((a, b) => a.token! - b.token!);
  for (let k = 1; k < fenced.length; k++) {
    const [p, s] = [fenced[k - 1], fenced[k]];
    const between = unknown.filter((u) => u.token !== undefined && u.token > p.token! && u.token < s.token!).length;
    if (s.read < p.wrote || s.read > p.wrote + between) {
      safety.push(`${describe(s)} read ${s.read}, but the previous acknowledged section ${describe(p)} wrote ${p.wrote} and ${between} unknown section(s) were granted in between`);
    }
  }

  const values = new Set([...finals.values()].map((m) => m.get(h.counter) ?? null));
  if (values.size > 1) lost.push(`${h.counter}: nodes disagree: ${[...finals].map(([id, m]) => `node ${id}=${JSON.stringify(m.get(h.counter) ?? null)}`).join(', ')}`);
  const first = [...finals.values()][0];
  const final = Number(first?.get(h.counter) ?? 0);
  if (final < acked.length) lost.push(`${h.counter}: final ${final} < ${acked.length} acknowledged increments inside the lock (lost increments)`);
  if (final > acked.length + unknown.length) lost.push(`${h.counter}: final ${final} > ${acked.length} acknowledged + ${unknown.length} unknown increments`);
  return { safety: safety.slice(0, 50), lost, acknowledged: acked.length, unknown: unknown.length };
}

function describe(s: Section): string {
  return `${s.owner}${s.token === undefined ? ' (no lock)' : ` token ${s.token}`} on node ${s.node} [${s.invoke.toFixed(1)}..${s.complete.toFixed(1)} ms]`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
