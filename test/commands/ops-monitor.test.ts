/**
 * MONITOR through redis-cli side by side with redis-server: the same commands
 * give the same lines (timestamps and client ports aside): quoting of binary
 * arguments, AUTH/HELLO secrets redacted, admin and rejected commands absent,
 * a script's calls as `lua` lines after its EVAL, MULTI's commands at EXEC.
 * A MONITOR client may not touch the keyspace; QUIT ends it. On a cluster a
 * write shows on the node its client asked, not on the leader that applies it.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { redisCli, serverForSuite } from '../support/proc';
import { RawClient, resp } from '../support/raw';
import { startReferenceRedis, type ReferenceRedis } from '../support/reference-redis';
import { Cluster, waitFor } from '../cluster/harness';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** redis-cli MONITOR, collecting what it prints. */
function monitor(port: number): { proc: ChildProcess; out: () => string } {
  const proc = spawn('redis-cli', ['-p', String(port), 'monitor'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString('latin1')));
  return { proc, out: () => out };
}

const normalize = (text: string) =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.replace(/^\+?\d{10}\.\d{6} /, 'T ').replace(/127\.0\.0\.1:\d+/, 'ADDR'));

describe('MONITOR (ops)', function () {
  this.timeout(90000);
  const t = serverForSuite();
  let ref: ReferenceRedis;

  before(async () => {
    ref = await startReferenceRedis();
  });
  after(async () => {
    await ref?.stop();
  });

  async function feedOf(port: number): Promise<string[]> {
    const m = monitor(port);
    try {
      const deadline = Date.now() + 5000;
      while (!m.out().startsWith('OK') && Date.now() < deadline) await sleep(20);
      const cli = (...args: string[]) => redisCli(port, args);
      cli('set', 'k', 'v');
      cli('set', 'a b', 'x\ny\x01\u00ff"\\');
      cli('auth', 'foo');
      cli('auth', 'user', 'pass');
      cli('hello', '3', 'auth', 'default', 'x');
      cli('eval', "redis.call('set','lk','1') return redis.call('get', 'lk')", '0');
      cli('config', 'get', 'maxmemory');
      cli('nosuch');
      cli('get');
      cli('-n', '3', 'get', 'x');
      cli('ping');
      cli('publish', 'c', 'm');
      const c = await RawClient.connect(port);
      c.write(Buffer.concat([resp('MULTI'), resp('SET', 'm', '1'), resp('INCR', 'm'), resp('EXEC')]));
      await c.waitFor((text) => text.includes('*2'));
      c.close();
      cli('echo', 'done');
      while (!m.out().includes('"done"') && Date.now() < deadline + 5000) await sleep(20);
      return normalize(m.out());
    } finally {
      m.proc.kill();
    }
  }

  it('redis-cli shows the same feed as redis-server', async () => {
    const ours = await feedOf(t.srv.port);
    const theirs = await feedOf(ref.port);
    expect(ours).to.deep.equal(theirs);
    expect(ours).to.include('T [0 ADDR] "set" "a b" "x\\ny\\x01\\xc3\\xbf\\"\\\\"');
    expect(ours).to.include('T [0 lua] "set" "lk" "1"');
    expect(ours).to.include('T [0 ADDR] "auth" "(redacted)" "(redacted)"');
  });

  it('a MONITOR client gets only the feed, may not touch the keyspace, and QUIT ends it', async () => {
    const run = async (port: number) => {
      const c = await RawClient.connect(port);
      c.write(resp('MONITOR'));
      await c.waitFor((text) => text.startsWith('+OK\r\n'));
      c.write(Buffer.concat([resp('PING'), resp('GET', 'x'), resp('MONITOR'), resp('SET', 'a', 'b'), resp('ECHO', 'e'), resp('QUIT')]));
      const text = await c.waitClosed();
      return text.replace(/\+\d{10}\.\d{6} /g, '+T ').replace(/127\.0\.0\.1:\d+/g, 'ADDR');
    };
    const ours = await run(t.srv.port);
    expect(ours).to.equal(await run(ref.port));
    expect(ours).to.include("-ERR Replica can't interact with the keyspace");
  });

  it('CLIENT LIST shows a monitor with flag O, as redis-server', async () => {
    const flagsOf = async (port: number) => {
      const c = await RawClient.connect(port);
      const m = await RawClient.connect(port);
      try {
        m.write(resp('MONITOR'));
        await m.waitFor((s) => s.startsWith('+OK'));
        c.write(resp('CLIENT', 'LIST'));
        const text = await c.waitFor((s) => s.includes('cmd=client'));
        return text.split('\n').filter((l) => l.includes('cmd=monitor')).map((l) => / flags=(\S+) /.exec(l)![1]);
      } finally {
        c.close();
        m.close();
      }
    };
    expect(await flagsOf(t.srv.port)).to.deep.equal(await flagsOf(ref.port)).and.deep.equal(['O']);
  });

  it('RESET ends MONITOR and CLIENT REPLY OFF, as redis-server', async () => {
    const run = async (port: number) => {
      const c = await RawClient.connect(port);
      c.write(Buffer.concat([resp('MONITOR'), resp('RESET'), resp('GET', 'x'), resp('CLIENT', 'REPLY', 'OFF'), resp('RESET'), resp('ECHO', 'end')]));
      const text = await c.waitFor((s) => s.includes('end'));
      c.close();
      return text.replace(/\+\d{10}\.\d{6} /g, '+T ').replace(/127\.0\.0\.1:\d+/g, 'ADDR');
    };
    expect(await run(t.srv.port)).to.equal(await run(ref.port));
  });
});

describe('MONITOR on a cluster (ops)', function () {
  this.timeout(120000);
  let c: Cluster;

  before(async () => {
    c = await Cluster.start({ nodes: 3 });
  });
  after(async () => {
    await c?.stopAll();
  });

  it('a write forwarded from a follower shows on the node its client asked', async () => {
    const leader = await c.leader();
    const [follower] = await c.followers(leader);
    const onFollower = monitor(c.nodes.get(follower)!.port);
    const onLeader = monitor(c.nodes.get(leader)!.port);
    try {
      await waitFor(() => onFollower.out().startsWith('OK') && onLeader.out().startsWith('OK'), 5000, 'monitors ready');
      await c.client(follower).set('forwarded', 'yes');
      await c.client(leader).echo('fence');
      await waitFor(() => onLeader.out().includes('"fence"') && onFollower.out().includes('"forwarded"'), 5000, 'feeds');
      expect(normalize(onFollower.out()).filter((l) => l.includes('forwarded'))).to.deep.equal(['T [0 ADDR] "set" "forwarded" "yes"']);
      expect(onLeader.out()).not.to.include('forwarded');
    } finally {
      onFollower.proc.kill();
      onLeader.proc.kill();
    }
  });
});
