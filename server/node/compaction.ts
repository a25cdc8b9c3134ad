/**
 * Snapshots taken and the log compacted behind them (hashicorp/raft's
 * snapshot.go). The snapshot is the durable keyspace copy: about once a
 * second, or after KEYSPACE_FLUSH_CHANGES applied writes, what changed is
 * collected at one applied index and written to LMDB with that index, and
 * the log behind it is compacted, keeping a tail for slow followers and
 * never past a snapshot being sent. SAVE / BGSAVE force both, one at a time.
 *
 * The flush runs beside the Ready loop, not in its chain: the Raft log is a
 * store of its own, so writes keep flowing while LMDB commits (the copy only
 * ever holds applied entries, which are durable in the log already). One
 * flush at a time; none starts while a snapshot installs, and an install
 * waits for the one in flight.
 */
import { nodeObservations } from '../metrics-node';
import { compactionPoint, type NodeWriteBatch } from './store';
import type { NodeState } from './state';
import { latencyMonitor } from '../latency';

/** How often the durable keyspace copy is written when nothing forces it (the log covers the gap). */
export const KEYSPACE_FLUSH_MS = 1000;
/** Above this many applied writes, a flush encodes over several event-loop turns (keyspaceBatchInTurns). */
const FLUSH_IN_TURNS_CHANGES = 4000;
/** An applied entry this large makes the next flush one over several turns. */
const BIG_ENTRY_BYTES = 1 << 20;
/** A flush whose encoding (on the event loop) or whole write took this long is logged. */
const SLOW_FLUSH_ENCODE_MS = 100;
const SLOW_FLUSH_MS = 2000;
const KEYSPACE_FLUSH_CHANGES = 20000;

/** What snapshotting and compaction use of the node's shared state. */
export type CompactionNode = Pick<NodeState, 'log' | 'fsm' | 'storage' | 'conf' | 'closed' | 'diskError'>;

export interface CompactionOptions {
  /** Log entries kept behind the durable keyspace copy for slow followers. */
  logTail: number;
  /** Entries behind the copy before the log is compacted. */
  snapshotEntries: number;
  /** The changes to write and the applied index they bring the copy to (ready-loop.ts: with the latest hard state). */
  keyspaceBatch(): NodeWriteBatch;
  /** The same, for many changes: encoded over several event-loop turns while applies wait (ready-loop.ts). */
  keyspaceBatchInTurns(): Promise<NodeWriteBatch>;
  /** Writes a batch, retrying while the disk refuses (ready-loop.ts). */
  durableWrite(batch: NodeWriteBatch): Promise<void>;
  /** A snapshot install is in flight. */
  installing(): boolean;
  /** The lowest index of a snapshot being sent (snapshots.ts): the log keeps the entry after it. */
  compactionFloor(): number;
}

export interface PersistenceInfo {
  lastSaveMs: number;
  changesSinceSave: number;
  saving: boolean;
  lastSaveOk: boolean;
  lastSaveSeconds: number;
}

export class Compaction {
  private lastKeyspaceFlush = Date.now();
  private pendingKeyspaceChanges = 0;
  /** An applied entry since the last flush was BIG_ENTRY_BYTES or more (likely a huge value to copy). */
  private bigEntryPending = false;
  private saving = false;
  private saveScheduled = false;
  private saveDone: Promise<void> = Promise.resolve();
  private markSaveDone: () => void = () => undefined;
  private lastSaveOk = true;
  private lastSaveSeconds = -1;
  private compacting = false;
  private flushWanted = false;
  private flushInFlight: Promise<void> | undefined;

  constructor(
    private readonly node: CompactionNode,
    private readonly opts: CompactionOptions,
  ) {}

  /** One applied write the durable copy does not have yet (`bytes`: its log entry's size). */
  countChange(bytes = 0): void {
    this.pendingKeyspaceChanges++;
    if (bytes >= BIG_ENTRY_BYTES) this.bigEntryPending = true;
  }

  /** The timer's check: write the copy when it is due. */
  maybeFlushKeyspace(): void {
    if (this.node.closed || this.node.diskError) return;
    const due = Date.now() - this.lastKeyspaceFlush >= KEYSPACE_FLUSH_MS;
    if (due || this.pendingKeyspaceChanges >= KEYSPACE_FLUSH_CHANGES) this.requestFlush();
  }

  /** Ask for a flush; it starts from the event loop, never in the middle of an apply. */
  requestFlush(): void {
    if (this.flushWanted) return;
    this.flushWanted = true;
    setImmediate(() => this.resumeFlush());
  }

  /** Starts the flush asked for, unless one is in flight or a snapshot installs (they call this again when done). */
  resumeFlush(): void {
    if (!this.flushWanted || this.flushInFlight || this.node.closed || this.opts.installing()) return;
    this.flushWanted = false;
    const started = performance.now();
    let encodeMs = 0;
    let records = 0;
    // Many changes, or a huge one (its value is copied a slice per turn), are encoded over
    // several event-loop turns (applies wait meanwhile); a few small ones at once.
    const inTurns = this.pendingKeyspaceChanges >= FLUSH_IN_TURNS_CHANGES || this.bigEntryPending;
    this.bigEntryPending = false;
    const encoded = inTurns ? this.opts.keyspaceBatchInTurns() : Promise.resolve(this.opts.keyspaceBatch());
    this.pendingKeyspaceChanges = 0;
    this.flushInFlight = encoded
      .then((batch) => {
        encodeMs = performance.now() - started;
        records = batch.keyspace?.changes.length ?? 0;
        if (inTurns) this.node.log.debug({ records, encodeMs: Math.round(encodeMs) }, 'keyspace flush encoded over several event-loop turns');
        return this.opts.durableWrite(batch);
      })
      .then(() => {
        this.lastKeyspaceFlush = Date.now();
        const totalMs = performance.now() - started;
        nodeObservations.keyspaceFlush.observe(totalMs / 1000);
        nodeObservations.keyspaceFlushRecords += records;
        latencyMonitor.maybeAdd('keyspace-copy-flush', totalMs); // LATENCY (ops)
        if ((!inTurns && encodeMs >= SLOW_FLUSH_ENCODE_MS) || totalMs >= SLOW_FLUSH_MS) {
          this.node.log.info({ records, inTurns, encodeMs: Math.round(encodeMs), totalMs: Math.round(totalMs) }, 'slow keyspace flush');
        }
        void this.maybeCompact();
      })
      .catch((err: unknown) => this.node.log.error({ err }, 'keyspace flush failed'))
      .finally(() => {
        this.flushInFlight = undefined;
        this.resumeFlush();
      });
  }

  /** Settles when no flush is in flight (snapshot install, shutdown). */
  async flushSettled(): Promise<void> {
    await this.flushInFlight;
  }

  private async flushKeyspace(): Promise<void> {
    // Wait for the durable index to catch up with what is applied now.
    const target = this.node.fsm.appliedIndex;
    const deadline = Date.now() + 10000;
    while (this.node.storage.keyspace.appliedIndex() < target && Date.now() < deadline) {
      this.requestFlush();
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /**
   * SAVE / BGSAVE: write the durable keyspace copy (this node's snapshot) now
   * and compact the log behind it. One at a time, as Redis runs one bgsave.
   */
  async saveNow(): Promise<void> {
    if (this.saving) throw new Error('Background save already in progress');
    this.saving = true;
    this.saveDone = new Promise((resolve) => (this.markSaveDone = resolve));
    const started = Date.now();
    try {
      const target = this.node.fsm.appliedIndex;
      await this.compactNow();
      if (this.node.storage.keyspace.appliedIndex() < target) {
        throw new Error(this.node.diskError ? `the disk refuses writes: ${this.node.diskError.message}` : 'the keyspace copy did not catch up');
      }
      this.lastSaveOk = true;
    } catch (err) {
      this.lastSaveOk = false;
      throw err;
    } finally {
      this.saving = false;
      this.lastSaveSeconds = Math.round((Date.now() - started) / 1000);
      this.markSaveDone();
    }
  }

  /** BGSAVE SCHEDULE: one more save once the running one is done (at most one waits). */
  scheduleSave(): void {
    if (this.saveScheduled) return;
    this.saveScheduled = true;
    void this.saveDone.then(() => {
      this.saveScheduled = false;
      if (!this.node.closed) this.saveNow().catch(() => undefined);
    });
  }

  /** For INFO persistence and LASTSAVE: the durable keyspace copy is this node's snapshot. */
  persistence(): PersistenceInfo {
    return {
      lastSaveMs: this.lastKeyspaceFlush,
      changesSinceSave: this.pendingKeyspaceChanges,
      saving: this.saving,
      lastSaveOk: this.lastSaveOk && !this.node.diskError,
      lastSaveSeconds: this.lastSaveSeconds,
    };
  }

  /** Writes the durable keyspace now and compacts the log behind it. */
  async compactNow(): Promise<{ upTo: number }> {
    await this.flushKeyspace();
    const log = this.node.storage.log;
    const durable = this.node.storage.keyspace.appliedIndex();
    const upTo = Math.min(durable, log.lastIndex()) - this.opts.logTail;
    if (upTo < log.firstIndex()) return { upTo: log.firstIndex() - 1 };
    await this.compactTo(upTo);
    return { upTo: log.firstIndex() - 1 };
  }

  private async maybeCompact(): Promise<void> {
    if (this.compacting) return;
    const storage = this.node.storage;
    const durable = storage.keyspace.appliedIndex();
    const upTo = compactionPoint(storage.log, durable, storage.log.sizeBytes(), {
      tailEntries: this.opts.logTail,
      minEntries: this.opts.snapshotEntries,
      minLogBytes: 256 * 1024 * 1024,
    });
    if (upTo === undefined) return;
    await this.compactTo(upTo).catch((err: unknown) => this.node.log.warn({ err }, 'log compaction failed'));
  }

  private async compactTo(target: number): Promise<void> {
    const log = this.node.storage.log;
    // Keep the entries a follower installing a snapshot will resume from.
    const upTo = Math.min(target, this.opts.compactionFloor());
    if (upTo < log.firstIndex()) return;
    const term = log.term(upTo);
    if (term === undefined) return;
    this.compacting = true;
    try {
      await log.compact(upTo, { index: upTo, term, conf: this.node.conf });
      this.node.log.info({ upTo }, 'log compacted');
    } finally {
      this.compacting = false;
    }
  }
}
