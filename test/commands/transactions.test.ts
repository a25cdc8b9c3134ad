import { expect } from 'chai';
import { redisPython } from '../support/python';
import { spawnSync } from 'node:child_process';
import Redis from 'ioredis';
import { startServer, type RunningServer } from '../support/proc';
import { RawClient, resp } from '../support/raw';


describe('MULTI/EXEC/WATCH (ioredis, raw RESP, redis-py pipeline)', function () {
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
  });

  it('applies queued commands atomically and returns their replies', async () => {
    const res = await r.multi().set('a', '1').incr('a').get('a').exec();
    expect(res).to.deep.equal([
      [null, 'OK'],
      [null, 2],
      [null, '2'],
    ]);
  });

  it('a runtime error inside EXEC fails only that command', async () => {
    await r.set('s', 'text');
    const res = await r.multi().incr('s').set('t', 'ok').exec();
    expect(res![0][0]).to.be.instanceOf(Error);
    expect(String(res![0][0])).to.contain('ERR value is not an integer or out of range');
    expect(res![1]).to.deep.equal([null, 'OK']);
  });

  it('WATCH aborts EXEC (nil) when another client changed the key, and not otherwise', async () => {
    const other = new Redis({ port: srv.port });
    try {
      await r.set('w', '1');
      await r.watch('w');
      await other.set('w', '2');
      expect(await r.multi().set('w', 'mine').exec()).to.equal(null);
      expect(await r.get('w')).to.equal('2');
      await r.watch('w');
      expect(await r.multi().set('w', 'mine').exec()).to.deep.equal([[null, 'OK']]);
      await r.set('w', 'own write before watch');
      await r.watch('w');
      expect(await r.multi().get('w').exec()).to.deep.equal([[null, 'own write before watch']]);
    } finally {
      other.disconnect();
    }
  });

  it('WATCH aborts EXEC when the watched key expires after WATCH (Redis >= 6.0.9)', async () => {
    await r.set('ttl-w', '1', 'PX', 100);
    await r.watch('ttl-w');
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await r.multi().set('ttl-other', 'x').exec()).to.equal(null);
    expect(await r.exists('ttl-other')).to.equal(0);
    // A key without a deadline, watched for the same time, does not abort.
    await r.set('no-ttl-w', '1');
    await r.watch('no-ttl-w');
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await r.multi().set('ttl-other', 'x').exec()).to.deep.equal([[null, 'OK']]);
  });

  it('PING, ECHO and TIME are queued inside MULTI as in Redis', async () => {
    const before = Math.floor(Date.now() / 1000);
    const out = (await r.multi().set('tx-p', '1').ping().echo('hi').call('time').call('ping', 'a', 'b').get('tx-p').exec()) as Array<[Error | null, unknown]>;
    expect(out.slice(0, 3)).to.deep.equal([[null, 'OK'], [null, 'PONG'], [null, 'hi']]);
    const [sec, usec] = out[3][1] as [string, string];
    expect(Number(sec)).to.be.within(before - 1, before + 5);
    expect(Number(usec)).to.be.within(0, 999999);
    expect(String(out[4][0])).to.match(/wrong number of arguments for 'ping'/);
    expect(out[5]).to.deep.equal([null, '1']);
    // Other server commands are still refused inside MULTI.
    const tx = await r.multi().set('tx-p', '2').call('client', 'id').exec().catch((e: Error) => e);
    expect(String(tx)).to.match(/EXECABORT/);
  });

  it('errors as Redis words them', async () => {
    const c = await RawClient.connect(srv.port);
    try {
      c.write(Buffer.concat([resp('EXEC'), resp('DISCARD'), resp('MULTI'), resp('MULTI'), resp('NOSUCH'), resp('SET', 'x', '1'), resp('EXEC'), resp('GET', 'x')]));
      await c.waitFor((t) => t.endsWith('$-1\r\n'));
      expect(c.received).to.equal(
        '-ERR EXEC without MULTI\r\n' +
          '-ERR DISCARD without MULTI\r\n' +
          '+OK\r\n' +
          '-ERR MULTI calls can not be nested\r\n' +
          "-ERR unknown command 'NOSUCH', with args beginning with: \r\n" +
          '+QUEUED\r\n' +
          '-EXECABORT Transaction discarded because of previous errors.\r\n' +
          '$-1\r\n',
      );
    } finally {
      c.close();
    }
  });

  it('WATCH inside MULTI answers its own error and does not abort the transaction (Redis 7)', async () => {
    const c = await RawClient.connect(srv.port);
    try {
      c.write(Buffer.concat([resp('MULTI'), resp('WATCH', 'k'), resp('SET', 'k', 'v'), resp('EXEC')]));
      await c.waitFor((t) => t.endsWith('+OK\r\n') && t.includes('*1'));
      expect(c.received).to.equal('+OK\r\n-ERR WATCH inside MULTI is not allowed\r\n+QUEUED\r\n*1\r\n+OK\r\n');
    } finally {
      c.close();
    }
    expect(await r.get('k')).to.equal('v');
    const stats = await r.info('commandstats');
    expect(stats).to.match(/cmdstat_watch:calls=\d+,.*failed_calls=[1-9]/);
  });

  it('FLUSHALL/FLUSHDB fail EXEC only for watched keys that existed (Redis 7 touchAllWatchedKeysInDb)', async () => {
    const other = new Redis({ port: srv.port });
    const tx = () => r.multi().ping().exec();
    try {
      // A watched key that did not exist: untouched by either flush.
      for (const flush of [() => other.flushall(), () => other.flushdb()]) {
        await other.set('unrelated', '1');
        await r.watch('missing');
        await flush();
        expect(await tx()).to.deep.equal([[null, 'PONG']]);
      }
      // A watched key that existed: the flush deletes it, EXEC fails.
      for (const flush of [() => other.flushall(), () => other.flushdb()]) {
        await other.set('present', '1');
        await r.watch('present');
        await flush();
        expect(await tx()).to.equal(null);
      }
      // A missing key created (and flushed away) after WATCH still fails EXEC.
      await r.watch('missing');
      await other.set('missing', '1');
      await other.flushall();
      expect(await tx()).to.equal(null);
      // Also when it was created and deleted (its tombstone), with a flush in between.
      await r.watch('missing');
      await other.set('missing', '1');
      await other.del('missing');
      await other.flushdb();
      expect(await tx()).to.equal(null);
      // SWAPDB: a watched missing key that exists in the other db fails EXEC.
      await other.select(1);
      await other.set('in-db1', '1');
      await r.watch('in-db1');
      await other.swapdb(0, 1);
      expect(await tx()).to.equal(null);
      expect(await r.get('in-db1')).to.equal('1');
    } finally {
      other.disconnect();
    }
  });

  it("redis-py's pipeline (MULTI/EXEC by default) works unchanged", function () {
    const py = redisPython();
    if (spawnSync(py, ['-c', 'import redis']).status !== 0) this.skip();
    const out = spawnSync(
      py,
      ['-c', `import redis\nr = redis.Redis(port=${srv.port})\np = r.pipeline()\np.set("py", 1).incr("py").get("py")\nprint(p.execute())`],
      { encoding: 'utf8' },
    );
    expect(out.stderr).to.equal('');
    expect(out.stdout.trim()).to.equal("[True, 2, b'2']");
  });
});
