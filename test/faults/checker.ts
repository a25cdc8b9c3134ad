/**
 * Linearizability checker: Wing–Gong search with Lowe's memoization, as in
 * porcupine and knossos. A history is split per key and each key's
 * sub-history is checked on its own (linearizability is compositional).
 *
 * Outcomes: `ok` operations took effect between invoke and complete with the
 * recorded output; `fail` operations definitely did not take effect and are
 * dropped; `info` operations may or may not have taken effect, at any time
 * after invoke, so they are modelled as never completing (their return sits
 * after everything else) and the search may leave them out.
 */

export type Outcome = 'ok' | 'fail' | 'info';

/** One client operation. Times come from one clock (ms, fractional allowed). */
export interface Operation<I, O> {
  /** Client (process) that issued it: only used for printing. */
  process: number;
  /** Node the client talked to, if any: only used for printing. */
  node?: number;
  /** The error a failed or unknown op got, if any: only used for printing. */
  error?: string;
  key: string;
  input: I;
  /** Observed output; ignored (may be absent) for `info` and `fail`. */
  output?: O;
  invoke: number;
  /** Completion time; ignored for `info`. */
  complete?: number;
  outcome: Outcome;
}

/** A sequential specification of one key's object. */
export interface Model<S, I, O> {
  name: string;
  init(): S;
  /**
   * The state after applying `input` to `state`, or undefined if the op
   * cannot have produced `output` there. `output` is undefined for an op
   * whose result is unknown: any output is acceptable then.
   */
  step(state: S, input: I, output: O | undefined): S | undefined;
  /** A string that is equal for equal states (memoization key). */
  hash(state: S): string;
  /** Whether an op cannot change the state (unknown-outcome reads are then dropped). */
  readOnly(input: I): boolean;
  /**
   * For shrinking: true if no op of `rest` can observe the effect of a write
   * with this input, so dropping it does not invent a violation.
   */
  unobserved?(input: I, rest: Array<Operation<I, O>>): boolean;
  /** For shrinking: a write whose output tells something about the state (DEL's count). */
  observingWrite?(input: I): boolean;
  describe(input: I, output: O | undefined): string;
}

// ---------------------------------------------------------------- models

export type RegisterInput = { f: 'get' } | { f: 'set'; value: string } | { f: 'del' };
/** get: the value read (null = absent); del: number of keys deleted; set: nothing. */
export type RegisterOutput = { value: string | null } | { deleted: number } | Record<string, never>;

export const registerModel: Model<string | null, RegisterInput, RegisterOutput> = {
  name: 'register',
  init: () => null,
  step(state, input, output) {
    switch (input.f) {
      case 'get':
        if (output === undefined) return state;
        return 'value' in output && output.value === state ? state : undefined;
      case 'set':
        return input.value;
      case 'del':
        if (output !== undefined && 'deleted' in output && output.deleted !== (state === null ? 0 : 1)) return undefined;
        return null;
    }
  },
  hash: (s) => (s === null ? '\u0000nil' : s),
  readOnly: (input) => input.f === 'get',
  observingWrite: (input) => input.f === 'del',
  unobserved(input, rest) {
    const observed = (o: Operation<RegisterInput, RegisterOutput>, pred: (out: RegisterOutput) => boolean): boolean => o.outcome === 'ok' && o.output !== undefined && pred(o.output);
    if (input.f === 'set') return !rest.some((o) => observed(o, (out) => ('value' in out && out.value === input.value) || ('deleted' in out && out.deleted === 1)));
    if (input.f === 'del') return !rest.some((o) => observed(o, (out) => ('value' in out && out.value === null) || ('deleted' in out && out.deleted === 0)));
    return true;
  },
  describe(input, output) {
    const out = output === undefined ? '?' : 'value' in output ? JSON.stringify(output.value) : 'deleted' in output ? String(output.deleted) : 'OK';
    if (input.f === 'set') return `set ${JSON.stringify(input.value)} -> ${output === undefined ? '?' : 'OK'}`;
    return `${input.f} -> ${out}`;
  },
};

export type CounterInput = { f: 'incr' } | { f: 'get' };
/** The value INCR returned or GET read (a missing key reads as 0). */
export type CounterOutput = { value: number };

export const counterModel: Model<number, CounterInput, CounterOutput> = {
  name: 'counter',
  init: () => 0,
  step(state, input, output) {
    const next = input.f === 'incr' ? state + 1 : state;
    if (output !== undefined && output.value !== next) return undefined;
    return next;
  },
  hash: (s) => String(s),
  readOnly: (input) => input.f === 'get',
  describe: (input, output) => `${input.f} -> ${output === undefined ? '?' : output.value}`,
};

// ---------------------------------------------------------------- search

export type Verdict = true | false | 'unknown';

export interface KeyResult<I, O> {
  key: string;
  valid: Verdict;
  /** Operations checked (after dropping `fail` ops and unknown reads). */
  ops: number;
  /** On failure: a small sub-history that is still not linearizable. */
  minimal?: Array<Operation<I, O>>;
}

export interface CheckResult<I, O> {
  valid: Verdict;
  keys: Array<KeyResult<I, O>>;
  ms: number;
}

export interface CheckOptions {
  /** Give up on one key (verdict 'unknown') after this long (default 10 s). */
  keyTimeoutMs?: number;
  /** Time budget for shrinking a failing key's history (default 2 s). */
  shrinkMs?: number;
  /** How many failing keys to shrink (default 3); the others are reported unshrunk. */
  shrinkKeys?: number;
}

interface Node<I, O> {
  op: Operation<I, O> | undefined;
  id: number;
  isCall: boolean;
  time: number;
  /** On a call: its return; on a return: undefined. */
  match: Node<I, O> | undefined;
  prev: Node<I, O> | undefined;
  next: Node<I, O> | undefined;
}

/** The operations that take part in the search: fail ops and unknown-outcome reads are dropped. */
function relevant<S, I, O>(model: Model<S, I, O>, ops: Array<Operation<I, O>>): Array<Operation<I, O>> {
  return ops.filter((o) => o.outcome === 'ok' || (o.outcome === 'info' && !model.readOnly(o.input)));
}

/** Builds the doubly linked list of call/return entries sorted by time (calls before returns on ties). */
function buildList<I, O>(ops: Array<Operation<I, O>>): Node<I, O> {
  const entries: Array<Node<I, O>> = [];
  ops.forEach((op, id) => {
    const ret: Node<I, O> = { op, id, isCall: false, time: op.outcome === 'ok' ? (op.complete ?? Infinity) : Infinity, match: undefined, prev: undefined, next: undefined };
    entries.push({ op, id, isCall: true, time: op.invoke, match: ret, prev: undefined, next: undefined }, ret);
  });
  entries.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? a.id - b.id : a.isCall ? -1 : 1));
  const head: Node<I, O> = { op: undefined, id: -1, isCall: false, time: -Infinity, match: undefined, prev: undefined, next: undefined };
  let last = head;
  for (const e of entries) {
    last.next = e;
    e.prev = last;
    last = e;
  }
  return head;
}

function lift<I, O>(call: Node<I, O>): void {
  call.prev!.next = call.next;
  if (call.next) call.next.prev = call.prev;
  const ret = call.match!;
  ret.prev!.next = ret.next;
  if (ret.next) ret.next.prev = ret.prev;
}

function unlift<I, O>(call: Node<I, O>): void {
  const ret = call.match!;
  ret.prev!.next = ret;
  if (ret.next) ret.next.prev = ret;
  call.prev!.next = call;
  if (call.next) call.next.prev = call;
}

function randomU32(): number {
  return (Math.random() * 0x100000000) >>> 0;
}

/** Wing–Gong search over one key's operations; 'unknown' if the deadline passes. */
export function searchKey<S, I, O>(model: Model<S, I, O>, allOps: Array<Operation<I, O>>, deadline = Infinity): Verdict {
  const ops = relevant(model, allOps);
  if (ops.length === 0) return true;
  const head = buildList(ops);
  // The linearized set is hashed incrementally (XOR of a random 64-bit code
  // per op, Zobrist style) so a memo key costs O(1), not O(ops). A collision
  // (about n²/2^64 for n memo entries) could only hide a linearization.
  const codes = ops.map(() => [randomU32(), randomU32()] as const);
  let h1 = 0;
  let h2 = 0;
  /** Lowe's memo: (linearized set, state) pairs already explored. */
  const seen = new Set<string>();
  const calls: Array<{ entry: Node<I, O>; state: S }> = [];
  let state = model.init();
  let entry = head.next;
  let steps = 0;
  while (entry) {
    if ((++steps & 0x3ff) === 0 && Date.now() > deadline) return 'unknown';
    if (entry.isCall) {
      const output = entry.op!.outcome === 'ok' ? entry.op!.output : undefined;
      const next = model.step(state, entry.op!.input, output);
      if (next !== undefined) {
        const [c1, c2] = codes[entry.id];
        const key = `${(h1 ^ c1) >>> 0}:${(h2 ^ c2) >>> 0}:${model.hash(next)}`;
        if (!seen.has(key)) {
          seen.add(key);
          calls.push({ entry, state });
          state = next;
          h1 ^= c1;
          h2 ^= c2;
          lift(entry);
          entry = head.next;
          continue;
        }
      }
      entry = entry.next;
    } else {
      // A return whose call is not linearized yet. If it belongs to an unknown op,
      // every ok op is already linearized (their returns sort earlier): done.
      if (entry.op!.outcome !== 'ok') return true;
      const top = calls.pop();
      if (!top) return false;
      entry = top.entry;
      state = top.state;
      h1 ^= codes[entry.id][0];
      h2 ^= codes[entry.id][1];
      unlift(entry);
      entry = entry.next;
    }
  }
  return true;
}

/**
 * The history up to time `t`, relaxed so that it is linearizable whenever the
 * whole history is: ops invoked at or after `t` are dropped, and ops still
 * running at `t` lose their observation (reads dropped, writes made unknown).
 * Dropped ops can be linearized after every remaining observation.
 */
function prefixAt<S, I, O>(model: Model<S, I, O>, ops: Array<Operation<I, O>>, t: number): Array<Operation<I, O>> {
  const out: Array<Operation<I, O>> = [];
  for (const o of ops) {
    if (o.invoke >= t) continue;
    if (o.outcome === 'ok' && (o.complete ?? Infinity) > t) {
      if (!model.readOnly(o.input)) out.push({ ...o, outcome: 'info', output: undefined, complete: undefined });
    } else out.push(o);
  }
  return out;
}

/**
 * Shrinks a non-linearizable history with moves that only relax it (so what
 * is left fails for a reason the original had): cut to the shortest failing
 * prefix, then drop reads and writes the model says nothing left observes.
 * Bounded by `budgetMs`.
 */
export function shrink<S, I, O>(model: Model<S, I, O>, ops: Array<Operation<I, O>>, budgetMs: number): Array<Operation<I, O>> {
  const deadline = Date.now() + budgetMs;
  const fails = (h: Array<Operation<I, O>>): boolean => searchKey(model, h, deadline) === false;
  let cur = relevant(model, ops);
  const times = [...new Set(cur.map((o) => o.invoke).concat(cur.map((o) => (o.outcome === 'ok' ? (o.complete ?? 0) : 0))))].sort((a, b) => a - b);
  let lo = 0;
  let hi = times.length - 1;
  while (lo < hi && Date.now() < deadline) {
    const mid = (lo + hi) >>> 1;
    if (fails(prefixAt(model, cur, times[mid] + 1e-9))) hi = mid;
    else lo = mid + 1;
  }
  const prefix = prefixAt(model, cur, times[hi] + 1e-9);
  if (fails(prefix)) cur = prefix;
  // Reads in chunks first (delta debugging): halves, quarters, ... of them at a time.
  const isRead = (o: Operation<I, O>): boolean => o.outcome === 'ok' && model.readOnly(o.input);
  for (let size = Math.floor(cur.filter(isRead).length / 2); size >= 1 && Date.now() < deadline; size = Math.floor(size / 2)) {
    const reads = cur.filter(isRead);
    for (let start = 0; start < reads.length && Date.now() < deadline; start += size) {
      const chunk = new Set(reads.slice(start, start + size));
      const next = cur.filter((o) => !chunk.has(o));
      if (next.length < cur.length && fails(next)) cur = next;
    }
  }
  for (let changed = true; changed && Date.now() < deadline; ) {
    changed = false;
    for (let i = cur.length - 1; i >= 0 && Date.now() < deadline; i--) {
      const o = cur[i];
      const rest = cur.slice(0, i).concat(cur.slice(i + 1));
      // Dropping a read, or a write nothing left observes, only relaxes the history.
      const droppable = o.outcome === 'ok' && model.readOnly(o.input) ? true : (model.unobserved?.(o.input, rest) ?? false);
      if (droppable && fails(rest)) {
        cur = rest;
        changed = true;
        continue;
      }
      // Forgetting what a write returned (DEL's count) relaxes it too, and may let it go later.
      if (o.outcome === 'ok' && model.observingWrite?.(o.input)) {
        const relaxed = cur.slice(0, i).concat([{ ...o, outcome: 'info', output: undefined, complete: undefined }], cur.slice(i + 1));
        if (fails(relaxed)) {
          cur = relaxed;
          changed = true;
        }
      }
    }
  }
  return cur;
}

/** Checks every key's sub-history; the history is linearizable iff every key's is. */
export function check<S, I, O>(model: Model<S, I, O>, history: Array<Operation<I, O>>, opts: CheckOptions = {}): CheckResult<I, O> {
  const start = Date.now();
  const byKey = new Map<string, Array<Operation<I, O>>>();
  for (const op of history) {
    let list = byKey.get(op.key);
    if (!list) byKey.set(op.key, (list = []));
    list.push(op);
  }
  const keys: Array<KeyResult<I, O>> = [];
  for (const [key, ops] of [...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const valid = searchKey(model, ops, Date.now() + (opts.keyTimeoutMs ?? 10000));
    const res: KeyResult<I, O> = { key, valid, ops: relevant(model, ops).length };
    // Shrink the first few failing keys only: one is enough to read, and each costs up to shrinkMs.
    const shrunk = keys.filter((k) => k.minimal).length;
    if (valid === false) res.minimal = shrunk < (opts.shrinkKeys ?? 3) ? shrink(model, ops, opts.shrinkMs ?? 2000) : undefined;
    keys.push(res);
  }
  const valid: Verdict = keys.some((k) => k.valid === false) ? false : keys.some((k) => k.valid === 'unknown') ? 'unknown' : true;
  return { valid, keys, ms: Date.now() - start };
}

/**
 * A readable timeline of operations: one line per op, sorted by invoke, with
 * times relative to the first invoke and a bar showing its extent.
 */
export function timeline<S, I, O>(model: Model<S, I, O>, ops: Array<Operation<I, O>>, width = 40): string {
  if (ops.length === 0) return '(empty)';
  const sorted = [...ops].sort((a, b) => a.invoke - b.invoke);
  const t0 = sorted[0].invoke;
  const ends = sorted.map((o) => (o.outcome === 'ok' ? (o.complete ?? o.invoke) : o.invoke));
  const t1 = Math.max(...ends, ...sorted.map((o) => o.invoke));
  const span = Math.max(t1 - t0, 1e-9);
  const col = (t: number): number => Math.min(width - 1, Math.round(((t - t0) / span) * (width - 1)));
  return sorted
    .map((o) => {
      const a = col(o.invoke);
      const b = o.outcome === 'ok' ? col(o.complete ?? o.invoke) : width - 1;
      const bar = ' '.repeat(a) + (o.outcome === 'ok' ? '['.concat('='.repeat(Math.max(0, b - a - 1)), b > a ? ']' : '') : '[' + '~'.repeat(Math.max(0, b - a - 1)) + '?');
      const end = o.outcome === 'ok' ? `${(((o.complete ?? o.invoke) - t0)).toFixed(3)}` : o.outcome;
      const out = o.outcome === 'ok' ? o.output : undefined;
      return `${bar.padEnd(width)} | p${o.process}${o.node !== undefined ? `@n${o.node}` : ''} ${model.describe(o.input, out)}  (${(o.invoke - t0).toFixed(3)} .. ${end} ms)${o.error ? ` ${o.error}` : ''}`;
    })
    .join('\n');
}

/** A human-readable explanation of a failed check: per failing key, its minimal sub-history. */
export function explain<S, I, O>(model: Model<S, I, O>, result: CheckResult<I, O>): string {
  const lines: string[] = [];
  for (const k of result.keys) {
    if (k.valid === true) continue;
    if (k.valid === 'unknown') {
      lines.push(`key ${k.key}: search gave up (${k.ops} ops); verdict unknown`);
      continue;
    }
    if (!k.minimal) {
      lines.push(`key ${k.key} (${model.name}): not linearizable (${k.ops} ops; not shrunk)`);
      continue;
    }
    lines.push(`key ${k.key} (${model.name}): not linearizable; ${k.minimal.length} of ${k.ops} ops still fail:`);
    lines.push(timeline(model, k.minimal));
  }
  return lines.join('\n');
}
