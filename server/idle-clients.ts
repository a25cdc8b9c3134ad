import type { ClientConnection } from './connection';

/**
 * Redis's `timeout`: a client idle (nothing read or written) for more than
 * `timeoutSec` seconds is closed. As in Redis (clientsCronHandleTimeout),
 * subscribed clients and clients blocked in a command (a reply still pending:
 * a write waiting for its commit, LOCK.ACQUIRE WAIT, WAIT) are never timed out.
 * Returns the clients to close.
 */
export function idleClients(clients: Iterable<ClientConnection>, timeoutSec: number, now: number): ClientConnection[] {
  if (timeoutSec <= 0) return [];
  const out: ClientConnection[] = [];
  const limitMs = timeoutSec * 1000;
  for (const c of clients) {
    if (c.closing || c.subscriptions > 0 || c.pendingReplies > 0) continue;
    if (now - c.lastActive > limitMs) out.push(c);
  }
  return out;
}
