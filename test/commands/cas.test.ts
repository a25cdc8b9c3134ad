import { expect } from 'chai';
import { errorOf, serverForSuite } from '../support/proc';

const err = errorOf;

/** Compare-and-set and compare-and-delete (Redis 8.4 SET IFEQ/IFNE and DELEX, Valkey DELIFEQ). */
describe('compare-and-set commands through ioredis', function () {
  const t = serverForSuite();
  beforeEach(async () => {
    await t.r.flushall();
  });

  it('SET IFEQ writes only over the expected value and never creates the key', async () => {
    await t.r.set('k', 'v1');
    expect(await t.r.call('set', 'k', 'v2', 'IFEQ', 'v1')).to.equal('OK');
    expect(await t.r.call('set', 'k', 'v3', 'IFEQ', 'v1')).to.equal(null);
    expect(await t.r.get('k')).to.equal('v2');
    expect(await t.r.call('set', 'missing', 'x', 'IFEQ', 'anything')).to.equal(null);
    expect(await t.r.exists('missing')).to.equal(0);
    expect(await t.r.call('set', 'k', 'v4', 'IFEQ', 'v2', 'GET', 'PX', '50000')).to.equal('v2');
    expect(await t.r.pttl('k')).to.be.within(49000, 50000);
  });

  it('SET IFNE writes unless the value matches, and creates a missing key', async () => {
    await t.r.set('k', 'same');
    expect(await t.r.call('set', 'k', 'new', 'IFNE', 'same')).to.equal(null);
    expect(await t.r.call('set', 'k', 'new', 'IFNE', 'other')).to.equal('OK');
    expect(await t.r.call('set', 'fresh', 'v', 'IFNE', 'x')).to.equal('OK');
    expect(await t.r.get('fresh')).to.equal('v');
  });

  it('conditions are mutually exclusive', async () => {
    expect(await err(t.r.call('set', 'k', 'v', 'NX', 'IFEQ', 'a'))).to.equal('ERR syntax error');
    expect(await err(t.r.call('set', 'k', 'v', 'IFEQ', 'a', 'IFNE', 'b'))).to.equal('ERR syntax error');
    expect(await err(t.r.call('set', 'k', 'v', 'IFEQ'))).to.equal('ERR syntax error');
  });

  it('DELIFEQ and DELEX delete only on a matching value', async () => {
    await t.r.mset('lock', 'owner-1', 'other', 'x');
    expect(await t.r.call('delifeq', 'lock', 'owner-2')).to.equal(0);
    expect(await t.r.call('delifeq', 'lock', 'owner-1')).to.equal(1);
    expect(await t.r.call('delifeq', 'lock', 'owner-1')).to.equal(0);
    await t.r.set('lock', 'owner-1');
    expect(await t.r.call('delex', 'lock', 'IFNE', 'owner-1')).to.equal(0);
    expect(await t.r.call('delex', 'lock', 'IFEQ', 'owner-1')).to.equal(1);
    expect(await t.r.call('delex', 'other')).to.equal(1);
    expect(await t.r.call('delex', 'nothing')).to.equal(0);
    expect(await err(t.r.call('delex', 'k', 'IFEQ'))).to.equal("ERR wrong number of arguments for 'delex' command");
    expect(await err(t.r.call('delex', 'k', 'BOGUS', 'v'))).to.equal('ERR syntax error');
  });
});
