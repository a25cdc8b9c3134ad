/**
 * MEMORY USAGE / DOCTOR / MALLOC-STATS / PURGE / HELP, with Redis's option
 * errors (checked against redis-server 7.0.15), and redis-cli --memkeys,
 * which sizes every key with MEMORY USAGE.
 */
import { expect } from 'chai';
import { errorOf, redisCli, serverForSuite } from '../support/proc';

describe('MEMORY', function () {
  this.timeout(20000);
  const t = serverForSuite();

  it('USAGE sizes a key as maxmemory counts it; nil for a missing or expired key; Redis option errors', async () => {
    await t.r.set('small', 'x');
    await t.r.set('large', 'y'.repeat(10000));
    const small = (await t.r.call('memory', 'usage', 'small')) as number;
    const large = (await t.r.call('memory', 'usage', 'large', 'SAMPLES', '0')) as number;
    expect(small).to.be.a('number').greaterThan(0);
    expect(large - small).to.be.at.least(9999);
    expect(await t.r.call('memory', 'usage', 'missing')).to.equal(null);
    await t.r.set('gone', '1', 'PX', 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await t.r.call('memory', 'usage', 'gone')).to.equal(null);
    expect(await errorOf(t.r.call('memory', 'usage', 'small', 'foo'))).to.equal('ERR syntax error');
    expect(await errorOf(t.r.call('memory', 'usage', 'small', 'samples', 'x'))).to.equal('ERR value is not an integer or out of range');
    expect(await errorOf(t.r.call('memory', 'usage', 'small', 'samples', '-1'))).to.equal('ERR syntax error');
    expect(await errorOf(t.r.call('memory', 'usage'))).to.equal("ERR wrong number of arguments for 'memory|usage' command");
  });

  it('DOCTOR, MALLOC-STATS, PURGE and HELP answer; unknown subcommands are refused as Redis does', async () => {
    expect(await t.r.call('memory', 'doctor')).to.match(/can't find any memory issue/);
    expect(await t.r.call('memory', 'malloc-stats')).to.be.a('string');
    expect(await t.r.call('memory', 'purge')).to.equal('OK');
    const help = (await t.r.call('memory', 'help')) as string[];
    expect(help[0]).to.match(/^MEMORY <subcommand>/);
    expect(help.some((l) => l.startsWith('USAGE <key>'))).to.equal(true);
    expect(await errorOf(t.r.call('memory', 'nosuch'))).to.equal("ERR unknown subcommand 'nosuch'. Try MEMORY HELP.");
  });

  it('redis-cli --memkeys sizes every key with it', async () => {
    await t.r.flushall();
    await t.r.mset('a', '1', 'b', '22');
    await t.r.set('big', 'z'.repeat(5000));
    const out = redisCli(t.srv.port, ['--memkeys']);
    expect(out.status).to.equal(0);
    expect(out.stdout).to.match(/Biggest string found '"big"' has \d{4,} bytes/);
    expect(out.stdout).to.match(/3 strings with [1-9]\d* bytes/);
  });
});
