import { FAMILIES, knownBugs } from './generator';
import { KNOWN_BUG_MASKS } from './normalize';
import { formatFailure, probeFamilies, runSeed, startServers, type Failure } from './runner';

/**
 * Differential test from the command line:
 *
 *   node dist/test/differential/cli.js [--seed N | --seeds A..B] [--count N]
 *        [--families a,b | --families all] [--resp 2|3] [--no-shrink] [--keep-going]
 *        [--with-known-bugs] [--self-test]
 *
 * --self-test runs redis-server against redis-server (no raftcache): it must
 * never fail, and checks the generator and the normalizations themselves.
 *
 * Without --families, the families raftcache answers for (probe at start).
 * Exit status 1 when any seed found a mismatch.
 */

interface Args {
  from: number;
  to: number;
  count: number;
  families: string[] | 'auto';
  resp?: 2 | 3;
  shrink: boolean;
  keepGoing: boolean;
  withKnownBugs: boolean;
  selfTest: boolean;
}

function usage(msg: string): never {
  process.stderr.write(`${msg}\nusage: cli.js [--seed N | --seeds A..B] [--count N] [--families a,b|all] [--resp 2|3] [--no-shrink] [--keep-going] [--with-known-bugs] [--self-test]\nfamilies: ${FAMILIES.map((f) => f.name).join(', ')}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const a: Args = { from: 1, to: 100, count: 200, families: 'auto', shrink: true, keepGoing: false, withKnownBugs: false, selfTest: false };
  for (let i = 0; i < argv.length; i++) {
    const next = (): string => argv[++i] ?? usage(`${argv[i - 1]} needs a value`);
    const num = (s: string): number => (/^\d+$/.test(s) ? Number(s) : usage(`not a number: ${s}`));
    switch (argv[i]) {
      case '--seed':
        a.from = a.to = num(next());
        break;
      case '--seeds': {
        const m = /^(\d+)\.\.(\d+)$/.exec(next());
        if (!m) usage('--seeds wants A..B');
        a.from = Number(m[1]);
        a.to = Number(m[2]);
        break;
      }
      case '--count':
        a.count = num(next());
        break;
      case '--families': {
        const v = next();
        a.families = v === 'all' ? FAMILIES.map((f) => f.name) : v.split(',').filter(Boolean);
        break;
      }
      case '--resp': {
        const v = next();
        if (v !== '2' && v !== '3') usage('--resp is 2 or 3');
        a.resp = v === '2' ? 2 : 3;
        break;
      }
      case '--no-shrink':
        a.shrink = false;
        break;
      case '--with-known-bugs':
        a.withKnownBugs = true;
        break;
      case '--self-test':
        a.selfTest = true;
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

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const servers = await startServers({ selfTest: args.selfTest });
  const failures: Failure[] = [];
  const interrupted = { flag: false };
  process.once('SIGINT', () => (interrupted.flag = true));
  try {
    let families: string[];
    if (args.families === 'auto') {
      const probe = await probeFamilies(servers.rcPort);
      families = probe.enabled;
      process.stdout.write(`families: ${families.join(', ')}${probe.disabled.length ? ` (not implemented yet, skipped: ${probe.disabled.join(', ')})` : ''}\n`);
    } else {
      families = args.families;
    }
    const bugs = [...knownBugs(families), ...KNOWN_BUG_MASKS.map((m) => `mask: ${m}`)];
    if (bugs.length) process.stdout.write(`${args.withKnownBugs ? 'including' : 'leaving out (known raftcache bugs; --with-known-bugs to include)'}:\n${bugs.map((b) => `  ${b}\n`).join('')}`);
    const started = Date.now();
    let commands = 0;
    const total = args.to - args.from + 1;
    for (let seed = args.from; seed <= args.to && !interrupted.flag; seed++) {
      const r = await runSeed(servers, seed, families, args.count, { shrink: args.shrink, resp: args.resp, withKnownBugs: args.withKnownBugs });
      commands += r.commands;
      const done = seed - args.from + 1;
      if (r.failure) {
        failures.push(r.failure);
        process.stdout.write(`\n${formatFailure(r.failure)}\n\n`);
        if (!args.keepGoing) break;
      }
      if (done % 10 === 0 || done === total) {
        const secs = (Date.now() - started) / 1000;
        process.stdout.write(`seed ${seed} (${done}/${total}), ${commands} commands, ${Math.round(commands / Math.max(secs, 0.001))}/s, ${failures.length} failing\n`);
      }
    }
  } finally {
    await servers.stop();
  }
  if (failures.length) {
    process.stdout.write(`FAILED: ${failures.length} seed(s): ${failures.map((f) => f.seed).join(', ')}\n`);
    process.exit(1);
  }
  process.stdout.write('no differences\n');
  process.exit(0);
}

main().catch((e: Error) => {
  process.stderr.write(`${e.stack ?? e.message}\n`);
  process.exit(2);
});
