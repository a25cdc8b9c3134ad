import { expect } from 'chai';
import Redis from 'ioredis';
import { startServer, type RunningServer } from '../support/proc';
import { RawClient, resp } from '../support/raw';

/** The server's RESP front end as bad or unusual clients meet it: real sockets, exact bytes. */
describe('RESP front end over TCP', function () {
  let srv: RunningServer;
  before(async () => {
    srv = await startServer(['--proto-max-bulk-len', '1mb']);
  });
  after(async () => {
    await srv.stop();
  });

  async function exchange(bytes: string | Buffer, until: (t: string) => boolean): Promise<RawClient> {
    const c = await RawClient.connect(srv.port);
    c.write(bytes);
    await c.waitFor(until);
    return c;
  }

  it('answers inline commands as telnet sends them', async () => {
    const c = await exchange('PING\r\nset inl "a b"\r\nget inl\r\n\r\necho \'x y\'\n', (t) => t.includes('x y'));
    expect(c.received).to.equal('+PONG\r\n+OK\r\n$3\r\na b\r\n$3\r\nx y\r\n');
    c.close();
  });

  it('answers pipelined requests in order, across any split of the bytes', async () => {
    const reqs = Buffer.concat([resp('SET', 'p1', 'v\r\n1'), resp('GET', 'p1'), resp('INCR', 'ctr-split'), resp('GET', 'p1'), Buffer.from('PING\r\n')]);
    const expected = ['+OK\r\n', '$4\r\nv\r\n1\r\n'];
    for (const split of [1, 3, 7, 11, 17, 29]) {
      const c = await RawClient.connect(srv.port);
      for (let i = 0; i < reqs.length; i += split) {
        c.write(reqs.subarray(i, i + split));
        await new Promise((r) => setTimeout(r, 1));
      }
      const t = await c.waitFor((x) => x.endsWith('+PONG\r\n'));
      expect(t.startsWith(expected.join(''))).to.equal(true, `split ${split}: ${JSON.stringify(t)}`);
      expect(t).to.match(/^\+OK\r\n\$4\r\nv\r\n1\r\n:\d+\r\n\$4\r\nv\r\n1\r\n\+PONG\r\n$/);
      c.close();
    }
  });

  it('a pipeline reads its own writes (reads wait for earlier writes)', async () => {
    const reqs: Buffer[] = [];
    for (let i = 0; i < 50; i++) reqs.push(resp('INCR', 'ryw'), resp('GET', 'ryw'));
    const c = await exchange(Buffer.concat(reqs), (t) => t.split('\r\n').length > 150);
    const lines = c.received.split('\r\n');
    // Pairs of `:n` then `$len` `n`: the GET after each INCR sees that INCR.
    for (let i = 0; i < 50; i++) {
      const n = lines[i * 3].slice(1);
      expect(lines[i * 3 + 2]).to.equal(n);
    }
    c.close();
  });

  for (const [name, bytes, error] of [
    ['bad multibulk length', '*abc\r\n', '-ERR Protocol error: invalid multibulk length\r\n'],
    ['bad bulk length', '*1\r\n$x\r\n', '-ERR Protocol error: invalid bulk length\r\n'],
    ['bulk over proto-max-bulk-len', '*2\r\n$3\r\nSET\r\n$2000000\r\n', '-ERR Protocol error: invalid bulk length\r\n'],
    ['non-bulk element', '*1\r\n:1\r\n', "-ERR Protocol error: expected '$', got ':'\r\n"],
    ['unbalanced quotes', 'SET a "b\r\n', '-ERR Protocol error: unbalanced quotes in request\r\n'],
  ] as const) {
    it(`answers a protocol error and closes: ${name}`, async () => {
      const c = await exchange(bytes, () => false);
      await c.waitClosed();
      expect(c.received).to.equal(error);
      expect(c.closed).to.equal(true);
    });
  }

  it('a hostile length prefix does not make the server allocate it', async () => {
    const c = await RawClient.connect(srv.port);
    c.write('*2\r\n$3\r\nSET\r\n$1000000\r\nabc');
    await new Promise((r) => setTimeout(r, 100));
    const probe = new Redis({ port: srv.port });
    const list = (await probe.client('LIST')) as string;
    const line = list.split('\n').find((l) => / cmd=NULL /.test(l) && !/cmd=client/.test(l)) ?? '';
    const qbuf = Number(/qbuf=(\d+)/.exec(line)?.[1] ?? '0');
    expect(qbuf).to.be.lessThan(64 * 1024);
    probe.disconnect();
    c.close();
  });

  it('survives a garbage corpus and keeps serving other clients', async () => {
    const corpus = ['\x00\x01\x02', '*-5\r\n', '$5\r\nhello\r\n', '*1\r\n$-1\r\n', '*3\r\n$3\r\nSET\r\n$1\r\na\r\n', '"""\r\n', '*1\r\n$3\r\nfoo\r\nxx', '\r\n\r\n\r\n'];
    for (const g of corpus) {
      const c = await RawClient.connect(srv.port);
      c.write(g);
      await c.waitFor(() => false, 50);
      c.close();
    }
    const r = new Redis({ port: srv.port });
    expect(await r.ping()).to.equal('PONG');
    r.disconnect();
  });
});
