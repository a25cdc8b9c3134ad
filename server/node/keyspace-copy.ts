/**
 * The driver's side of the durable keyspace copy (this node's snapshot):
 * loading the in-memory keyspace, members table and client sessions from
 * the store (at start and after a snapshot install), and turning what
 * changed since the last flush into store records. Record layout is the
 * keyspace's (server/keyspace/records.ts); the driver adds the reserved
 * members and sessions records.
 */
import { MEMBERS_KEY, RESERVED_DB, SESSIONS_KEY, type KeyspaceChange } from '../keyspace';
import { decodeMembers, encodeMembers, type ClusterMember } from '../members';
import type { SnapshotMeta } from '../raft';
import type { NodeState } from './state';
import type { StoreChange } from './store';

/** What the keyspace copy uses of the node's shared state (restore writes conf and appliedTerm). */
export type KeyspaceCopyNode = Pick<NodeState, 'id' | 'fsm' | 'keyspace' | 'storage' | 'members' | 'membersDirty' | 'conf' | 'appliedTerm' | 'closed'>;

export interface KeyspaceCopyOptions {
  /** Bootstrap membership (used when the data directory is new). */
  members: ClusterMember[];
  peerListen: { host: string; port: number };
}

/** Keys encoded per event-loop turn by collectChangesInTurns (~6 ms of work). */
const COLLECT_CHUNK = 2000;
/** In a flush over several turns, string values this long are copied into their record a slice per turn. */
const FILL_IN_SLICES_FROM = 1 << 20;
const FILL_SLICE_BYTES = 4 << 20;
/** In a flush over several turns, element record bytes copied per turn (a fast-filled stream's new blocks: MBs). */
const DRAIN_BYTES_PER_TURN = 512 << 10;

export class KeyspaceCopy {
  /** restore() found a new data directory (no keyspace, no membership). */
  freshStart = false;

  constructor(
    private readonly node: KeyspaceCopyNode,
    private readonly opts: KeyspaceCopyOptions,
  ) {}

  /** Restores the in-memory keyspace and membership from the durable copy. */
  async restore(): Promise<SnapshotMeta> {
    const node = this.node;
    let meta = node.storage.keyspace.snapshotMeta();
    this.load();
    if (meta.index === 0 && meta.conf.voters.length === 0 && meta.conf.learners.length === 0) {
      // First start: the bootstrap membership is the snapshot at index 0.
      this.freshStart = true;
      const voters = this.opts.members.length > 0 ? this.opts.members.map((m) => m.id) : [node.id];
      meta = { index: 0, term: 0, conf: { voters, learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } };
      for (const m of this.opts.members) node.members.set(m.id, m);
      if (this.opts.members.length === 0) node.members.set(node.id, { id: node.id, host: this.opts.peerListen.host, port: 0, peerPort: this.opts.peerListen.port });
      await node.storage.writeBatch({ keyspace: { changes: [{ key: MEMBERS_KEY, value: encodeMembers(node.members.values()) }], meta } });
    }
    node.conf = meta.conf;
    node.fsm.appliedIndex = meta.index;
    node.appliedTerm = meta.term;
    node.keyspace.trackChanges = true;
    return meta;
  }

  /** Replaces the in-memory keyspace, members table and sessions with the store's. */
  load(): void {
    const node = this.node;
    node.keyspace.clear();
    // Records come out of LMDB as fresh buffers (lmdb-js copies on read), and
    // applyRecord copies whatever it keeps long-term: no copy here.
    node.storage.keyspace.forEachRecord((key, start, value) => {
      if (key[start] === RESERVED_DB) {
        const k = key.subarray(start);
        if (k.equals(MEMBERS_KEY)) {
          node.members.clear();
          for (const m of decodeMembers(value)) node.members.set(m.id, m);
        } else if (k.equals(SESSIONS_KEY)) {
          node.fsm.restoreSessions(Buffer.from(value));
        }
        return;
      }
      node.keyspace.applyRecord(key, value, start);
    });
    node.keyspace.finishRestore();
  }

  /** The snapshot meta of what is applied now (the copy written with the changes collected now). */
  appliedMeta(): SnapshotMeta {
    return { index: this.node.fsm.appliedIndex, term: this.node.appliedTerm, conf: this.node.conf };
  }

  /** Turns the keyspace's changed keys into store records (the durable copy). */
  collectChanges(): StoreChange[] {
    const out: StoreChange[] = [];
    for (const ch of this.node.keyspace.drainChanges()) this.collectOne(ch, out);
    this.collectRest(out);
    return out;
  }

  /**
   * collectChanges() yielding to the event loop every COLLECT_CHUNK keys, so
   * that a flush of many changes does not block it (encoding costs ~3 us a
   * key, more with the GC work its allocations bring: seconds for a large
   * flush). The caller keeps the keyspace still meanwhile (no applies).
   */
  async collectChangesInTurns(): Promise<StoreChange[]> {
    const out: StoreChange[] = [];
    const changes = this.node.keyspace.drainChanges();
    const nextTurn = async (): Promise<void> => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.node.closed) throw new Error('closed while collecting keyspace changes');
    };
    for (let i = 0; i < changes.length; i++) {
      if (i > 0 && i % COLLECT_CHUNK === 0) await nextTurn();
      const fill = this.collectOne(changes[i], out, FILL_IN_SLICES_FROM);
      if (fill === undefined) continue;
      // A huge string's bytes, a slice per turn: one 100 MB copy into the new record
      // blocked the event loop 300-470 ms here (fresh memory), enough to cost an election.
      const { from, into, at } = fill;
      for (let done = 0; done < from.length; done += FILL_SLICE_BYTES) {
        if (done > 0) await nextTurn();
        from.copy(into, at + done, done, Math.min(from.length, done + FILL_SLICE_BYTES));
      }
    }
    await this.node.keyspace.drainElementRecordsInTurns((key, value) => out.push({ key, value }), DRAIN_BYTES_PER_TURN, nextTurn);
    this.collectReserved(out);
    return out;
  }

  /** Adds the change's records to `out`; a string of `deferFrom` bytes or more is left for the caller to copy into its record. */
  private collectOne(ch: KeyspaceChange, out: StoreChange[], deferFrom = Infinity): { from: Buffer; into: Buffer; at: number } | undefined {
    const node = this.node;
    if ('flushAll' in ch || 'flushDb' in ch) {
      const db = 'flushDb' in ch ? ch.flushDb : -1;
      for (const rec of node.storage.keyspace.records()) {
        // Only Redis databases are flushed; reserved records (members,
        // sessions, scripts, version floors) live above them.
        const d = rec.key[0];
        if (d >= node.keyspace.dbs.length) continue;
        if (db === -1 || d === db) out.push({ key: rec.key, value: null });
      }
      return undefined;
    }
    const rec = node.keyspace.encodeRecord(ch.db, ch.key, deferFrom);
    if (rec) out.push({ key: rec.key, value: rec.value });
    else out.push({ key: Buffer.concat([Buffer.from([ch.db]), Buffer.from(ch.key, 'latin1')]), value: null });
    return rec?.fill ? { from: rec.fill.from, into: rec.value, at: rec.fill.at } : undefined;
  }

  /** Element records of changed collections, members and sessions. */
  private collectRest(out: StoreChange[]): void {
    this.node.keyspace.drainElementRecords((key, value) => out.push({ key, value }));
    this.collectReserved(out);
  }

  /** The members and sessions records, when changed. */
  private collectReserved(out: StoreChange[]): void {
    const node = this.node;
    if (node.membersDirty) {
      out.push({ key: MEMBERS_KEY, value: encodeMembers(node.members.values()) });
      node.membersDirty = false;
    }
    if (node.fsm.sessionsDirty) {
      out.push({ key: SESSIONS_KEY, value: node.fsm.encodeSessions() });
      node.fsm.sessionsDirty = false;
    }
  }
}
