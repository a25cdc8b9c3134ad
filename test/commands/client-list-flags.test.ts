/**
 * CLIENT LIST's flags, multi, cmd and redir fields for clients in MULTI and
 * with tracking on, side by side with redis-server 7.0.15 (monitoring tools
 * and operators read them to find stuck transactions).
 */
import { expect } from 'chai';
import net from 'node:net';
import Redis from 'ioredis';
import { serverForSuite } from '../support/proc';
import { startReferenceRedis, type ReferenceRedis } from '../support/reference-redis';

/** The fields that must agree, for the clients named `watcher` and `tr`. */
async function lines(port: number): Promise<string[]> {
  const a = net.connect(port, '127.0.0.1');
  const b = net.connect(port, '127.0.0.1');
  a.on('data', () => undefined);
  b.on('data', () => undefined);
  a.write('CLIENT SETNAME watcher\r\nCLIENT TRACKING on BCAST\r\nMULTI\r\nSET a 1\r\nGET a\r\n');
  b.write('CLIENT SETNAME tr\r\nCLIENT TRACKING on\r\n');
  const r = new Redis({ port });
  try {
    for (let i = 0; i < 50; i++) {
      const list = String(await r.client('LIST')).split('\n');
      const mine = list.filter((l) => /name=(watcher|tr) /.test(l));
      if (mine.length === 2 && mine.some((l) => / multi=2 /.test(l))) {
        return mine.map((l) => ['name', 'flags', 'multi', 'cmd'].map((f) => new RegExp(` ${f}=(\\S*)`).exec(l)?.[0]).join('')).sort();
      }
      await new Promise((res) => setTimeout(res, 20));
    }
    throw new Error('the clients did not get there');
  } finally {
    r.disconnect();
    a.destroy();
    b.destroy();
  }
}

describe('CLIENT LIST flags of transactions and tracking', function () {
  this.timeout(30000);
  const t = serverForSuite();
  let ref: ReferenceRedis | undefined;
  before(async () => {
    ref = await startReferenceRedis().catch(() => undefined);
  });
  after(async () => {
    await ref?.stop();
  });

  it('x in MULTI with multi=<queued>, t and B for tracking, cmd= the last queued command; as redis-server', async function () {
    const mine = await lines(t.srv.port);
    expect(mine).to.deep.equal([' name=tr flags=t multi=-1 cmd=client|tracking', ' name=watcher flags=xtB multi=2 cmd=get']);
    if (!ref) this.skip();
    expect(mine).to.deep.equal(await lines(ref.port));
  });
});
