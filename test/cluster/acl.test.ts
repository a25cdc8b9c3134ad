import { expect } from 'chai';
import Redis from 'ioredis';
import { Cluster, infoField, waitFor } from './harness';

/**
 * ACL users are replicated state: a user made through a follower exists on
 * every node, persists across a restart, and is enforced on the node the
 * client is connected to — a refused write never reaches the leader.
 */
describe('cluster: ACL users', function () {
  this.timeout(90000);
  let c: Cluster;
  const clients: Redis[] = [];

  before(async () => {
    c = await Cluster.start({ nodes: 3 });
    await c.leader();
  });
  after(async () => {
    for (const x of clients) x.disconnect();
    await c?.stopAll();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && c) process.stderr.write(c.logTail() + '\n');
  });

  function as(node: number, username: string, password: string): Redis {
    const r = new Redis({ port: c.node(node).port, username, password, lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => undefined);
    clients.push(r);
    return r;
  }

  it('ACL SETUSER through a follower is applied on every node; each node authenticates the user', async () => {
    const leader = await c.leader();
    const [follower] = await c.followers(leader);
    expect(await c.command(follower, ['ACL', 'SETUSER', 'reader', 'on', '>rpw', '+@read', '+ping', '~*'])).to.equal('OK');
    expect(await c.command(follower, ['ACL', 'SETUSER', 'writer', 'on', '>wpw', '+@all', '~jobs:*'])).to.equal('OK');
    await c.settle();
    const lists = await Promise.all(c.running().map((id) => c.command(id, ['ACL', 'LIST'])));
    for (const l of lists) expect(l).to.deep.equal(lists[0]);
    for (const id of c.running()) {
      const r = as(id, 'writer', 'wpw');
      await r.connect();
      expect(await r.call('ACL', 'WHOAMI')).to.equal('writer');
      expect(await r.set(`jobs:${id}`, 'x')).to.equal('OK');
    }
  });

  it('a user without write permission is refused on a follower before anything is forwarded', async () => {
    const leader = await c.leader();
    const [follower] = await c.followers(leader);
    const setCalls = async () => Number(/calls=(\d+)/.exec(infoField(await c.info(leader, 'commandstats'), 'cmdstat_set') ?? '')?.[1] ?? 0);
    const before = await setCalls();
    const commitBefore = Number(infoField(await c.info(leader), 'raft_commit_index') ?? 0);
    const r = as(follower, 'reader', 'rpw');
    await r.connect();
    const err = await r.set('jobs:1', 'v').catch((e: Error) => e.message);
    expect(err).to.equal("NOPERM this user has no permissions to run the 'set' command");
    expect(await r.get('jobs:1')).to.equal('x');
    expect(await setCalls()).to.equal(before);
    expect(Number(infoField(await c.info(leader), 'raft_commit_index') ?? 0)).to.equal(commitBefore);
    // The follower's own ACL LOG has the denial; the leader's does not.
    const flog = (await c.command(follower, ['ACL', 'LOG'])) as unknown[][];
    expect(flog.some((e) => e.includes('set') && e.includes('reader'))).to.equal(true);
    const llog = (await c.command(leader, ['ACL', 'LOG'])) as unknown[][];
    expect(llog.some((e) => e.includes('reader'))).to.equal(false);
  });

  it("a restricted user's script through a follower runs as that user on every node (RUN_AS in the log)", async () => {
    const leader = await c.leader();
    const [follower] = await c.followers(leader);
    expect(await c.command(follower, ['ACL', 'SETUSER', 'scripter', 'on', '>spw', '+eval', '+get', '+set', '+multi', '+exec', '~jobs:*'])).to.equal('OK');
    await c.settle();
    const r = as(follower, 'scripter', 'spw');
    await r.connect();
    expect(await r.eval("return redis.call('set', KEYS[1], 'viaLua')", 1, 'jobs:lua')).to.equal('OK');
    const denied = await r.eval("return redis.call('set', 'other', 'x')", 1, 'jobs:lua').catch((e: Error) => e.message);
    expect(String(denied)).to.contain("The user executing the script can't access at least one of the keys mentioned in the command arguments");
    const inMulti = await r.multi().eval("return redis.call('set', 'other2', 'x')", 1, 'jobs:m').exec();
    expect(String(inMulti?.[0]?.[0])).to.contain("can't access at least one of the keys");
    await c.settle();
    for (const id of c.running()) {
      expect(await c.command(id, ['GET', 'jobs:lua'])).to.equal('viaLua');
      expect(await c.command(id, ['EXISTS', 'other', 'other2'])).to.equal(0);
    }
  });

  it('users survive a node restart, and a change made while it was down reaches it', async () => {
    const leader = await c.leader();
    const [down] = await c.followers(leader);
    await c.kill(down, 'SIGKILL');
    expect(await c.command(leader, ['ACL', 'DELUSER', 'reader'])).to.equal(1);
    expect(await c.command(leader, ['ACL', 'SETUSER', 'writer', 'resetkeys', '~queue:*'])).to.equal('OK');
    await c.restart(down);
    await c.leader();
    await c.settle();
    await waitFor(async () => JSON.stringify(await c.command(down, ['ACL', 'LIST'])) === JSON.stringify(await c.command(leader, ['ACL', 'LIST'])), 10000, 'the restarted node to hold the same users');
    const users = (await c.command(down, ['ACL', 'USERS'])) as string[];
    expect(users).to.deep.equal(['default', 'scripter', 'writer']);
    const r = as(down, 'writer', 'wpw');
    await r.connect();
    expect(await r.set('queue:1', 'v')).to.equal('OK');
    expect(await r.set('jobs:9', 'v').catch((e: Error) => e.message)).to.equal('NOPERM this user has no permissions to access one of the keys used as arguments');
  });
});

describe('cluster: ACL users reach a lagging node by snapshot install', function () {
  this.timeout(90000);
  let c: Cluster;
  before(async () => {
    // A short log tail, so RAFT.COMPACT leaves the stopped node behind the log.
    c = await Cluster.start({ nodes: 3, args: ['--snapshot-entries', '20', '--log-tail', '5'] });
    await c.leader();
  });
  after(async () => {
    await c?.stopAll();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && c) process.stderr.write(c.logTail() + '\n');
  });

  it('a user made while a follower was down is installed with the snapshot, and works there', async () => {
    const leader = await c.leader();
    const [down] = await c.followers(leader);
    expect(await c.command(leader, ['ACL', 'SETUSER', 'old', 'on', '>opw', '+@all', '~*'])).to.equal('OK');
    await c.settle();
    await c.kill(down, 'SIGKILL');
    expect(await c.command(leader, ['ACL', 'SETUSER', 'snap', 'on', '>spw', '+get', '~s*'])).to.equal('OK');
    expect(await c.command(leader, ['ACL', 'DELUSER', 'old'])).to.equal(1);
    for (let i = 0; i < 40; i++) await c.command(leader, ['SET', `s${i}`, String(i)]);
    for (const id of c.running()) expect(await c.command(id, ['RAFT.COMPACT'], 30000)).to.equal('OK');
    const before = c.node(down).logs.length;
    await c.restart(down);
    await c.leader();
    await c.settle();
    expect(c.node(down).logs.slice(before).join('\n'), 'the restarted node installed a snapshot').to.match(/snapshot installed/);
    expect(await c.command(down, ['ACL', 'LIST'])).to.deep.equal(await c.command(leader, ['ACL', 'LIST']));
    expect(await c.command(down, ['ACL', 'USERS'])).to.deep.equal(['default', 'snap']);
    const r = new Redis({ port: c.node(down).port, username: 'snap', password: 'spw', lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => undefined);
    try {
      await r.connect();
      expect(await r.get('s7')).to.equal('7');
      expect(await r.set('s7', 'x').catch((e: Error) => e.message)).to.equal("NOPERM this user has no permissions to run the 'set' command");
    } finally {
      r.disconnect();
    }
  });
});
