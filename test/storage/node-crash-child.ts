import type { SyncMode } from '../../storage/lmdb';
import { EMPTY_CONF } from '../../storage/lmdb-codec';
import { openNodeStorage } from '../../storage/node-storage';
import { changesAt, workloadEntry } from './crash-workload';

/**
 * The node storage (segment log + LMDB) written as the node driver writes it,
 * until killed. Usage: node-crash-child <dir> <term> <sync> <seed>.
 * Entries go in batches of their own; the keyspace copy (with the hard state)
 * is flushed separately and only ever holds entries whose batch resolved, as
 * the driver applies only durable entries. After each write resolves it
 * prints `D <lastIndex>` (entries) or `A <appliedIndex>` (keyspace); the
 * first line is `READY <first> <last> <applied>`.
 */
const [dir, termArg, syncArg, seedArg] = process.argv.slice(2);
const term = Number(termArg);
let seed = Number(seedArg) >>> 0 || 1;
const rand = (n: number): number => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
};

async function main(): Promise<void> {
  const storage = await openNodeStorage(dir, { sync: syncArg as SyncMode, segmentBytes: 256 * 1024 });
  const { log, keyspace } = storage;
  let applied = keyspace.appliedIndex();
  let durable = applied;
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
      writes.push(
        storage.writeBatch({ entries, hardState: { term, vote: 1, commit: durable } }).then(() => {
          durable = Math.max(durable, last);
          process.stdout.write(`D ${last}\n`);
        }),
      );
      const applyTo = Math.min(durable, applied + 1 + rand(6));
      if (applyTo > applied && rand(3) === 0) {
        const changes = [];
        for (let i = applied + 1; i <= applyTo; i++) changes.push(...changesAt(i));
        applied = applyTo;
        const meta = { index: applyTo, term: log.term(applyTo) ?? term, conf: EMPTY_CONF };
        writes.push(
          storage.writeBatch({ hardState: { term, vote: 1, commit: durable }, keyspace: { changes, meta } }).then(() => {
            process.stdout.write(`A ${applyTo}\n`);
          }),
        );
      }
    }
    await Promise.all(writes);
    const durableApplied = keyspace.appliedIndex();
    if (durableApplied - log.firstIndex() > 300) {
      const upTo = durableApplied - 100;
      // Not awaited: the kill often lands in the middle of deleting segments.
      log.compact(upTo, { index: upTo, term: log.term(upTo)!, conf: EMPTY_CONF }).catch((error: unknown) => {
        throw error;
      });
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`node-crash-child failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
