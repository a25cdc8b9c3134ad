import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { memoryReducerWarning, poolSizeChosen, poolSizeWarning, SERVER_NODE_OPTIONS } from '../../server/node-flags';
import { startServer } from '../support/proc';

describe('node options for server processes (server/node-flags.ts)', () => {
  it('sizes V8 GC helper threads to the machine: --v8-pool-size=0 runs CPUs - 1 of them, not 4', () => {
    // Threads of a node process started with and without the option: the difference is V8's pool.
    const count = (opts: readonly string[]) => {
      const r = spawnSync(process.execPath, [...opts, '-e', "setTimeout(() => process.stdout.write(String(require('fs').readdirSync('/proc/self/task').length)), 200)"], { encoding: 'utf8' });
      return Number(r.stdout);
    };
    const plain = count([]);
    const sized = count(SERVER_NODE_OPTIONS);
    const cpus = require('node:os').availableParallelism() as number;
    expect(plain - sized).to.equal(4 - Math.max(1, cpus - 1));
  });

  it('knows when the pool size was chosen, by argument or NODE_OPTIONS', () => {
    expect(poolSizeChosen([], undefined)).to.equal(false);
    expect(poolSizeChosen(['--v8-pool-size=0'], undefined)).to.equal(true);
    expect(poolSizeChosen(['--v8-pool-size', '2'], undefined)).to.equal(true);
    expect(poolSizeChosen([], '--max-old-space-size=512 --v8-pool-size=1')).to.equal(true);
    expect(poolSizeChosen(['--v8-pool-sizes=1'], '--v8-pool-size-x')).to.equal(false);
  });

  it('warns only on a machine with 4 CPUs or fewer, when nothing was chosen', () => {
    expect(poolSizeWarning([], undefined, 2)).to.match(/4 V8 GC helper threads on this 2-CPU machine.*--v8-pool-size=0/);
    expect(poolSizeWarning([], undefined, 8)).to.equal(null);
    expect(poolSizeWarning(['--v8-pool-size=0'], undefined, 2)).to.equal(null);
  });

  it('warns when V8 memory reducer was left on (it can only be turned off on the command line)', () => {
    expect(memoryReducerWarning([])).to.match(/memory reducer is on.*--no-memory-reducer/);
    expect(memoryReducerWarning(['--v8-pool-size=0', '--max-semi-space-size=8'])).to.match(/memory reducer/);
    expect(memoryReducerWarning([...SERVER_NODE_OPTIONS])).to.equal(null);
  });

  it('--no-memory-reducer is one V8 takes on the command line but refuses in NODE_OPTIONS', () => {
    const run = (args: string[], env: NodeJS.ProcessEnv) => spawnSync(process.execPath, [...args, '-e', 'process.stdout.write("ok")'], { encoding: 'utf8', env: { ...process.env, ...env } });
    expect(run(['--no-memory-reducer'], {}).stdout).to.equal('ok');
    const refused = run([], { NODE_OPTIONS: '--no-memory-reducer' });
    expect(refused.status).to.not.equal(0);
    expect(refused.stderr).to.match(/not allowed in NODE_OPTIONS/);
  });

  it('a server started by the test harness runs with the options and does not warn', async function () {
    this.timeout(30000);
    const s = await startServer();
    try {
      const cmdline = readFileSync(`/proc/${s.proc.pid}/cmdline`, 'utf8').split('\0');
      for (const o of SERVER_NODE_OPTIONS) expect(cmdline).to.include(o);
      expect(s.logs.join('\n')).to.not.include('GC helper threads');
      expect(s.logs.join('\n')).to.not.include('memory reducer');
    } finally {
      await s.stop();
    }
  });
});
