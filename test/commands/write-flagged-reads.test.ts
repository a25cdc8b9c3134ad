/**
 * GEORADIUS, GEORADIUSBYMEMBER and SORT carry Redis's `write` flag (they may
 * STORE), but without STORE they change nothing: they are served as reads
 * where the client is connected, never logged (the Raft log does not grow),
 * while their STORE forms still go through the log.
 */
import { expect } from 'chai';
import { serverForSuite } from '../support/proc';

describe('write-flagged commands without STORE are served as reads', function () {
  this.timeout(30000);
  const t = serverForSuite();
  const lastIndex = async (): Promise<number> => Number(/raft_last_index:(\d+)/.exec(String(await t.r.info('raft')))?.[1]);

  before(async () => {
    await t.r.geoadd('g', 13.361389, 38.115556, 'Palermo', 15.087269, 37.502669, 'Catania');
    await t.r.rpush('l', '3', '1', '2');
  });

  it('GEORADIUS / GEORADIUSBYMEMBER / SORT: same answers, no log entry', async () => {
    const before = await lastIndex();
    expect(await t.r.call('GEORADIUS', 'g', '15', '37', '200', 'km', 'ASC')).to.deep.equal(['Catania', 'Palermo']);
    expect(await t.r.call('GEORADIUS', 'g', '15', '37', '200', 'km', 'WITHDIST', 'ASC')).to.deep.equal(await t.r.call('GEORADIUS_RO', 'g', '15', '37', '200', 'km', 'WITHDIST', 'ASC'));
    expect(await t.r.call('GEORADIUSBYMEMBER', 'g', 'Palermo', '200', 'km', 'ASC')).to.deep.equal(['Palermo', 'Catania']);
    expect(await t.r.sort('l')).to.deep.equal(['1', '2', '3']);
    expect(await t.r.call('SORT', 'l', 'DESC', 'LIMIT', '0', '2')).to.deep.equal(['3', '2']);
    expect(await lastIndex()).to.equal(before);
  });

  it('their STORE forms are logged and store', async () => {
    const before = await lastIndex();
    expect(await t.r.call('GEORADIUS', 'g', '15', '37', '200', 'km', 'STORE', 'near')).to.equal(2);
    expect(await t.r.call('GEORADIUSBYMEMBER', 'g', 'Palermo', '200', 'km', 'storedist', 'dist')).to.equal(2);
    expect(await t.r.call('SORT', 'l', 'store', 'sorted')).to.equal(3);
    expect(await t.r.lrange('sorted', 0, -1)).to.deep.equal(['1', '2', '3']);
    expect(await t.r.zcard('near')).to.equal(2);
    expect(await lastIndex()).to.be.at.least(before + 3);
  });
});
