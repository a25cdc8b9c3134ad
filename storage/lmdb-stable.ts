import type { HardState } from '../server/raft/types';
import { quiet } from './lmdb-errors';
import type { StableStore } from './types';
import type { CommitQueue, TxnOp } from './lmdb-commit';
import { EMPTY_HARD_STATE, META, decodeJson, encodeJson } from './lmdb-codec';
import type { MetaDb } from './lmdb-log';

/** Raft's hard state (term, vote, commit) as one JSON record of the meta DB. */
export class LmdbStableStore implements StableStore {
  private current: HardState = EMPTY_HARD_STATE;

  constructor(
    private readonly meta: MetaDb,
    private readonly queue: CommitQueue,
  ) {
    this.load();
  }

  /** The last hard state set (visible at once, durable when its promise resolved). */
  hardState(): HardState {
    return this.current;
  }

  setHardState(hs: HardState): Promise<void> {
    try {
      this.queue.checkWritable();
      return this.queue.submit(this.prepare(hs));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  prepare(hs: HardState): TxnOp {
    this.current = { term: hs.term, vote: hs.vote, commit: hs.commit };
    const value = encodeJson(this.current);
    const meta = this.meta;
    return { cost: 1, write: () => quiet(meta.put(META.hardState, value)) };
  }

  load(): void {
    this.current = decodeJson(META.hardState, this.meta.get(META.hardState), EMPTY_HARD_STATE);
  }
}
