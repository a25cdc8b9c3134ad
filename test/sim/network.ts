import type { NodeId } from '../../server/raft/types';
import type { Prng } from './prng';

/** Fault odds of the virtual network (all times in virtual milliseconds). */
export interface NetworkOptions {
  minDelay: number;
  maxDelay: number;
  dropProb: number;
  dupProb: number;
  /** Odds that a message is held back long enough to overtake later ones. */
  reorderProb: number;
  reorderDelay: number;
}

export const RELIABLE_NETWORK: NetworkOptions = {
  minDelay: 1,
  maxDelay: 5,
  dropProb: 0,
  dupProb: 0,
  reorderProb: 0,
  reorderDelay: 0,
};

/**
 * Partitions. Links are directed: `blocked(from, to)` decides each direction.
 * - symmetric: the two sides cannot talk to each other;
 * - one-way: `from` side's messages never reach the `to` side (replies still flow back);
 * - isolate: one node (typically the leader) cut off from everyone;
 * - bridge: sides a and b cannot talk, but `bridge` talks to both.
 */
export type Partition =
  | { kind: 'symmetric'; a: NodeId[]; b: NodeId[] }
  | { kind: 'one-way'; from: NodeId[]; to: NodeId[] }
  | { kind: 'isolate'; node: NodeId }
  | { kind: 'bridge'; a: NodeId[]; b: NodeId[]; bridge: NodeId };

export function describePartition(p: Partition): string {
  switch (p.kind) {
    case 'symmetric':
      return `symmetric [${p.a}] | [${p.b}]`;
    case 'one-way':
      return `one-way [${p.from}] -/-> [${p.to}]`;
    case 'isolate':
      return `isolate ${p.node}`;
    case 'bridge':
      return `bridge [${p.a}] <-${p.bridge}-> [${p.b}]`;
  }
}

/** What happened to one send. */
export type SendOutcome =
  | { kind: 'drop'; reason: 'loss' | 'partition' }
  | { kind: 'deliver'; at: number[] }; // one time per copy (two when duplicated)

/**
 * The virtual network decides the fate of each message (delay, loss,
 * duplication, reordering, partitions); the simulator schedules the
 * deliveries on its event queue. Partitions are checked both at send and at
 * delivery, so messages in flight when a partition starts are lost too.
 */
export class Network {
  private partitions: Partition[] = [];

  constructor(
    private readonly prng: Prng,
    private options: NetworkOptions,
  ) {}

  get current(): readonly Partition[] {
    return this.partitions;
  }

  setOptions(options: NetworkOptions): void {
    this.options = options;
  }

  partition(p: Partition): void {
    this.partitions.push(p);
  }

  /** End one partition (others stay). */
  remove(p: Partition): void {
    this.partitions = this.partitions.filter((q) => q !== p);
  }

  heal(): void {
    this.partitions = [];
  }

  blocked(from: NodeId, to: NodeId): boolean {
    for (const p of this.partitions) if (partitionBlocks(p, from, to)) return true;
    return false;
  }

  send(from: NodeId, to: NodeId, now: number): SendOutcome {
    if (this.blocked(from, to)) return { kind: 'drop', reason: 'partition' };
    const o = this.options;
    if (this.prng.chance(o.dropProb)) return { kind: 'drop', reason: 'loss' };
    const at = [now + this.delay()];
    if (this.prng.chance(o.dupProb)) at.push(now + this.delay());
    return { kind: 'deliver', at };
  }

  private delay(): number {
    const o = this.options;
    let d = this.prng.between(o.minDelay, o.maxDelay);
    if (this.prng.chance(o.reorderProb)) d += this.prng.between(1, Math.max(1, o.reorderDelay));
    return d;
  }
}

function partitionBlocks(p: Partition, from: NodeId, to: NodeId): boolean {
  switch (p.kind) {
    case 'symmetric':
      return (p.a.includes(from) && p.b.includes(to)) || (p.b.includes(from) && p.a.includes(to));
    case 'one-way':
      return p.from.includes(from) && p.to.includes(to);
    case 'isolate':
      return (from === p.node) !== (to === p.node);
    case 'bridge':
      if (from === p.bridge || to === p.bridge) return false;
      return (p.a.includes(from) && p.b.includes(to)) || (p.b.includes(from) && p.a.includes(to));
  }
}
