/**
 * redis-py's own parsers over the operations commands (MONITOR's line regex,
 * DEBUG OBJECT's and MEMORY STATS' response callbacks, COMMAND GETKEYS,
 * CLIENT PAUSE/UNPAUSE/NO-EVICT, LOLWUT): the same script against raftcache
 * and redis-server prints the same document (figures that describe the
 * server, not the command, are reduced to their types).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { serverForSuite } from '../support/proc';
import { startReferenceRedis, type ReferenceRedis } from '../support/reference-redis';

const SCRIPT = `
import json, sys, threading, time, redis
r = redis.Redis(port=int(sys.argv[1]), decode_responses=True)
r.flushdb()
out = {}
r.set("s", "hello")
r.rpush("l", "a", "b", "c")
obj = r.debug_object("s")
out["debug_object_s"] = {k: (v if k in ("encoding", "refcount", "serializedlength") else type(v).__name__) for k, v in obj.items()}
obj = r.debug_object("l")
out["debug_object_l"] = {k: (v if k.startswith("ql_") or k in ("encoding", "refcount", "serializedlength") else type(v).__name__) for k, v in obj.items()}
stats = r.memory_stats()
out["memory_stats"] = sorted((k, type(v).__name__) for k, v in stats.items())
out["getkeys"] = r.command_getkeys("ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2")
out["getkeys_sort"] = r.command_getkeys("SORT", "k", "BY", "x", "STORE", "dst")
out["no_evict"] = r.execute_command("CLIENT NO-EVICT", "ON")
out["pause"] = r.client_pause(1000, all=False)
t0 = time.time()
other = redis.Redis(port=int(sys.argv[1]), decode_responses=True)
other.get("s")
out["read_during_pause_fast"] = time.time() - t0 < 0.7
other.set("s", "after")
out["write_waited"] = time.time() - t0 >= 0.8
out["unpause"] = r.client_unpause()
out["lolwut"] = r.lolwut().splitlines()[-1].startswith("Redis ver.")
with r.monitor() as m:
    def later():
        time.sleep(0.2)
        other.set("mk", "v w")
        other.execute_command("SELECT", "2")
        other.get("x")
    threading.Thread(target=later).start()
    seen = []
    while len(seen) < 3:
        c = m.next_command()
        seen.append({k: c[k] for k in ("db", "command", "client_type")})
out["monitor"] = seen
print(json.dumps(out, sort_keys=True))
`;

describe('redis-py over the operations commands (ops)', function () {
  this.timeout(60000);
  const t = serverForSuite(['--enable-debug-command', 'yes']);
  let ref: ReferenceRedis;
  before(async () => {
    ref = await startReferenceRedis(['--enable-debug-command', 'yes']);
  });
  after(async () => {
    await ref?.stop();
  });

  it('prints the same document against raftcache and redis-server', function () {
    const py = spawnSync('python3', ['-c', 'import redis']).status === 0 ? 'python3' : '/usr/bin/python3';
    if (spawnSync(py, ['-c', 'import redis']).status !== 0) this.skip();
    const run = (port: number) => {
      const p = spawnSync(py, ['-c', SCRIPT, String(port)], { encoding: 'utf8', timeout: 30000 });
      expect(p.stderr).to.equal('');
      return JSON.parse(p.stdout) as Record<string, unknown>;
    };
    const ours = run(t.srv.port);
    expect(ours).to.deep.equal(run(ref.port));
    expect(ours.monitor).to.deep.equal([
      { db: 0, command: 'SET mk v w', client_type: 'tcp' },
      { db: 2, command: 'SELECT 2', client_type: 'tcp' },
      { db: 2, command: 'GET x', client_type: 'tcp' },
    ]);
  });
});
