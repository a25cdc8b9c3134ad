import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadClusterSecret } from '../../server/cluster-secret';
import { parseArgs } from '../../server/config';
import { parseMembers } from '../../server/members';
import { hasBinary, ROOT } from '../support/proc';

/**
 * docker-compose.yml and the Dockerfile, checked without a Docker engine:
 * `docker-compose config` validates and normalises the file (Debian's
 * docker-compose package); the normalised YAML is turned into JSON with the
 * PyYAML that package depends on. Validated, not run.
 */

interface Service {
  command: string[];
  environment?: Record<string, string | null>;
  hostname?: string;
  ports: Array<string | { published: string | number; target: number; host_ip?: string }>;
  volumes: Array<string | { source: string; target: string }>;
  build?: unknown;
  image?: string;
}

function ensureDockerCompose(): string | undefined {
  if (hasBinary('docker-compose')) return undefined;
  if (process.getuid?.() === 0 && hasBinary('apt-get')) {
    const r = spawnSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose'], { encoding: 'utf8', timeout: 300000 });
    if (r.status === 0 && hasBinary('docker-compose')) return undefined;
    return `docker-compose is missing and apt-get install docker-compose failed: ${(r.stderr || '').slice(-300)}`;
  }
  return 'docker-compose is missing; install it with: sudo apt-get install -y docker-compose';
}

describe('docker-compose.yml (validated with docker-compose config, not run)', function () {
  this.timeout(320000);
  let tmp: string;
  let emptyEnv: string;

  before(function () {
    const why = ensureDockerCompose();
    if (why) {
      process.stderr.write(`      skipping: ${why}\n`);
      this.skip();
    }
    tmp = mkdtempSync(path.join(os.tmpdir(), 'raftcache-compose-'));
    emptyEnv = path.join(tmp, 'empty.env'); // so a developer's own .env does not change what we check
    writeFileSync(emptyEnv, '');
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  type Normalised = { services: Record<string, Service>; volumes: Record<string, unknown> };
  let byDefault: Normalised | undefined;
  /** The normalised file; without `env`, computed once (docker-compose takes about a second). */
  function config(env: Record<string, string> = {}): Normalised {
    if (Object.keys(env).length === 0) return (byDefault ??= run(env));
    return run(env);
  }
  function run(env: Record<string, string>): Normalised {
    const cleanEnv = { ...process.env, ...env };
    if (!('RAFTCACHE_CLUSTER_SECRET' in env)) delete cleanEnv.RAFTCACHE_CLUSTER_SECRET;
    const r = spawnSync('docker-compose', ['--env-file', emptyEnv, '-f', path.join(ROOT, 'docker-compose.yml'), 'config'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: cleanEnv,
      timeout: 60000,
    });
    expect(r.status, `docker-compose config failed:\n${r.stderr}`).to.equal(0);
    const json = spawnSync('python3', ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], { input: r.stdout, encoding: 'utf8' });
    expect(json.status, json.stderr).to.equal(0);
    return JSON.parse(json.stdout) as Normalised;
  }

  function flag(cmd: string[], name: string): string | undefined {
    const i = cmd.indexOf(name);
    return i >= 0 ? cmd[i + 1] : undefined;
  }

  it('is valid and defines services node1..3, each with its own volume at /data', () => {
    const c = config();
    expect(Object.keys(c.services).sort()).to.deep.equal(['node1', 'node2', 'node3']);
    expect(Object.keys(c.volumes).sort()).to.deep.equal(['node1-data', 'node2-data', 'node3-data']);
    for (const [name, s] of Object.entries(c.services)) {
      const vols = s.volumes.map((v) => (typeof v === 'string' ? v : `${v.source}:${v.target}`));
      expect(vols.some((v) => v.startsWith(`${name}-data:/data`)), `${name} volumes ${JSON.stringify(vols)}`).to.equal(true);
      expect(flag(s.command, '--dir')).to.equal('/data');
      expect(flag(s.command, '--bind')).to.equal('0.0.0.0');
    }
  });

  it('gives every node a distinct id and the same --members list naming the services by DNS name', () => {
    const c = config();
    const ids = Object.values(c.services).map((s) => flag(s.command, '--node-id'));
    expect(ids.sort()).to.deep.equal(['1', '2', '3']);
    const lists = new Set(Object.values(c.services).map((s) => flag(s.command, '--members')));
    expect(lists.size).to.equal(1);
    const list = [...lists][0]!;
    expect(parseMembers(list).map((m) => m.host)).to.deep.equal(['node1', 'node2', 'node3']);
    const members = list.split(',');
    expect(members).to.deep.equal(['1@node1:6379:16379', '2@node2:6379:16379', '3@node3:6379:16379']);
    for (const [name, s] of Object.entries(c.services)) {
      const id = flag(s.command, '--node-id');
      expect(members).to.include(`${id}@${name}:6379:16379`);
    }
  });

  it('publishes client ports 6379-6381 on the host loopback only', () => {
    const c = config();
    const published = Object.entries(c.services).map(([name, s]) => {
      const p = s.ports[0];
      return typeof p === 'string' ? `${name} ${p}` : `${name} ${p.host_ip}:${p.published}:${p.target}`;
    });
    expect(published.map((p) => p.replace(/\/tcp$/, ''))).to.deep.equal(['node1 127.0.0.1:6379:6379', 'node2 127.0.0.1:6380:6379', 'node3 127.0.0.1:6381:6379']);
    // Docker's proxy connects from a non-loopback address: protected mode would refuse every client.
    for (const s of Object.values(c.services)) expect(flag(s.command, '--protected-mode')).to.equal('no');
  });

  it('takes the cluster secret from RAFTCACHE_CLUSTER_SECRET (or .env) into the environment, never the command line, with a documented default for local trial', () => {
    for (const s of Object.values(config().services)) {
      expect(s.environment?.RAFTCACHE_CLUSTER_SECRET).to.equal('raftcache-local-trial-secret-change-me');
      expect(s.command.join(' ')).to.not.match(/secret/);
    }
    expect(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')).to.match(/#.*RAFTCACHE_CLUSTER_SECRET.*\.env/);
    const custom = config({ RAFTCACHE_CLUSTER_SECRET: 's3cret-from-env' });
    for (const s of Object.values(custom.services)) expect(s.environment?.RAFTCACHE_CLUSTER_SECRET).to.equal('s3cret-from-env');
  });

  it('passes only options raftcache-server accepts, and each node gets a secret', () => {
    for (const [name, s] of Object.entries(config().services)) {
      expect(() => parseArgs(s.command), name).to.not.throw();
      const parsed = parseArgs(s.command).config;
      loadClusterSecret(parsed, { RAFTCACHE_CLUSTER_SECRET: s.environment?.RAFTCACHE_CLUSTER_SECRET ?? '' });
      expect(parsed['cluster-secret']).to.not.equal('');
    }
  });

  it('the Dockerfile builds on node:20-slim with npm ci and runs raftcache-server', () => {
    const text = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    expect(text).to.match(/^FROM node:20-slim/m);
    expect(text).to.match(/^RUN npm ci\b/m);
    expect(text).to.match(/^ENTRYPOINT \["raftcache-server"\]/m);
    const cmd = /^CMD (\[.*\])$/m.exec(text);
    expect(cmd).to.not.equal(null);
    expect(() => parseArgs(JSON.parse(cmd![1]) as string[])).to.not.throw();
  });
});
