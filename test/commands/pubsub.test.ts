import { expect } from 'chai';
import Redis from 'ioredis';
import { startServer, type RunningServer } from '../support/proc';
import { RawClient, resp } from '../support/raw';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('pub/sub on one node (ioredis, raw RESP2 and RESP3)', function () {
  let srv: RunningServer;
  before(async () => {
    srv = await startServer();
  });
  after(async () => {
    await srv.stop();
  });

  it('delivers channel and pattern messages; PUBLISH counts receivers', async () => {
    const sub = new Redis({ port: srv.port });
    const pub = new Redis({ port: srv.port });
    try {
      const got: string[] = [];
      sub.on('message', (ch: string, m: string) => got.push(`${ch}:${m}`));
      sub.on('pmessage', (p: string, ch: string, m: string) => got.push(`${p}|${ch}:${m}`));
      expect(await sub.subscribe('news', 'sport')).to.equal(2);
      expect(await sub.psubscribe('n*')).to.equal(3);
      expect(await pub.publish('news', 'hello')).to.equal(2);
      expect(await pub.publish('sport', 'goal')).to.equal(1);
      expect(await pub.publish('nothing-here', 'x')).to.equal(1);
      expect(await pub.publish('other', 'x')).to.equal(0);
      await sleep(50);
      expect(got).to.have.members(['news:hello', 'n*|news:hello', 'sport:goal', 'n*|nothing-here:x']);
      expect(await pub.pubsub('CHANNELS')).to.have.members(['news', 'sport']);
      expect(await pub.pubsub('CHANNELS', 's*')).to.deep.equal(['sport']);
      expect(await pub.pubsub('NUMSUB', 'news', 'none')).to.deep.equal(['news', 1, 'none', 0]);
      expect(await pub.pubsub('NUMPAT')).to.equal(1);
      await sub.unsubscribe('news');
      expect(await pub.publish('news', 'again')).to.equal(1); // only the pattern now
    } finally {
      sub.disconnect();
      pub.disconnect();
    }
    await sleep(50);
    const probe = new Redis({ port: srv.port });
    expect(await probe.pubsub('NUMPAT')).to.equal(0); // closed connections unsubscribe
    probe.disconnect();
  });

  it('RESP2 subscribed mode allows only pub/sub commands, PING answers as an array', async () => {
    const c = await RawClient.connect(srv.port);
    try {
      c.write(resp('SUBSCRIBE', 'ch'));
      await c.waitFor((t) => t.endsWith(':1\r\n'));
      c.write(resp('GET', 'k'));
      await c.waitFor((t) => t.includes("Can't execute"));
      expect(c.received).to.contain("-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n");
      c.write(resp('PING'));
      await c.waitFor((t) => t.endsWith('*2\r\n$4\r\npong\r\n$0\r\n\r\n'));
      c.write(resp('UNSUBSCRIBE'));
      await c.waitFor((t) => t.endsWith('*3\r\n$11\r\nunsubscribe\r\n$2\r\nch\r\n:0\r\n'));
      c.write(resp('GET', 'k'));
      await c.waitFor((t) => t.endsWith('$-1\r\n'));
    } finally {
      c.close();
    }
  });

  it('RESP3 clients get push messages and may run other commands while subscribed', async () => {
    const c = await RawClient.connect(srv.port);
    const pub = new Redis({ port: srv.port });
    try {
      c.write(Buffer.concat([resp('HELLO', '3'), resp('SUBSCRIBE', 'r3')]));
      await c.waitFor((t) => t.endsWith('>3\r\n$9\r\nsubscribe\r\n$2\r\nr3\r\n:1\r\n'));
      c.write(resp('GET', 'nokey'));
      await c.waitFor((t) => t.endsWith('_\r\n'));
      await pub.publish('r3', 'pushed');
      await c.waitFor((t) => t.endsWith('>3\r\n$7\r\nmessage\r\n$2\r\nr3\r\n$6\r\npushed\r\n'));
    } finally {
      c.close();
      pub.disconnect();
    }
  });
});
