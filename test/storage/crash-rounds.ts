import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { extname, join } from 'node:path';
import type { KeyspaceStore, LogStore, StableStore } from '../../storage/types';
import { entryData, expectedKeyspace } from './crash-workload';
import { tempDir } from './helpers';

/**
 * SIGKILL a writer child at random moments, then reopen its store and check
 * what survived: every write reported durable is there, nothing is torn, the
 * keyspace content matches its applied index, the log holds everything
 * applied, and the stored commit agrees (how, the suite says). Rounds
 * alternate sync modes `always` and `batch` (both promise to survive a
 * process crash; only `always` survives power loss, which a test cannot cut).
 * Used by crash.test.ts (LMDB alone) and node-crash.test.ts (segment log + LMDB).
 *
 * The child prints `READY ...` first, then per durable write `D <last> [<applied>]`
 * or `A <applied>`. CRASH_ROUNDS (default 50) and CRASH_SEED reproduce or extend a run.
 */
const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 50);
const SEED = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);

export interface CrashSuite {
  title: string;
  /** The writer child's file name in this directory, without extension. */
  child: string;
  tempPrefix: string;
  open(dir: string): Promise<{ log: LogStore; keyspace: KeyspaceStore; stable: StableStore; close(): Promise<void> }>;
  /** What the store promises about the stored commit index. */
  checkCommit(commit: number, applied: number, last: number, label: string): void;
}

function childCommand(name: string): { command: string; args: string[] } {
  const ext = extname(__filename);
  const child = join(__dirname, `${name}${ext}`);
  if (__filename.endsWith('.ts')) return { command: process.execPath, args: ['-r', require.resolve('tsx/cjs'), child] };
  return { command: process.execPath, args: [child] };
}

/**
 * Runs the writer child `childName` (a file in this directory) with `args`,
 * hands each line it prints to `onLine` as words, and SIGKILLs it
 * `killAfterMs` after its `READY` line (or after 10 s, whatever happens).
 */
export function killRound(childName: string, args: string[], killAfterMs: number, onLine: (words: string[]) => void): Promise<{ signal: NodeJS.Signals | null; stderr: string }> {
  const { command, args: base } = childCommand(childName);
  const child = spawn(command, [...base, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let buffered = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const words = buffered.slice(0, newline).split(' ');
      buffered = buffered.slice(newline + 1);
      if (words[0] === 'READY') setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      onLine(words);
    }
  });
  // Never let a child outlive the test, whatever happens.
  const guard = setTimeout(() => child.kill('SIGKILL'), 10_000);
  return new Promise((resolve) => {
    child.on('exit', (_code, signal) => {
      clearTimeout(guard);
      resolve({ signal, stderr });
    });
  });
}

/** A seeded generator of integers in [0, n) (the rounds' kill delays and child seeds). */
export function seededRandom(seed: number): (n: number) => number {
  let state = seed || 1;
  return (n) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % n;
  };
}

interface RoundResult {
  durableLast: number;
  durableApplied: number;
  lines: number;
  signal: NodeJS.Signals | null;
  stderr: string;
}

async function runRound(childName: string, dir: string, term: number, sync: string, seed: number, killAfterMs: number): Promise<RoundResult> {
  const result = { durableLast: 0, durableApplied: 0, lines: 0 };
  const { signal, stderr } = await killRound(childName, [dir, String(term), sync, String(seed)], killAfterMs, ([kind, a, b]) => {
    if (kind === 'D') {
      // `D <last>` (entries durable) or `D <last> <applied>` (entries and keyspace in one transaction).
      result.lines++;
      result.durableLast = Math.max(result.durableLast, Number(a));
      if (b !== undefined) result.durableApplied = Math.max(result.durableApplied, Number(b));
    } else if (kind === 'A') {
      // `A <applied>`: a keyspace flush durable.
      result.lines++;
      result.durableApplied = Math.max(result.durableApplied, Number(a));
    }
  });
  return { ...result, signal, stderr };
}

async function verify(suite: CrashSuite, dir: string, round: RoundResult, label: string): Promise<void> {
  const storage = await suite.open(dir);
  try {
    const { log, keyspace, stable } = storage;
    const first = log.firstIndex();
    const last = log.lastIndex();
    const applied = keyspace.appliedIndex();
    expect(last, `${label}: last index vs last reported durable`).to.be.at.least(round.durableLast);
    expect(applied, `${label}: applied index vs last reported durable`).to.be.at.least(round.durableApplied);
    expect(first - 1, `${label}: compacted beyond the durable keyspace`).to.be.at.most(applied);
    expect(last, `${label}: applied beyond the log`).to.be.at.least(applied);
    suite.checkCommit(stable.hardState().commit, applied, last, label);

    let previousTerm = log.term(first - 1) ?? 0;
    for (let lo = first; lo <= last; ) {
      const batch = log.entries(lo, last + 1, 1 << 20); // decoding checks every entry's CRC
      for (const entry of batch) {
        expect(entry.index).to.equal(lo);
        expect(entry.term, `${label}: terms go backwards at ${lo}`).to.be.at.least(previousTerm);
        expect(log.term(lo)).to.equal(entry.term);
        expect(Buffer.from(entry.data).equals(entryData(lo, entry.term)), `${label}: entry ${lo} is torn`).to.equal(true);
        previousTerm = entry.term;
        lo++;
      }
    }

    const actual = new Map<string, string>();
    for (const { key, value } of keyspace.records()) actual.set(Buffer.from(key).toString(), Buffer.from(value).toString());
    expect(actual, `${label}: keyspace content does not match applied index ${applied}`).to.deep.equal(expectedKeyspace(applied));
  } finally {
    await storage.close();
  }
}

/** Runs the kill rounds against one store and its writer child. */
export function crashSuite(suite: CrashSuite): void {
  describe(suite.title, function () {
    this.timeout(120_000);

    it(`keeps every durable write over ${ROUNDS} random kills (seed ${SEED})`, async () => {
      const { dir, remove } = tempDir(suite.tempPrefix);
      const rand = seededRandom(SEED);
      let totalLines = 0;
      let previousLast = 0;
      try {
        for (let round = 1; round <= ROUNDS; round++) {
          const sync = round % 2 === 0 ? 'batch' : 'always';
          const label = `round ${round} (seed ${SEED}, sync ${sync})`;
          const result = await runRound(suite.child, dir, round, sync, rand(1_000_000) + 1, 10 + rand(150));
          expect(result.signal, `${label}: child exited by itself: ${result.stderr}`).to.equal('SIGKILL');
          totalLines += result.lines;
          await verify(suite, dir, result, label);
          previousLast = Math.max(previousLast, result.durableLast);
        }
        // The kills must have landed while writes were being acknowledged, not only at startup.
        expect(totalLines).to.be.greaterThan(ROUNDS * 5);
        expect(previousLast).to.be.greaterThan(ROUNDS * 10);
      } finally {
        remove();
      }
    });
  });
}
