import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { formatLogLine, parseLauncherArgs, LauncherError } from '../../server/launcher';
import { nodeEntry, startServer } from '../support/proc';
import { freePortBlock, parseInfo, waitFor } from './harness';

interface Launched {
  proc: ChildProcess;
  out: string[];
  err: string[];
  exit: Promise<number | null>;
}

/** Every launcher started by these tests, stopped in the after hook whatever happened. */
const launched: Launched[] = [];

/** Stops a launcher as a user would (SIGINT: it stops its nodes), SIGKILL only as a last resort. */
async function stopLauncher(l: Launched): Promise<void> {
  if (l.proc.exitCode !== null || l.proc.signalCode !== null) return;
  l.proc.kill('SIGINT');
  const timer = setTimeout(() => l.proc.kill('SIGKILL'), 15000);
  await l.exit;
  clearTimeout(timer);
}

function launch(args: string[]): Launched {
  const proc = spawn(process.execPath, [...nodeEntry('server/launcher.ts'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  const err: string[] = [];
  proc.stdout!.on('data', (d: Buffer) => out.push(d.toString()));
  proc.stderr!.on('data', (d: Buffer) => err.push(d.toString()));
  const exit = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const l = { proc, out, err, exit };
  launched.push(l);
  return l;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Process ids of the nodes, from INFO server on each client port. */
async function nodePids(ports: number[]): Promise<number[]> {
  return Promise.all(
    ports.map(async (port) => {
      const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      r.on('error', () => undefined);
      try {
        await r.connect();
        return Number(parseInfo(await r.info('server')).process_id);
      } finally {
        r.disconnect();
      }
    }),
  );
}

describe('npm start launcher: argument handling', () => {
  it('parses --port, --data, --nodes and passes server options through', () => {
    const o = parseLauncherArgs(['--port', '7000', '--data', '/tmp/x', '--sync', 'batch', '--', '--read-mode', 'lease']);
    expect(o).to.deep.include({ basePort: 7000, dataDir: '/tmp/x', nodes: 3, passThrough: ['--sync', 'batch', '--read-mode', 'lease'] });
    expect(parseLauncherArgs(['--help'])).to.equal('help');
  });

  it('refuses per-node, unknown and out-of-range options with a clear message', () => {
    expect(() => parseLauncherArgs(['--node-id', '2'])).to.throw(LauncherError, /set by the launcher/);
    expect(() => parseLauncherArgs(['--frobnicate', '1'])).to.throw(LauncherError, /unknown option --frobnicate/);
    expect(() => parseLauncherArgs(['--port', '60000'])).to.throw(LauncherError, /too high/);
    expect(() => parseLauncherArgs(['--port', 'abc'])).to.throw(LauncherError, /integer/);
  });

  it('shortens pino lines for the terminal', () => {
    const line = JSON.stringify({ level: 40, time: 't', pid: 1, port: 6379, msg: 'peer refused', claimedId: 3, reason: 'bad proof' });
    expect(formatLogLine(line)).to.equal('WARN  peer refused claimedId=3 reason=bad proof');
    expect(formatLogLine('not json')).to.equal('not json');
  });
});

describe('npm start launcher: a local 3-node cluster', function () {
  this.timeout(90000);
  let dataDir: string;
  let base: number;
  let running: Launched | undefined;

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'raftcache-launcher-'));
    base = await freePortBlock(3);
  });
  after(async () => {
    await Promise.all(launched.map(stopLauncher));
    rmSync(dataDir, { recursive: true, force: true });
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && running) process.stderr.write(`launcher stdout:\n${running.out.join('')}\nstderr:\n${running.err.join('')}\n`);
    // A failed test may leave the launcher up: stop it so the next test has the ports.
    if (running) await stopLauncher(running);
  });

  const ports = () => [base, base + 1, base + 2];

  async function startAndWait(extra: string[] = []): Promise<Launched> {
    running = launch(['--port', String(base), '--data', dataDir, ...extra]);
    const l = running;
    await waitFor(() => l.out.join('').includes('cluster ready') || l.proc.exitCode !== null, 30000, "the launcher to print 'cluster ready'");
    expect(l.proc.exitCode, l.err.join('')).to.equal(null);
    // It then names the leader once the nodes elected one.
    await waitFor(() => /raftcache: leader: node \d \(redis-cli -p \d+\)/.test(l.out.join('')), 15000, "the launcher to print 'leader: node N'");
    return l;
  }

  async function stopWithSigint(l: Launched, pids: number[]): Promise<void> {
    l.proc.kill('SIGINT');
    const code = await l.exit;
    expect(code, `launcher exit code; stderr: ${l.err.join('')}`).to.equal(0);
    expect(pids.filter(alive), 'node processes still alive after the launcher exited').to.deep.equal([]);
    expect(l.out.join('')).to.contain('all nodes stopped');
  }

  it('starts 3 nodes, says how to connect, serves a write, and stops every node on SIGINT with exit code 0', async () => {
    const l = await startAndWait();
    const out = l.out.join('');
    expect(out).to.contain(`redis-cli -p ${base}`);
    for (let i = 1; i <= 3; i++) expect(out).to.match(new RegExp(`node${i} \\| INFO +ready to accept connections`));
    const secretFile = path.join(dataDir, 'cluster.secret');
    expect(statSync(secretFile).mode & 0o777).to.equal(0o600);
    expect(readFileSync(secretFile, 'utf8').trim()).to.match(/^[0-9a-f]{64}$/);

    const c = new Redis({ port: base + 1, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      expect(await c.set('launcher:key', 'kept')).to.equal('OK');
    } finally {
      c.disconnect();
    }
    const pids = await nodePids(ports());
    expect(pids.every((p) => p > 0 && p !== l.proc.pid)).to.equal(true);
    for (let i = 1; i <= 3; i++) expect(readFileSync(path.join(dataDir, `node${i}.log`), 'utf8')).to.contain('ready to accept connections');
    await stopWithSigint(l, pids);
  });

  it('a second start reuses the data and the secret', async () => {
    const secret = readFileSync(path.join(dataDir, 'cluster.secret'), 'utf8');
    const l = await startAndWait();
    expect(l.out.join('')).to.contain('reusing data of 3 node(s)');
    expect(readFileSync(path.join(dataDir, 'cluster.secret'), 'utf8')).to.equal(secret);
    const c = new Redis({ port: base + 1, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await waitFor(async () => (await c.get('launcher:key')) === 'kept', 15000, 'the key written by the first run');
    } finally {
      c.disconnect();
    }
    await stopWithSigint(l, await nodePids(ports()));
  });

  /** The nodes' pids from their pid files (INFO would need the password). */
  const pidFiles = () => [1, 2, 3].map((i) => path.join(dataDir, `node${i}`, 'raftcache.pid'));
  const pidsFromFiles = () => pidFiles().map((f) => Number(readFileSync(f, 'utf8')));

  it('with --requirepass: names the leader, and no node has a secret on its command line; SIGKILL of the launcher stops its nodes', async () => {
    const password = 'launcher-pw-5d1e';
    const l = await startAndWait(['--requirepass', password]); // waits for 'leader: node N'
    const secret = readFileSync(path.join(dataDir, 'cluster.secret'), 'utf8').trim();
    expect(statSync(path.join(dataDir, 'nodes.conf')).mode & 0o777).to.equal(0o600);
    const pids = pidsFromFiles();
    for (const pid of pids) {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      expect(cmdline.join(' ')).to.contain('--node-id');
      expect(cmdline.some((a) => a.includes(secret) || a.includes(password)), cmdline.join(' ')).to.equal(false);
    }
    const c = new Redis({ port: base, host: '127.0.0.1', password, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      expect(await c.ping()).to.equal('PONG');
    } finally {
      c.disconnect();
    }

    l.proc.kill('SIGKILL');
    await l.exit;
    await waitFor(() => pids.every((p) => !alive(p)), 20000, 'the nodes to exit after their launcher was killed');
    // They shut down cleanly: each removed its pid file.
    expect(pidFiles().filter(existsSync)).to.deep.equal([]);
  });

  it('SIGHUP (the terminal closed) stops every node', async () => {
    const l = await startAndWait();
    const pids = await nodePids(ports());
    l.proc.kill('SIGHUP');
    expect(await l.exit).to.equal(0);
    expect(pids.filter(alive)).to.deep.equal([]);
  });

  it('names a node of an earlier run still holding a data directory, with its pid and how to stop it', async () => {
    const other = mkdtempSync(path.join(os.tmpdir(), 'raftcache-launcher-stale-'));
    const orphan = await startServer([], { dir: path.join(other, 'node2') });
    try {
      const l = launch(['--port', String(base), '--data', other]);
      expect(await l.exit).to.equal(1);
      const err = l.err.join('');
      expect(err).to.contain(`node 2: pid ${orphan.proc.pid} (data ${path.join(other, 'node2')})`);
      expect(err).to.contain(`kill ${orphan.proc.pid}`);
    } finally {
      await orphan.stop();
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('exits non-zero with a clear message when a port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(base + 2, '127.0.0.1', () => r()));
    try {
      const l = launch(['--port', String(base), '--data', dataDir]);
      const code = await l.exit;
      expect(code).to.equal(1);
      expect(l.err.join('')).to.contain(`port ${base + 2} is already in use`);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});
