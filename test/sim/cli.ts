/**
 * npm run sim -- --seeds N [--start S] [--nodes 3|5] [--faults MS] [--keep-going] [--no-fresh-snapshots]
 * npm run sim -- --seed S --trace
 *
 * Runs seeds through the simulator. Progress goes to stderr every few
 * seconds; the last stdout line is `seeds=N violations=V`. On a violation it
 * prints the seed, the invariant, and the command that replays it, and exits 1.
 */
import { runSeed, type SimResult } from './cluster';
import { coreBinding } from './core-binding';
import { describeOptions, swarmOptions, type SwarmOverrides } from './options';

interface Args {
  seeds: number;
  start: number;
  seed: number | undefined;
  trace: boolean;
  keepGoing: boolean;
  overrides: SwarmOverrides;
}

function usage(msg: string): never {
  process.stderr.write(
    `${msg}\nusage: npm run sim -- --seeds N [--start S] [--nodes 3|5] [--faults MS] [--keep-going]\n` +
      `       npm run sim -- --seed S [--trace] [--nodes 3|5] [--faults MS]\n`,
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const a: Args = { seeds: 100, start: 1, seed: undefined, trace: false, keepGoing: false, overrides: {} };
  const num = (i: number): number => {
    const v = Number(argv[i]);
    if (argv[i] === undefined || !Number.isSafeInteger(v) || v < 0) usage(`${argv[i - 1]} needs a non-negative integer`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    switch (argv[i]) {
      case '--seeds':
        a.seeds = num(++i);
        break;
      case '--start':
        a.start = num(++i);
        break;
      case '--seed':
        a.seed = num(++i);
        break;
      case '--nodes': {
        const n = num(++i);
        if (n !== 3 && n !== 5) usage('--nodes must be 3 or 5');
        a.overrides.nodes = n;
        break;
      }
      case '--faults':
        a.overrides.faultPhaseMs = num(++i);
        break;
      case '--no-fresh-snapshots':
        a.overrides.freshSnapshots = false;
        break;
      case '--trace':
        a.trace = true;
        break;
      case '--keep-going':
        a.keepGoing = true;
        break;
      default:
        usage(`unknown argument ${argv[i]}`);
    }
  }
  return a;
}

function replayCommand(seed: number, o: SwarmOverrides): string {
  let cmd = `npm run sim -- --seed ${seed}`;
  if (o.nodes !== undefined) cmd += ` --nodes ${o.nodes}`;
  if (o.faultPhaseMs !== undefined) cmd += ` --faults ${o.faultPhaseMs}`;
  if (o.freshSnapshots === false) cmd += ' --no-fresh-snapshots';
  return `${cmd} --trace`;
}

function reportViolation(r: SimResult, o: SwarmOverrides): void {
  const v = r.violation!;
  const out = process.stdout;
  out.write(`VIOLATION seed=${r.seed} invariant=${v.invariant} at=${r.at.toFixed(2)}ms\n`);
  out.write(`  ${v.detail}\n`);
  out.write(`  options: ${describeOptions(r.options).split('\n').join('\n           ')}\n`);
  out.write(`  replay: ${replayCommand(r.seed, o)}\n`);
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  if (args.seed !== undefined) {
    const trace = args.trace ? (line: string) => void process.stdout.write(`${line}\n`) : undefined;
    process.stdout.write(`seed=${args.seed}\n${describeOptions(swarmOptions(args.seed, args.overrides))}\n`);
    const r = runSeed(args.seed, { binding: coreBinding, overrides: args.overrides, trace });
    const s = r.stats;
    process.stdout.write(
      `steps=${s.steps} virtual=${s.virtualMs}ms committed=${s.committed} elections=${s.elections} maxTerm=${s.maxTerm} ` +
        `crashes=${s.crashes} partitions=${s.partitions} conf=${s.confChanges} transfers=${s.transfers} ` +
        `snapshots=${s.snapshots} acked=${s.writesAcked} reads=${s.readsServed}\n`,
    );
    if (r.violation) {
      reportViolation(r, args.overrides);
      process.stdout.write(`seeds=1 violations=1\n`);
      process.exit(1);
    }
    process.stdout.write(`seeds=1 violations=0\n`);
    return;
  }

  const started = Date.now();
  let lastProgress = started;
  let done = 0;
  let violations = 0;
  let steps = 0;
  for (let seed = args.start; seed < args.start + args.seeds; seed++) {
    const r = runSeed(seed, { binding: coreBinding, overrides: args.overrides });
    done++;
    steps += r.stats.steps;
    if (r.violation) {
      violations++;
      reportViolation(r, args.overrides);
      if (!args.keepGoing) break;
    }
    const now = Date.now();
    if (now - lastProgress >= 3000) {
      lastProgress = now;
      const secs = (now - started) / 1000;
      process.stderr.write(
        `sim: ${done}/${args.seeds} seeds, ${(done / secs).toFixed(1)} seeds/s, ` +
          `${Math.round(steps / secs)} steps/s, violations=${violations}\n`,
      );
    }
  }
  const secs = (Date.now() - started) / 1000;
  process.stderr.write(`sim: ${done} seeds in ${secs.toFixed(1)}s (${(done / secs).toFixed(1)} seeds/s)\n`);
  process.stdout.write(`seeds=${done} violations=${violations}\n`);
  process.exit(violations === 0 ? 0 : 1);
}

main();
