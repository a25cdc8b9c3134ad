/**
 * A cluster of real `raftcache-server` processes on loopback for end-to-end
 * tests: free client and peer ports, one temp data dir per node, a random
 * secret. Every process is killed and every dir removed by stopAll(), and
 * also when the test process exits, so a failing test leaves nothing behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import Redis, { type RedisOptions } from 'ioredis';
import { infoField, parseInfo, raftView, type RaftView } from '../../server/launcher';
import { SERVER_NODE_OPTIONS } from '../../server/node-flags';
import { nodeEntry, redisCli } from '../support/proc';

export { infoField, parseInfo, raftView, type RaftView };

/** Distinct free loopback ports: all probes are held open together so none repeats. */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const s = net.createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** A base port B such that B..B+n-1 and B+10000..B+10000+n-1 are all free (for the launcher's fixed layout). */
export async function freePortBlock(n: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    const ports = Array.from({ length: n }, (_, i) => [base + i, base + 10000 + i]).flat();
    const ok = await Promise.all(
      ports.map(
        (p) =>
          new Promise<boolean>((resolve) => {
            const s = net.createServer();
            s.once('error', () => resolve(false));
            s.listen(p, '127.0.0.1', () => s.close(() => resolve(true)));
          }),
      ),
    );
    if (ok.every(Boolean)) return base;
  }
  throw new Error('no free block of ports found');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `pred` until it returns something other than undefined/false; throws with `what` and the last value seen on timeout. */
export async function waitFor<T>(pred: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, what: string, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await pred();
      if (v !== undefined && v !== false) return v;
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(intervalMs);
  }
}

/** Children alive across all clusters of this test process; killed on exit whatever happens. */
const liveProcs = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of liveProcs) p.kill('SIGKILL');
});

export interface ClusterNode {
  id: number;
  port: number;
  peerPort: number;
  dir: string;
  /** Arguments this node is (re)started with, besides the harness's own. */
  args: string[];
  secret: string;
  join: boolean;
  proc: ChildProcess | undefined;
  /** Every line the node printed, across restarts (pino JSON, plus stderr). */
  logs: string[];
  /** `id@127.0.0.1:port:peerport`, as in --members and RAFT.NODE ADD (without the id). */
  address: string;
}

export interface ClusterOptions {
  nodes?: number;
  /** Extra server arguments for every node. */
  args?: string[];
  /** Extra arguments for one node (by id). */
  nodeArgs?: Record<number, string[]>;
  /** A different cluster secret for one node (by id), to test refusal. */
  nodeSecret?: Record<number, string>;
}

const READY = 'ready to accept connections';

export class Cluster {
  readonly nodes = new Map<number, ClusterNode>();
  readonly secret = crypto.randomBytes(16).toString('hex');
  private readonly clients: Redis[] = [];
  private readonly root = mkdtempSync(path.join(os.tmpdir(), 'raftcache-cluster-'));
  /** Bootstrap membership, passed to every node (also to nodes added later, as docs/cluster.md asks). */
  members = '';

  private constructor(private readonly opts: ClusterOptions) {}

  static async start(opts: ClusterOptions = {}): Promise<Cluster> {
    const c = new Cluster(opts);
    try {
      const n = opts.nodes ?? 3;
      const ports = await freePorts(2 * n);
      for (let id = 1; id <= n; id++) c.define(id, ports[2 * (id - 1)], ports[2 * (id - 1) + 1], opts.nodeArgs?.[id] ?? [], false);
      c.members = [...c.nodes.values()].map((x) => x.address).join(',');
      await Promise.all([...c.nodes.keys()].map((id) => c.spawnNode(id)));
    } catch (e) {
      await c.stopAll();
      throw e;
    }
    return c;
  }

  private define(id: number, port: number, peerPort: number, args: string[], join: boolean): ClusterNode {
    const node: ClusterNode = {
      id,
      port,
      peerPort,
      dir: path.join(this.root, `node${id}`),
      args,
      secret: this.opts.nodeSecret?.[id] ?? this.secret,
      join,
      proc: undefined,
      logs: [],
      address: `${id}@127.0.0.1:${port}:${peerPort}`,
    };
    this.nodes.set(id, node);
    return node;
  }

  node(id: number): ClusterNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  /** Ids of nodes whose process is running. */
  running(): number[] {
    return [...this.nodes.values()].filter((n) => n.proc !== undefined).map((n) => n.id);
  }

  private async spawnNode(id: number): Promise<void> {
    const node = this.node(id);
    if (node.proc) throw new Error(`node ${id} is already running`);
    const args = [
      ...SERVER_NODE_OPTIONS,
      ...nodeEntry('server/main.ts'),
      '--node-id', String(id),
      '--port', String(node.port),
      '--peer-port', String(node.peerPort),
      '--members', this.members,
      '--cluster-secret', node.secret,
      '--dir', node.dir,
      '--loglevel', 'info',
      ...(node.join ? ['--join', 'yes'] : []),
      ...(this.opts.args ?? []),
      ...node.args,
    ];
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    liveProcs.add(proc);
    node.proc = proc;
    proc.once('exit', () => {
      liveProcs.delete(proc);
      if (node.proc === proc) node.proc = undefined;
    });
    node.logs.push(`--- started node ${id} (pid ${proc.pid})`);
    readline.createInterface({ input: proc.stderr! }).on('line', (l) => node.logs.push(`stderr: ${l}`));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node ${id} did not log '${READY}' within 20 s:\n${node.logs.slice(-20).join('\n')}`)), 20000);
      readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
        node.logs.push(line);
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

  /** Kills a node's process and waits for it to exit; resolves with its exit code (null if killed by the signal). */
  async kill(id: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    const proc = this.node(id).proc;
    if (!proc) return null;
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }

  /** Starts a stopped node again with the same ports, data dir and arguments (plus `extraArgs`, kept for later restarts). */
  async restart(id: number, extraArgs: string[] = []): Promise<void> {
    const node = this.node(id);
    if (node.proc) await this.kill(id, 'SIGTERM');
    node.args = [...node.args, ...extraArgs];
    await this.spawnNode(id);
  }

  /** Starts a new node with `--join yes` (empty, waiting for RAFT.NODE ADD); returns it (use `hostPorts(id)` for RAFT.NODE ADD). */
  async addNode(id: number, args: string[] = []): Promise<ClusterNode> {
    if (this.nodes.has(id)) throw new Error(`node ${id} exists`);
    const [port, peerPort] = await freePorts(2);
    const node = this.define(id, port, peerPort, args, true);
    await this.spawnNode(id);
    return node;
  }

  /** `host:port:peerport` of a node, as RAFT.NODE ADD takes it. */
  hostPorts(id: number): string {
    const n = this.node(id);
    return `127.0.0.1:${n.port}:${n.peerPort}`;
  }

  /**
   * An ioredis client to one node; closed by stopAll(). Commands wait for the
   * first connection; after a disconnection it does not reconnect, so
   * commands fail fast ("Connection is closed.") while the node is down.
   */
  client(id: number, opts: RedisOptions = {}): Redis {
    const c = new Redis({
      host: '127.0.0.1',
      port: this.node(id).port,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      lazyConnect: false,
      ...opts,
    });
    c.on('error', () => undefined); // failures surface on the commands that hit them
    this.clients.push(c);
    return c;
  }

  /** One command over a short-lived connection (for polling nodes that may be down). */
  async command(id: number, args: string[], timeoutMs = 5000): Promise<unknown> {
    const c = new Redis({ host: '127.0.0.1', port: this.node(id).port, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: timeoutMs, connectTimeout: timeoutMs });
    c.on('error', () => undefined);
    try {
      await c.connect();
      return await c.call(args[0], ...args.slice(1));
    } finally {
      c.disconnect();
    }
  }

  async info(id: number, section = 'raft'): Promise<Record<string, string>> {
    return parseInfo(String(await this.command(id, ['INFO', section])));
  }

  cli(id: number, args: string[], input?: string): { stdout: string; stderr: string; status: number | null } {
    return redisCli(this.node(id).port, args, input);
  }

  /**
   * Polls INFO raft on `ids` (default: every running node) until all name the
   * same leader, which is one of `ids` and says it leads; returns its id.
   */
  async leader(ids: number[] = this.running(), timeoutMs = 15000): Promise<number> {
    let last = '';
    try {
      return await waitFor(
        async () => {
          const views = await Promise.all(ids.map(async (id) => [id, await this.info(id).then(raftView, () => undefined)] as const));
          last = views.map(([id, v]) => `node ${id}: ${v ? `role=${v.role} leader=${v.leaderId} term=${v.term}` : 'unreachable'}`).join('; ');
          const leaderIds = new Set(views.map(([, v]) => v?.leaderId));
          if (leaderIds.size !== 1) return undefined;
          const leader = views[0][1]?.leaderId;
          if (leader === undefined) return undefined;
          // The leader must be one of the polled nodes and say so itself (right after a leader dies, the others still name it).
          const self = views.find(([id]) => id === leader);
          if (!self || self[1]?.role !== 'leader') return undefined;
          return leader;
        },
        timeoutMs,
        'the nodes to agree on a leader',
        100,
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}; last INFO raft: ${last}`);
    }
  }

  /** Ids of running voters other than `leader`. */
  async followers(leader?: number): Promise<number[]> {
    const l = leader ?? (await this.leader());
    return this.running().filter((id) => id !== l && !this.node(id).join);
  }

  /** Waits until every node in `ids` has applied at least the leader's current commit index. */
  async settle(ids: number[] = this.running(), timeoutMs = 15000): Promise<void> {
    const leader = await this.leader(ids);
    const commit = indexField(await this.info(leader), 'commit');
    await waitFor(
      async () => {
        for (const id of ids) if (indexField(await this.info(id), 'applied') < commit) return false;
        return true;
      },
      timeoutMs,
      `nodes ${ids.join(',')} to apply up to commit index ${commit}`,
      100,
    );
  }

  /** The last `n` log lines of every node, for a failed test's output. */
  logTail(n = Number(process.env.LOG_TAIL ?? 40)): string {
    return [...this.nodes.values()].map((node) => `==== node ${node.id} (port ${node.port}, peer ${node.peerPort})\n${node.logs.slice(-n).join('\n')}`).join('\n');
  }

  /** Kills every process (SIGTERM, then SIGKILL after 3 s), closes clients and removes data dirs. Safe to call twice. */
  async stopAll(): Promise<void> {
    for (const c of this.clients.splice(0)) c.disconnect();
    await Promise.all(
      [...this.nodes.values()].map(async (n) => {
        const proc = n.proc;
        if (!proc) return;
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }),
    );
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Index aliases: docs/cluster.md names the quantities INFO raft shows, not their field names. */
const INDEX_FIELDS = {
  commit: ['commit_index', 'commit_idx', 'commit'],
  applied: ['applied_index', 'last_applied_index', 'last_applied', 'applied'],
  last: ['last_index', 'last_log_index', 'current_index'],
  first: ['first_index', 'first_log_index'],
  snapshot: ['snapshot_index', 'snapshot_last_index', 'snapshot_last_idx'],
} as const;

export function indexField(info: Record<string, string>, which: keyof typeof INDEX_FIELDS): number {
  const raw = infoField(info, ...INDEX_FIELDS[which]);
  const n = Number(raw);
  if (raw === undefined || !Number.isFinite(n)) {
    throw new Error(`INFO raft has no ${which} index (looked for ${INDEX_FIELDS[which].join(', ')}); fields: ${Object.keys(info).join(', ')}`);
  }
  return n;
}

/** Member lines of INFO raft (`raft_member_N:addr=..,role=..,match=..,lag=..`; an `id=` field, if any, wins over N) as key/value records. */
export function raftMembers(info: Record<string, string>): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  for (const [k, v] of Object.entries(info)) {
    if (!/^(raft_)?(member|node|peer)s?_?\d+$/.test(k) || !v.includes('=')) continue;
    const rec: Record<string, string> = { id: /(\d+)$/.exec(k)![1] };
    for (const kv of v.split(',')) {
      const i = kv.indexOf('=');
      if (i > 0) rec[kv.slice(0, i)] = kv.slice(i + 1);
    }
    out.push(rec);
  }
  return out;
}

/** A cluster shared by the tests of a describe block: started (with a leader) in before(), stopped in after(). */
export function clusterForSuite(nodes = 3): { c: Cluster } {
  const t = {} as { c: Cluster };
  before(async () => {
    t.c = await Cluster.start({ nodes });
    await t.c.leader();
  });
  after(async () => {
    await t.c?.stopAll();
  });
  return t;
}
