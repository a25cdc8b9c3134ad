import { readFileSync } from 'node:fs';
import { parseBytes } from './config-bytes';
import { DEFAULT_OUTPUT_LIMITS, updateOutputLimits } from './output-limits';

/**
 * Every server setting, once: command-line flags (`--port 7000`), the config
 * file (`port 7000`, Redis style) and CONFIG GET/SET all read this table.
 */
export interface ServerConfig {
  port: number;
  bind: string;
  dir: string;
  requirepass: string;
  'proto-max-bulk-len': number;
  maxclients: number;
  'loglevel': string;
  databases: number;
  'node-id': number;
  'peer-port': number;
  'peer-bind': string;
  members: string;
  join: string;
  'cluster-secret': string;
  'cluster-secret-file': string;
  'protected-mode': string;
  'exit-on-stdin-close': string;
  'tick-ms': number;
  'election-ticks': number;
  'heartbeat-ticks': number;
  sync: string;
  'read-mode': string;
  'write-timeout-ms': number;
  'snapshot-entries': number;
  'log-tail': number;
  'disk-reserve': number;
  'log-segment-size': number;
  'slowlog-log-slower-than': number;
  'slowlog-max-len': number;
  'acllog-max-len': number;
  'tracking-table-max-keys': number;
  aclfile: string;
  'tls-port': number;
  'tls-cert-file': string;
  'tls-key-file': string;
  'tls-ca-cert-file': string;
  'tls-auth-clients': string;
  'tls-cluster': string;
  maxmemory: number;
  'maxmemory-policy': string;
  timeout: number;
  'client-query-buffer-limit': number;
  'client-output-buffer-limit': string;
  'hash-max-listpack-entries': number;
  'hash-max-listpack-value': number;
  'set-max-intset-entries': number;
  'zset-max-listpack-entries': number;
  'zset-max-listpack-value': number;
  'list-max-listpack-size': number;
  'list-compress-depth': number;
  'hll-sparse-max-bytes': number;
  'metrics-port': number;
  'metrics-bind': string;
  'latency-monitor-threshold': number;
  'enable-debug-command': string;
}

/** Redis 7.0 still accepts the ziplist names of the listpack options. */
export const OPTION_ALIASES: Record<string, keyof ServerConfig> = {
  'hash-max-ziplist-entries': 'hash-max-listpack-entries',
  'hash-max-ziplist-value': 'hash-max-listpack-value',
  'zset-max-ziplist-entries': 'zset-max-listpack-entries',
  'zset-max-ziplist-value': 'zset-max-listpack-value',
  'list-max-ziplist-size': 'list-max-listpack-size',
};

type Kind = 'int' | 'string' | 'bytes' | 'enum';

/** Redis's log level names, accepted for loglevel and mapped onto pino's. */
const REDIS_LOG_LEVELS: Record<string, string> = { verbose: 'debug', notice: 'info', warning: 'warn', nothing: 'silent' };

/** The pino level for a loglevel value (Redis names map to the nearest pino level). */
export function pinoLevel(loglevel: string): string {
  return REDIS_LOG_LEVELS[loglevel] ?? loglevel;
}

export interface OptionSpec {
  name: keyof ServerConfig;
  kind: Kind;
  default: string | number;
  help: string;
  /** Can be changed with CONFIG SET at run time. */
  mutable: boolean;
  /**
   * Never read or set through CONFIG (GET does not list it, SET does not know
   * it): a secret that also lets its holder act as a peer. requirepass is not
   * one: Redis shows it to authenticated clients, and so do we.
   */
  notInConfigCommand?: boolean;
  min?: number;
  max?: number;
  /** Allowed values of an 'enum' option. */
  values?: string[];
  /** A 'string' option with a syntax of its own: the new value from the current one and the given text (throws on bad input). */
  update?: (current: string, raw: string) => string;
}

export const OPTIONS: OptionSpec[] = [
  { name: 'port', kind: 'int', default: 6379, min: 0, max: 65535, mutable: false, help: 'TCP port for Redis clients' },
  { name: 'bind', kind: 'string', default: '127.0.0.1', mutable: false, help: 'address to listen on for clients' },
  { name: 'dir', kind: 'string', default: './data/node', mutable: false, help: 'data directory of this node' },
  { name: 'requirepass', kind: 'string', default: '', mutable: true, help: 'password clients must AUTH with (empty: none)' },
  { name: 'proto-max-bulk-len', kind: 'bytes', default: 512 * 1024 * 1024, min: 1024 * 1024, mutable: true, help: 'largest bulk string a client may send' },
  { name: 'maxclients', kind: 'int', default: 10000, min: 1, mutable: true, help: 'most client connections at once' },
  {
    name: 'loglevel',
    kind: 'enum',
    values: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent', ...Object.keys(REDIS_LOG_LEVELS)],
    default: 'info',
    mutable: true,
    help: `log level: trace, debug, info, warn, error, fatal, silent (Redis's ${Object.keys(REDIS_LOG_LEVELS).join(', ')} are accepted too)`,
  },
  { name: 'databases', kind: 'int', default: 16, min: 1, max: 16, mutable: false, help: 'number of logical databases (SELECT 0..n-1)' },
  { name: 'node-id', kind: 'int', default: 1, min: 1, max: 2 ** 31, mutable: false, help: 'this node\'s Raft id (unique in the cluster)' },
  { name: 'peer-port', kind: 'int', default: 0, min: 0, max: 65535, mutable: false, help: 'port for Raft traffic between nodes (0: client port + 10000)' },
  {
    name: 'peer-bind',
    kind: 'string',
    default: '',
    mutable: false,
    help: "address for Raft traffic (empty: this node's host in --members when that is a loopback address, else --bind)",
  },
  {
    name: 'members',
    kind: 'string',
    default: '',
    mutable: false,
    help: 'initial cluster, id@host:port:peerport,... (empty: a one-node cluster); read on first start only',
  },
  { name: 'join', kind: 'enum', values: ['no', 'yes'], default: 'no', mutable: false, help: 'start empty and wait to be added with RAFT.NODE ADD' },
  {
    name: 'cluster-secret',
    kind: 'string',
    default: '',
    mutable: false,
    notInConfigCommand: true,
    help: 'shared secret peers authenticate with (required with peers); visible in `ps` when given as a flag: prefer --cluster-secret-file or a config file',
  },
  {
    name: 'cluster-secret-file',
    kind: 'string',
    default: '',
    mutable: false,
    help: 'file holding the cluster secret (first line; keep it mode 0600)',
  },
  {
    name: 'protected-mode',
    kind: 'enum',
    values: ['yes', 'no'],
    default: 'yes',
    mutable: true,
    help: 'without requirepass, refuse clients that do not connect from the loopback interface (as Redis)',
  },
  {
    name: 'exit-on-stdin-close',
    kind: 'enum',
    values: ['no', 'yes'],
    default: 'no',
    mutable: false,
    help: 'shut down cleanly when standard input reaches its end (npm start uses it so nodes never outlive it)',
  },
  { name: 'tick-ms', kind: 'int', default: 50, min: 1, max: 10000, mutable: false, help: 'length of one Raft tick' },
  { name: 'election-ticks', kind: 'int', default: 10, min: 2, max: 1000, mutable: false, help: 'ticks without a leader before an election (randomised up to 2x)' },
  { name: 'heartbeat-ticks', kind: 'int', default: 1, min: 1, max: 1000, mutable: false, help: 'ticks between leader heartbeats' },
  {
    name: 'sync',
    kind: 'enum',
    values: ['always', 'batch', 'none'],
    default: 'always',
    mutable: false,
    help: 'fsync policy: always (no acknowledged write lost), batch (background fsync; a machine crash may lose the last moments), none',
  },
  {
    name: 'read-mode',
    kind: 'enum',
    values: ['local', 'lease', 'linearizable'],
    default: 'local',
    mutable: true,
    help: 'default read consistency: local, lease (leader lease) or linearizable (ReadIndex); per connection: CLIENT READMODE',
  },
  { name: 'write-timeout-ms', kind: 'int', default: 5000, min: 1, mutable: true, help: 'how long a write waits for a leader before -CLUSTERDOWN' },
  { name: 'snapshot-entries', kind: 'int', default: 50000, min: 10, mutable: true, help: 'compact the log once this many entries are covered by the durable keyspace' },
  { name: 'log-tail', kind: 'int', default: 10000, min: 0, mutable: true, help: 'entries kept after compaction for followers that lag a little' },
  { name: 'slowlog-log-slower-than', kind: 'int', default: 10000, min: -1, mutable: true, help: 'SLOWLOG records commands that ran at least this many microseconds (negative: none)' },
  { name: 'slowlog-max-len', kind: 'int', default: 128, min: 0, mutable: true, help: 'how many entries SLOWLOG keeps' },
  { name: 'tracking-table-max-keys', kind: 'int', default: 1000000, min: 0, mutable: true, help: 'keys CLIENT TRACKING remembers before invalidating the oldest (0: no limit)' },
  { name: 'acllog-max-len', kind: 'int', default: 128, min: 0, mutable: true, help: 'how many entries ACL LOG keeps' },
  { name: 'aclfile', kind: 'string', default: '', mutable: false, help: 'file of ACL users (ACL LOAD / ACL SAVE); loaded into the replicated users at startup when set' },
  { name: 'metrics-port', kind: 'int', default: 0, min: 0, max: 65535, mutable: false, help: 'HTTP port serving Prometheus metrics at GET /metrics (0: off)' },
  { name: 'metrics-bind', kind: 'string', default: '127.0.0.1', mutable: false, help: 'address the metrics endpoint listens on (no authentication: keep it private)' },
  {
    name: 'disk-reserve',
    kind: 'bytes',
    default: 64 * 1024 * 1024,
    min: 0,
    mutable: false,
    help: 'disk space kept allocated ahead of the data file, so a full disk refuses writes (-MISCONF) before the store runs out (0: off)',
  },
  {
    name: 'log-segment-size',
    kind: 'bytes',
    default: 16 * 1024 * 1024,
    min: 64 * 1024,
    mutable: false,
    help: 'size of a Raft log segment file (allocated in full; the next one is zero-filled while the current one fills)',
  },
  { name: 'hash-max-listpack-entries', kind: 'int', default: 128, min: 0, mutable: true, help: 'a hash with more fields than this is stored as a hashtable (OBJECT ENCODING)' },
  { name: 'hash-max-listpack-value', kind: 'int', default: 64, min: 0, mutable: true, help: 'a hash with a field or value longer than this is stored as a hashtable' },
  { name: 'set-max-intset-entries', kind: 'int', default: 512, min: 0, mutable: true, help: 'a set of integers with more members than this is stored as a hashtable' },
  { name: 'zset-max-listpack-entries', kind: 'int', default: 128, min: 0, mutable: true, help: 'a sorted set with more members than this is stored as a skiplist' },
  { name: 'zset-max-listpack-value', kind: 'int', default: 64, min: 0, mutable: true, help: 'a sorted set with a member longer than this is stored as a skiplist' },
  { name: 'list-max-listpack-size', kind: 'int', default: -2, min: -5, mutable: true, help: 'list node size (Redis compatibility; lists are always quicklists here)' },
  { name: 'latency-monitor-threshold', kind: 'int', default: 0, min: 0, max: 2 ** 53 - 1, mutable: true, help: 'LATENCY records events (commands, fsync, keyspace flush, loop stalls) of at least this many ms (0: off)' },
  { name: 'enable-debug-command', kind: 'enum', values: ['no', 'yes', 'local'], default: 'no', mutable: false, help: 'allow DEBUG: no, yes, or local (loopback clients only)' },
  { name: 'list-compress-depth', kind: 'int', default: 0, min: 0, mutable: true, help: 'list node compression depth (Redis compatibility; not compressed here)' },
  { name: 'hll-sparse-max-bytes', kind: 'bytes', default: 3000, min: 0, mutable: true, help: 'a sparse HyperLogLog growing past this many bytes is converted to dense; it decides the bytes PFADD/PFMERGE store, so give every node the same value' },
  { name: 'maxmemory', kind: 'bytes', default: 0, min: 0, mutable: true, help: 'memory limit for the data set (0: none); the leader evicts or refuses writes beyond it' },
  {
    name: 'maxmemory-policy',
    kind: 'enum',
    values: ['noeviction', 'allkeys-lru', 'volatile-lru', 'allkeys-random', 'volatile-random', 'volatile-ttl'],
    default: 'noeviction',
    mutable: true,
    help: 'what the leader does at maxmemory: refuse writes (noeviction) or evict (lru = least recently written)',
  },
  { name: 'timeout', kind: 'int', default: 0, min: 0, max: 2147483647, mutable: true, help: 'close a client idle for this many seconds (0: never; not subscribed or blocked clients)' },
  {
    name: 'client-query-buffer-limit',
    kind: 'bytes',
    default: 1024 ** 3,
    min: 1024 * 1024,
    mutable: true,
    help: 'close a client whose incomplete request holds more memory than this',
  },
  {
    name: 'client-output-buffer-limit',
    kind: 'string',
    default: DEFAULT_OUTPUT_LIMITS,
    mutable: true,
    update: updateOutputLimits,
    help: 'per class (normal, slave, pubsub): hard limit, soft limit, soft seconds of output queued for a client before it is closed',
  },
  { name: 'tls-port', kind: 'int', default: 0, min: 0, max: 65535, mutable: false, help: 'also accept TLS clients on this port (0: off)' },
  { name: 'tls-cert-file', kind: 'string', default: '', mutable: false, help: 'PEM certificate for TLS (clients and peers)' },
  { name: 'tls-key-file', kind: 'string', default: '', mutable: false, help: 'PEM private key for TLS' },
  { name: 'tls-ca-cert-file', kind: 'string', default: '', mutable: false, help: 'PEM CA that signs peer (and client) certificates' },
  { name: 'tls-auth-clients', kind: 'enum', values: ['no', 'yes'], default: 'no', mutable: false, help: 'require TLS clients to present a certificate signed by the CA' },
  { name: 'tls-cluster', kind: 'enum', values: ['no', 'yes'], default: 'no', mutable: false, help: 'use TLS (with verified certificates) between peers' },
];

export class ConfigError extends Error {}

export function defaultConfig(): ServerConfig {
  const c: Record<string, string | number> = {};
  for (const o of OPTIONS) c[o.name] = o.default;
  return c as unknown as ServerConfig;
}

export function findOption(name: string): OptionSpec | undefined {
  const lower = name.toLowerCase();
  return OPTIONS.find((o) => o.name === (OPTION_ALIASES[lower] ?? lower));
}

export { parseBytes };

/** Validates and converts a value for an option; throws ConfigError with a clear message. */
export function parseOptionValue(spec: OptionSpec, raw: string, current?: string | number): string | number {
  if (spec.kind === 'string') {
    if (spec.update === undefined) return raw;
    try {
      return spec.update(String(current ?? spec.default), raw);
    } catch (e) {
      throw new ConfigError((e as Error).message);
    }
  }
  if (spec.kind === 'enum') {
    const v = raw.toLowerCase();
    if (!spec.values!.includes(v)) {
      // Redis's words: yes/no options are booleans there, the others enums.
      if (spec.values!.length === 2 && spec.values!.includes('yes') && spec.values!.includes('no')) throw new ConfigError("argument must be 'yes' or 'no'");
      throw new ConfigError(`argument(s) must be one of the following: ${spec.values!.join(', ')}`);
    }
    return v;
  }
  const n = spec.kind === 'bytes' ? parseBytes(raw) : /^-?\d+$/.test(raw) ? Number(raw) : undefined;
  if (n === undefined || !Number.isSafeInteger(n)) throw new ConfigError(`argument couldn't be parsed into an integer`);
  if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
    throw new ConfigError(`argument must be between ${spec.min ?? '-inf'} and ${spec.max ?? 'inf'} inclusive`);
  }
  return n;
}

function setOption(config: ServerConfig, name: string, raw: string, where: string): void {
  const spec = findOption(name);
  if (!spec) throw new ConfigError(`${where}: unknown option '${name}' (see --help)`);
  try {
    const values = config as unknown as Record<string, string | number>;
    values[spec.name] = parseOptionValue(spec, raw, values[spec.name]);
  } catch (e) {
    throw new ConfigError(`${where}: invalid value '${raw}' for '${name}': ${(e as Error).message}`);
  }
}

/** Reads a Redis-style config file: `name value` per line, `#` comments, quoted values. */
export function applyConfigFile(config: ServerConfig, path: string): void {
  const text = readFileSync(path, 'utf8');
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    const m = /^(\S+)\s+(?:"((?:[^"\\]|\\.)*)"|(.*))$/.exec(t);
    if (!m) throw new ConfigError(`${path}:${i + 1}: expected 'name value'`);
    setOption(config, m[1], m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3].trim(), `${path}:${i + 1}`);
  });
}

export interface ParsedArgs {
  config: ServerConfig;
  help: boolean;
}

/** Parses `[configfile] [--name value]...`; later sources override earlier ones. */
export function parseArgs(argv: string[]): ParsedArgs {
  const config = defaultConfig();
  let help = false;
  let i = 0;
  if (argv[0] !== undefined && !argv[0].startsWith('--')) applyConfigFile(config, argv[i++]);
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      help = true;
      continue;
    }
    if (!a.startsWith('--')) throw new ConfigError(`unexpected argument '${a}' (options look like --port 7000; see --help)`);
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    let value: string;
    if (eq > 0) value = a.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw new ConfigError(`option --${name} needs a value`);
      value = argv[++i];
    }
    setOption(config, name, value, `--${name}`);
  }
  return { config, help };
}

export function helpText(): string {
  const lines = [
    'Usage: raftcache-server [configfile] [--option value]...',
    '',
    'Starts one raftcache node speaking the Redis protocol.',
    'A config file holds the same options as `name value` lines (Redis style).',
    '',
    'Options:',
  ];
  for (const o of OPTIONS) {
    lines.push(`  --${o.name.padEnd(22)} ${o.help} (default: ${o.default === '' ? '""' : o.default})`);
  }
  lines.push('  --help                   show this help');
  return lines.join('\n');
}
