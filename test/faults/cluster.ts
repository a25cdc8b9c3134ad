/**
 * A cluster of real raftcache-server processes with a faultable network,
 * built one of two ways:
 *   - netns (root): each node in its own network namespace on a private
 *     bridge, faults as nftables rules (netns.ts); clients reach nodes through
 *     Unix-socket forwarders;
 *   - proxy (anyone): peer links through userspace TCP proxies on 127.0.0.1,
 *     one per direction of each link (proxy.ts). Each node gets its own
 *     --members list in which every other node's peer port is the proxy port
 *     for that direction (its own entry keeps its real peer port).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import readline from 'node:readline';
import Redis from 'ioredis';
import { freePorts, parseInfo, raftView, waitFor } from '../cluster/harness';
import { SERVER_NODE_OPTIONS } from '../../server/node-flags';
import { nodeEntry } from '../support/proc';
import { NetnsNet, netnsAvailable } from './netns';
import { ProxyNet, type FaultNet } from './proxy';

/** How a client reaches a node: TCP on loopback, or a Unix socket into its namespace. */
export type Endpoint = { host: string; port: number } | { path: string };

export interface FaultNode {
  id: number;
  endpoint: Endpoint;
  /** Client port (inside the node's namespace with netns). */
  port: number;
  peerPort: number;
  dir: string;
  members: string;
  /** Command prefix (ip netns exec ...) and extra server arguments. */
  prefix: string[];
  args: string[];
  proc: ChildProcess | undefined;
  paused: boolean;
  logs: string[];
  /** With faketime: this node's clock offset (s, only ever moved forward) and rate, read by libfaketime from `file`. */
  clock: { offsetS: number; rate: number; file: string } | undefined;
  /** The data dir is a small tmpfs of its own (disk faults, see nemesis.ts); undefined when not asked for or the mount failed. */
  tmpfs: { sizeMb: number } | undefined;
}

export interface FaultClusterOptions {
  nodes?: number;
  /** Extra server arguments for every node. */
  args?: string[];
  /**
   * Run every node under libfaketime (LD_PRELOAD) so clocks can be skewed:
   * `rates` gives a node's clock rate from its start (e.g. 0.9 = 10% slow;
   * Node's timers, hence Raft ticks, follow it); offsets move at run time.
   */
  faketime?: { rates?: Record<number, number> };
  /** Network backend; `auto` (default) = netns when available, else proxy. */
  network?: 'auto' | 'netns' | 'proxy';
  /** Extra environment for every node (e.g. RAFTCACHE_FAILPOINT). */
  env?: Record<string, string>;
  /**
   * Put these nodes' data dirs on a tmpfs of `sizeMb` each (root only; the
   * disk-full nemesis fills it). Without root the mount is skipped and
   * `tmpfsError` says why.
   */
  tmpfs?: { nodes: number[]; sizeMb: number };
}

let clusterCount = 0;

export const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

const READY = 'ready to accept connections';
/** Processes and data dirs of every cluster of this process: removed on exit whatever happens (also after SIGINT, see cli.ts). */
const live = new Set<ChildProcess>();
const roots = new Set<string>();
/** tmpfs mounts of every cluster of this process: unmounted before their root is removed. */
const mounts = new Set<string>();
process.on('exit', () => {
  for (const p of live) {
    p.kill('SIGCONT');
    p.kill('SIGKILL');
  }
  for (const m of mounts) unmount(m);
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** Lazy unmount (a killed node may still be exiting); never throws. */
function unmount(dir: string): void {
  try {
    execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
  } catch {
    // not mounted (any more)
  }
  mounts.delete(dir);
}

export class FaultCluster {
  readonly nodes = new Map<number, FaultNode>();
  private readonly root = mkdtempSync(path.join(os.tmpdir(), 'raftcache-faults-'));
  private readonly secret = crypto.randomBytes(16).toString('hex');

  /** Why the proxy backend is used, if it is ('' with netns). */
  fallbackReason = '';
  /** Why tmpfs data dirs were asked for but not mounted ('' otherwise). */
  tmpfsError = '';
  /** Node exits nobody asked for (a crash, an abort), in order; `at` is performance.now(). */
  readonly crashes: Array<{ at: number; what: string }> = [];
  /** Processes being stopped on purpose (kill, stopAll): their exit is not a crash. */
  private readonly killing = new WeakSet<ChildProcess>();

  private constructor(
    readonly net: FaultNet,
    private readonly opts: FaultClusterOptions,
  ) {
    roots.add(this.root);
  }

  static async start(opts: FaultClusterOptions = {}): Promise<FaultCluster> {
    const n = opts.nodes ?? 3;
    if (opts.faketime && !existsSync(LIBFAKETIME)) throw new Error(`clock faults need libfaketime (${LIBFAKETIME}); apt-get install libfaketime`);
    const ids = Array.from({ length: n }, (_, i) => i + 1);
    let why = '';
    if (opts.network !== 'proxy') {
      const avail = netnsAvailable();
      if (!avail.ok && opts.network === 'netns') throw new Error(`network namespaces unavailable: ${avail.why}`);
      why = avail.ok ? '' : avail.why;
    } else why = 'asked for';
    const c = why === '' ? FaultCluster.withNetns(opts, ids) : await FaultCluster.withProxies(opts, ids);
    c.fallbackReason = why;
    try {
      if (opts.tmpfs) c.mountTmpfs(opts.tmpfs.nodes, opts.tmpfs.sizeMb);
      if (c.net instanceof NetnsNet) for (const id of ids) await c.net.forward(id, (c.node(id).endpoint as { path: string }).path, c.node(id).port);
      await Promise.all(ids.map((id) => c.spawnNode(id)));
    } catch (e) {
      await c.stopAll();
      throw e;
    }
    return c;
  }

  private static withNetns(opts: FaultClusterOptions, ids: number[]): FaultCluster {
    const net = NetnsNet.create(ids, clusterCount++);
    const c = new FaultCluster(net, opts);
    // Same ports on every node: each has its own namespace.
    const members = ids.map((j) => `${j}@${net.addressOf(j)}:6379:16379`).join(',');
    for (const id of ids) {
      c.define(id, { path: path.join(c.root, `n${id}.sock`) }, 6379, 16379, members, [...net.exec(id)], ['--peer-bind', net.addressOf(id)]);
    }
    return c;
  }

  private static async withProxies(opts: FaultClusterOptions, ids: number[]): Promise<FaultCluster> {
    const ports = await freePorts(2 * ids.length);
    const peerPorts = new Map<number, number>();
    for (const id of ids) peerPorts.set(id, ports[2 * (id - 1) + 1]);
    const net = await ProxyNet.create(peerPorts);
    const c = new FaultCluster(net, opts);
    for (const id of ids) {
      const members = ids.map((j) => `${j}@127.0.0.1:${ports[2 * (j - 1)]}:${j === id ? peerPorts.get(j)! : net.portFor(id, j)}`).join(',');
      const port = ports[2 * (id - 1)];
      c.define(id, { host: '127.0.0.1', port }, port, peerPorts.get(id)!, members, [], []);
    }
    return c;
  }

  private define(id: number, endpoint: Endpoint, port: number, peerPort: number, members: string, prefix: string[], args: string[]): void {
    const clock = this.opts.faketime ? { offsetS: 0, rate: this.opts.faketime.rates?.[id] ?? 1, file: path.join(this.root, `node${id}.faketime`) } : undefined;
    this.nodes.set(id, { id, endpoint, port, peerPort, dir: path.join(this.root, `node${id}`), members, prefix, args, proc: undefined, paused: false, logs: [], clock, tmpfs: undefined });
  }

  /**
   * A plain tmpfs mount on each node's data dir, made before the node starts
   * (it inherits the mount, also inside `ip netns exec`'s mount namespace:
   * the filesystem is the same, so filling it from here fills it there).
   */
  private mountTmpfs(ids: number[], sizeMb: number): void {
    for (const id of ids) {
      const node = this.node(id);
      mkdirSync(node.dir, { recursive: true });
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', node.dir], { stdio: ['ignore', 'ignore', 'pipe'] });
      } catch (e) {
        this.tmpfsError = `mount -t tmpfs failed (${((e as { stderr?: Buffer }).stderr?.toString() || (e as Error).message).trim()}); needs root`;
        return;
      }
      mounts.add(node.dir);
      node.tmpfs = { sizeMb };
    }
  }

  node(id: number): FaultNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  ids(): number[] {
    return [...this.nodes.keys()];
  }

  /** Nodes whose process runs and is not paused. */
  up(): number[] {
    return [...this.nodes.values()].filter((n) => n.proc && !n.paused).map((n) => n.id);
  }

  private async spawnNode(id: number): Promise<void> {
    const node = this.node(id);
    const args = [
      ...SERVER_NODE_OPTIONS,
      ...nodeEntry('server/main.ts'),
      '--node-id', String(id),
      '--port', String(node.port),
      '--peer-port', String(node.peerPort),
      '--members', node.members,
      '--cluster-secret', this.secret,
      '--dir', node.dir,
      '--loglevel', 'info',
      ...node.args,
      ...(this.opts.args ?? []),
    ];
    let env: NodeJS.ProcessEnv = { ...process.env, ...(this.opts.env ?? {}) };
    if (node.clock) {
      this.writeClock(node);
      // The file is re-read at most once a second: cheap, and offsets apply within a second.
      env = { ...env, LD_PRELOAD: LIBFAKETIME, FAKETIME_TIMESTAMP_FILE: node.clock.file, FAKETIME_CACHE_DURATION: '1' };
    }
    const [cmd, ...pre] = [...node.prefix, process.execPath];
    // `ip netns exec` execs the command, so the pid (for SIGSTOP/SIGKILL) is the server's.
    const proc = spawn(cmd, [...pre, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    live.add(proc);
    node.proc = proc;
    node.paused = false;
    proc.once('exit', (code, signal) => {
      live.delete(proc);
      const how = signal ?? `code ${code}`;
      node.logs.push(`--- node ${id} (pid ${proc.pid}) exited (${how})`);
      if (!this.killing.has(proc)) this.crashes.push({ at: performance.now(), what: `node ${id} (pid ${proc.pid}) exited on its own (${how})` });
      if (node.proc === proc) node.proc = undefined;
    });
    node.logs.push(`--- started node ${id} (pid ${proc.pid})`);
    readline.createInterface({ input: proc.stderr! }).on('line', (l) => node.logs.push(`stderr: ${l}`));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node ${id} not ready within 20 s:\n${node.logs.slice(-20).join('\n')}`)), 20000);
      readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
        // Every warning; info lines only up to a bound (a long soak logs a lot).
        if (node.logs.length < 5000 || /"level":(4|5|6)0/.test(line)) node.logs.push(line);
        if (line.includes(READY)) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`node ${id} exited (${signal ?? code}) before it was ready:\n${node.logs.slice(-20).join('\n')}`));
      });
    });
  }

  async kill(id: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const node = this.node(id);
    const proc = node.proc;
    if (!proc) return;
    this.killing.add(proc);
    const exited = new Promise((r) => proc.once('exit', r));
    if (node.paused) proc.kill('SIGCONT');
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
    await exited;
    clearTimeout(timer);
    node.paused = false;
  }

  async restart(id: number): Promise<void> {
    if (this.node(id).proc) await this.kill(id, 'SIGTERM');
    await this.spawnNode(id);
  }

  private writeClock(node: FaultNode): void {
    const c = node.clock!;
    writeFileSync(c.file, `+${c.offsetS}${c.rate !== 1 ? ` x${c.rate}` : ''}\n`);
  }

  /**
   * Moves a node's clock forward by `seconds` (whole seconds; wall and
   * monotonic clocks both jump). Only forward: a monotonic clock that went
   * back would stall Node's timers, which is a pause, not a skew.
   */
  jumpClock(id: number, seconds: number): void {
    const node = this.node(id);
    if (!node.clock) throw new Error('the cluster was not started with faketime');
    if (!(seconds > 0) || !Number.isInteger(seconds)) throw new Error('jumpClock: whole seconds > 0');
    node.clock.offsetS += seconds;
    this.writeClock(node);
  }

  pause(id: number): void {
    const node = this.node(id);
    if (node.proc && !node.paused) {
      node.proc.kill('SIGSTOP');
      node.paused = true;
    }
  }

  resume(id: number): void {
    const node = this.node(id);
    if (node.proc && node.paused) {
      node.proc.kill('SIGCONT');
      node.paused = false;
    }
  }

  /** One command over a short-lived connection. */
  async command(id: number, args: string[], timeoutMs = 3000): Promise<unknown> {
    const c = new Redis({ ...this.node(id).endpoint, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: timeoutMs, connectTimeout: timeoutMs });
    c.on('error', () => undefined);
    try {
      await c.connect();
      return await c.call(args[0], ...args.slice(1));
    } finally {
      c.disconnect();
    }
  }

  async raft(id: number): Promise<Record<string, string>> {
    return parseInfo(String(await this.command(id, ['INFO', 'raft'])));
  }

  /** Waits until `ids` agree on a leader among them that says it leads; returns its id. */
  async leader(ids: number[] = this.up(), timeoutMs = 20000): Promise<number> {
    return waitFor(
      async () => {
        const views = await Promise.all(ids.map(async (id) => [id, await this.raft(id).then(raftView, () => undefined)] as const));
        const leaders = new Set(views.map(([, v]) => v?.leaderId));
        if (leaders.size !== 1) return undefined;
        const l = views[0][1]?.leaderId;
        const self = views.find(([id]) => id === l);
        return self && self[1]?.role === 'leader' ? l : undefined;
      },
      timeoutMs,
      `nodes ${ids.join(',')} to agree on a leader`,
      100,
    );
  }

  /** The node that currently says it is leader of the highest term, if any answers. */
  async currentLeader(): Promise<number | undefined> {
    const views = await Promise.all(this.up().map(async (id) => [id, await this.raft(id).then(raftView, () => undefined)] as const));
    let best: [number, number] | undefined;
    for (const [id, v] of views) if (v?.role === 'leader' && (!best || (v.term ?? 0) > best[1])) best = [id, v.term ?? 0];
    return best?.[0];
  }

  logTail(n = 30): string {
    return [...this.nodes.values()].map((node) => `==== node ${node.id}\n${node.logs.slice(-n).join('\n')}`).join('\n');
  }

  /** Resumes and kills every process, closes the proxies, removes data. Safe to call twice. */
  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.nodes.values()].map(async (n) => {
        const proc = n.proc;
        if (!proc) return;
        this.killing.add(proc);
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGCONT');
        proc.kill('SIGKILL');
        await exited;
      }),
    );
    await this.net.close();
    for (const n of this.nodes.values()) if (n.tmpfs) unmount(n.dir);
    rmSync(this.root, { recursive: true, force: true });
    roots.delete(this.root);
  }
}
