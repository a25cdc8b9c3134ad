import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { createClient, RESP_TYPES } from 'redis';
import { redisCli, startServer, type RunningServer } from '../support/proc';
import { startReferenceRedis, type ReferenceRedis } from '../support/reference-redis';
import { Keyspace } from '../../server/keyspace';
import { FUNCTION_DB } from '../../server/keyspace/records';
import { crc64, decodeFunctionDump, encodeFunctionDump } from '../../server/scripting/functions-dump';

/** A reply or the error text, so replies and errors compare alike. */
async function outcome(c: Redis, args: Array<string | Buffer>): Promise<unknown> {
  try {
    return await c.callBuffer(String(args[0]), ...args.slice(1)).then(decode);
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
}

/** FUNCTION LIST with each library's functions sorted by name: Redis lists them in its hash table's (seeded) order. */
function sortedList(v: unknown): unknown {
  if (!Array.isArray(v)) return v;
  return v.map((libEntry: unknown) => {
    if (!Array.isArray(libEntry)) return libEntry;
    const out = [...libEntry];
    const i = out.indexOf('functions');
    if (i >= 0 && Array.isArray(out[i + 1])) out[i + 1] = [...(out[i + 1] as unknown[][])].sort((a, b) => String(a[1]).localeCompare(String(b[1])));
    return out;
  });
}

function decode(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString('latin1');
  if (Array.isArray(v)) return v.map(decode);
  return v;
}

const LIB = `#!lua name=mylib
redis.register_function('echo', function(keys, args) return {#keys, #args, keys[1], args[1]} end)
redis.register_function('boom', function(keys, args) error('boom') end)
redis.register_function('incr', function(keys, args) return redis.call('incr', keys[1]) end)
redis.register_function('nokeys', function(keys, args) return KEYS end)
redis.register_function('tbl', function() error({err='MY thing'}) end)
redis.register_function('glob', function() y = 1 end)
redis.register_function('str', function() return string.format('%d', 5) end)
redis.register_function{function_name='rw', callback=function(keys) return redis.call('set', keys[1], 'x') end, flags={'allow-cross-slot-keys', 'no-writes'}, description='refused'}
redis.register_function{function_name='get', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}
`;

/** One library with one body line, for the load-time cases (each gets a fresh library name). */
function lib(name: string, body: string): string {
  return `#!lua name=${name}\n${body}`;
}

const LOAD_CASES: string[] = [
  "redis.setresp(3)\nredis.register_function('f', function() end)",
  "redis.log(redis.LOG_WARNING, 'hi')\nredis.register_function('f', function() end)",
  "local v = redis.REDIS_VERSION_NUM\nredis.register_function('f', function() end)",
  "local v = redis.sha1hex\nredis.register_function('f', function() end)",
  "local v = cjson\nredis.register_function('f', function() end)",
  "redis.foo = 1\nredis.register_function('f', function() end)",
  "redis.log(1)\nredis.register_function('f', function() end)",
  "redis.log('a', 'b')\nredis.register_function('f', function() end)",
  "redis.call('set', 'x', 'y')",
  "local x = string.len('a')",
  "error('boom')",
  "x = 1",
  'return 1',
  "redis.register_function('f', function() return 1 end",
  "redis.register_function('f', function() return (1 end)",
  "redis.register_function('x-y', function() end)",
  "redis.register_function('f', function() end) redis.register_function('f', function() end)",
  "redis.register_function{function_name='f', callback=function() end, flags={'bad'}}",
  "redis.register_function('f')",
  'redis.register_function(1, 2)',
  "redis.register_function('f', function() end, 3)",
  'redis.register_function{callback=function() end}',
  "redis.register_function{function_name='f'}",
  "redis.register_function{function_name='f', callback=1}",
  "redis.register_function{function_name='f', callback=function() end, foo=1}",
  "redis.register_function{function_name='f', callback=function() end, flags='x'}",
  'redis.register_function(function() end)',
  "redis.register_function{function_name='f', callback=function() end, description=3, flags={'no-cluster', 'allow-oom', 'allow-stale'}}",
];

describe('functions (FUNCTION, FCALL, FCALL_RO) side by side with redis-server', function () {
  this.timeout(60_000);
  let srv: RunningServer;
  let ref: ReferenceRedis;
  let r: Redis;
  let x: Redis;
  before(async () => {
    [srv, ref] = await Promise.all([startServer(), startReferenceRedis()]);
    r = new Redis({ port: srv.port });
    x = new Redis({ port: ref.port });
  });
  after(async () => {
    r?.disconnect();
    x?.disconnect();
    await Promise.all([srv?.stop(), ref?.stop()]);
  });
  beforeEach(async () => {
    await Promise.all([r.function('FLUSH'), x.function('FLUSH'), r.flushall(), x.flushall()]);
  });

  async function same(args: Array<string | Buffer>): Promise<unknown> {
    let [ours, theirs] = await Promise.all([outcome(r, args), outcome(x, args)]);
    if (String(args[0]).toLowerCase() === 'function' && String(args[1]).toLowerCase() === 'list') [ours, theirs] = [sortedList(ours), sortedList(theirs)];
    expect(ours, args.map(String).join(' ')).to.deep.equal(theirs);
    return ours;
  }

  it('FUNCTION LOAD metadata, library and function errors answer as Redis does', async () => {
    expect(await same(['FUNCTION', 'LOAD', LIB])).to.equal('mylib');
    await same(['FUNCTION', 'LOAD', LIB]);
    await same(['FUNCTION', 'LOAD', lib('other', "redis.register_function('ECHO', function() end)")]);
    await same(['FUNCTION', 'LOAD', "redis.register_function('x', function() end)"]);
    await same(['FUNCTION', 'LOAD', "#!lua name=a foo=bar\nredis.register_function('x', function() end)"]);
    await same(['FUNCTION', 'LOAD', "#!lua name=a name=b\nredis.register_function('x', function() end)"]);
    await same(['FUNCTION', 'LOAD', "#!lua2 name=a\nredis.register_function('x', function() end)"]);
    await same(['FUNCTION', 'LOAD', "#!LUA name=upper\nredis.register_function('up', function() end)"]);
    await same(['FUNCTION', 'LOAD', "#!lua name=a-b\nredis.register_function('x', function() end)"]);
    await same(['FUNCTION', 'LOAD', "#!lua name=\nredis.register_function('x', function() end)"]);
    await same(['FUNCTION', 'LOAD', "#!lua\nredis.register_function('x', function() end)"]);
    await same(['FUNCTION', 'LOAD', '#!lua name=nonl']);
    await same(['FUNCTION', 'LOAD', '#!lua name=empty\n']);
    await same(['FUNCTION', 'LOAD', 'REPLACE', 'x', 'y']);
    await same(['FUNCTION', 'LOAD', 'replace']);
    await same(['FUNCTION', 'LOAD']);
    for (const [i, body] of LOAD_CASES.entries()) await same(['FUNCTION', 'LOAD', lib(`case${i}`, body)]);
    await same(['FUNCTION', 'LOAD', 'REPLACE', lib('mylib', "redis.register_function('echo', function() return 'v2' end)")]);
    await same(['FCALL', 'echo', '0']);
    await same(['FCALL', 'boom', '0']); // the replaced library's other functions are gone
  });

  it('FCALL and FCALL_RO: arguments, errors, read-only functions', async () => {
    await same(['FUNCTION', 'LOAD', LIB]);
    await same(['SET', 's', 'str']);
    for (const args of [
      ['FCALL', 'echo', '1', 'k', 'a', 'b'],
      ['FCALL', 'ECHO', '0'],
      ['FCALL', 'boom', '0'],
      ['FCALL', 'incr', '1', 'n'],
      ['FCALL', 'incr', '1', 's'],
      ['FCALL', 'nokeys', '0'],
      ['FCALL', 'tbl', '0'],
      ['FCALL', 'glob', '0'],
      ['FCALL', 'str', '0'],
      ['FCALL', 'rw', '1', 'k'],
      ['FCALL_RO', 'rw', '1', 'k'],
      ['FCALL_RO', 'echo', '0'],
      ['FCALL_RO', 'get', '1', 'n'],
      ['FCALL', 'get', '1', 'n'],
      ['FCALL', 'nope', '0'],
      ['FCALL', 'nope', 'x'],
      ['FCALL', 'echo', 'x'],
      ['FCALL', 'echo', '-1'],
      ['FCALL', 'echo', '3', 'a'],
      ['FCALL', 'echo'],
      ['FCALL_RO', 'get'],
    ]) {
      await same(args);
    }
  });

  it('FUNCTION LIST, STATS, DELETE, FLUSH, KILL and HELP answer as Redis does', async () => {
    await same(['FUNCTION', 'LOAD', LIB]);
    await same(['FUNCTION', 'LIST']);
    await same(['FUNCTION', 'LIST', 'WITHCODE']);
    await same(['FUNCTION', 'LIST', 'LIBRARYNAME', 'MY*', 'WITHCODE']);
    await same(['FUNCTION', 'LIST', 'libraryname', 'nomatch']);
    await same(['FUNCTION', 'LIST', 'LIBRARYNAME']);
    await same(['FUNCTION', 'LIST', 'WITHCODE', 'WITHCODE']);
    await same(['FUNCTION', 'LIST', 'foo']);
    await same(['FUNCTION', 'STATS']);
    await same(['FUNCTION', 'STATS', 'x']);
    await same(['FUNCTION', 'KILL']);
    await same(['FUNCTION', 'HELP']);
    await same(['FUNCTION', 'foo']);
    await same(['FUNCTION']);
    await same(['FUNCTION', 'DELETE', 'MYLIB']);
    await same(['FUNCTION', 'DELETE', 'mylib']);
    await same(['FUNCTION', 'DELETE', 'mylib']);
    await same(['FCALL', 'echo', '0']);
    await same(['FUNCTION', 'LOAD', LIB]);
    await same(['FUNCTION', 'FLUSH', 'foo']);
    await same(['FUNCTION', 'FLUSH', 'a', 'b']);
    await same(['FUNCTION', 'FLUSH', 'ASYNC']);
    await same(['FUNCTION', 'STATS']);
    await same(['FUNCTION', 'RESTORE', 'a', 'b', 'c']);
    await same(['FUNCTION', 'RESTORE', 'foo']);
    await same(['FUNCTION', 'RESTORE', 'foo', 'bar']);
    await same(['FUNCTION', 'DUMP', 'x']);
  });

  it('RESP3 shapes of FUNCTION LIST and STATS match (redis-cli -3)', async () => {
    // One function per library: Redis orders a library's functions by its seeded hash table.
    await same(['FUNCTION', 'LOAD', lib('one', "redis.register_function{function_name='echo', callback=function(keys, args) return {keys[1], args[1], 1.5} end, flags={'no-writes', 'no-cluster'}, description='d'}")]);
    await same(['FUNCTION', 'LOAD', lib('two', "redis.register_function('plain', function() return {1, 2} end)")]);
    for (const args of [
      ['FUNCTION', 'LIST', 'LIBRARYNAME', 'one', 'WITHCODE'],
      ['FUNCTION', 'LIST', 'LIBRARYNAME', 'two'],
      ['FUNCTION', 'STATS'],
      ['FCALL', 'echo', '1', 'k', 'v'],
    ]) {
      const ours = redisCli(srv.port, ['-3', '--no-raw', ...args]);
      const theirs = redisCli(ref.port, ['-3', '--no-raw', ...args]);
      expect(ours.stdout, args.join(' ')).to.equal(theirs.stdout);
    }
  });

  it('FLUSHALL keeps the libraries; functions write and read keys', async () => {
    await same(['FUNCTION', 'LOAD', LIB]);
    await same(['FCALL', 'incr', '1', 'n']);
    await same(['FCALL', 'incr', '1', 'n']);
    expect(await same(['FCALL_RO', 'get', '1', 'n'])).to.equal('2');
    await same(['FLUSHALL']);
    expect(await same(['FCALL_RO', 'get', '1', 'n'])).to.equal(null);
    expect(await same(['FUNCTION', 'STATS'])).to.deep.equal(['running_script', null, 'engines', ['LUA', ['libraries_count', 1, 'functions_count', 9]]]);
  });

  it('FUNCTION DUMP here restores on redis-server, and a redis-server dump (LZF strings) restores here', async () => {
    const long = `${lib('biglib', "redis.register_function('big', function(keys, args) return 'big:' .. args[1] end)")}\n${'-- padding to make redis compress this string\n'.repeat(20)}`;
    await same(['FUNCTION', 'LOAD', LIB]);
    await same(['FUNCTION', 'LOAD', long]);
    const ours = (await r.callBuffer('FUNCTION', 'DUMP')) as Buffer;
    const theirs = (await x.callBuffer('FUNCTION', 'DUMP')) as Buffer;
    expect(theirs.length).to.be.lessThan(ours.length); // redis-server compressed the long code
    // Collisions under the default policy (APPEND), then REPLACE and FLUSH (one library collides:
    // Redis checks a payload's libraries in its hash table's order).
    await same(['FUNCTION', 'DELETE', 'biglib']);
    await same(['FUNCTION', 'RESTORE', ours]);
    await same(['FUNCTION', 'RESTORE', theirs, 'APPEND']);
    await same(['FUNCTION', 'RESTORE', ours, 'REPLACE']);
    await same(['FUNCTION', 'RESTORE', theirs, 'REPLACE']);
    await same(['FUNCTION', 'FLUSH']);
    expect(await outcome(x, ['FUNCTION', 'RESTORE', ours])).to.equal('OK');
    expect(await outcome(r, ['FUNCTION', 'RESTORE', theirs])).to.equal('OK');
    await same(['FCALL', 'big', '0', 'q']);
    await same(['FCALL', 'echo', '1', 'k', 'v']);
    await same(['FUNCTION', 'LIST', 'LIBRARYNAME', 'big*', 'WITHCODE']);
    await same(['FUNCTION', 'RESTORE', ours, 'FLUSH']);
    await same(['FUNCTION', 'RESTORE', theirs, 'FLUSH']);
    // A library whose function another library holds.
    await same(['FUNCTION', 'FLUSH']);
    await same(['FUNCTION', 'LOAD', lib('holder', "redis.register_function('big', function() end)")]);
    await same(['FUNCTION', 'RESTORE', ours]);
    await same(['FUNCTION', 'RESTORE', ours, 'REPLACE']);
    // Damaged payloads.
    const flipped = Buffer.from(ours);
    flipped[flipped.length - 1] ^= 1;
    await same(['FUNCTION', 'RESTORE', flipped]);
    await same(['FUNCTION', 'RESTORE', Buffer.from('short')]);
    const notFunction = encodeFunctionDump([]);
    const withString = Buffer.concat([Buffer.from([0x00, 0x01, 0x61]), notFunction.subarray(0, 2)]);
    const crc = Buffer.alloc(8);
    crc.writeBigUInt64LE(crc64(withString));
    await same(['FUNCTION', 'RESTORE', Buffer.concat([withString, crc])]);
    await same(['FUNCTION', 'RESTORE', encodeFunctionDump([])]);
  });

  it('FUNCTION DUMP is byte for byte what redis-server writes without string compression', async () => {
    const plain = await startReferenceRedis(['--rdbcompression', 'no']);
    const y = new Redis({ port: plain.port });
    try {
      expect(await r.callBuffer('FUNCTION', 'DUMP')).to.deep.equal(await y.callBuffer('FUNCTION', 'DUMP')); // no libraries
      await r.function('LOAD', LIB);
      await y.function('LOAD', LIB);
      const ours = (await r.callBuffer('FUNCTION', 'DUMP')) as Buffer;
      expect(ours.equals((await y.callBuffer('FUNCTION', 'DUMP')) as Buffer)).to.equal(true);
    } finally {
      y.disconnect();
      await plain.stop();
    }
  });

  it('redis-py: function_load, fcall, fcall_ro, function_list, dump and restore', function () {
    const py = spawnSync('python3', ['-c', 'import redis']).status === 0 ? 'python3' : '/usr/bin/python3';
    if (spawnSync(py, ['-c', 'import redis']).status !== 0) this.skip();
    const script = `
import json, sys, redis
r = redis.Redis(port=int(sys.argv[1]), decode_responses=True)
r.function_flush()
out = {}
code = "#!lua name=pylib\\nredis.register_function('hello', function(keys, args) return 'hello ' .. args[1] end)\\nredis.register_function{function_name='count', callback=function(keys) return redis.call('incr', keys[1]) end}\\nredis.register_function{function_name='peek', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}"
out["load"] = r.function_load(code)
out["fcall"] = r.fcall("hello", 0, "py")
out["count"] = [r.fcall("count", 1, "c"), r.fcall("count", 1, "c")]
out["peek"] = r.fcall_ro("peek", 1, "c")
try:
    r.fcall_ro("count", 1, "c")
except redis.ResponseError as e:
    out["ro_error"] = str(e)
out["list"] = [[sorted(v, key=lambda f: f[1]) if k == "functions" else v for k, v in zip(l[::2], l[1::2])] for l in r.function_list(library="py*")]
raw = redis.Redis(port=int(sys.argv[1]))
payload = raw.function_dump()
r.function_flush()
out["restore"] = raw.function_restore(payload)
out["after"] = r.fcall("hello", 0, "again")
try:
    r.function_load(code)
except redis.ResponseError as e:
    out["exists"] = str(e)
out["delete"] = r.function_delete("pylib")
print(json.dumps(out))
`;
    const run = (port: number) => {
      const p = spawnSync(py, ['-c', script, String(port)], { encoding: 'utf8' });
      expect(p.stderr).to.equal('');
      return JSON.parse(p.stdout) as Record<string, unknown>;
    };
    const ours = run(srv.port);
    expect(ours).to.deep.equal(run(ref.port));
    expect(ours.fcall).to.equal('hello py');
    expect(ours.ro_error).to.equal('Can not execute a script with write flag using *_ro command.');
  });

  it('redis.REDIS_VERSION at load and in a call (the version INFO reports); INFO memory counts libraries and functions', async () => {
    const code = lib('ver', "local v = redis.REDIS_VERSION_NUM\nredis.register_function('ver', function() return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM, v} end)");
    await r.function('LOAD', code);
    await x.function('LOAD', code);
    const version = String(await r.info('server')).match(/redis_version:(\S+)/)![1];
    const num = (v: string) => v.split('.').reduce((n, p) => n * 256 + Number(p), 0);
    expect(await r.call('FCALL', 'ver', '0')).to.deep.equal([version, num(version), num(version)]);
    const refVersion = String(await x.info('server')).match(/redis_version:(\S+)/)![1];
    expect(await x.call('FCALL', 'ver', '0')).to.deep.equal([refVersion, num(refVersion), num(refVersion)]);
    await same(['FUNCTION', 'LOAD', LIB]);
    const field = async (c: Redis, name: string) => String(await c.info('memory')).match(new RegExp(`${name}:(\\d+)`))?.[1];
    for (const name of ['number_of_functions', 'number_of_libraries']) expect(await field(r, name), name).to.equal(await field(x, name));
  });

  it('node-redis (RESP2 and RESP3): functionLoad, fCall, fCallRo, functionList, functionStats, dump and restore', async () => {
    const ONE = lib('nodelib', "redis.register_function{function_name='nget', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}, description='get'}");
    const session = async (port: number, RESP: 2 | 3) => {
      const c = createClient({ RESP, socket: { port, host: '127.0.0.1', reconnectStrategy: false } });
      await c.connect();
      try {
        await c.functionFlush();
        await c.set('nk', 'nv');
        const out: Record<string, unknown> = {};
        out.load = await c.functionLoad(ONE);
        out.fcall = await c.fCall('nget', { keys: ['nk'] });
        out.fcallRo = await c.fCallRo('nget', { keys: ['nk'] });
        out.list = await c.functionList();
        out.listCode = await c.functionListWithCode({ LIBRARYNAME: 'node*' });
        out.stats = await c.functionStats();
        const dump = await c.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }).functionDump();
        await c.functionFlush();
        out.restore = await c.functionRestore(dump as unknown as string, { mode: 'APPEND' });
        out.again = await c.fCall('nget', { keys: ['nk'] });
        out.delete = await c.functionDelete('nodelib');
        return JSON.parse(JSON.stringify(out)) as unknown;
      } finally {
        await c.quit();
      }
    };
    for (const resp of [2, 3] as const) expect(await session(srv.port, resp), `RESP${resp}`).to.deep.equal(await session(ref.port, resp));
  });

  it("two functions of one library whose names differ only in case are refused (Redis 7.0.15 loads them, then crashes on FUNCTION DELETE)", async () => {
    const code = lib('cs', "redis.register_function('ab', function() return 1 end)\nredis.register_function('AB', function() return 2 end)");
    expect(await outcome(r, ['FUNCTION', 'LOAD', code])).to.equal('error: ERR Error registering functions: ERR Function already exists in the library');
  });

  it('a library that loops at load is stopped by the instruction budget, and nothing is loaded', async () => {
    const reply = await outcome(r, ['FUNCTION', 'LOAD', lib('spin', 'while true do end')]);
    expect(reply).to.match(/^error: ERR Script killed: exceeded the instruction budget/);
    expect(await outcome(r, ['FUNCTION', 'LIST'])).to.deep.equal([]);
  });
});

describe('function libraries as durable state', function () {
  this.timeout(60_000);

  it('libraries survive a restart (after SAVE and from the log), FLUSHALL and DELETE included', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'raftcache-functions-'));
    try {
      let srv = await startServer([], { dir });
      let r = new Redis({ port: srv.port });
      await r.function('LOAD', LIB);
      await r.function('LOAD', lib('gone', "redis.register_function('gone', function() return 1 end)"));
      await r.function('DELETE', 'gone');
      await r.call('SAVE');
      await r.function('LOAD', lib('late', "redis.register_function('late', function() return 'late' end)"));
      await r.flushall();
      r.disconnect();
      await srv.stop();
      srv = await startServer([], { dir });
      r = new Redis({ port: srv.port });
      try {
        expect(await r.call('FCALL', 'echo', '1', 'k', 'v')).to.deep.equal([1, 1, 'k', 'v']);
        expect(await r.call('FCALL', 'late', '0')).to.equal('late');
        expect(await outcome(r, ['FCALL', 'gone', '0'])).to.equal('error: ERR Function not found');
        expect(await r.call('FUNCTION', 'STATS')).to.deep.equal(['running_script', null, 'engines', ['LUA', ['libraries_count', 2, 'functions_count', 10]]]);
      } finally {
        r.disconnect();
        await srv.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the durable records round-trip a library; a deleted library becomes a deleted record', () => {
    const ks = new Keyspace();
    ks.trackChanges = true;
    const code = Buffer.from(lib('recs', "redis.register_function{function_name='F1', callback=function() end, description='d\u00e9', flags={'no-writes'}}"));
    ks.functions.put({ name: 'recs', code, functions: [{ name: 'F1', description: 'd\u00e9', flags: ['no-writes'] }] });
    expect(ks.drainChanges()).to.deep.equal([{ db: FUNCTION_DB, key: 'recs' }]);
    const rec = ks.encodeRecord(FUNCTION_DB, 'recs')!;
    const other = new Keyspace();
    other.applyRecord(rec.key, rec.value);
    expect(other.functions.findFunction('f1')?.info).to.deep.equal({ name: 'F1', description: 'd\u00e9', flags: ['no-writes'] });
    expect(other.functions.library('recs')?.code.equals(code)).to.equal(true);
    ks.functions.delete('recs');
    expect(ks.drainChanges()).to.deep.equal([{ db: FUNCTION_DB, key: 'recs' }]);
    expect(ks.encodeRecord(FUNCTION_DB, 'recs')).to.equal(null);
  });

  it('damaged payloads with a valid checksum are refused, never thrown (2000 seeded mutations)', () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const base = encodeFunctionDump([Buffer.from(LIB), Buffer.alloc(300, 'x')]);
    // An LZF string record too: [0xc3][clen][len][compressed].
    const lzf = Buffer.from([0xf5, 0xc3, 0x05, 0x0a, 0x01, 0x61, 0x62, 0xc0, 0x01]); // "ab" then 8 bytes back 2: ababababab
    const signed = (b: Buffer) => {
      const unsigned = Buffer.concat([b, Buffer.from([10, 0])]);
      const crc = Buffer.alloc(8);
      crc.writeBigUInt64LE(crc64(unsigned));
      return Buffer.concat([unsigned, crc]);
    };
    expect(decodeFunctionDump(signed(lzf))).to.deep.equal([Buffer.from('ababababab')]);
    for (let i = 0; i < 2000; i++) {
      const body = Buffer.from(i % 2 ? base.subarray(0, base.length - 10) : lzf);
      for (let k = 1 + rand(4); k > 0; k--) body[rand(body.length)] = rand(256);
      const cut = rand(5) === 0 ? body.subarray(0, rand(body.length)) : body;
      const out = decodeFunctionDump(signed(cut));
      if (!Array.isArray(out)) expect(out.reply).to.match(/^ERR /);
    }
  });

  it('the dump payload format: CRC64 (Jones) check value, round trip', () => {
    expect(crc64(Buffer.from('123456789')).toString(16)).to.equal('e9c6d914c4b8d9ca');
    const codes = [Buffer.from('a'), Buffer.alloc(100, 'b'), Buffer.alloc(20000, 'c')];
    expect(decodeFunctionDump(encodeFunctionDump(codes))).to.deep.equal(codes);
  });
});
