import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { errorOf, startServer, type RunningServer } from '../support/proc';
import { startReferenceRedis, type ReferenceRedis } from '../support/reference-redis';

const err = errorOf;

/** The release script of redis-py's Lock and node redlock: delete only if we still own it. */
const RELEASE = 'if redis.call("get",KEYS[1]) == ARGV[1] then return redis.call("del",KEYS[1]) else return 0 end';
const NOSCRIPT = 'NOSCRIPT No matching script. Please use EVAL.';

describe('Lua scripting through ioredis', function () {
  this.timeout(30_000);
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
    await r.script('FLUSH');
  });

  it('EVAL with KEYS and ARGV', async () => {
    expect(await r.eval("return redis.call('set', KEYS[1], ARGV[1])", 1, 'k', 'v')).to.equal('OK');
    expect(await r.get('k')).to.equal('v');
    expect(await r.eval('return {KEYS[1], KEYS[2], ARGV[1], 7, 3.9, nil, 8}', 2, 'a', 'b', 'x')).to.deep.equal(['a', 'b', 'x', 7, 3]);
    expect(await r.eval("return redis.call('incrby', KEYS[1], ARGV[1])", 1, 'n', '5')).to.equal(5);
  });

  it('PUBLISH from a script reaches subscribers once (and answers 0: a count would differ per node)', async () => {
    const sub = new Redis({ port: srv.port });
    try {
      const got: string[] = [];
      await sub.subscribe('events');
      sub.on('message', (_ch: string, m: string) => got.push(m));
      expect(await r.eval("return redis.call('PUBLISH', 'events', ARGV[1])", 0, 'done:1')).to.equal(0);
      expect(await r.eval_ro("return redis.call('PUBLISH', 'events', ARGV[1])", 0, 'ro:1')).to.equal(0);
      await new Promise((res) => setTimeout(res, 200));
      expect(got).to.deep.equal(['done:1', 'ro:1']);
    } finally {
      sub.disconnect();
    }
  });

  it('EVALSHA after SCRIPT LOAD; NOSCRIPT before it', async () => {
    const body = "return 'loaded:' .. ARGV[1]";
    const sha = (await r.script('LOAD', body)) as string;
    expect(sha).to.have.length(40);
    expect(await r.script('EXISTS', sha, '0'.repeat(40))).to.deep.equal([1, 0]);
    expect(await r.evalsha(sha, 0, 'x')).to.equal('loaded:x');
    expect(await err(r.evalsha('0'.repeat(40), 0))).to.equal(NOSCRIPT);
    await r.script('FLUSH');
    expect(await err(r.evalsha(sha, 0, 'x'))).to.equal(NOSCRIPT);
  });

  it('EVAL caches the script for EVALSHA', async () => {
    const body = 'return 42';
    expect(await r.eval(body, 0)).to.equal(42);
    const sha = createHash('sha1').update(body).digest('hex');
    expect(await r.evalsha(sha, 0)).to.equal(42);
  });

  it('ioredis defineCommand (EVALSHA, falling back to EVAL on NOSCRIPT) works', async () => {
    r.defineCommand('releaseLock', { numberOfKeys: 1, lua: RELEASE });
    const client = r as Redis & { releaseLock(key: string, token: string): Promise<number> };
    await r.set('lock', 'me');
    expect(await client.releaseLock('lock', 'other')).to.equal(0);
    expect(await client.releaseLock('lock', 'me')).to.equal(1);
    expect(await r.exists('lock')).to.equal(0);
  });

  it('a compare-and-delete lock release', async () => {
    expect(await r.set('lock', 'token-1', 'PX', 10_000, 'NX')).to.equal('OK');
    expect(await r.set('lock', 'token-2', 'PX', 10_000, 'NX')).to.equal(null);
    expect(await r.eval(RELEASE, 1, 'lock', 'token-2')).to.equal(0);
    expect(await r.get('lock')).to.equal('token-1');
    expect(await r.eval(RELEASE, 1, 'lock', 'token-1')).to.equal(1);
    expect(await r.get('lock')).to.equal(null);
  });

  it('EVAL_RO reads and refuses writes', async () => {
    await r.set('k', 'v');
    expect(await r.call('EVAL_RO', "return redis.call('get', KEYS[1])", '1', 'k')).to.equal('v');
    const e = await err(r.call('EVAL_RO', "return redis.call('del', KEYS[1])", '1', 'k'));
    expect(e).to.match(/^ERR Write commands are not allowed from read-only scripts\. script: [0-9a-f]{40}, on @user_script:1\.$/);
    expect(await r.get('k')).to.equal('v');
    const sha = (await r.script('LOAD', 'return ARGV[1]')) as string;
    expect(await r.call('EVALSHA_RO', sha, '0', 'hi')).to.equal('hi');
  });

  it('errors are worded as in Redis', async () => {
    await r.set('s', 'abc');
    expect(await err(r.eval("return redis.call('incr', 's')", 0))).to.match(
      /^ERR value is not an integer or out of range script: [0-9a-f]{40}, on @user_script:1\.$/,
    );
    expect(await err(r.eval('return 1', 2, 'a'))).to.equal("ERR Number of keys can't be greater than number of args");
    expect(await err(r.call('SCRIPT', 'NOPE'))).to.equal("ERR unknown subcommand 'NOPE'. Try SCRIPT HELP.");
    expect(await err(r.call('SCRIPT', 'LOAD'))).to.equal("ERR wrong number of arguments for 'script|load' command");
    expect(await err(r.call('SCRIPT'))).to.equal("ERR wrong number of arguments for 'script' command");
    expect(await err(r.eval('retur', 0))).to.match(/^ERR Error compiling script \(new function\): user_script:1: /);
  });

  it("TIME inside a script is the entry's cluster time (close to now)", async () => {
    const [sec] = (await r.eval("return redis.call('TIME')", 0)) as string[];
    expect(Math.abs(Number(sec) - Date.now() / 1000)).to.be.below(5);
  });

  it('COMMAND INFO / DOCS describe the scripting commands', async () => {
    const info = (await r.call('COMMAND', 'INFO', 'eval', 'evalsha_ro', 'script')) as Array<[string, number, string[]]>;
    expect(info.map((c) => [c[0], c[1]])).to.deep.equal([
      ['eval', -3],
      ['evalsha_ro', -3],
      ['script', -2],
    ]);
    expect(info[0][2]).to.include('noscript');
    expect(info[1][2]).to.include('readonly');
  });
});

describe('the script cache survives a restart', function () {
  this.timeout(60_000);
  let dir: string;
  // Held here, not in the test, so that a failing assertion cannot leave a server running.
  let srv: RunningServer | undefined;
  let r: Redis | undefined;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'raftcache-scripts-'));
  });
  after(async () => {
    r?.disconnect();
    await srv?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('EVALSHA works after stopping and starting on the same --dir', async () => {
    srv = await startServer([], { dir });
    r = new Redis({ port: srv.port });
    const loaded = (await r.script('LOAD', "return 'survived'")) as string;
    await r.eval("return 'by eval'", 0);
    const evalSha = createHash('sha1').update("return 'by eval'").digest('hex');
    r.disconnect();
    await srv.stop();

    srv = await startServer([], { dir });
    r = new Redis({ port: srv.port });
    try {
      expect(await r.script('EXISTS', loaded, evalSha)).to.deep.equal([1, 1]);
      expect(await r.evalsha(loaded, 0)).to.equal('survived');
      expect(await r.evalsha(evalSha, 0)).to.equal('by eval');
      // Into the durable keyspace with the log compacted behind it, then a
      // crash: the restart must restore the cache from the records alone.
      const late = (await r.script('LOAD', "return 'late'")) as string;
      expect(await r.call('RAFT.COMPACT')).to.equal('OK');
      r.disconnect();
      await srv.stop('SIGKILL');
      srv = await startServer([], { dir });
      r = new Redis({ port: srv.port });
      expect(await r.script('EXISTS', loaded, evalSha, late)).to.deep.equal([1, 1, 1]);
      expect(await r.evalsha(late, 0)).to.equal('late');
    } finally {
      r.disconnect();
      await srv.stop();
      srv = undefined;
    }
  });
});

/**
 * Redis's Lua 5.1 computes with doubles; fengari's Lua 5.3 integers are 32
 * bits and used to wrap (`tonumber(ARGV[1]) * 1000` with a timestamp in
 * seconds gave -807049216), which broke rate limiters and queue scores.
 * server/scripting/fengari.ts loads fengari's arithmetic so that results that
 * do not fit become floats, as a double would.
 */
describe('Lua arithmetic as Redis (Lua 5.1 doubles), side by side with redis-server', function () {
  this.timeout(30000);
  let srv: RunningServer;
  let ref: ReferenceRedis;
  let a: Redis;
  let b: Redis;
  before(async () => {
    srv = await startServer();
    ref = await startReferenceRedis();
    a = new Redis({ port: srv.port });
    b = new Redis({ port: ref.port });
  });
  after(async () => {
    a?.disconnect();
    b?.disconnect();
    await srv?.stop();
    await ref?.stop();
  });

  it('overflowing +, -, *, unary minus, constant folding, loops and string.format %d give what redis-server gives', async () => {
    const scripts = [
      'return 65536*65536',
      'return tonumber(ARGV[1])*1000',
      'return tostring(tonumber(ARGV[1])*1000)',
      'return tostring(2147483647+1)',
      'return tostring(-2147483647-2)',
      'return -(-2147483647-1)',
      'return math.floor(tonumber(ARGV[1])*1000/7)',
      'return {1+2, 7*6, tostring(5-9), tostring(10/4), 2^53}',
      'local t = 0 for i=1,100000 do t = t + i end return t',
      "return string.format('%d %d %5.2f', 2^31, -3.7, 1.5)",
      "local n = redis.call('incrby', KEYS[1], 2000000000) return {n + n, tostring(n * 3)}",
      // BullMQ's priority score: 32-bit hex literals used to wrap to 0 ("attempt to perform 'n%%0'").
      'return {tostring(0x100000000), tostring(0xFFFFFFFF), 5 % 0x100000000, tostring(3 * 0x100000000 + 7), tonumber("0x100000000")}',
    ];
    for (const s of scripts) {
      await a.del('lua:n');
      await b.del('lua:n');
      const mine = await a.eval(s, 1, 'lua:n', '1700000000').catch((e: Error) => `ERR ${e.message}`);
      const theirs = await b.eval(s, 1, 'lua:n', '1700000000').catch((e: Error) => `ERR ${e.message}`);
      expect(mine, s).to.deep.equal(theirs);
    }
  });
});
