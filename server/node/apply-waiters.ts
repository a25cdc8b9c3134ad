/**
 * Writes waiting for their log entry to be applied, in log-index order: a
 * queue of parallel arrays, so a write in flight costs no object and no hash
 * table entry of its own. (A Waiter object plus a Map entry per write lived
 * as long as a sync and a commit, long enough to be promoted to V8's old
 * generation and collected there: a tenth of everything promoted in a
 * pipelined XADD fill.)
 */
import type { Reply } from '../../protocol/reply';

export type ApplyDone = (reply: Reply, index: number) => void;

/** How a waiter that will not get its entry's reply is answered. */
export interface WaiterOutcomes {
  /** Its entry was truncated away (the index is being reused): it was not applied. */
  truncated(done: ApplyDone): void;
  /** Applying went past its index without it (a snapshot was installed): its outcome is unknown here. */
  skipped(done: ApplyDone): void;
  /** Its index was applied with another term's entry: it was not applied. */
  replaced(done: ApplyDone): void;
}

/** `P`: what the proposer left with a waiter for the apply to use (the leader's decoded op). */
export class ApplyWaiters<P = undefined> {
  private indexes: number[] = [];
  private terms: number[] = [];
  private dones: Array<ApplyDone | undefined> = [];
  private payloads: Array<P | undefined> = [];
  private head = 0;

  constructor(private readonly outcomes: WaiterOutcomes) {}

  get size(): number {
    return this.indexes.length - this.head;
  }

  /**
   * Waits for the entry `index` of `term`. Indexes only grow, except after
   * the log was truncated: waiters at `index` and beyond are then for
   * entries that are gone, and are answered now.
   */
  add(index: number, term: number, done: ApplyDone, payload?: P): void {
    while (this.size > 0 && this.indexes[this.indexes.length - 1] >= index) {
      this.indexes.pop();
      this.terms.pop();
      this.payloads.pop();
      this.outcomes.truncated(this.dones.pop()!);
    }
    this.indexes.push(index);
    this.terms.push(term);
    this.dones.push(done);
    this.payloads.push(payload);
  }

  /**
   * The payload of the waiter for entry `index` of `term`, if one waits for
   * exactly that entry (same index and term: the same entry, by Raft's log
   * matching); undefined otherwise.
   */
  payloadFor(index: number, term: number): P | undefined {
    let at = this.head;
    const n = this.indexes.length;
    while (at < n && this.indexes[at] < index) at++;
    return at < n && this.indexes[at] === index && this.terms[at] === term ? this.payloads[at] : undefined;
  }

  /** Entry `index` of `term` was applied with `reply`: answers its waiter, and any passed over. */
  applied(index: number, term: number, reply: Reply): void {
    while (this.size > 0 && this.indexes[this.head] <= index) {
      const at = this.head;
      const done = this.dones[at]!;
      this.dones[at] = undefined;
      this.payloads[at] = undefined;
      this.head++;
      if (this.indexes[at] < index) this.outcomes.skipped(done);
      else if (this.terms[at] === term) done(reply, index);
      else this.outcomes.replaced(done);
    }
    this.compact();
  }

  /** Drops the answered front once it is most of the arrays (amortised O(1) per waiter). */
  private compact(): void {
    const h = this.head;
    if (h === 0) return;
    if (h === this.indexes.length) {
      this.indexes.length = 0;
      this.terms.length = 0;
      this.dones.length = 0;
      this.payloads.length = 0;
      this.head = 0;
    } else if (h >= 1024 && h * 2 >= this.indexes.length) {
      this.indexes.splice(0, h);
      this.terms.splice(0, h);
      this.dones.splice(0, h);
      this.payloads.splice(0, h);
      this.head = 0;
    }
  }
}
