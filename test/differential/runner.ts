import { spawnSync } from 'node:child_process';
import { startServer, type RunningServer } from '../support/proc';
import { canonicalFamilies, FAMILIES, generate, isResp3, type Step } from './generator';
import { checkKey, runCommand, type Outcome, type Pair } from './normalize';
import { RespConn, show, showArgv } from './resp';
import { startReferenceRedis, type ReferenceRedis } from '../support/reference-redis';

/**
 * Runs generated sequences against a raftcache node and a redis-server side
 * by side (one raw RESP connection each, one command at a time) and reports
 * the first step whose replies differ, with a shrunk history and the command
 * line that reproduces it.
 */

export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

/**
 * The encoding thresholds, copied from raftcache to redis-server: OBJECT
 * ENCODING is compared exactly, so both must run with the same settings.
 * (They differ by default: redis-server without a config file has
 * hash-max-listpack-entries 512, its compiled-in value; raftcache defaults
 * to 128, the value of the redis.conf Redis ships.)
 */
const ENCODING_PARAMS = [
  'hash-max-listpack-entries',
  'hash-max-listpack-value',
  'zset-max-listpack-entries',
  'zset-max-listpack-value',
  'set-max-intset-entries',
  'list-max-listpack-size',
  'list-compress-depth',
];
async function encodingConfig(rcPort: number): Promise<string[]> {
  const c = await RespConn.connect(rcPort);
  const args: string[] = [];
  try {
    for (const name of ENCODING_PARAMS) {
      const r = await c.call(['CONFIG', 'GET', name]);
      const items = r.t === '*' || r.t === '%' ? r.items : [];
      const v = items[1];
      if (v && v.t === '$') args.push(`--${name}`, v.b.toString('latin1'));
    }
  } finally {
    c.close();
  }
  return args;
}

export interface Servers {
  rcPort: number;
  redisPort: number;
  stop(): Promise<void>;
}

/** redis-server with `extra` (support/reference-redis: ready when it says so, restarted on another port if its port was taken). */
function startRedis(extra: string[]): Promise<ReferenceRedis> {
  return startReferenceRedis(extra);
}

/**
 * A fresh raftcache node (startServer: its own port and data directory, its
 * default settings) and a fresh redis-server on a free loopback port with
 * raftcache's encoding thresholds (encodingConfig).
 *
 * `selfTest` puts a second redis-server where raftcache would be: Redis
 * against Redis must never differ, so any failure is a normalization that
 * is missing or wrong (this is how the families raftcache does not have yet
 * were checked).
 */
export async function startServers(opts: { selfTest?: boolean } = {}): Promise<Servers> {
  if (!hasRedisServer()) throw new Error('redis-server is not on PATH (the differential test needs redis-server 7.0)');
  if (opts.selfTest) {
    const a = await startRedis(['--hash-max-listpack-entries', '128']);
    const b = await startRedis(['--hash-max-listpack-entries', '128']).catch(async (e: Error) => {
      await a.stop();
      throw e;
    });
    return { rcPort: a.port, redisPort: b.port, stop: async () => void (await Promise.all([a.stop(), b.stop()])) };
  }
  let rc: RunningServer | undefined;
  try {
    rc = await startServer([], {});
    const redis = await startRedis(await encodingConfig(rc.port));
    const s = rc;
    return { rcPort: rc.port, redisPort: redis.port, stop: async () => void (await Promise.all([redis.stop(), s.stop()])) };
  } catch (e) {
    await rc?.stop();
    throw e;
  }
}

/**
 * The families raftcache supports: a family is on when its first command,
 * sent without arguments, does not answer "unknown command" (it answers a
 * wrong-arity error, so the probe changes nothing).
 */
export async function probeFamilies(rcPort: number): Promise<{ enabled: string[]; disabled: string[] }> {
  const c = await RespConn.connect(rcPort);
  const enabled: string[] = [];
  const disabled: string[] = [];
  try {
    for (const f of FAMILIES) {
      const r = await c.call([f.templates[0].cmd]);
      const unknown = r.t === '-' && r.s.startsWith('ERR unknown command');
      (f.defaultOn && !unknown ? enabled : disabled).push(f.name);
    }
  } finally {
    c.close();
  }
  return { enabled, disabled };
}

export interface Failure {
  seed: number;
  families: string[];
  resp3: boolean;
  withKnownBugs: boolean;
  /** 1-based number of the failing command in the sequence (a state check counts as the command before it). */
  commandNumber: number;
  step: Step;
  /** The command whose replies differ (for a state check: the read that differed). */
  argv: string[];
  outcome: Outcome;
  /** Every command before the failing step. */
  history: Step[];
  /** A shorter history that still fails the same step, when shrinking found one. */
  shrunk: Step[] | null;
}

export interface SeedResult {
  seed: number;
  commands: number;
  failure: Failure | null;
}

const CALL_TIMEOUT_MS = 10000;

function timeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no reply within ${CALL_TIMEOUT_MS} ms: ${what}`)), CALL_TIMEOUT_MS);
    }),
  ]);
}

async function openPair(s: Servers, resp3: boolean, withKnownBugs: boolean): Promise<Pair & { close(): void }> {
  const [rc, redis] = await Promise.all([RespConn.connect(s.rcPort), RespConn.connect(s.redisPort)]);
  // HELLO's reply describes the server (id, version, modules): switched on both, not compared.
  if (resp3) await Promise.all([rc.call(['HELLO', '3']), redis.call(['HELLO', '3'])]);
  await Promise.all([rc.call(['FLUSHALL']), redis.call(['FLUSHALL'])]);
  return { rc, redis, withKnownBugs, close: () => (rc.close(), redis.close()) };
}

/** Runs one step; a connection failure or a timeout is a mismatch too (the server crashed or hung). */
async function runStep(p: Pair, step: Step): Promise<Outcome & { argv: string[] }> {
  const what = step.kind === 'cmd' ? showArgv(step.argv) : `state check of ${showArgv([step.key])}`;
  try {
    if (step.kind === 'cmd') return { ...(await timeout(runCommand(p, step.argv), what)), argv: step.argv };
    const out = await timeout(checkKey(p, step.key), what);
    return { ...out, argv: out.command };
  } catch (e) {
    return { same: false, rc: `(exception) ${(e as Error).message}`, redis: '', note: 'connection failed or timed out', argv: step.kind === 'cmd' ? step.argv : [what] };
  }
}

/** Replays `history` on fresh state, then `last`; true when `last` still differs. */
async function reproduces(s: Servers, resp3: boolean, withKnownBugs: boolean, history: Step[], last: Step): Promise<boolean> {
  const p = await openPair(s, resp3, withKnownBugs);
  try {
    for (const st of history) if (st.kind === 'cmd') await timeout(runCommand(p, st.argv), showArgv(st.argv));
    return !(await runStep(p, last)).same;
  } catch {
    return false;
  } finally {
    p.close();
  }
}

/**
 * Greedy delta debugging over the history (state checks dropped first: they
 * only read): remove chunks, halving their size, keeping every removal after
 * which the failing step still fails. Bounded in replays and time.
 */
async function shrink(s: Servers, resp3: boolean, withKnownBugs: boolean, history: Step[], last: Step, budgetMs: number): Promise<Step[] | null> {
  const deadline = Date.now() + budgetMs;
  let cur = history.filter((x) => x.kind === 'cmd');
  if (!(await reproduces(s, resp3, withKnownBugs, cur, last))) return null;
  for (let chunk = Math.ceil(cur.length / 2); chunk >= 1; chunk = chunk === 1 ? 0 : Math.ceil(chunk / 2)) {
    for (let i = 0; i < cur.length && Date.now() < deadline; ) {
      const cand = [...cur.slice(0, i), ...cur.slice(i + chunk)];
      if (await reproduces(s, resp3, withKnownBugs, cand, last)) cur = cand;
      else i += chunk;
    }
    if (Date.now() >= deadline) break;
  }
  return cur;
}

export interface RunOptions {
  /** Try to shrink a failing history (default true). */
  shrink?: boolean;
  /** Time allowed for shrinking, ms (default 20 s). */
  shrinkMs?: number;
  /** Force RESP2 or RESP3 instead of the seed's choice (isResp3). */
  resp?: 2 | 3;
  /** Include the templates marked knownBug (generator.ts) and turn off KNOWN_BUG_MASKS (normalize.ts). */
  withKnownBugs?: boolean;
}

export async function runSeed(s: Servers, seed: number, familyNames: readonly string[], count: number, opts: RunOptions = {}): Promise<SeedResult> {
  const families = canonicalFamilies(familyNames);
  const resp3 = opts.resp ? opts.resp === 3 : isResp3(seed);
  const steps = generate(seed, families, count, opts.withKnownBugs);
  const withKnownBugs = opts.withKnownBugs === true;
  const p = await openPair(s, resp3, withKnownBugs);
  let commandNumber = 0;
  try {
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i];
      if (step.kind === 'cmd') commandNumber++;
      const out = await runStep(p, step);
      if (out.same) continue;
      const history = steps.slice(0, i);
      p.close();
      const shrunk = opts.shrink === false ? null : await shrink(s, resp3, withKnownBugs, history, step, opts.shrinkMs ?? 20000);
      const { argv, ...outcome } = out;
      return { seed, commands: commandNumber, failure: { seed, families, resp3, withKnownBugs: opts.withKnownBugs === true, commandNumber, step, argv, outcome, history, shrunk } };
    }
  } finally {
    p.close();
  }
  return { seed, commands: commandNumber, failure: null };
}

/** The command line that reruns exactly this sequence up to the failing step. */
export function reproCommand(f: Failure): string {
  return `node dist/test/differential/cli.js --seed ${f.seed} --families ${f.families.join(',')} --count ${f.commandNumber}${f.resp3 === isResp3(f.seed) ? '' : ` --resp ${f.resp3 ? 3 : 2}`}${f.withKnownBugs ? ' --with-known-bugs' : ''}`;
}

const stepText = (st: Step): string => (st.kind === 'cmd' ? showArgv(st.argv) : `(state check of ${showArgv([st.key])})`);

export function formatFailure(f: Failure): string {
  const lines: string[] = [];
  lines.push(`DIFFERENTIAL MISMATCH: seed ${f.seed}, command #${f.commandNumber}${f.step.kind === 'check' ? ' (state check after it)' : ''}, ${f.resp3 ? 'RESP3' : 'RESP2'}, families ${f.families.join(',')}`);
  lines.push(`  step:      ${stepText(f.step)}`);
  if (f.step.kind === 'check') lines.push(`  read:      ${showArgv(f.argv)}`);
  lines.push(`  raftcache: ${f.outcome.rc}`);
  lines.push(`  redis:     ${f.outcome.redis}`);
  if (f.outcome.note) lines.push(`  note:      ${f.outcome.note}`);
  const shown = f.shrunk ?? f.history;
  const label = f.shrunk ? `history shrunk from ${f.history.filter((x) => x.kind === 'cmd').length} to ${f.shrunk.length} commands (paste into redis-cli${f.resp3 ? ' -3' : ''}):` : 'history (not shrunk):';
  lines.push(`  ${label}`);
  const tail = shown.length > 60 ? shown.slice(-60) : shown;
  if (tail.length < shown.length) lines.push(`    ... ${shown.length - tail.length} earlier steps`);
  for (const st of tail) lines.push(`    ${stepText(st)}`);
  lines.push(`    ${stepText(f.step)}    <-- differs`);
  lines.push(`  reproduce: ${reproCommand(f)}`);
  return lines.join('\n');
}

export { show };
