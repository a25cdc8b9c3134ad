import { spawnSync } from 'node:child_process';

let found: string | undefined;

/**
 * A python3 that can `import redis` (Debian's python3-redis lives under
 * /usr/bin/python3; a pyenv python3 earlier on PATH may lack it).
 */
export function redisPython(): string {
  found ??= spawnSync('python3', ['-c', 'import redis']).status === 0 ? 'python3' : '/usr/bin/python3';
  return found;
}
