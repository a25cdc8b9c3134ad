import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadClusterSecret } from '../../server/cluster-secret';
import { parseArgs } from '../../server/config';
import { parseMembers } from '../../server/members';
import { hasBinary, ROOT } from '../support/proc';
import { SERVER_NODE_OPTIONS } from '../../server/node-flags';

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
  profiles?: string[];
  depends_on?: Record<string, unknown> | string[];
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

  /** The raftcache nodes: every service outside a profile (the monitoring pair has one). */
  function nodes(c: Normalised): Record<string, Service> {
    return Object.fromEntries(Object.entries(c.services).filter(([, s]) => s.profiles === undefined));
  }

  function yamlFile(file: string): unknown {
    const r = spawnSync('python3', ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', file], { encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    return JSON.parse(r.stdout) as unknown;
  }

  function flag(cmd: string[], name: string): string | undefined {
    const i = cmd.indexOf(name);
    return i >= 0 ? cmd[i + 1] : undefined;
  }

  it('is valid and defines services node1..3, each with its own volume at /data', () => {
    const c = config();
    expect(Object.keys(nodes(c)).sort()).to.deep.equal(['node1', 'node2', 'node3']);
    expect(Object.keys(c.volumes).sort()).to.deep.equal(['grafana-data', 'node1-data', 'node2-data', 'node3-data', 'prometheus-data']);
    for (const [name, s] of Object.entries(nodes(c))) {
      const vols = s.volumes.map((v) => (typeof v === 'string' ? v : `${v.source}:${v.target}`));
      expect(vols.some((v) => v.startsWith(`${name}-data:/data`)), `${name} volumes ${JSON.stringify(vols)}`).to.equal(true);
      expect(flag(s.command, '--dir')).to.equal('/data');
      expect(flag(s.command, '--bind')).to.equal('0.0.0.0');
    }
  });

  it('gives every node a distinct id and the same --members list naming the services by DNS name', () => {
    const c = config();
    const ids = Object.values(nodes(c)).map((s) => flag(s.command, '--node-id'));
    expect(ids.sort()).to.deep.equal(['1', '2', '3']);
    const lists = new Set(Object.values(nodes(c)).map((s) => flag(s.command, '--members')));
    expect(lists.size).to.equal(1);
    const list = [...lists][0]!;
    expect(parseMembers(list).map((m) => m.host)).to.deep.equal(['node1', 'node2', 'node3']);
    const members = list.split(',');
    expect(members).to.deep.equal(['1@node1:6379:16379', '2@node2:6379:16379', '3@node3:6379:16379']);
    for (const [name, s] of Object.entries(nodes(c))) {
      const id = flag(s.command, '--node-id');
      expect(members).to.include(`${id}@${name}:6379:16379`);
    }
  });

  it('publishes client ports 6379-6381 on the host loopback only', () => {
    const c = config();
    const published = Object.entries(nodes(c)).map(([name, s]) => {
      const p = s.ports[0];
      return typeof p === 'string' ? `${name} ${p}` : `${name} ${p.host_ip}:${p.published}:${p.target}`;
    });
    expect(published.map((p) => p.replace(/\/tcp$/, ''))).to.deep.equal(['node1 127.0.0.1:6379:6379', 'node2 127.0.0.1:6380:6379', 'node3 127.0.0.1:6381:6379']);
    // Docker's proxy connects from a non-loopback address: protected mode would refuse every client.
    for (const s of Object.values(nodes(c))) expect(flag(s.command, '--protected-mode')).to.equal('no');
  });

  it('takes the cluster secret from RAFTCACHE_CLUSTER_SECRET (or .env) into the environment, never the command line, with a documented default for local trial', () => {
    for (const s of Object.values(nodes(config()))) {
      expect(s.environment?.RAFTCACHE_CLUSTER_SECRET).to.equal('raftcache-local-trial-secret-change-me');
      expect(s.command.join(' ')).to.not.match(/secret/);
    }
    expect(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')).to.match(/#.*RAFTCACHE_CLUSTER_SECRET.*\.env/);
    const custom = config({ RAFTCACHE_CLUSTER_SECRET: 's3cret-from-env' });
    for (const s of Object.values(nodes(custom))) expect(s.environment?.RAFTCACHE_CLUSTER_SECRET).to.equal('s3cret-from-env');
  });

  it('passes only options raftcache-server accepts, and each node gets a secret', () => {
    for (const [name, s] of Object.entries(nodes(config()))) {
      expect(() => parseArgs(s.command), name).to.not.throw();
      const parsed = parseArgs(s.command).config;
      loadClusterSecret(parsed, { RAFTCACHE_CLUSTER_SECRET: s.environment?.RAFTCACHE_CLUSTER_SECRET ?? '' });
      expect(parsed['cluster-secret']).to.not.equal('');
    }
  });

  it('monitoring profile: Prometheus and Grafana, only with --profile monitoring, published on the host loopback only', () => {
    const c = config();
    const extra = Object.entries(c.services).filter(([, s]) => s.profiles !== undefined);
    expect(extra.map(([name, s]) => `${name}:${s.profiles!.join(',')}`).sort()).to.deep.equal(['grafana:monitoring', 'prometheus:monitoring']);
    for (const [name, s] of extra) {
      expect(s.image, name).to.match(/^(prom\/prometheus|grafana\/grafana):v?\d+\.\d+\.\d+$/);
      for (const p of s.ports) expect(typeof p === 'string' ? p : p.host_ip, name).to.match(/^127\.0\.0\.1/);
      // Bind-mounted configuration must exist in the repository.
      for (const v of s.volumes) {
        const src = typeof v === 'string' ? v.split(':')[0] : v.source;
        if (src.startsWith('/')) expect(existsSync(src), `${name} mounts ${src}`).to.equal(true);
      }
    }
  });

  it('every node serves metrics inside the network (not published), and prometheus.yml scrapes exactly those ports', () => {
    const c = config();
    const targets: string[] = [];
    for (const [name, s] of Object.entries(nodes(c))) {
      const port = flag(s.command, '--metrics-port');
      expect(Number(port), name).to.be.greaterThan(0);
      expect(flag(s.command, '--metrics-bind'), name).to.equal('0.0.0.0');
      expect(s.ports.map((p) => (typeof p === 'string' ? p : String(p.target))).join(' '), name).to.not.include(port);
      targets.push(`${name}:${port}`);
    }
    const prom = yamlFile(path.join(ROOT, 'deploy/prometheus/prometheus.yml')) as {
      scrape_configs: Array<{ job_name: string; metrics_path?: string; static_configs: Array<{ targets: string[] }> }>;
    };
    const job = prom.scrape_configs.find((j) => j.job_name === 'raftcache');
    expect(job?.metrics_path ?? '/metrics').to.equal('/metrics');
    expect(job!.static_configs.flatMap((sc) => sc.targets).sort()).to.deep.equal(targets.sort());
    const mounts = c.services.prometheus.volumes.map((v) => (typeof v === 'string' ? v : `${v.source}:${v.target}`));
    expect(mounts.some((m) => m.startsWith(`${path.join(ROOT, 'deploy/prometheus/prometheus.yml')}:/etc/prometheus/prometheus.yml`))).to.equal(true);
  });

  it('Grafana is provisioned with the Prometheus datasource the dashboard names, and loads the dashboard from where compose mounts it', () => {
    const c = config();
    const mounts = new Map(c.services.grafana.volumes.map((v) => (typeof v === 'string' ? [v.split(':')[1], v.split(':')[0]] : [v.target, v.source])));
    const ds = yamlFile(path.join(ROOT, 'deploy/grafana/provisioning/datasources/prometheus.yml')) as { datasources: Array<{ uid: string; type: string; url: string }> };
    expect(ds.datasources).to.have.length(1);
    expect(ds.datasources[0].type).to.equal('prometheus');
    expect(ds.datasources[0].url).to.equal('http://prometheus:9090');
    const providers = yamlFile(path.join(ROOT, 'deploy/grafana/provisioning/dashboards/raftcache.yml')) as { providers: Array<{ options: { path: string } }> };
    const dashDir = mounts.get(providers.providers[0].options.path);
    expect(dashDir, 'the provider path is a mount').to.equal(path.join(ROOT, 'deploy/grafana/dashboards'));
    expect(mounts.get('/etc/grafana/provisioning')).to.equal(path.join(ROOT, 'deploy/grafana/provisioning'));
    const dash = JSON.parse(readFileSync(path.join(dashDir!, 'raftcache.json'), 'utf8')) as { uid: string; panels: Array<{ type: string; datasource?: { uid: string }; targets?: Array<{ expr: string }> }> };
    const queried = dash.panels.filter((p) => p.type !== 'row');
    expect(queried.length).to.be.at.least(10);
    for (const p of queried) {
      expect(p.datasource?.uid).to.equal(ds.datasources[0].uid);
      expect(p.targets?.length).to.be.at.least(1);
    }
  });

  it('the Dockerfile builds on node:20-slim with npm ci and runs raftcache-server', () => {
    const text = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    expect(text).to.match(/^FROM node:20-slim/m);
    expect(text).to.match(/^RUN npm ci\b/m);
    // The entrypoint runs node with every server option on its command line (V8 refuses --no-memory-reducer in NODE_OPTIONS).
    const entry = /^ENTRYPOINT (\[.*\])$/m.exec(text);
    expect(entry).to.not.equal(null);
    const argv = JSON.parse(entry![1]) as string[];
    expect(argv[0]).to.equal('node');
    expect(argv.slice(1, -1)).to.have.members([...SERVER_NODE_OPTIONS]);
    expect(argv[argv.length - 1]).to.equal('/app/bin/raftcache-server.js');
    const cmd = /^CMD (\[.*\])$/m.exec(text);
    expect(cmd).to.not.equal(null);
    expect(() => parseArgs(JSON.parse(cmd![1]) as string[])).to.not.throw();
  });
});
