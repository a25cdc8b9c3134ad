/**
 * Membership: proposing conf changes (RAFT.NODE ADD / PROMOTE / REMOVE) and
 * leadership transfers on the leader, applying committed conf changes on
 * every node (the core's ConfState, the members table, the peer links), and
 * what the rejoin path (rejoin.ts) asks of this node: its probe answer and
 * the leader's view for RAFT.NODE REJOIN.
 */
import { errTryAgain } from '../../protocol/errors';
import { ErrorReply, RawReply, type Reply } from '../../protocol/reply';
import { decodeMembers, encodeMembers, type ClusterMember } from '../members';
import { ConfChangeType, Role, decodeConfChange, type ConfChange, type Entry } from '../raft';
import { raftErrorReply } from './errors';
import type { ProbeAnswer, RejoinLeader } from './rejoin';
import type { NodeState } from './state';

interface LeaderWaiter {
  target: number;
  done: (ok: boolean) => void;
  deadline: number;
}

/** What membership uses of the node's shared state (it writes conf, members and the flush flags). */
export type MembershipNode = Pick<
  NodeState,
  'id' | 'log' | 'fsm' | 'raft' | 'transport' | 'role' | 'conf' | 'members' | 'membersDirty' | 'requestKeyspaceFlush'
>;

export interface MembershipOptions {
  tickMs: number;
  electionTicks: number;
  /** Calls `done` with the reply once the entry at `index` is applied, if its term is still `term`. */
  awaitApply(index: number, term: number, done: (reply: Reply) => void): void;
  scheduleReady(): void;
}

export class Membership {
  /** TRANSFER_LEADER calls waiting to see their target lead. */
  private readonly leaderWaiters: LeaderWaiter[] = [];

  constructor(
    private readonly node: MembershipNode,
    private readonly opts: MembershipOptions,
  ) {}

  private isLeader(): boolean {
    return this.node.role === Role.Leader;
  }

  // ------------------------------------------------------------------ proposing (leader)

  /** Proposes a membership change on the leader; resolves with OK once applied. */
  proposeConfChange(cc: ConfChange, done: (reply: Reply) => void): void {
    if (!this.isLeader()) {
      done(new ErrorReply('ERR not the leader; run this on the leader or let it be forwarded'));
      return;
    }
    try {
      const res = this.node.raft.proposeConfChange(cc);
      this.opts.awaitApply(res.index, res.term, (r) => done(r));
      this.opts.scheduleReady();
    } catch (e) {
      done(raftErrorReply(e, this.node.log));
    }
  }

  addNode(member: ClusterMember, done: (reply: Reply) => void): void {
    this.proposeConfChange(
      { changes: [{ type: ConfChangeType.AddLearner, node: member.id }], context: encodeMembers([member]) },
      done,
    );
  }

  promoteNode(id: number, done: (reply: Reply) => void): void {
    if (!this.node.conf.learners.includes(id)) {
      done(new ErrorReply(`ERR node ${id} is not a learner`));
      return;
    }
    this.proposeConfChange({ changes: [{ type: ConfChangeType.AddNode, node: id }] }, done);
  }

  removeNode(id: number, done: (reply: Reply) => void): void {
    if (!this.node.conf.voters.includes(id) && !this.node.conf.learners.includes(id)) {
      done(new ErrorReply(`ERR node ${id} is not a member`));
      return;
    }
    this.proposeConfChange({ changes: [{ type: ConfChangeType.RemoveNode, node: id }] }, done);
  }

  transferLeader(target: number, done: (reply: Reply) => void): void {
    if (!this.isLeader()) {
      done(new ErrorReply('ERR not the leader'));
      return;
    }
    if (target === this.node.id) {
      done(new ErrorReply('ERR this node is already the leader'));
      return;
    }
    if (!this.node.conf.voters.includes(target)) {
      done(new ErrorReply(`ERR node ${target} is not a voter`));
      return;
    }
    try {
      this.node.raft.transferLeader(target);
    } catch (e) {
      done(raftErrorReply(e, this.node.log));
      return;
    }
    this.leaderWaiters.push({
      target,
      deadline: Date.now() + this.opts.tickMs * this.opts.electionTicks * 3,
      done: (ok) => done(ok ? new RawReply(Buffer.from('+OK\r\n')) : errTryAgain('leadership transfer did not complete in time')),
    });
    this.opts.scheduleReady();
  }

  /** A new leader: transfers to it are done. */
  onLeaderChange(leader: number): void {
    for (let i = this.leaderWaiters.length - 1; i >= 0; i--) {
      const w = this.leaderWaiters[i];
      if (leader === w.target) {
        this.leaderWaiters.splice(i, 1);
        w.done(true);
      }
    }
  }

  expire(now: number): void {
    for (let i = this.leaderWaiters.length - 1; i >= 0; i--) {
      const w = this.leaderWaiters[i];
      if (w.deadline <= now) {
        this.leaderWaiters.splice(i, 1);
        w.done(false);
      }
    }
  }

  /** Leader only: how many other members (voters and learners) have the log up to `index` on disk. */
  replicasHaving(index: number): number {
    let n = 0;
    for (const p of this.node.raft.status().progress) if (p.id !== this.node.id && p.match >= index) n++;
    return n;
  }

  /** The most up-to-date voter other than this node (for TRANSFER_LEADER without an id). */
  bestTransferTarget(): number {
    let best = 0;
    let bestMatch = -1;
    for (const p of this.node.raft.status().progress) {
      if (!this.node.conf.voters.includes(p.id)) continue;
      if (p.match > bestMatch) {
        best = p.id;
        bestMatch = p.match;
      }
    }
    return best;
  }

  // ------------------------------------------------------------------ applying (every node)

  /** Applies a committed conf change entry; its reply goes to the proposer. */
  applyConfChange(e: Entry): Reply {
    const node = this.node;
    let cc: ConfChange;
    try {
      cc = decodeConfChange(e.data);
    } catch (err) {
      node.log.error({ err, index: e.index }, 'undecodable conf change');
      node.fsm.applyEmpty(e.index);
      return new ErrorReply('ERR undecodable membership change');
    }
    node.conf = node.raft.applyConfChange(cc);
    if (cc.context && cc.context.byteLength > 0) {
      for (const m of decodeMembers(cc.context)) node.members.set(m.id, m);
    }
    for (const ch of cc.changes) {
      if (ch.type === ConfChangeType.RemoveNode) node.members.delete(ch.node);
    }
    node.membersDirty = true;
    node.requestKeyspaceFlush();
    node.fsm.applyEmpty(e.index);
    this.syncTransportPeers();
    node.log.info({ index: e.index, voters: node.conf.voters, learners: node.conf.learners }, 'membership changed');
    return new RawReply(Buffer.from('+OK\r\n'));
  }

  /** Dials the members of the applied membership and drops links to everyone else. */
  syncTransportPeers(): void {
    const transport = this.node.transport;
    if (!transport) return;
    const c = this.node.conf;
    const wanted = new Set([...c.voters, ...c.learners, ...c.votersOutgoing].filter((id) => id !== this.node.id));
    const known = new Set(transport.stats().keys());
    // addPeer is a no-op for a peer already dialed at that address. (stats()
    // also lists peers that only sent us frames, e.g. one removed and added
    // back: it must be dialed again.)
    for (const id of wanted) {
      const m = this.node.members.get(id);
      if (m) transport.addPeer(id, { host: m.host, port: m.peerPort });
    }
    for (const id of known) if (!wanted.has(id)) transport.removePeer(id);
  }

  // ------------------------------------------------------------------ rejoin (rejoin.ts)

  /** This node's state for a peer's probe: an empty voter asks it at start (server/node/rejoin.ts). */
  probeAnswer(asker: number): ProbeAnswer {
    const st = this.node.raft.status();
    const c = this.node.conf;
    return { term: st.term, lastIndex: st.lastIndex, commit: st.commit, askerIsVoter: c.voters.includes(asker) || c.votersOutgoing.includes(asker) };
  }

  /** The leader's side of RAFT.NODE REJOIN (server/node/rejoin.ts). */
  rejoinLeader(): RejoinLeader {
    return {
      isLeader: () => this.isLeader(),
      confState: () => this.node.conf,
      appliedIndex: () => this.node.fsm.appliedIndex,
      commitIndex: () => this.node.raft.status().commit,
      peerProgress: (id) => this.node.raft.status().progress.find((p) => p.id === id),
      member: (id) => this.node.members.get(id),
      addNode: (m, done) => this.addNode(m, done),
      promoteNode: (id, done) => this.promoteNode(id, done),
    };
  }
}
