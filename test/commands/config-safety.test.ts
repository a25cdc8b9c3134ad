/**
 * CONFIG GET/SET and secrets: the cluster secret is never readable or
 * settable through CONFIG (it lets its holder act as a peer); requirepass is
 * shown to authenticated clients as Redis does; a CONFIG SET that fails
 * changes nothing, whatever the number of parameters.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { errorOf, nodeEntry, redisCli, serverForSuite, startServer } from '../support/proc';

const SECRET = 'cluster-secret-value-7f3a9c';

/** Every name and value CONFIG GET * answers, flattened. */
async function everyConfigWord(r: Redis): Promise<string[]> {
  return (await r.config('GET', '*')) as string[];
}

describe('CONFIG and the cluster secret', function () {
  this.timeout(30000);
  const t = serverForSuite(['--cluster-secret', SECRET]);

  it('CONFIG GET cluster-secret answers nothing, and no pattern lists it', async () => {
    expect(await t.r.config('GET', 'cluster-secret')).to.deep.equal([]);
    expect(await t.r.config('GET', 'cluster-*')).to.not.include('cluster-secret');
    const all = await everyConfigWord(t.r);
    expect(all).to.include('requirepass'); // sanity: GET * lists the table
    expect(all).to.not.include('cluster-secret');
    expect(all.some((w) => w.includes(SECRET))).to.equal(false);
  });

  it('CONFIG SET cluster-secret is refused as an unknown option', async () => {
    expect(await errorOf(t.r.config('SET', 'cluster-secret', 'forged'))).to.equal(
      "ERR Unknown option or number of arguments for CONFIG SET - 'cluster-secret'",
    );
  });

  it('CONFIG GET requirepass shows the password to an authenticated client, as Redis does', async () => {
    expect(await t.r.config('SET', 'requirepass', 'pw1')).to.equal('OK');
    try {
      expect(await t.r.config('GET', 'requirepass')).to.deep.equal(['requirepass', 'pw1']);
      expect(redisCli(t.srv.port, ['config', 'get', 'requirepass']).stdout.trim()).to.equal('NOAUTH Authentication required.');
    } finally {
      await t.r.config('SET', 'requirepass', '');
    }
  });
});

describe('CONFIG SET validates before it stores', function () {
  this.timeout(30000);
  const t = serverForSuite();

  it('CONFIG SET loglevel bogus answers an error and leaves loglevel unchanged', async () => {
    expect(await t.r.config('GET', 'loglevel')).to.deep.equal(['loglevel', 'info']);
    expect(await errorOf(t.r.config('SET', 'loglevel', 'bogus'))).to.match(
      /^ERR CONFIG SET failed \(possibly related to argument 'loglevel'\) - argument\(s\) must be one of the following: trace, debug, info, warn, error/,
    );
    expect(await t.r.config('GET', 'loglevel')).to.deep.equal(['loglevel', 'info']);
    expect(await t.r.ping()).to.equal('PONG'); // the logger still works
  });

  it("accepts Redis's level names too", async () => {
    expect(await t.r.config('SET', 'loglevel', 'warning')).to.equal('OK');
    expect(await t.r.config('GET', 'loglevel')).to.deep.equal(['loglevel', 'warning']);
    expect(await t.r.config('SET', 'loglevel', 'info')).to.equal('OK');
  });

  it('a CONFIG SET of several parameters with one bad value changes none of them', async () => {
    const before = await t.r.config('GET', 'maxclients', 'slowlog-max-len', 'read-mode', 'loglevel', 'protected-mode');
    const cases: string[][] = [
      ['maxclients', '77', 'loglevel', 'bogus'],
      ['loglevel', 'debug', 'maxclients', '0'],
      ['slowlog-max-len', '5', 'read-mode', 'sometimes'],
      ['maxclients', '77', 'MAXCLIENTS', '78'],
      ['maxclients', '77', 'PORT', '1'],
      ['maxclients', '77', 'nosuch', '1'],
      ['maxclients', '77', 'protected-mode', 'maybe'],
    ];
    const errors: string[] = [];
    for (const c of cases) errors.push(await errorOf(t.r.config('SET', ...c)));
    expect(errors).to.deep.equal([
      "ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must be one of the following: trace, debug, info, warn, error, fatal, silent, verbose, notice, warning, nothing",
      "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and inf inclusive",
      "ERR CONFIG SET failed (possibly related to argument 'read-mode') - argument(s) must be one of the following: local, lease, linearizable",
      "ERR CONFIG SET failed (possibly related to argument 'MAXCLIENTS') - duplicate parameter",
      "ERR CONFIG SET failed (possibly related to argument 'PORT') - can't set immutable config",
      "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'",
      "ERR CONFIG SET failed (possibly related to argument 'protected-mode') - argument must be 'yes' or 'no'",
    ]);
    expect(await t.r.config('GET', 'maxclients', 'slowlog-max-len', 'read-mode', 'loglevel', 'protected-mode')).to.deep.equal(before);
    expect(await t.r.config('SET', 'maxclients', '77', 'slowlog-max-len', '5')).to.equal('OK');
    expect(await t.r.config('GET', 'maxclients', 'slowlog-max-len')).to.deep.equal(['maxclients', '77', 'slowlog-max-len', '5']);
  });
});

describe('--cluster-secret-file', function () {
  this.timeout(30000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'raftcache-secret-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the secret from the file; CONFIG shows the path, never the secret', async () => {
    const file = path.join(dir, 'secret');
    writeFileSync(file, `${SECRET}\n`, { mode: 0o600 });
    const srv = await startServer(['--cluster-secret-file', file]);
    const r = new Redis({ port: srv.port });
    try {
      expect(await r.config('GET', 'cluster-secret-file')).to.deep.equal(['cluster-secret-file', file]);
      expect((await everyConfigWord(r)).some((w) => w.includes(SECRET))).to.equal(false);
      expect(srv.logs.some((l) => l.includes('readable by other users'))).to.equal(false);
    } finally {
      r.disconnect();
      await srv.stop();
    }
  });

  it('warns when the file is readable by others; refuses a missing or empty file, or both options', async () => {
    const open = path.join(dir, 'open');
    writeFileSync(open, `${SECRET}\n`);
    chmodSync(open, 0o644);
    const srv = await startServer(['--cluster-secret-file', open]);
    await srv.stop();
    expect(srv.logs.some((l) => l.includes('"level":40') && l.includes('readable by other users'))).to.equal(true);

    const run = (args: string[]) => spawnSync(process.execPath, [...nodeEntry('server/main.ts'), '--port', '0', '--dir', path.join(dir, 'data'), ...args], { encoding: 'utf8', timeout: 20000 });
    const missing = run(['--cluster-secret-file', path.join(dir, 'nope')]);
    expect(missing.status).to.equal(1);
    expect(missing.stderr).to.contain(`--cluster-secret-file ${path.join(dir, 'nope')}: ENOENT`);
    const empty = path.join(dir, 'empty');
    writeFileSync(empty, '\n', { mode: 0o600 });
    expect(run(['--cluster-secret-file', empty]).stderr).to.contain('the first line is empty');
    expect(run(['--cluster-secret-file', open, '--cluster-secret', 'x']).stderr).to.contain('not both');
  });
});
