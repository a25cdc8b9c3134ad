import { expect } from 'chai';
import fc from 'fast-check';
import {
  check,
  counterModel,
  explain,
  registerModel,
  searchKey,
  type CounterInput,
  type CounterOutput,
  type Operation,
  type Outcome,
  type RegisterInput,
  type RegisterOutput,
} from './checker';

type RegOp = Operation<RegisterInput, RegisterOutput>;
type CtrOp = Operation<CounterInput, CounterOutput>;

const set = (value: string, invoke: number, complete: number, outcome: Outcome = 'ok', process = 0): RegOp => ({ process, key: 'k', input: { f: 'set', value }, output: {}, invoke, complete, outcome });
const get = (value: string | null, invoke: number, complete: number, process = 1): RegOp => ({ process, key: 'k', input: { f: 'get' }, output: { value }, invoke, complete, outcome: 'ok' });
const del = (deleted: number, invoke: number, complete: number, process = 2): RegOp => ({ process, key: 'k', input: { f: 'del' }, output: { deleted }, invoke, complete, outcome: 'ok' });
const incr = (value: number, invoke: number, complete: number, outcome: Outcome = 'ok'): CtrOp => ({ process: 0, key: 'c', input: { f: 'incr' }, output: { value }, invoke, complete, outcome });
const cget = (value: number, invoke: number, complete: number): CtrOp => ({ process: 1, key: 'c', input: { f: 'get' }, output: { value }, invoke, complete, outcome: 'ok' });

const lin = (ops: RegOp[]) => searchKey(registerModel, ops);

describe('linearizability checker: classic cases', () => {
  it('accepts sequential set/get/del', () => {
    expect(lin([set('a', 0, 1), get('a', 2, 3), del(1, 4, 5), get(null, 6, 7), del(0, 8, 9)])).to.equal(true);
  });
  it('accepts concurrent overlapping ops in either order', () => {
    // The set overlaps both reads: one sees the old value, one the new one.
    expect(lin([set('a', 0, 10), get(null, 1, 3), get('a', 5, 6)])).to.equal(true);
    // A read overlapping two writes may see either.
    expect(lin([set('a', 0, 1), set('b', 2, 8), get('a', 3, 4), get('b', 5, 9, 3)])).to.equal(true);
  });
  it('rejects a stale read', () => {
    expect(lin([set('a', 0, 1), set('b', 2, 3), get('a', 4, 5)])).to.equal(false);
  });
  it('rejects a lost write (a completed set not visible to a later read)', () => {
    expect(lin([set('a', 0, 1), get(null, 2, 3)])).to.equal(false);
    expect(searchKey(counterModel, [incr(1, 0, 1), incr(2, 2, 3), cget(1, 4, 5)])).to.equal(false);
  });
  it('rejects a read of a never-written value', () => {
    expect(lin([set('a', 0, 1), get('zzz', 2, 3)])).to.equal(false);
  });
  it('rejects a new-then-old read inversion between two readers', () => {
    expect(lin([set('a', 0, 1), set('b', 2, 10), get('b', 3, 4), get('a', 5, 6, 3)])).to.equal(false);
  });
  it('rejects a wrong DEL count', () => {
    expect(lin([set('a', 0, 1), del(0, 2, 3)])).to.equal(false);
  });
  it('rejects duplicate INCR results and accepts concurrent ones in any order', () => {
    expect(searchKey(counterModel, [incr(1, 0, 1), incr(1, 2, 3)])).to.equal(false);
    expect(searchKey(counterModel, [incr(2, 0, 5), incr(1, 1, 6), cget(2, 7, 8)])).to.equal(true);
  });
  it('unknown outcome: may have taken effect (later read sees it)', () => {
    expect(lin([{ ...set('x', 0, 0, 'info') }, get('x', 100, 101)])).to.equal(true);
    expect(searchKey(counterModel, [incr(0, 0, 0, 'info'), incr(2, 5, 6)])).to.equal(true);
  });
  it('unknown outcome: may never have taken effect', () => {
    expect(lin([set('a', 0, 1), set('x', 2, 2, 'info'), get('a', 50, 51), get('a', 60, 61)])).to.equal(true);
  });
  it('unknown outcome cannot take effect before its invocation', () => {
    expect(lin([get('x', 0, 5), set('x', 10, 10, 'info')])).to.equal(false);
  });
  it('a failed op definitely did not happen', () => {
    expect(lin([set('x', 0, 1, 'fail'), get('x', 2, 3)])).to.equal(false);
    expect(lin([set('x', 0, 1, 'fail'), get(null, 2, 3)])).to.equal(true);
  });
  it('partitions by key and explains the failing key with a small timeline', () => {
    const history: RegOp[] = [];
    for (let i = 0; i < 40; i++) history.push({ ...set(`v${i}`, i * 10, i * 10 + 3), key: 'other' }, { ...get(`v${i}`, i * 10 + 4, i * 10 + 6), key: 'other' });
    for (let i = 0; i < 30; i++) history.push(set(`w${i}`, i * 10, i * 10 + 2), get(`w${i}`, i * 10 + 3, i * 10 + 5));
    history.push(get('w3', 400, 401)); // stale: w29 was written before
    const res = check(registerModel, history);
    expect(res.valid).to.equal(false);
    expect(res.keys.find((k) => k.key === 'other')!.valid).to.equal(true);
    const bad = res.keys.find((k) => k.key === 'k')!;
    expect(bad.valid).to.equal(false);
    expect(bad.minimal!.length).to.be.at.most(3);
    const text = explain(registerModel, res);
    expect(text).to.include('key k (register): not linearizable');
    expect(text).to.include('get -> "w3"');
  });
});

// ------------------------------------------------------------ generated histories

interface GenOp {
  key: number;
  kind: 'get' | 'set' | 'del' | 'incr';
  /** Where the op really took effect, relative to its neighbours. */
  pre: number;
  post: number;
  /** ok, info that was applied, info that was not applied, fail (not applied). */
  fate: 'ok' | 'info-applied' | 'info-lost' | 'fail';
}

const genOp = fc.record({
  key: fc.integer({ min: 0, max: 2 }),
  kind: fc.constantFrom<GenOp['kind']>('get', 'get', 'set', 'set', 'del', 'incr', 'incr'),
  pre: fc.integer({ min: 0, max: 40 }),
  post: fc.integer({ min: 0, max: 40 }),
  fate: fc.constantFrom<GenOp['fate']>('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'info-applied', 'info-lost', 'fail'),
});

interface Built {
  reg: RegOp[];
  ctr: CtrOp[];
}

/**
 * Runs the ops against a sequential model at linearization points 10 ms apart,
 * then widens each op's [invoke, complete] around its point by random margins:
 * the result is linearizable by construction. Keys 'r0..' are registers, 'c0..' counters.
 */
function execute(gen: GenOp[]): Built {
  const regs = new Map<string, string | null>();
  const ctrs = new Map<string, number>();
  const reg: RegOp[] = [];
  const ctr: CtrOp[] = [];
  gen.forEach((g, i) => {
    const t = i * 10;
    const applied = g.fate === 'ok' || g.fate === 'info-applied';
    const outcome: Outcome = g.fate === 'ok' ? 'ok' : g.fate === 'fail' ? 'fail' : 'info';
    const base = { process: i % 7, invoke: t - g.pre, complete: outcome === 'info' ? undefined : t + g.post, outcome };
    if (g.kind === 'incr' || (g.kind === 'get' && g.key === 2)) {
      const key = `c${g.key}`;
      const cur = ctrs.get(key) ?? 0;
      const next = g.kind === 'incr' && applied ? cur + 1 : cur;
      ctrs.set(key, next);
      ctr.push({ ...base, key, input: { f: g.kind === 'incr' ? 'incr' : 'get' }, output: { value: g.kind === 'incr' ? cur + 1 : cur } });
      return;
    }
    const key = `r${g.key}`;
    const cur = regs.get(key) ?? null;
    if (g.kind === 'get') reg.push({ ...base, key, input: { f: 'get' }, output: { value: cur } });
    else if (g.kind === 'set') {
      const value = `v${i}`;
      if (applied) regs.set(key, value);
      reg.push({ ...base, key, input: { f: 'set', value }, output: {} });
    } else {
      if (applied) regs.set(key, null);
      reg.push({ ...base, key, input: { f: 'del' }, output: { deleted: cur === null ? 0 : 1 } });
    }
  });
  return { reg, ctr };
}

const isOk = <T extends { outcome: Outcome }>(o: T) => o.outcome === 'ok';

/** One corruption that makes the register history certainly non-linearizable; undefined if none applies. */
function corruptRegister(ops: RegOp[], pick: number): RegOp[] | undefined {
  const gets = ops.filter((o) => isOk(o) && o.input.f === 'get');
  if (gets.length === 0) return undefined;
  const g = gets[pick % gets.length];
  // Stale read: g returns the value of w0 although w1 was written entirely between w0 and g.
  const sets = ops.filter((o) => isOk(o) && o.input.f === 'set' && o.key === g.key);
  for (const w0 of sets)
    for (const w1 of sets)
      if (w0.complete! < w1.invoke && w1.complete! < g.invoke && w0 !== w1) {
        const value = (w0.input as { value: string }).value;
        return ops.map((o) => (o === g ? { ...o, output: { value } } : o));
      }
  // Otherwise: a value nobody wrote.
  return ops.map((o) => (o === g ? { ...o, output: { value: 'never-written' } } : o));
}

/** Counter corruption: a read that misses an increment acknowledged before it began, or a duplicate INCR result. */
function corruptCounter(ops: CtrOp[], pick: number): CtrOp[] | undefined {
  const okIncrs = ops.filter((o) => isOk(o) && o.input.f === 'incr');
  const gets = ops.filter((o) => isOk(o) && o.input.f === 'get');
  for (let n = 0; n < gets.length; n++) {
    const g = gets[(pick + n) % gets.length];
    const before = okIncrs.filter((i) => i.key === g.key && i.complete! < g.invoke);
    if (before.length === 0) continue;
    const r = Math.max(...before.map((i) => i.output!.value));
    return ops.map((o) => (o === g ? { ...o, output: { value: r - 1 } } : o));
  }
  for (const a of okIncrs)
    for (const b of okIncrs)
      if (a !== b && a.key === b.key) return ops.map((o) => (o === b ? { ...o, output: { value: a.output!.value } } : o));
  return undefined;
}

describe('linearizability checker: generated histories', function () {
  this.timeout(60000);

  it('accepts every history executed from the sequential model with random overlaps, unknowns and failures', () => {
    fc.assert(
      fc.property(fc.array(genOp, { minLength: 1, maxLength: 60 }), (gen) => {
        const { reg, ctr } = execute(gen);
        expect(check(registerModel, reg).valid).to.equal(true);
        expect(check(counterModel, ctr).valid).to.equal(true);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects the same histories with one injected corruption', () => {
    let checked = 0;
    fc.assert(
      fc.property(fc.array(genOp, { minLength: 2, maxLength: 60 }), fc.nat(), (gen, pick) => {
        const { reg, ctr } = execute(gen);
        const badReg = corruptRegister(reg, pick);
        if (badReg) {
          const res = check(registerModel, badReg, { shrinkMs: 200 });
          expect(res.valid, explain(registerModel, res)).to.equal(false);
          checked++;
        }
        const badCtr = corruptCounter(ctr, pick);
        if (badCtr) {
          expect(check(counterModel, badCtr, { shrinkMs: 200 }).valid).to.equal(false);
          checked++;
        }
      }),
      { numRuns: 300 },
    );
    expect(checked).to.be.greaterThan(200);
  });

  it('decides a 2,000-op history across 10 keys (no key left undecided by the per-key time limit)', () => {
    const rand = fc.sample(fc.integer({ min: 0, max: 60 }), { numRuns: 8000, seed: 42 });
    const history: RegOp[] = [];
    const regs = new Map<string, string | null>();
    for (let i = 0; i < 2000; i++) {
      const key = `k${rand[4 * i] % 10}`;
      const t = i * 3;
      const cur = regs.get(key) ?? null;
      const base = { process: i % 10, key, invoke: t - rand[4 * i + 1], complete: t + rand[4 * i + 2], outcome: 'ok' as Outcome };
      if (rand[4 * i + 3] % 2 === 0) history.push({ ...base, input: { f: 'get' }, output: { value: cur } });
      else {
        regs.set(key, `v${i}`);
        history.push({ ...base, input: { f: 'set', value: `v${i}` }, output: {} });
      }
    }
    // An exponential search would hit keyTimeoutMs and answer 'unknown' for the key.
    const res = check(registerModel, history, { keyTimeoutMs: 10_000 });
    expect(res.valid).to.equal(true);
    expect(res.keys.every((k) => k.valid === true)).to.equal(true);
    // The same with a stale read injected is caught (false, not 'unknown').
    const bad = corruptRegister(history, 1234)!;
    expect(check(registerModel, bad, { shrinkMs: 500, keyTimeoutMs: 10_000 }).valid).to.equal(false);
  });
});
