import { expect } from 'chai';
import { redisPython } from '../support/python';
import { spawnSync } from 'node:child_process';
import { serverForSuite } from '../support/proc';

/**
 * redis-py (a second real client, its own reply parsing and response
 * callbacks) drives every data-type family the way applications do: sessions
 * as hashes, a queue with a blocking pop, tags as sets, a leaderboard as a
 * sorted set, a bitmap of daily logins. The script prints one JSON document
 * the test compares (the expected document is what the same script prints
 * against redis-server 7.0.15).
 */
const SCRIPT = `
import json, sys, redis
r = redis.Redis(port=int(sys.argv[1]), decode_responses=True)
r.flushdb()
out = {}
r.hset("session:1", mapping={"user": "ada", "visits": 1})
r.hincrby("session:1", "visits", 2)
out["session"] = r.hgetall("session:1")
out["hmget"] = r.hmget("session:1", ["user", "nope"])
r.rpush("jobs", "a", "b", "c")
out["blpop"] = list(r.blpop(["none", "jobs"], timeout=1))
out["lrange"] = r.lrange("jobs", 0, -1)
out["blpop_timeout"] = r.blpop(["none"], timeout=0.1)
out["lmove"] = r.lmove("jobs", "done", "LEFT", "RIGHT")
r.sadd("tags", "x", "y", "z")
out["smembers"] = sorted(r.smembers("tags"))
out["sismember"] = r.sismember("tags", "y")
out["smismember"] = r.smismember("tags", ["x", "q"])
r.zadd("board", {"ada": 10, "bob": 7.5, "cy": 12})
r.zincrby("board", 5, "bob")
out["top"] = r.zrevrange("board", 0, 1, withscores=True)
out["rank"] = r.zrank("board", "ada")
out["byscore"] = r.zrangebyscore("board", 11, "+inf")
out["zpopmin"] = r.zpopmin("board")
r.setbit("logins", 7, 1)
r.setbit("logins", 100, 1)
out["bitcount"] = r.bitcount("logins")
out["getbit"] = r.getbit("logins", 100)
out["type"] = [r.type(k) for k in ["session:1", "jobs", "tags", "board", "logins", "none"]]
try:
    r.lpush("session:1", "x")
except redis.ResponseError as e:
    out["wrongtype"] = str(e)
print(json.dumps(out))
`;

describe('redis-py on every data type', function () {
  this.timeout(30000);
  const t = serverForSuite();

  it('sessions, queues, tags, leaderboards and bitmaps work through redis-py', function () {
    const py = redisPython();
    if (spawnSync(py, ['-c', 'import redis']).status !== 0) this.skip();
    const run = spawnSync(py, ['-c', SCRIPT, String(t.srv.port)], { encoding: 'utf8' });
    expect(run.stderr).to.equal('');
    const out = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(out).to.deep.equal({
      session: { user: 'ada', visits: '3' },
      hmget: ['ada', null],
      blpop: ['jobs', 'a'],
      lrange: ['b', 'c'],
      blpop_timeout: null,
      lmove: 'b',
      smembers: ['x', 'y', 'z'],
      sismember: true,
      smismember: [1, 0],
      top: [
        ['bob', 12.5],
        ['cy', 12],
      ],
      rank: 0,
      byscore: ['cy', 'bob'],
      zpopmin: [['ada', 10]],
      bitcount: 2,
      getbit: 1,
      type: ['hash', 'list', 'set', 'zset', 'string', 'none'],
      wrongtype: 'WRONGTYPE Operation against a key holding the wrong kind of value',
    });
  });
});
