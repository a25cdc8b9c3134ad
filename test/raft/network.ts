import { MemoryStorage } from '../../storage/memory';
import { decodeConfChange, defaultRaftConfig, EntryType, MessageType, RaftNode, seededRandom } from '../../server/raft';
import type { ConfState, Entry, Message, NodeId, RaftConfig, Ready, SnapshotMeta } from '../../server/raft';

/**
 * A tiny synchronous cluster for tests (etcd-io/raft's `network`): every
 * node has a MemoryStorage, a driver loop that persists, applies and sends
 * each Ready at once, and messages go through filters (isolate, cut, drop).
 * Nothing is asynchronous: `stabilize()` runs until no node has work left.
 */

export interface SimNode {
  id: NodeId;
  node: RaftNode;
  storage: MemoryStorage;
  /** Applied normal entries with data (no-ops skipped), in order: the "state machine". */
  applied: Entry[];
  appliedIndex: number;
  conf: ConfState;
  readStates: Array<{ index: number; context: Uint8Array }>;
  /** While true the driver does not process this node's Readies (a slow disk). */
  paused: boolean;
  config: RaftConfig;
}

export interface NetworkOptions {
  voters?: NodeId[];
  learners?: NodeId[];
  /**
   * Nodes outside the membership, to be added later. Like every node they
   * start from the bootstrap membership (the snapshot at index 0), so that
   * replaying the log from index 1 reproduces each later membership.
   */
  extra?: NodeId[];
  config?: Partial<RaftConfig>;
  seed?: number;
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

export class Network {
  readonly nodes = new Map<NodeId, SimNode>();
  /** Messages waiting for delivery, in send order. */
  queue: Message[] = [];
  private readonly cut = new Set<string>();
  private readonly isolated = new Set<NodeId>();
  /** Optional filter: return false to drop a message. */
  filter: ((m: Message) => boolean) | undefined;
  /** Report a delivered Snap as streamed successfully to its leader (else the test does). */
  autoReportSnapshot = true;
  /** Every message ever delivered (for assertions). */
  delivered: Message[] = [];
  readonly baseConfig: Partial<RaftConfig>;
  private readonly seed: number;

  constructor(opts: NetworkOptions = {}) {
    const voters = opts.voters ?? [1, 2, 3];
    const learners = opts.learners ?? [];
    this.baseConfig = opts.config ?? {};
    this.seed = opts.seed ?? 1;
    for (const id of [...voters, ...learners]) this.add(id, { voters, learners });
    for (const id of opts.extra ?? []) this.add(id, { voters, learners });
  }

  /** Create (or re-create, from its storage, as after a crash) the node `id`. */
  add(id: NodeId, conf: Partial<ConfState>, storage?: MemoryStorage): SimNode {
    const st = storage ?? new MemoryStorage(conf);
    const config = defaultRaftConfig(id, seededRandom(this.seed * 1000 + id), {
      ...this.baseConfig,
      applied: 0,
    });
    const n: SimNode = {
      id,
      node: new RaftNode(config, st, st.hardState()),
      storage: st,
      applied: [],
      appliedIndex: 0,
      conf: st.snapshotMeta().conf,
      readStates: [],
      paused: false,
      config,
    };
    this.nodes.set(id, n);
    return n;
  }

  /** Crash and restart `id` from what its storage holds (its state machine is rebuilt by replay). */
  restart(id: NodeId, config: Partial<RaftConfig> = {}): SimNode {
    const old = this.get(id);
    const cfg = defaultRaftConfig(id, seededRandom(this.seed * 1000 + id + 7), { ...this.baseConfig, ...config, applied: 0 });
    // The state machine restarts from the snapshot (the log's start), then replays the log.
    const snap = old.storage.snapshotMeta();
    const n: SimNode = {
      ...old,
      node: new RaftNode(cfg, old.storage, old.storage.hardState()),
      applied: old.applied.filter((e) => e.index <= snap.index),
      appliedIndex: snap.index,
      conf: snap.conf,
      readStates: [],
      paused: false,
      config: cfg,
    };
    this.queue = this.queue.filter((m) => m.to !== id && m.from !== id);
    this.nodes.set(id, n);
    return n;
  }

  get(id: NodeId): SimNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  node(id: NodeId): RaftNode {
    return this.get(id).node;
  }

  // ------------------------------------------------------------ faults

  isolate(id: NodeId): void {
    this.isolated.add(id);
  }

  /** Drop messages both ways between a and b. */
  cutLink(a: NodeId, b: NodeId): void {
    this.cut.add(`${a}-${b}`);
    this.cut.add(`${b}-${a}`);
  }

  /** Drop messages from a to b only. */
  cutOneWay(from: NodeId, to: NodeId): void {
    this.cut.add(`${from}-${to}`);
  }

  heal(): void {
    this.cut.clear();
    this.isolated.clear();
  }

  private passes(m: Message): boolean {
    if (!this.nodes.has(m.to)) return false;
    if (this.isolated.has(m.from) || this.isolated.has(m.to)) return false;
    if (this.cut.has(`${m.from}-${m.to}`)) return false;
    return this.filter === undefined || this.filter(m);
  }

  // ------------------------------------------------------------ driving

  /** The driver's work for one Ready: persist, "stream" snapshots, send, apply, advance. */
  process(id: NodeId): boolean {
    const n = this.get(id);
    if (n.paused || !n.node.hasReady()) return false;
    const rd = n.node.ready();
    this.persist(n, rd);
    this.apply(n, rd);
    n.node.advance(rd);
    return true;
  }

  /** Persist and send; separate from apply so tests can interleave. */
  persist(n: SimNode, rd: Ready): void {
    if (rd.snapshot !== undefined) this.installSnapshot(n, rd.snapshot);
    if (rd.entries.length > 0) void n.storage.append(rd.entries);
    if (rd.hardState !== undefined) void n.storage.setHardState(rd.hardState);
    for (const m of rd.messages) this.queue.push(m);
    for (const rs of rd.readStates) n.readStates.push(rs);
  }

  apply(n: SimNode, rd: Ready): void {
    for (const e of rd.committedEntries) {
      if (e.index !== n.appliedIndex + 1) throw new Error(`node ${n.id} applies ${e.index} after ${n.appliedIndex}`);
      n.appliedIndex = e.index;
      if (e.type === EntryType.ConfChange) n.conf = n.node.applyConfChange(decodeConfChange(e.data));
      else if (e.data.byteLength > 0) n.applied.push(e);
    }
  }

  private installSnapshot(n: SimNode, meta: SnapshotMeta): void {
    // The "data" of a snapshot is the leader's applied entries up to its index.
    const source = [...this.nodes.values()].find((o) => o.id !== n.id && o.appliedIndex >= meta.index);
    if (source === undefined) throw new Error('no node can provide the snapshot data');
    n.applied = source.applied.filter((e) => e.index <= meta.index);
    n.appliedIndex = meta.index;
    n.conf = meta.conf;
    void n.storage.compact(meta.index, meta);
  }

  /**
   * What a real driver does with a Snap: stream its current state machine (at
   * its applied index, which is >= the meta's index) and deliver the message
   * with that state's metadata, so the snapshot includes recent members.
   */
  private streamSnapshot(m: Message): void {
    const src = this.nodes.get(m.from);
    if (src === undefined || m.snapshot === undefined) return;
    const index = src.appliedIndex;
    const term = src.storage.term(index);
    if (term === undefined || index < m.snapshot.index) return;
    m.snapshot = { index, term, conf: src.conf };
  }

  /** Deliver queued messages (one pass). Returns how many were delivered. */
  deliver(): number {
    const q = this.queue;
    this.queue = [];
    let count = 0;
    for (const m of q) {
      if (!this.passes(m)) continue;
      if (m.type === MessageType.Snap) this.streamSnapshot(m);
      this.delivered.push(m);
      count++;
      this.get(m.to).node.step(m);
      if (m.type === MessageType.Snap && this.autoReportSnapshot) {
        // The driver streamed the data along with the message: report success.
        const leader = this.nodes.get(m.from);
        leader?.node.reportSnapshot(m.to, true);
      }
    }
    return count;
  }

  /** Process every node's Ready and deliver messages until nothing is left to do. */
  stabilize(maxRounds = 1000): void {
    for (let round = 0; round < maxRounds; round++) {
      let busy = false;
      for (const id of this.nodes.keys()) while (this.process(id)) busy = true;
      if (this.deliver() > 0) busy = true;
      if (!busy) return;
    }
    throw new Error('network did not stabilize');
  }

  /** Tick every node (or the given ones) n times, stabilizing after each tick. */
  tick(n = 1, ids: NodeId[] = [...this.nodes.keys()]): void {
    for (let i = 0; i < n; i++) {
      for (const id of ids) this.node(id).tick();
      this.stabilize();
    }
  }

  campaign(id: NodeId): void {
    this.node(id).campaign();
    this.stabilize();
  }

  /** Elect `id`, bypassing randomized timeouts (a second try when its term was behind). */
  elect(id: NodeId): void {
    this.campaign(id);
    if (this.node(id).status().role !== 'leader') this.campaign(id);
    const st = this.node(id).status();
    if (st.role !== 'leader') throw new Error(`node ${id} failed to become leader (role ${st.role}, term ${st.term})`);
  }

  /** The unique leader of the highest term among nodes, if any. */
  leader(): NodeId | undefined {
    let best: { id: NodeId; term: number } | undefined;
    for (const n of this.nodes.values()) {
      const s = n.node.status();
      if (s.role === 'leader' && (best === undefined || s.term > best.term)) best = { id: n.id, term: s.term };
    }
    return best?.id;
  }

  propose(id: NodeId, ...data: string[]): void {
    this.node(id).propose(data.map(enc));
    this.stabilize();
  }

  /** Compact `id`'s log up to `index` (must be applied there). */
  compact(id: NodeId, index: number): void {
    const n = this.get(id);
    if (n.appliedIndex < index) throw new Error(`compact beyond applied (${n.appliedIndex})`);
    const term = n.storage.term(index);
    if (term === undefined) throw new Error(`no term at ${index}`);
    void n.storage.compact(index, { index, term, conf: n.conf });
  }

  appliedData(id: NodeId): string[] {
    return this.get(id).applied.map((e) => dec(e.data));
  }
}
