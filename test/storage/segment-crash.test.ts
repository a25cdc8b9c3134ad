import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { extname, join } from 'node:path';
import { openSegmentLog } from '../../storage/segment-log';
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

function runRound(dir: string, term: number, seed: number, killAfterMs: number): Promise<{ start: number; durableLast: number; lines: number; signal: NodeJS.Signals | null; stderr: string }> {
  const child = join(__dirname, `segment-crash-child${extname(__filename)}`);
  const args = __filename.endsWith('.ts') ? ['-r', require.resolve('tsx/cjs'), child] : [child];
  const proc = spawn(process.execPath, [...args, dir, String(term), String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let buffered = '';
  let stderr = '';
  let durableLast = 0;
  let lines = 0;
  let start = 0;
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (chunk: string) => (stderr += chunk));
  proc.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const [kind, a, b] = buffered.slice(0, newline).split(' ');
      buffered = buffered.slice(newline + 1);
      if (kind === 'READY') {
        start = Math.max(Number(a), Number(b) - 2); // where the child starts writing its term
        setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
      }
      else if (kind === 'D') {
        lines++;
        durableLast = Math.max(durableLast, Number(a));
      }
    }
  });
  const guard = setTimeout(() => proc.kill('SIGKILL'), 10_000);
  return new Promise((resolve) => {
    proc.on('exit', (_code, signal) => {
      clearTimeout(guard);
      resolve({ start, durableLast, lines, signal, stderr });
    });
  });
}

describe('segment log crash safety (SIGKILL during appends)', function () {
  this.timeout(120_000);

  it(`keeps every durable append over ${ROUNDS} random kills (seed ${SEED})`, async () => {
    const { dir, remove } = tempDir('raftcache-segcrash-');
    let seed = SEED || 1;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
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
