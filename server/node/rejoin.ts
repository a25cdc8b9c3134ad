/**
 * A voter that lost its data must not vote as if nothing happened: it may
 * have voted in a term before the loss, and a second vote in that term can
 * elect a second leader (design note 8). This module decides, at start, when
 * an empty voter may vote, and brings a wiped one back the way etcd and
 * RedisRaft do: made a learner, caught up (by snapshot), promoted.
 *
 * Node side (RejoinGuard):
 *  - `probing`: started with no data but listed as a voter. It neither votes
 *    nor campaigns; it asks its peers for their state (a probe on the peer
 *    link). Once empty peers and itself form a majority and no peer showed
 *    history, this is a new cluster and it may vote. (Every voter that ever
 *    voted keeps a term: a peer with history proves the node lost its data.
 *    Only voters that never ran, with every one that did unreachable, would
 *    look like a new cluster: two faults at once, see docs/cluster.md.)
 *  - `lost-data`: a peer has history (a term or a log), or the node's own
 *    log is shorter than its stored commit index. It keeps following the
 *    leader without voting and asks it, every second, to re-add it
 *    (RAFT.NODE REJOIN id addr 0). The leader demotes it to a learner,
 *    answering the index of that change. A node started with
 *    --join yes is empty by design: it only checks, once added (peers answer
 *    members only), that the cluster does not list it as a voter already.
 *  - `learner`: demoted at that index. Once the node has applied it and its
 *    applied membership lists it as a voter again (the leader promotes it
 *    once caught up), it votes again: every vote it casts from then on is
 *    durable. Any vote it forgot was cast before it restarted, in an election
 *    that has ended (a candidate gives up after one election timeout; the
 *    rejoin takes longer, and a node that hears from a leader ignores
 *    candidates).
 *
 * Leader side (rejoinOnLeader): the RAFT.NODE REJOIN handler.
 */
import { ErrorReply, RawReply, type Reply } from '../../protocol/reply';
import type { ConfState } from '../raft';
import type { Logger } from '../log';
import type { ClusterMember } from '../members';

export type RecoveryState = 'none' | 'probing' | 'lost-data' | 'learner';

/** Probe payloads ride in `forward` frames; these kinds are outside forwarding.ts's (1..3). */
const PROBE = 0x10;
const PROBE_REPLY = 0x11;
const PROBE_INTERVAL_MS = 200;
const REJOIN_INTERVAL_MS = 1000;

export interface ProbeAnswer {
  term: number;
  lastIndex: number;
  commit: number;
  /** The answering node's membership lists the asking node as a voter. */
  askerIsVoter: boolean;
}

export function isProbePayload(p: Uint8Array): boolean {
  return p.byteLength > 0 && (p[0] === PROBE || p[0] === PROBE_REPLY);
}

export function encodeProbe(): Buffer {
  return Buffer.from([PROBE]);
}

export function encodeProbeReply(a: ProbeAnswer): Buffer {
  const b = Buffer.allocUnsafe(26);
  b.writeUInt8(PROBE_REPLY, 0);
  b.writeDoubleLE(a.term, 1);
  b.writeDoubleLE(a.lastIndex, 9);
  b.writeDoubleLE(a.commit, 17);
  b.writeUInt8(a.askerIsVoter ? 1 : 0, 25);
  return b;
}

export function decodeProbe(p: Uint8Array): { kind: 'probe' } | ({ kind: 'reply' } & ProbeAnswer) {
  const b = Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  if (b[0] === PROBE) return { kind: 'probe' };
  if (b.length < 26) throw new RangeError('probe reply truncated');
  return { kind: 'reply', term: b.readDoubleLE(1), lastIndex: b.readDoubleLE(9), commit: b.readDoubleLE(17), askerIsVoter: b[25] === 1 };
}

/** What the guard needs from the node driver. */
export interface RejoinHost {
  readonly id: number;
  readonly log: Logger;
  /** This node's address as RAFT.NODE ADD takes it (host:port:peerport), or '-' when unknown (the leader knows it). */
  address(): string;
  confState(): ConfState;
  appliedIndex(): number;
  leaderId(): number;
  setVoting(allowed: boolean): void;
  sendPeer(to: number, payload: Buffer): void;
  /** Sends an admin command to the leader (forwarded). */
  askLeader(argv: Buffer[], done: (reply: Reply) => void): void;
}

/** Peers that must answer "empty" before an empty voter may vote: with itself, a majority of the voters. */
export function emptyPeersNeeded(voters: number): number {
  return Math.floor(voters / 2);
}

export class RejoinGuard {
  private stateValue: RecoveryState = 'none';
  private timer: NodeJS.Timeout | undefined;
  private readonly emptyPeers = new Set<number>();
  /** Started with --join yes: empty is normal, unless the cluster already made this node a voter. */
  private joining = false;
  /** Index of the membership change that made this node a learner (0: not yet). */
  private rejoinIndex = 0;
  private asking = false;
  /** The last refusal logged (a refusal repeats every second; log it once). */
  private lastRefusal = '';

  constructor(private readonly host: RejoinHost) {}

  get state(): RecoveryState {
    return this.stateValue;
  }

  /**
   * Reads must wait for a ReadIndex barrier, never answer from this node's
   * own state: it lost its data and is catching up, or it is empty and does
   * not know yet whether it lost its data (a few round trips; on a new
   * cluster with no leader yet, or a --join node not added yet, that is
   * -CLUSTERDOWN, as for any read behind a barrier).
   */
  get catchingUp(): boolean {
    return this.stateValue !== 'none';
  }

  /**
   * Called once at start, before the first tick. `empty`: no hard state, no
   * log, no keyspace. `damaged`: the log ends before the stored commit index.
   * `join`: started with --join yes (empty is normal then).
   */
  begin(empty: boolean, damaged: boolean, join = false): void {
    const voters = this.host.confState().voters;
    const listed = voters.includes(this.host.id);
    if (damaged && listed) {
      this.host.setVoting(false);
      this.lost('this node\'s log ends before its stored commit index (truncated or damaged)');
      return;
    }
    this.joining = join && !listed;
    if (!empty || (!listed && !this.joining) || voters.length < (this.joining ? 1 : 2)) return;
    this.host.setVoting(false);
    this.stateValue = 'probing';
    if (this.joining) this.host.log.info({ voters }, 'started with no data to join: checking that the cluster has not made this node a voter already');
    else this.host.log.warn({ voters }, 'started with no data as a voter: not voting until the peers confirm the cluster is new');
    this.timer = setInterval(() => this.poll(), PROBE_INTERVAL_MS).unref();
    this.sendProbes();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A peer link came up: probe it at once rather than at the next round (frames sent before were dropped). */
  onPeerConnected(peer: number): void {
    if (this.stateValue === 'probing' && this.host.confState().voters.includes(peer)) this.host.sendPeer(peer, encodeProbe());
  }

  /** A probe or probe reply from a peer; `answer` is this node's own state (for replying). */
  onPeerPayload(from: number, payload: Uint8Array, answer: () => ProbeAnswer): void {
    let msg;
    try {
      msg = decodeProbe(payload);
    } catch (err) {
      this.host.log.warn({ err, from }, 'malformed probe');
      return;
    }
    if (msg.kind === 'probe') {
      this.host.sendPeer(from, encodeProbeReply(answer()));
      return;
    }
    if (this.stateValue !== 'probing') return;
    const history = msg.term > 0 || msg.lastIndex > 0 || msg.commit > 0;
    if (this.joining ? history && msg.askerIsVoter : history) {
      this.lost(`peer ${from} has term ${msg.term}, commit index ${msg.commit}, last index ${msg.lastIndex}${msg.askerIsVoter ? ' and lists this node as a voter' : ''}`);
      return;
    }
    this.emptyPeers.add(from);
    const voters = this.host.confState().voters;
    const empties = [...this.emptyPeers].filter((id) => voters.includes(id)).length;
    if (empties >= emptyPeersNeeded(voters.length)) {
      this.stateValue = 'none';
      this.close();
      this.host.setVoting(true);
      this.host.log.info({ peers: [...this.emptyPeers] }, this.joining ? 'peers confirm this node is not a voter yet: waiting to be added' : 'peers confirm a new cluster: voting');
    }
  }

  /** After entries are applied or a snapshot installed: re-enable voting once promoted after the rejoin. */
  onApplied(): void {
    if (this.stateValue !== 'learner' || this.host.appliedIndex() < this.rejoinIndex) return;
    if (!this.host.confState().voters.includes(this.host.id)) return;
    this.stateValue = 'none';
    this.close();
    this.host.setVoting(true);
    this.host.log.info({ index: this.host.appliedIndex() }, 'rejoined the cluster as a voter: voting again');
  }

  private lost(why: string): void {
    this.stateValue = 'lost-data';
    this.host.log.error(
      { why },
      'this node lost its data (its data directory is new or damaged but the cluster has history): it will not vote; asking the leader to make it a learner and promote it once caught up (RAFT.NODE REJOIN), see docs/cluster.md',
    );
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => this.poll(), REJOIN_INTERVAL_MS).unref();
  }

  private sendProbes(): void {
    for (const id of this.host.confState().voters) if (id !== this.host.id) this.host.sendPeer(id, encodeProbe());
  }

  /** Periodic work (run by its own timer; public for tests). */
  poll(): void {
    if (this.stateValue === 'probing') {
      this.sendProbes();
      return;
    }
    if (this.stateValue === 'none') return;
    this.onApplied();
    const leader = this.host.leaderId();
    if (this.asking || leader === 0 || leader === this.host.id) return;
    this.asking = true;
    const argv = ['RAFT.NODE', 'REJOIN', String(this.host.id), this.host.address(), String(this.rejoinIndex)].map((s) => Buffer.from(s));
    this.host.askLeader(argv, (raw) => {
      this.asking = false;
      const reply = integerReply(raw);
      if (typeof reply === 'number' && reply > 0) {
        if (this.stateValue === 'lost-data') {
          this.rejoinIndex = reply;
          this.stateValue = 'learner';
          this.host.log.info({ index: reply }, 'demoted to a learner: catching up, then the leader promotes this node');
        }
        this.onApplied();
      } else {
        const text = raw instanceof RawReply ? raw.bytes.toString('latin1').trim() : raw instanceof ErrorReply ? raw.message : String(raw);
        if (text !== this.lastRefusal) this.host.log.warn({ reply: text }, 'RAFT.NODE REJOIN refused; retrying every second');
        this.lastRefusal = text;
      }
    });
  }
}

/** A forwarded reply arrives as RESP bytes: `:N` is the integer N. */
function integerReply(r: Reply): Reply {
  if (!(r instanceof RawReply)) return r;
  const m = /^:(\d+)\r\n$/.exec(r.bytes.toString('latin1'));
  return m ? Number(m[1]) : r;
}

// ---------------------------------------------------------------- leader side

/** What the leader side needs from the node driver. */
export interface RejoinLeader {
  isLeader(): boolean;
  confState(): ConfState;
  appliedIndex(): number;
  commitIndex(): number;
  /** The leader's view of a member's log: its match index and whether it replicates normally. */
  peerProgress(id: number): { match: number; state: string } | undefined;
  /** A member's addresses as the leader knows them. */
  member(id: number): ClusterMember | undefined;
  /** Adds a learner, or demotes a voter to one (AddLearner). */
  addNode(member: ClusterMember, done: (reply: Reply) => void): void;
  promoteNode(id: number, done: (reply: Reply) => void): void;
}

const PROMOTE_POLL_MS = 200;
/**
 * A learner this close to the commit index counts as caught up (under
 * continuous writes it is always a few entries behind). Promoting a lagging
 * voter is safe in Raft; this only keeps the cluster from waiting on it.
 */
const PROMOTE_MAX_LAG = 100;
/** Learners this leader promotes once caught up (one watcher each). */
const promoters = new Map<number, NodeJS.Timeout>();

/**
 * RAFT.NODE REJOIN id addr index, run on the leader for a node that lost its
 * data. index 0: the node is not a learner yet; if it is a voter, demote it
 * to a learner (one membership change: its vote stops counting at once, and
 * it stays a member that the leader keeps replicating to). Answers the index
 * the node must apply before it may vote again, and promotes the node once a
 * fresh acknowledgement shows its log has caught up. A node that is not a
 * member was removed by an operator: that stands.
 */
export function rejoinOnLeader(c: RejoinLeader, id: number, given: ClusterMember | undefined, index: number, done: (reply: Reply) => void): void {
  // The address this leader reaches it at wins (it may differ from the node's own view, e.g. behind a proxy).
  const member = c.member(id) ?? given;
  if (member === undefined) {
    done(new ErrorReply(`ERR no address known for node ${id}`));
    return;
  }
  const conf = c.confState();
  const isVoter = conf.voters.includes(id) || conf.votersOutgoing.includes(id);
  const isLearner = conf.learners.includes(id) || conf.learnersNext.includes(id);
  let tries = 0;
  const demote = (): void =>
    c.addNode(member, (r) => {
      if (r instanceof ErrorReply) {
        // Another membership change is being applied: retry shortly.
        if (/membership change is already in progress/.test(r.message) && ++tries < 50 && c.isLeader()) setTimeout(demote, 20);
        else done(r);
      } else {
        const at = c.appliedIndex();
        watchPromotion(c, id, at);
        done(at);
      }
    });
  if (index === 0 && isVoter) {
    demote();
  } else if (isLearner) {
    const at = Math.max(index, c.appliedIndex());
    watchPromotion(c, id, at);
    done(at);
  } else if (isVoter) {
    done(index); // promoted already
  } else {
    done(new ErrorReply(`ERR node ${id} is not a member of the cluster; add it with RAFT.NODE ADD`));
  }
}

/**
 * Promotes learner `id` once it acknowledged an index >= `since` (an
 * acknowledgement of this incarnation: what it acknowledged before it lost
 * its data is older) within PROMOTE_MAX_LAG of the commit index. Stops if
 * this node stops leading.
 */
function watchPromotion(c: RejoinLeader, id: number, since: number): void {
  if (promoters.has(id)) return;
  let proposing = false;
  const stop = (): void => {
    clearInterval(promoters.get(id));
    promoters.delete(id);
  };
  promoters.set(
    id,
    setInterval(() => {
      const conf = c.confState();
      if (!c.isLeader() || !conf.learners.includes(id)) {
        stop();
        return;
      }
      const p = c.peerProgress(id);
      if (proposing || !p || p.state !== 'replicate' || p.match < since || p.match + PROMOTE_MAX_LAG < c.commitIndex()) return;
      proposing = true;
      c.promoteNode(id, (r) => {
        proposing = false;
        if (!(r instanceof ErrorReply)) stop();
      });
    }, PROMOTE_POLL_MS).unref(),
  );
}
