import type { LogReader } from '../server/raft/types';

/**
 * When to compact the log, and how far (design notes §3): only entries the
 * durable keyspace covers may go, and a tail stays for slow followers (they
 * can catch up from the log instead of receiving a whole snapshot). Pure, so
 * the node can call it after every apply; works with any LogStore.
 */
export interface CompactionPolicy {
  /** Entries kept below the applied index (default 10,000). */
  tailEntries: number;
  /** Compact once this many entries are compactable... (default 50,000) */
  minEntries: number;
  /** ...or once the log occupies this many bytes (default 256 MiB). */
  minLogBytes: number;
}

export const DEFAULT_COMPACTION_POLICY: CompactionPolicy = {
  tailEntries: 10_000,
  minEntries: 50_000,
  minLogBytes: 256 * 1024 * 1024,
};

/**
 * The index to pass to LogStore.compact, or undefined when it is not time yet.
 * `durableApplied` must be the applied index of the keyspace as durably
 * written (LmdbKeyspaceStore.appliedIndex()), never an in-memory one.
 */
export function compactionPoint(
  log: Pick<LogReader, 'firstIndex' | 'lastIndex'>,
  durableApplied: number,
  logBytes: number,
  policy: CompactionPolicy = DEFAULT_COMPACTION_POLICY,
): number | undefined {
  const upTo = Math.min(durableApplied, log.lastIndex()) - policy.tailEntries;
  const compactable = upTo - log.firstIndex() + 1;
  if (compactable <= 0) return undefined;
  if (compactable >= policy.minEntries) return upTo;
  // Over the size budget: compact what the tail allows, however little.
  if (logBytes >= policy.minLogBytes) return upTo;
  return undefined;
}
