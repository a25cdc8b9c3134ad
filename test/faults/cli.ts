/**
 * `npm run faults`: the short fault suite (a few minutes), or a long soak:
 *   npm run faults -- --time 600 --nemesis all
 * Options:
 *   --time S          soak: S seconds of faults in total, split over read modes
 *                     and workloads (2/5 linearizable, 1/5 lease, 1/5 local,
 *                     1/5 the lock workload)
 *   --nemesis LIST    comma-separated nemeses or `all` (soak; default all);
 *                     disk-full puts node 1's data dir on a 64 MiB tmpfs
 *                     (root; skipped with a note otherwise)
 *   --mode MODE       soak only this read mode (linearizable|lease|local)
 *   --nodes N         cluster size (default 3)
 *   --net KIND        netns (root: a namespace per node, nftables faults),
 *                     proxy (userspace TCP proxies on 127.0.0.1), or auto
 *                     (default: netns when it works, else proxy, said in the output)
 *   --out DIR         results folder (default results/faults/<timestamp>)
 *   --only LIST       run only these scenarios (comma-separated names)
 * Exits 1 if any scenario fails. Results: one JSON per scenario (history,
 * verdicts, events, final state) plus summary.txt.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { NEMESES } from './nemesis';
import { defaultOutDir, runScenario, type ScenarioResult } from './run';
import { shortSuite, soakSuite } from './suites';
import type { ReadMode } from './workload';

interface CliOptions {
  timeS: number | undefined;
  nemesis: string;
  mode: ReadMode | undefined;
  nodes: number;
  out: string;
  network: 'auto' | 'netns' | 'proxy';
  only: string[] | undefined;
}

function parseArgs(argv: string[]): CliOptions {
  const o: CliOptions = { timeS: undefined, nemesis: 'all', mode: undefined, nodes: 3, out: defaultOutDir(), network: 'auto', only: undefined };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--time':
        o.timeS = Number(v);
        i++;
        break;
      case '--nemesis':
        o.nemesis = v;
        i++;
        break;
      case '--mode':
        if (v !== 'linearizable' && v !== 'lease' && v !== 'local') throw new Error(`--mode: expected linearizable, lease or local, got ${v}`);
        o.mode = v;
        i++;
        break;
      case '--nodes':
        o.nodes = Number(v);
        i++;
        break;
      case '--net':
        if (v !== 'auto' && v !== 'netns' && v !== 'proxy') throw new Error(`--net: expected auto, netns or proxy, got ${v}`);
        o.network = v;
        i++;
        break;
      case '--out':
        o.out = path.resolve(v);
        i++;
        break;
      case '--only':
        o.only = v.split(',').map((x) => x.trim());
        i++;
        break;
      case '--help':
      case '-h':
        process.stdout.write(`usage: npm run faults [-- --time S] [--nemesis ${Object.keys(NEMESES).join(',')}|all] [--mode M] [--nodes N] [--net auto|netns|proxy] [--out DIR] [--only NAMES]\n`);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${argv[i]} (try --help)`);
    }
  }
  if (o.timeS !== undefined && !(o.timeS > 0)) throw new Error('--time: expected seconds > 0');
  if (!(o.nodes >= 3)) throw new Error('--nodes: at least 3');
  return o;
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  mkdirSync(o.out, { recursive: true });
  const base = { nodes: o.nodes, outDir: o.out, network: o.network };
  const all = o.timeS === undefined ? shortSuite(base) : soakSuite(base, o.timeS, o.nemesis, o.mode);
  const unknown = (o.only ?? []).filter((n) => !all.some((s) => s.name === n));
  if (unknown.length) throw new Error(`--only: unknown scenario ${unknown.join(', ')} (known: ${all.map((s) => s.name).join(', ')})`);
  const scenarios = o.only ? all.filter((s) => o.only!.includes(s.name)) : all;
  process.stdout.write(`faults: ${scenarios.length} scenario(s), ${o.nodes} nodes, network ${o.network}; results in ${path.relative(process.cwd(), o.out)}\n`);
  const started = Date.now();
  const results: Array<Pick<ScenarioResult, 'name' | 'pass' | 'summary'>> = [];
  for (const s of scenarios) {
    try {
      results.push(await runScenario(s));
    } catch (e) {
      process.stdout.write(`faults ${s.name}: ERROR ${(e as Error).message}\n`);
      results.push({ name: s.name, pass: false, summary: `faults ${s.name}: ERROR ${(e as Error).message}` });
    }
    appendFileSync(path.join(o.out, 'summary.txt'), `${results[results.length - 1].summary}\n`);
  }
  const failed = results.filter((r) => !r.pass);
  const line = `faults: ${results.length - failed.length}/${results.length} scenarios passed in ${((Date.now() - started) / 1000).toFixed(0)}s${failed.length ? `; FAILED: ${failed.map((r) => r.name).join(', ')}` : ''}`;
  process.stdout.write(`${line}\n`);
  appendFileSync(path.join(o.out, 'summary.txt'), `${line}\n`);
  return failed.length ? 1 : 0;
}

// Ctrl-C: exit through process.exit so cluster.ts's exit hook kills nodes and removes data dirs.
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));
main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`faults: ${(e as Error).message}\n`);
    process.exit(2);
  },
);
