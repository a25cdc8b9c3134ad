/**
 * One fault scenario end to end: start a proxied cluster, run the workload
 * while a nemesis schedule injects and heals faults, heal everything, read
 * the final state from every node, judge the history, write it and the
 * verdict as JSON under results/faults/<run>/ and print a one-line summary.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { indexField, waitFor } from '../cluster/harness';
import { ROOT } from '../support/proc';
import { FaultCluster, type Endpoint } from './cluster';
import { healAll, type Nemesis } from './nemesis';
import { finalStateVerdict, linearizability, readYourWrites, type FinalState } from './verdicts';
import { now, Workload, type ReadMode } from './workload';
import { LockWorkload, lockVerdict, type BrokenLockClient } from './lockload';

export interface ScenarioOptions {
  name: string;
  nodes?: number;
  /** Faults are injected in cycles until this much workload time has passed. */
  durationMs: number;
  /** Nemeses used in turn (`random`: drawn at random each cycle). */
  nemeses: Nemesis[];
  order?: 'sequence' | 'random';
  faultMs?: number;
  healMs?: number;
  readMode: ReadMode;
  /**
   * Deliberately weakened reads: clients read in `local` mode but the history
   * is judged as if they had asked for `linearizable` (the checker must object).
   */
  weakReads?: boolean;
  /**
   * The verdict this run must reach to pass: `violation` for a deliberately
   * weakened setup the checker must catch (default: `violation` with
   * weakReads, else `linearizable`).
   */
  expect?: 'linearizable' | 'violation';
  /** Server failpoint for a deliberately weakened server (RAFTCACHE_FAILPOINT), e.g. linearizable-reads-local. */
  failpoint?: string;
  clients?: number;
  /** Per-node clock rates under libfaketime (e.g. {1: 0.9}); faketime is also used when a nemesis needs it. */
  clockRates?: Record<number, number>;
  network?: 'auto' | 'netns' | 'proxy';
  /**
   * `lock`: clients increment a counter inside LOCK.ACQUIRE/RELEASE (lockload.ts)
   * and the run is judged by lock safety and the final counter instead of
   * linearizability (reads are linearizable; `readMode` is only reported).
   */
  workload?: 'register' | 'lock';
  /** Lock workload with deliberately broken clients the lock-safety verdict must catch (implies expect: violation). */
  brokenLocks?: BrokenLockClient;
  /** Folder for results (default results/faults/<timestamp>). */
  outDir?: string;
  /** Extra server arguments for every node (e.g. small compaction settings so snapshots happen). */
  serverArgs?: string[];
  log?: (line: string) => void;
}

export interface ScenarioResult {
  name: string;
  readMode: ReadMode;
  weakReads: boolean;
  ops: { total: number; ok: number; fail: number; info: number };
  /** Judged for linearizable and lease (and weakened) runs; local reads are only read-your-writes. */
  linearizable: boolean | 'unknown' | 'not judged';
  explanation: string;
  readYourWrites: string[];
  lostWrites: string[];
  /** Writes answered as not applied that were applied. */
  phantomWrites: string[];
  /** Lock workload: lock-safety violations (empty for other workloads). */
  lockSafety: string[];
  events: string[];
  durationMs: number;
  checkMs: number;
  pass: boolean;
  file: string;
  summary: string;
}

export function defaultOutDir(): string {
  return path.join(ROOT, 'results', 'faults', new Date().toISOString().replace(/[:.]/g, '-'));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runScenario(opts: ScenarioOptions): Promise<ScenarioResult> {
  const log = opts.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const faultMs = opts.faultMs ?? 5000;
  const healMs = opts.healMs ?? 3000;
  const started = Date.now();
  const events: string[] = [];
  const faketime = opts.clockRates !== undefined || opts.nemeses.some((n) => n.needsClock);
  const cluster = await FaultCluster.start({
    nodes: opts.nodes ?? 3,
    // Log segments well below node 1's 64 MiB tmpfs (disk faults), so that a full disk is met while rolling over.
    args: ['--write-timeout-ms', '2000', '--log-segment-size', '4mb', ...(opts.serverArgs ?? [])],
    faketime: faketime ? { rates: opts.clockRates } : undefined,
    network: opts.network,
    env: opts.failpoint ? { RAFTCACHE_FAILPOINT: opts.failpoint } : undefined,
    // Disk faults: node 1's data dir on a 64 MiB tmpfs.
    tmpfs: opts.nemeses.some((n) => n.needsDisk) ? { nodes: [1], sizeMb: 64 } : undefined,
  });
  if (cluster.tmpfsError) log(`faults ${opts.name}: disk faults skipped: ${cluster.tmpfsError}`);
  if (cluster.net.kind === 'proxy' && cluster.fallbackReason !== 'asked for') {
    log(`faults ${opts.name}: network namespaces unavailable (${cluster.fallbackReason}); falling back to userspace TCP proxies on 127.0.0.1`);
  }
  const t0 = now();
  const event = (what: string): void => {
    const line = `${((now() - t0) / 1000).toFixed(1).padStart(6)}s ${what}`;
    events.push(line);
    if (process.env.FAULTS_VERBOSE) log(`  ${opts.name}: ${line}`);
  };
  try {
    const clocks = faketime ? `; clocks under libfaketime (rates ${cluster.ids().map((id) => `${id}:x${cluster.node(id).clock!.rate}`).join(' ')})` : '';
    event(`cluster up; leader ${await cluster.leader()}; ${networkNote(cluster)}${clocks}`);
    const endpoints = new Map([...cluster.nodes.values()].map((n) => [n.id, n.endpoint] as const));
    if (opts.workload === 'lock') return await runLocks(opts, cluster, endpoints, { t0, event, events, started, log, faultMs, healMs });
    const workload = new Workload({ endpoints, readMode: opts.weakReads ? 'local' : opts.readMode, clients: opts.clients ?? 10 });
    workload.start();
    await sleep(1000);
    await injectFaults(opts, cluster, t0, event, faultMs, healMs);
    await workload.stop();
    event(`workload stopped after ${workload.opCount} ops`);
    await healAll(cluster);
    const finals = await finalState(cluster, workload.history.register.map((o) => o.key).concat(workload.history.counter.map((o) => o.key)));
    event('final state read from every node');

    const h = workload.history;
    const all = [...h.register, ...h.counter];
    const count = (o: string): number => all.filter((x) => x.outcome === o).length;
    // Lease reads claim linearizability too (within the clock-drift bound of the lease).
    const judged = opts.readMode !== 'local' || opts.weakReads === true;
    const lin = judged ? linearizability(h) : undefined;
    const ryw = opts.readMode === 'local' && !opts.weakReads ? readYourWrites(h) : [];
    const { lost, phantom } = finalStateVerdict(h, finals);
    const linOk = lin === undefined || lin.valid === true;
    const expectViolation = (opts.expect ?? (opts.weakReads ? 'violation' : 'linearizable')) === 'violation';
    const crashes = reportCrashes(cluster, t0, events);
    const pass = (expectViolation ? lin?.valid === false : linOk) && ryw.length === 0 && lost.length === 0 && phantom.length === 0 && crashes.length === 0;
    const outDir = opts.outDir ?? defaultOutDir();
    mkdirSync(outDir, { recursive: true });
    const file = path.join(outDir, `${opts.name}.json`);
    const durationMs = Date.now() - started;
    const linText = lin === undefined ? 'not judged' : lin.valid === true ? 'yes' : lin.valid === false ? 'NO' : 'unknown';
    const summary =
      `faults ${opts.name}: ${pass ? 'PASS' : 'FAIL'}${expectViolation ? ' (a violation was expected)' : ''} mode=${opts.weakReads ? 'local-claimed-linearizable' : opts.readMode} ` +
      `net=${cluster.net.kind} ops=${all.length} (ok ${count('ok')}, fail ${count('fail')}, unknown ${count('info')}) linearizable=${linText}` +
      `${opts.readMode === 'local' && !opts.weakReads ? ` read-your-writes-violations=${ryw.length}` : ''} lost-writes=${lost.length} failed-but-applied=${phantom.length} crashes=${crashes.length} ` +
      `in ${(durationMs / 1000).toFixed(1)}s (check ${lin?.ms ?? 0} ms) -> ${path.relative(ROOT, file)}`;
    const result: ScenarioResult = {
      name: opts.name,
      readMode: opts.readMode,
      weakReads: opts.weakReads ?? false,
      ops: { total: all.length, ok: count('ok'), fail: count('fail'), info: count('info') },
      linearizable: lin === undefined ? 'not judged' : lin.valid,
      explanation: lin?.explanation ?? '',
      readYourWrites: ryw,
      lostWrites: lost,
      phantomWrites: phantom,
      lockSafety: [],
      events,
      durationMs,
      checkMs: lin?.ms ?? 0,
      pass,
      file,
      summary,
    };
    writeFileSync(file, JSON.stringify({ ...result, errors: h.errors, nodeWarnings: nodeWarnings(cluster), finalState: Object.fromEntries([...finals].map(([id, m]) => [id, Object.fromEntries(m)])), history: h }, null, 1));
    log(summary);
    if (!pass || expectViolation) {
      // For an expected violation, the evidence is the point: print the first failing key.
      if (lin?.explanation) log(pass ? lin.explanation.split(/\n(?=key )/)[0] : lin.explanation);
      for (const v of [...ryw, ...lost, ...phantom, ...crashes].slice(0, 20)) log(`  ${v}`);
      if (!pass) log(`  events:\n    ${events.join('\n    ')}`);
    }
    return result;
  } catch (e) {
    log(`faults ${opts.name}: ERROR ${(e as Error).message}\n  events:\n    ${events.join('\n    ')}\n${cluster.logTail(15)}`);
    throw e;
  } finally {
    await cluster.stopAll();
  }
}

/** Nemesis cycles (inject, wait, heal, wait) until `durationMs` of workload time has passed since t0. */
async function injectFaults(opts: ScenarioOptions, cluster: FaultCluster, t0: number, event: (what: string) => void, faultMs: number, healMs: number): Promise<void> {
  for (let cycle = 0; now() - t0 < opts.durationMs; cycle++) {
    const nem = opts.order === 'random' ? opts.nemeses[Math.floor(Math.random() * opts.nemeses.length)] : opts.nemeses[cycle % opts.nemeses.length];
    event(`${nem.name}: ${await nem.start(cluster)}`);
    await sleep(faultMs);
    event(`${nem.name}: ${await nem.stop(cluster)}`);
    await sleep(healMs);
  }
}

interface RunContext {
  t0: number;
  event: (what: string) => void;
  events: string[];
  started: number;
  log: (line: string) => void;
  faultMs: number;
  healMs: number;
}

/** The lock workload under the same nemesis schedule, judged by lock safety and the final counter. */
async function runLocks(opts: ScenarioOptions, cluster: FaultCluster, endpoints: Map<number, Endpoint>, ctx: RunContext): Promise<ScenarioResult> {
  const { event, events, log } = ctx;
  const workload = new LockWorkload({ endpoints, clients: opts.clients ?? 6, broken: opts.brokenLocks });
  workload.start();
  await sleep(1000);
  await injectFaults(opts, cluster, ctx.t0, event, ctx.faultMs, ctx.healMs);
  await workload.stop();
  event(`workload stopped after ${workload.opCount} lock ops`);
  await healAll(cluster);
  const h = workload.history;
  const finals = await finalState(cluster, [h.counter]);
  event('final state read from every node');
  const v = lockVerdict(h, finals);
  const expectViolation = opts.brokenLocks !== undefined || opts.expect === 'violation';
  const crashes = reportCrashes(cluster, ctx.t0, events);
  const pass = expectViolation ? v.safety.length > 0 : v.safety.length === 0 && v.lost.length === 0 && crashes.length === 0;
  const outDir = opts.outDir ?? defaultOutDir();
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${opts.name}.json`);
  const durationMs = Date.now() - ctx.started;
  const fail = h.sections.filter((s) => s.outcome === 'fail').length;
  const summary =
    `faults ${opts.name}: ${pass ? 'PASS' : 'FAIL'}${expectViolation ? ` (a violation was expected: ${opts.brokenLocks ?? 'expect'})` : ''} workload=lock ` +
    `net=${cluster.net.kind} grants=${h.grants.length} nil=${h.nils} sections=${h.sections.length} (ok ${v.acknowledged}, fail ${fail}, unknown ${v.unknown}) ` +
    `lock-safety-violations=${v.safety.length} lost-increments=${v.lost.length} crashes=${crashes.length} in ${(durationMs / 1000).toFixed(1)}s -> ${path.relative(ROOT, file)}`;
  const result: ScenarioResult = {
    name: opts.name,
    readMode: 'linearizable',
    weakReads: false,
    ops: { total: h.sections.length, ok: v.acknowledged, fail, info: v.unknown },
    linearizable: 'not judged',
    explanation: v.safety.slice(0, 5).join('\n'),
    readYourWrites: [],
    lostWrites: v.lost,
    phantomWrites: [],
    lockSafety: v.safety,
    events,
    durationMs,
    checkMs: 0,
    pass,
    file,
    summary,
  };
  writeFileSync(file, JSON.stringify({ ...result, errors: h.errors, nodeWarnings: nodeWarnings(cluster), finalState: Object.fromEntries([...finals].map(([id, m]) => [id, Object.fromEntries(m)])), history: h }, null, 1));
  log(summary);
  if (!pass || expectViolation) for (const line of [...v.safety, ...v.lost, ...crashes].slice(0, pass ? 3 : 20)) log(`  ${line}`);
  if (!pass) log(`  events:\n    ${events.join('\n    ')}`);
  return result;
}

/** Node processes that died without being killed (a fault must never crash a node): logged as events, and a run with any fails. */
function reportCrashes(cluster: FaultCluster, t0: number, events: string[]): string[] {
  const lines = cluster.crashes.map((c) => `${((c.at - t0) / 1000).toFixed(1).padStart(6)}s CRASH: ${c.what}`);
  events.push(...lines);
  return lines;
}

export function networkNote(c: FaultCluster): string {
  return c.net.kind === 'netns'
    ? 'each node in its own network namespace, faults by nftables'
    : `peer links through userspace TCP proxies on 127.0.0.1 (network namespaces not used: ${c.fallbackReason})`;
}

/** Warnings and errors the nodes logged (pino levels >= 40), for the result file. */
function nodeWarnings(cluster: FaultCluster): Record<number, string[]> {
  const out: Record<number, string[]> = {};
  for (const n of cluster.nodes.values()) out[n.id] = n.logs.filter((l) => /"level":(4|5|6)0|^stderr:|^---/.test(l)).slice(-200);
  return out;
}

/** Waits until every node has applied the leader's commit index, then reads each key on each node (local reads). */
async function finalState(cluster: FaultCluster, keyList: string[]): Promise<FinalState> {
  const keys = [...new Set(keyList)].sort();
  const leader = await cluster.leader(cluster.ids(), 30000);
  // A write first, so the commit index covers everything earlier leaders left behind.
  await waitFor(async () => (await cluster.command(leader, ['SET', '__faults_barrier', String(Date.now())])) === 'OK', 10000, 'a barrier write');
  const commit = indexField(await cluster.raft(leader), 'commit');
  await waitFor(
    async () => {
      for (const id of cluster.ids()) if (indexField(await cluster.raft(id), 'applied') < commit) return false;
      return true;
    },
    30000,
    `every node to apply up to ${commit}`,
    100,
  );
  const finals: FinalState = new Map();
  for (const id of cluster.ids()) {
    const m = new Map<string, string | null>();
    // MGET is a read like GET: local mode on a node that has applied everything.
    const values = keys.length ? ((await cluster.command(id, ['MGET', ...keys], 10000)) as Array<string | null>) : [];
    keys.forEach((k, i) => m.set(k, values[i]));
    finals.set(id, m);
  }
  return finals;
}
