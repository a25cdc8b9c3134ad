/**
 * The leader's write intake. Writes proposed in one event-loop turn wait
 * here and are handed to the core by the next Ready round in groups of up to
 * PROPOSAL_BATCH_BYTES (one batch, one sync); each waits, by log index, for
 * its entry to be applied and gets the reply apply computed. With no leader
 * known (an election is running) writes wait up to the write timeout; while
 * the disk refuses writes they are answered -MISCONF.
 */
import { errClusterDown, errTryAgain } from '../../protocol/errors';
import { ErrorReply, type Reply } from '../../protocol/reply';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../transport/frames';
import { RaftError, Role, type Entry } from '../raft';
import { ApplyWaiters } from './apply-waiters';
import { ERR_OUTCOME_UNKNOWN_FAILOVER, misconf, raftErrorReply } from './errors';
import type { LogOp } from '../logop';
import type { NodeState } from './state';

/** Proposals are handed to the core in groups of at most this many bytes (one larger entry goes alone). */
const PROPOSAL_BATCH_BYTES = 8 * 1024 * 1024;
/**
 * A proposer's op is kept for the apply only for entries up to this size:
 * decoding is what it saves, and a big entry's op would keep the request's
 * copy of its value alive beside the entry until the apply.
 */
const KEEP_OP_MAX_BYTES = 64 * 1024;
/** The largest log entry: what a peer link carries (DEFAULT_MAX_MESSAGE_BYTES) less room for the message around it. */
export const MAX_ENTRY_BYTES = DEFAULT_MAX_MESSAGE_BYTES - 1024 * 1024;

const notApplied = () => errTryAgain('leadership changed before the write was committed; it was not applied');

interface PendingProposal {
  data: Buffer;
  done: (reply: Reply, index: number) => void;
  deadline: number;
  /** The op `data` encodes, when the proposer has it: applied as is instead of decoding the entry again. */
  op: LogOp | undefined;
}

/** What proposing uses of the node's shared state. */
export type ProposalNode = Readonly<Pick<NodeState, 'log' | 'raft' | 'role' | 'leader' | 'diskError'>>;

export interface ProposalOptions {
  writeTimeoutMs: number;
  scheduleReady(): void;
}

export class Proposals {
  /** Proposed since the last Ready round. */
  private proposals: PendingProposal[] = [];
  /** Waiting for a leader to be known. */
  private noLeaderQueue: PendingProposal[] = [];
  /** Proposed entries waiting to be applied, in log order. */
  private readonly waiters = new ApplyWaiters<LogOp>({
    truncated: (done) => done(notApplied(), 0),
    replaced: (done) => done(notApplied(), 0),
    skipped: (done) => done(ERR_OUTCOME_UNKNOWN_FAILOVER, 0),
  });

  constructor(
    private readonly node: ProposalNode,
    private readonly opts: ProposalOptions,
  ) {}

  /**
   * Proposes encoded op bytes on the leader; `done` gets the applied reply
   * and its index. `op`, when given, is what `data` encodes (encodeOp(op)):
   * the apply of this entry on this node uses it instead of decoding the
   * entry (a pipelined XADD fill spent a tenth of its time decoding argv
   * views back out of entries it had just encoded). It must not be changed
   * after this call.
   */
  proposeData(data: Buffer, done: (reply: Reply, index: number) => void, op?: LogOp): void {
    if (data.length > MAX_ENTRY_BYTES) {
      // Refused up front: no peer link could carry it.
      done(new ErrorReply(`ERR write of ${data.length} bytes exceeds the replication limit of ${MAX_ENTRY_BYTES} bytes`), 0);
      return;
    }
    this.proposals.push({ data, done, deadline: Date.now() + this.opts.writeTimeoutMs, op: data.length <= KEEP_OP_MAX_BYTES ? op : undefined });
    this.opts.scheduleReady();
  }

  /** Calls `done` with the reply once the entry at `index` is applied, if its term is still `term`. */
  awaitApply(index: number, term: number, done: (reply: Reply, index: number) => void): void {
    this.waiters.add(index, term, done);
  }

  /** Writes wait to be handed to the core (the Ready loop has work). */
  hasPending(): boolean {
    return this.proposals.length > 0;
  }

  /** The Ready loop's turn: hands what was proposed since the last round to the core. */
  submitProposals(): void {
    if (this.proposals.length === 0) return;
    const batch = this.proposals;
    this.proposals = [];
    if (this.node.diskError) {
      for (const p of batch) p.done(misconf(this.node.diskError), 0);
      return;
    }
    if (this.node.role !== Role.Leader) {
      if (this.node.leader !== 0) {
        const err = errTryAgain(`leadership moved to node ${this.node.leader}; retry`);
        for (const p of batch) p.done(err, 0);
      } else {
        // No leader yet (an election is running): wait for one, up to the write timeout.
        this.noLeaderQueue.push(...batch);
      }
      return;
    }
    // A huge entry goes in a proposal of its own. When the core's limit on
    // uncommitted bytes refuses a group (a huge entry waits for the log to
    // drain; others wait behind a huge one in flight), it and everything after
    // it wait, in order, for the next round (backpressure, not an error) until
    // their write timeout; holding the rest back lets the log drain, so a huge
    // write is admitted even while other clients keep writing.
    const now = Date.now();
    for (let i = 0; i < batch.length; ) {
      let j = i + 1;
      let bytes = batch[i].data.length;
      while (j < batch.length && bytes + batch[j].data.length <= PROPOSAL_BATCH_BYTES) bytes += batch[j++].data.length;
      const group = batch.slice(i, j);
      try {
        const res = this.node.raft.propose(group.map((p) => p.data));
        for (let k = 0; k < group.length; k++) this.waiters.add(res.index + k, res.term, group[k].done, group[k].op);
      } catch (e) {
        const err = raftErrorReply(e, this.node.log);
        if (e instanceof RaftError && e.code === 'uncommitted-limit') {
          const wait: PendingProposal[] = [];
          for (const p of batch.slice(i)) {
            if (p.deadline > now) wait.push(p);
            else p.done(err, 0);
          }
          this.proposals = wait.concat(this.proposals);
          return;
        }
        for (const p of group) p.done(err, 0);
      }
      i = j;
    }
  }

  /** The disk refuses writes: answer what waits to be proposed -MISCONF. */
  failQueuedWrites(): void {
    const err = misconf(this.node.diskError!);
    const q = this.proposals;
    this.proposals = [];
    for (const p of q) p.done(err, 0);
  }

  /** The op this node proposed as entry `index` of `term` (it encodes that entry), or undefined: decode the entry. */
  proposedOp(index: number, term: number): LogOp | undefined {
    return this.waiters.payloadFor(index, term);
  }

  /** An entry was applied: answer the write that proposed it (if this node did, in that term). */
  onApplied(e: Entry, reply: Reply): void {
    this.waiters.applied(e.index, e.term, reply);
  }

  /** A leader is known: writes that waited for one are proposed here, or refused so the client retries there. */
  onLeaderKnown(role: Role): void {
    const q = this.noLeaderQueue;
    this.noLeaderQueue = [];
    if (role === Role.Leader) this.proposals.push(...q);
    else for (const p of q) p.done(errTryAgain('leadership moved to another node; retry'), 0);
  }

  expire(now: number): void {
    if (this.noLeaderQueue.length > 0) {
      const keep: PendingProposal[] = [];
      for (const p of this.noLeaderQueue) {
        if (p.deadline <= now) p.done(errClusterDown('no leader'), 0);
        else keep.push(p);
      }
      this.noLeaderQueue = keep;
    }
  }
}
