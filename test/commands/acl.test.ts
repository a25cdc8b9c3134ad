/**
 * ACL through real clients: ioredis (users, permissions, ACL LOG), redis-py
 * (its acl_* helpers and username/password connections), node-redis (RESP3
 * GETUSER map), redis-cli; side by side with redis-server 7.0 for rule
 * descriptions and error texts; users kept across a restart; aclfile.
 */
import { expect } from 'chai';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errorOf, startServer, type RunningServer } from '../support/proc';
import { startReferenceRedis, type ReferenceRedis } from '../support/reference-redis';
import { redisPython } from '../support/python';

const NOPERM_KEY = 'NOPERM this user has no permissions to access one of the keys used as arguments';
const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';

function as(port: number, username: string, password: string): Redis {
  const c = new Redis({ port, username, password, lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  c.on('error', () => undefined);
  return c;
}

describe('ACL through real clients', function () {
  this.timeout(60000);
  let srv: RunningServer;
  let ref: ReferenceRedis;
  let r: Redis;
  let rr: Redis;
  const extra: Redis[] = [];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'raftcache-acl-'));
  const aclfile = path.join(dir, 'users.acl');

  before(async () => {
    writeFileSync(aclfile, ''); // Redis, too, refuses to start with an aclfile that does not exist
    srv = await startServer(['--aclfile', aclfile], { dir: path.join(dir, 'data') });
    ref = await startReferenceRedis();
    r = new Redis({ port: srv.port });
    rr = new Redis({ port: ref.port });
  });
  after(async () => {
    for (const c of extra) c.disconnect();
    r?.disconnect();
    rr?.disconnect();
    await srv?.stop();
    await ref?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the same command on both servers: the reply or error text. */
  async function both(...args: string[]): Promise<[unknown, unknown]> {
    const run = (c: Redis) => c.call(args[0], ...args.slice(1)).catch((e: Error) => `ERROR ${e.message}`);
    return [await run(r), await run(rr)];
  }

  it('SETUSER rules, ACL LIST and GETUSER describe a user as redis-server does', async () => {
    const rules = ['on', '>pw1', '~app:*', '%R~ro:*', '&chan*', '+@read', '+config|get', '(+set ~w:*)'];
    const [a, b] = await both('ACL', 'SETUSER', 'alice', ...rules);
    expect(a).to.equal('OK');
    expect(a).to.equal(b);
    const [list, refList] = await both('ACL', 'LIST');
    expect(list).to.deep.equal(refList);
    const [get, refGet] = await both('ACL', 'GETUSER', 'alice');
    expect(get).to.deep.equal(refGet);
    expect(await both('ACL', 'GETUSER', 'default')).to.satisfy(([x, y]: unknown[]) => JSON.stringify(x) === JSON.stringify(y));
    expect(await r.call('ACL', 'GETUSER', 'nobody')).to.equal(null);
    const [users, refUsers] = await both('ACL', 'USERS');
    expect(users).to.deep.equal(refUsers);
    await rr.call('ACL', 'DELUSER', 'alice');
  });

  it('refuses bad rules with Redis error texts, and applies none of a call that has one', async () => {
    for (const bad of [['allkeys', '~foo'], ['+nosuch'], ['+@nosuch'], ['bogus'], ['<nopw'], ['#abc'], ['&*', '&x'], ['%X~k']]) {
      const [a, b] = await both('ACL', 'SETUSER', 'bob', ...bad);
      expect(String(a), bad.join(' ')).to.match(/^ERROR ERR Error in ACL SETUSER modifier/);
      expect(a, bad.join(' ')).to.equal(b);
    }
    const [sp, refSp] = await both('ACL', 'SETUSER', 'b b', 'on');
    expect(sp).to.equal(refSp);
    // All or nothing: the good rule before the bad one was not applied either.
    await r.call('ACL', 'SETUSER', 'carol', 'on', '>x', '+get', '~k*');
    expect(await errorOf(r.call('ACL', 'SETUSER', 'carol', '+set', '+nosuch'))).to.contain("modifier '+nosuch'");
    expect(await r.call('ACL', 'DRYRUN', 'carol', 'set', 'k1', 'v')).to.equal("This user has no permissions to run the 'set' command");
    const [del, refDel] = await both('ACL', 'DELUSER', 'default');
    expect(del).to.equal(refDel);
  });

  it('a connection runs as its user: commands, keys (read/write) and channels are checked, NOPERM as Redis words it', async () => {
    for (const c of [r, rr]) {
      await c.call('ACL', 'SETUSER', 'dave', 'on', '>pw', '%R~r*', '%W~w*', '~rw*', '&news.*', '+@all', '-flushall');
    }
    const cmds: string[][] = [
      ['GET', 'r1'],
      ['SET', 'w1', 'v'],
      ['SET', 'r1', 'v'],
      ['GET', 'w1'],
      ['COPY', 'r1', 'w2'],
      ['LMOVE', 'r1', 'w1', 'LEFT', 'LEFT'],
      ['SET', 'w1', 'v', 'GET'],
      ['INCR', 'rw1'],
      // Write-only key specs (Redis 7's insert/update/delete without access): %W~ is enough.
      ['LPUSH', 'w9', 'a'],
      ['EXPIRE', 'w9', '100'],
      ['SUNIONSTORE', 'w5', 'r1'],
      ['SUNIONSTORE', 'r5', 'w1'],
      ['RENAME', 'w9', 'w8'],
      ['GETDEL', 'w8'],
      ['PUBLISH', 'news.a', 'hi'],
      ['PUBLISH', 'sport', 'hi'],
      ['FLUSHALL'],
      ['ACL', 'WHOAMI'],
      ['EVAL', 'return 1', '1', 'other'],
    ];
    const mine = as(srv.port, 'dave', 'pw');
    const theirs = as(ref.port, 'dave', 'pw');
    extra.push(mine, theirs);
    await mine.connect();
    await theirs.connect();
    for (const cmd of cmds) {
      const a = await mine.call(cmd[0], ...cmd.slice(1)).catch((e: Error) => `ERROR ${e.message}`);
      const b = await theirs.call(cmd[0], ...cmd.slice(1)).catch((e: Error) => `ERROR ${e.message}`);
      expect(a, cmd.join(' ')).to.deep.equal(b);
    }
    expect(await mine.call('ACL', 'WHOAMI')).to.equal('dave');
    expect(await errorOf(mine.get('w1'))).to.equal(NOPERM_KEY);
    // DRYRUN answers what a command would get.
    const [dry, refDry] = await both('ACL', 'DRYRUN', 'dave', 'set', 'r1', 'v');
    expect(dry).to.equal(refDry);
    expect(await both('ACL', 'DRYRUN', 'dave', 'publish', 'sport', 'x')).to.satisfy(([x, y]: unknown[]) => x === y);
    expect(await both('ACL', 'DRYRUN', 'nobody', 'get', 'x')).to.satisfy(([x, y]: unknown[]) => x === y);
    expect(await both('ACL', 'DRYRUN', 'dave', 'nosuchcmd')).to.satisfy(([x, y]: unknown[]) => x === y);
  });

  it("a script's redis.call()s are checked against the caller's permissions, as Redis does", async () => {
    for (const c of [r, rr]) await c.call('ACL', 'SETUSER', 'luau', 'on', '>pw', '+eval', '+eval_ro', '+get', '+publish', '~k*', '&ok');
    const scripts: Array<[string, ...string[]]> = [
      ["return redis.call('get', KEYS[1])", '1', 'k1'],
      ["return redis.call('set', KEYS[1], 'v')", '1', 'k1'],
      ["return redis.call('get', 'other')", '1', 'k1'],
      ["return redis.pcall('set', KEYS[1], 'v')['err']", '1', 'k1'],
      ["return redis.pcall('get', 'other')['err']", '1', 'k1'],
      ["return redis.pcall('publish', 'nope', 'x')['err']", '0'],
    ];
    const mine = as(srv.port, 'luau', 'pw');
    const theirs = as(ref.port, 'luau', 'pw');
    extra.push(mine, theirs);
    await mine.connect();
    await theirs.connect();
    for (const [body, ...rest] of scripts) {
      for (const cmd of ['EVAL', 'EVAL_RO']) {
        const a = await mine.call(cmd, body, ...rest).catch((e: Error) => `ERROR ${e.message.replace(/script: \w+, on @user_script:\d+\./, 'script')}`);
        const b = await theirs.call(cmd, body, ...rest).catch((e: Error) => `ERROR ${e.message.replace(/script: \w+, on @user_script:\d+\./, 'script')}`);
        if (cmd === 'EVAL_RO' && /set/.test(body)) continue; // a write in EVAL_RO: a different error first, on both
        expect(a, `${cmd} ${body}`).to.deep.equal(b);
      }
    }
    // The same user without scripting cannot run EVAL at all.
    await r.call('ACL', 'SETUSER', 'luau', '-eval');
    expect(await errorOf(mine.eval('return 1', 0))).to.equal("NOPERM this user has no permissions to run the 'eval' command");
  });

  it('AUTH and HELLO AUTH: wrong passwords, disabled users; RESET goes back to default', async () => {
    await r.call('ACL', 'SETUSER', 'erin', 'off', '>pw', '+@all', 'allkeys');
    const c = new Redis({ port: srv.port });
    extra.push(c);
    expect(await errorOf(c.call('AUTH', 'erin', 'pw'))).to.equal(WRONGPASS); // off
    await r.call('ACL', 'SETUSER', 'erin', 'on');
    expect(await errorOf(c.call('AUTH', 'erin', 'bad'))).to.equal(WRONGPASS);
    expect(await errorOf(c.call('AUTH', 'nobody', 'x'))).to.equal(WRONGPASS);
    expect(await c.call('AUTH', 'erin', 'pw')).to.equal('OK');
    expect(await c.call('ACL', 'WHOAMI')).to.equal('erin');
    const hello = (await c.call('HELLO', '3', 'AUTH', 'erin', 'pw')) as unknown[];
    expect(hello).to.include('proto');
    expect(await c.call('RESET')).to.equal('RESET');
    expect(await c.call('ACL', 'WHOAMI')).to.equal('default');
    // A failed AUTH is in the ACL LOG with Redis's fields.
    const log = (await r.call('ACL', 'LOG', '1')) as unknown[][];
    const entry = Object.fromEntries(chunk(log[0]));
    expect(entry).to.include({ reason: 'auth', context: 'toplevel', object: 'AUTH', username: 'nobody' });
    expect(entry).to.have.keys('count', 'reason', 'context', 'object', 'username', 'age-seconds', 'client-info', 'entry-id', 'timestamp-created', 'timestamp-last-updated');
  });

  it('ACL LOG records denials (grouped), inside MULTI with context multi; RESET empties it', async () => {
    expect(await r.call('ACL', 'LOG', 'RESET')).to.equal('OK');
    await r.call('ACL', 'SETUSER', 'fred', 'on', '>pw', '+get', '+multi', '+exec', '~k*');
    const c = as(srv.port, 'fred', 'pw');
    extra.push(c);
    await c.connect();
    for (let i = 0; i < 3; i++) await c.set('k1', 'v').catch(() => undefined);
    await c.get('zz').catch(() => undefined);
    const m = await c.multi().get('k1').set('k2', 'v').exec().catch((e: Error) => e);
    expect(String(m)).to.contain('EXECABORT');
    // (ioredis's own CLIENT SETINFO at connect is refused and logged too: left out here.)
    const log = ((await r.call('ACL', 'LOG')) as unknown[][]).map((e) => Object.fromEntries(chunk(e))).filter((e) => e.object === 'set' || e.object === 'zz');
    expect(log.map((e) => [e.reason, e.context, e.object, e.count])).to.deep.equal([
      ['command', 'multi', 'set', 1],
      ['key', 'toplevel', 'zz', 1],
      ['command', 'toplevel', 'set', 3],
    ]);
    expect(await errorOf(r.call('ACL', 'LOG', 'x'))).to.equal('ERR value is not an integer or out of range');
  });

  it('hostile input: 50,000 rules in one SETUSER, a NUL in a name, an unclosed selector, a 1 MB password', async () => {
    const many = Array.from({ length: 50000 }, (_, i) => (i % 2 ? '+get' : '-get'));
    expect(await r.call('ACL', 'SETUSER', 'many', ...many)).to.equal('OK');
    expect((await r.call('ACL', 'GETUSER', 'many')) as unknown[]).to.include('-@all +get');
    expect(await errorOf(r.call('ACL', 'SETUSER', 'a\0b', 'on'))).to.equal("ERR Usernames can't contain spaces or null characters");
    expect(await errorOf(r.call('ACL', 'SETUSER', 'sel', '(+get ~x'))).to.match(/^ERR Error in ACL SETUSER modifier '\(\+get ~x'/);
    const big = 'p'.repeat(1024 * 1024);
    expect(await r.call('ACL', 'SETUSER', 'bigpw', 'on', `>${big}`, '+@all', '~*')).to.equal('OK');
    const c = as(srv.port, 'bigpw', big);
    extra.push(c);
    await c.connect();
    expect(await c.call('ACL', 'WHOAMI')).to.equal('bigpw');
    expect(await r.call('ACL', 'DELUSER', 'many', 'bigpw')).to.equal(2);
    expect(await r.ping()).to.equal('PONG');
  });

  it('CAT, GENPASS, HELP and argument errors', async () => {
    const [cats, refCats] = await both('ACL', 'CAT');
    expect(cats).to.deep.equal(refCats);
    expect((await r.call('ACL', 'CAT', 'string')) as string[]).to.include.members(['get', 'set', 'append']);
    expect((await r.call('ACL', 'CAT', 'admin')) as string[]).to.include.members(['acl|setuser', 'config|set']);
    expect(await both('ACL', 'CAT', 'nosuch')).to.satisfy(([x, y]: unknown[]) => x === y);
    expect(String(await r.call('ACL', 'GENPASS'))).to.match(/^[0-9a-f]{64}$/);
    expect(String(await r.call('ACL', 'GENPASS', '5'))).to.match(/^[0-9a-f]{2}$/);
    expect(await both('ACL', 'GENPASS', '0')).to.satisfy(([x, y]: unknown[]) => x === y);
    const [help, refHelp] = await both('ACL', 'HELP');
    expect(help).to.deep.equal(refHelp);
    for (const args of [['ACL'], ['ACL', 'SETUSER'], ['ACL', 'GETUSER'], ['ACL', 'NOSUCH']]) {
      const [a, b] = await both(...args);
      expect(a, args.join(' ')).to.equal(b);
    }
  });

  it('DELUSER disconnects the deleted user’s clients', async () => {
    await r.call('ACL', 'SETUSER', 'gina', 'on', '>pw', '+@all', 'allkeys');
    const c = as(srv.port, 'gina', 'pw');
    extra.push(c);
    await c.connect();
    expect(await c.ping()).to.equal('PONG');
    const closed = new Promise<void>((resolve) => c.once('end', () => resolve()));
    expect(await r.call('ACL', 'DELUSER', 'gina', 'nosuch')).to.equal(1);
    await closed;
  });

  it('the default user follows requirepass until ACL sets its passwords', async () => {
    expect(await errorOf(r.call('AUTH', 'pw'))).to.contain('AUTH <password> called without any password configured for the default user');
    expect(await r.call('ACL', 'SETUSER', 'default', 'resetpass', '>s3cret')).to.equal('OK');
    try {
      const cli = (input: string) => spawnSync('redis-cli', ['-p', String(srv.port)], { input, encoding: 'utf8' }).stdout.trim();
      expect(cli('GET x\n')).to.equal('NOAUTH Authentication required.');
      expect(cli('AUTH s3cret\nACL WHOAMI\n')).to.equal('OK\ndefault');
      expect(cli('AUTH wrong\n')).to.equal(WRONGPASS);
    } finally {
      expect(await r.call('ACL', 'SETUSER', 'default', 'nopass')).to.equal('OK');
    }
  });

  it('ACL SAVE writes the aclfile; ACL LOAD replaces every user with the file’s', async () => {
    await r.call('ACL', 'SETUSER', 'hank', 'on', '>pw', '+get', '~h*');
    expect(await r.call('ACL', 'SAVE')).to.equal('OK');
    const saved = readFileSync(aclfile, 'latin1');
    expect(saved).to.contain('user hank on #');
    await r.call('ACL', 'SETUSER', 'ivan', 'on', 'nopass');
    expect(await r.call('ACL', 'LOAD')).to.equal('OK');
    expect(await r.call('ACL', 'USERS')).to.deep.equal((await r.call('ACL', 'USERS')) as string[]);
    expect((await r.call('ACL', 'USERS')) as string[]).to.include('hank').and.not.include('ivan');
    writeFileSync(aclfile, 'user jo on nopass +@all ~*\nnot a user line\n');
    expect(await errorOf(r.call('ACL', 'LOAD'))).to.match(/line should start with user keyword/);
    expect((await r.call('ACL', 'USERS')) as string[]).to.include('hank'); // nothing changed
    writeFileSync(aclfile, saved);
  });

  it('users survive a restart (they are in the durable copy) and the aclfile is loaded at start', async () => {
    await r.call('ACL', 'SETUSER', 'kim', 'on', '>pw', '+@read', '~k*');
    const before = await r.call('ACL', 'LIST');
    await r.call('SAVE');
    r.disconnect();
    await srv.stop();
    srv = await startServer(['--aclfile', aclfile], { dir: path.join(dir, 'data') });
    r = new Redis({ port: srv.port });
    // The aclfile (saved above: no kim) is proposed at start and replaces the users, as Redis loads it at start.
    const after = (await waitForUsers(r, (u) => !u.includes('kim'))) as string[];
    expect(after).to.include('hank');
    expect(before).to.not.deep.equal(after);
    // Without an aclfile the durable users are what a restart keeps.
    await r.call('ACL', 'SETUSER', 'kim', 'on', '>pw', '+@read', '~k*');
    const list = await r.call('ACL', 'LIST');
    r.disconnect();
    await srv.stop();
    srv = await startServer([], { dir: path.join(dir, 'data') });
    r = new Redis({ port: srv.port });
    expect(await r.call('ACL', 'LIST')).to.deep.equal(list);
    const kim = as(srv.port, 'kim', 'pw');
    extra.push(kim);
    await kim.connect();
    expect(await errorOf(kim.set('k1', 'v'))).to.equal("NOPERM this user has no permissions to run the 'set' command");
  });

  it('a bad aclfile stops the start, saying why', async () => {
    const bad = path.join(dir, 'bad.acl');
    writeFileSync(bad, 'user x on +nosuchcommand\n');
    const err = await errorOf(startServer(['--aclfile', bad]));
    expect(err).to.contain('Aborting startup because of ACL errors');
    expect(err).to.contain('Unknown command or category name in ACL');
  });

  it('redis-py: acl_setuser / acl_getuser and a username/password connection', () => {
    const script = `
import json, sys, redis
r = redis.Redis(port=int(sys.argv[1]), decode_responses=True)
r.acl_setuser("py", enabled=True, passwords=["+pypw"], commands=["+get", "+set"], keys=["py:*"], reset=True)
u = r.acl_getuser("py")
c = redis.Redis(port=int(sys.argv[1]), username="py", password="pypw", decode_responses=True)
c.set("py:1", "x")
out = {"flags": u["flags"], "keys": u["keys"], "commands": u["commands"], "get": c.get("py:1"), "whoami": r.acl_whoami()}
try:
    c.set("other", "x")
except redis.exceptions.NoPermissionError as e:
    out["denied"] = str(e)
try:
    redis.Redis(port=int(sys.argv[1]), username="py", password="wrong").ping()
except (redis.exceptions.AuthenticationError, redis.exceptions.ResponseError) as e:
    out["wrongpass"] = str(e)
print(json.dumps(out))
`;
    const p = spawnSync(redisPython(), ['-c', script, String(srv.port)], { encoding: 'utf8', timeout: 20000 });
    expect(p.stderr).to.equal('');
    const out = JSON.parse(p.stdout) as Record<string, unknown>;
    expect(out.flags).to.include('on');
    expect(out.get).to.equal('x');
    expect(out.whoami).to.equal('default');
    expect(String(out.denied)).to.contain('no permissions to access one of the keys');
    expect(String(out.wrongpass)).to.contain('invalid username-password pair');
  });

  it('node-redis (RESP3): connects with a username and reads GETUSER as a map', async () => {
    await r.call('ACL', 'SETUSER', 'nr', 'on', '>nrpw', '+@all', '~*');
    const c = createClient({ socket: { port: srv.port }, username: 'nr', password: 'nrpw', RESP: 3 });
    await c.connect();
    try {
      expect(await c.sendCommand(['ACL', 'WHOAMI'])).to.equal('nr');
      const u = (await c.sendCommand(['ACL', 'GETUSER', 'nr'])) as Record<string, unknown>;
      expect(u.commands).to.equal('+@all');
      expect(u.keys).to.equal('~*');
    } finally {
      await c.quit();
    }
  });
});

function chunk(flat: unknown[]): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([String(flat[i]), flat[i + 1]]);
  return out;
}

async function waitForUsers(r: Redis, ok: (users: string[]) => boolean): Promise<string[]> {
  const deadline = Date.now() + 10000;
  for (;;) {
    const users = (await r.call('ACL', 'USERS')) as string[];
    if (ok(users) || Date.now() > deadline) return users;
    await new Promise((res) => setTimeout(res, 100));
  }
}
