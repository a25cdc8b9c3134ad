import type { ServerCommand } from './table';
import { keyString } from '../keyspace';

/** LOCK.INFO name: owner, token, remaining ttl and waiters (a server command: waiters live on the leader). */
export function lockInfoCommand(): ServerCommand {
  return {
    kind: 'server',
    name: 'lock.info',
    arity: 2,
    flags: ['readonly', 'fast'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    aclCategories: ['@read', '@fast'],
    doc: {
      summary: 'Returns the owner, fencing token, remaining TTL (ms) and waiters of a lock, or nil when it is free.',
      since: '0.1.0',
      group: 'generic',
      complexity: 'O(1)',
      arguments: [{ name: 'name', type: 'string' }],
    },
    run: ({ server }, argv) => server.locks.info(keyString(argv[1])),
  };
}
