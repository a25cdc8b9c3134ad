/**
 * The short fault suite (`npm run faults`), scenario by scenario, as part of
 * `npm test`: real 3-node clusters under partitions, one-way and flaky links,
 * kills, pauses, clock drift and jumps, and a full disk, with the register,
 * counter and lock workloads. Each scenario must reach its verdict: a
 * linearizable history (read-your-writes in local mode) with no acknowledged
 * write lost, lock safety, no node crashing on its own; and, for the
 * deliberately weakened setups, a violation the checkers catch. The network is
 * namespaces + nftables when this runs as root, else userspace TCP proxies
 * (the output says which). Histories are kept only when a scenario fails.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runScenario } from './run';
import { shortSuite } from './suites';

describe('faults: the short suite (npm run faults) against real clusters', function () {
  this.timeout(240000);
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'raftcache-faults-'));
  const lines: string[] = [];
  let failed = false;

  afterEach(function () {
    if (this.currentTest?.state === 'failed') {
      failed = true;
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    lines.length = 0;
  });

  after(() => {
    if (failed) process.stdout.write(`      fault histories kept in ${outDir}\n`);
    else rmSync(outDir, { recursive: true, force: true });
  });

  for (const scenario of shortSuite({ nodes: 3, outDir, network: 'auto' })) {
    it(scenario.name, async () => {
      const r = await runScenario({ ...scenario, log: (l) => lines.push(l) });
      expect(r.pass, r.summary).to.equal(true);
      expect(r.ops.ok, `acknowledged operations: ${r.summary}`).to.be.greaterThan(scenario.workload === 'lock' ? 10 : 100);
    });
  }
});
