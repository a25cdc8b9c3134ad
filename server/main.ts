import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import type { SyncMode } from '../storage/lmdb';
import { openNodeStorage } from '../storage/node-storage';
import { monitorEventLoop } from './loop-monitor';
import { memoryReducerWarning, poolSizeWarning } from './node-flags';
import { ConfigError, helpText, parseArgs, pinoLevel, type ServerConfig } from './config';
import { loadClusterSecret } from './cluster-secret';
import { isLoopbackAddress } from './protected-mode';
import { CommandLatency, MetricsEndpoint } from './metrics';
import { runForwardedAdmin } from './commands/cluster';
import { buildCommandTable } from './commands/registry';
import { aclCatalog } from './acl/catalog';
import { proposeAclFile, readAclFileChecked } from './acl/startup';
import { StateMachine } from './fsm';
import { Keyspace } from './keyspace';
import { createLogger } from './log';
import { MembersError, parseMembers, type ClusterMember } from './members';
import { RaftReplicator } from './raft-replicator';
import { Server } from './server';

interface ClusterPlan {
  members: ClusterMember[];
  peerPort: number;
  peerHost: string;
  tls: { key: Buffer; cert: Buffer; ca: Buffer | undefined } | undefined;
}

/** Reads the tls-* files when TLS is asked for; clear errors for missing ones. */
function loadTls(config: ServerConfig): ClusterPlan['tls'] {
  const wanted = config['tls-port'] !== 0 || config['tls-cluster'] === 'yes';
  if (!wanted) return undefined;
  const read = (opt: 'tls-cert-file' | 'tls-key-file' | 'tls-ca-cert-file', required: boolean): Buffer | undefined => {
    const file = config[opt];
    if (file === '') {
      if (required) throw new ConfigError(`TLS needs --${opt}`);
      return undefined;
    }
    try {
      return readFileSync(file);
    } catch (e) {
      throw new ConfigError(`--${opt} ${file}: ${(e as Error).message}`);
    }
  };
  const needCa = config['tls-cluster'] === 'yes' || config['tls-auth-clients'] === 'yes';
  return { cert: read('tls-cert-file', true)!, key: read('tls-key-file', true)!, ca: read('tls-ca-cert-file', needCa) };
}

/** Checks the cluster flags together; throws ConfigError with what to fix. */
function planCluster(config: ServerConfig): ClusterPlan {
  let members: ClusterMember[];
  try {
    members = parseMembers(config.members);
  } catch (e) {
    throw new ConfigError((e as MembersError).message);
  }
  const id = config['node-id'];
  const join = config.join === 'yes';
  const self = members.find((m) => m.id === id);
  if (members.length > 0 && !self && !join) {
    throw new ConfigError(`--members does not list this node (--node-id ${id}); add it, or start with --join yes to be added later`);
  }
  if (join && members.length === 0) throw new ConfigError('--join yes needs --members (the cluster\'s bootstrap membership)');
  const peerPort = config['peer-port'] || self?.peerPort || (config.port ? config.port + 10000 : 0);
  if ((members.length > 1 || join) && config['cluster-secret'] === '') {
    throw new ConfigError('a cluster needs --cluster-secret (the same on every node)');
  }
  if (self && config['peer-port'] && self.peerPort !== config['peer-port']) {
    throw new ConfigError(`--peer-port ${config['peer-port']} differs from this node's entry in --members (${self.peerPort})`);
  }
  // A node listed at a loopback address (npm start, tests) needs its peer port nowhere else, whatever --bind says.
  const peerHost = config['peer-bind'] || (self && isLoopbackAddress(self.host) ? self.host : config.bind);
  return { members, peerPort, peerHost, tls: loadTls(config) };
}

/** A process that exists and is not a zombie (containers often leave killed children unreaped). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

/** Refuses to share a data directory with a live process (two nodes on one log would diverge). */
/**
 * Claims dir with a pid file. A read-only data directory cannot hold one, and
 * needs none (no process can write it): the node then serves reads and
 * answers writes -MISCONF.
 */
function lockDataDir(dir: string): { unlock: () => void; readOnly: boolean } {
  const file = path.join(dir, 'raftcache.pid');
  try {
    const pid = Number(readFileSync(file, 'utf8'));
    if (pid && pid !== process.pid && processAlive(pid)) {
      throw new ConfigError(`data directory ${dir} is in use by process ${pid}`);
    }
  } catch (e) {
    if (e instanceof ConfigError) throw e;
  }
  try {
    writeFileSync(file, String(process.pid));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') return { unlock: () => undefined, readOnly: true };
    throw new ConfigError(`cannot write to data directory ${dir}: ${(e as Error).message}`);
  }
  return { unlock: () => rmSync(file, { force: true }), readOnly: false };
}

function makeDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new ConfigError(`cannot create data directory ${dir}: ${(e as Error).message}`);
  }
}

/** Starts one node from command-line arguments; resolves once it listens. */
export async function main(argv: string[]): Promise<Server | undefined> {
  let config: ServerConfig;
  let plan: ClusterPlan;
  let unlock: () => void;
  let readOnlyDir: boolean;
  let secretWarning: string | undefined;
  try {
    const parsed = parseArgs(argv);
    if (parsed.help) {
      process.stdout.write(helpText() + '\n');
      return undefined;
    }
    config = parsed.config;
    secretWarning = loadClusterSecret(config);
    plan = planCluster(config);
    makeDataDir(config.dir);
    ({ unlock, readOnly: readOnlyDir } = lockDataDir(config.dir));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`raftcache-server: ${e.message}\n`);
    process.exitCode = 1;
    return undefined;
  }
  const log = createLogger({ node: config['node-id'], port: config.port }, pinoLevel(config.loglevel));
  if (secretWarning) log.warn(secretWarning);
  const gcThreads = poolSizeWarning(process.execArgv, process.env.NODE_OPTIONS, os.availableParallelism());
  if (gcThreads) log.warn(gcThreads);
  const reducer = memoryReducerWarning(process.execArgv);
  if (reducer) log.warn(reducer);
  const listensForPeers = plan.members.some((m) => m.id !== config['node-id']) || config.join === 'yes';
  if (listensForPeers && !isLoopbackAddress(plan.peerHost) && config['tls-cluster'] !== 'yes') {
    log.warn(
      { peerBind: plan.peerHost, peerPort: plan.peerPort },
      'the peer port listens beyond the loopback interface without TLS: peers authenticate with the cluster secret, but Raft traffic (every write) crosses the network in clear; use --tls-cluster yes, or --peer-bind an address only the cluster can reach',
    );
  }
  if (readOnlyDir) log.warn({ dir: config.dir }, 'data directory is read-only: serving reads, answering writes -MISCONF');

  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception; exiting');
    process.exit(1);
  });
  // A stray rejected promise (e.g. from a library) is a bug to log, not a
  // reason to drop every client; real failures are handled where they happen.
  process.on('unhandledRejection', (err) => {
    log.error({ err }, 'unhandled promise rejection');
  });

  // Half an election timeout of blocking is worth a line in the log. Sampled every
  // 10 ms for LATENCY's event-loop-stall: a stall is seen only when a sample falls
  // due inside it, so at 100 ms only about one 25 ms stall in four was recorded.
  monitorEventLoop(log, { intervalMs: 10, thresholdMs: Math.max(100, (config['tick-ms'] * config['election-ticks']) / 2) });

  const table = buildCommandTable();
  const keyspace = new Keyspace(config.databases);
  // ACL rules name commands and categories: known before the durable copy's users are restored.
  const catalog = aclCatalog(table);
  keyspace.acl.setCatalog(catalog);
  let aclLines: string[] | undefined;
  if (config.aclfile !== '') {
    const r = readAclFileChecked(config.aclfile, catalog);
    if ('error' in r) {
      log.fatal({ aclfile: config.aclfile }, `Aborting startup because of ACL errors: ${r.error}`);
      unlock();
      process.exit(1);
    }
    aclLines = r.lines;
  }
  const fsm = new StateMachine(keyspace, (n) => table.data(n), log);
  let cluster: RaftReplicator;
  try {
    const storage = await openNodeStorage(config.dir, { sync: config.sync as SyncMode, reserveBytes: config['disk-reserve'], segmentBytes: config['log-segment-size'] });
    cluster = new RaftReplicator({
      id: config['node-id'],
      log,
      fsm,
      keyspace,
      storage,
      members: plan.members,
      join: config.join === 'yes',
      secret: config['cluster-secret'],
      peerListen: { host: plan.peerHost, port: plan.peerPort },
      peerTls: config['tls-cluster'] === 'yes' && plan.tls ? { key: plan.tls.key, cert: plan.tls.cert, ca: plan.tls.ca! } : undefined,
      tickMs: config['tick-ms'],
      electionTicks: config['election-ticks'],
      heartbeatTicks: config['heartbeat-ticks'],
      writeTimeoutMs: config['write-timeout-ms'],
      snapshotEntries: config['snapshot-entries'],
      logTail: config['log-tail'],
    });
    await cluster.start();
  } catch (err) {
    log.fatal({ err }, 'could not open the data directory or start raft');
    unlock();
    process.exit(1);
  }
  const server = new Server({ config, log, table, keyspace, fsm, replicator: cluster, cluster });
  server.forwardedAdmin = (args, done) => runForwardedAdmin(server, table, args, done);
  if (plan.tls) server.tlsCredentials = { key: plan.tls.key, cert: plan.tls.cert, ca: plan.tls.ca };

  // Prometheus endpoint (off by default): histograms are kept only while it is on.
  const metrics = config['metrics-port'] > 0 ? new MetricsEndpoint(server) : undefined;
  if (metrics) server.metricsLatency = new CommandLatency();

  let stopping = false;
  const SHUTDOWN_DEADLINE_MS = 10000;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    // Every acknowledged write is already durable, so a shutdown step that hangs (seen once when all
    // three launcher nodes stopped at the same moment) must not keep the process, its ports and its
    // data directory: after SHUTDOWN_DEADLINE_MS it exits anyway, saying which step was pending.
    let step = 'closing client connections';
    setTimeout(() => {
      log.error({ signal, step }, `shutdown did not finish in ${SHUTDOWN_DEADLINE_MS} ms; exiting anyway`);
      unlock();
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    Promise.all([server.close(), metrics?.close()])
      .then(() => {
        step = 'stopping raft (transport, Ready loop, storage)';
        return cluster.close();
      })
      .catch((err: unknown) => log.error({ err }, 'error while shutting down'))
      .finally(() => {
        unlock();
        process.exit(0);
      });
  };
  server.onShutdown = () => stop('SHUTDOWN');
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  if (config['exit-on-stdin-close'] === 'yes') {
    // Started by a supervisor (npm start) holding the other end: when it dies, so does this node.
    process.stdin.on('end', () => stop('stdin closed'));
    process.stdin.on('error', () => stop('stdin closed'));
    process.stdin.resume();
  }

  try {
    // Before the client port: once a node logs it is ready, its metrics answer too.
    if (metrics) {
      const port = await metrics.listen(config['metrics-port'], config['metrics-bind']);
      log.info({ port, bind: config['metrics-bind'] }, 'metrics endpoint listening (GET /metrics)');
    }
    await server.listen();
  } catch (err) {
    log.fatal({ err }, 'could not listen');
    unlock();
    process.exit(1);
  }
  if (aclLines) proposeAclFile(aclLines, (argv, done) => server.submitInternalOp(argv, 2, done), log, () => stopping);
  return server;
}

if (require.main === module) {
  void main(process.argv.slice(2));
}
