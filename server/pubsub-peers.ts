import { encodeForwardPublish, encodePeerAnswer, encodePeerQuery, type PeerPubSubHandler, type PeerQuery } from './forwarding';
import type { PubSub } from './pubsub';
import type { PeerTransport } from './transport/peer-transport';

/**
 * Pub/sub seen cluster-wide: subscriptions live on the node a client is
 * connected to, so PUBLISH's receiver count and PUBSUB NUMSUB / CHANNELS /
 * NUMPAT ask every live peer over the peer link and merge the answers with
 * this node's. That costs one peer round trip per PUBLISH and per PUBSUB
 * query. A peer that is not connected, or does not answer within
 * PEER_PUBSUB_TIMEOUT_MS (busy, partitioned, or an older build that drops
 * the query), counts as having no subscribers: the counts are a lower bound.
 *
 * PUBLISH keeps the relay older builds understand (the `publish` frame every
 * peer delivers), followed on the same ordered link by a `published` query:
 * the peer answers how many of its subscribers received the publish it got
 * last from us.
 */
export const PEER_PUBSUB_TIMEOUT_MS = 500;

const PUBLISHED = 'published';
const NUMSUB = 'numsub';
const CHANNELS = 'channels';
const PATTERNS = 'patterns';

interface Pending {
  waiting: Set<number>;
  answers: Buffer[][];
  timer: NodeJS.Timeout;
  done: (answers: Buffer[][]) => void;
}

const num = (b: Buffer | undefined): number => {
  const n = Number(b?.toString('latin1'));
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
};

export class PeerPubSub implements PeerPubSubHandler {
  private nextReqId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Receivers here of the last PUBLISH each peer relayed to us. */
  private readonly lastDelivered = new Map<number, number>();

  constructor(
    private readonly transport: PeerTransport | undefined,
    private readonly pubsub: PubSub,
    private readonly timeoutMs = PEER_PUBSUB_TIMEOUT_MS,
  ) {}

  // ------------------------------------------------------------ asking

  /** Relays a PUBLISH to every peer; `done` gets how many subscribers on live peers received it. */
  publish(channel: Buffer, message: Buffer, done: (receivers: number) => void): void {
    const t = this.transport;
    if (!t) return done(0);
    const payload = encodeForwardPublish({ channel, message });
    const ask: number[] = [];
    for (const [peer, st] of t.stats()) {
      // Ask only a peer that got the publish frame: its answer is about this message.
      if (t.send(peer, { type: 'forward', payload }) && st.connected) ask.push(peer);
    }
    this.ask(ask, [Buffer.from(PUBLISHED)], (answers) => done(answers.reduce((n, a) => n + num(a[0]), 0)));
  }

  /** PUBSUB NUMSUB: each channel's subscribers on every live peer (summed; this node's not included). */
  numsub(channels: Buffer[], done: (counts: number[]) => void): void {
    this.askAll([Buffer.from(NUMSUB), ...channels], (answers) => {
      const counts = channels.map(() => 0);
      for (const a of answers) for (let i = 0; i < counts.length; i++) counts[i] += num(a[i]);
      done(counts);
    });
  }

  /** PUBSUB CHANNELS [pattern]: the live peers' active channels (with repeats). */
  channels(pattern: Buffer | undefined, done: (channels: Buffer[]) => void): void {
    this.askAll([Buffer.from(CHANNELS), ...(pattern ? [pattern] : [])], (answers) => done(answers.flat()));
  }

  /** The live peers' subscribed patterns (with repeats), for PUBSUB NUMPAT. */
  patterns(done: (patterns: Buffer[]) => void): void {
    this.askAll([Buffer.from(PATTERNS)], (answers) => done(answers.flat()));
  }

  private askAll(args: Buffer[], done: (answers: Buffer[][]) => void): void {
    const t = this.transport;
    const live = t ? [...t.stats()].filter(([, st]) => st.connected).map(([peer]) => peer) : [];
    this.ask(live, args, done);
  }

  private ask(peers: number[], args: Buffer[], done: (answers: Buffer[][]) => void): void {
    const t = this.transport;
    if (!t || peers.length === 0) return done([]);
    const reqId = this.nextReqId++;
    const payload = encodePeerQuery({ reqId, args });
    const waiting = new Set(peers.filter((p) => t.send(p, { type: 'forward', payload })));
    if (waiting.size === 0) return done([]);
    const timer = setTimeout(() => this.finish(reqId), this.timeoutMs);
    this.pending.set(reqId, { waiting, answers: [], timer, done });
  }

  private finish(reqId: number): void {
    const p = this.pending.get(reqId);
    if (!p) return;
    this.pending.delete(reqId);
    clearTimeout(p.timer);
    p.done(p.answers);
  }

  // ---------------------------------------------------------- answering

  /** A peer relayed a PUBLISH: deliver here and remember the count for its `published` query. */
  onPublish(from: number, channel: Buffer, message: Buffer): void {
    this.lastDelivered.set(from, this.pubsub.deliver(channel, message));
  }

  onQuery(from: number, q: PeerQuery): void {
    const [what, ...rest] = q.args;
    let out: Buffer[];
    switch (what?.toString('latin1')) {
      case PUBLISHED:
        out = [Buffer.from(String(this.lastDelivered.get(from) ?? 0))];
        break;
      case NUMSUB:
        out = rest.map((ch) => Buffer.from(String(this.pubsub.numsub(ch))));
        break;
      case CHANNELS:
        out = this.pubsub.activeChannels(rest[0]);
        break;
      case PATTERNS:
        out = this.pubsub.patternList();
        break;
      default:
        out = []; // a query of a newer build: nothing to add
    }
    this.transport?.send(from, { type: 'forward', payload: encodePeerAnswer({ reqId: q.reqId, args: out }) });
  }

  onAnswer(from: number, q: PeerQuery): void {
    const p = this.pending.get(q.reqId);
    if (!p || !p.waiting.delete(from)) return;
    p.answers.push(q.args);
    if (p.waiting.size === 0) this.finish(q.reqId);
  }

  /** Answers every pending query with what arrived (the node is stopping). */
  close(): void {
    for (const reqId of [...this.pending.keys()]) this.finish(reqId);
  }
}
