/**
 * Faults to inject into a FaultCluster, each a start (inject) and a stop
 * (heal) step that return a description for the run's event log.
 */
import { closeSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import Redis from 'ioredis';
import path from 'node:path';
import type { FaultCluster } from './cluster';

export interface Nemesis {
  name: string;
  /** Needs the cluster started under libfaketime. */
  needsClock?: boolean;
  /** Needs a node whose data dir is a small tmpfs (FaultClusterOptions.tmpfs). */
  needsDisk?: boolean;
  start(c: FaultCluster): Promise<string>;
  stop(c: FaultCluster): Promise<string>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function pick<T>(xs: T[]): T {
  return xs[Math.floor(Math.random() * xs.length)];
}

function shuffle<T>(xs: T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

async function leaderOrAny(c: FaultCluster): Promise<number> {
  return (await c.currentLeader()) ?? pick(c.up());
}

const healNet = async (c: FaultCluster): Promise<string> => {
  c.net.heal();
  return 'healed all links';
};

export const NEMESES: Record<string, Nemesis> = {
  'partition-leader': {
    name: 'partition-leader',
    async start(c) {
      const l = await leaderOrAny(c);
      c.net.partition([[l], c.ids().filter((id) => id !== l)]);
      return `isolated leader ${l} (blackhole both ways)`;
    },
    stop: healNet,
  },
  'partition-halves': {
    name: 'partition-halves',
    async start(c) {
      const ids = shuffle(c.ids());
      const minority = ids.slice(0, Math.floor(ids.length / 2));
      const mode = pick(['blackhole', 'cut'] as const);
      c.net.partition([minority, ids.slice(minority.length)], mode);
      return `partition ${minority.join(',')} | ${ids.slice(minority.length).join(',')} (${mode})`;
    },
    stop: healNet,
  },
  'one-way': {
    name: 'one-way',
    async start(c) {
      const l = await leaderOrAny(c);
      for (const o of c.ids()) if (o !== l) c.net.oneWay(l, o);
      return `leader ${l} cannot send (it still receives)`;
    },
    stop: healNet,
  },
  bridge: {
    name: 'bridge',
    async start(c) {
      const [a, b, ...rest] = shuffle(c.ids());
      c.net.bridge([a], b, rest);
      return `bridge: ${a} <-> ${b} <-> ${rest.join(',')}; ${a} and ${rest.join(',')} cut`;
    },
    stop: healNet,
  },
  flaky: {
    name: 'flaky',
    async start(c) {
      // proxy: 2% of chunks reset the connection, up to 40 ms delay; netns: 10% packet loss.
      if (c.net.kind === 'proxy') c.net.flaky(0.02, 40);
      else c.net.flaky(0.1, 0);
      return `flaky links: ${c.net.describe()}`;
    },
    stop: healNet,
  },
  kill: {
    name: 'kill',
    async start(c) {
      const id = pick(c.up());
      await c.kill(id, 'SIGKILL');
      return `SIGKILL node ${id}`;
    },
    async stop(c) {
      const dead = c.ids().filter((id) => !c.node(id).proc);
      for (const id of dead) await c.restart(id);
      return dead.length ? `restarted node ${dead.join(',')}` : 'nothing to restart';
    },
  },
  'kill-leader': {
    name: 'kill-leader',
    async start(c) {
      const id = await leaderOrAny(c);
      await c.kill(id, 'SIGKILL');
      return `SIGKILL leader ${id}`;
    },
    async stop(c) {
      return NEMESES.kill.stop(c);
    },
  },
  pause: {
    name: 'pause',
    async start(c) {
      const id = await leaderOrAny(c);
      c.pause(id);
      return `SIGSTOP node ${id} (leader)`;
    },
    async stop(c) {
      const paused = c.ids().filter((id) => c.node(id).paused);
      for (const id of paused) c.resume(id);
      return `SIGCONT node ${paused.join(',')}`;
    },
  },
  'isolate-slowest-clock': {
    name: 'isolate-slowest-clock',
    needsClock: true,
    async start(c) {
      // Make the node with the slowest clock lead, then cut it off: its lease
      // (counted in its own slow ticks) outlives the others' election timeout
      // once the rate is beyond the lease's drift margin.
      const slow = [...c.nodes.values()].sort((a, b) => a.clock!.rate - b.clock!.rate)[0].id;
      const leading = await moveLeadership(c, slow);
      c.net.partition([[slow], c.ids().filter((id) => id !== slow)]);
      return `isolated node ${slow} (clock x${c.node(slow).clock!.rate}${leading ? ', leading' : ', NOT leading'})`;
    },
    stop: healNet,
  },
  'clock-jump': {
    name: 'clock-jump',
    needsClock: true,
    async start(c) {
      const id = pick(c.up());
      const s = 1 + Math.floor(Math.random() * 3);
      c.jumpClock(id, s);
      return `clock of node ${id} jumped ${s}s ahead (now +${c.node(id).clock!.offsetS}s)`;
    },
    async stop() {
      return 'clocks stay where they are (they only move forward)';
    },
  },
};

/** The filler file that takes a tmpfs data dir's free space. */
const fillerOf = (c: FaultCluster, id: number): string => path.join(c.node(id).dir, '.faults-filler');

/** Writes zeros to the filler until the filesystem refuses (ENOSPC); returns the MiB written. */
function fill(file: string): number {
  const chunk = Buffer.alloc(1 << 20);
  const fd = openSync(file, 'a');
  let mb = 0;
  try {
    for (;;) {
      writeSync(fd, chunk);
      mb++;
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
  return mb;
}

function removeFillers(c: FaultCluster): number[] {
  const ids = c.ids().filter((id) => c.node(id).tmpfs);
  for (const id of ids) rmSync(fillerOf(c, id), { force: true });
  return ids;
}

/**
 * Transfers leadership to `to` and waits until it leads, asking again every
 * 2 s (a transfer can be refused or time out while the target catches up);
 * gives up after 10 s. Checking only once right after asking used to see the
 * old leader still in place.
 */
async function moveLeadership(c: FaultCluster, to: number): Promise<boolean> {
  const deadline = Date.now() + 10000;
  let askedAt = 0;
  while (Date.now() < deadline) {
    const l = await c.currentLeader();
    if (l === to) return true;
    if (Date.now() - askedAt >= 2000) {
      askedAt = Date.now();
      await c.command(l ?? pick(c.up()), ['RAFT.TRANSFER_LEADER', String(to)]).catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

let diskFullCount = 0;

NEMESES['disk-full'] = {
  name: 'disk-full',
  needsDisk: true,
  async start(c) {
    const id = c.ids().find((i) => c.node(i).tmpfs && c.node(i).proc);
    if (id === undefined) return `skipped: no running node has a tmpfs data dir${c.tmpfsError ? ` (${c.tmpfsError})` : ''}`;
    // Every other time the full disk is the leader's (writes are then answered -MISCONF), else a follower's.
    if (diskFullCount++ % 2 === 0) await moveLeadership(c, id);
    const lead = (await c.currentLeader()) === id;
    const mb = fill(fillerOf(c, id));
    return `filled the data dir of node ${id} (${lead ? 'leader' : 'not leading'}; ${mb} MiB filler, tmpfs ${c.node(id).tmpfs!.sizeMb} MiB)`;
  },
  async stop(c) {
    const ids = removeFillers(c);
    // The node must survive a full disk (refuse writes with -MISCONF, serve reads); the run reports a crash (FaultCluster.crashes).
    const dead = ids.filter((id) => !c.node(id).proc);
    for (const id of dead) await c.restart(id);
    return `removed the filler on node ${ids.join(',') || '-'}${dead.length ? `; node ${dead.join(',')} had died: restarted` : ''}`;
  },
};

/** Names accepted by --nemesis; `all` = every nemesis above, drawn at random each cycle. */
export function nemesisList(spec: string): Nemesis[] {
  const names = spec === 'all' ? Object.keys(NEMESES) : spec.split(',').map((s) => s.trim());
  return names.map((n) => {
    const nem = NEMESES[n];
    if (!nem) throw new Error(`unknown nemesis '${n}' (known: ${Object.keys(NEMESES).join(', ')}, all)`);
    return nem;
  });
}

/** Heals everything a nemesis may have left: links, paused and dead nodes. */
export async function healAll(c: FaultCluster): Promise<void> {
  if (slowSub) await NEMESES['slow-subscriber'].stop(c).catch(() => undefined);
  if (bigValue) await NEMESES['big-value'].stop(c).catch(() => undefined);
  c.net.heal();
  removeFillers(c);
  for (const id of c.ids()) c.resume(id);
  for (const id of c.ids()) if (!c.node(id).proc) await c.restart(id);
}

/**
 * A subscriber that never reads while a publisher floods its channel: the node
 * must drop it at client-output-buffer-limit pubsub (Redis: 32mb hard) and keep
 * its memory bounded, while the workload and the other faults go on. Heal
 * fails the scenario if the subscriber was never disconnected or the node's RSS
 * grew by more than SLOW_SUB_MAX_GROWTH.
 */
const SLOW_SUB_MAX_GROWTH = 512 * 1024 * 1024;
const SLOW_SUB_MESSAGE = 8192;
/** Past this much published, the node must have dropped it (32 MB limit plus generous kernel and forwarder buffers). */
const SLOW_SUB_MUST_DROP = 160 * 1048576;
let slowSub: { id: number; socket: Socket; publisher: Redis; closedByServer: boolean; published: number; stop: boolean; rss0: number; rssPeak: number; sampler: NodeJS.Timeout; pumping: Promise<void> } | undefined;

function rssOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

NEMESES['slow-subscriber'] = {
  name: 'slow-subscriber',
  async start(c) {
    const id = pick(c.up());
    const endpoint = c.node(id).endpoint;
    const socket = 'path' in endpoint ? connect(endpoint.path) : connect(endpoint.port, endpoint.host);
    socket.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    // Named, so heal can ask the node whether it still holds it (a paused socket does not see the close).
    socket.write('*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$15\r\nfaults-slow-sub\r\n*2\r\n$9\r\nSUBSCRIBE\r\n$12\r\nfaults:flood\r\n');
    let seen = '';
    await new Promise<void>((resolve) => {
      const onData = (d: Buffer) => {
        seen += d.toString('latin1');
        if (seen.includes('subscribe')) {
          socket.off('data', onData);
          resolve();
        }
      };
      socket.on('data', onData);
    });
    socket.pause(); // never read again: the node's output for it piles up
    const publisher = new Redis({ ...endpoint, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
    publisher.on('error', () => undefined);
    await publisher.connect();
    const pid = c.node(id).proc?.pid;
    const rss0 = rssOf(pid);
    const state = { id, socket, publisher, closedByServer: false, published: 0, stop: false, rss0, rssPeak: rss0, sampler: setInterval(() => (state.rssPeak = Math.max(state.rssPeak, rssOf(pid))), 100), pumping: Promise.resolve() };
    socket.once('close', () => (state.closedByServer = !state.stop));
    const message = 'm'.repeat(SLOW_SUB_MESSAGE);
    // Batches of 50 PUBLISH, bounded by the fault window and by 400 MB offered.
    state.pumping = (async () => {
      while (!state.stop && state.published * SLOW_SUB_MESSAGE < 400 * 1048576) {
        const p = publisher.pipeline();
        for (let i = 0; i < 50; i++) p.publish('faults:flood', message);
        const replies = await p.exec().catch(() => null);
        if (replies === null) break;
        state.published += replies.filter(([err]) => !err).length;
        if (replies.some(([err]) => err)) await sleep(100); // e.g. the node is restarting
      }
    })();
    slowSub = state;
    return `node ${id}: a subscriber that never reads, 8 KB messages published to it`;
  },
  async stop(c) {
    const s = slowSub;
    slowSub = undefined;
    if (!s) return 'nothing to stop';
    s.stop = true;
    await s.pumping;
    clearInterval(s.sampler);
    s.publisher.disconnect();
    const list = await c.command(s.id, ['CLIENT', 'LIST']).catch(() => undefined);
    const dropped = s.closedByServer || (typeof list === 'string' && !list.includes('name=faults-slow-sub '));
    s.socket.destroy();
    const growthMb = Math.round((s.rssPeak - s.rss0) / 1048576);
    const what = `node ${s.id}: ${Math.round((s.published * SLOW_SUB_MESSAGE) / 1048576)} MB published; subscriber ${dropped ? 'dropped by the node' : 'NOT dropped'}; RSS grew ${growthMb} MB at most`;
    if (s.published * SLOW_SUB_MESSAGE >= SLOW_SUB_MUST_DROP && !dropped) throw new Error(`slow-subscriber: ${what}`);
    if (s.rssPeak - s.rss0 > SLOW_SUB_MAX_GROWTH) throw new Error(`slow-subscriber: ${what} (over ${SLOW_SUB_MAX_GROWTH / 1048576} MB)`);
    return what;
  },
};

/** A running node other than the leader (undefined when there is none). */
async function followerOf(c: FaultCluster): Promise<number | undefined> {
  const l = await c.currentLeader();
  const ids = c.up().filter((id) => id !== l);
  return ids.length ? pick(ids) : undefined;
}

/** Deletes everything in a node's data dir (the dir itself may be a mount point). */
function wipeDir(dir: string): void {
  for (const entry of readdirSync(dir)) rmSync(path.join(dir, entry), { recursive: true, force: true });
}

/**
 * A follower loses its disk: SIGKILL, its data dir emptied, restarted with its
 * flags while the workload goes on. It must rejoin without voting (learner,
 * caught up, promoted: docs/cluster.md); the final-state verdicts then find
 * every acknowledged write on it.
 */
NEMESES['wipe-follower'] = {
  name: 'wipe-follower',
  async start(c) {
    const id = await followerOf(c);
    if (id === undefined) return 'skipped: no running follower';
    await c.kill(id, 'SIGKILL');
    wipeDir(c.node(id).dir);
    await c.restart(id);
    return `node ${id}: SIGKILL, data dir wiped, restarted`;
  },
  async stop(c) {
    const states = await Promise.all(
      c.up().map(async (id) => {
        const info = String(await c.command(id, ['INFO', 'raft']).catch(() => ''));
        return `${id}:${/raft_recovery:(\S+)/.exec(info)?.[1] ?? '?'}`;
      }),
    );
    return `recovery states ${states.join(' ')}`;
  },
};

/**
 * A follower is down while the leader compacts its log (the scenario runs
 * with small --snapshot-entries/--log-tail), then restarts: it needs a
 * snapshot, streamed to it while clients keep writing.
 */
NEMESES['snapshot-restart'] = {
  name: 'snapshot-restart',
  async start(c) {
    const id = await followerOf(c);
    if (id === undefined) return 'skipped: no running follower';
    await c.kill(id, 'SIGKILL');
    return `SIGKILL follower ${id}; the leader compacts meanwhile`;
  },
  async stop(c) {
    const l = await c.currentLeader();
    if (l !== undefined) await c.command(l, ['RAFT.COMPACT']).catch(() => undefined);
    const dead = c.ids().filter((id) => !c.node(id).proc);
    for (const id of dead) await c.restart(id);
    const leaderFirst = l === undefined ? '?' : /raft_first_index:(\d+)/.exec(String(await c.command(l, ['INFO', 'raft']).catch(() => '')))?.[1] ?? '?';
    return dead.length ? `restarted node ${dead.join(',')} (leader's log now starts at ${leaderFirst})` : 'nothing to restart';
  },
};

/**
 * A 100 MB value written through a random node while the workload runs: it
 * must be acknowledged (retried on TRYAGAIN/CLUSTERDOWN like a client would)
 * and then read back with its full length on every node; any other error, or
 * a node without it, fails the run. The Ready loop must not stall meanwhile.
 */
const BIG_VALUE_BYTES = 100 * 1048576;
let bigValue: { id: number; key: string; outcome: Promise<string> } | undefined;
let bigValueCount = 0;

NEMESES['big-value'] = {
  name: 'big-value',
  async start(c) {
    // A node whose data dir is a small tmpfs (the disk-full nemesis's) cannot hold the value: it rightly
    // answers -MISCONF as leader and stops applying as follower. That is disk-full's case, not this one's.
    const small = c.ids().find((i) => c.node(i).tmpfs && c.node(i).tmpfs!.sizeMb * 1048576 < 2 * BIG_VALUE_BYTES);
    if (small !== undefined) return `skipped: node ${small}'s data dir is a ${c.node(small).tmpfs!.sizeMb} MiB tmpfs, too small for a 100 MB value`;
    const id = pick(c.up());
    const key = `faults:big:${bigValueCount++}`;
    const value = Buffer.alloc(BIG_VALUE_BYTES, 0x62);
    const outcome = (async () => {
      let last = '';
      for (let attempt = 0; attempt < 5; attempt++) {
        const r = new Redis({ ...c.node(id).endpoint, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false, commandTimeout: 60000 });
        r.on('error', () => undefined);
        try {
          await r.connect();
          return String(await r.set(key, value));
        } catch (e) {
          last = (e as Error).message;
          if (!/^(TRYAGAIN|CLUSTERDOWN)|ECONNREFUSED|Connection is closed/.test(last)) return last;
          await sleep(500);
        } finally {
          r.disconnect();
        }
      }
      return last;
    })();
    bigValue = { id, key, outcome };
    return `SET ${key} (100 MB) through node ${id}`;
  },
  async stop(c) {
    const b = bigValue;
    bigValue = undefined;
    if (!b) return 'nothing to stop';
    const reply = await b.outcome;
    const acked = reply === 'OK';
    if (!acked && !/^(TRYAGAIN|CLUSTERDOWN)/.test(reply)) throw new Error(`big-value: SET ${b.key} through node ${b.id} answered ${reply}`);
    // Acknowledged: every node must get it. Outcome unknown (the write outlived write-timeout-ms):
    // every node must end up agreeing, with all of it or none of it.
    const settled = (ns: unknown[]) => (acked ? ns.every((n) => n === BIG_VALUE_BYTES) : ns.every((n) => n === ns[0] && (n === 0 || n === BIG_VALUE_BYTES)));
    const lengths = new Map<number, unknown>();
    for (let i = 0; i < 60; i++) {
      for (const id of c.up()) lengths.set(id, await c.command(id, ['STRLEN', b.key], 10000).catch((e: Error) => e.message));
      if (settled([...lengths.values()])) break;
      await sleep(500);
    }
    const summary = [...lengths].map(([id, n]) => `${id}:${String(n)}`).join(' ');
    if (!settled([...lengths.values()])) throw new Error(`big-value: ${b.key} ${acked ? 'acknowledged but not on every node' : 'outcome unknown and nodes disagree'}: ${summary}`);
    if (!acked) return `${b.key}: ${reply}; every node agrees: ${summary}`;
    // Free the memory for the rest of the run.
    const l = (await c.currentLeader()) ?? b.id;
    await c.command(l, ['DEL', b.key], 10000).catch(() => undefined);
    return `${b.key} acknowledged, STRLEN on every running node: ${summary}`;
  },
};
