import { expect } from 'chai';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import Redis from 'ioredis';
import { parseInfo } from '../../server/launcher';
import { Histogram } from '../../server/metrics-histogram';
import { Cluster, freePorts, waitFor } from '../cluster/harness';
import { errorOf, ROOT, startServer, type RunningServer } from '../support/proc';

/**
 * The Prometheus endpoint (--metrics-port): scraped with node:http, the text
 * format parsed here and checked for shape (every sample in a typed family,
 * histogram buckets cumulative and ending in _count) and for agreement with
 * INFO, on one node and on a 3-node cluster (leader: follower lag; followers:
 * role follower).
 */

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Scrape {
  status: number;
  contentType: string;
  body: string;
}

function get(port: number, path: string, method = 'GET'): Promise<Scrape> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A small parser of the text exposition format 0.0.4: checks each line's syntax and that samples follow their family's TYPE. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  expect(text.endsWith('\n'), 'ends with a newline').to.equal(true);
  let family = '';
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('# HELP ')) {
      expect(line, 'HELP line').to.match(/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$/);
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
      expect(m, `TYPE line: ${line}`).to.not.equal(null);
      expect(types.has(m![1]), `family ${m![1]} declared twice`).to.equal(false);
      types.set(m![1], m![2]);
      family = m![1];
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    expect(m, `sample line: ${JSON.stringify(line)}`).to.not.equal(null);
    const [, name, , labelText, raw] = m!;
    const labels: Record<string, string> = {};
    if (labelText) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
      let consumed = 0;
      for (let l = re.exec(labelText); l; l = re.exec(labelText)) {
        labels[l[1]] = l[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
        consumed = re.lastIndex;
      }
      expect(consumed, `labels of ${line}`).to.equal(labelText.length);
    }
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    expect(raw === 'NaN' || !Number.isNaN(value), `value of ${line}`).to.equal(true);
    const base = types.get(family) === 'histogram' ? name.replace(/_(bucket|sum|count)$/, '') : name;
    expect(base, `sample ${name} outside its family (${family})`).to.equal(family);
    samples.push({ name, labels, value });
  }
  return { samples, types };
}

class Metrics {
  constructor(
    readonly samples: Sample[],
    readonly types: Map<string, string>,
  ) {}

  all(name: string, labels: Record<string, string> = {}): Sample[] {
    return this.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  }

  /** The one sample of `name` with these labels (undefined when absent). */
  value(name: string, labels: Record<string, string> = {}): number | undefined {
    const found = this.all(name, labels);
    expect(found.length, `${name} ${JSON.stringify(labels)}`).to.be.at.most(1);
    return found[0]?.value;
  }

  /** Every histogram: buckets cumulative, le increasing, ending in +Inf equal to _count. */
  checkHistograms(): number {
    let n = 0;
    for (const [family, type] of this.types) {
      if (type !== 'histogram') continue;
      const series = new Map<string, Sample[]>();
      for (const b of this.all(`${family}_bucket`)) {
        const { le, ...rest } = b.labels;
        expect(le, `${family} bucket without le`).to.be.a('string');
        const key = JSON.stringify(rest);
        series.set(key, [...(series.get(key) ?? []), b]);
      }
      for (const [key, buckets] of series) {
        const rest = JSON.parse(key) as Record<string, string>;
        let prevLe = -Infinity;
        let prev = 0;
        for (const b of buckets) {
          const le = b.labels.le === '+Inf' ? Infinity : Number(b.labels.le);
          expect(le, `${family} ${key} le order`).to.be.greaterThan(prevLe);
          expect(b.value, `${family} ${key} le=${b.labels.le} cumulative`).to.be.at.least(prev);
          prevLe = le;
          prev = b.value;
        }
        expect(buckets[buckets.length - 1].labels.le).to.equal('+Inf');
        expect(prev, `${family} ${key}: +Inf bucket = _count`).to.equal(this.value(`${family}_count`, rest));
        expect(this.value(`${family}_sum`, rest), `${family} ${key} _sum`).to.be.at.least(0);
        n++;
      }
    }
    return n;
  }
}

async function scrape(port: number): Promise<Metrics> {
  const r = await get(port, '/metrics');
  expect(r.status).to.equal(200);
  expect(r.contentType).to.equal('text/plain; version=0.0.4; charset=utf-8');
  const { samples, types } = parseExposition(r.body);
  return new Metrics(samples, types);
}

/** `cmdstat_get:calls=3,usec=...` -> { calls: 3, ... }. */
function commandstats(info: Record<string, string>, cmd: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const kv of (info[`cmdstat_${cmd}`] ?? '').split(',')) {
    const [k, v] = kv.split('=');
    if (k) out[k] = Number(v);
  }
  return out;
}

/** TCP ports process `pid` listens on (its socket inodes matched against /proc/net/tcp{,6}). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // fd closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[3] === '0A' && inodes.has(f[9])) ports.push(parseInt(f[1].split(':')[1], 16));
    }
  }
  return ports.sort((a, b) => a - b);
}

describe('Prometheus metrics endpoint (--metrics-port)', function () {
  this.timeout(60000);

  describe('one node', () => {
    let srv: RunningServer;
    let r: Redis;
    let mport: number;

    before(async () => {
      [mport] = await freePorts(1);
      srv = await startServer(['--metrics-port', String(mport)]);
      r = new Redis({ port: srv.port });
    });
    after(async () => {
      r?.disconnect();
      await srv?.stop();
    });

    it('listens on the metrics port (bound to 127.0.0.1) besides the client port, and CONFIG GET shows it', async () => {
      expect(listeningPorts(srv.proc.pid!)).to.deep.equal([srv.port, mport].sort((a, b) => a - b));
      expect(await r.config('GET', 'metrics-*')).to.deep.equal(['metrics-port', String(mport), 'metrics-bind', '127.0.0.1']);
      expect(await errorOf(r.config('SET', 'metrics-port', '0'))).to.match(/can't set immutable config/);
    });

    it('answers GET and HEAD /metrics; 404 for other paths and methods', async () => {
      const ok = await get(mport, '/metrics?x=1');
      expect(ok.status).to.equal(200);
      const head = await get(mport, '/metrics', 'HEAD');
      expect([head.status, head.body]).to.deep.equal([200, '']);
      for (const [path, method] of [['/', 'GET'], ['/metricsx', 'GET'], ['/metrics/', 'GET'], ['/metrics', 'POST']]) {
        expect((await get(mport, path, method)).status, `${method} ${path}`).to.equal(404);
      }
    });

    it('counts commands, errors, hits and misses as INFO does', async () => {
      const before = await scrape(mport);
      const setsBefore = before.value('redis_commands_total', { cmd: 'set' }) ?? 0;
      for (let i = 0; i < 20; i++) await r.set(`k${i}`, 'v');
      for (let i = 0; i < 15; i++) await r.get(`k${i}`);
      for (let i = 0; i < 5; i++) await r.get(`missing${i}`);
      await errorOf(r.call('INCR', 'k0')); // not an integer: failed call
      await errorOf(r.call('GET')); // wrong arity: rejected call
      await r.set('ttl', 'v', 'PX', 30);
      await waitFor(async () => (await r.exists('ttl')) === 0, 5000, 'the key to expire');
      await waitFor(async () => Number(parseInfo(await r.info('stats')).expired_keys) > 0, 5000, 'expired_keys to count it');

      const m = await scrape(mport);
      const info = parseInfo(await r.info('everything'));
      expect(m.value('redis_commands_total', { cmd: 'set' })).to.equal(setsBefore + 21);
      for (const cmd of ['set', 'get', 'incr']) {
        const cs = commandstats(info, cmd);
        expect(m.value('redis_commands_total', { cmd }), cmd).to.equal(cs.calls);
        expect(m.value('redis_commands_rejected_calls_total', { cmd }), cmd).to.equal(cs.rejected_calls);
        expect(m.value('redis_commands_failed_calls_total', { cmd }), cmd).to.equal(cs.failed_calls);
        // INFO rounds usec; the exposition keeps the fraction.
        expect(Math.abs(m.value('redis_commands_duration_seconds_total', { cmd })! * 1e6 - cs.usec), cmd).to.be.below(1);
      }
      expect(m.value('redis_commands_failed_calls_total', { cmd: 'incr' })).to.equal(1);
      expect(m.value('redis_commands_rejected_calls_total', { cmd: 'get' })).to.equal(1);
      expect(m.value('redis_errors_total', { err: 'ERR' })).to.equal(Number(/count=(\d+)/.exec(info.errorstat_ERR)![1]));
      expect(m.value('redis_keyspace_hits_total')).to.equal(Number(info.keyspace_hits));
      expect(m.value('redis_keyspace_misses_total')).to.equal(Number(info.keyspace_misses));
      expect(m.value('redis_keyspace_misses_total')).to.be.at.least(5);
      // Scraped just before INFO everything was sent: INFO also counts that request (its own reply goes out after).
      expect(m.value('redis_net_input_bytes_total')).to.be.above(0).and.below(Number(info.total_net_input_bytes));
      expect(m.value('redis_net_output_bytes_total')).to.be.above(0).and.at.most(Number(info.total_net_output_bytes));
      expect(m.value('redis_expired_keys_total')).to.equal(Number(info.expired_keys));
      expect(m.value('redis_evicted_keys_total')).to.equal(Number(info.evicted_keys));
      expect(m.value('redis_connected_clients')).to.equal(Number(info.connected_clients));
      expect(m.value('redis_blocked_clients')).to.equal(0);
      expect(m.value('redis_db_keys', { db: 'db0' })).to.equal(20);
      expect(/keys=(\d+)/.exec(info.db0)![1]).to.equal('20');
      expect(m.value('redis_db_keys', { db: 'db15' })).to.equal(0);
      expect(m.value('redis_memory_used_bytes')).to.be.greaterThan(0);
      expect(m.value('redis_memory_used_rss_bytes')).to.be.greaterThan(m.value('redis_memory_used_bytes')!);
      expect(m.value('redis_uptime_in_seconds')).to.be.within(Number(info.uptime_in_seconds) - 1, Number(info.uptime_in_seconds) + 1);
      expect(m.value('redis_instance_info', { role: 'master', redis_version: info.redis_version, run_id: info.run_id })).to.equal(1);
      // A single node leads its one-voter cluster; nothing writes in between, so the indexes match INFO raft.
      expect(m.value('raftcache_raft_role', { role: 'leader' })).to.equal(1);
      expect(m.value('raftcache_raft_role', { role: 'follower' })).to.equal(0);
      expect(m.value('raftcache_raft_term')).to.equal(Number(info.raft_term));
      expect(m.value('raftcache_raft_commit_index')).to.equal(Number(info.raft_commit_index));
      expect(m.value('raftcache_raft_applied_index')).to.equal(Number(info.raft_applied_index));
      expect(m.all('raftcache_raft_follower_lag_entries')).to.deep.equal([]);
    });

    it('histograms: cumulative buckets ending in _count; one latency observation per call; fsyncs observed', async () => {
      for (let i = 0; i < 10; i++) await r.set(`h${i}`, 'v');
      for (let i = 0; i < 10; i++) await r.get(`h${i}`);
      const m = await scrape(mport);
      expect(m.checkHistograms()).to.be.at.least(4);
      // Every call of these ran and was answered, so each was observed once.
      for (const cmd of ['get', 'set']) {
        expect(m.value('raftcache_command_latency_seconds_count', { cmd }), cmd).to.equal(m.value('redis_commands_total', { cmd }));
      }
      // Writes wait for their fsync: the persist histogram saw at least as many batches as it took.
      expect(m.value('raftcache_log_fsync_seconds_count')).to.be.greaterThan(0);
      expect(m.value('raftcache_log_fsync_seconds_sum')).to.be.greaterThan(0);
      expect(m.types.get('raftcache_command_latency_seconds')).to.equal('histogram');
      expect(m.types.get('redis_commands_total')).to.equal('counter');
      expect(m.types.get('redis_connected_clients')).to.equal('gauge');
    });

    it('shows a client blocked in BLPOP as INFO does, and the BLPOP latency once it is served', async () => {
      const blocker = new Redis({ port: srv.port });
      try {
        const popped = blocker.blpop('queue', 0);
        await waitFor(async () => Number(parseInfo(await r.info('clients')).blocked_clients) === 1, 5000, 'the client to block');
        const m = await scrape(mport);
        expect(m.value('redis_blocked_clients')).to.equal(1);
        expect(m.value('redis_connected_clients')).to.equal(Number(parseInfo(await r.info('clients')).connected_clients));
        await r.rpush('queue', 'x');
        expect(await popped).to.deep.equal(['queue', 'x']);
        const after = await scrape(mport);
        expect(after.value('redis_blocked_clients')).to.equal(0);
        expect(after.value('raftcache_command_latency_seconds_count', { cmd: 'blpop' })).to.equal(1);
      } finally {
        blocker.disconnect();
      }
    });

    it('escapes label values: an error code with a quote and a backslash (from a script) round-trips', async () => {
      await errorOf(r.eval(`return redis.error_reply('MY"CO\\\\DE boom')`, 0));
      const info = parseInfo(await r.info('errorstats'));
      expect(info['errorstat_MY"CO\\DE']).to.equal('count=1');
      const m = await scrape(mport);
      expect(m.value('redis_errors_total', { err: 'MY"CO\\DE' })).to.equal(1);
    });

    it('CONFIG RESETSTAT resets the counters and the latency histograms together', async () => {
      await r.config('RESETSTAT');
      await r.get('h1');
      const m = await scrape(mport);
      expect(m.value('redis_commands_total', { cmd: 'get' })).to.equal(1);
      expect(m.value('raftcache_command_latency_seconds_count', { cmd: 'get' })).to.equal(1);
      expect(m.all('raftcache_command_latency_seconds_count', { cmd: 'set' })).to.deep.equal([]);
      expect(m.value('redis_keyspace_hits_total')).to.equal(1);
    });
  });

  it('histogram buckets are upper-inclusive (le) and the rest goes to +Inf', () => {
    const h = new Histogram([0.001, 0.01]);
    for (const v of [0, 0.001, 0.0010001, 0.01, 0.5]) h.observe(v);
    expect([...h.counts]).to.deep.equal([2, 2, 1]);
    expect(h.count).to.equal(5);
    expect(h.sum).to.be.closeTo(0.5120001, 1e-9);
  });

  it('is off by default: no port but the client port, CONFIG GET metrics-port is 0', async () => {
    const srv = await startServer();
    const r = new Redis({ port: srv.port });
    try {
      expect(await r.config('GET', 'metrics-port')).to.deep.equal(['metrics-port', '0']);
      expect(listeningPorts(srv.proc.pid!)).to.deep.equal([srv.port]);
    } finally {
      r.disconnect();
      await srv.stop();
    }
  });

  describe('3-node cluster', () => {
    let c: Cluster;
    const mports = new Map<number, number>();

    before(async () => {
      // The metrics ports are picked before the cluster picks its own, and a port picked free can be taken
      // before a node binds it (a fresh-clone run once lost node 2 to EADDRINUSE): start again on new ports.
      for (let attempt = 1; ; attempt++) {
        const ports = await freePorts(3);
        ports.forEach((p, i) => mports.set(i + 1, p));
        try {
          // A short log and tail so RAFT.COMPACT forces a snapshot on a follower that was down.
          c = await Cluster.start({ args: ['--snapshot-entries', '10', '--log-tail', '10'], nodeArgs: { 1: ['--metrics-port', String(ports[0])], 2: ['--metrics-port', String(ports[1])], 3: ['--metrics-port', String(ports[2])] } });
          break;
        } catch (e) {
          if (attempt >= 3 || !/EADDRINUSE/.test((e as Error).message)) throw e;
        }
      }
    });
    after(async () => {
      await c?.stopAll();
    });
    afterEach(function () {
      if (this.currentTest?.state === 'failed' && c) process.stderr.write(c.logTail() + '\n');
    });

    it('the leader shows each follower\'s match index and lag; followers show role follower', async () => {
      const leader = await c.leader();
      const followers = await c.followers(leader);
      const viaFollower = c.client(followers[0]);
      for (let i = 0; i < 10; i++) await viaFollower.set(`f${i}`, 'v');
      await c.settle();

      const lm = await scrape(mports.get(leader)!);
      const linfo = await c.info(leader);
      expect(lm.value('raftcache_raft_role', { role: 'leader' })).to.equal(1);
      expect(lm.value('raftcache_raft_is_leader')).to.equal(1);
      expect(lm.value('raftcache_raft_leader_id')).to.equal(leader);
      expect(lm.value('raftcache_raft_voters')).to.equal(3);
      const lag = lm.all('raftcache_raft_follower_lag_entries');
      expect(lag.map((s) => Number(s.labels.follower)).sort()).to.deep.equal([...followers].sort());
      for (const f of followers) {
        const member = /match=(-?\d+),lag=(\d+)/.exec(linfo[`raft_member_${f}`])!;
        const match = lm.value('raftcache_raft_follower_match_index', { follower: String(f) })!;
        // Heartbeats may move the match index between INFO and the scrape, never backwards.
        expect(match, `follower ${f}`).to.be.at.least(Number(member[1]));
        expect(match).to.be.at.most(lm.value('raftcache_raft_last_index')!);
        expect(lm.value('raftcache_raft_follower_lag_entries', { follower: String(f) })).to.equal(lm.value('raftcache_raft_last_index')! - match);
        expect(lm.value('raftcache_raft_follower_connected', { follower: String(f) })).to.equal(1);
      }
      expect(lm.value('redis_instance_info', { role: 'master' })).to.equal(1);
      lm.checkHistograms();

      // Every series the Grafana dashboard queries exists (the leader's scrape has them all).
      const dash = JSON.parse(readFileSync(path.join(ROOT, 'deploy/grafana/dashboards/raftcache.json'), 'utf8')) as { panels: Array<{ targets?: Array<{ expr: string }> }> };
      const queried = new Set(dash.panels.flatMap((p) => p.targets ?? []).flatMap((t) => t.expr.match(/\b(redis|raftcache)_[a-z0-9_]+/g) ?? []));
      expect(queried.size).to.be.at.least(20);
      for (const name of queried) {
        const family = lm.types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
        expect(lm.types.get(family), `dashboard queries ${name}`).to.be.a('string');
        if (family !== name) expect(lm.types.get(family)).to.equal('histogram');
      }

      for (const f of followers) {
        const fm = await scrape(mports.get(f)!);
        const finfo = await c.info(f);
        expect(fm.value('raftcache_raft_role', { role: 'follower' }), `node ${f}`).to.equal(1);
        expect(fm.value('raftcache_raft_role', { role: 'leader' })).to.equal(0);
        expect(fm.value('raftcache_raft_leader_id')).to.equal(leader);
        expect(fm.value('raftcache_raft_term')).to.equal(Number(finfo.raft_term));
        expect(fm.value('raftcache_raft_applied_index')).to.be.at.least(Number(linfo.raft_commit_index));
        expect(fm.all('raftcache_raft_follower_lag_entries')).to.deep.equal([]);
        expect(fm.value('redis_instance_info', { role: 'slave' })).to.equal(1);
        expect(fm.value('redis_db_keys', { db: 'db0' })).to.equal(10);
        fm.checkHistograms();
      }
      // The follower whose client wrote timed each write until it was applied there.
      const fm = await scrape(mports.get(followers[0])!);
      expect(fm.value('raftcache_command_latency_seconds_count', { cmd: 'set' })).to.equal(10);
      expect(fm.value('raftcache_log_fsync_seconds_count')).to.be.greaterThan(0);
    });

    it('a follower restarted behind the compacted log: the leader counts the snapshot sent, the follower its install', async () => {
      const leader = await c.leader();
      const [lagger, other] = await c.followers(leader);
      await c.kill(lagger, 'SIGKILL');
      const w = c.client(leader);
      for (let i = 0; i < 100; i++) await w.set(`s${i}`, 'v');
      expect(await c.command(leader, ['RAFT.COMPACT'])).to.equal('OK');
      expect(await c.command(other, ['RAFT.COMPACT'])).to.equal('OK');
      const before = await scrape(mports.get(leader)!);
      await c.restart(lagger);
      await c.leader();
      await c.settle();

      const lm = await scrape(mports.get(leader)!);
      expect(lm.value('raftcache_snapshots_sent_total')).to.equal(before.value('raftcache_snapshots_sent_total')! + 1);
      expect(lm.value('raftcache_snapshot_sent_bytes_total')).to.be.greaterThan(before.value('raftcache_snapshot_sent_bytes_total')!);
      expect(lm.value('raftcache_keyspace_flush_records_total')).to.be.at.least(100);
      expect(lm.value('raftcache_keyspace_flush_seconds_count')).to.be.greaterThan(0);
      const fm = await scrape(mports.get(lagger)!);
      expect(fm.value('raftcache_snapshot_install_seconds_count')).to.equal(1);
      expect(fm.value('raftcache_snapshot_install_seconds_sum')).to.be.greaterThan(0);
      expect(fm.value('redis_db_keys', { db: 'db0' })).to.be.at.least(100);
      expect(fm.value('raftcache_raft_snapshot_index')).to.be.at.least(lm.value('raftcache_raft_first_index')! - 1);
      fm.checkHistograms();
    });
  });
});
