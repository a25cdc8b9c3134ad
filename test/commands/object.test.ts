/**
 * OBJECT ENCODING / REFCOUNT / FREQ / IDLETIME / HELP, with the answers
 * redis-server 7.0.15 gives for the same string values.
 */
import { expect } from 'chai';
import { errorOf, serverForSuite } from '../support/proc';

describe('OBJECT', function () {
  this.timeout(20000);
  const t = serverForSuite();

  before(async () => {
    await t.r.mset('i', '123', 's', 'hello', 'l', 'x'.repeat(50), 'big', '12345678901234567890123', 'neg', '-5', 'lead0', '007');
  });

  it('in a pipeline, OBJECT and MEMORY USAGE see the writes sent before them (as every read does)', async () => {
    const res = await t.r
      .pipeline()
      .hset('p:h', 'f', 'v')
      .call('object', 'encoding', 'p:h')
      .call('memory', 'usage', 'p:h')
      .call('object', 'idletime', 'p:h')
      .sadd('p:s', '1')
      .call('object', 'encoding', 'p:s')
      .exec();
    const values = (res ?? []).map(([, v]) => v);
    expect(values[1]).to.equal('listpack');
    expect(values[2]).to.be.a('number').greaterThan(0);
    expect(values[3]).to.equal(0);
    expect(values[5]).to.equal('intset');
  });

  it('ENCODING and REFCOUNT as Redis encodes strings (int, embstr up to 44 bytes, raw; shared small integers)', async () => {
    const enc = async (k: string) => t.r.call('object', 'encoding', k);
    expect(await enc('i')).to.equal('int');
    expect(await enc('neg')).to.equal('int');
    expect(await enc('s')).to.equal('embstr');
    expect(await enc('lead0')).to.equal('embstr');
    expect(await enc('big')).to.equal('embstr');
    expect(await enc('l')).to.equal('raw');
    expect(await enc('missing')).to.equal(null);
    expect(await t.r.call('object', 'refcount', 'i')).to.equal(2147483647);
    expect(await t.r.call('object', 'refcount', 'neg')).to.equal(1);
    expect(await t.r.call('object', 'refcount', 's')).to.equal(1);
    expect(await t.r.call('object', 'refcount', 'missing')).to.equal(null);
  });

  it('IDLETIME: seconds since this node last read or wrote the key; OBJECT, EXISTS, TYPE and TTL do not touch it', async () => {
    await t.r.mset('idle-read', '1', 'idle-kept', '1', 'idle-written', '1');
    const idle = async (k: string) => (await t.r.call('object', 'idletime', k)) as number;
    expect(await idle('idle-kept')).to.be.within(0, 1);
    expect(await idle('no-such-key')).to.equal(null);
    await new Promise((resolve) => setTimeout(resolve, 3100));
    await t.r.exists('idle-kept');
    await t.r.type('idle-kept');
    await t.r.ttl('idle-kept');
    await t.r.call('object', 'encoding', 'idle-kept');
    const kept = await idle('idle-kept');
    expect(kept).to.be.at.least(3);
    const touched = Date.now();
    await t.r.get('idle-read');
    await t.r.set('idle-written', '2');
    // Access times are kept in whole seconds (as Redis's LRU clock), so a key touched at `touched`
    // reads at most one second more idle than the time since (a slow machine may stall between
    // the commands: once in CI, GET and its IDLETIME were over a second apart).
    const bound = () => Math.floor((Date.now() - touched) / 1000) + 1;
    const readIdle = await idle('idle-read');
    expect(readIdle).to.be.at.most(bound());
    const writtenIdle = await idle('idle-written');
    expect(writtenIdle).to.be.at.most(bound());
    // Not touched by the reads above: at least as idle as before.
    expect(await idle('idle-kept')).to.be.at.least(kept);
    // And on a machine that did not stall, both are strictly less idle than the untouched key.
    if (bound() < kept) expect(Math.max(readIdle, writtenIdle)).to.be.below(kept);
  });

  it('FREQ answers as Redis without an LFU policy; errors as Redis', async () => {
    expect(await errorOf(t.r.call('object', 'freq', 's'))).to.match(/^ERR An LFU maxmemory policy is not selected, access frequency not tracked/);
    expect(await errorOf(t.r.call('object', 'foo', 's'))).to.equal("ERR unknown subcommand 'foo'. Try OBJECT HELP.");
    expect(await errorOf(t.r.call('object', 'encoding'))).to.equal("ERR wrong number of arguments for 'object|encoding' command");
    expect(((await t.r.call('object', 'help')) as string[])[0]).to.match(/^OBJECT <subcommand>/);
  });
});
