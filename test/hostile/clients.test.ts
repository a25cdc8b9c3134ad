import { expect } from 'chai';
import Redis from 'ioredis';
import type net from 'node:net';
import { hasBinary, redisCli, startServer, type RunningServer } from '../support/proc';
import { RawClient } from '../support/raw';
import { alive, closedWithin, connect, eventually, rssMiB, send } from './support';

/**
 * Hostile clients against a real node (issue "no client can crash, wedge or
 * exhaust a node"): each input once killed the process, wedged it or grew its
 * memory without bound. After each the node must still run, answer PING and
 * keep its resident memory bounded.
 */

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The client whose CLIENT LIST line has this id, or undefined. */
async function clientLine(r: Redis, id: number): Promise<string | undefined> {
  const list = (await r.client('LIST')) as string;
  return list.split('\n').find((l) => l.startsWith(`id=${id} `));
}

function field(line: string, name: string): number {
  const m = new RegExp(`(?:^| )${name}=(\\d+)`).exec(line);
  if (!m) throw new Error(`no ${name} in ${line}`);
  return Number(m[1]);
}

/** Reads from a raw socket until `done` holds for what arrived. */
function readUntil(s: net.Socket, done: (text: string) => boolean, timeoutMs = 5000): Promise<string> {
  let text = '';
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(t);
      s.off('data', onData);
      resolve(text);
    };
    const onData = (d: Buffer) => {
      text += d.toString('latin1');
      if (done(text)) finish();
    };
    const t = setTimeout(finish, timeoutMs);
    s.on('data', onData);
  });
}

describe('hostile clients (real node)', function () {
  this.timeout(60000);

  describe('past maxclients', () => {
    let srv: RunningServer;
    before(async () => {
      srv = await startServer(['--maxclients', '1']);
    });
    after(async () => {
      await srv.stop();
    });

    it('a refused client that resets its socket does not kill the node', async () => {
      const holder = new Redis({ port: srv.port });
      try {
        expect(await holder.ping()).to.equal('PONG');
        for (let i = 0; i < 20; i++) {
          const s = await connect(srv.port);
          s.on('error', () => undefined);
          s.resetAndDestroy(); // RST (SO_LINGER 0) while the node writes its refusal
        }
        await sleep(300);
        expect(alive(srv), 'node exited').to.equal(true);
        expect(await holder.ping()).to.equal('PONG');
        // A polite refused client still reads the refusal, then the socket closes.
        const raw = await RawClient.connect(srv.port);
        expect(await raw.waitClosed(5000)).to.equal('-ERR max number of clients reached\r\n');
        expect(raw.closed).to.equal(true);
      } finally {
        holder.disconnect();
      }
    });
  });

  describe('huge requests', () => {
    let srv: RunningServer;
    let r: Redis;
    before(async () => {
      srv = await startServer();
      r = new Redis({ port: srv.port });
    });
    after(async () => {
      r.disconnect();
      await srv.stop();
    });

    it('a 512 MB command name is an unknown command (name cut to 128 bytes, as Redis)', async () => {
      const s = await connect(srv.port);
      s.on('error', () => undefined);
      const len = 512 * MiB;
      const reply = readUntil(s, (t) => t.includes('+PONG\r\n'), 50000);
      await send(s, `*1\r\n$${len}\r\n`);
      // Sent in pieces: the test never holds the 512 MB itself.
      const piece = Buffer.alloc(4 * MiB, 'x');
      for (let left = len; left > 0; left -= piece.length) {
        expect(await send(s, left >= piece.length ? piece : piece.subarray(0, left)), 'node closed the connection').to.equal(true);
      }
      await send(s, '\r\nPING\r\n');
      expect(await reply).to.equal(`-ERR unknown command '${'x'.repeat(128)}', with args beginning with: \r\n+PONG\r\n`);
      s.destroy();
      expect(alive(srv)).to.equal(true);
      expect(await r.ping()).to.equal('PONG');
    });

    it('a 100 MB SET value still works (redis-cli -x, within proto-max-bulk-len)', async function () {
      if (!hasBinary('redis-cli')) this.skip();
      const out = redisCli(srv.port, ['-x', 'SET', 'big'], 'v'.repeat(100 * MiB));
      expect(out.stdout.trim(), out.stderr).to.equal('OK');
      expect(await r.strlen('big')).to.equal(100 * MiB);
      await r.del('big');
    });

    it('*2147483647 then empty arguments: closed at client-query-buffer-limit, memory bounded', async () => {
      expect(await r.config('SET', 'client-query-buffer-limit', '1mb')).to.equal('OK');
      expect(await r.config('GET', 'client-query-buffer-limit')).to.deep.equal(['client-query-buffer-limit', String(MiB)]);
      try {
        const before = rssMiB(srv.proc.pid!);
        const s = await connect(srv.port);
        s.on('error', () => undefined);
        await send(s, '*2147483647\r\n');
        const chunk = Buffer.from('$0\r\n\r\n'.repeat(Math.floor(MiB / 6)));
        let sent = 0;
        for (let i = 0; i < 64 && (await send(s, chunk)); i++) sent += chunk.length;
        expect(await closedWithin(s, 5000), 'the node kept the client').to.equal(true);
        // 1 MB of accounted memory is ~5000 empty arguments: closed long before 64 MB.
        expect(sent).to.be.below(32 * MiB);
        expect(await eventually(() => srv.logs.some((l) => l.includes('max query buffer length')), 5000), 'logged').to.equal(true);
        expect(rssMiB(srv.proc.pid!) - before).to.be.below(200);
        expect(await r.ping()).to.equal('PONG');
      } finally {
        await r.config('SET', 'client-query-buffer-limit', '1gb');
      }
    });

    it('a bulk argument past client-query-buffer-limit closes the client; CLIENT LIST shows its query buffer meanwhile', async () => {
      await r.config('SET', 'client-query-buffer-limit', '2mb');
      try {
        const s = await connect(srv.port);
        s.on('error', () => undefined);
        const id = Number((await (async () => {
          const got = readUntil(s, (t) => t.endsWith('\r\n'));
          s.write('CLIENT ID\r\n');
          return got;
        })()).slice(1));
        await send(s, `*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${4 * MiB}\r\n`);
        await send(s, Buffer.alloc(MiB, 'v'));
        let line: string | undefined;
        expect(await eventually(async () => (line = await clientLine(r, id)) !== undefined && field(line, 'qbuf') >= MiB, 5000)).to.equal(true);
        expect(field(line!, 'argv-mem')).to.be.above(0); // SET and k, parsed
        expect(field(line!, 'tot-mem')).to.be.at.least(MiB);
        await send(s, Buffer.alloc(2 * MiB, 'v'));
        expect(await closedWithin(s, 5000)).to.equal(true);
        expect(await clientLine(r, id)).to.equal(undefined);
        expect(await r.exists('k')).to.equal(0);
      } finally {
        await r.config('SET', 'client-query-buffer-limit', '1gb');
      }
    });
  });

  describe('slow readers', () => {
    let srv: RunningServer;
    let r: Redis;
    before(async () => {
      srv = await startServer();
      r = new Redis({ port: srv.port });
    });
    after(async () => {
      r.disconnect();
      await srv.stop();
    });

    /**
     * Subscribes a raw client that then never reads, publishes 1 KB messages
     * until the node drops it (or maxMs), and returns what was seen.
     */
    async function starveSubscriber(maxMs: number): Promise<{ dropped: boolean; maxOmem: number; elapsed: number }> {
      const sub = await connect(srv.port);
      sub.on('error', () => undefined);
      const subscribed = readUntil(sub, (t) => t.includes(':1\r\n'));
      sub.write('*2\r\n$9\r\nSUBSCRIBE\r\n$2\r\nch\r\n');
      await subscribed;
      sub.pause();
      const ids = ((await r.client('LIST')) as string).split('\n').filter((l) => l.includes('cmd=subscribe')).map((l) => field(l, 'id'));
      expect(ids).to.have.length(1);
      const id = ids[0];
      const pub = await connect(srv.port);
      pub.on('error', () => undefined);
      pub.on('data', () => undefined);
      const one = `*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$1024\r\n${'m'.repeat(1024)}\r\n`;
      const batch = Buffer.from(one.repeat(64));
      const start = Date.now();
      let maxOmem = 0;
      let dropped = false;
      for (let n = 0; Date.now() - start < maxMs; n++) {
        await send(pub, batch);
        if (n % 50 === 0) {
          const line = await clientLine(r, id);
          if (line === undefined) {
            dropped = true;
            break;
          }
          maxOmem = Math.max(maxOmem, field(line, 'omem'));
        }
      }
      const elapsed = Date.now() - start;
      pub.destroy();
      sub.destroy();
      return { dropped, maxOmem, elapsed };
    }

    it('a subscriber that never reads is dropped at client-output-buffer-limit pubsub (hard 32mb), memory bounded', async () => {
      expect(await r.config('GET', 'client-output-buffer-limit')).to.deep.equal([
        'client-output-buffer-limit',
        'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60',
      ]);
      const res = await starveSubscriber(20000);
      expect(res.dropped, 'subscriber never dropped').to.equal(true);
      expect(res.maxOmem).to.be.above(0);
      expect(res.maxOmem).to.be.at.most(32 * MiB + 2 * MiB);
      expect(await eventually(() => srv.logs.some((l) => l.includes('output buffer limits')), 5000), 'logged').to.equal(true);
      expect(rssMiB(srv.proc.pid!)).to.be.below(600);
      expect(await r.publish('ch', 'x')).to.equal(0);
      expect(alive(srv)).to.equal(true);
    });

    it('CLIENT LIST TYPE pubsub shows subscribers (flags=P, sub, psub); TYPE normal the others', async () => {
      const sub = new Redis({ port: srv.port });
      try {
        await sub.subscribe('c1', 'c2');
        await sub.psubscribe('p*');
        const pubsub = ((await r.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string).trim().split('\n');
        expect(pubsub).to.have.length(1);
        expect(pubsub[0]).to.match(/ flags=P .* sub=2 psub=1 /);
        const normal = (await r.call('CLIENT', 'LIST', 'TYPE', 'normal')) as string;
        expect(normal).to.not.contain('flags=P');
        expect(normal).to.contain('cmd=client|list');
      } finally {
        sub.disconnect();
      }
    });

    it('the soft limit drops a subscriber over it for longer than its seconds (CONFIG SET)', async () => {
      expect(await r.config('SET', 'client-output-buffer-limit', 'pubsub 0 1mb 1')).to.equal('OK');
      try {
        expect(await r.config('GET', 'client-output-buffer-limit')).to.deep.equal([
          'client-output-buffer-limit',
          'normal 0 0 0 slave 268435456 67108864 60 pubsub 0 1048576 1',
        ]);
        const res = await starveSubscriber(20000);
        expect(res.dropped).to.equal(true);
        // Over 1 MB at once, dropped only after more than a second over it.
        expect(res.elapsed).to.be.above(1000);
      } finally {
        await r.config('SET', 'client-output-buffer-limit', 'pubsub 32mb 8mb 60');
      }
    });

    it('CONFIG SET client-output-buffer-limit refuses bad input with Redis wording', async () => {
      const err = (v: string) => r.config('SET', 'client-output-buffer-limit', v).then(String, (e: Error) => e.message);
      const prefix = "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - ";
      expect(await err('pubsub 1mb 2mb')).to.equal(prefix + 'Wrong number of arguments in buffer limit configuration.');
      expect(await err('foo 1mb 2mb 3')).to.equal(prefix + 'Invalid client class specified in buffer limit configuration.');
      expect(await err('pubsub 1x 2mb 3')).to.equal(prefix + 'Error in hard, soft or soft_seconds setting in buffer limit configuration.');
      expect(await err('pubsub 1mb 2mb -3')).to.equal(prefix + 'Error in hard, soft or soft_seconds setting in buffer limit configuration.');
      expect(await r.config('SET', 'client-output-buffer-limit', 'replica 1mb 2mb 3')).to.equal('OK');
      expect((await r.config('GET', 'client-output-buffer-limit'))[1]).to.equal('normal 0 0 0 slave 1048576 2097152 3 pubsub 33554432 8388608 60');
      await r.config('SET', 'client-output-buffer-limit', 'slave 256mb 64mb 60');
    });
  });

  describe('closing clients', () => {
    let srv: RunningServer;
    let r: Redis;
    before(async () => {
      srv = await startServer();
      r = new Redis({ port: srv.port });
    });
    after(async () => {
      r.disconnect();
      await srv.stop();
    });

    /** A half-open-capable raw client and its id. */
    async function client(): Promise<{ s: net.Socket; id: number }> {
      const s = await connect(srv.port, { allowHalfOpen: true });
      s.on('error', () => undefined);
      const got = readUntil(s, (t) => t.endsWith('\r\n'));
      s.write('CLIENT ID\r\n');
      return { s, id: Number((await got).slice(1)) };
    }

    /** Bytes of 1 MB writes the socket still takes, up to 50 MB; stops at the first error. */
    async function writesAccepted(s: net.Socket): Promise<number> {
      const chunk = Buffer.alloc(MiB, 'a');
      let accepted = 0;
      for (let i = 0; i < 50; i++) {
        const ok = await new Promise<boolean>((resolve) => {
          if (s.destroyed) resolve(false);
          else s.write(chunk, (err) => resolve(!err));
        });
        if (!ok) break;
        accepted += chunk.length;
      }
      return accepted;
    }

    for (const [what, request, expected] of [
      ['QUIT', 'QUIT\r\n', '+OK\r\n'],
      ['a protocol error', '*1\r\nx\r\n', "-ERR Protocol error: expected '$', got 'x'\r\n"],
    ] as const) {
      it(`after ${what} the client leaves CLIENT LIST at once and its next writes fail`, async () => {
        const { s, id } = await client();
        const got = readUntil(s, (t) => t === expected);
        s.write(request);
        expect(await got).to.equal(expected);
        expect(await clientLine(r, id)).to.equal(undefined);
        const accepted = await writesAccepted(s);
        expect(accepted, 'the node kept reading after closing').to.be.below(50 * MiB);
        expect(await closedWithin(s, 5000)).to.equal(true);
        expect(await r.ping()).to.equal('PONG');
      });
    }

    it('CLIENT KILL closes the other client at once', async () => {
      const { s, id } = await client();
      expect(await r.client('KILL', 'ID', String(id))).to.equal(1);
      expect(await clientLine(r, id)).to.equal(undefined);
      expect(await writesAccepted(s)).to.be.below(50 * MiB);
      expect(await closedWithin(s, 5000)).to.equal(true);
    });

    it('a closed client frees its maxclients slot at once', async () => {
      await r.config('SET', 'maxclients', '2');
      try {
        const { s } = await client();
        const got = readUntil(s, (t) => t === '+OK\r\n');
        s.write('QUIT\r\n');
        await got;
        // The QUIT client may still be writing: its slot is free already.
        const next = new Redis({ port: srv.port, maxRetriesPerRequest: 0, retryStrategy: () => null });
        try {
          expect(await next.ping()).to.equal('PONG');
        } finally {
          next.disconnect();
          s.destroy();
        }
      } finally {
        await r.config('SET', 'maxclients', '10000');
      }
    });
  });
});
