/**
 * redis.call('object', ...) from scripts answers as redis-server 7.0.15 does
 * (side by side): ENCODING, REFCOUNT, FREQ, HELP, their arity and unknown
 * subcommand errors. IDLETIME is refused here ("not allowed from script"):
 * it counts each node's own reads, so a replicated script could diverge.
 */
import { expect } from 'chai';
import Redis from 'ioredis';
import { serverForSuite } from '../support/proc';
import { startReferenceRedis, type ReferenceRedis } from '../support/reference-redis';

const SCRIPTS = [
  "redis.call('rpush','l','a'); return redis.call('object','encoding','l')",
  "redis.call('set','n','12'); return redis.call('object','refcount','n')",
  "redis.call('set','s','hello'); return {redis.call('object','encoding','s'), redis.call('object','refcount','s')}",
  "redis.call('hset','h','f','v'); return redis.call('object','encoding','h')",
  "return redis.call('object','encoding','nokey')",
  "return redis.call('object','freq','l')",
  "return redis.call('object','foo','l')",
  "return redis.call('object','encoding')",
  'return redis.call(\'object\')',
  "return redis.call('object','help')",
];

async function answer(r: Redis, script: string): Promise<unknown> {
  try {
    return await r.eval(script, 0);
  } catch (e) {
    // The script's sha differs between runs of the same text: compare the message up to it.
    return `error: ${String((e as Error).message).replace(/ script: .*/, '')}`;
  }
}

describe('OBJECT from scripts', function () {
  this.timeout(30000);
  const t = serverForSuite();
  let ref: ReferenceRedis | undefined;
  let rr: Redis | undefined;
  before(async () => {
    ref = await startReferenceRedis().catch(() => undefined);
    if (ref) rr = new Redis({ port: ref.port });
  });
  after(async () => {
    rr?.disconnect();
    await ref?.stop();
  });

  it('answers ENCODING, REFCOUNT, FREQ and HELP as redis-server does', async function () {
    expect(await answer(t.r, SCRIPTS[0])).to.equal('quicklist');
    if (!rr) this.skip();
    for (const s of SCRIPTS) expect(await answer(t.r, s), s).to.deep.equal(await answer(rr, s));
  });

  it('refuses IDLETIME (node-local), and checks ACL key patterns', async () => {
    expect(await answer(t.r, "return redis.call('object','idletime','l')")).to.equal('error: ERR This Redis command is not allowed from script');
    await t.r.call('ACL', 'SETUSER', 'objuser', 'on', '>pw', '~allowed*', '+@all');
    const u = new Redis({ port: t.srv.port, username: 'objuser', password: 'pw' });
    try {
      await u.set('allowed1', 'x');
      expect(await answer(u, "return redis.call('object','encoding','allowed1')")).to.equal('embstr');
      expect(await answer(u, "return redis.call('object','encoding','secret')")).to.equal("error: ERR The user executing the script can't access at least one of the keys mentioned in the command arguments");
    } finally {
      u.disconnect();
      await t.r.call('ACL', 'DELUSER', 'objuser');
    }
  });
});
