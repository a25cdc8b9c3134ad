import { expect } from 'chai';
import Redis from 'ioredis';
import { errorOf, startServer, type RunningServer } from '../support/proc';

const err = errorOf;

/** Compare-and-set and compare-and-delete (Redis 8.4 SET IFEQ/IFNE and DELEX, Valkey DELIFEQ). */
describe('compare-and-set commands through ioredis', function () {
  let srv: RunningServer;
  let r: Redis;
  before(async () => {
    srv = await startServer();
    r = new Redis({ port: srv.port });
  });
  after(async () => {
    r.disconnect();
    await srv.stop();
  });
  beforeEach(async () => {
    await r.flushall();
  });

  it('SET IFEQ writes only over the expected value and never creates the key', async () => {
    await r.set('k', 'v1');
    expect(await r.call('set', 'k', 'v2', 'IFEQ', 'v1')).to.equal('OK');
    expect(await r.call('set', 'k', 'v3', 'IFEQ', 'v1')).to.equal(null);
    expect(await r.get('k')).to.equal('v2');
    expect(await r.call('set', 'missing', 'x', 'IFEQ', 'anything')).to.equal(null);
    expect(await r.exists('missing')).to.equal(0);
    expect(await r.call('set', 'k', 'v4', 'IFEQ', 'v2', 'GET', 'PX', '50000')).to.equal('v2');
    expect(await r.pttl('k')).to.be.within(49000, 50000);
  });

  it('SET IFNE writes unless the value matches, and creates a missing key', async () => {
    await r.set('k', 'same');
    expect(await r.call('set', 'k', 'new', 'IFNE', 'same')).to.equal(null);
    expect(await r.call('set', 'k', 'new', 'IFNE', 'other')).to.equal('OK');
    expect(await r.call('set', 'fresh', 'v', 'IFNE', 'x')).to.equal('OK');
    expect(await r.get('fresh')).to.equal('v');
  });

  it('conditions are mutually exclusive', async () => {
    expect(await err(r.call('set', 'k', 'v', 'NX', 'IFEQ', 'a'))).to.equal('ERR syntax error');
    expect(await err(r.call('set', 'k', 'v', 'IFEQ', 'a', 'IFNE', 'b'))).to.equal('ERR syntax error');
    expect(await err(r.call('set', 'k', 'v', 'IFEQ'))).to.equal('ERR syntax error');
  });

  it('DELIFEQ and DELEX delete only on a matching value', async () => {
    await r.mset('lock', 'owner-1', 'other', 'x');
    expect(await r.call('delifeq', 'lock', 'owner-2')).to.equal(0);
    expect(await r.call('delifeq', 'lock', 'owner-1')).to.equal(1);
    expect(await r.call('delifeq', 'lock', 'owner-1')).to.equal(0);
    await r.set('lock', 'owner-1');
    expect(await r.call('delex', 'lock', 'IFNE', 'owner-1')).to.equal(0);
    expect(await r.call('delex', 'lock', 'IFEQ', 'owner-1')).to.equal(1);
    expect(await r.call('delex', 'other')).to.equal(1);
    expect(await r.call('delex', 'nothing')).to.equal(0);
    expect(await err(r.call('delex', 'k', 'IFEQ'))).to.equal("ERR wrong number of arguments for 'delex' command");
    expect(await err(r.call('delex', 'k', 'BOGUS', 'v'))).to.equal('ERR syntax error');
  });
});
