/**
 * `npm start`: a local cluster of `raftcache-server` child processes on one
 * machine, for trying raftcache out. Not used in production: there every node
 * is started on its own (see docs/cluster.md).
 *
 *   npm start                              nodes on 6379, 6380, 6381 (peers on +10000)
 *   npm start -- --port 7000               nodes on 7000, 7001, 7002
 *   npm start -- --sync batch              any server option is passed to every node
 *   npm start -- --port 7000 -- --sync batch   or everything after a second `--`
 *
 * Data lives under ./data (node1, node2, ... and cluster.secret); a second run
 * reuses it. Secrets reach the nodes in mode 0600 files (cluster.secret,
 * nodes.conf), never on their command lines, which every local user can read.
 * Each node holds a pipe from the launcher as stdin and shuts down when it
 * closes, so nodes never outlive the launcher, however it dies. Each node's
 * JSON log goes to ./data/nodeN.log; the terminal shows a short version of
 * each line prefixed by the node id.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import { chmodSync, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import Redis from 'ioredis';
import { findOption } from './config';
import { SERVER_NODE_OPTIONS } from './node-flags';

export interface LauncherOptions {
  /** Client port of node 1; node N listens on basePort + N - 1, its peer port is that + 10000. */
  basePort: number;
  dataDir: string;
  nodes: number;
  /** Server options given to every node. */
  passThrough: string[];
  /** How long stopping waits for a node after SIGTERM before SIGKILL. */
  stopTimeoutMs: number;
}

export class LauncherError extends Error {}

/** Options the launcher sets per node; a user cannot pass them through. */
const PER_NODE_OPTIONS = new Set(['port', 'peer-port', 'node-id', 'dir', 'members', 'cluster-secret', 'cluster-secret-file', 'join', 'exit-on-stdin-close']);
/** Server options whose values are secrets: given to nodes in a mode 0600 file, never on their command line. */
const SECRET_OPTIONS = new Set(['requirepass']);
export const PEER_PORT_OFFSET = 10000;

export const LAUNCHER_HELP = `Usage: npm start -- [--port N] [--data DIR] [--nodes N] [server options] [-- server options]

Starts a local raftcache cluster (default 3 nodes) as child processes.
  --port N             client port of node 1 (default 6379); node i uses N+i-1, peer port N+i-1+${PEER_PORT_OFFSET}
  --data DIR           data directory (default ./data): nodeN/ data, nodeN.log logs, cluster.secret
  --nodes N            number of nodes, 1 to 9 (default 3)
  --stop-timeout-ms N  wait this long for nodes to stop before killing them (default 10000)
Any other raftcache-server option (e.g. --sync batch, --read-mode lease) is passed to every node,
as is everything after a second \`--\`. Secrets (the cluster secret, --requirepass) reach the nodes through
mode 0600 files under the data directory, never their command lines. Ctrl-C (or closing the terminal) stops
every node; if the launcher is killed, its nodes stop by themselves.`;

function intArg(name: string, raw: string | undefined, min: number, max: number): number {
  if (raw === undefined || !/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new LauncherError(`--${name} needs an integer between ${min} and ${max} (got '${raw ?? ''}')`);
  }
  return Number(raw);
}

export function parseLauncherArgs(argv: string[]): LauncherOptions | 'help' {
  const o: LauncherOptions = { basePort: 6379, dataDir: './data', nodes: 3, passThrough: [], stopTimeoutMs: 10000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      o.passThrough.push(...argv.slice(i + 1));
      break;
    }
    if (a === '--help' || a === '-h') return 'help';
    if (!a.startsWith('--')) throw new LauncherError(`unexpected argument '${a}' (see --help)`);
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    switch (name) {
      case 'port':
        o.basePort = intArg(name, value, 1, 65535);
        break;
      case 'data':
        if (!value) throw new LauncherError('--data needs a directory');
        o.dataDir = value;
        break;
      case 'nodes':
        o.nodes = intArg(name, value, 1, 9);
        break;
      case 'stop-timeout-ms':
        o.stopTimeoutMs = intArg(name, value, 0, 600000);
        break;
      default:
        if (PER_NODE_OPTIONS.has(name)) throw new LauncherError(`--${name} is set by the launcher for each node; start nodes by hand to choose it (docs/cluster.md)`);
        if (!findOption(name)) throw new LauncherError(`unknown option --${name} (see --help and raftcache-server --help)`);
        if (value === undefined) throw new LauncherError(`option --${name} needs a value`);
        o.passThrough.push(`--${name}`, value);
    }
  }
  if (o.basePort + o.nodes - 1 + PEER_PORT_OFFSET > 65535) throw new LauncherError(`--port ${o.basePort} is too high: peer ports would pass 65535`);
  return o;
}

export interface NodePlan {
  id: number;
  port: number;
  peerPort: number;
  dir: string;
  logFile: string;
}

export function planNodes(o: LauncherOptions): NodePlan[] {
  const plans: NodePlan[] = [];
  for (let id = 1; id <= o.nodes; id++) {
    const port = o.basePort + id - 1;
    plans.push({ id, port, peerPort: port + PEER_PORT_OFFSET, dir: path.join(o.dataDir, `node${id}`), logFile: path.join(o.dataDir, `node${id}.log`) });
  }
  return plans;
}

export function membersList(plans: NodePlan[], host = '127.0.0.1'): string {
  return plans.map((p) => `${p.id}@${host}:${p.port}:${p.peerPort}`).join(',');
}

/** The cluster secret: generated once (random, mode 0600), then reused so restarted nodes still trust each other. */
export function loadOrCreateSecret(dataDir: string): { secret: string; created: boolean } {
  const file = path.join(dataDir, 'cluster.secret');
  mkdirSync(dataDir, { recursive: true });
  if (!existsSync(file)) {
    try {
      writeFileSync(file, crypto.randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
      chmodSync(file, 0o600); // the umask may have narrowed, never widened, but be explicit
      return { secret: readFileSync(file, 'utf8').trim(), created: true };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  const secret = readFileSync(file, 'utf8').trim();
  if (secret === '') throw new LauncherError(`${file} is empty; delete it to generate a new secret (only if no node's data is kept)`);
  chmodSync(file, 0o600);
  return { secret, created: false };
}

/** Moves secret options (`--requirepass pw`, `--requirepass=pw`) out of the server arguments. */
export function splitSecretOptions(args: string[]): { args: string[]; secrets: Map<string, string> } {
  const out: string[] = [];
  const secrets = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.indexOf('=');
    const name = a.startsWith('--') ? (eq > 0 ? a.slice(2, eq) : a.slice(2)) : '';
    if (!SECRET_OPTIONS.has(name)) {
      out.push(a);
      continue;
    }
    const value = eq > 0 ? a.slice(eq + 1) : args[++i];
    if (value === undefined) throw new LauncherError(`option --${name} needs a value`);
    if (/[\r\n]/.test(value)) throw new LauncherError(`--${name} must not contain a line break`);
    secrets.set(name, value);
  }
  return { args: out, secrets };
}

/**
 * Writes the nodes' config file (mode 0600, rewritten on every start): the
 * cluster secret file and any secret option, so no secret is on a node's
 * command line, where every user of the machine can read it (`ps`).
 */
export function writeNodeConfig(dataDir: string, secrets: Map<string, string>): string {
  const file = path.join(dataDir, 'nodes.conf');
  const quote = (v: string) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  const lines = ['# Written by npm start on every start; read by its nodes. Holds secrets: keep it mode 0600.'];
  lines.push(`cluster-secret-file ${quote(path.resolve(dataDir, 'cluster.secret'))}`);
  for (const [k, v] of secrets) lines.push(`${k} ${quote(v)}`);
  rmSync(file, { force: true }); // a fresh file gets mode 0600 whatever the old one had
  writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600, flag: 'wx' });
  return file;
}

export interface StaleNode {
  id: number;
  pid: number;
  dir: string;
}

/** Nodes of an earlier run still alive on these data directories (their pid files name a live process). */
export function findStaleNodes(plans: NodePlan[]): StaleNode[] {
  const stale: StaleNode[] = [];
  for (const p of plans) {
    let pid: number;
    try {
      pid = Number(readFileSync(path.join(p.dir, 'raftcache.pid'), 'utf8'));
    } catch {
      continue;
    }
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) continue;
    if (processAlive(pid) && isRaftcacheServer(pid)) stale.push({ id: p.id, pid, dir: p.dir });
  }
  return stale;
}

/** Whether pid runs raftcache-server (a stale pid file may name a recycled pid); true when /proc cannot tell. */
function isRaftcacheServer(pid: number): boolean {
  let args: string[];
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return true;
  }
  return args.some((a) => /(?:server[\\/]main\.[jt]s|raftcache-server(?:\.js)?)$/.test(a));
}

/** A process that exists and is not a zombie. */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return true;
  }
}

/** Resolves with the first port of `ports` that cannot be bound, or undefined if all are free. */
export async function findTakenPort(ports: number[], host = '127.0.0.1'): Promise<number | undefined> {
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, host, () => s.close(() => resolve(true)));
    });
    if (!free) return port;
  }
  return undefined;
}

/** Parses INFO output into field → value (section headers and blank lines dropped). */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/**
 * The first field present among `names`: docs/cluster.md lists what INFO raft
 * reports but not the field names, so readers accept the plain name and the
 * RedisRaft-style `raft_` prefixed one.
 */
export function infoField(info: Record<string, string>, ...names: string[]): string | undefined {
  for (const n of names) {
    if (info[n] !== undefined) return info[n];
    if (info[`raft_${n}`] !== undefined) return info[`raft_${n}`];
  }
  return undefined;
}

export interface RaftView {
  role?: string;
  leaderId?: number;
  term?: number;
}

export function raftView(info: Record<string, string>): RaftView {
  const leader = Number(infoField(info, 'leader_id', 'leader'));
  const term = Number(infoField(info, 'term', 'current_term'));
  return {
    role: infoField(info, 'role', 'state')?.toLowerCase(),
    leaderId: Number.isInteger(leader) && leader > 0 ? leader : undefined,
    term: Number.isFinite(term) ? term : undefined,
  };
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const OMIT = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'port', 'nodeId', 'node']);

/** A pino JSON line made short for a terminal: `INFO  message key=value ...`. Other text passes unchanged. */
export function formatLogLine(line: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (rec === null || typeof rec !== 'object') return line;
  const level = LEVELS[Number(rec.level)] ?? String(rec.level ?? '');
  const extras: string[] = [];
  for (const [k, v] of Object.entries(rec)) {
    if (OMIT.has(k)) continue;
    if (k === 'err' && v && typeof v === 'object' && 'message' in v) extras.push(`err=${JSON.stringify((v as { message: unknown }).message)}`);
    else extras.push(`${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  return `${level.padEnd(5)} ${String(rec.msg ?? '')}${extras.length ? ' ' + extras.join(' ') : ''}`;
}

function serverEntry(): string[] {
  // Compiled: dist/server/main.js next to this file. From source (tsx): main.ts through tsx.
  if (__filename.endsWith('.ts')) return [...SERVER_NODE_OPTIONS, '--require', require.resolve('tsx/cjs'), path.join(__dirname, 'main.ts')];
  return [...SERVER_NODE_OPTIONS, path.join(__dirname, 'main.js')];
}

interface RunningNode {
  plan: NodePlan;
  proc: ChildProcess;
  log: WriteStream;
  ready: boolean;
  exited: Promise<void>;
  stderrTail: string[];
}

const COLORS = [36, 33, 35, 32, 34, 31, 96, 93, 95];

/** Runs the cluster until SIGINT/SIGTERM; resolves with the process exit code. */
export async function runLauncher(o: LauncherOptions, out: NodeJS.WriteStream = process.stdout): Promise<number> {
  const say = (s: string) => out.write(`raftcache: ${s}\n`);
  const plans = planNodes(o);
  const stale = findStaleNodes(plans);
  if (stale.length > 0) {
    const list = stale.map((n) => `  node ${n.id}: pid ${n.pid} (data ${n.dir})`).join('\n');
    process.stderr.write(
      `raftcache: ${stale.length} node(s) of an earlier run on ${o.dataDir} are still running:\n${list}\n` +
        `Stop them with: kill ${stale.map((n) => n.pid).join(' ')}   (they shut down cleanly), then start again.\n`,
    );
    return 1;
  }
  const taken = await findTakenPort(plans.flatMap((p) => [p.port, p.peerPort]));
  if (taken !== undefined) {
    process.stderr.write(
      `raftcache: port ${taken} is already in use (another raftcache or redis-server? \`ss -ltnp 'sport = :${taken}'\` shows which process). ` +
        `Stop it, or use other ports: npm start -- --port ${o.basePort === 7000 ? 7100 : 7000}\n`,
    );
    return 1;
  }
  const { created } = loadOrCreateSecret(o.dataDir);
  const { args: serverArgs, secrets } = splitSecretOptions(o.passThrough);
  const nodeConfig = writeNodeConfig(o.dataDir, secrets);
  const members = membersList(plans);
  const reused = plans.filter((p) => existsSync(p.dir)).length;
  say(
    `${created ? 'generated a cluster secret in' : 'using the cluster secret in'} ${path.join(o.dataDir, 'cluster.secret')}; ` +
      (reused ? `reusing data of ${reused} node(s) under ${o.dataDir}` : `new data under ${o.dataDir}`),
  );

  const color = out.isTTY ? (id: number, s: string) => `\x1b[${COLORS[(id - 1) % COLORS.length]}m${s}\x1b[0m` : (_id: number, s: string) => s;
  const nodes: RunningNode[] = plans.map((plan) => {
    mkdirSync(plan.dir, { recursive: true });
    const args = [
      ...serverEntry(),
      nodeConfig,
      '--node-id', String(plan.id),
      '--port', String(plan.port),
      '--peer-port', String(plan.peerPort),
      '--members', members,
      '--dir', plan.dir,
      '--exit-on-stdin-close', 'yes',
      ...serverArgs,
    ];
    // detached: own process group, so a terminal's Ctrl-C reaches only the launcher, which stops nodes once, in order.
    // stdin: a pipe the launcher never writes; it closes when the launcher dies however it dies
    // (even SIGKILL), and the node then shuts down (--exit-on-stdin-close).
    const proc = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const log = createWriteStream(plan.logFile, { flags: 'a' });
    const node: RunningNode = { plan, proc, log, ready: false, exited: new Promise((r) => proc.once('exit', () => r())), stderrTail: [] };
    const prefix = color(plan.id, `node${plan.id} |`);
    const onLine = (line: string, isStderr: boolean) => {
      log.write(line + '\n');
      if (isStderr) node.stderrTail = [...node.stderrTail.slice(-19), line];
      if (!node.ready && line.includes('"ready to accept connections"')) node.ready = true;
      out.write(`${prefix} ${formatLogLine(line)}\n`);
    };
    readline.createInterface({ input: proc.stdout! }).on('line', (l) => onLine(l, false));
    readline.createInterface({ input: proc.stderr! }).on('line', (l) => onLine(l, true));
    return node;
  });

  let stopping = false;
  let forced = false;
  const stopAll = async (): Promise<boolean> => {
    let clean = true;
    for (const n of nodes) if (n.proc.exitCode === null && n.proc.signalCode === null) n.proc.kill('SIGTERM');
    await Promise.all(
      nodes.map(async (n) => {
        if (n.proc.exitCode !== null || n.proc.signalCode !== null) return;
        const timer = setTimeout(() => {
          clean = false;
          say(`node ${n.plan.id} did not stop within ${o.stopTimeoutMs} ms; killing it`);
          n.proc.kill('SIGKILL');
        }, o.stopTimeoutMs);
        await n.exited;
        clearTimeout(timer);
      }),
    );
    await Promise.all(nodes.map((n) => new Promise<void>((r) => n.log.end(() => r()))));
    return clean && !forced;
  };
  // If the launcher itself dies, do not leave nodes behind.
  const killOnExit = () => {
    for (const n of nodes) if (n.proc.exitCode === null && n.proc.signalCode === null) n.proc.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  const result = await new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        forced = true;
        say(`${signal} again: killing every node now`);
        for (const n of nodes) n.proc.kill('SIGKILL');
        return;
      }
      stopping = true;
      say(`${signal}: stopping ${nodes.length} nodes...`);
      void stopAll().then((clean) => {
        say(clean ? 'all nodes stopped' : 'all nodes stopped (some were killed)');
        resolve(clean ? 0 : 1);
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal); // the terminal closed

    for (const n of nodes) {
      n.proc.once('exit', (code, signal) => {
        if (stopping) return;
        const why = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        if (!n.ready) {
          stopping = true;
          process.stderr.write(`raftcache: node ${n.plan.id} ${why} before it was ready; see ${n.plan.logFile}\n`);
          for (const l of n.stderrTail) process.stderr.write(`  ${l}\n`);
          void stopAll().then(() => resolve(1));
        } else {
          say(`node ${n.plan.id} ${why}; the others keep running (see ${n.plan.logFile}). Ctrl-C stops them.`);
        }
      });
    }

    void announce(o, nodes, say, () => stopping, secrets.get('requirepass'));
  });
  process.off('exit', killOnExit);
  return result;
}

/** Waits for every node to listen, prints how to connect, then reports the leader whenever it changes. */
async function announce(
  o: LauncherOptions,
  nodes: RunningNode[],
  say: (s: string) => void,
  stopping: () => boolean,
  password: string | undefined,
): Promise<void> {
  while (!nodes.every((n) => n.ready)) {
    if (stopping()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  const lines = nodes.map((n) => `  node ${n.plan.id}: redis-cli -p ${n.plan.port}   (peer port ${n.plan.peerPort}, data ${n.plan.dir}, log ${n.plan.logFile})`);
  say(`cluster ready: ${nodes.length} nodes\n${lines.join('\n')}\nConnect with: redis-cli -p ${o.basePort}  (any node takes reads and writes; INFO raft shows the cluster)\nCtrl-C stops every node.`);

  const clients = nodes.map(
    (n) =>
      new Redis({
        host: '127.0.0.1',
        port: n.plan.port,
        password,
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => 500,
        connectTimeout: 1000,
      }),
  );
  for (const c of clients) c.on('error', () => undefined); // a stopped node is reported by its exit, not here
  let lastLeader: number | undefined;
  let noRaftNoted = false;
  try {
    while (!stopping()) {
      const views = await Promise.all(
        clients.map(async (c) => {
          try {
            if (c.status === 'wait') await c.connect();
            return raftView(parseInfo(await c.info('raft')));
          } catch {
            return undefined;
          }
        }),
      );
      const reported = views.filter((v): v is RaftView => v !== undefined);
      if (reported.length > 0 && reported.every((v) => v.role === undefined && v.leaderId === undefined)) {
        if (!noRaftNoted) say('note: these nodes report no INFO raft section; they run unreplicated');
        noRaftNoted = true;
      }
      const leaderIdx = views.findIndex((v) => v?.role === 'leader');
      const leader = leaderIdx >= 0 ? nodes[leaderIdx].plan.id : undefined;
      if (leader !== lastLeader && !stopping()) {
        if (leader !== undefined) {
          const term = views[leaderIdx]?.term;
          say(`leader: node ${leader} (redis-cli -p ${nodes[leaderIdx].plan.port})${term !== undefined ? `, term ${term}` : ''}`);
        } else if (lastLeader !== undefined) say('no leader at the moment (election in progress?)');
        lastLeader = leader;
      }
      await new Promise((r) => setTimeout(r, lastLeader === undefined ? 250 : 1000));
    }
  } finally {
    for (const c of clients) c.disconnect();
  }
}

if (require.main === module) {
  let opts: LauncherOptions | 'help';
  try {
    opts = parseLauncherArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof LauncherError)) throw e;
    process.stderr.write(`raftcache: ${e.message}\n`);
    process.exit(2);
  }
  if (opts === 'help') {
    process.stdout.write(LAUNCHER_HELP + '\n');
  } else {
    runLauncher(opts).then(
      (code) => process.exit(code),
      (err: unknown) => {
        process.stderr.write(`raftcache: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
  }
}
