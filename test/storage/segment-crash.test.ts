import { expect } from 'chai';
import { openSegmentLog } from '../../storage/segment-log';
import { killRound, seededRandom } from './crash-rounds';
import { entryData } from './crash-workload';
import { tempDir } from './helpers';

/**
 * The segment log on the real file system, SIGKILLed at random moments while
 * appending (test/storage/segment-crash-child.ts): every append reported
 * durable is there, every entry reads back intact, terms never go backwards.
 * (Power loss is simulated in segment-log.test.ts; a test cannot cut power.)
 * SEGMENT_CRASH_ROUNDS (default 20) and SEGMENT_CRASH_SEED reproduce or extend a run.
 */
const ROUNDS = Number(process.env.SEGMENT_CRASH_ROUNDS ?? 20);
const SEED = Number(process.env.SEGMENT_CRASH_SEED ?? Date.now() % 1_000_000);

async function runRound(dir: string, term: number, seed: number, killAfterMs: number): Promise<{ start: number; durableLast: number; lines: number; signal: NodeJS.Signals | null; stderr: string }> {
  let durableLast = 0;
  let lines = 0;
  let start = 0;
  const { signal, stderr } = await killRound('segment-crash-child', [dir, String(term), String(seed)], killAfterMs, ([kind, a, b]) => {
    if (kind === 'READY') {
      start = Math.max(Number(a), Number(b) - 2); // where the child starts writing its term
    } else if (kind === 'D') {
      lines++;
      durableLast = Math.max(durableLast, Number(a));
    }
  });
  return { start, durableLast, lines, signal, stderr };
}

describe('segment log crash safety (SIGKILL during appends)', function () {
  this.timeout(120_000);

  it(`keeps every durable append over ${ROUNDS} random kills (seed ${SEED})`, async () => {
    const { dir, remove } = tempDir('raftcache-segcrash-');
    const rand = seededRandom(SEED);
    let totalLines = 0;
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        const label = `round ${round} (seed ${SEED})`;
        const result = await runRound(dir, round, rand(1_000_000) + 1, 20 + rand(150));
        expect(result.signal, `${label}: child exited by itself: ${result.stderr}`).to.equal('SIGKILL');
        totalLines += result.lines;
        const log = await openSegmentLog(dir, { segmentBytes: 128 * 1024 });
        try {
          const first = log.firstIndex();
          const last = log.lastIndex();
          expect(last, `${label}: last index vs last reported durable`).to.be.at.least(result.durableLast);
          let previousTerm = log.term(first - 1) ?? 0;
          for (let lo = first; lo <= last; ) {
            for (const entry of log.entries(lo, last + 1, 1 << 20)) {
              expect(entry.index).to.equal(lo);
              expect(entry.term, `${label}: terms go backwards at ${lo}`).to.be.at.least(previousTerm);
              if (lo >= result.start && lo <= result.durableLast) {
                expect(entry.term, `${label}: acknowledged entry ${lo} is not this round's`).to.equal(round);
              }
              expect(Buffer.from(entry.data).equals(entryData(lo, entry.term)), `${label}: entry ${lo} is torn`).to.equal(true);
              previousTerm = entry.term;
              lo++;
            }
          }
        } finally {
          await log.close();
        }
      }
      expect(totalLines).to.be.greaterThan(ROUNDS * 5);
    } finally {
      remove();
    }
  });
});
