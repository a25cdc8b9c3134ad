/**
 * Where a node's cluster secret comes from: --cluster-secret (or a config
 * file line), or --cluster-secret-file, whose first line is the secret, or
 * else the environment variable RAFTCACHE_CLUSTER_SECRET. A file or the
 * environment keeps the secret out of `ps` and /proc/<pid>/cmdline (a
 * process's environment is readable only by its user and root).
 */
import { readFileSync, statSync } from 'node:fs';
import { ConfigError, type ServerConfig } from './config';

/**
 * Fills config['cluster-secret'] from --cluster-secret-file when given.
 * Returns a warning to log when the file is readable by other users.
 */
export function loadClusterSecret(config: ServerConfig, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = config['cluster-secret-file'];
  if (file === '') {
    const fromEnv = env.RAFTCACHE_CLUSTER_SECRET ?? '';
    if (config['cluster-secret'] === '' && fromEnv !== '') config['cluster-secret'] = fromEnv;
    // Not passed on to anything this process starts (fallocate).
    delete env.RAFTCACHE_CLUSTER_SECRET;
    return undefined;
  }
  if (config['cluster-secret'] !== '') throw new ConfigError('give --cluster-secret or --cluster-secret-file, not both');
  let text: string;
  let mode: number;
  try {
    text = readFileSync(file, 'utf8');
    mode = statSync(file).mode;
  } catch (e) {
    throw new ConfigError(`--cluster-secret-file ${file}: ${(e as Error).message}`);
  }
  const secret = text.split(/\r?\n/, 1)[0].trim();
  if (secret === '') throw new ConfigError(`--cluster-secret-file ${file}: the first line is empty`);
  config['cluster-secret'] = secret;
  return mode & 0o077 ? `${file} is readable by other users (mode ${(mode & 0o777).toString(8)}); chmod 600 it` : undefined;
}
