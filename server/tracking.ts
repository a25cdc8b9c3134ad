/**
 * Client-side caching (Redis 6's CLIENT TRACKING, tracking.c). Every node
 * applies every write, so every node can tell its own tracking clients
 * which keys changed — a client caching through a follower learns of writes
 * made through the leader, in the order the log applied them.
 *
 * Default mode: keys a tracking client read (read-only commands) are
 * remembered in a table (key -> client ids, across dbs as in Redis); a write
 * to the key invalidates it once and forgets it. BCAST mode: every changed key
 * matching one of the client's prefixes is announced. Invalidations are
 * collected while a batch of log entries is applied and sent when it ends
 * (Redis sends them at the end of the command or event-loop turn), so a
 * client's own write can be recognised (NOLOOP): the writer of an entry is
 * known when its reply is produced.
 */
import { PushReply, type Reply } from '../protocol/reply';

export const INVALIDATE_CHANNEL = Buffer.from('__redis__:invalidate');
const INVALIDATE = Buffer.from('invalidate');
const MESSAGE = Buffer.from('message');
const REDIR_BROKEN = Buffer.from('tracking-redir-broken');

/** What a tracking client asked for (CLIENT TRACKING ON ...). */
export interface TrackingOptions {
  redirect: number; // 0 = none
  bcast: boolean;
  prefixes: string[]; // latin1
  optin: boolean;
  optout: boolean;
  noloop: boolean;
}

/** The connection side tracking needs. */
export interface TrackedClient {
  readonly id: number;
  readonly proto: 2 | 3;
  readonly closed: boolean;
  tracking: TrackingOptions | undefined;
  /** CLIENT CACHING yes/no for the next command (OPTIN / OPTOUT). */
  cachingNext: 'yes' | 'no' | undefined;
  /** Subscribed to __redis__:invalidate (a RESP2 redirect target). */
  readonly channels: ReadonlySet<string>;
  push(r: Reply): void;
}

const INVALIDATE_CHANNEL_KEY = INVALIDATE_CHANNEL.toString('latin1');

export class Tracking {
  /** key (latin1) -> ids of clients that may cache it. */
  private readonly table = new Map<string, Set<number>>();
  private readonly bcastClients = new Set<number>();
  /** Keys changed in the batch being applied, with the log index that changed them. */
  private changed: Array<{ key: string | null; index: number }> = [];
  /** Log index -> local client id that wrote it (for NOLOOP); set when the writer's reply arrives. */
  private readonly writers = new Map<number, number>();
  /** Invalidations sent (INFO). */
  invalidations = 0;

  constructor(
    private readonly lookup: (id: number) => TrackedClient | undefined,
    /** Every connection (for FLUSHALL's invalidate-everything). */
    private readonly clients: () => Iterable<TrackedClient>,
    /** The index of the entry being applied (the state machine sets it before applying). */
    private readonly appliedIndex: () => number,
    private readonly maxKeys: () => number,
  ) {}

  get trackedKeys(): number {
    return this.table.size;
  }

  /** Client ids over every tracked key (INFO tracking_total_items). */
  get trackedItems(): number {
    let n = 0;
    for (const set of this.table.values()) n += set.size;
    return n;
  }

  /** Distinct BCAST prefixes (INFO tracking_total_prefixes). */
  get trackedPrefixes(): number {
    const all = new Set<string>();
    for (const id of this.bcastClients) for (const p of this.lookup(id)?.tracking?.prefixes ?? []) all.add(p);
    return all.size;
  }

  /** Connections with tracking on (INFO tracking_clients). */
  get trackingClients(): number {
    let n = 0;
    for (const c of this.clients()) if (c.tracking !== undefined) n++;
    return n;
  }

  enable(c: TrackedClient, opts: TrackingOptions): void {
    c.tracking = opts;
    if (opts.bcast) this.bcastClients.add(c.id);
  }

  /** CLIENT TRACKING OFF, RESET or a closed connection. Its entries in the table are dropped lazily. */
  disable(c: TrackedClient): void {
    c.tracking = undefined;
    c.cachingNext = undefined;
    this.bcastClients.delete(c.id);
  }

  /** After a read-only command of `c` on these keys: remember them unless OPTIN/OPTOUT says not to. */
  rememberKeys(c: TrackedClient, keys: Buffer[]): void {
    const t = c.tracking;
    if (t === undefined || t.bcast || keys.length === 0) return;
    if (t.optin && c.cachingNext !== 'yes') return;
    if (t.optout && c.cachingNext === 'no') return;
    for (const k of keys) {
      const key = k.toString('latin1');
      let set = this.table.get(key);
      if (set === undefined) {
        this.table.set(key, (set = new Set()));
        const max = this.maxKeys();
        if (max > 0 && this.table.size > max) this.evictOldest();
      }
      set.add(c.id);
    }
  }

  /** OPTIN/OPTOUT's CLIENT CACHING applies to the one command after it. */
  commandDone(c: TrackedClient, name: string): void {
    if (c.cachingNext !== undefined && name !== 'client|caching') c.cachingNext = undefined;
  }

  /** The table is over tracking-table-max-keys: the oldest key is invalidated now (Redis evicts keys the same way). */
  private evictOldest(): void {
    const first = this.table.keys().next();
    if (first.done) return;
    this.sendKey(first.value, this.table.get(first.value)!, 0);
    this.table.delete(first.value);
  }

  // ------------------------------------------------------------ applying

  /** A key changed at apply time (write, expiry, eviction). */
  keyChanged(key: string): void {
    if (this.table.size === 0 && this.bcastClients.size === 0) return;
    this.changed.push({ key, index: this.appliedIndex() });
  }

  /** FLUSHALL / FLUSHDB / SWAPDB / a snapshot installed: every tracking client is told to drop everything. */
  flushed(): void {
    const index = this.appliedIndex();
    const last = this.changed[this.changed.length - 1];
    // FLUSHALL flushes every db: one "invalidate everything" is enough.
    if (last !== undefined && last.key === null && last.index === index) return;
    this.changed.push({ key: null, index });
  }

  /**
   * Client `id`'s write was just answered. Replies are produced right after
   * their entry is applied, inside the batch, so while changes are pending
   * the entry is the one just applied; a reply that comes later (its entry's
   * batch already sent) is not attributed: the client then hears of its own
   * write, which only costs it a cached copy.
   */
  noteWriter(id: number): void {
    if (this.changed.length > 0) this.writers.set(this.appliedIndex(), id);
  }

  /** End of a batch of applied entries: send what changed. */
  flush(): void {
    if (this.changed.length === 0) {
      this.writers.clear();
      return;
    }
    const changed = this.changed;
    this.changed = [];
    for (const ch of changed) {
      const writer = this.writers.get(ch.index) ?? 0;
      if (ch.key === null) {
        this.table.clear();
        for (const c of this.clients()) if (c.tracking !== undefined) this.send(c.id, null, writer);
        continue;
      }
      const set = this.table.get(ch.key);
      if (set !== undefined) {
        this.table.delete(ch.key);
        this.sendKey(ch.key, set, writer);
      }
      for (const id of this.bcastClients) {
        const c = this.lookup(id);
        const t = c?.tracking;
        if (t === undefined) continue;
        if (t.prefixes.length === 0 || t.prefixes.some((p) => ch.key!.startsWith(p))) this.send(id, ch.key, writer);
      }
    }
    this.writers.clear();
  }

  private sendKey(key: string, ids: Set<number>, writer: number): void {
    for (const id of ids) this.send(id, key, writer);
  }

  /** One invalidation to client `id` (or its redirect target): a key, or null = everything. */
  private send(id: number, key: string | null, writer: number): void {
    const c = this.lookup(id);
    const t = c?.tracking;
    if (c === undefined || t === undefined || c.closed) return;
    if (t.noloop && writer === id) return;
    let target: TrackedClient | undefined = c;
    if (t.redirect !== 0) {
      target = this.lookup(t.redirect);
      if (target === undefined || target.closed) {
        // Redis tells a RESP3 client its redirect target is gone.
        if (c.proto === 3) c.push(new PushReply([REDIR_BROKEN]));
        return;
      }
    }
    const keys: Reply = key === null ? null : [Buffer.from(key, 'latin1')];
    this.invalidations++;
    if (target.proto === 3) target.push(new PushReply([INVALIDATE, keys]));
    else if (target.channels.has(INVALIDATE_CHANNEL_KEY)) target.push(new PushReply([MESSAGE, INVALIDATE_CHANNEL, keys]));
  }
}
