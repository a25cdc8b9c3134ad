/**
 * A Redis primary with replicas on loopback, every server with
 * `--appendonly yes --appendfsync always`: the setup a user would reach for
 * to get "acknowledged = on two machines" from Redis (with WAIT after each
 * write). Note what WAIT does and does not say in Redis 7.0: a replica
 * acknowledges the offset it has *received and applied*, not fsynced
 * (WAITAOF, which waits for fsync, arrived in Redis 7.2).
 */
import Redis from 'ioredis';
import { sleep } from '../test/cluster/harness';
import { startRedisServer, type ReferenceRedis } from './redis-benchmark';

const AOF_ALWAYS = ['--save', '', '--appendonly', 'yes', '--appendfsync', 'always'];

export interface ReplicatedRedis {
  primaryPort: number;
  pids: number[];
  stop(): Promise<void>;
}

export async function startReplicatedRedis(replicas = 2): Promise<ReplicatedRedis> {
  const servers: ReferenceRedis[] = [];
  const stop = async () => {
    for (const s of servers.splice(0).reverse()) await s.stop();
  };
  try {
    // No delay before the initial (diskless) full sync: the replicas attach at once.
    const primary = await startRedisServer([...AOF_ALWAYS, '--repl-diskless-sync-delay', '0']);
    servers.push(primary);
    for (let i = 0; i < replicas; i++) servers.push(await startRedisServer([...AOF_ALWAYS, '--replicaof', '127.0.0.1', String(primary.port)]));
    await waitForReplicas(primary.port, replicas);
    return { primaryPort: primary.port, pids: servers.map((s) => s.pid), stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Waits until the primary lists `n` replicas in state online. */
async function waitForReplicas(port: number, n: number, timeoutMs = 30000): Promise<void> {
  const c = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0 });
  c.on('error', () => undefined);
  try {
    const deadline = Date.now() + timeoutMs;
    let info = '';
    while (Date.now() < deadline) {
      info = await c.info('replication');
      const online = info.split('\n').filter((l) => /^slave\d+:.*state=online/.test(l)).length;
      if (online >= n) return;
      await sleep(100);
    }
    throw new Error(`the Redis primary on ${port} has not ${n} online replicas after ${timeoutMs} ms:\n${info}`);
  } finally {
    c.disconnect();
  }
}
