/**
 * Userspace TCP proxies between cluster peers, on 127.0.0.1: no root needed.
 * Each node dials each peer for its own outbound Raft traffic (one
 * connection per direction, see server/transport/peer-transport.ts), so one
 * proxy per ordered pair (from → to) controls one direction of one link:
 *   - ok:        bytes flow (optionally delayed, optionally with random resets);
 *   - cut:       connections are reset and new ones refused at once (like a REJECT rule);
 *   - blackhole: connections stay open but every byte is swallowed (like a DROP rule).
 * Packet loss cannot be simulated inside a TCP stream without breaking its
 * framing; `resetProbability` resets the connection instead (each chunk), which
 * looks like a burst of loss the kernel gave up on.
 */
import net from 'node:net';

export type LinkMode = 'ok' | 'cut' | 'blackhole';
export type LinkFault = Exclude<LinkMode, 'ok'>;

/** What a nemesis can do to the network between nodes, whichever way it is built. */
export interface FaultNet {
  readonly kind: 'proxy' | 'netns';
  /** Only nodes in the same group talk; `mode` says how the others fail. */
  partition(groups: number[][], mode?: LinkFault): void;
  /** Traffic from `from` to `to` is lost. */
  oneWay(from: number, to: number, mode?: LinkFault): void;
  /** `bridge` talks to both sides; the sides do not talk to each other. */
  bridge(left: number[], bridge: number, right: number[], mode?: LinkFault): void;
  /** Unreliable links: loss (and delay where the backend can) with intensity p. */
  flaky(p: number, delayMs: number): void;
  heal(): void;
  describe(): string;
  close(): Promise<void>;
}

export interface LinkState {
  mode: LinkMode;
  /** Extra one-way delay for bytes from `from` to `to`, in ms. */
  delayMs: number;
  /** Probability that a chunk resets the connection instead of flowing. */
  resetProbability: number;
}

const OK: LinkState = { mode: 'ok', delayMs: 0, resetProbability: 0 };

/** One direction of one peer link: `from` dials `to` through it. */
export class LinkProxy {
  state: LinkState = { ...OK };
  private server: net.Server | undefined;
  private readonly pairs = new Set<[net.Socket, net.Socket]>();
  port = 0;

  constructor(
    readonly from: number,
    readonly to: number,
    private readonly targetPort: number,
  ) {}

  async listen(port = 0): Promise<number> {
    this.server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  set(state: Partial<LinkState>): void {
    this.state = { ...this.state, ...state };
    if (this.state.mode === 'cut') this.resetAll();
  }

  /** Resets every open connection (peers redial through the proxy). */
  resetAll(): void {
    for (const [a, b] of this.pairs) {
      a.resetAndDestroy();
      b.resetAndDestroy();
    }
    this.pairs.clear();
  }

  async close(): Promise<void> {
    this.resetAll();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private accept(client: net.Socket): void {
    client.on('error', () => undefined);
    if (this.state.mode === 'cut') {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    upstream.on('error', () => undefined);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    this.pairs.add(pair);
    const drop = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.once('close', drop);
    upstream.once('close', drop);
    this.pipe(client, upstream, true, drop);
    this.pipe(upstream, client, false, drop);
  }

  /** Copies src to dst under the link's current state; `forward` is the from → to direction. */
  private pipe(src: net.Socket, dst: net.Socket, forward: boolean, drop: () => void): void {
    let releaseAt = 0;
    src.on('data', (chunk: Buffer) => {
      const s = this.state;
      if (s.mode === 'blackhole') return;
      if (s.mode === 'cut') return drop();
      if (s.resetProbability > 0 && Math.random() < s.resetProbability) {
        src.resetAndDestroy();
        dst.resetAndDestroy();
        return drop();
      }
      const delay = forward ? s.delayMs : 0;
      if (delay <= 0 && releaseAt <= Date.now()) {
        dst.write(chunk);
        return;
      }
      // Keep order: a chunk never overtakes an earlier delayed one.
      releaseAt = Math.max(releaseAt, Date.now() + delay);
      setTimeout(() => {
        if (!dst.destroyed && this.state.mode === 'ok') dst.write(chunk);
      }, releaseAt - Date.now());
    });
  }
}

/** The proxies of a cluster: one per ordered pair of nodes, and partition helpers over them. */
export class ProxyNet implements FaultNet {
  readonly kind = 'proxy' as const;
  readonly links = new Map<string, LinkProxy>();

  static async create(peerPorts: Map<number, number>): Promise<ProxyNet> {
    const n = new ProxyNet();
    for (const from of peerPorts.keys())
      for (const [to, port] of peerPorts)
        if (from !== to) {
          const p = new LinkProxy(from, to, port);
          await p.listen();
          n.links.set(`${from}->${to}`, p);
        }
    return n;
  }

  link(from: number, to: number): LinkProxy {
    const l = this.links.get(`${from}->${to}`);
    if (!l) throw new Error(`no link ${from}->${to}`);
    return l;
  }

  /** The port `from` dials to reach `to`. */
  portFor(from: number, to: number): number {
    return this.link(from, to).port;
  }

  /** Every link back to ok, no delay, no resets. */
  heal(): void {
    for (const l of this.links.values()) l.set({ ...OK });
  }

  /** Only nodes in the same group talk; `mode` says how the others fail. */
  partition(groups: number[][], mode: LinkFault = 'blackhole'): void {
    const groupOf = new Map<number, number>();
    groups.forEach((g, i) => g.forEach((id) => groupOf.set(id, i)));
    for (const l of this.links.values()) {
      const same = groupOf.get(l.from) !== undefined && groupOf.get(l.from) === groupOf.get(l.to);
      l.set({ mode: same ? 'ok' : mode });
    }
  }

  /** Traffic from `from` to `to` is lost; the other direction flows. */
  oneWay(from: number, to: number, mode: LinkFault = 'blackhole'): void {
    this.link(from, to).set({ mode });
  }

  /** `bridge` talks to both sides; the sides do not talk to each other. */
  bridge(left: number[], bridge: number, right: number[], mode: LinkFault = 'blackhole'): void {
    this.heal();
    for (const a of left)
      for (const b of right) {
        this.link(a, b).set({ mode });
        this.link(b, a).set({ mode });
      }
    void bridge;
  }

  /** Every link resets connections with probability `p` per chunk and delays by up to `delayMs`. */
  flaky(p: number, delayMs: number): void {
    for (const l of this.links.values()) l.set({ resetProbability: p, delayMs: Math.floor(Math.random() * delayMs) });
  }

  describe(): string {
    const bad = [...this.links.values()].filter((l) => l.state.mode !== 'ok' || l.state.delayMs > 0 || l.state.resetProbability > 0);
    if (bad.length === 0) return 'all links ok';
    return bad.map((l) => `${l.from}->${l.to}:${l.state.mode}${l.state.delayMs ? `+${l.state.delayMs}ms` : ''}${l.state.resetProbability ? `~${l.state.resetProbability}` : ''}`).join(' ');
  }

  async close(): Promise<void> {
    await Promise.all([...this.links.values()].map((l) => l.close()));
  }
}
