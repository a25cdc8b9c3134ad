import { readFileSync } from 'node:fs';

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
}

type Kind = 'int' | 'string' | 'bytes';

interface OptionSpec {
  name: keyof ServerConfig;
  kind: Kind;
  default: string | number;
  help: string;
  /** Can be changed with CONFIG SET at run time. */
  mutable: boolean;
  /** Hidden from CONFIG GET output values (requirepass is shown as Redis does). */
  min?: number;
  max?: number;
}

export const OPTIONS: OptionSpec[] = [
  { name: 'port', kind: 'int', default: 6379, min: 0, max: 65535, mutable: false, help: 'TCP port for Redis clients' },
  { name: 'bind', kind: 'string', default: '127.0.0.1', mutable: false, help: 'address to listen on for clients' },
  { name: 'dir', kind: 'string', default: './data/node', mutable: false, help: 'data directory of this node' },
  { name: 'requirepass', kind: 'string', default: '', mutable: true, help: 'password clients must AUTH with (empty: none)' },
  { name: 'proto-max-bulk-len', kind: 'bytes', default: 512 * 1024 * 1024, min: 1024 * 1024, mutable: true, help: 'largest bulk string a client may send' },
  { name: 'maxclients', kind: 'int', default: 10000, min: 1, mutable: true, help: 'most client connections at once' },
  { name: 'loglevel', kind: 'string', default: 'info', mutable: true, help: 'log level: debug, info, warn, error' },
  { name: 'databases', kind: 'int', default: 16, min: 1, max: 16, mutable: false, help: 'number of logical databases (SELECT 0..n-1)' },
];

export class ConfigError extends Error {}

export function defaultConfig(): ServerConfig {
  const c: Record<string, string | number> = {};
  for (const o of OPTIONS) c[o.name] = o.default;
  return c as unknown as ServerConfig;
}

export function findOption(name: string): OptionSpec | undefined {
  return OPTIONS.find((o) => o.name === name.toLowerCase());
}

/** Parses `1gb`, `512mb`, `100k`, `42` as Redis memtoll does (k=1000, kb=1024). */
export function parseBytes(s: string): number | undefined {
  const m = /^(-?\d+)(k|kb|m|mb|g|gb)?$/i.exec(s.trim());
  if (!m) return undefined;
  const mult: Record<string, number> = { k: 1e3, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 };
  return Number(m[1]) * (m[2] ? mult[m[2].toLowerCase()] : 1);
}

/** Validates and converts a value for an option; throws ConfigError with a clear message. */
export function parseOptionValue(spec: OptionSpec, raw: string): string | number {
  if (spec.kind === 'string') return raw;
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
    (config as unknown as Record<string, string | number>)[spec.name] = parseOptionValue(spec, raw);
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
