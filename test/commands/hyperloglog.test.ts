/**
 * HyperLogLog through real clients, side by side with redis-server: the
 * bytes PFADD/PFMERGE write, counts, values moved between the two servers
 * with GET/SET, sparse -> dense promotion, errors, redis-py and RESP3.
 */
import { expect } from 'chai';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { spawnSync } from 'node:child_process';
import { errorOf, serverForSuite } from '../support/proc';
import { startReferenceRedis, type ReferenceRedis } from '../support/reference-redis';
import { clusterForSuite } from '../cluster/harness';

const NOT_HLL = 'WRONGTYPE Key is not a valid HyperLogLog string value.';
const INVALID = 'INVALIDOBJ Corrupted HLL object detected';
const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';

const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;

/** Distinct elements `${prefix}0` .. `${prefix}${n - 1}`. */
const elems = (prefix: string, n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => `${prefix}${from + i}`);

describe('HyperLogLog side by side with redis-server', function () {
  this.timeout(60000);
  const t = serverForSuite();
  let ref: ReferenceRedis | undefined;
  let rr: Redis;

  before(async function () {
    if (!hasRedisServer) this.skip();
    ref = await startReferenceRedis();
    rr = new Redis({ port: ref.port });
  });
  after(async () => {
    rr?.disconnect();
    await ref?.stop();
  });
  beforeEach(async () => {
    await t.r.flushall();
    await rr.flushall();
  });

  /** Runs the same command on both servers; returns [raftcache, redis] replies (errors as their message). */
  async function both(...args: Array<string | Buffer | number>): Promise<[unknown, unknown]> {
    const run = (c: Redis): Promise<unknown> =>
      c.callBuffer(String(args[0]), ...args.slice(1)).then(
        (v: unknown) => (Buffer.isBuffer(v) ? v.toString('latin1') : v),
        (e: Error) => `error: ${e.message}`,
      );
    return Promise.all([run(t.r), run(rr)]);
  }
  async function same(...args: Array<string | Buffer | number>): Promise<unknown> {
    const [a, b] = await both(...args);
    expect(a, `${args.join(' ')}`).to.deep.equal(b);
    return a;
  }
  const getBoth = async (key: string): Promise<[Buffer | null, Buffer | null]> => Promise.all([t.r.getBuffer(key), rr.getBuffer(key)]);

  it('PFADD writes the bytes redis-server writes, sparse, with binary elements', async () => {
    expect(await same('pfadd', 'h')).to.equal(1);
    expect(await same('pfadd', 'h')).to.equal(0);
    expect(await same('pfadd', 'h', 'a', 'b', 'c', '', Buffer.from([0, 255, 13, 10]), 'é')).to.equal(1);
    expect(await same('pfadd', 'h', 'a', 'b')).to.equal(0);
    const [a, b] = await getBoth('h');
    expect(a!.subarray(0, 4).toString()).to.equal('HYLL');
    expect(a!.equals(b!)).to.equal(true);
    expect(await same('pfdebug', 'encoding', 'h')).to.equal('sparse');
    await same('pfdebug', 'decode', 'h');
    expect(await same('type', 'h')).to.equal('string');
    expect(await same('object', 'encoding', 'h')).to.equal('raw');
    expect(await same('pfcount', 'h')).to.equal(6);
  });

  it('promotes sparse to dense at hll-sparse-max-bytes exactly where Redis does', async () => {
    let promotedAt = -1;
    for (let batch = 0; batch < 40; batch++) {
      await same('pfadd', 'big', ...elems('e', 100, batch * 100));
      const [a, b] = await getBoth('big');
      expect(a!.equals(b!), `bytes after batch ${batch}`).to.equal(true);
      const enc = await same('pfdebug', 'encoding', 'big');
      if (enc === 'dense' && promotedAt < 0) promotedAt = batch;
    }
    expect(promotedAt).to.be.greaterThan(0);
    expect((await t.r.strlen('big'))).to.equal(12304);
    await same('pfcount', 'big');
    // A lower threshold promotes sooner; the option is CONFIG GET/SET like Redis's.
    for (const c of [t.r, rr]) await c.config('SET', 'hll-sparse-max-bytes', '100');
    expect(await t.r.config('GET', 'hll-sparse-max-bytes')).to.deep.equal(['hll-sparse-max-bytes', '100']);
    await same('pfadd', 'small', ...elems('s', 40));
    expect(await same('pfdebug', 'encoding', 'small')).to.equal('dense');
    for (const c of [t.r, rr]) await c.config('SET', 'hll-sparse-max-bytes', '3000');
  });

  it('values move between the two servers with GET and SET, both directions', async () => {
    await t.r.pfadd('x', ...elems('a', 500));
    await t.r.pfadd('d', ...elems('b', 5000));
    for (const key of ['x', 'd']) {
      const v = await t.r.getBuffer(key);
      await rr.set(key, v!);
      expect(await rr.pfcount(key)).to.equal(await t.r.pfcount(key));
    }
    // Redis's PFCOUNT stored a valid cache in its copy: raftcache answers from it after the round trip.
    await rr.pfadd('y', ...elems('c', 2000));
    const count = await rr.pfcount('y');
    const cached = await rr.getBuffer('y');
    expect(cached![15] & 0x80).to.equal(0);
    await t.r.set('y', cached!);
    expect(await t.r.pfcount('y')).to.equal(count);
    expect(await t.r.pfadd('y', ...elems('c', 2000))).to.equal(await rr.pfadd('y', ...elems('c', 2000)));
    expect((await t.r.getBuffer('y'))!.equals((await rr.getBuffer('y'))!)).to.equal(true);
  });

  it('PFCOUNT over several keys and PFMERGE into an existing dense key match Redis', async () => {
    await same('pfadd', 's1', ...elems('a', 300));
    await same('pfadd', 's2', ...elems('a', 200, 250));
    await same('pfadd', 'dense', ...elems('z', 4000));
    expect(await same('pfdebug', 'encoding', 'dense')).to.equal('dense');
    await same('pfcount', 's1', 's2');
    await same('pfcount', 's1', 's2', 'dense', 'missing');
    expect(await same('pfmerge', 'dense', 's1', 's2')).to.equal('OK');
    let [a, b] = await getBoth('dense');
    expect(a!.equals(b!)).to.equal(true);
    // Merging a dense source into a sparse destination converts it; merging sparse into a new key stays sparse.
    expect(await same('pfmerge', 's1', 'dense')).to.equal('OK');
    expect(await same('pfmerge', 'fresh', 's2', 'missing')).to.equal('OK');
    expect(await same('pfdebug', 'encoding', 'fresh')).to.equal('sparse');
    for (const key of ['s1', 'fresh']) {
      [a, b] = await getBoth(key);
      expect(a!.equals(b!), key).to.equal(true);
    }
    await same('pfcount', 'dense');
    await same('pfcount', 's1');
    await same('pfmerge', 'only');
    await same('get', 'only');
  });

  it('counts a large set as Redis does (estimator)', async () => {
    for (let i = 0; i < 10; i++) await same('pfadd', 'card', ...elems('m', 10000, i * 10000));
    const n = (await same('pfcount', 'card')) as number;
    expect(Math.abs(n - 100000)).to.be.lessThan(3000);
    await same('pfcount', 'card', 'card');
  });

  it('PFCOUNT stores no cached count here (reads change no replicated state); Redis does', async () => {
    await same('pfadd', 'h', 'a', 'b', 'c');
    const before = await t.r.getBuffer('h');
    await same('pfcount', 'h');
    const [a, b] = await getBoth('h');
    expect(a!.equals(before!)).to.equal(true);
    expect(a![15] & 0x80).to.equal(0x80); // still marked stale here
    expect(b![15] & 0x80).to.equal(0); // Redis cached 3
    expect(a!.subarray(16).equals(b!.subarray(16))).to.equal(true);
  });

  it('errors are worded as Redis words them', async () => {
    await same('set', 'str', 'hello');
    await same('rpush', 'list', 'a');
    await same('pfadd', 'h', 'a');
    expect(await same('pfadd', 'str', 'x')).to.equal(`error: ${NOT_HLL}`);
    expect(await same('pfcount', 'str')).to.equal(`error: ${NOT_HLL}`);
    expect(await same('pfcount', 'h', 'str')).to.equal(`error: ${NOT_HLL}`);
    expect(await same('pfmerge', 'h', 'str')).to.equal(`error: ${NOT_HLL}`);
    expect(await same('pfadd', 'list', 'x')).to.equal(`error: ${WRONGTYPE}`);
    expect(await same('pfcount', 'list')).to.equal(`error: ${WRONGTYPE}`);
    expect(await same('pfmerge', 'list', 'h')).to.equal(`error: ${WRONGTYPE}`);
    // A header with a bad encoding byte, a dense header of the wrong length.
    await same('set', 'badenc', Buffer.from('HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff', 'latin1'));
    await same('set', 'shortdense', Buffer.from('HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x00', 'latin1'));
    expect(await same('pfcount', 'badenc')).to.equal(`error: ${NOT_HLL}`);
    expect(await same('pfadd', 'shortdense', 'a')).to.equal(`error: ${NOT_HLL}`);
    // Sparse opcodes past 16384 registers, or short of them: corrupt.
    await same('append', 'h', Buffer.from([0xfc]));
    expect(await same('pfcount', 'h')).to.equal(`error: ${INVALID}`);
    expect(await same('pfcount', 'h', 'h')).to.equal(`error: ${INVALID}`);
    expect(await same('pfmerge', 'h2', 'h')).to.equal(`error: ${INVALID}`);
    await same('set', 'short', Buffer.from('HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xfe', 'latin1'));
    expect(await same('pfcount', 'short')).to.equal(`error: ${INVALID}`);
    await same('pfadd', 'short', 'a', 'b', 'c', 'd');
    await same('get', 'short');
    expect(await same('pfdebug', 'todense', 'short')).to.equal(`error: ${INVALID}`);
    // Arity and PFDEBUG's own errors.
    expect(await same('pfadd')).to.equal("error: ERR wrong number of arguments for 'pfadd' command");
    expect(await same('pfcount')).to.equal("error: ERR wrong number of arguments for 'pfcount' command");
    expect(await same('pfmerge')).to.equal("error: ERR wrong number of arguments for 'pfmerge' command");
    expect(await same('pfdebug', 'encoding')).to.equal("error: ERR wrong number of arguments for 'pfdebug' command");
    expect(await same('pfdebug', 'encoding', 'nokey')).to.equal('error: ERR The specified key does not exist');
    expect(await same('pfdebug', 'nosuch', 'str')).to.equal(`error: ${NOT_HLL}`);
    await same('pfadd', 'ok', 'a');
    expect(await same('pfdebug', 'nosuch', 'ok')).to.equal("error: ERR Unknown PFDEBUG subcommand 'nosuch'");
    expect(await same('pfdebug', 'todense', 'ok')).to.equal(1);
    expect(await same('pfdebug', 'todense', 'ok')).to.equal(0);
    expect(await same('pfdebug', 'decode', 'ok')).to.equal('error: ERR HLL encoding is not sparse');
    const regs = (await same('pfdebug', 'getreg', 'ok')) as number[];
    expect(regs.length).to.equal(16384);
    expect(await same('pfselftest', 'x')).to.equal("error: ERR wrong number of arguments for 'pfselftest' command");
  });

  it('PFADD keeps the TTL; a value SET as embstr becomes raw on PFADD, as in Redis', async () => {
    await same('pfadd', 'h', 'a');
    const v = await t.r.getBuffer('h');
    await same('set', 'e', v!, 'EX', '1000');
    expect(await same('object', 'encoding', 'e')).to.equal('embstr');
    expect(await same('pfadd', 'e', 'a')).to.equal(0);
    expect(await same('object', 'encoding', 'e')).to.equal('raw');
    expect(await t.r.ttl('e')).to.be.within(990, 1000);
  });

  it('PFSELFTEST passes', async () => {
    expect(await t.r.call('pfselftest')).to.equal('OK');
  });
});

describe('HyperLogLog through redis-py, as redis-server answers', function () {
  this.timeout(60000);
  const t = serverForSuite();
  const SCRIPT = `
import json, sys, redis
r = redis.Redis(port=int(sys.argv[1]))
r.flushdb()
out = {}
out["add"] = [r.pfadd("visits", *["u%d" % i for i in range(n)]) for n in (1, 10, 100)]
out["readd"] = r.pfadd("visits", "u1")
out["count"] = r.pfcount("visits")
r.pfadd("other", *["u%d" % i for i in range(50, 3000)])
out["union"] = r.pfcount("visits", "other")
out["merge"] = r.pfmerge("all", "visits", "other")
out["bytes"] = r.get("all").hex()  # before PFCOUNT, which caches the count in Redis only
out["merged"] = r.pfcount("all")
r.set("s", "not an hll")
try:
    r.pfadd("s", "x")
except redis.ResponseError as e:
    out["wrongtype"] = str(e)
print(json.dumps(out))
`;

  it('counts, merges and errors match redis-server through redis-py', async function () {
    if (!hasRedisServer) this.skip();
    const py = spawnSync('python3', ['-c', 'import redis']).status === 0 ? 'python3' : '/usr/bin/python3';
    if (spawnSync(py, ['-c', 'import redis']).status !== 0) this.skip();
    const ref = await startReferenceRedis();
    try {
      const runOn = (port: number): Record<string, unknown> => {
        const run = spawnSync(py, ['-c', SCRIPT, String(port)], { encoding: 'utf8' });
        expect(run.stderr).to.equal('');
        return JSON.parse(run.stdout) as Record<string, unknown>;
      };
      const ours = runOn(t.srv.port);
      const theirs = runOn(ref.port);
      expect(ours).to.deep.equal(theirs);
      expect(ours.wrongtype).to.equal(NOT_HLL); // redis-py keeps the code of errors it has no class for
      expect(ours.merge).to.equal(true);
    } finally {
      await ref.stop();
    }
  });
});

describe('HyperLogLog replies in RESP3 (node-redis)', function () {
  this.timeout(30000);
  const t = serverForSuite();
  type Client = ReturnType<typeof createClient>;
  let c: Client;
  before(async () => {
    c = createClient({ RESP: 3, socket: { port: t.srv.port, host: '127.0.0.1', reconnectStrategy: false } }) as unknown as Client;
    c.on('error', () => undefined);
    await c.connect();
  });
  after(async () => {
    await c?.quit().catch(() => undefined);
  });
  const send = (...args: Array<string | number>): Promise<unknown> => c.sendCommand(args.map(String));

  it('integers, a status, and the HLL errors', async () => {
    await send('del', 'h', 's');
    expect(await send('pfadd', 'h', 'a', 'b')).to.equal(1);
    expect(await send('pfcount', 'h')).to.equal(2);
    expect(await send('pfmerge', 'm', 'h')).to.equal('OK');
    expect(await send('pfdebug', 'encoding', 'm')).to.equal('sparse');
    await send('set', 's', 'x');
    expect(await errorOf(send('pfcount', 's'))).to.equal(NOT_HLL);
    await send('append', 'h', '\xfc');
    expect(await errorOf(send('pfcount', 'h'))).to.equal(INVALID);
  });
});

describe('HyperLogLog on a 3-node cluster: every node holds the same bytes', function () {
  this.timeout(90000);
  const t = clusterForSuite(3);

  it('PFADD/PFMERGE through a follower, PFCOUNT on every node, identical values everywhere', async () => {
    const { c } = t;
    const leader = await c.leader();
    const [follower] = await c.followers(leader);
    const f = c.client(follower);
    expect(await f.pfadd('h', ...elems('a', 1500))).to.equal(1); // forwarded, crosses to dense
    expect(await f.pfadd('s', 'x', 'y', 'z')).to.equal(1);
    expect(await f.pfmerge('m', 'h', 's')).to.equal('OK');
    await c.settle();
    const ids = c.running();
    // A read on each node: answers agree and no node's bytes change.
    const counts = await Promise.all(ids.map((id) => c.client(id).pfcount('m')));
    expect(new Set(counts).size).to.equal(1);
    for (const key of ['h', 's', 'm']) {
      const values = await Promise.all(ids.map((id) => c.client(id).getBuffer(key)));
      for (const v of values) expect(v!.equals(values[0]!), key).to.equal(true);
      expect(values[0]![15] & 0x80).to.equal(0x80); // PFCOUNT stored nothing
    }
  });
});
