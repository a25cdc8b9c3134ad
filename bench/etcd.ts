/**
 * A local 3-member etcd cluster for the compare bench (Debian's `etcd-server`;
 * `apt-get install -y etcd-server`). Defaults kept where they matter: every
 * put is in the fsynced WAL of a majority before it is acknowledged
 * (`--unsafe-no-fsync` is never passed). Members listen on 127.0.0.1 free
 * ports with data dirs under one temp dir, removed by stop().
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts, sleep } from '../test/cluster/harness';
import { httpPost } from './node-client';

export interface EtcdCluster {
  /** Client (HTTP/gRPC) port of each member. */
  clientPorts: number[];
  pids: number[];
  /** The client port of the member that leads now (asked of every member, all must agree). */
  leaderPort(): Promise<number>;
  stop(): Promise<void>;
}

/** `etcd --version`'s first line, or undefined when etcd is not installed. */
export function etcdVersion(): string | undefined {
  const r = spawnSync('etcd', ['--version'], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  return r.stdout.split('\n')[0]?.trim();
}

interface Status {
  memberId: string;
  leader: string;
}

async function status(port: number): Promise<Status> {
  const s = JSON.parse(await httpPost(undefined, port, '/v3/maintenance/status', '{}', 2000)) as { header?: { member_id?: string }; leader?: string };
  return { memberId: s.header?.member_id ?? '', leader: s.leader ?? '' };
}

export async function startEtcdCluster(n = 3): Promise<EtcdCluster> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'raftcache-bench-etcd-'));
  const ports = await freePorts(2 * n);
  const names = Array.from({ length: n }, (_, i) => `m${i + 1}`);
  const clientPorts = names.map((_, i) => ports[2 * i]);
  const peerPorts = names.map((_, i) => ports[2 * i + 1]);
  const initialCluster = names.map((name, i) => `${name}=http://127.0.0.1:${peerPorts[i]}`).join(',');
  const token = `bench-${crypto.randomBytes(6).toString('hex')}`;
  const procs: ChildProcess[] = [];
  /** The last lines each member printed, for an error message when it fails to start. */
  const logs: string[][] = names.map(() => []);
  const exits = new Map<ChildProcess, Promise<void>>();
  const stop = async (): Promise<void> => {
    await Promise.all(
      procs.map(async (p) => {
        if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
        const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
        await exits.get(p);
        clearTimeout(timer);
      }),
    );
    rmSync(root, { recursive: true, force: true });
  };
  try {
    names.forEach((name, i) => {
      const args = [
        '--name', name,
        '--data-dir', path.join(root, name),
        '--listen-client-urls', `http://127.0.0.1:${clientPorts[i]}`,
        '--advertise-client-urls', `http://127.0.0.1:${clientPorts[i]}`,
        '--listen-peer-urls', `http://127.0.0.1:${peerPorts[i]}`,
        '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPorts[i]}`,
        '--initial-cluster', initialCluster,
        '--initial-cluster-state', 'new',
        '--initial-cluster-token', token,
        '--logger', 'zap',
        '--log-level', 'warn',
      ];
      const p = spawn('etcd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
      procs.push(p);
      liveEtcd.add(p);
      exits.set(p, new Promise<void>((r) => p.once('exit', () => (liveEtcd.delete(p), r()))));
      p.once('error', (e) => logs[i].push(String(e)));
      p.stderr!.on('data', (d: Buffer) => {
        logs[i].push(...d.toString().trim().split('\n'));
        if (logs[i].length > 20) logs[i].splice(0, logs[i].length - 20);
      });
    });
    const cluster: EtcdCluster = {
      clientPorts,
      pids: procs.map((p) => p.pid ?? 0),
      async leaderPort() {
        const all = await Promise.all(clientPorts.map(status));
        const leaders = new Set(all.map((s) => s.leader));
        const at = all.findIndex((s) => s.memberId === s.leader && s.leader !== '' && s.leader !== '0');
        if (leaders.size !== 1 || at < 0) throw new Error(`etcd members do not agree on a leader: ${JSON.stringify(all)}`);
        return clientPorts[at];
      },
      stop,
    };
    const deadline = Date.now() + 30000;
    for (;;) {
      const dead = procs.findIndex((p) => p.exitCode !== null || p.signalCode !== null);
      if (dead >= 0) throw new Error(`etcd member ${names[dead]} exited:\n${logs[dead].join('\n')}`);
      try {
        await cluster.leaderPort();
        return cluster;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`etcd cluster not ready within 30 s: ${(e as Error).message}\n${logs.map((l, i) => `${names[i]}: ${l.join('\n')}`).join('\n')}`);
        await sleep(200);
      }
    }
  } catch (e) {
    await stop();
    throw e;
  }
}

/** etcd members started and not yet stopped: killed when this process exits, whatever happens. */
const liveEtcd = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of liveEtcd) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});
