import type { RootDatabase } from 'lmdb';
import { txnGrowthEstimate, type DiskReserve } from './disk-reserve';
import { StorageClosedError, StorageError, StorageFullError, classifyStorageError } from './lmdb-errors';

/**
 * Group commit. Every write to the environment goes through one queue:
 * everything submitted while a transaction is being committed (and everything
 * submitted in the same event-loop turn) becomes the next transaction, so N
 * writers cost one transaction and one fsync. Exactly one transaction is in
 * flight at a time, which is what makes failures clean: when a commit fails,
 * that transaction and everything queued behind it (which may depend on it,
 * e.g. log entries that follow the failed ones) are rejected together and the
 * stores reload their in-memory state from disk. No gap can appear in the log.
 */

export interface TxnOp {
  /**
   * Issue this op's puts/removes. Called synchronously inside env.batch(), so
   * all ops of a transaction commit or fail together. Must not throw: encode
   * and validate before submitting.
   */
  write(): void;
  /** Number of LMDB operations, to bound main-thread work per transaction. */
  cost: number;
  /** Bytes of keys and values put (for the disk reserve's estimate of file growth). */
  bytes?: number;
  /** Called in submission order once the transaction is committed (and synced, per the sync mode). */
  committed?(): void;
}

interface Pending {
  op?: TxnOp;
  /** An operation lmdb-js runs as its own transaction (clearAsync). */
  solo?: () => Promise<unknown>;
  resolve(): void;
  reject(error: StorageError): void;
}

export interface CommitQueueOptions {
  /** Soft cap on LMDB operations per transaction; one op is never split. */
  maxTxnCost: number;
  dir: string;
  /** Called after a failed commit, before the rejections are delivered, so stores can reload from disk. */
  onFailure(error: StorageError): void;
  /** Space allocated ahead of the file: a transaction commits only when it covers the transaction's growth. */
  reserve?: DiskReserve;
}

/** How long to wait for lmdb-js's commitError promise, which carries the real errno. */
const COMMIT_ERROR_WAIT_MS = 200;

async function unwrapCommitError(error: unknown): Promise<unknown> {
  const inner = (error as { commitError?: unknown } | null)?.commitError;
  if (!(inner instanceof Promise)) return error;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      inner.then(
        () => error,
        (cause: unknown) => cause,
      ),
      new Promise<unknown>((resolve) => {
        timer = setTimeout(() => resolve(error), COMMIT_ERROR_WAIT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export class CommitQueue {
  private queue: Pending[] = [];
  private scheduled = false;
  private inFlight = false;
  private closed = false;
  /** Set when the environment could only be opened read-only: every write is refused with it. */
  private refusal: StorageError | undefined;
  private idleWaiters: Array<() => void> = [];
  /** Transactions committed by this queue (for tests and INFO). */
  transactions = 0;
  /** Commits that LMDB itself failed (not counting those the disk reserve refused beforehand). */
  failedCommits = 0;
  /** The last commit failure, cleared by the next successful commit. */
  lastError: StorageError | undefined;

  constructor(
    private readonly env: RootDatabase,
    private readonly options: CommitQueueOptions,
  ) {}

  submit(op: TxnOp): Promise<void> {
    return this.enqueue({ op });
  }

  submitSolo(run: () => Promise<unknown>): Promise<void> {
    return this.enqueue({ solo: run });
  }

  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void> {
    if (!this.inFlight && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
  }

  refuseWrites(error: StorageError): void {
    this.refusal = error;
  }

  /** Throws if a write would be refused; stores call it before touching their in-memory state. */
  checkWritable(): void {
    if (this.closed) throw new StorageClosedError();
    if (this.refusal) throw this.refusal;
  }

  private enqueue(item: Omit<Pending, 'resolve' | 'reject'>): Promise<void> {
    try {
      this.checkWritable();
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ...item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight || this.queue.length === 0) return;
    this.scheduled = true;
    // setImmediate, not a microtask: everything submitted in this event-loop turn joins the transaction.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    if (this.inFlight || this.queue.length === 0) return;
    const batch = this.takeBatch();
    this.inFlight = true;
    const reserve = this.options.reserve;
    const growth = growthOf(batch);
    if (!reserve || reserve.covers(growth)) {
      this.commit(batch);
      return;
    }
    // Not enough space allocated ahead: get it first, or refuse before LMDB can meet ENOSPC.
    reserve.ensure(growth).then(
      (ok) => {
        if (ok) return this.commit(batch);
        const why = reserve.lastProblem || `less than ${growth} bytes free`;
        void this.onFailed(batch, new StorageFullError('ENOSPC', `commit: no space left on device (${this.options.dir}): ${why}`));
      },
      (error: unknown) => void this.onFailed(batch, error),
    );
  }

  private commit(batch: Pending[]): void {
    let commit: Promise<unknown>;
    try {
      const solo = batch[0].solo;
      commit = solo
        ? solo()
        : this.env.batch(() => {
            for (const item of batch) item.op!.write();
          });
    } catch (error) {
      commit = Promise.reject(error);
    }
    commit.then(
      () => this.onCommitted(batch),
      (error: unknown) => {
        this.failedCommits++;
        return this.onFailed(batch, error);
      },
    );
  }

  private takeBatch(): Pending[] {
    const first = this.queue.shift()!;
    if (first.solo) return [first];
    const batch = [first];
    let cost = first.op!.cost;
    while (this.queue.length > 0) {
      const next = this.queue[0];
      if (next.solo || cost + next.op!.cost > this.options.maxTxnCost) break;
      cost += next.op!.cost;
      batch.push(this.queue.shift()!);
    }
    return batch;
  }

  private onCommitted(batch: Pending[]): void {
    this.inFlight = false;
    this.options.reserve?.refresh();
    this.options.reserve?.topUp();
    this.transactions++;
    this.lastError = undefined;
    for (const item of batch) item.op?.committed?.();
    for (const item of batch) item.resolve();
    this.afterTransaction();
  }

  private async onFailed(batch: Pending[], error: unknown): Promise<void> {
    const cause = await unwrapCommitError(error);
    const failure = classifyStorageError(cause, this.options.dir, 'commit');
    // Everything queued behind the failed transaction is dropped with it.
    const dropped = batch.concat(this.queue);
    this.queue = [];
    this.inFlight = false;
    this.lastError = failure;
    this.options.reserve?.refresh();
    try {
      this.options.onFailure(failure);
    } catch (reloadError) {
      // The store could not re-read its state: refuse further writes rather than build on a wrong view.
      this.refusal = classifyStorageError(reloadError, this.options.dir, 'reload after failed commit');
    }
    for (const item of dropped) item.reject(failure);
    this.afterTransaction();
  }

  private afterTransaction(): void {
    if (this.queue.length > 0) {
      this.schedule();
    } else {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }
}

function growthOf(batch: Pending[]): number {
  let ops = 0;
  let bytes = 0;
  for (const item of batch) {
    ops += item.op?.cost ?? 1;
    bytes += item.op?.bytes ?? 0;
  }
  return txnGrowthEstimate(ops, bytes);
}
