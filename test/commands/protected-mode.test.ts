/**
 * protected-mode (Redis's default yes): without a password, a client that
 * does not come from the loopback interface gets -DENIED and is disconnected.
 * The integration test needs a non-loopback client without touching the
 * machine's network: it makes its own network namespace with a veth pair
 * (10.79.0.1, 10.79.0.2, existing only inside it), runs the server there
 * bound to 0.0.0.0, and connects from 10.79.0.1. Needs root and `ip netns`.
 */
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { PROTECTED_MODE_DENIED, isLoopbackAddress, protectedModeDenies } from '../../server/protected-mode';
import { hasBinary, nodeEntry } from '../support/proc';

describe('protected mode: the decision', () => {
  it('treats 127.0.0.0/8, ::1 and their IPv4-mapped forms as loopback, anything else (or unknown) as not', () => {
    for (const a of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1', 'localhost']) expect(isLoopbackAddress(a), a).to.equal(true);
    for (const a of ['10.79.0.1', '::ffff:10.0.0.1', '192.168.1.1', 'fe80::1', '0.0.0.0', '', undefined, '128.0.0.1']) {
      expect(isLoopbackAddress(a), String(a)).to.equal(false);
    }
  });

  it('denies only with protected-mode yes, no password and a non-loopback client', () => {
    const on = { 'protected-mode': 'yes', requirepass: '' };
    expect(protectedModeDenies(on, '10.79.0.1')).to.equal(true);
    expect(protectedModeDenies(on, undefined)).to.equal(true);
    expect(protectedModeDenies(on, '127.0.0.1')).to.equal(false);
    expect(protectedModeDenies({ ...on, requirepass: 'pw' }, '10.79.0.1')).to.equal(false);
    expect(protectedModeDenies({ ...on, 'protected-mode': 'no' }, '10.79.0.1')).to.equal(false);
  });
});

const NS = `rcpm-${process.pid}`;
const OUTSIDE = '10.79.0.1';

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${(r.stderr || String(r.error)).trim()}`);
}

/** Why the namespace test cannot run here, or undefined. */
function netnsMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  if (!hasBinary('ip')) return '`ip` is not installed';
  const r = spawnSync('ip', ['netns', 'add', `${NS}-probe`], { encoding: 'utf8' });
  if (r.status !== 0) return `ip netns add failed: ${(r.stderr || String(r.error)).trim()}`;
  spawnSync('ip', ['netns', 'del', `${NS}-probe`]);
  return undefined;
}

/**
 * Connects from `from` to host:port inside the namespace, sends PING, and
 * returns what came back and whether the server closed the connection.
 */
function probe(host: string, port: number, from?: string): { data: string; closed: boolean } {
  const script = `
    const net = require('net');
    const [host, port, from] = process.argv.slice(1);
    const s = net.connect({ host, port: Number(port), localAddress: from || undefined });
    let data = '';
    const done = (closed) => { process.stdout.write(JSON.stringify({ data, closed })); process.exit(0); };
    s.on('connect', () => s.write('PING\\r\\n'));
    // A reply, then no close within a second: the server keeps the connection.
    s.on('data', (d) => { data += d.toString('latin1'); setTimeout(() => done(false), 1000); });
    s.on('close', () => done(true));
    s.on('error', () => undefined);
    setTimeout(() => done(false), 10000);
  `;
  const r = spawnSync('ip', ['netns', 'exec', NS, process.execPath, '-e', script, host, String(port), from ?? ''], { encoding: 'utf8', timeout: 15000 });
  if (r.status !== 0) throw new Error(`probe failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { data: string; closed: boolean };
}

/** Runs a command inside the namespace; resolves once `ready` matches a line of its stdout (lines kept in `lines`). */
function startInNamespace(args: string[], ready: RegExp, lines: string[] = []): Promise<ChildProcess> {
  const proc = spawn('ip', ['netns', 'exec', NS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not start; stderr: ${stderr}`)), 15000);
    readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
      lines.push(line);
      if (ready.test(line)) {
        clearTimeout(timer);
        resolve(proc);
      }
    });
    proc.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}; stderr: ${stderr}`)));
  });
}

describe('protected mode: a client from outside the loopback interface', function () {
  this.timeout(60000);
  const procs: ChildProcess[] = [];
  const logs: string[] = [];
  let dir: string;
  const PORT = 6379; // the namespace is new: every port is free
  const cli = (args: string[]) =>
    spawnSync('ip', ['netns', 'exec', NS, 'redis-cli', '-h', '127.0.0.1', '-p', String(PORT), ...args], { encoding: 'utf8', timeout: 15000 }).stdout.trim();

  before(async function () {
    const missing = netnsMissing();
    if (missing) {
      process.stderr.write(`skipping the protected-mode namespace test: ${missing}\n`);
      this.skip();
    }
    dir = mkdtempSync(path.join(os.tmpdir(), 'raftcache-protected-'));
    ip(['netns', 'add', NS]);
    process.once('exit', () => spawnSync('ip', ['netns', 'del', NS])); // whatever happens to the run
    ip(['-n', NS, 'link', 'set', 'lo', 'up']);
    ip(['-n', NS, 'link', 'add', 'rcpm0', 'type', 'veth', 'peer', 'name', 'rcpm1']);
    ip(['-n', NS, 'addr', 'add', `${OUTSIDE}/24`, 'dev', 'rcpm0']);
    ip(['-n', NS, 'addr', 'add', '10.79.0.2/24', 'dev', 'rcpm1']);
    ip(['-n', NS, 'link', 'set', 'rcpm0', 'up']);
    ip(['-n', NS, 'link', 'set', 'rcpm1', 'up']);
    procs.push(
      await startInNamespace(
        [process.execPath, ...nodeEntry('server/main.ts'), '--port', String(PORT), '--bind', '0.0.0.0', '--dir', path.join(dir, 'data')],
        /ready to accept connections/,
        logs,
      ),
    );
  });

  after(async () => {
    for (const p of procs) {
      if (p.exitCode === null && p.signalCode === null) {
        p.kill('SIGKILL');
        await new Promise((r) => p.once('exit', r));
      }
    }
    spawnSync('ip', ['netns', 'del', NS]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("answers Redis's -DENIED and closes; a loopback client is served", () => {
    expect(probe(OUTSIDE, PORT, OUTSIDE)).to.deep.equal({ data: PROTECTED_MODE_DENIED, closed: true });
    expect(probe('127.0.0.1', PORT).data).to.equal('+PONG\r\n');
  });

  it('gives word for word what redis-server answers in the same place', async function () {
    if (!hasBinary('redis-server')) this.skip();
    const redisPort = 6380;
    procs.push(
      await startInNamespace(
        ['redis-server', '--port', String(redisPort), '--bind', '0.0.0.0', '--save', '', '--appendonly', 'no', '--dir', dir],
        /Ready to accept connections/,
      ),
    );
    expect(probe(OUTSIDE, redisPort, OUTSIDE)).to.deep.equal(probe(OUTSIDE, PORT, OUTSIDE));
  });

  it('CONFIG SET protected-mode no (from loopback) lets the client in; with a password it must AUTH instead', function () {
    if (!hasBinary('redis-cli')) this.skip();
    expect(cli(['config', 'get', 'protected-mode'])).to.equal('protected-mode\nyes');
    expect(cli(['config', 'set', 'protected-mode', 'no'])).to.equal('OK');
    expect(probe(OUTSIDE, PORT, OUTSIDE)).to.deep.equal({ data: '+PONG\r\n', closed: false });
    expect(cli(['config', 'set', 'protected-mode', 'yes', 'requirepass', 'pw'])).to.equal('OK');
    expect(probe(OUTSIDE, PORT, OUTSIDE)).to.deep.equal({ data: '-NOAUTH Authentication required.\r\n', closed: false });
  });

  /** Local addresses listening on a TCP port inside the namespace. */
  function listeners(port: number): string[] {
    const out = spawnSync('ip', ['netns', 'exec', NS, 'ss', '-Hltn', `sport = :${port}`], { encoding: 'utf8' }).stdout;
    return out.split('\n').filter((l) => l.trim() !== '').map((l) => l.trim().split(/\s+/)[3]);
  }

  /** Starts a node of a two-node cluster (the other node never runs) inside the namespace; resolves with its log lines. */
  async function startMember(self: string, port: number, other: string): Promise<string[]> {
    const lines: string[] = [];
    const members = `1@${self}:${port}:${port + 10000},2@${other}:${port + 1}:${port + 10001}`;
    procs.push(
      await startInNamespace(
        [
          process.execPath, ...nodeEntry('server/main.ts'),
          '--port', String(port), '--bind', '0.0.0.0', '--node-id', '1', '--members', members,
          '--cluster-secret', 'test-secret', '--dir', path.join(dir, `data-${port}`),
        ],
        /ready to accept connections/,
        lines,
      ),
    );
    return lines;
  }

  const exposedWarning = (lines: string[]) =>
    lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => String(l.msg).startsWith('the peer port listens beyond the loopback interface without TLS'));

  it('peer port: a node listed at 127.0.0.1 in --members listens for peers there only, even with --bind 0.0.0.0', async function () {
    if (!hasBinary('ss')) this.skip();
    const lines = await startMember('127.0.0.1', 7000, '127.0.0.1');
    expect(listeners(17000)).to.deep.equal(['127.0.0.1:17000']);
    expect(listeners(7000)).to.deep.equal(['0.0.0.0:7000']);
    expect(exposedWarning(lines)).to.equal(undefined);
  });

  it('peer port: otherwise it follows --bind, and a warning says it is exposed without TLS', async function () {
    if (!hasBinary('ss')) this.skip();
    const lines = await startMember('10.79.0.2', 7100, OUTSIDE);
    expect(listeners(17100)).to.deep.equal(['0.0.0.0:17100']);
    const warning = exposedWarning(lines);
    expect(warning, lines.join('\n')).to.include({ level: 40, peerBind: '0.0.0.0', peerPort: 17100 });
    expect(String(warning!.msg)).to.contain('cluster secret');
    // A node without peers opens no peer port, so says nothing about one.
    expect(exposedWarning(logs)).to.equal(undefined);
  });
});
