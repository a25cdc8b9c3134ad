/**
 * Kernel-level network faults: each node in its own network namespace,
 * joined by veth pairs to a bridge in a hub namespace, addresses 10.77.0.<id>
 * that exist only inside those namespaces, no default route. Faults are
 * nftables rules in each node's namespace (input chain): drop (blackhole),
 * reject with TCP reset (cut), random drop (packet loss). There is no delay:
 * `tc netem` is not available on these machines.
 *
 * Clients reach a node through a small forwarder started inside its
 * namespace, listening on a Unix socket (file system paths cross
 * namespaces); so client traffic never crosses the faulted links, as with
 * Jepsen clients talking to their own node.
 *
 * Needs root and `ip netns`; namespaces are named rcf-<pid>-<n> and deleted
 * on close, on process exit, and (if a crashed run left them) by the next run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { FaultNet, LinkFault } from './proxy';

export const SUBNET = '10.77.0';

function run(cmd: string, args: string[], input?: string): void {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${(r.stderr || r.stdout || String(r.error)).trim()}`);
}

/** Namespaces of this process, deleted on exit whatever happens. */
const ours = new Set<string>();
const forwarders = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of forwarders) p.kill('SIGKILL');
  for (const ns of ours) spawnSync('ip', ['netns', 'del', ns]);
});

/** Deletes namespaces left by runs whose process is gone. */
function reapStale(): void {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const line of (r.stdout ?? '').split('\n')) {
    const m = /^(rcf-(\d+)-\S+)/.exec(line);
    if (!m) continue;
    const pid = Number(m[2]);
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    if (!alive) spawnSync('ip', ['netns', 'del', m[1]]);
  }
}

/** Whether namespaces can be made here (root, `ip netns add` works). */
export function netnsAvailable(): { ok: boolean; why: string } {
  if (process.getuid?.() !== 0) return { ok: false, why: 'not root' };
  const probe = `rcf-${process.pid}-probe`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.status !== 0) return { ok: false, why: `ip netns add failed: ${(r.stderr || String(r.error)).trim()}` };
  const nft = spawnSync('ip', ['netns', 'exec', probe, 'nft', 'list', 'ruleset'], { encoding: 'utf8' });
  spawnSync('ip', ['netns', 'del', probe]);
  if (nft.status !== 0) return { ok: false, why: `nft does not work in a namespace: ${(nft.stderr || String(nft.error)).trim()}` };
  return { ok: true, why: '' };
}

const FORWARDER = `
const net = require('net'), fs = require('fs');
const [path, port] = process.argv.slice(1);
try { fs.unlinkSync(path); } catch {}
net.createServer((c) => {
  const u = net.connect(Number(port), '127.0.0.1');
  c.on('error', () => u.destroy()); u.on('error', () => c.destroy());
  c.pipe(u); u.pipe(c);
}).listen(path, () => process.stdout.write('listening\\n'));
`;

export class NetnsNet implements FaultNet {
  readonly kind = 'netns' as const;
  private readonly hub: string;
  /** Per node: faults on packets arriving from each other node. */
  private readonly inbound = new Map<number, Map<number, LinkFault>>();
  private lossPercent = 0;
  private readonly mine: ChildProcess[] = [];

  private constructor(
    private readonly ids: number[],
    private readonly tag: string,
  ) {
    this.hub = `${tag}-hub`;
  }

  nsOf(id: number): string {
    return `${this.tag}-${id}`;
  }

  addressOf(id: number): string {
    return `${SUBNET}.${id}`;
  }

  static create(ids: number[], runIndex: number): NetnsNet {
    reapStale();
    const n = new NetnsNet(ids, `rcf-${process.pid}-${runIndex}`);
    try {
      n.build();
    } catch (e) {
      n.destroy();
      throw e;
    }
    return n;
  }

  private build(): void {
    ours.add(this.hub);
    run('ip', ['netns', 'add', this.hub]);
    run('ip', ['-n', this.hub, 'link', 'set', 'lo', 'up']);
    run('ip', ['-n', this.hub, 'link', 'add', 'br0', 'type', 'bridge']);
    run('ip', ['-n', this.hub, 'link', 'set', 'br0', 'up']);
    for (const id of this.ids) {
      const ns = this.nsOf(id);
      ours.add(ns);
      run('ip', ['netns', 'add', ns]);
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      run('ip', ['-n', this.hub, 'link', 'add', `n${id}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      run('ip', ['-n', this.hub, 'link', 'set', `n${id}`, 'master', 'br0', 'up']);
      run('ip', ['-n', ns, 'addr', 'add', `${this.addressOf(id)}/24`, 'dev', 'eth0']);
      run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
      this.inbound.set(id, new Map());
      this.apply(id);
    }
  }

  /** Prefix that runs a command inside node `id`'s namespace. */
  exec(id: number): string[] {
    return ['ip', 'netns', 'exec', this.nsOf(id)];
  }

  /** Starts a forwarder in node `id`'s namespace from Unix socket `path` to its 127.0.0.1:`port`. */
  async forward(id: number, path: string, port: number): Promise<void> {
    const p = spawn('ip', ['netns', 'exec', this.nsOf(id), process.execPath, '-e', FORWARDER, path, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    forwarders.add(p);
    this.mine.push(p);
    p.once('exit', () => forwarders.delete(p));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`forwarder for node ${id} did not start`)), 10000);
      p.stdout!.once('data', () => {
        clearTimeout(t);
        resolve();
      });
      p.once('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`forwarder for node ${id} exited (${code})`));
      });
    });
    if (!existsSync(path)) throw new Error(`forwarder socket ${path} missing`);
  }

  /** Rewrites node `id`'s nftables table from its current faults. */
  private apply(id: number): void {
    const rules: string[] = [];
    for (const [from, f] of this.inbound.get(id)!) {
      if (f === 'blackhole') rules.push(`ip saddr ${this.addressOf(from)} drop`);
      else if (f === 'cut') rules.push(`ip saddr ${this.addressOf(from)} meta l4proto tcp reject with tcp reset`, `ip saddr ${this.addressOf(from)} drop`);
    }
    if (this.lossPercent > 0) rules.push(`iifname "eth0" numgen random mod 1000 < ${Math.round(this.lossPercent * 10)} drop`);
    const script = [
      'table inet rcfaults {}',
      'delete table inet rcfaults',
      'table inet rcfaults {',
      '  chain input {',
      '    type filter hook input priority 0; policy accept;',
      ...rules.map((r) => `    ${r}`),
      '  }',
      '}',
      '',
    ].join('\n');
    run('ip', ['netns', 'exec', this.nsOf(id), 'nft', '-f', '-'], script);
  }

  private setLink(from: number, to: number, f: LinkFault | 'ok'): void {
    const m = this.inbound.get(to)!;
    if (f === 'ok') m.delete(from);
    else m.set(from, f);
  }

  heal(): void {
    this.lossPercent = 0;
    for (const id of this.ids) {
      this.inbound.get(id)!.clear();
      this.apply(id);
    }
  }

  partition(groups: number[][], mode: LinkFault = 'blackhole'): void {
    const groupOf = new Map<number, number>();
    groups.forEach((g, i) => g.forEach((id) => groupOf.set(id, i)));
    for (const to of this.ids) {
      for (const from of this.ids) if (from !== to) this.setLink(from, to, groupOf.get(from) !== undefined && groupOf.get(from) === groupOf.get(to) ? 'ok' : mode);
      this.apply(to);
    }
  }

  oneWay(from: number, to: number, mode: LinkFault = 'blackhole'): void {
    this.setLink(from, to, mode);
    this.apply(to);
  }

  bridge(left: number[], _bridge: number, right: number[], mode: LinkFault = 'blackhole'): void {
    this.heal();
    for (const a of left)
      for (const b of right) {
        this.setLink(a, b, mode);
        this.setLink(b, a, mode);
      }
    for (const id of this.ids) this.apply(id);
  }

  /** Random packet loss on every node's inbound peer traffic; no delay (no netem here). */
  flaky(p: number, _delayMs: number): void {
    this.lossPercent = Math.min(100, p * 100);
    for (const id of this.ids) this.apply(id);
  }

  describe(): string {
    const parts: string[] = [];
    for (const [to, m] of this.inbound) for (const [from, f] of m) parts.push(`${from}->${to}:${f}`);
    if (this.lossPercent) parts.push(`loss ${this.lossPercent}% on every node's inbound traffic`);
    return parts.length ? parts.join(' ') : 'all links ok';
  }

  async close(): Promise<void> {
    this.destroy();
  }

  private destroy(): void {
    for (const p of this.mine) p.kill('SIGKILL');
    for (const id of this.ids) {
      spawnSync('ip', ['netns', 'del', this.nsOf(id)]);
      ours.delete(this.nsOf(id));
    }
    spawnSync('ip', ['netns', 'del', this.hub]);
    ours.delete(this.hub);
  }
}
