import { PushReply, type Reply } from '../protocol/reply';
import type { ClientConnection } from './connection';
import { globMatch } from './commands/glob';

const MESSAGE = Buffer.from('message');
const PMESSAGE = Buffer.from('pmessage');

/**
 * Channel and pattern subscriptions of this node's clients. Messages are not
 * replicated state: PUBLISH delivers here and is relayed to every peer, which
 * delivers to its own subscribers (like Redis Cluster's bus), so a message
 * published on any node reaches subscribers on every node. Counts across
 * nodes (PUBLISH's reply, PUBSUB) are pubsub-peers.ts's job.
 */
export class PubSub {
  private readonly channels = new Map<string, Set<ClientConnection>>();
  private readonly patterns = new Map<string, { pattern: Buffer; subscribers: Set<ClientConnection> }>();

  subscribe(conn: ClientConnection, channel: Buffer): boolean {
    const key = channel.toString('latin1');
    if (conn.channels.has(key)) return false;
    conn.channels.add(key);
    let set = this.channels.get(key);
    if (!set) this.channels.set(key, (set = new Set()));
    set.add(conn);
    return true;
  }

  unsubscribe(conn: ClientConnection, key: string): boolean {
    if (!conn.channels.delete(key)) return false;
    const set = this.channels.get(key);
    set?.delete(conn);
    if (set?.size === 0) this.channels.delete(key);
    return true;
  }

  psubscribe(conn: ClientConnection, pattern: Buffer): boolean {
    const key = pattern.toString('latin1');
    if (conn.patterns.has(key)) return false;
    conn.patterns.add(key);
    let entry = this.patterns.get(key);
    if (!entry) this.patterns.set(key, (entry = { pattern: Buffer.from(pattern), subscribers: new Set() }));
    entry.subscribers.add(conn);
    return true;
  }

  punsubscribe(conn: ClientConnection, key: string): boolean {
    if (!conn.patterns.delete(key)) return false;
    const entry = this.patterns.get(key);
    entry?.subscribers.delete(conn);
    if (entry?.subscribers.size === 0) this.patterns.delete(key);
    return true;
  }

  /** Forgets every subscription of a closing connection. */
  drop(conn: ClientConnection): void {
    for (const key of [...conn.channels]) this.unsubscribe(conn, key);
    for (const key of [...conn.patterns]) this.punsubscribe(conn, key);
  }

  /** Delivers to this node's subscribers; returns how many received it. */
  deliver(channel: Buffer, message: Buffer): number {
    let n = 0;
    const set = this.channels.get(channel.toString('latin1'));
    if (set) {
      for (const c of set) {
        c.push(messageReply([MESSAGE, channel, message]));
        n++;
      }
    }
    for (const { pattern, subscribers } of this.patterns.values()) {
      if (!globMatch(pattern, channel, false)) continue;
      for (const c of subscribers) {
        c.push(messageReply([PMESSAGE, pattern, channel, message]));
        n++;
      }
    }
    return n;
  }

  /** PUBSUB CHANNELS [pattern]: active channels (with at least one subscriber). */
  activeChannels(pattern: Buffer | undefined): Buffer[] {
    const out: Buffer[] = [];
    for (const key of this.channels.keys()) {
      const ch = Buffer.from(key, 'latin1');
      if (pattern === undefined || globMatch(pattern, ch, false)) out.push(ch);
    }
    return out;
  }

  numsub(channel: Buffer): number {
    return this.channels.get(channel.toString('latin1'))?.size ?? 0;
  }

  /** Channels with at least one subscriber here (INFO pubsub_channels). */
  channelCount(): number {
    return this.channels.size;
  }

  /** Every pattern with at least one subscriber here. */
  patternList(): Buffer[] {
    return [...this.patterns.values()].map((e) => e.pattern);
  }

  numpat(): number {
    return this.patterns.size;
  }
}

/** A pub/sub message: a push in RESP3, an array in RESP2 (the encoder degrades PushReply). */
function messageReply(items: Reply[]): PushReply {
  return new PushReply(items);
}
