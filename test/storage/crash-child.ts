import { openLmdbStorage, type SyncMode } from '../../storage/lmdb';
import { EMPTY_CONF } from '../../storage/lmdb-codec';
import { changesAt, workloadEntry } from './crash-workload';

/**
 * Writes the crash workload until killed. Usage: crash-child <dir> <term> <sync> <seed>.
 * After each write resolves it prints `D <lastIndex> <appliedIndex>` (stdout to
 * a pipe is synchronous on Linux, so a printed line means the write was durable
 * before the kill). The first line is `READY <first> <last> <applied>`.
 */
const [dir, termArg, syncArg, seedArg] = process.argv.slice(2);
const term = Number(termArg);
let seed = Number(seedArg) >>> 0 || 1;
const rand = (n: number): number => {
  // xorshift32: reproducible from the seed the parent prints
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
};

async function main(): Promise<void> {
  const storage = openLmdbStorage(dir, { sync: syncArg as SyncMode, compactChunk: 64 });
  const { log, keyspace } = storage;
  let applied = keyspace.appliedIndex();
  // A new leader overwrites (at most 3) unapplied entries at the end of the log with its own term.
  let next = Math.max(applied + 1, log.lastIndex() - 2, log.firstIndex());
  process.stdout.write(`READY ${log.firstIndex()} ${log.lastIndex()} ${applied}\n`);
  for (;;) {
    const writes: Array<Promise<void>> = [];
    const perTurn = 1 + rand(4);
    for (let w = 0; w < perTurn; w++) {
      const count = 1 + rand(5);
      const entries = Array.from({ length: count }, (_, i) => workloadEntry(next + i, term));
      next += count;
      const last = next - 1;
      const applyTo = Math.max(applied, Math.min(last - rand(3), applied + 4));
      const changes = [];
      for (let i = applied + 1; i <= applyTo; i++) changes.push(...changesAt(i));
      const keyspaceWrite = applyTo > applied ? { changes, meta: { index: applyTo, term: log.term(applyTo) ?? term, conf: EMPTY_CONF } } : undefined;
      applied = applyTo;
      const appliedNow = applied;
      writes.push(
        storage
          .writeBatch({ entries, hardState: { term, vote: 1, commit: appliedNow }, keyspace: keyspaceWrite })
          .then(() => {
            process.stdout.write(`D ${last} ${appliedNow}\n`);
          }),
      );
    }
    await Promise.all(writes);
    const durableApplied = keyspace.appliedIndex();
    if (durableApplied - log.firstIndex() > 300) {
      const upTo = durableApplied - 100;
      // Not awaited: the kill often lands in the middle of the chunked deletion.
      log.compact(upTo, { index: upTo, term: log.term(upTo)!, conf: EMPTY_CONF }).catch((error: unknown) => {
        throw error;
      });
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`crash-child failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
