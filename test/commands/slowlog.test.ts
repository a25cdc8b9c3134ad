/**
 * SLOWLOG GET/LEN/RESET/HELP with Redis's reply shape and limits: reads and
 * server commands are timed where they run, writes (and scripts) where their
 * log entry is applied.
 */
import { expect } from 'chai';
import { errorOf, serverForSuite } from '../support/proc';

type Entry = [number, number, number, string[], string, string];

describe('SLOWLOG', function () {
  this.timeout(30000);
  const t = serverForSuite([], { connectionName: 'slowpoke' });

  it('records commands at or over the threshold, newest first, with client address and name', async () => {
    await t.r.config('SET', 'slowlog-log-slower-than', '0');
    await t.r.call('slowlog', 'reset');
    await t.r.set('k', 'v');
    await t.r.get('k');
    const entries = (await t.r.call('slowlog', 'get')) as Entry[];
    const get = entries.find((e) => e[3][0] === 'get')!;
    expect(get[3]).to.deep.equal(['get', 'k']);
    expect(get[4]).to.match(/^127\.0\.0\.1:\d+$/);
    expect(get[5]).to.equal('slowpoke');
    expect(Math.abs(get[1] - Date.now() / 1000)).to.be.below(60);
    // The SET is timed where it is applied, where the client is not known.
    const set = entries.find((e) => e[3][0] === 'set')!;
    expect(set[3]).to.deep.equal(['set', 'k', 'v']);
    expect(set[4]).to.equal('');
    const ids = entries.map((e) => e[0]);
    expect(ids).to.deep.equal([...ids].sort((a, b) => b - a));
    expect(await t.r.call('slowlog', 'len')).to.be.at.least(entries.length);
  });

  it('keeps 32 arguments of 128 bytes at most, saying what was cut; honours slowlog-max-len', async () => {
    await t.r.call('slowlog', 'reset');
    const args = Array.from({ length: 40 }, (_, i) => (i === 0 ? 'x'.repeat(200) : `k${i}`));
    await t.r.call('exists', ...args);
    const [entry] = (await t.r.call('slowlog', 'get', '1')) as Entry[];
    expect(entry[3]).to.have.length(32);
    expect(entry[3][1]).to.equal(`${'x'.repeat(128)}... (72 more bytes)`);
    expect(entry[3][31]).to.equal('... (10 more arguments)');
    await t.r.config('SET', 'slowlog-max-len', '3');
    for (let i = 0; i < 5; i++) await t.r.get(`k${i}`);
    expect(await t.r.call('slowlog', 'len')).to.equal(3);
    expect((await t.r.call('slowlog', 'get', '-1')) as Entry[]).to.have.length(3);
    await t.r.config('SET', 'slowlog-max-len', '128');
  });

  it('does not record below the threshold; a slow script shows up; errors as Redis words them', async () => {
    await t.r.config('SET', 'slowlog-log-slower-than', '1000000');
    await t.r.call('slowlog', 'reset');
    await t.r.get('k');
    expect(await t.r.call('slowlog', 'len')).to.equal(0);
    await t.r.config('SET', 'slowlog-log-slower-than', '20000');
    await t.r.call('slowlog', 'reset');
    await t.r.eval('local i = 0 while i < 3000000 do i = i + 1 end return i', 0);
    const entries = (await t.r.call('slowlog', 'get')) as Entry[];
    expect(entries.some((e) => e[3][0] === 'eval' && e[2] >= 20000)).to.equal(true);
    expect(await errorOf(t.r.call('slowlog', 'get', '-2'))).to.equal('ERR count should be greater than or equal to -1');
    expect(await errorOf(t.r.call('slowlog', 'get', 'x'))).to.equal('ERR value is not an integer or out of range');
    expect(((await t.r.call('slowlog', 'help')) as string[])[0]).to.match(/^SLOWLOG <subcommand>/);
    await t.r.config('SET', 'slowlog-log-slower-than', '10000');
  });

  it('redacts secrets as Redis 7 does: AUTH, HELLO ... AUTH, CONFIG SET requirepass / masterauth / cluster-secret', async () => {
    await t.r.config('SET', 'slowlog-log-slower-than', '0');
    await t.r.call('slowlog', 'reset');
    await errorOf(t.r.call('auth', 'pw-auth-1'));
    await errorOf(t.r.call('AUTH', 'nobody', 'pw-auth-2'));
    await errorOf(t.r.call('hello', '2', 'auth', 'default', 'pw-hello', 'setname', 'slowpoke'));
    await t.r.config('SET', 'requirepass', 'pw-config', 'maxclients', '10000');
    await t.r.config('SET', 'requirepass', '');
    await errorOf(t.r.config('SET', 'masterauth', 'pw-master', 'cluster-secret', 'pw-cluster'));
    const entries = ((await t.r.call('slowlog', 'get', '-1')) as Entry[]).map((e) => e[3]);
    await t.r.config('SET', 'slowlog-log-slower-than', '10000');
    expect(JSON.stringify(entries)).to.not.match(/pw-/);
    expect(entries).to.deep.include.members([
      ['auth', '(redacted)'],
      ['AUTH', '(redacted)', '(redacted)'],
      ['hello', '2', 'auth', '(redacted)', '(redacted)', 'setname', 'slowpoke'],
      ['config', 'SET', 'requirepass', '(redacted)', 'maxclients', '10000'],
      ['config', 'SET', 'requirepass', '(redacted)'],
      ['config', 'SET', 'masterauth', '(redacted)', 'cluster-secret', '(redacted)'],
    ]);
  });
});
