import { expect } from 'chai';
import { clusterForSuite, waitFor } from './harness';
import { errorOf } from '../support/proc';

/**
 * WAIT numreplicas timeout: how many members other than the leader have the
 * client's writes, asked on the leader or (forwarded) on a follower; with a
 * follower down, WAIT 2 times out at 1.
 */
describe('cluster: WAIT', function () {
  this.timeout(60000);
  const t = clusterForSuite(3);

  it('counts the replicas that have this client\'s writes, on the leader and on a follower', async () => {
    const leader = await t.c.leader();
    const follower = [1, 2, 3].find((id) => id !== leader)!;
    const onLeader = t.c.client(leader);
    await onLeader.set('w1', 'v');
    expect(await onLeader.call('wait', '2', '5000')).to.equal(2);
    expect(await onLeader.call('wait', '0', '0')).to.be.within(0, 2);
    const onFollower = t.c.client(follower);
    await onFollower.set('w2', 'v');
    expect(await onFollower.call('wait', '2', '5000')).to.equal(2);
    expect(await errorOf(onLeader.call('wait', 'x', '0'))).to.equal('ERR value is not an integer or out of range');
    expect(await errorOf(onLeader.call('wait', '1', 'x'))).to.equal('ERR timeout is not an integer or out of range');
    expect(await errorOf(onLeader.call('wait', '1', '-1'))).to.equal('ERR timeout is negative');
    expect(await errorOf(onLeader.call('raft.wait', '1', '0', 'x'))).to.equal('ERR value is not an integer or out of range');
    expect(await errorOf(onLeader.call('raft.wait', '1', '0', '-1'))).to.equal('ERR value is not an integer or out of range');
    expect(await errorOf(onFollower.call('raft.wait', '1', '-5', '1'))).to.equal('ERR timeout is negative');
    expect(await onFollower.call('raft.wait', '2', '5000', '1')).to.equal(2);
  });

  it('with a follower down, WAIT 2 returns 1 at its timeout; WAIT 1 at once', async () => {
    const leader = await t.c.leader();
    const down = [1, 2, 3].find((id) => id !== leader)!;
    await t.c.kill(down);
    const r = t.c.client(leader);
    await waitFor(async () => (await r.set('w3', 'v').catch(() => 'no')) === 'OK', 10000, 'a write with one follower down');
    const started = Date.now();
    expect(await r.call('wait', '2', '300')).to.equal(1);
    expect(Date.now() - started).to.be.at.least(250); // it did wait for the timeout
    expect(await r.call('wait', '1', '0')).to.equal(1);
    await t.c.restart(down);
  });
});
