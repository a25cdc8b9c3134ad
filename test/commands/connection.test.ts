import { expect } from 'chai';
import { redisPython } from '../support/python';
import { spawnSync } from 'node:child_process';
import Redis from 'ioredis';
import { REDIS_COMPAT_VERSION } from '../../server/info';
import { startServer, type RunningServer } from '../support/proc';
import { RawClient, resp } from '../support/raw';

describe('connection and server commands (ioredis, raw RESP)', function () {
  let srv: RunningServer;
  let r: Redis;

  before(async () => {
    srv = await startServer();
    r = new Redis({ port: srv.port, lazyConnect: true, maxRetriesPerRequest: 0 });
    await r.connect();
  });
  after(async () => {
    r.disconnect();
    await srv.stop();
  });

  it('the internal forwarding commands (peer links only) are unknown to clients and to scripts', async () => {
    // Followers hand these to the leader over the authenticated peer link (server/server.ts, server/forwarding.ts).
    for (const name of ['\u0000raftcache.popack', '\u0000raftcache.multi', '\u0000raftcache.block', '\u0000raftcache.unblock', '\u0000raftcache.acl', '\u0000raftcache.runas']) {
      expect(String(await r.call(name, '1').catch((e: Error) => e))).to.contain(`ERR unknown command '${name}'`);
      const viaScript = await r.eval(`return redis.call('${name.replace('\u0000', '\\0')}', '1')`, 0).catch((e: Error) => e);
      expect(String(viaScript)).to.contain('Unknown Redis command called from script');
    }
  });

  it('answers a 20,000-command pipeline of writes and reads in order, each read seeing the writes before it', async () => {
    // Deep pipelines go through the reply queue's scan pointer and chunked compaction (server/connection.ts).
    const p = r.pipeline();
    const expected: unknown[] = [];
    let n = 0;
    for (let i = 0; i < 20000; i++) {
      if (i % 3 === 0) {
        p.incr('deep:n');
        expected.push(++n);
      } else if (i % 3 === 1) {
        p.get('deep:n');
        expected.push(String(n));
      } else {
        p.set(`deep:k${i % 50}`, String(i));
        expected.push('OK');
      }
    }
    p.get('deep:k49');
    expected.push(String(Array.from({ length: 20000 }, (_, i) => i).filter((i) => i % 3 === 2 && i % 50 === 49).pop()));
    const replies = (await p.exec())!;
    expect(replies.filter(([err]) => err !== null)).to.deep.equal([]);
    expect(replies.map(([, v]) => v)).to.deep.equal(expected);
  });

  it('a pipeline mixing large values and small commands is fed in pieces and answered whole, in order', async () => {
    // server/connection.ts feeds received bytes a 4 KB piece at a time, about 48 requests or 64 KB a turn:
    // values far larger than a piece (and than a turn) must cross many pieces and turns intact.
    const sizes = [5000, 70000, 300000, 1 << 20, 4095, 4096, 4097];
    const value = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));
    const p = r.pipeline();
    const expected: unknown[] = [];
    for (let i = 0; i < 600; i++) {
      if (i % 100 === 7) {
        const v = value(sizes[(i / 100) | 0], i);
        p.set(`feed:big${i}`, v);
        p.strlen(`feed:big${i}`);
        p.getBuffer(`feed:big${i}`);
        expected.push('OK', v.length, v);
      } else {
        p.rpush('feed:list', `e${i}`);
        expected.push(null); // the list's length, checked below
      }
    }
    const replies = (await p.exec())!;
    expect(replies.filter(([err]) => err !== null)).to.deep.equal([]);
    let len = 0;
    replies.forEach(([, v], i) => {
      if (expected[i] === null) expect(v, `reply ${i}`).to.equal(++len);
      else if (Buffer.isBuffer(expected[i])) expect((v as Buffer).equals(expected[i] as Buffer), `reply ${i}`).to.equal(true);
      else expect(v, `reply ${i}`).to.equal(expected[i]);
    });
    expect(await r.lrange('feed:list', 0, 2)).to.deep.equal(['e0', 'e1', 'e2']);
  });

  it('PING and ECHO', async () => {
    expect(await r.ping()).to.equal('PONG');
    expect(await r.ping('hi')).to.equal('hi');
    expect(await r.echo('hello world')).to.equal('hello world');
    expect(String(await r.call('ping', 'a', 'b').catch((e: Error) => e))).to.contain("ERR wrong number of arguments for 'ping' command");
  });

  it('answers unknown commands and wrong arity with Redis wording', async () => {
    const err1 = await r.call('foo', 'a', 'b').catch((e: Error) => e);
    expect(String(err1)).to.contain("ERR unknown command 'foo', with args beginning with: 'a' 'b' ");
    const err2 = await r.call('get').catch((e: Error) => e);
    expect(String(err2)).to.contain("ERR wrong number of arguments for 'get' command");
    const err3 = await r.call('client', 'nope').catch((e: Error) => e);
    expect(String(err3)).to.contain("ERR unknown subcommand 'nope'. Try CLIENT HELP.");
    const err4 = await r.call('client', 'id', 'x').catch((e: Error) => e);
    expect(String(err4)).to.contain("ERR wrong number of arguments for 'client|id' command");
  });

  it('SELECT switches between 16 databases', async () => {
    const c = new Redis({ port: srv.port });
    try {
      await c.select(3);
      await c.set('dbkey', 'three');
      await c.select(0);
      expect(await c.get('dbkey')).to.equal(null);
      await c.select(3);
      expect(await c.get('dbkey')).to.equal('three');
      expect(String(await c.select(16).catch((e: Error) => e))).to.contain('ERR DB index is out of range');
      expect(String(await c.call('select', 'x').catch((e: Error) => e))).to.contain('ERR value is not an integer or out of range');
    } finally {
      c.disconnect();
    }
  });

  it('CLIENT ID, SETNAME, GETNAME, INFO, LIST, KILL', async () => {
    const c = new Redis({ port: srv.port });
    try {
      const id = (await c.client('ID')) as number;
      expect(id).to.be.a('number');
      expect(await c.client('GETNAME')).to.equal(null);
      expect(await c.client('SETNAME', 'worker-1')).to.equal('OK');
      expect(await c.client('GETNAME')).to.equal('worker-1');
      expect(String(await c.client('SETNAME', 'bad name').catch((e: Error) => e))).to.contain(
        'ERR Client names cannot contain spaces, newlines or special characters.',
      );
      const info = (await c.client('INFO')) as string;
      expect(info).to.match(new RegExp(`^id=${id} addr=127\\.0\\.0\\.1:\\d+ .* name=worker-1 .* db=0 `));
      const list = (await r.client('LIST')) as string;
      expect(list).to.contain(`id=${id} `);
      expect(list.trim().split('\n').length).to.be.at.least(2);
      expect(await r.client('KILL', 'ID', String(id))).to.equal(1);
      expect(await r.client('KILL', 'ID', String(id))).to.equal(0);
    } finally {
      c.disconnect();
    }
  });

  it('INFO has the Redis sections and fields tools parse', async () => {
    await r.set('infokey', 'v');
    const info = await r.info();
    for (const f of ['# Server', 'redis_version:', 'process_id:', 'tcp_port:', '# Clients', 'connected_clients:', '# Memory', 'used_memory:', '# Stats', 'total_commands_processed:', '# Replication', 'role:master', '# Keyspace', 'db0:keys=']) {
      expect(info).to.contain(f);
    }
    expect(info).to.contain(`process_id:${srv.proc.pid}`);
    // RSS over used_memory, as Redis reports it (dashboards alert on it).
    const m = /used_memory:(\d+)\r\n[\s\S]*used_memory_rss:(\d+)\r\n[\s\S]*mem_fragmentation_ratio:([\d.]+)\r\n/.exec(info);
    expect(m, 'used_memory, used_memory_rss, mem_fragmentation_ratio').to.not.equal(null);
    expect(Number(m![3])).to.be.closeTo(Number(m![2]) / Number(m![1]), 0.01);
    const cs = await r.info('commandstats');
    expect(cs).to.match(/cmdstat_set:calls=\d+,usec=\d+,usec_per_call=[\d.]+,rejected_calls=\d+,failed_calls=\d+/);
  });

  it('INFO has the Redis 7 sections: default, all/everything, several names, any case, fixed order', async () => {
    const headers = (text: string) => text.split('\r\n').filter((l) => l.startsWith('# '));
    const byDefault = ['# Server', '# Clients', '# Memory', '# Persistence', '# Stats', '# Replication', '# Raft', '# CPU', '# Modules', '# Errorstats', '# Cluster', '# Keyspace'];
    await r.set('infokey', 'v');
    expect(headers(await r.info())).to.deep.equal(byDefault);
    expect(headers((await r.call('info', 'default')) as string)).to.deep.equal(byDefault);
    const all = [...byDefault.slice(0, 9), '# Commandstats', ...byDefault.slice(9)];
    expect(headers((await r.call('info', 'all')) as string)).to.deep.equal(all);
    expect(headers((await r.call('info', 'EVERYTHING')) as string)).to.deep.equal(all);
    expect(headers((await r.call('info', 'keyspace', 'Cpu', 'nosuch')) as string)).to.deep.equal(['# CPU', '# Keyspace']);
    expect(headers((await r.call('info', 'default', 'commandstats')) as string)).to.deep.equal(all);
    expect(await r.call('info', 'nosuch')).to.equal('');
    // redis-py's test suite reads cluster_enabled before its first test.
    expect(await r.call('info', 'cluster')).to.equal('# Cluster\r\ncluster_enabled:0\r\n');
    expect(await r.call('info', 'modules')).to.equal('# Modules\r\n');
    expect(await r.call('info', 'module_list')).to.equal('# Modules\r\n');
    const cpu = (await r.call('info', 'cpu')) as string;
    for (const f of ['used_cpu_sys', 'used_cpu_user', 'used_cpu_sys_children', 'used_cpu_user_children', 'used_cpu_sys_main_thread', 'used_cpu_user_main_thread']) {
      expect(cpu).to.match(new RegExp(`\\r\\n${f}:\\d+\\.\\d{6}\\r\\n`));
    }
    expect(Number(/used_cpu_user:([\d.]+)/.exec(cpu)![1])).to.be.greaterThan(0);
  });

  it('INFO errorstats counts every error reply by code as Redis does (also inside EXEC); RESETSTAT clears it', async () => {
    const c = new Redis({ port: srv.port });
    try {
      expect(await r.config('RESETSTAT')).to.equal('OK');
      await c.set('notint', 'abc');
      await c.call('nosuchcommand').catch(() => undefined); // ERR unknown command
      await c.call('get').catch(() => undefined); // ERR wrong number of arguments
      await c.incr('notint').catch(() => undefined); // ERR value is not an integer
      const tx = await c.multi().incr('notint').set('x', '1').exec(); // one ERR inside EXEC
      expect(String(tx![0][0])).to.contain('ERR value is not an integer');
      await c.multi().call('nosuchcommand').exec().catch(() => undefined); // ERR unknown command, then EXECABORT
      const stats = (await r.info('errorstats')) as string;
      expect(stats).to.equal('# Errorstats\r\nerrorstat_ERR:count=5\r\nerrorstat_EXECABORT:count=1\r\n');
      expect(await r.info('stats')).to.contain('\r\ntotal_error_replies:6\r\n');
      const cs = (await r.info('commandstats')) as string;
      expect(cs).to.match(/cmdstat_incr:calls=1,.*failed_calls=1\r\n/);
      expect(cs).to.match(/cmdstat_exec:calls=2,.*failed_calls=1\r\n/);
      expect(await r.config('RESETSTAT')).to.equal('OK');
      expect(await r.info('errorstats')).to.equal('# Errorstats\r\n');
    } finally {
      c.disconnect();
    }
  });

  it("redis-py's own test suite can start: its conftest reads redis_version, arch_bits, cluster_enabled, modules", function () {
    const py = redisPython();
    if (spawnSync(py, ['-c', 'import redis']).status !== 0) this.skip();
    // What tests/conftest.py's pytest_sessionstart and the `r` fixture do before the first test.
    const script = [
      'import redis',
      `client = redis.Redis(port=${srv.port})`,
      'info = client.info()',
      'REDIS_INFO = {"version": info["redis_version"], "arch_bits": info["arch_bits"], "cluster_enabled": info["cluster_enabled"], "enterprise": info.get("enterprise", False)}',
      'try:\n    REDIS_INFO["modules"] = info["modules"]\nexcept KeyError:\n    pass',
      'for args in [(), ("everything",), ("all",), ("server", "cpu"), ("errorstats",), ("cluster",), ("modules",)]:\n    client.info(*args)',
      'client.flushdb()',
      'print(REDIS_INFO)',
    ].join('\n');
    const out = spawnSync(py, ['-c', script], { encoding: 'utf8' });
    expect(out.stderr).to.equal('');
    expect(out.stdout.trim()).to.equal(`{'version': '${REDIS_COMPAT_VERSION}', 'arch_bits': 64, 'cluster_enabled': 0, 'enterprise': False}`);
  });

  it('CONFIG GET/SET/RESETSTAT', async () => {
    expect(await r.config('GET', 'save')).to.deep.equal(['save', '']);
    expect(await r.config('GET', 'appendonly')).to.deep.equal(['appendonly', 'no']);
    expect(await r.config('GET', 'maxclients')).to.deep.equal(['maxclients', '10000']);
    expect(await r.config('SET', 'maxclients', '500')).to.equal('OK');
    expect(await r.config('GET', 'maxclients')).to.deep.equal(['maxclients', '500']);
    expect(String(await r.config('SET', 'maxclients', 'abc').catch((e: Error) => e))).to.contain(
      "ERR CONFIG SET failed (possibly related to argument 'maxclients')",
    );
    expect(String(await r.config('SET', 'nosuch', '1').catch((e: Error) => e))).to.contain(
      "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'",
    );
    expect(await r.config('RESETSTAT')).to.equal('OK');
  });

  it('CONFIG GET takes several parameters and patterns and answers their union, each once (Redis 7)', async () => {
    const get = async (...args: string[]) => {
      const flat = (await r.call('config', 'get', ...args)) as string[];
      const out: Record<string, string> = {};
      for (let i = 0; i < flat.length; i += 2) out[flat[i]] = flat[i + 1];
      expect(Object.keys(out).length * 2).to.equal(flat.length); // no parameter twice
      return out;
    };
    const { maxclients } = await get('maxclients');
    expect(await get('maxclients', 'maxmemory', 'appendonly', 'no-such-param')).to.deep.equal({ maxclients, maxmemory: '0', appendonly: 'no' });
    const union = await get('maxmemory*', 'slowlog-*', 'maxmemory');
    expect(union).to.deep.equal({
      maxmemory: '0',
      'maxmemory-policy': 'noeviction',
      'slowlog-log-slower-than': (await get('slowlog-log-slower-than'))['slowlog-log-slower-than'],
      'slowlog-max-len': '128',
    });
    // An exact name is answered under the spelling asked; a pattern under the parameter's own name.
    expect(await get('MAXCLIENTS', 'MaxMemory-*')).to.deep.equal({ MAXCLIENTS: maxclients, 'maxmemory-policy': 'noeviction' });
  });

  it('TIME returns seconds and microseconds', async () => {
    const [s, us] = (await r.time()) as unknown as [string, string];
    expect(Math.abs(Number(s) - Date.now() / 1000)).to.be.lessThan(5);
    expect(Number(us)).to.be.within(0, 999999);
    // 5,000 TIMEs in a pipeline never go backwards, and their microseconds are not stuck on whole milliseconds.
    const p = r.pipeline();
    for (let i = 0; i < 5000; i++) p.time();
    const times = ((await p.exec()) ?? []).map(([, t]) => t as [string, string]).map(([sec, micros]) => Number(sec) * 1e6 + Number(micros));
    for (let i = 1; i < times.length; i++) expect(times[i], `TIME #${i}`).to.be.at.least(times[i - 1]);
    expect(times.some((t) => t % 1000 !== 0)).to.equal(true);
  });

  it('COMMAND COUNT, INFO and DOCS come from the command table', async () => {
    const count = (await r.call('command', 'count')) as number;
    expect(count).to.be.greaterThan(40);
    const [get] = (await r.command('INFO', 'get')) as unknown[][];
    expect(get.slice(0, 6)).to.deep.equal(['get', 2, ['readonly', 'fast'], 1, 1, 1]);
    const [set] = (await r.command('INFO', 'set')) as unknown[][];
    expect(set[1]).to.equal(-3);
    expect(await r.command('INFO', 'nosuchcmd')).to.deep.equal([null]);
    const docs = (await r.call('command', 'docs', 'set')) as unknown[];
    expect(docs[0]).to.equal('set');
    const body = docs[1] as unknown[];
    expect(body).to.include('summary');
    expect(body).to.include('arguments');
    const all = (await r.call('command')) as unknown[];
    expect(all.length).to.equal(count);
  });

  it('HELLO 3 switches to RESP3 maps and nulls; HELLO 4 is refused', async () => {
    const c = await RawClient.connect(srv.port);
    try {
      c.write(resp('HELLO', '3'));
      const hello = await c.waitFor((t) => t.includes('modules'));
      expect(hello.startsWith('%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n')).to.equal(true);
      c.write(resp('GET', 'no-such-key-resp3'));
      await c.waitFor((t) => t.endsWith('_\r\n'));
      c.write(resp('HELLO', '4'));
      const t = await c.waitFor((x) => x.includes('NOPROTO'));
      expect(t).to.contain('-NOPROTO unsupported protocol version\r\n');
    } finally {
      c.close();
    }
  });

  it('QUIT answers +OK and closes', async () => {
    const c = await RawClient.connect(srv.port);
    c.write(resp('QUIT'));
    const t = await c.waitClosed();
    expect(t).to.equal('+OK\r\n');
    expect(c.closed).to.equal(true);
  });

  it('RESET restores the default connection state', async () => {
    const c = await RawClient.connect(srv.port);
    try {
      c.write(Buffer.concat([resp('SELECT', '2'), resp('CLIENT', 'SETNAME', 'x'), resp('RESET'), resp('CLIENT', 'GETNAME')]));
      const t = await c.waitFor((x) => x.endsWith('$-1\r\n'));
      expect(t).to.equal('+OK\r\n+OK\r\n+RESET\r\n$-1\r\n');
    } finally {
      c.close();
    }
  });
});

describe('AUTH with requirepass', function () {
  let srv: RunningServer;
  before(async () => {
    srv = await startServer(['--requirepass', 's3cret']);
  });
  after(async () => {
    await srv.stop();
  });

  it('refuses commands before AUTH and accepts the right password', async () => {
    const c = await RawClient.connect(srv.port);
    try {
      c.write(resp('GET', 'k'));
      expect(await c.waitFor((t) => t.includes('\r\n'))).to.equal('-NOAUTH Authentication required.\r\n');
      c.write(resp('AUTH', 'wrong'));
      await c.waitFor((t) => t.includes('WRONGPASS'));
      expect(c.received).to.contain('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
      c.write(resp('AUTH', 's3cret'));
      await c.waitFor((t) => t.endsWith('+OK\r\n'));
      c.write(resp('PING'));
      await c.waitFor((t) => t.endsWith('+PONG\r\n'));
    } finally {
      c.close();
    }
  });

  it('ioredis connects with a password, and HELLO AUTH works', async () => {
    const r = new Redis({ port: srv.port, password: 's3cret' });
    try {
      expect(await r.set('a', '1')).to.equal('OK');
    } finally {
      r.disconnect();
    }
    const c = await RawClient.connect(srv.port);
    try {
      c.write(resp('HELLO', '2', 'AUTH', 'default', 's3cret'));
      await c.waitFor((t) => t.includes('modules'));
      expect(c.received.startsWith('*14\r\n')).to.equal(true);
    } finally {
      c.close();
    }
  });
});
