import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { Server } from './server';

/** Version reported to clients; tools parse redis_version, so we report the Redis API level we follow. */
export const REDIS_COMPAT_VERSION = '7.2.4';
export const RAFTCACHE_VERSION = '0.1.0';

type Section = [name: string, fields: Array<[string, string | number]>];

function serverSection(s: Server): Section {
  const uptime = Math.floor((Date.now() - s.startedAt) / 1000);
  return [
    'Server',
    [
      ['redis_version', REDIS_COMPAT_VERSION],
      ['raftcache_version', RAFTCACHE_VERSION],
      ['redis_mode', 'standalone'],
      ['os', `${os.type()} ${os.release()} ${os.arch()}`],
      ['arch_bits', 64],
      ['multiplexing_api', 'epoll'],
      ['process_id', process.pid],
      ['run_id', s.runId],
      ['tcp_port', s.port],
      ['server_time_usec', Date.now() * 1000],
      ['uptime_in_seconds', uptime],
      ['uptime_in_days', Math.floor(uptime / 86400)],
      ['executable', process.argv[1] ?? ''],
      ['node_version', process.version],
    ],
  ];
}

function clientsSection(s: Server): Section {
  let maxQbuf = 0;
  let maxObuf = 0;
  for (const c of s.clients.values()) {
    maxQbuf = Math.max(maxQbuf, c.queryBufferBytes);
    const o = c.outputStats;
    maxObuf = Math.max(maxObuf, o.obl + o.omem);
  }
  return [
    'Clients',
    [
      ['connected_clients', s.clients.size],
      ['maxclients', s.config.maxclients],
      ['client_recent_max_input_buffer', maxQbuf],
      ['client_recent_max_output_buffer', maxObuf],
      ['blocked_clients', s.blockedClients.size],
      ['tracking_clients', s.tracking.trackingClients],
      ['clients_in_timeout_table', s.blockedClients.timed],
    ],
  ];
}

function human(n: number): string {
  const units = ['B', 'K', 'M', 'G', 'T'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v}B` : `${v.toFixed(2)}${units[i]}`;
}

function memorySection(s: Server): Section {
  const mem = process.memoryUsage();
  const used = s.keyspace.usedBytes;
  return [
    'Memory',
    [
      ['used_memory', used],
      ['used_memory_human', human(used)],
      ['used_memory_rss', mem.rss],
      ['used_memory_rss_human', human(mem.rss)],
      ['used_memory_dataset', used],
      // As Redis: RSS over used_memory. Here it also holds V8's heap headroom and uncollected garbage
      // (about 2-2.5x for small strings): maxmemory acts on used_memory, the live data, as in Redis.
      ['mem_fragmentation_ratio', used > 0 ? (mem.rss / used).toFixed(2) : '0.00'],
      ['total_system_memory', os.totalmem()],
      ['total_system_memory_human', human(os.totalmem())],
      ['maxmemory', s.config.maxmemory],
      ['maxmemory_human', human(s.config.maxmemory)],
      ['maxmemory_policy', s.config['maxmemory-policy']],
      ['number_of_cached_scripts', s.keyspace.scriptCount],
      ['number_of_functions', s.keyspace.functions.functionCount],
      ['number_of_libraries', s.keyspace.functions.libraryCount],
      ['used_memory_scripts', s.keyspace.scriptBytes],
      ['node_heap_used', mem.heapUsed],
    ],
  ];
}

function statsSection(s: Server): Section {
  const st = s.stats;
  const kbps = st.instantaneousKbps();
  return [
    'Stats',
    [
      ['total_connections_received', st.totalConnectionsReceived],
      ['total_commands_processed', st.totalCommandsProcessed],
      ['instantaneous_ops_per_sec', st.instantaneousOpsPerSec()],
      ['total_net_input_bytes', st.netInputBytes],
      ['total_net_output_bytes', st.netOutputBytes],
      // Replication traffic is Raft's (INFO raft), not Redis replication's.
      ['total_net_repl_input_bytes', 0],
      ['total_net_repl_output_bytes', 0],
      ['instantaneous_input_kbps', kbps.input.toFixed(2)],
      ['instantaneous_output_kbps', kbps.output.toFixed(2)],
      ['instantaneous_input_repl_kbps', '0.00'],
      ['instantaneous_output_repl_kbps', '0.00'],
      ['rejected_connections', st.rejectedConnections],
      ['expired_keys', st.expiredKeys],
      ['evicted_keys', st.evictedKeys],
      ['keyspace_hits', st.keyspaceHits],
      ['keyspace_misses', st.keyspaceMisses],
      ['pubsub_channels', s.pubsub.channelCount()],
      ['pubsub_patterns', s.pubsub.numpat()],
      ['tracking_total_keys', s.tracking.trackedKeys],
      ['tracking_total_items', s.tracking.trackedItems],
      ['tracking_total_prefixes', s.tracking.trackedPrefixes],
      ['total_error_replies', st.totalErrorReplies],
      // Errors replicas or the AOF would report to a Redis primary: none here.
      ['unexpected_error_replies', 0],
    ],
  ];
}

/** Linux reports /proc times in USER_HZ, which the kernel fixes at 100 for user space. */
const USER_HZ = 100;

/** utime, stime, cutime, cstime (seconds) from a /proc stat line, or undefined off Linux. */
function procTimes(path: string): [number, number, number, number] | undefined {
  try {
    const stat = readFileSync(path, 'latin1');
    // Fields after the parenthesised command name (which may contain spaces).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // f[0] is field 3 (state): utime is field 14, stime 15, cutime 16, cstime 17.
    return [Number(f[11]) / USER_HZ, Number(f[12]) / USER_HZ, Number(f[13]) / USER_HZ, Number(f[14]) / USER_HZ];
  } catch {
    return undefined;
  }
}

/**
 * INFO cpu with Redis's fields: the process's system and user CPU seconds
 * (all threads: libuv's pool and LMDB's writer too), waited-for children's,
 * and the main (event-loop) thread's own, read from /proc where available.
 */
function cpuSection(): Section {
  const self = process.cpuUsage();
  const proc = procTimes('/proc/self/stat');
  const main = procTimes(`/proc/self/task/${process.pid}/stat`);
  const sec = (n: number) => n.toFixed(6);
  return [
    'CPU',
    [
      ['used_cpu_sys', sec(self.system / 1e6)],
      ['used_cpu_user', sec(self.user / 1e6)],
      ['used_cpu_sys_children', sec(proc?.[3] ?? 0)],
      ['used_cpu_user_children', sec(proc?.[2] ?? 0)],
      ['used_cpu_sys_main_thread', sec(main ? main[1] : self.system / 1e6)],
      ['used_cpu_user_main_thread', sec(main ? main[0] : self.user / 1e6)],
    ],
  ];
}

/** No modules can be loaded: an empty list, as redis-server without modules prints. */
function modulesSection(): Section {
  return ['Modules', []];
}

/** Error replies per error code (see error-stats.ts), in Redis's (sorted) order. */
function errorstatsSection(s: Server): Section {
  const codes = [...s.stats.errors.byCode].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return ['Errorstats', codes.map(([code, n]): [string, string] => [`errorstat_${code}`, `count=${n}`])];
}

/**
 * Not a Redis Cluster: every node holds every key (no slots, no MOVED), so
 * clients must stay in standalone mode. The Raft cluster is in INFO raft.
 */
function clusterSection(): Section {
  return ['Cluster', [['cluster_enabled', 0]]];
}

/**
 * INFO replication with Redis's fields, so tools that read it understand a
 * cluster: the leader is `role:master` with its followers as `slaveN`, a
 * follower is `role:slave` of the leader's client address.
 */
function replicationSection(s: Server): Section {
  const c = s.cluster;
  if (!c) return ['Replication', [['role', 'master'], ['connected_slaves', 0]]];
  const st = c.status();
  const fields: Array<[string, string | number]> = [];
  if (st.role === 'leader') {
    fields.push(['role', 'master']);
    const peers = c.transport?.stats();
    const followers = st.progress;
    fields.push(['connected_slaves', followers.filter((p) => peers?.get(p.id)?.connected).length]);
    followers.forEach((p, i) => {
      const m = c.members.get(p.id);
      const online = peers?.get(p.id)?.connected ? 'online' : 'offline';
      fields.push([`slave${i}`, `ip=${m?.host ?? '?'},port=${m?.port ?? 0},state=${online},offset=${p.match},lag=${st.commit - p.match}`]);
    });
    fields.push(['master_repl_offset', st.commit]);
  } else {
    const leader = c.members.get(st.leader);
    fields.push(['role', 'slave']);
    fields.push(['master_host', leader?.host ?? '']);
    fields.push(['master_port', leader?.port ?? 0]);
    const up = st.leader !== 0 && (c.transport?.stats().get(st.leader)?.connected ?? false);
    fields.push(['master_link_status', up ? 'up' : 'down']);
    fields.push(['slave_repl_offset', st.applied]);
    fields.push(['slave_read_only', 0]);
    fields.push(['connected_slaves', 0]);
    fields.push(['master_repl_offset', st.commit]);
  }
  return ['Replication', fields];
}

/** INFO raft: this node's view of the cluster. */
function raftSection(s: Server): Section {
  const c = s.cluster;
  if (!c) return ['Raft', [['raft_enabled', 0]]];
  const st = c.status();
  const leader = c.members.get(st.leader);
  const conf = c.confState();
  const stats = c.storage.stats();
  const snap = c.storage.keyspace.snapshotMeta();
  const fields: Array<[string, string | number]> = [
    ['raft_node_id', st.id],
    ['raft_role', conf.learners.includes(st.id) ? 'learner' : st.role],
    ['raft_term', st.term],
    ['raft_voted_for', st.vote],
    ['raft_leader_id', st.leader],
    ['raft_leader_addr', leader ? `${leader.host}:${leader.port}` : ''],
    ['raft_commit_index', st.commit],
    ['raft_applied_index', s.fsm.appliedIndex],
    ['raft_first_index', st.firstIndex],
    ['raft_last_index', st.lastIndex],
    ['raft_snapshot_index', snap.index],
    ['raft_log_bytes', stats.logBytes],
    ['raft_file_bytes', stats.fileBytes],
    ['raft_sync', stats.sync],
    ['raft_read_mode_default', s.config['read-mode']],
    ['raft_lease_valid', st.role === 'leader' && st.leaseValidUntilTick > st.tick ? 1 : 0],
    ['raft_disk_error', c.diskError ? c.diskError.message.replace(/[\r\n]/g, ' ') : ''],
    ['raft_recovery', c.recovery.state],
    ['raft_disk_reserve_mode', stats.reserveMode],
    ['raft_disk_reserve_bytes', Number.isFinite(stats.reserveHeadroomBytes) ? stats.reserveHeadroomBytes : 0],
    ['raft_disk_reserve_refusals', stats.reserveRefusals],
    ['raft_voters', conf.voters.join(',')],
    ['raft_learners', conf.learners.join(',')],
  ];
  const progress = new Map(st.progress.map((p) => [p.id, p]));
  for (const id of [...conf.voters, ...conf.learners].sort((a, b) => a - b)) {
    const m = c.members.get(id);
    const p = progress.get(id);
    const role = conf.learners.includes(id) ? 'learner' : 'voter';
    const addr = m ? `${m.host}:${m.port}` : '';
    const peer = m ? m.peerPort : 0;
    const match = id === st.id ? st.lastIndex : (p?.match ?? -1);
    const lag = id === st.id || !p ? 0 : st.lastIndex - p.match;
    const state = id === st.id ? 'self' : (p?.state ?? 'unknown');
    fields.push([`raft_member_${id}`, `addr=${addr},peer_port=${peer},role=${role},match=${match},lag=${lag},state=${state}`]);
  }
  return ['Raft', fields];
}

function keyspaceSection(s: Server): Section {
  const now = Date.now();
  const fields: Array<[string, string]> = [];
  s.keyspace.dbs.forEach((db, i) => {
    const keys = db.size();
    if (keys > 0) fields.push([`db${i}`, `keys=${keys},expires=${db.expiresCount()},avg_ttl=${db.avgTtl(now)}`]);
  });
  return ['Keyspace', fields];
}

function commandstatsSection(s: Server): Section {
  const fields: Array<[string, string]> = [];
  for (const [name, c] of s.stats.commands) {
    if (c.calls === 0 && c.rejectedCalls === 0) continue;
    const usec = Math.round(c.usec);
    const per = c.calls ? (c.usec / c.calls).toFixed(2) : '0.00';
    fields.push([
      `cmdstat_${name}`,
      `calls=${c.calls},usec=${usec},usec_per_call=${per},rejected_calls=${c.rejectedCalls},failed_calls=${c.failedCalls}`,
    ]);
  }
  return ['Commandstats', fields];
}

/**
 * Redis's persistence fields, mapped onto ours: the "RDB" is the durable
 * keyspace copy (written about once a second, and by SAVE/BGSAVE); there is
 * no AOF (the Raft log, fsync'd before any write is acknowledged, plays its
 * part). Nothing is ever loading once the node listens (start() applies first).
 */
function persistenceSection(s: Server): Section {
  const p = s.cluster?.persistence();
  const lastSave = Math.floor((p?.lastSaveMs ?? s.startedAt) / 1000);
  return [
    'Persistence',
    [
      ['loading', 0],
      ['async_loading', 0],
      ['rdb_changes_since_last_save', p?.changesSinceSave ?? 0],
      ['rdb_bgsave_in_progress', p?.saving ? 1 : 0],
      ['rdb_last_save_time', lastSave],
      ['rdb_last_bgsave_status', p === undefined || p.lastSaveOk ? 'ok' : 'err'],
      ['rdb_last_bgsave_time_sec', p?.lastSaveSeconds ?? -1],
      ['aof_enabled', 0],
      ['aof_rewrite_in_progress', 0],
    ],
  ];
}

/** Every section, in the order Redis 7 prints them (raft, ours, after replication). */
const SECTIONS: Record<string, (s: Server) => Section> = {
  server: serverSection,
  clients: clientsSection,
  memory: memorySection,
  persistence: persistenceSection,
  stats: statsSection,
  replication: replicationSection,
  raft: raftSection,
  cpu: cpuSection,
  modules: modulesSection,
  commandstats: commandstatsSection,
  errorstats: errorstatsSection,
  cluster: clusterSection,
  keyspace: keyspaceSection,
};
/** What INFO and INFO default print: all but commandstats (Redis 7 also leaves out latencystats). */
const DEFAULT_SECTIONS = new Set(Object.keys(SECTIONS).filter((n) => n !== 'commandstats'));
/** Redis 7 names the module list `module_list`; `modules` selects it too (module-generated sections: none here). */
const ALIASES: Record<string, string> = { module_list: 'modules' };

/**
 * Renders INFO [section ...] as Redis 7 does: any number of section names,
 * case-insensitive, plus `default`, `all` and `everything` (all = everything
 * here, as no module adds sections); unknown names add nothing; sections come
 * in their fixed order whatever the order asked. `# Name` headers,
 * `field:value` lines, CRLF, a blank line between sections.
 */
export function renderInfo(s: Server, requested: string[]): string {
  const wanted = new Set<string>();
  if (requested.length === 0) for (const n of DEFAULT_SECTIONS) wanted.add(n);
  for (const r of requested) {
    const name = r.toLowerCase();
    if (name === 'all' || name === 'everything') for (const n of Object.keys(SECTIONS)) wanted.add(n);
    else if (name === 'default') for (const n of DEFAULT_SECTIONS) wanted.add(n);
    else wanted.add(ALIASES[name] ?? name);
  }
  const parts: string[] = [];
  for (const [n, section] of Object.entries(SECTIONS)) {
    if (!wanted.has(n)) continue;
    const [title, fields] = section(s);
    parts.push(`# ${title}\r\n` + fields.map(([k, v]) => `${k}:${v}\r\n`).join(''));
  }
  return parts.join('\r\n');
}
