import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { redisCli, startServer, type RunningServer } from '../support/proc';

/** The stock Redis tools, unchanged, against raftcache. */
describe('redis-cli and redis-benchmark', function () {
  this.timeout(120000);
  let srv: RunningServer;
  before(async () => {
    srv = await startServer();
  });
  after(async () => {
    await srv.stop();
  });

  it('redis-cli one-shot commands print what they print against Redis', () => {
    expect(redisCli(srv.port, ['set', 'cli-key', 'hello world']).stdout).to.equal('OK\n');
    expect(redisCli(srv.port, ['get', 'cli-key']).stdout).to.equal('hello world\n');
    expect(redisCli(srv.port, ['incr', 'cli-counter']).stdout).to.equal('1\n');
    expect(redisCli(srv.port, ['mget', 'cli-key', 'nope']).stdout).to.equal('hello world\n\n');
    expect(redisCli(srv.port, ['get', 'nope']).stdout).to.equal('\n');
    expect(redisCli(srv.port, ['nosuchcommand', 'x']).stdout).to.match(
      /^ERR unknown command 'nosuchcommand', with args beginning with: 'x' \n/,
    );
    expect(redisCli(srv.port, ['--no-raw', 'incr', 'cli-counter']).stdout).to.equal('(integer) 2\n');
  });

  it('redis-cli reads a script of commands from stdin', () => {
    const out = redisCli(srv.port, [], 'set s1 1\nincrby s1 41\nget s1\nping\n').stdout;
    expect(out).to.equal('OK\n42\n42\nPONG\n');
  });

  it('redis-cli --pipe mass insertion', () => {
    let proto = '';
    for (let i = 0; i < 1000; i++) proto += `*3\r\n$3\r\nSET\r\n$${`pipe:${i}`.length}\r\npipe:${i}\r\n$1\r\nv\r\n`;
    const r = redisCli(srv.port, ['--pipe'], proto);
    expect(r.stdout).to.contain('errors: 0, replies: 1000');
  });

  for (const pipeline of ['1', '16']) {
    it(`redis-benchmark -t ping,set,get,incr,mset -P ${pipeline} runs with zero errors`, () => {
      const r = spawnSync(
        'redis-benchmark',
        ['-p', String(srv.port), '-t', 'ping,set,get,incr,mset', '-n', '20000', '-c', '50', '-P', pipeline, '-q'],
        { encoding: 'utf8', timeout: 110000 },
      );
      const out = r.stdout + r.stderr;
      expect(r.status).to.equal(0, out);
      expect(out).to.not.match(/error|ERR/i);
      for (const t of ['PING_INLINE', 'PING_MBULK', 'SET', 'GET', 'INCR', 'MSET (10 keys)']) {
        expect(out).to.match(new RegExp(`${t.replace(/[()]/g, '\\$&')}: [\\d.]+ requests per second`), `${t} missing in ${out}`);
      }
      expect(redisCli(srv.port, ['get', 'counter:__rand_int__']).stdout.trim()).to.match(/^\d+$/);
    });
  }

  /** Every test of redis-benchmark's default list (no -t), as it names them. */
  const DEFAULT_TESTS = [
    'PING_INLINE', 'PING_MBULK', 'SET', 'GET', 'INCR', 'LPUSH', 'RPUSH', 'LPOP', 'RPOP', 'SADD', 'HSET', 'SPOP', 'ZADD',
    'ZPOPMIN', 'LPUSH (needed to benchmark LRANGE)', 'LRANGE_100 (first 100 elements)', 'LRANGE_300 (first 300 elements)',
    'LRANGE_500 (first 500 elements)', 'LRANGE_600 (first 600 elements)', 'MSET (10 keys)',
  ];

  it('redis-benchmark -q with its default test list (every data type) runs with zero errors', () => {
    const r = spawnSync('redis-benchmark', ['-p', String(srv.port), '-n', '2000', '-c', '20', '-q'], { encoding: 'utf8', timeout: 110000 });
    const out = r.stdout + r.stderr;
    expect(r.status).to.equal(0, out);
    expect(out).to.not.match(/error|ERR|WRONGTYPE/i);
    for (const t of DEFAULT_TESTS) {
      expect(out).to.match(new RegExp(`${t.replace(/[()]/g, '\\$&')}: [\\d.]+ requests per second`), `${t} missing in ${out}`);
    }
  });
});
