/**
 * Microbenchmark of the Raft core alone: 3 nodes in one process, MemoryStorage,
 * no I/O, messages delivered synchronously. The leader proposes batches of
 * BATCH entries of ENTRY_BYTES bytes; we count entries committed (and applied
 * by the leader's driver loop) per second over DURATION_MS, 3 runs, median.
 *
 *   npx tsx bench/raft-core.ts            (or: node dist/bench/raft-core.js)
 *   BATCH=256 ENTRY_BYTES=64 DURATION_MS=3000 RUNS=3 npx tsx bench/raft-core.ts
 */
import { defaultRaftConfig, RaftNode, seededRandom } from '../server/raft';
import type { Message, NodeId } from '../server/raft';
import { MemoryStorage } from '../storage/memory';

const BATCH = Number(process.env.BATCH ?? 256);
const ENTRY_BYTES = Number(process.env.ENTRY_BYTES ?? 64);
const DURATION_MS = Number(process.env.DURATION_MS ?? 3000);
const RUNS = Number(process.env.RUNS ?? 3);
/** Proposals in flight before the driver loop waits for commits. */
const PIPELINE = Number(process.env.PIPELINE ?? 4);
/** Like a real driver, compact the log once this many applied entries pile up (keeping a tail). */
const COMPACT_EVERY = 200_000;
const KEEP_TAIL = 20_000;

interface BenchNode {
  node: RaftNode;
  storage: MemoryStorage;
  applied: number;
}

function makeCluster(): BenchNode[] {
  const voters = [1, 2, 3];
  return voters.map((id) => {
    const storage = new MemoryStorage({ voters });
    const config = defaultRaftConfig(id, seededRandom(id), {
      maxUncommittedBytes: 0,
      maxInflightMsgs: 1024,
      maxInflightBytes: 0,
      maxMsgBytes: 4 * 1024 * 1024,
    });
    return { node: new RaftNode(config, storage, storage.hardState()), storage, applied: 0 };
  });
}

/** One pass of the driver loop on every node, then deliver every message. */
function pump(nodes: BenchNode[], byId: Map<NodeId, BenchNode>): number {
  const outbox: Message[] = [];
  for (const n of nodes) {
    while (n.node.hasReady()) {
      const rd = n.node.ready();
      if (rd.entries.length > 0) void n.storage.append(rd.entries);
      if (rd.hardState !== undefined) void n.storage.setHardState(rd.hardState);
      const msgs = rd.messages;
      for (let i = 0; i < msgs.length; i++) outbox.push(msgs[i]!);
      const ce = rd.committedEntries;
      if (ce.length > 0) n.applied = ce[ce.length - 1]!.index;
      n.node.advance(rd);
    }
    if (n.applied - n.storage.firstIndex() > COMPACT_EVERY) {
      const upTo = n.applied - KEEP_TAIL;
      const meta = n.storage.snapshotMeta();
      void n.storage.compact(upTo, { index: upTo, term: n.storage.term(upTo)!, conf: meta.conf });
    }
  }
  for (let i = 0; i < outbox.length; i++) {
    const m = outbox[i]!;
    byId.get(m.to)!.node.step(m);
  }
  return outbox.length;
}

function runOnce(): { entriesPerSec: number; messages: number; batches: number } {
  const nodes = makeCluster();
  const byId = new Map<NodeId, BenchNode>(nodes.map((n, i) => [i + 1, n]));
  const leader = nodes[0]!;
  leader.node.campaign();
  for (let i = 0; i < 10; i++) pump(nodes, byId);
  if (leader.node.status().role !== 'leader') throw new Error('no leader');

  const batch: Uint8Array[] = [];
  for (let i = 0; i < BATCH; i++) batch.push(new Uint8Array(ENTRY_BYTES).fill(i & 0xff));

  const startIndex = leader.node.status().commit;
  let proposedUpTo = leader.node.status().lastIndex;
  let messages = 0;
  let batches = 0;
  const t0 = performance.now();
  let now = t0;
  while (now - t0 < DURATION_MS) {
    for (let k = 0; k < 64; k++) {
      // Keep PIPELINE batches uncommitted, like a driver with a steady client load.
      while (proposedUpTo - leader.applied < PIPELINE * BATCH) {
        proposedUpTo = leader.node.propose(batch).index + BATCH - 1;
        batches++;
      }
      messages += pump(nodes, byId);
    }
    now = performance.now();
  }
  const committed = leader.applied - startIndex;
  // Sanity: followers applied as well.
  for (const n of nodes) if (n.applied < startIndex) throw new Error('a follower did not apply');
  return { entriesPerSec: (committed / (now - t0)) * 1000, messages, batches };
}

function main(): void {
  const results: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const res = runOnce();
    results.push(res.entriesPerSec);
    process.stdout.write(
      `run ${r + 1}: ${Math.round(res.entriesPerSec).toLocaleString('en-US')} entries/s ` +
        `(${res.batches} batches, ${res.messages} messages)\n`,
    );
  }
  results.sort((a, b) => a - b);
  const median = results[Math.floor(results.length / 2)]!;
  process.stdout.write(
    `raft-core: 3 nodes, batch ${BATCH} x ${ENTRY_BYTES} B: median ${Math.round(median).toLocaleString('en-US')} committed entries/s\n`,
  );
}

main();
