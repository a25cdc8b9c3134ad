import { EMPTY_CONF } from '../../storage/lmdb-codec';
import { openSegmentLog } from '../../storage/segment-log';
import { workloadEntry } from './crash-workload';

/**
 * Appends to a segment log until killed. Usage: segment-crash-child <dir> <term> <seed>.
 * Starts by overwriting up to 3 entries at the end of the log with its own
 * term (a new leader), then appends batches, several in flight; prints
 * `D <lastIndex>` once an append resolved (stdout to a pipe is synchronous),
 * and compacts now and then. The first line is `READY <first> <last>`.
 */
const [dir, termArg, seedArg] = process.argv.slice(2);
const term = Number(termArg);
let seed = Number(seedArg) >>> 0 || 1;
const rand = (n: number): number => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
};

async function main(): Promise<void> {
  const log = await openSegmentLog(dir, { segmentBytes: 128 * 1024, cacheBytes: 64 * 1024 });
  let next = Math.max(log.firstIndex(), log.lastIndex() - 2);
  process.stdout.write(`READY ${log.firstIndex()} ${log.lastIndex()}\n`);
  for (;;) {
    const writes: Array<Promise<void>> = [];
    for (let w = 0, n = 1 + rand(4); w < n; w++) {
      const count = 1 + rand(5);
      const entries = Array.from({ length: count }, (_, i) => workloadEntry(next + i, term));
      next += count;
      const last = next - 1;
      writes.push(log.append(entries).then(() => void process.stdout.write(`D ${last}\n`)));
    }
    await Promise.all(writes);
    if (log.lastIndex() - log.firstIndex() > 400 && rand(4) === 0) {
      const upTo = log.lastIndex() - 100;
      log.compact(upTo, { index: upTo, term: log.term(upTo)!, conf: EMPTY_CONF }).catch((error: unknown) => {
        throw error;
      });
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`segment-crash-child failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
