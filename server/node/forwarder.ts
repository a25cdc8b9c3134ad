/**
 * Forwarding (follower side and leader side) over the peer link's `forward`
 * frames. A follower hands a client's write to the leader, tagged with its
 * term and a (client id, seq) that identifies it across retries; it answers
 * the client once it has applied the index the leader reports, so the client
 * reads its own write here. A write waits while no leader is known, is resent
 * under the same id when the leader changes (the state machine answers a
 * request it already applied from its cache), and fails after the write
 * timeout. The leader runs forwarded requests through the forward handler
 * (server.ts), unless they were sent in another term.
 *
 * `forward` frames also carry pub/sub relays (server/pubsub-peers.ts) and
 * rejoin probes (server/node/rejoin.ts): dispatched here, handled there.
 */
import { randomBytes } from 'node:crypto';
import { encodeReply } from '../../protocol/encoder';
import { errClusterDown, errTryAgain } from '../../protocol/errors';
import { ErrorReply, RawReply, SimpleString, errorCodeOf, type Reply } from '../../protocol/reply';
import { decodeForward, encodeForwardPublish, encodeForwardReply, encodeForwardRequest, POP_ACK, type PeerPubSubHandler } from '../forwarding';
import { Role } from '../raft';
import { isProbePayload } from './rejoin';
import { ERR_OUTCOME_UNKNOWN, ERR_OUTCOME_UNKNOWN_FAILOVER } from './errors';
import { MAX_ENTRY_BYTES } from './proposals';
import type { NodeState } from './state';

/** Identifies a forwarded request across retries (see server/forwarding.ts). */
export interface RequestId {
  clientId: number;
  seq: number;
  ackedBelow: number;
}

export type ForwardHandler = (db: number, argv: Buffer[], done: (reply: Reply, index: number) => void, id?: RequestId) => void;

interface PendingForward {
  done: (reply: Reply) => void;
  deadline: number;
  db: number;
  argv: Buffer[];
  proto: 2 | 3;
  /** The leader it was sent to (0 = not sent yet: no leader known or its queue was full). */
  sentTo: number;
  /** It reached some leader at least once: its outcome can no longer be "not applied". */
  everSent: boolean;
  /** How many times it was handed to a leader (sent, or run here after this node took over). */
  sends: number;
  /**
   * It may wait very long (a blocking command): it does not hold back
   * `ackedBelow`, or the leader would keep every later reply cached while it
   * waits. The state machine instead keeps a blocking request's reply once
   * it popped something, until this node acknowledges it (POP_ACK, sent
   * once the reply arrived), and applies a resend that has not popped yet
   * again (it waits again). So a resend under the same id is always safe,
   * and a refusal after a resend is answered by resending, not by giving
   * up: the earlier leader may have popped an element for it.
   */
  longWait: boolean;
}

/** What forwarding uses of the node's shared state. */
export type ForwarderNode = Readonly<Pick<NodeState, 'id' | 'log' | 'transport' | 'role' | 'leader' | 'lastTerm'>>;

export interface ForwarderOptions {
  writeTimeoutMs: number;
  /** Runs fn once this node has applied `index` (read-barriers.ts). */
  waitApplied(index: number, fn: () => void): void;
  /** A rejoin probe or its answer arrived (rejoin.ts). */
  onProbe(from: number, payload: Uint8Array): void;
}

/** A reply to a follower's forwarded write that its link would not take yet. */
interface UnsentReply {
  to: number;
  payload: Buffer;
  /** Given up after this (the follower has answered its client "outcome unknown" by then). */
  deadline: number;
}

export class Forwarder {
  private readonly forwards = new Map<number, PendingForward>();
  /**
   * Replies the link refused: it is full while the leader streams a huge
   * entry to that same follower (a 70 MB SET forwarded from it), and the
   * reply, dropped, left the client waiting until write-timeout. Retried
   * every tick, in order, until sent or expired.
   */
  private unsentReplies: UnsentReply[] = [];
  private forwardHandler: ForwardHandler | undefined;
  private pubsubHandler: PeerPubSubHandler | undefined;
  private nextReqId = 1;
  /** Blocking requests answered from the log whose cached replies the state machine may drop (sent in batches, one at a time). */
  private popAcks: number[] = [];
  private popAckInFlight = false;
  /** This node's client id for the requests it forwards (random per process, so restarts never reuse seqs). */
  private readonly sessionId = randomBytes(6).readUIntLE(0, 6) + 1;

  constructor(
    private readonly node: ForwarderNode,
    private readonly opts: ForwarderOptions,
  ) {}

  setForwardHandler(h: ForwardHandler): void {
    this.forwardHandler = h;
  }

  /** Who handles pub/sub frames from peers (relayed PUBLISH, cluster-wide PUBSUB queries): server/pubsub-peers.ts. */
  setPubSubHandler(h: PeerPubSubHandler): void {
    this.pubsubHandler = h;
  }

  /** Relays a PUBLISH to every peer (best effort, like Redis Cluster's bus); each delivers locally. */
  broadcastPublish(channel: Buffer, message: Buffer): void {
    const transport = this.node.transport;
    if (!transport) return;
    const payload = encodeForwardPublish({ channel, message });
    for (const peer of transport.stats().keys()) transport.send(peer, { type: 'forward', payload });
  }

  /**
   * A write this node cannot propose itself: forward it to the leader, or
   * queue it until one is known (failing after write-timeout-ms).
   */
  forward(db: number, argv: Buffer[], proto: 2 | 3, done: (reply: Reply) => void, extraTimeoutMs = 0, longWait = false): void {
    const reqId = this.nextReqId++;
    const f: PendingForward = { done, deadline: Date.now() + this.opts.writeTimeoutMs + extraTimeoutMs, db, argv, proto, sentTo: 0, everSent: false, sends: 0, longWait };
    this.forwards.set(reqId, f);
    this.sendForward(reqId, f);
  }

  private sendForward(reqId: number, f: PendingForward): void {
    const leader = this.node.leader;
    const transport = this.node.transport;
    if (leader === this.node.id && this.node.role === Role.Leader && this.forwardHandler) {
      // We became the leader while it waited: run it here.
      this.forwards.delete(reqId);
      const ackedBelow = Math.min(reqId, this.oldestAckable(reqId));
      f.sends++;
      this.forwardHandler(f.db, f.argv, (reply, index) => this.settle(reqId, f, reply, index, false), { clientId: this.sessionId, seq: reqId, ackedBelow });
      return;
    }
    if (leader === 0 || leader === this.node.id || !transport) return;
    // Map order is insertion order: the first pending forward is the oldest unanswered one.
    const ackedBelow = this.oldestAckable(reqId);
    const payload = encodeForwardRequest({ reqId, term: this.node.lastTerm, clientId: this.sessionId, ackedBelow, proto: f.proto, db: f.db, argv: f.argv });
    let sent: boolean;
    try {
      sent = transport.send(leader, { type: 'forward', payload });
    } catch (err) {
      // Too large for a peer link: the leader could not replicate it either.
      this.node.log.warn({ err, bytes: payload.length }, 'forwarding a write failed');
      this.forwards.delete(reqId);
      f.done(new ErrorReply(`ERR write of ${payload.length} bytes exceeds the replication limit of ${MAX_ENTRY_BYTES} bytes`));
      return;
    }
    if (sent) {
      f.sentTo = leader;
      f.everSent = true;
      f.sends++;
    }
  }

  /** The oldest unanswered forward that holds back acknowledgements (Map order is insertion order), or `fallback`. */
  private oldestAckable(fallback: number): number {
    for (const [id, f] of this.forwards) if (!f.longWait) return id;
    return fallback;
  }

  /** Sends the forwards not sent yet (no leader was known, or its queue was full), and replies the links refused; acknowledges pops. */
  retryUnsentForwards(): void {
    for (const [reqId, f] of this.forwards) if (f.sentTo === 0) this.sendForward(reqId, f);
    if (this.unsentReplies.length > 0) this.retryUnsentReplies(Date.now());
    this.sendPopAcks();
  }

  /**
   * A forward has its answer (`viaLink`: from the leader's reply frame, else
   * run here). A blocking request refused for leadership reasons after a
   * resend is resent again under the same id until its deadline (see
   * `longWait`); one answered from the log has its cached reply acknowledged.
   */
  private settle(reqId: number, f: PendingForward, reply: Reply, index: number, viaLink: boolean): void {
    if (f.longWait && f.sends > 1 && isRefusal(reply, LEADERSHIP_REFUSALS) && f.deadline > Date.now()) {
      f.sentTo = 0;
      this.forwards.set(reqId, f);
      return;
    }
    // A pop may be cached for it if the reply came from the log, or if a leader it reached before may have applied it.
    if (f.longWait && (index > 0 || (f.sends > 1 && isRefusal(reply)))) this.popAcks.push(reqId);
    const answer = outcome(f, reply);
    // Answer once this node has applied the write too, so the client reads it here.
    if (viaLink && index > 0) this.opts.waitApplied(index, () => f.done(answer));
    else f.done(answer);
  }

  /** At most 1024 seqs per acknowledgement; one in flight; re-queued unless the leader applied it (+OK). */
  private sendPopAcks(): void {
    if (this.popAckInFlight || this.popAcks.length === 0) return;
    const seqs = this.popAcks.splice(0, 1024);
    this.popAckInFlight = true;
    const argv = [POP_ACK, ...seqs.map((s) => Buffer.from(String(s), 'latin1'))];
    this.forward(0, argv, 2, (reply) => {
      this.popAckInFlight = false;
      if (!isOk(reply)) this.popAcks.unshift(...seqs);
    });
  }

  private retryUnsentReplies(now: number): void {
    const blocked = new Set<number>();
    this.unsentReplies = this.unsentReplies.filter((u) => {
      if (u.deadline <= now) return false;
      if (blocked.has(u.to)) return true;
      if (this.sendReply(u.to, u.payload)) return false;
      blocked.add(u.to);
      return true;
    });
  }

  /** True once the link took it (a reply too large for any link is logged and dropped). */
  private sendReply(to: number, payload: Buffer): boolean {
    const transport = this.node.transport;
    if (!transport) return true;
    try {
      return transport.send(to, { type: 'forward', payload });
    } catch (err) {
      this.node.log.warn({ err, to, bytes: payload.length }, 'sending a forwarded reply failed');
      return true;
    }
  }

  /**
   * Forwards in flight to a former leader: it may have applied them or
   * died. Resend them to the new leader under the same (clientId, seq): the
   * state machine answers a request it already applied from its cache.
   */
  onLeaderChange(leader: number): void {
    for (const f of this.forwards.values()) if (f.sentTo !== 0 && f.sentTo !== leader) f.sentTo = 0;
  }

  expire(now: number): void {
    for (const [reqId, f] of this.forwards) {
      if (f.deadline <= now) {
        this.forwards.delete(reqId);
        // Once sent, a former leader may have committed it: only a request that
        // never left this node is known not to have been applied.
        // (A blocking pop it may have made is given up: let the state machine drop it.)
        if (f.longWait && f.everSent) this.popAcks.push(reqId);
        f.done(f.everSent ? ERR_OUTCOME_UNKNOWN : errClusterDown('no leader'));
      }
    }
  }

  /** A `forward` frame from a peer. */
  onForward(from: number, payload: Uint8Array): void {
    if (isProbePayload(payload)) {
      this.opts.onProbe(from, payload);
      return;
    }
    let msg;
    try {
      msg = decodeForward(payload);
    } catch (err) {
      this.node.log.warn({ err, from }, 'malformed forward frame');
      return;
    }
    if (msg.kind === 'publish') {
      this.pubsubHandler?.onPublish(from, msg.channel, msg.message);
      return;
    }
    if (msg.kind === 'pubsub-query' || msg.kind === 'pubsub-answer') {
      if (msg.kind === 'pubsub-query') this.pubsubHandler?.onQuery(from, msg);
      else this.pubsubHandler?.onAnswer(from, msg);
      return;
    }
    if (msg.kind === 'reply') {
      const f = this.forwards.get(msg.reqId);
      if (!f) return;
      this.forwards.delete(msg.reqId);
      this.settle(msg.reqId, f, new RawReply(msg.resp), msg.index, true);
      return;
    }
    const { reqId, proto, db, argv } = msg;
    const answer = (reply: Reply, index: number) => {
      const resp = encodeReply(reply, proto);
      const payload = encodeForwardReply({ reqId, index, resp });
      // Behind earlier refused replies to the same follower, so that they arrive in order.
      if (this.unsentReplies.some((u) => u.to === from) || !this.sendReply(from, payload)) {
        this.unsentReplies.push({ to: from, payload, deadline: Date.now() + this.opts.writeTimeoutMs * 2 });
      }
    };
    if (this.node.role !== Role.Leader || msg.term !== this.node.lastTerm) {
      // Sent to us in another term (or we lost leadership): the sender has
      // already given up on it or will; never apply it late.
      answer(errTryAgain('leadership changed; retry'), 0);
      return;
    }
    if (!this.forwardHandler) {
      answer(new ErrorReply('ERR node is not ready'), 0);
      return;
    }
    this.forwardHandler(db, argv, answer, { clientId: msg.clientId, seq: reqId, ackedBelow: msg.ackedBelow });
  }
}

/**
 * What the client is told. A refusal before proposing (-TRYAGAIN,
 * -CLUSTERDOWN, -MISCONF) says the write was not applied, but only about the
 * leader that refused: a write handed to an earlier leader too may have been
 * committed there (its reply lost with the leadership), so after a resend the
 * outcome is unknown. Replies from applying the command stand as they are:
 * the state machine answers a resent request it already applied from its cache.
 */
function outcome(f: PendingForward, reply: Reply): Reply {
  if (f.sends > 1 && isRefusal(reply)) return ERR_OUTCOME_UNKNOWN_FAILOVER;
  return reply;
}

function isOk(reply: Reply): boolean {
  if (reply instanceof RawReply) return reply.bytes.toString('latin1') === '+OK\r\n';
  return reply instanceof SimpleString && reply.value === 'OK';
}

const REFUSALS = ['TRYAGAIN', 'CLUSTERDOWN', 'MISCONF'];
/** Transient (a leader change): worth resending a blocking request; a refusing disk (MISCONF) may last. */
const LEADERSHIP_REFUSALS = ['TRYAGAIN', 'CLUSTERDOWN'];

function isRefusal(reply: Reply, codes: readonly string[] = REFUSALS): boolean {
  const code = errorCodeOf(reply);
  return code !== undefined && codes.includes(code);
}
