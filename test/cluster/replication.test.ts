import { expect } from 'chai';
import { Cluster, indexField, infoField, parseInfo, raftMembers, waitFor } from './harness';

/**
 * One 3-node cluster (default timing): writes through any node, reads in each
 * mode, the admin view (INFO raft / INFO replication) and leadership transfer.
 */
describe('cluster: writes, reads and admin on a 3-node cluster', function () {
  this.timeout(60000);
  let cluster: Cluster;
  let leader: number;
  let followers: number[];

  before(async () => {
    cluster = await Cluster.start({ nodes: 3 });
    leader = await cluster.leader();
    followers = await cluster.followers(leader);
  });
  after(async () => {
    await cluster?.stopAll();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && cluster) process.stderr.write(cluster.logTail() + '\n');
  });

  it('elects exactly one leader that every node names', async () => {
    expect(followers).to.have.length(2);
    for (const id of cluster.running()) {
      const info = await cluster.info(id);
      expect(infoField(info, 'role'), `node ${id} role`).to.equal(id === leader ? 'leader' : 'follower');
    }
  });

  it('writes on the leader with ioredis', async () => {
    const c = cluster.client(leader);
    expect(await c.set('l:k', 'v1')).to.equal('OK');
    expect(await c.incr('l:n')).to.equal(1);
    expect(await c.incrby('l:n', 41)).to.equal(42);
    expect(await c.get('l:k')).to.equal('v1');
    expect(await c.del('l:k')).to.equal(1);
    expect(await c.get('l:k')).to.equal(null);
  });

  it('writes on a follower with ioredis are forwarded, and the same connection reads its own writes', async () => {
    const c = cluster.client(followers[0]);
    expect(await c.set('f:k', 'hello')).to.equal('OK');
    expect(await c.get('f:k')).to.equal('hello');
    expect(await c.incr('f:n')).to.equal(1);
    expect(await c.incr('f:n')).to.equal(2);
    expect(await c.get('f:n')).to.equal('2');
    expect(await c.del('f:k')).to.equal(1);
    expect(await c.exists('f:k')).to.equal(0);
    // The write happened once, through the leader: the leader sees the same value.
    const l = cluster.client(leader);
    expect(await l.call('CLIENT', 'READMODE', 'linearizable')).to.equal('OK');
    expect(await l.get('f:n')).to.equal('2');
  });

  it('a plain redis-cli connected to a follower can SET, INCR and DEL', () => {
    const f = followers[1];
    expect(cluster.cli(f, ['set', 'cli:k', 'hello world']).stdout).to.equal('OK\n');
    expect(cluster.cli(f, ['incr', 'cli:n']).stdout).to.equal('1\n');
    expect(cluster.cli(f, ['incr', 'cli:n']).stdout).to.equal('2\n');
    expect(cluster.cli(f, ['get', 'cli:k']).stdout).to.equal('hello world\n');
    expect(cluster.cli(f, ['del', 'cli:k']).stdout).to.equal('1\n');
    expect(cluster.cli(f, [], 'set s 1\nincrby s 41\nget s\n').stdout).to.equal('OK\n42\n42\n');
  });

  it('pipelined writes through a follower are answered in order', async () => {
    const p = cluster.client(followers[0]).pipeline();
    for (let i = 0; i < 200; i++) p.incr('pipe:n');
    p.get('pipe:n');
    const replies = (await p.exec())!;
    expect(replies.map(([err]) => err)).to.deep.equal(new Array(201).fill(null));
    expect(replies.slice(0, 200).map(([, v]) => v)).to.deep.equal(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(replies[200][1]).to.equal('200');
  });

  it('CLIENT READMODE shows and sets the connection read mode', async () => {
    const c = cluster.client(followers[0]);
    expect(await c.call('CLIENT', 'READMODE')).to.equal('local');
    for (const mode of ['lease', 'linearizable', 'local']) {
      expect(await c.call('CLIENT', 'READMODE', mode)).to.equal('OK');
      expect(await c.call('CLIENT', 'READMODE')).to.equal(mode);
    }
    let err: Error | undefined;
    await c.call('CLIENT', 'READMODE', 'sometimes').catch((e: Error) => (err = e));
    expect(err?.message).to.match(/^ERR/);
    // Per connection: another connection still has the server default.
    expect(await cluster.client(followers[0]).call('CLIENT', 'READMODE')).to.equal('local');
  });

  it('local reads on followers see a leader write once applied', async () => {
    await cluster.client(leader).set('r:local', 'x1');
    for (const f of followers) {
      const c = cluster.client(f);
      await waitFor(async () => (await c.get('r:local')) === 'x1', 5000, `node ${f} to apply r:local`);
    }
  });

  for (const mode of ['lease', 'linearizable']) {
    it(`${mode} reads on followers see a write acknowledged just before by another node`, async () => {
      const writers = [cluster.client(leader), cluster.client(followers[1])];
      const reader = cluster.client(followers[0]);
      expect(await reader.call('CLIENT', 'READMODE', mode)).to.equal('OK');
      for (let i = 0; i < 60; i++) {
        expect(await writers[i % 2].set(`r:${mode}`, `v${i}`)).to.equal('OK');
        expect(await reader.get(`r:${mode}`), `read ${i}`).to.equal(`v${i}`);
      }
    });
  }

  it('a linearizable read on a follower sees a write acknowledged by the other follower (MGET and INCR values)', async () => {
    const [a, b] = followers;
    const reader = cluster.client(a);
    await reader.call('CLIENT', 'READMODE', 'linearizable');
    const writer = cluster.client(b);
    for (let i = 1; i <= 40; i++) {
      const n = await writer.incr('lin:ctr');
      expect(n).to.equal(i);
      expect(await reader.mget('lin:ctr', 'nope')).to.deep.equal([String(i), null]);
    }
  });

  it('INFO raft reports role, term, leader, indexes, log size and members (docs/cluster.md)', async () => {
    const leaderNode = cluster.node(leader);
    for (const id of cluster.running()) {
      const info = await cluster.info(id);
      const keys = Object.keys(info).join(', ');
      expect(Number(infoField(info, 'term', 'current_term')), `term on node ${id}; fields: ${keys}`).to.be.at.least(1);
      expect(Number(infoField(info, 'leader_id')), `leader id on node ${id}`).to.equal(leader);
      const addrKey = Object.keys(info).find((k) => /^(raft_)?leader_(addr|address|host)/.test(k));
      expect(addrKey, `a leader address field on node ${id}; fields: ${keys}`).to.be.a('string');
      expect(Object.entries(info).filter(([k]) => /^(raft_)?leader_(addr|address|host|port)/.test(k)).map(([, v]) => v).join(' '), 'leader address').to.contain(String(leaderNode.port));
      const commit = indexField(info, 'commit');
      const applied = indexField(info, 'applied');
      const last = indexField(info, 'last');
      const first = indexField(info, 'first');
      const snap = indexField(info, 'snapshot');
      expect(commit).to.be.at.least(1);
      expect(applied).to.be.at.most(commit);
      expect(last).to.be.at.least(commit);
      expect(first).to.be.at.most(last + 1);
      expect(snap).to.be.at.least(0);
      const sizeKey = Object.keys(info).find((k) => /log.*(size|bytes)|(size|bytes).*log/.test(k));
      expect(sizeKey, `a log size field on node ${id}; fields: ${keys}`).to.be.a('string');
      expect(Number(String(info[sizeKey!]).replace(/[^\d.]/g, ''))).to.be.greaterThan(0);
    }
    const members = raftMembers(await cluster.info(leader));
    expect(members.map((m) => Number(m.id)).sort(), `member lines on the leader: ${JSON.stringify(members)}`).to.deep.equal([1, 2, 3]);
    for (const m of members) {
      const match = m.match_index ?? m.match ?? m.matchIndex;
      expect(match, `match index in ${JSON.stringify(m)}`).to.match(/^\d+$/);
      expect(m.lag, `lag in ${JSON.stringify(m)}`).to.match(/^\d+$/);
    }
  });

  it('RAFT.INFO answers the same fields as INFO raft', async () => {
    const a = Object.keys(await cluster.info(followers[0], 'raft')).sort();
    const b = Object.keys(parseInfo(String(await cluster.command(followers[0], ['RAFT.INFO'])))).sort();
    expect(b).to.deep.equal(a);
  });

  it('INFO replication uses Redis fields: master on the leader, slave pointing at it on followers', async () => {
    const l = await cluster.info(leader, 'replication');
    expect(l.role).to.equal('master');
    expect(Number(l.connected_slaves)).to.equal(2);
    const slaves = Object.entries(l).filter(([k]) => /^slave\d+$/.test(k));
    expect(slaves, JSON.stringify(l)).to.have.length(2);
    for (const [, v] of slaves) expect(v).to.match(/ip=[^,]+,port=\d+,state=\w+,offset=\d+,lag=\d+/);
    const ports = slaves.map(([, v]) => Number(/port=(\d+)/.exec(v)![1])).sort();
    expect(ports).to.deep.equal(followers.map((f) => cluster.node(f).port).sort());
    for (const f of followers) {
      const r = await cluster.info(f, 'replication');
      expect(r.role).to.equal('slave');
      expect(r.master_host).to.equal('127.0.0.1');
      expect(Number(r.master_port)).to.equal(cluster.node(leader).port);
      expect(r.master_link_status).to.equal('up');
    }
  });

  it('RAFT.TRANSFER_LEADER id hands leadership to that node, and with no id to another voter', async () => {
    const target = followers[1];
    const t0 = Date.now();
    expect(await cluster.command(leader, ['RAFT.TRANSFER_LEADER', String(target)])).to.equal('OK');
    expect(await cluster.leader()).to.equal(target);
    const took = Date.now() - t0;
    expect(took, 'transfer time').to.be.below(3000);
    // Writes work right after, through the old leader (now a follower).
    expect(await cluster.client(leader).set('after:transfer', '1')).to.equal('OK');
    expect(await cluster.command(target, ['RAFT.TRANSFER_LEADER'])).to.equal('OK');
    const next = await waitFor(async () => {
      const l = await cluster.leader();
      return l !== target ? l : undefined;
    }, 5000, 'leadership to move off the target');
    expect(cluster.running()).to.include(next);
    expect((await cluster.info(next, 'replication')).role).to.equal('master');
  });
});

describe('cluster: writes sent while the first leader is being elected', function () {
  this.timeout(30000);
  let cluster: Cluster | undefined;
  after(async () => {
    await cluster?.stopAll();
  });

  it('are applied once a leader exists, on every node including the one that becomes leader', async () => {
    cluster = await Cluster.start({ nodes: 3 });
    const c = cluster;
    const t0 = Date.now();
    // Sent before any election can have finished (elections take 0.5-1 s).
    const replies = await Promise.all([1, 2, 3].map((id) => c.client(id).set(`early:${id}`, 'x').then((r) => r, (e: Error) => e.message)));
    const took = Date.now() - t0;
    const leader = await c.leader();
    expect(replies, `replies from nodes 1, 2, 3 after ${took} ms; leader ${leader}`).to.deep.equal(['OK', 'OK', 'OK']);
    expect(took).to.be.below(3000);
  });
});
