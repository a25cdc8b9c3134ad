/**
 * INFO stats total_net_input_bytes / total_net_output_bytes count every byte
 * clients send and receive, as redis-server does (monitoring such as
 * redis_exporter graphs them), checked side by side with redis-server on the
 * same raw exchange.
 */
import { expect } from 'chai';
import net from 'node:net';
import { startServer, type RunningServer } from '../support/proc';
import { startReferenceRedis, type ReferenceRedis } from '../support/reference-redis';

/** Sends each request on one raw connection, waiting for its reply; returns the last reply's text. */
async function exchange(port: number, requests: string[]): Promise<string> {
  const s = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject));
  let last = '';
  for (const req of requests) {
    last = await new Promise<string>((resolve) => {
      let got = '';
      const onData = (d: Buffer) => {
        got += d.toString('latin1');
        // A simple reply ends at its first CRLF; a bulk one once it holds its announced length.
        const bulk = /^\$(\d+)\r\n/.exec(got);
        if ((bulk && got.length >= bulk[0].length + Number(bulk[1]) + 2) || (!bulk && got.endsWith('\r\n'))) {
          s.off('data', onData);
          resolve(got);
        }
      };
      s.on('data', onData);
      s.write(req);
    });
  }
  s.destroy();
  return last;
}

const field = (info: string, name: string): number => Number(new RegExp(`\\r\\n${name}:([\\d.]+)`).exec(info)?.[1]);

describe('INFO total_net_input_bytes / total_net_output_bytes', function () {
  this.timeout(30000);
  let mine: RunningServer;
  let ref: ReferenceRedis | undefined;
  before(async () => {
    mine = await startServer();
    ref = await startReferenceRedis().catch(() => undefined);
  });
  after(async () => {
    await mine?.stop();
    await ref?.stop();
  });

  it('count the bytes of requests and replies since CONFIG RESETSTAT, the same as redis-server', async function () {
    const requests = ['CONFIG RESETSTAT\r\n', 'PING\r\n', '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n', 'GET k\r\n', 'INFO stats\r\n'];
    const info = await exchange(mine.port, requests);
    // In: PING (6) + SET (31) + GET k (7) + INFO stats (12); out: +OK (5) + +PONG (7) + +OK (5) + $5 hello (11).
    expect(field(info, 'total_net_input_bytes')).to.equal(6 + 31 + 7 + 12);
    expect(field(info, 'total_net_output_bytes')).to.equal(5 + 7 + 5 + 11);
    for (const f of ['total_net_repl_input_bytes', 'total_net_repl_output_bytes', 'instantaneous_input_kbps', 'instantaneous_output_kbps']) expect(info).to.match(new RegExp(`\\r\\n${f}:[\\d.]+\\r\\n`));
    if (!ref) this.skip();
    const theirs = await exchange(ref.port, requests);
    expect(field(info, 'total_net_input_bytes')).to.equal(field(theirs, 'total_net_input_bytes'));
    expect(field(info, 'total_net_output_bytes')).to.equal(field(theirs, 'total_net_output_bytes'));
  });

  it('grow with traffic: a 100 KB value in and out', async () => {
    const value = 'x'.repeat(100000);
    const info = await exchange(mine.port, ['CONFIG RESETSTAT\r\n', `*3\r\n$3\r\nSET\r\n$2\r\nbk\r\n$${value.length}\r\n${value}\r\n`, 'GET bk\r\n', 'INFO stats\r\n']);
    expect(field(info, 'total_net_input_bytes')).to.be.at.least(200000 / 2);
    expect(field(info, 'total_net_output_bytes')).to.be.at.least(100000);
  });
});
