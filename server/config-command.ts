/**
 * CONFIG GET / CONFIG SET over the option table (config.ts), with Redis 7's
 * rules: GET matches glob patterns; SET checks every name and value before it
 * changes anything, so a failed SET (even of several parameters) leaves the
 * configuration as it was. Options marked notInConfigCommand (the cluster
 * secret) are neither listed nor settable.
 */
import { globMatch } from './commands/glob';
import { ConfigError, OPTIONS, OPTION_ALIASES, parseOptionValue, type OptionSpec, type ServerConfig } from './config';
import { encodingConfig, type EncodingOption } from './keyspace/object';

/** Redis-compatible parameters we answer but do not act on (redis-benchmark reads save/appendonly). */
const COMPAT_CONFIG: Record<string, string> = {
  save: '',
  appendonly: 'no',
  appendfsync: 'always',
  'cluster-enabled': 'no',
};

const VISIBLE: OptionSpec[] = OPTIONS.filter((o) => !o.notInConfigCommand);
const GET_NAMES: string[] = [...VISIBLE.map((o) => o.name as string), ...Object.keys(COMPAT_CONFIG), ...Object.keys(OPTION_ALIASES)];

function visibleOption(name: string): OptionSpec | undefined {
  const canonical = OPTION_ALIASES[name] ?? name;
  return VISIBLE.find((o) => o.name === canonical);
}

/**
 * CONFIG GET pattern...: the union over every pattern, each parameter once
 * (Redis 7). A name without glob characters is answered under the spelling
 * asked (Redis does: `CONFIG GET MAXCLIENTS`); patterns match case-insensitively.
 */
export function configGet(config: ServerConfig, patterns: Buffer[]): Array<[string, string]> {
  const out = new Map<string, [string, string]>();
  const values = config as unknown as Record<string, string | number>;
  const valueOf = (n: string) => {
    const canonical = OPTION_ALIASES[n] ?? n;
    return values[canonical] === undefined ? COMPAT_CONFIG[canonical] : String(values[canonical]);
  };
  for (const p of patterns) {
    const asked = p.toString('latin1');
    const lower = asked.toLowerCase();
    if (!/[*?[]/.test(lower)) {
      if (GET_NAMES.includes(lower) && !out.has(lower)) out.set(lower, [asked, valueOf(lower)]);
      continue;
    }
    const pattern = Buffer.from(lower, 'latin1');
    for (const n of GET_NAMES) {
      if (out.has(n) || !globMatch(pattern, Buffer.from(n, 'latin1'), false)) continue;
      out.set(n, [n, valueOf(n)]);
    }
  }
  return [...out.values()];
}

/**
 * CONFIG SET name value [name value ...]: validates everything, then stores
 * everything. Returns the Redis error text (without the leading `-`), or the
 * names changed.
 */
export function configSet(config: ServerConfig, args: Buffer[]): { error: string } | { changed: string[] } {
  if (args.length === 0 || args.length % 2 !== 0) return { error: "ERR wrong number of arguments for 'config|set' command" };
  const failed = (name: string, why: string) => ({ error: `ERR CONFIG SET failed (possibly related to argument '${name}') - ${why}` });
  const specs: OptionSpec[] = [];
  // Names first (unknown, immutable, repeated), then values, as Redis does.
  for (let i = 0; i < args.length; i += 2) {
    const given = args[i].toString('latin1'); // Redis names it as given here, by its own name for a bad value
    const spec = visibleOption(given.toLowerCase());
    if (!spec) return { error: `ERR Unknown option or number of arguments for CONFIG SET - '${given}'` };
    if (!spec.mutable) return failed(given, "can't set immutable config");
    if (specs.includes(spec)) return failed(given, 'duplicate parameter');
    specs.push(spec);
  }
  const values = config as unknown as Record<string, string | number>;
  const updates: Array<[string, string | number]> = [];
  for (let i = 0; i < specs.length; i++) {
    try {
      // The current value matters for options that change part of it (client-output-buffer-limit).
      updates.push([specs[i].name, parseOptionValue(specs[i], args[2 * i + 1].toString('latin1'), values[specs[i].name])]);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      return failed(specs[i].name, e.message);
    }
  }
  for (const [k, v] of updates) values[k] = v;
  return { changed: updates.map(([k]) => k) };
}

/** Copies the collection encoding thresholds into the keyspace (at start and after CONFIG SET). */
export function applyEncodingOptions(config: ServerConfig): void {
  for (const name of Object.keys(encodingConfig) as EncodingOption[]) encodingConfig[name] = config[name];
}
