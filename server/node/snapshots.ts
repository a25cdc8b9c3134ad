/**
 * Snapshot transfer, both sides. The snapshot is the durable keyspace copy.
 *
 * Leader: a Snap message from the core starts streaming the copy to the
 * follower (snapshot-transfer.ts), and the log is not compacted past a
 * transfer in flight (compactionFloor).
 *
 * Follower: chunks are staged in the store as they arrive ('receiving');
 * once all are in ('staged') the Snap message that names them is stepped
 * into the core ('installing'), which decides whether to install it (it
 * refuses stale ones). The Ready that carries the accepted snapshot switches
 * the store to the staged copy and reloads the in-memory state from it; a
 * refused one is dropped. The leader queues the Snap message right behind the
 * data, so it usually arrives before staging finishes: it is held and
 * stepped once it has.
 */
import { nodeObservations } from '../metrics-node';
import { keptOrCopied } from '../../storage/bytes';
import { SnapshotReceiver, type SnapshotSink } from '../../storage/snapshot';
import type { Message, SnapshotMeta } from '../raft';
import { SnapshotOutbox } from './snapshot-transfer';
import type { NodeState } from './state';
import type { StoreRecord } from './store';

/** A staged snapshot whose Snap message does not come within this time is dropped. */
const STAGED_TIMEOUT_MS = 10000;

/** What snapshot transfer uses of the node's shared state (it writes what an install changes). */
export type SnapshotNode = Pick<
  NodeState,
  'log' | 'storage' | 'transport' | 'raft' | 'keyspace' | 'fsm' | 'appliedTerm' | 'durableIndex' | 'conf' | 'requestKeyspaceFlush'
>;

export interface SnapshotOptions {
  scheduleReady(): void;
  /** Steps a Raft message (a held Snap message, once its data is staged). */
  step(m: Message): void;
  /** Reloads the in-memory keyspace and members table from the store (keyspace-copy.ts). */
  reloadKeyspace(): void;
  /** Dials the peers of the applied membership (membership.ts). */
  syncTransportPeers(): void;
  /** Settles when no keyspace flush is in flight (compaction.ts; none starts while a snapshot installs). */
  flushSettled(): Promise<void>;
}

export class Snapshots {
  // Leader side
  private readonly outbox: SnapshotOutbox;

  // Follower side
  /**
   * Receiving side: 'receiving' while chunks arrive, 'staged' once all are
   * in (waiting for the Snap message), 'installing' once stepped into the core.
   */
  private snapState: 'idle' | 'receiving' | 'staged' | 'installing' = 'idle';
  private snapKey = '';
  private receiver: SnapshotReceiver | undefined;
  private receiverFrom = 0;
  /** Counts transfers begun (chunk 0): a queued step of an older transfer sees it changed. */
  private transfer = 0;
  private stagedMeta: SnapshotMeta | undefined;
  /** A Snap message that arrived while its data was still being staged: stepped once staging finishes. */
  private heldSnap: Message | undefined;
  private stagedDecision: ((install: boolean) => Promise<void>) | undefined;
  /** A Snap message was stepped since the last Ready: that Ready installs it or drops the staged copy. */
  private snapStepped = false;
  private snapChain: Promise<void> = Promise.resolve();
  private stagedAt = 0;

  constructor(
    private readonly node: SnapshotNode,
    private readonly opts: SnapshotOptions,
  ) {
    this.outbox = new SnapshotOutbox({
      log: node.log,
      source: node.storage,
      transport: () => node.transport,
      reportFailure: (peer) => {
        this.node.raft.reportSnapshot(peer, false);
        this.opts.scheduleReady();
      },
      awaitingSnapshot: (peer) => this.node.raft.status().progress.some((p) => p.id === peer && p.state === 'snapshot'),
      refreshSnapshot: () => this.node.requestKeyspaceFlush(),
    });
  }

  // ------------------------------------------------------------------ leader side

  /** Streams the durable keyspace to a follower behind the compacted log (node/snapshot-transfer.ts). */
  send(m: Message): void {
    this.outbox.start(m, (meta) => {
      const c = meta.conf;
      // A keyspace copy older than the peer's addition would be refused by it.
      return [...c.voters, ...c.learners, ...c.learnersNext].includes(m.to);
    });
  }

  /** The lowest index of a snapshot in flight: the log must keep the entry after it. */
  compactionFloor(): number {
    return this.outbox.compactionFloor();
  }

  /** Every tick: drops a staged snapshot never confirmed, then the leader's transfers' timeouts. */
  tick(now: number, isLeader: boolean): void {
    this.expireStagedSnapshot(now);
    this.outbox.tick(now, isLeader);
  }

  /** Stops sending; returns the abort of a snapshot being received, if any. */
  close(): Promise<void> | undefined {
    this.outbox.close();
    return this.receiver?.abort().catch(() => undefined);
  }

  // ------------------------------------------------------------------ follower side

  /**
   * A Snap message from the leader: whether to step it. Only a snapshot whose
   * data we hold staged is stepped; the core decides whether to install it.
   */
  admit(m: Message): boolean {
    if (this.snapState === 'installing') return false; // a duplicate while we install the same one
    if (this.snapState === 'receiving' && m.snapshot && this.snapKey === `${m.snapshot.index}/${m.snapshot.term}` && this.receiverFrom === m.from) {
      // The leader queues the Snap message right behind the data, so it
      // usually arrives before the data is staged: step it once it is.
      this.heldSnap = m;
      return false;
    }
    if (this.snapState !== 'staged' || !this.stagedMeta || !m.snapshot || this.stagedMeta.index !== m.snapshot.index || this.stagedMeta.term !== m.snapshot.term) {
      this.node.log.warn({ from: m.from, index: m.snapshot?.index }, 'snapshot message without its data; ignored');
      return false;
    }
    this.snapState = 'installing';
    this.snapStepped = true;
    return true;
  }

  /** Whether a Snap message was stepped since the last call (the Ready being started decides its fate). */
  takeStepped(): boolean {
    const stepped = this.snapStepped;
    this.snapStepped = false;
    return stepped;
  }

  onChunk(from: number, index: number, term: number, data: Uint8Array, seq: number): void {
    const key = `${index}/${term}`;
    // Finish (or refuse) the snapshot being installed before looking at another.
    if (this.snapState === 'installing') return;
    if (this.snapState === 'staged') {
      // A staged snapshot the leader did not confirm is replaced by the newer one it now streams.
      if (seq !== 0 || key === this.snapKey) return;
      this.dropStagedSnapshot();
    }
    if (seq === 0) {
      this.heldSnap = undefined;
      this.snapState = 'receiving';
      this.snapKey = key;
      this.receiverFrom = from;
      this.stagedMeta = undefined;
      const transfer = ++this.transfer;
      const copy = keptOrCopied(data);
      this.snapChain = this.snapChain
        .then(async () => {
          // The receiver to abort is read here, not when the chunk came (nor cleared then): an
          // earlier transfer's start may have finished since. Reading it early left that one
          // holding the staging slot, and every later transfer failed "already being received"
          // (two leaders in a row sent the same snapshot to a restarted follower).
          const previous = this.receiver;
          this.receiver = undefined;
          if (previous) await previous.abort();
          if (this.transfer !== transfer) return;
          const receiver = await SnapshotReceiver.start(this.snapshotSink());
          if (this.transfer !== transfer) return void (await receiver.abort());
          this.receiver = receiver;
          await receiver.receive(copy);
        })
        .catch((err: unknown) => this.snapshotFailed(err, key));
      return;
    }
    if (this.snapState !== 'receiving' || this.snapKey !== key || this.receiverFrom !== from) return;
    const copy = keptOrCopied(data);
    const transfer = this.transfer;
    this.snapChain = this.snapChain
      .then(async () => {
        if (this.receiver && this.transfer === transfer) await this.receiver.receive(copy);
      })
      .catch((err: unknown) => this.snapshotFailed(err, key));
  }

  /** Drop the staged copy (the core refused it, or its Snap message never came). */
  dropStagedSnapshot(): void {
    const decide = this.stagedDecision;
    this.stagedDecision = undefined;
    this.stagedMeta = undefined;
    this.receiver = undefined;
    this.snapState = 'idle';
    decide?.(false).catch(() => undefined);
  }

  /** A staged snapshot whose Snap message never came is dropped, so a later one can be received. */
  private expireStagedSnapshot(now: number): void {
    if (this.snapState !== 'staged' || now - this.stagedAt < STAGED_TIMEOUT_MS) return;
    this.node.log.warn({ key: this.snapKey }, 'staged snapshot never confirmed by the leader; dropping it');
    this.dropStagedSnapshot();
  }

  private snapshotFailed(err: unknown, key: string): void {
    this.node.log.warn({ err, key }, 'snapshot transfer failed');
    if (this.snapKey === key && this.snapState === 'receiving') {
      this.snapState = 'idle';
      this.receiver = undefined;
      this.stagedMeta = undefined;
    }
  }

  /**
   * The storage sink, except that switching to the received keyspace waits
   * until the core has accepted the snapshot (it refuses stale ones).
   */
  private snapshotSink(): SnapshotSink {
    const storage = this.node.storage;
    return {
      beginStaging: () => storage.beginStaging(),
      stage: (records: readonly StoreRecord[]) => storage.stage(records),
      abortStaging: () => storage.abortStaging(),
      finishStaging: (meta: SnapshotMeta) =>
        new Promise<void>((resolve, reject) => {
          this.stagedMeta = meta;
          this.snapState = 'staged';
          this.stagedAt = Date.now();
          const held = this.heldSnap;
          this.heldSnap = undefined;
          if (held?.snapshot && held.snapshot.index === meta.index && held.snapshot.term === meta.term) setImmediate(() => this.opts.step(held));
          this.stagedDecision = (install) => {
            const done = install
              ? storage.finishStaging(meta)
              : storage.abortStaging().then(() => {
                  throw new Error('snapshot refused by the raft core');
                });
            done.then(resolve, reject);
            return done;
          };
        }),
    };
  }

  /** The Ready carrying the accepted snapshot: switch the store to the staged copy and reload from it. */
  async installSnapshot(meta: SnapshotMeta): Promise<void> {
    const decide = this.stagedDecision;
    if (!decide || !this.stagedMeta || this.stagedMeta.index !== meta.index) throw new Error('snapshot to install is not staged');
    this.stagedDecision = undefined;
    const started = performance.now();
    // A keyspace flush taken before the install lands before the switch.
    await this.opts.flushSettled();
    try {
      await decide(true);
    } finally {
      this.receiver = undefined;
      this.stagedMeta = undefined;
      this.snapState = 'idle';
    }
    // The store is the truth now: reload everything from it.
    const node = this.node;
    node.keyspace.trackChanges = false;
    this.opts.reloadKeyspace();
    node.keyspace.trackChanges = true;
    node.keyspace.dropChanges();
    const installed = node.storage.keyspace.snapshotMeta();
    node.fsm.appliedIndex = installed.index;
    node.appliedTerm = installed.term;
    node.durableIndex = Math.max(installed.index, node.storage.log.lastIndex());
    node.conf = installed.conf;
    this.opts.syncTransportPeers();
    nodeObservations.snapshotInstall.observe((performance.now() - started) / 1000);
    this.node.log.info({ index: meta.index, term: meta.term }, 'snapshot installed');
  }
}
