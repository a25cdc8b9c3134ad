import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RAFTCACHE_VERSION, REDIS_COMPAT_VERSION } from './info';
import { Histogram, LATENCY_BUCKETS_SECONDS } from './metrics-histogram';
import { nodeObservations } from './metrics-node';
import { Role } from './raft';
import type { Server } from './server';

/**
 * The Prometheus endpoint (--metrics-port): GET /metrics in the text
 * exposition format 0.0.4, rendered from the same counters INFO prints, only
 * when scraped. Names follow oliver006/redis_exporter where it has one
 * (redis_commands_total{cmd}, redis_db_keys{db}, ...), so its dashboards and
 * alerts work; Raft-specific series are raftcache_*.
 */

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Per-command latency as a client sees it from this node: reads and server
 * commands from dispatch to reply; writes until applied here (so it includes
 * replication and the fsync; blocking commands include the time blocked).
 */
export class CommandLatency {
  readonly byCommand = new Map<string, Histogram>();

  observe(command: string, seconds: number): void {
    let h = this.byCommand.get(command);
    if (h === undefined) {
      h = new Histogram(LATENCY_BUCKETS_SECONDS);
      this.byCommand.set(command, h);
    }
    h.observe(seconds);
  }
}

type Labels = Record<string, string>;

/** Label values escaped as the format requires (backslash, double quote, newline). */
function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

function labelText(labels: Labels | undefined, extra?: [string, string]): string {
  const parts: string[] = [];
  if (labels) for (const [k, v] of Object.entries(labels)) parts.push(`${k}="${escapeLabel(v)}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/** Builds the exposition text: each family once (HELP, TYPE), then its samples. */
class Exposition {
  private readonly lines: string[] = [];

  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): this {
    this.lines.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, value: number, labels?: Labels): this {
    this.lines.push(`${name}${labelText(labels)} ${formatValue(value)}`);
    return this;
  }

  /** One metric of a histogram family: cumulative `le` buckets, _sum, _count. */
  histogram(name: string, h: Histogram, labels?: Labels): this {
    let cumulative = 0;
    h.bounds.forEach((bound, i) => {
      cumulative += h.counts[i];
      this.lines.push(`${name}_bucket${labelText(labels, ['le', formatValue(bound)])} ${cumulative}`);
    });
    cumulative += h.counts[h.bounds.length];
    this.lines.push(`${name}_bucket${labelText(labels, ['le', '+Inf'])} ${cumulative}`);
    this.lines.push(`${name}_sum${labelText(labels)} ${formatValue(h.sum)}`);
    this.lines.push(`${name}_count${labelText(labels)} ${h.count}`);
    return this;
  }

  /** A gauge or counter family with one sample. */
  one(name: string, type: 'counter' | 'gauge', help: string, value: number): this {
    return this.family(name, type, help).sample(name, value);
  }

  text(): string {
    return this.lines.join('\n') + '\n';
  }
}

function serverMetrics(e: Exposition, s: Server): void {
  const uptime = Math.floor((Date.now() - s.startedAt) / 1000);
  const role = s.cluster && s.cluster.status().role !== Role.Leader ? 'slave' : 'master';
  e.family('redis_instance_info', 'gauge', 'Information about the instance (value 1)').sample('redis_instance_info', 1, {
    role,
    redis_version: REDIS_COMPAT_VERSION,
    raftcache_version: RAFTCACHE_VERSION,
    redis_mode: 'standalone',
    tcp_port: String(s.port),
    run_id: s.runId,
    process_id: String(process.pid),
  });
  e.one('redis_up', 'gauge', 'Whether the instance answers (always 1 when this endpoint answers)', 1);
  e.one('redis_uptime_in_seconds', 'gauge', 'Seconds since the server started', uptime);
  e.one('redis_start_time_seconds', 'gauge', 'Start time of the server since the Unix epoch, in seconds', Math.floor(s.startedAt / 1000));
  e.one('redis_connected_clients', 'gauge', 'Client connections', s.clients.size);
  e.one('redis_blocked_clients', 'gauge', 'Clients waiting in a blocking command', s.blockedClients.size);
  e.one('redis_config_maxclients', 'gauge', 'maxclients setting', s.config.maxclients);

  const mem = process.memoryUsage();
  e.one('redis_memory_used_bytes', 'gauge', 'used_memory: bytes of live data (what maxmemory acts on)', s.keyspace.usedBytes);
  e.one('redis_memory_used_rss_bytes', 'gauge', 'Resident set size of the process', mem.rss);
  e.one('redis_memory_max_bytes', 'gauge', 'maxmemory setting (0: no limit)', s.config.maxmemory);
  e.one('raftcache_node_heap_used_bytes', 'gauge', "V8's used heap", mem.heapUsed);

  const st = s.stats;
  e.one('redis_connections_received_total', 'counter', 'Connections accepted', st.totalConnectionsReceived);
  e.one('redis_rejected_connections_total', 'counter', 'Connections refused (maxclients)', st.rejectedConnections);
  e.one('redis_commands_processed_total', 'counter', 'Commands processed', st.totalCommandsProcessed);
  e.one('redis_expired_keys_total', 'counter', 'Keys deleted on expiry', st.expiredKeys);
  e.one('redis_evicted_keys_total', 'counter', 'Keys evicted by maxmemory', st.evictedKeys);
  e.one('redis_net_input_bytes_total', 'counter', 'Bytes read from clients', st.netInputBytes);
  e.one('redis_net_output_bytes_total', 'counter', 'Bytes written to clients', st.netOutputBytes);
  e.one('redis_keyspace_hits_total', 'counter', 'Key lookups that found the key', st.keyspaceHits);
  e.one('redis_keyspace_misses_total', 'counter', 'Key lookups that did not find the key', st.keyspaceMisses);
  e.one('redis_total_error_replies', 'counter', 'Error replies sent to clients', st.totalErrorReplies);
  const cpu = process.cpuUsage();
  e.one('redis_cpu_sys_seconds_total', 'counter', 'System CPU time of the process', cpu.system / 1e6);
  e.one('redis_cpu_user_seconds_total', 'counter', 'User CPU time of the process', cpu.user / 1e6);

  const cmds = [...st.commands].filter(([, c]) => c.calls > 0 || c.rejectedCalls > 0);
  e.family('redis_commands_total', 'counter', 'Calls per command (INFO commandstats calls)');
  for (const [cmd, c] of cmds) e.sample('redis_commands_total', c.calls, { cmd });
  e.family('redis_commands_duration_seconds_total', 'counter', 'Time spent per command, as INFO commandstats usec (writes: until proposed)');
  for (const [cmd, c] of cmds) e.sample('redis_commands_duration_seconds_total', c.usec / 1e6, { cmd });
  e.family('redis_commands_rejected_calls_total', 'counter', 'Calls refused before execution per command (arity, auth, ...)');
  for (const [cmd, c] of cmds) e.sample('redis_commands_rejected_calls_total', c.rejectedCalls, { cmd });
  e.family('redis_commands_failed_calls_total', 'counter', 'Calls answered with an error per command');
  for (const [cmd, c] of cmds) e.sample('redis_commands_failed_calls_total', c.failedCalls, { cmd });
  e.family('redis_errors_total', 'counter', 'Error replies per error code (INFO errorstats)');
  for (const [err, n] of st.errors.byCode) e.sample('redis_errors_total', n, { err });

  if (s.metricsLatency) {
    e.family('raftcache_command_latency_seconds', 'histogram', 'Command latency seen from this node: reads from dispatch to reply, writes until applied here');
    for (const [cmd, h] of s.metricsLatency.byCommand) e.histogram('raftcache_command_latency_seconds', h, { cmd });
  }

  e.family('redis_db_keys', 'gauge', 'Keys per database');
  s.keyspace.dbs.forEach((db, i) => e.sample('redis_db_keys', db.size(), { db: `db${i}` }));
  e.family('redis_db_keys_expiring', 'gauge', 'Keys with an expiry per database');
  s.keyspace.dbs.forEach((db, i) => e.sample('redis_db_keys_expiring', db.expiresCount(), { db: `db${i}` }));
}

const ROLES = ['follower', 'pre-candidate', 'candidate', 'leader', 'learner'];

function raftMetrics(e: Exposition, s: Server): void {
  const c = s.cluster;
  if (!c) return;
  const st = c.status();
  const conf = c.confState();
  const stats = c.storage.stats();
  const role = conf.learners.includes(st.id) ? 'learner' : st.role;
  e.family('raftcache_raft_role', 'gauge', 'This node\'s Raft role (1 for the current one)');
  for (const r of ROLES) e.sample('raftcache_raft_role', r === role ? 1 : 0, { role: r });
  e.one('raftcache_raft_is_leader', 'gauge', '1 on the leader', st.role === Role.Leader ? 1 : 0);
  e.one('raftcache_raft_node_id', 'gauge', 'This node\'s Raft id', st.id);
  e.one('raftcache_raft_leader_id', 'gauge', 'The leader this node knows (0: none)', st.leader);
  e.one('raftcache_raft_term', 'gauge', 'Current term', st.term);
  e.one('raftcache_raft_commit_index', 'gauge', 'Highest log index known committed', st.commit);
  e.one('raftcache_raft_applied_index', 'gauge', 'Highest log index applied to the keyspace', s.fsm.appliedIndex);
  e.one('raftcache_raft_first_index', 'gauge', 'First index still in the log', st.firstIndex);
  e.one('raftcache_raft_last_index', 'gauge', 'Last index in the log', st.lastIndex);
  e.one('raftcache_raft_snapshot_index', 'gauge', 'Applied index of the durable keyspace copy (the snapshot)', c.storage.keyspace.snapshotMeta().index);
  e.one('raftcache_raft_voters', 'gauge', 'Voting members', conf.voters.length);
  e.one('raftcache_raft_learners', 'gauge', 'Learners', conf.learners.length);
  e.one('raftcache_raft_lease_valid', 'gauge', '1 while the leader lease holds (leader only)', st.role === Role.Leader && st.leaseValidUntilTick > st.tick ? 1 : 0);
  e.one('raftcache_raft_disk_error', 'gauge', '1 while the disk refuses writes (-MISCONF)', c.diskError ? 1 : 0);
  e.one('raftcache_log_bytes', 'gauge', 'Bytes of the Raft log', stats.logBytes);
  e.one('raftcache_storage_file_bytes', 'gauge', 'Bytes of the data files (log segments and data.mdb)', stats.fileBytes);
  e.one('raftcache_keyspace_copy_bytes', 'gauge', 'Bytes in use by the durable keyspace copy', stats.keyspaceBytes);
  e.one('raftcache_keyspace_copy_records', 'gauge', 'Records in the durable keyspace copy', stats.keyspaceRecords);

  if (st.role === Role.Leader) {
    const peers = c.transport?.stats();
    e.family('raftcache_raft_follower_match_index', 'gauge', 'Highest index known replicated on each follower (leader only)');
    for (const p of st.progress) e.sample('raftcache_raft_follower_match_index', p.match, { follower: String(p.id) });
    e.family('raftcache_raft_follower_lag_entries', 'gauge', 'Entries the leader has that each follower lacks (as INFO raft lag)');
    for (const p of st.progress) e.sample('raftcache_raft_follower_lag_entries', Math.max(0, st.lastIndex - p.match), { follower: String(p.id) });
    e.family('raftcache_raft_follower_connected', 'gauge', '1 while the peer link to each follower is up (leader only)');
    for (const p of st.progress) e.sample('raftcache_raft_follower_connected', peers?.get(p.id)?.connected ? 1 : 0, { follower: String(p.id) });
  }

  const o = nodeObservations;
  e.family('raftcache_log_fsync_seconds', 'histogram', 'Durable write of one batch of log entries (segment write + fdatasync)');
  e.histogram('raftcache_log_fsync_seconds', o.logPersist);
  e.family('raftcache_keyspace_flush_seconds', 'histogram', 'One write of the durable keyspace copy (encode + LMDB commit)');
  e.histogram('raftcache_keyspace_flush_seconds', o.keyspaceFlush);
  e.one('raftcache_keyspace_flush_records_total', 'counter', 'Records written to the durable keyspace copy', o.keyspaceFlushRecords);
  e.one('raftcache_snapshots_sent_total', 'counter', 'Snapshots streamed to followers', o.snapshotsSent);
  e.one('raftcache_snapshot_sent_bytes_total', 'counter', 'Bytes of snapshots streamed to followers', o.snapshotSentBytes);
  e.family('raftcache_snapshot_install_seconds', 'histogram', 'Installing a received snapshot (switch to the staged copy and reload)');
  e.histogram('raftcache_snapshot_install_seconds', o.snapshotInstall);

  const p = c.persistence();
  e.one('redis_rdb_last_save_timestamp_seconds', 'gauge', 'Last write of the durable keyspace copy', Math.floor(p.lastSaveMs / 1000));
  e.one('redis_rdb_changes_since_last_save', 'gauge', 'Applied writes not yet in the durable keyspace copy', p.changesSinceSave);
}

/** The whole exposition for one scrape. */
export function renderMetrics(s: Server): string {
  const e = new Exposition();
  serverMetrics(e, s);
  raftMetrics(e, s);
  return e.text();
}

/** The HTTP listener: GET (or HEAD) /metrics, 404 for anything else. */
export class MetricsEndpoint {
  private readonly http: http.Server;

  constructor(private readonly server: Server) {
    this.http = http.createServer((req, res) => this.handle(req, res));
    // A scraper holding a keep-alive connection must not delay shutdown.
    this.http.keepAliveTimeout = 5000;
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => {
        this.http.off('error', reject);
        resolve((this.http.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
      return;
    }
    let body: string;
    try {
      body = renderMetrics(this.server);
    } catch (err) {
      this.server.log.error({ err }, 'rendering metrics failed');
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('error rendering metrics\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body) }).end(req.method === 'HEAD' ? undefined : body);
  }
}
