/**
 * Verdicts over a recorded history: linearizability (checker.ts),
 * read-your-writes per client, and no acknowledged write lost (against the
 * final state read from every node after healing).
 */
import { check, counterModel, explain, registerModel } from './checker';
import type { CounterOp, History, RegisterOp } from './workload';

export interface LinearizabilityVerdict {
  valid: boolean | 'unknown';
  ms: number;
  explanation: string;
}

export function linearizability(h: History, opts: { shrinkMs?: number } = {}): LinearizabilityVerdict {
  const reg = check(registerModel, h.register, { shrinkMs: opts.shrinkMs });
  const ctr = check(counterModel, h.counter, { shrinkMs: opts.shrinkMs });
  const valid = reg.valid === false || ctr.valid === false ? false : reg.valid === 'unknown' || ctr.valid === 'unknown' ? 'unknown' : true;
  return { valid, ms: reg.ms + ctr.ms, explanation: [explain(registerModel, reg), explain(counterModel, ctr)].filter(Boolean).join('\n') };
}

/**
 * Read-your-writes: after a client's acknowledged write to a key, its later
 * reads of that key return that write's value or the value of a write that
 * may have been ordered after it (not acknowledged before it was invoked).
 * Counters: a later GET returns at least the client's last INCR reply.
 */
export function readYourWrites(h: History): string[] {
  const violations: string[] = [];
  const writersOf = new Map<string, RegisterOp[]>();
  for (const op of h.register) {
    if (op.input.f === 'get' || op.outcome === 'fail') continue;
    const v = op.input.f === 'set' ? op.input.value : '\u0000nil';
    const list = writersOf.get(`${op.key}\u0001${v}`) ?? [];
    list.push(op);
    writersOf.set(`${op.key}\u0001${v}`, list);
  }
  const byClient = new Map<number, RegisterOp[]>();
  for (const op of h.register) if (op.outcome === 'ok') (byClient.get(op.process) ?? byClient.set(op.process, []).get(op.process)!).push(op);
  for (const [client, ops] of byClient) {
    const last = new Map<string, RegisterOp>();
    for (const op of ops.sort((a, b) => a.invoke - b.invoke)) {
      if (op.input.f !== 'get') {
        last.set(op.key, op);
        continue;
      }
      const w = last.get(op.key);
      if (!w || !op.output || !('value' in op.output)) continue;
      const got = op.output.value;
      const mine = w.input.f === 'set' ? w.input.value : null;
      if (got === mine) continue;
      const candidates = writersOf.get(`${op.key}\u0001${got ?? '\u0000nil'}`) ?? [];
      const ok = candidates.some((x) => x !== w && (x.outcome !== 'ok' || (x.complete ?? Infinity) > w.invoke) && x.invoke < (op.complete ?? Infinity));
      if (!ok) violations.push(`client ${client} on node ${op.node}: read ${op.key} = ${JSON.stringify(got)} at ${op.invoke.toFixed(1)} ms after its own ${w.input.f === 'set' ? `SET ${JSON.stringify(mine)}` : 'DEL'} acknowledged at ${w.complete?.toFixed(1)} ms`);
    }
  }
  const ctrByClient = new Map<number, CounterOp[]>();
  for (const op of h.counter) if (op.outcome === 'ok') (ctrByClient.get(op.process) ?? ctrByClient.set(op.process, []).get(op.process)!).push(op);
  for (const [client, ops] of ctrByClient) {
    const high = new Map<string, number>();
    for (const op of ops.sort((a, b) => a.invoke - b.invoke)) {
      const v = op.output!.value;
      if (op.input.f === 'incr') high.set(op.key, Math.max(high.get(op.key) ?? 0, v));
      else if (v < (high.get(op.key) ?? 0)) violations.push(`client ${client} on node ${op.node}: GET ${op.key} = ${v} after its own INCR returned ${high.get(op.key)}`);
    }
  }
  return violations;
}

/** Final value of every key on every node (null = absent), as read after healing. */
export type FinalState = Map<number, Map<string, string | null>>;

export interface FinalStateVerdict {
  /** Acknowledged writes missing from the final state, and nodes that disagree. */
  lost: string[];
  /**
   * Writes answered as certainly not applied (-CLUSTERDOWN, a -TRYAGAIN that
   * says so) that the final state shows were applied: a false error reply.
   */
  phantom: string[];
}

/**
 * No acknowledged write lost: all nodes agree; each counter is at least its
 * highest acknowledged INCR and at most the number of INCRs that may have
 * applied; each register holds a value whose write was not certainly
 * followed by another acknowledged write. A final value only a write that
 * was answered as failed can explain is reported as phantom instead.
 */
export function finalStateVerdict(h: History, finals: FinalState): FinalStateVerdict {
  const lost: string[] = [];
  const phantom: string[] = [];
  const keys = new Set<string>();
  for (const m of finals.values()) for (const k of m.keys()) keys.add(k);
  for (const key of keys) {
    const values = new Set([...finals.values()].map((m) => m.get(key) ?? null));
    if (values.size > 1) lost.push(`${key}: nodes disagree: ${[...finals].map(([id, m]) => `node ${id}=${JSON.stringify(m.get(key) ?? null)}`).join(', ')}`);
  }
  const first = [...finals.values()][0];
  if (!first) return { lost: ['no final state read'], phantom };
  const failedList = (ops: Array<RegisterOp | CounterOp>): string => ops.map((o) => `node ${o.node}: ${o.error ?? '?'}`).join('; ') || 'none';
  const ctrKeys = new Set(h.counter.map((o) => o.key));
  for (const key of ctrKeys) {
    const final = Number(first.get(key) ?? 0);
    const incrs = h.counter.filter((o) => o.key === key && o.input.f === 'incr');
    const acked = incrs.filter((o) => o.outcome === 'ok');
    const maxAck = Math.max(0, ...acked.map((o) => o.output!.value));
    const possible = incrs.filter((o) => o.outcome !== 'fail').length;
    if (final < maxAck) lost.push(`${key}: final ${final} < acknowledged INCR reply ${maxAck} (lost increments)`);
    if (final < acked.length) lost.push(`${key}: final ${final} < ${acked.length} acknowledged INCRs`);
    if (final > possible) {
      const failed = incrs.filter((o) => o.outcome === 'fail');
      (final > possible + failed.length ? lost : phantom).push(`${key}: final ${final} > ${possible} INCRs that may have applied; INCRs answered as not applied: ${failedList(failed)}`);
    }
  }
  const regKeys = new Set(h.register.map((o) => o.key));
  for (const key of regKeys) {
    const all = h.register.filter((o) => o.key === key && o.input.f !== 'get');
    const writes = all.filter((o) => o.outcome !== 'fail');
    const acked = writes.filter((o) => o.outcome === 'ok');
    const final = first.get(key) ?? null;
    const produces = (o: RegisterOp): boolean => (final === null ? o.input.f === 'del' : o.input.f === 'set' && o.input.value === final);
    const superseded = (x: RegisterOp): boolean => x.outcome === 'ok' && acked.some((w) => w !== x && x.complete! < w.invoke);
    const producers = writes.filter(produces);
    if (final === null && acked.length === 0) continue;
    if (producers.length > 0 && !producers.every(superseded)) continue;
    const failed = all.filter((o) => o.outcome === 'fail' && produces(o));
    if (failed.length > 0) {
      phantom.push(`${key}: final value ${JSON.stringify(final)} comes from a write answered as not applied (${failedList(failed)})`);
      continue;
    }
    if (producers.length === 0) lost.push(`${key}: final value ${JSON.stringify(final)} was never written`);
    else {
      const later = acked.filter((w) => producers.every((p) => p.complete! < w.invoke)).slice(-1)[0];
      lost.push(`${key}: final value ${JSON.stringify(final)} although a later acknowledged ${later?.input.f === 'set' ? `SET ${JSON.stringify(later.input.value)}` : 'DEL'} was lost`);
    }
  }
  return { lost, phantom };
}
