import { expect } from 'chai';
import net from 'node:net';
import { LinkProxy } from './proxy';

/** An echo server and a client through a LinkProxy to it. */
async function setup(): Promise<{ proxy: LinkProxy; echo: net.Server; close: () => Promise<void> }> {
  const echo = net.createServer((s) => {
    s.on('error', () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  const proxy = new LinkProxy(1, 2, (echo.address() as net.AddressInfo).port);
  await proxy.listen();
  return { proxy, echo, close: async () => { await proxy.close(); await new Promise((r) => echo.close(r)); } };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Sends `msg` and resolves with what comes back within `ms` ('' if nothing), or 'closed'. */
function roundTrip(s: net.Socket, msg: string, ms: number): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const done = (v: string): void => {
      clearTimeout(t);
      s.removeAllListeners('data');
      resolve(v);
    };
    const t = setTimeout(() => done(got), ms);
    s.on('data', (d: Buffer) => {
      got += d.toString();
      if (got === msg) done(got);
    });
    s.once('close', () => done('closed'));
    s.on('error', () => undefined);
    s.write(msg);
  });
}

describe('fault proxy (one direction of a peer link)', () => {
  it('forwards, blackholes, delays, cuts and heals', async () => {
    const { proxy, close } = await setup();
    try {
      const s = await connect(proxy.port);
      expect(await roundTrip(s, 'hello', 1000)).to.equal('hello');
      proxy.set({ mode: 'blackhole' });
      expect(await roundTrip(s, 'lost', 300)).to.equal('');
      proxy.set({ mode: 'ok', delayMs: 200 });
      const t0 = Date.now();
      expect(await roundTrip(s, 'slow', 2000)).to.equal('slow');
      expect(Date.now() - t0).to.be.at.least(180);
      proxy.set({ mode: 'cut', delayMs: 0 });
      expect(await roundTrip(s, 'x', 1000)).to.equal('closed');
      // New connections are refused (reset) while cut, and flow again once healed.
      const again = await connect(proxy.port).catch(() => undefined);
      if (again) expect(await roundTrip(again, 'y', 1000)).to.equal('closed');
      proxy.set({ mode: 'ok' });
      const healed = await connect(proxy.port);
      expect(await roundTrip(healed, 'back', 1000)).to.equal('back');
      healed.destroy();
    } finally {
      await close();
    }
  });
});
