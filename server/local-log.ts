import type { Reply } from '../protocol/reply';
import type { StateMachine } from './fsm';
import type { LogOp } from './logop';
import type { Replicator } from './replicator';

/**
 * A single-process log with no replication: proposals made during one turn
 * of the event loop are applied together on the next (setImmediate), which
 * is where the Raft driver will append, replicate and commit instead.
 */
export class LocalLog implements Replicator {
  private pending: Array<{ op: LogOp; done: (reply: Reply) => void }> = [];
  private scheduled = false;
  private readonly batchCallbacks: Array<() => void> = [];
  private index = 0;

  constructor(private readonly fsm: StateMachine) {
    this.index = fsm.appliedIndex;
  }

  propose(op: LogOp, done: (reply: Reply) => void): void {
    this.pending.push({ op, done });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.applyPending);
    }
  }

  onBatchApplied(cb: () => void): void {
    this.batchCallbacks.push(cb);
  }

  private readonly applyPending = (): void => {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    for (const p of batch) p.done(this.fsm.apply(++this.index, p.op));
    for (const cb of this.batchCallbacks) cb();
  };
}
