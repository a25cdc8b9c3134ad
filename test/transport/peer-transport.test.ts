import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../server/log';
import { EntryType, MessageType, type Message } from '../../server/raft/types';
import { FrameError, encodeFrame, type Frame } from '../../server/transport/frames';
import { PeerTransport, type TransportOptions } from '../../server/transport/peer-transport';
import { captureLogger, msg, sleep, unusedPort, waitFor } from './helpers';

const SECRET = 'test-cluster-secret';
const FAST_BACKOFF = { minMs: 20, maxMs: 100 };

interface Received {
  from: number;
  frame: Frame;
}

describe('peer transport', function () {
  this.timeout(15000);
  const open: PeerTransport[] = [];

  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
  });

  function transport(id: number, opts: Partial<TransportOptions> = {}): { t: PeerTransport; got: Received[] } {
    const t = new PeerTransport({
      id,
      listen: { host: '127.0.0.1', port: 0 },
      peers: new Map(),
      secret: SECRET,
      log: silentLogger,
      backoff: FAST_BACKOFF,
      ...opts,
    });
    open.push(t);
    const got: Received[] = [];
    t.onFrame((from, frame) => got.push({ from, frame }));
    return { t, got };
  }

  /** n transports that all know each other, started. */
  async function cluster(n: number, opts: Partial<TransportOptions> = {}) {
    const nodes = Array.from({ length: n }, (_, i) => transport(i + 1, opts));
    await Promise.all(nodes.map((x) => x.t.start()));
    for (const a of nodes) for (const b of nodes) if (a !== b) a.t.addPeer(b.t.id, { host: '127.0.0.1', port: b.t.port });
    return nodes;
  }

  function app(from: number, to: number, index: number, data?: Buffer): Message {
    return msg({
      type: MessageType.App,
      from,
      to,
      term: 2,
      index,
      logTerm: 2,
      commit: index,
      entries: [{ term: 2, index: index + 1, type: EntryType.Normal, data: data ?? Buffer.from(`entry ${from}->${to} #${index}`) }],
    });
  }

  it('exchanges raft frames both ways between two transports, in order', async () => {
    const [a, b] = await cluster(2);
    for (let i = 0; i < 100; i++) {
      expect(a.t.send(2, { type: 'raft', message: app(1, 2, i) })).to.equal(true);
      expect(b.t.send(1, { type: 'raft', message: app(2, 1, i) })).to.equal(true);
    }
    await waitFor('200 frames', () => a.got.length === 100 && b.got.length === 100);
    const indexes = (got: Received[]) => got.map((r) => (r.frame.type === 'raft' ? r.frame.message.index : -1));
    expect(indexes(b.got)).to.deep.equal(Array.from({ length: 100 }, (_, i) => i));
    expect(b.got.every((r) => r.from === 1)).to.equal(true);
    const last = b.got[99].frame;
    expect(last.type === 'raft' && Buffer.from(last.message.entries[0].data).toString()).to.equal('entry 1->2 #99');
    expect(indexes(a.got)).to.deep.equal(Array.from({ length: 100 }, (_, i) => i));
    const stats = a.t.stats().get(2);
    expect(stats).to.include({ connected: true, sentFrames: 100, receivedFrames: 100, reconnects: 0 });
  });

  it('connects three transports pairwise and reports peer state', async () => {
    const nodes = await cluster(3);
    const states: Array<[number, boolean]> = [];
    nodes[0].t.onPeerState((peer, up) => states.push([peer, up]));
    for (const a of nodes) {
      for (const b of nodes) if (a !== b) a.t.send(b.t.id, { type: 'forward', payload: Buffer.from(`${a.t.id}->${b.t.id}`) });
    }
    await waitFor('two frames at each node', () => nodes.every((x) => x.got.length === 2));
    for (const x of nodes) {
      const seen = x.got.map((r) => `${r.from}:${r.frame.type === 'forward' ? Buffer.from(r.frame.payload).toString() : '?'}`).sort();
      const others = [1, 2, 3].filter((id) => id !== x.t.id);
      expect(seen).to.deep.equal(others.map((o) => `${o}:${o}->${x.t.id}`));
    }
    await waitFor('node 1 sees both peers up', () => [...nodes[0].t.stats().values()].every((s) => s.connected));
    await nodes[2].t.close();
    await waitFor('node 1 sees node 3 down', () => states.some(([p, up]) => p === 3 && !up));
  });

  it('refuses and logs a peer with the wrong secret, delivering no frame', async () => {
    const good = captureLogger();
    const bad = captureLogger();
    const a = transport(1, { log: good.log });
    const b = transport(2, { log: bad.log, secret: 'not-the-cluster-secret' });
    await Promise.all([a.t.start(), b.t.start()]);
    a.t.addPeer(2, { host: '127.0.0.1', port: b.t.port });
    b.t.addPeer(1, { host: '127.0.0.1', port: a.t.port });
    b.t.send(1, { type: 'raft', message: app(2, 1, 0) });
    a.t.send(2, { type: 'raft', message: app(1, 2, 0) });
    const refusal = (lines: Array<Record<string, unknown>>, claimedId: number) =>
      lines.find((l) => l.msg === 'peer refused' && l.claimedId === claimedId && /cluster secret mismatch/.test(String(l.reason)));
    await waitFor('refusals logged', () => refusal(good.lines, 2) !== undefined && refusal(bad.lines, 1) !== undefined);
    const line = refusal(good.lines, 2) as Record<string, unknown>;
    expect(line.level).to.equal(40); // warn
    expect(line.peerAddress).to.match(/^127\.0\.0\.1:\d+$/);
    expect(line.reason).to.equal('cluster secret mismatch (the dialer proof is wrong)');
    await sleep(300); // retries happen meanwhile (backoff 20..100 ms)
    expect(a.got).to.have.length(0);
    expect(b.got).to.have.length(0);
    expect(a.t.stats().get(2)?.connected).to.equal(false);
  });

  it('logs at warn, with both addresses, a connection that displaces the live one of the same node id', async () => {
    const cap = captureLogger();
    const a = transport(1, { log: cap.log });
    const b = transport(2);
    const imposter = transport(2); // holds the secret and claims node 2's id
    await Promise.all([a.t.start(), b.t.start(), imposter.t.start()]);
    b.t.addPeer(1, { host: '127.0.0.1', port: a.t.port });
    b.t.send(1, { type: 'ping', seq: 1 });
    await waitFor('node 2 connected', () => a.got.length === 1);
    expect(cap.lines.some((l) => l.msg === 'peer connection replaced by a new one from the same node id')).to.equal(false);
    imposter.t.addPeer(1, { host: '127.0.0.1', port: a.t.port });
    imposter.t.send(1, { type: 'ping', seq: 2 });
    const replaced = () => cap.lines.find((l) => l.msg === 'peer connection replaced by a new one from the same node id');
    await waitFor('the displacement logged', () => replaced() !== undefined);
    const line = replaced() as Record<string, unknown>;
    expect(line.level).to.equal(40); // warn
    expect(line.peer).to.equal(2);
    expect(line.peerAddress).to.match(/^127\.0\.0\.1:\d+$/);
    expect(line.previousAddress).to.match(/^127\.0\.0\.1:\d+$/);
    expect(line.peerAddress).to.not.equal(line.previousAddress);
  });

  it('refuses and logs a dialer that expects another node at this address', async () => {
    const cap = captureLogger();
    const a = transport(1);
    const c = transport(3, { log: cap.log });
    await Promise.all([a.t.start(), c.t.start()]);
    a.t.addPeer(2, { host: '127.0.0.1', port: c.t.port }); // node 1 believes node 2 lives there
    a.t.send(2, { type: 'ping', seq: 1 });
    await waitFor('refusal logged', () => cap.lines.some((l) => l.msg === 'peer refused'));
    const line = cap.lines.find((l) => l.msg === 'peer refused') as Record<string, unknown>;
    expect(line).to.include({ claimedId: 1, reason: 'wrong node id: this is node 3, the dialer expected node 2' });
    expect(c.got).to.have.length(0);
  });

  it('drops and logs a connection that does not finish the handshake in time', async () => {
    const cap = captureLogger();
    const a = transport(1, { log: cap.log, handshakeTimeoutMs: 150 });
    await a.t.start();
    const socket = net.connect({ host: '127.0.0.1', port: a.t.port });
    socket.on('error', () => undefined);
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    await closed;
    const line = cap.lines.find((l) => l.msg === 'peer refused');
    expect(line?.reason).to.equal('handshake not completed within 150 ms');
  });

  it('closes an unauthenticated connection that announces a large frame', async () => {
    const cap = captureLogger();
    const a = transport(1, { log: cap.log });
    await a.t.start();
    const socket = net.connect({ host: '127.0.0.1', port: a.t.port });
    socket.on('error', () => undefined);
    const header = Buffer.alloc(5);
    header.writeUInt32BE(100 * 1024 * 1024, 0);
    header[4] = 0x40;
    socket.write(header);
    await new Promise<void>((r) => socket.on('close', () => r()));
    const line = cap.lines.find((l) => l.msg === 'peer protocol error');
    expect(String(line?.reason)).to.match(/exceeds the limit of 1024/);
  });

  it('rejects an oversized message: the sender throws, a receiver with a lower limit closes the link', async () => {
    const cap = captureLogger();
    const a = transport(1, { maxMessageBytes: 4 * 1024 * 1024 });
    const b = transport(2, { log: cap.log, maxMessageBytes: 1024 * 1024 });
    await Promise.all([a.t.start(), b.t.start()]);
    a.t.addPeer(2, { host: '127.0.0.1', port: b.t.port });
    const big = (n: number): Frame => ({ type: 'snapshot-chunk', index: 5, term: 1, seq: 0, last: false, data: Buffer.alloc(n) });
    expect(() => a.t.send(2, big(4 * 1024 * 1024))).to.throw(FrameError, /exceeds the limit/);
    expect(a.t.send(2, big(2 * 1024 * 1024))).to.equal(true);
    await waitFor('protocol error logged', () => cap.lines.some((l) => l.msg === 'peer protocol error'));
    const line = cap.lines.find((l) => l.msg === 'peer protocol error') as Record<string, unknown>;
    expect(line.reason).to.match(/exceeds the limit of 1048576/);
    expect(line.claimedId).to.equal(1);
    // The link recovers for messages within the limit.
    await waitFor('a redials', () => a.t.stats().get(2)?.connected === true && a.t.stats().get(2)?.reconnects === 1);
    a.t.send(2, { type: 'ping', seq: 7 });
    await waitFor('ping delivered', () => b.got.length === 1);
    expect(b.got[0].frame).to.deep.equal({ type: 'ping', seq: 7 });
  });

  it('carries an 80 MiB entry over links whose frame limit is 64 MiB, in order, with heartbeats overtaking it', async () => {
    const [a, b] = await cluster(2, { maxQueueBytes: 256 * 1024 * 1024 });
    await waitFor('both lanes up', () => a.t.stats().get(2)?.connected === true && a.t.stats().get(2)?.controlConnected === true);
    const data = Buffer.alloc(80 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 4096) data.writeUInt32LE((i * 2654435761) >>> 0, i);
    const arrival: string[] = [];
    b.t.onFrame((_from, f) => arrival.push(f.type === 'raft' ? `${MessageType[f.message.type]}:${f.message.index}` : f.type));
    a.t.send(2, { type: 'raft', message: app(1, 2, 1) });
    expect(a.t.send(2, { type: 'raft', message: app(1, 2, 2, data) })).to.equal(true);
    a.t.send(2, { type: 'raft', message: app(1, 2, 3) });
    // Heartbeats queued after the big entry may arrive before it; Apps keep their order.
    a.t.send(2, { type: 'raft', message: msg({ type: MessageType.Heartbeat, from: 1, to: 2, term: 2, index: 77 }) });
    await waitFor('four messages', () => b.got.length === 4, 30000);
    expect(arrival.filter((x) => x.startsWith('App'))).to.deep.equal(['App:1', 'App:2', 'App:3']);
    expect(arrival.indexOf('Heartbeat:77')).to.be.below(arrival.indexOf('App:2'));
    const big = b.got.find((r) => r.frame.type === 'raft' && r.frame.message.index === 2)!.frame;
    if (big.type !== 'raft') throw new Error('not raft');
    expect(Buffer.from(big.message.entries[0].data).equals(data)).to.equal(true);
  });

  it('delivers heartbeats and votes while the Data connection is stuck behind a huge message (the Control lane)', async () => {
    const [a, b] = await cluster(2, { maxQueueBytes: 256 * 1024 * 1024 });
    await waitFor('both lanes up', () => a.t.stats().get(2)?.connected === true && a.t.stats().get(2)?.controlConnected === true);
    // b stops reading its Data connection: the kernel's socket buffers fill and a's queue stops draining.
    const dataIn = (b.t as unknown as { inbound: Record<number, Map<number, net.Socket>> }).inbound[0].get(1);
    expect(dataIn, 'the inbound Data connection').to.not.equal(undefined);
    dataIn!.pause();
    const data = Buffer.alloc(64 * 1024 * 1024, 3);
    a.t.send(2, { type: 'raft', message: app(1, 2, 1, data) });
    let queued = Infinity;
    for (;;) {
      await sleep(200);
      const now = a.t.stats().get(2)!.queuedBytes;
      if (now === queued) break;
      queued = now;
    }
    expect(queued, 'bytes still waiting behind the full socket').to.be.above(1024 * 1024);
    a.t.send(2, { type: 'raft', message: msg({ type: MessageType.Heartbeat, from: 1, to: 2, term: 2, index: 5 }) });
    a.t.send(2, { type: 'raft', message: msg({ type: MessageType.PreVote, from: 1, to: 2, term: 3, index: 6 }) });
    await waitFor('heartbeat and pre-vote delivered past the stuck data', () => b.got.length === 2, 5000);
    expect(b.got.map((r) => (r.frame.type === 'raft' ? MessageType[r.frame.message.type] : r.frame.type))).to.deep.equal(['Heartbeat', 'PreVote']);
    dataIn!.resume();
    await waitFor('the big entry', () => b.got.length === 3, 30000);
    const big = b.got[2].frame;
    expect(big.type === 'raft' && big.message.entries[0].data.byteLength).to.equal(data.length);
  });

  it('drops the rest of a message cut off by a lost connection and delivers what follows on the next one', async () => {
    const [a, b] = await cluster(2, { maxQueueBytes: 256 * 1024 * 1024 });
    a.t.send(2, { type: 'ping', seq: 1 });
    await waitFor('link up', () => b.got.length === 1);
    const data = Buffer.alloc(40 * 1024 * 1024, 1);
    a.t.send(2, { type: 'raft', message: app(1, 2, 2, data) });
    a.t.send(2, { type: 'raft', message: app(1, 2, 3) });
    // Cut every inbound connection at b while the big message is being written.
    await waitFor('fragments in flight', () => (a.t.stats().get(2)?.queuedBytes ?? 0) < 39 * 1024 * 1024, 10000, );
    (b.t as unknown as { inbound: Record<number, Map<number, net.Socket>> }).inbound[0].get(1)?.destroy(); // the Data lane
    await waitFor('App 3 delivered after the reconnect', () => b.got.some((r) => r.frame.type === 'raft' && r.frame.message.index === 3), 20000);
    a.t.send(2, { type: 'ping', seq: 2 });
    await waitFor('link still healthy', () => b.got.some((r) => r.frame.type === 'ping' && r.frame.seq === 2), 10000);
    for (const r of b.got) if (r.frame.type === 'raft' && r.frame.message.index === 2) expect(r.frame.message.entries[0].data.byteLength).to.equal(data.length);
  });

  it('delivers a 5 MiB snapshot chunk intact', async () => {
    const [a, b] = await cluster(2);
    const data = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i);
    a.t.send(2, { type: 'raft', message: app(1, 2, 1) });
    expect(a.t.send(2, { type: 'snapshot-chunk', index: 900, term: 3, seq: 4, last: true, data })).to.equal(true);
    a.t.send(2, { type: 'raft', message: app(1, 2, 2) });
    await waitFor('three frames', () => b.got.length === 3, 10000);
    const chunk = b.got[1].frame;
    expect(chunk.type).to.equal('snapshot-chunk');
    if (chunk.type !== 'snapshot-chunk') return;
    expect({ index: chunk.index, term: chunk.term, seq: chunk.seq, last: chunk.last }).to.deep.equal({ index: 900, term: 3, seq: 4, last: true });
    expect(Buffer.from(chunk.data).equals(data)).to.equal(true);
  });

  it('reconnects after the remote transport is closed and restarted on the same port', async () => {
    const [a, b] = await cluster(2);
    const bPort = b.t.port;
    a.t.send(2, { type: 'ping', seq: 1 });
    await waitFor('first ping', () => b.got.length === 1);
    await b.t.close();
    await waitFor('a sees the link down', () => a.t.stats().get(2)?.connected === false);
    const b2 = transport(2, { listen: { host: '127.0.0.1', port: bPort } });
    b2.t.addPeer(1, { host: '127.0.0.1', port: a.t.port });
    await b2.t.start();
    await waitFor('a redials node 2', () => a.t.stats().get(2)?.connected === true);
    a.t.send(2, { type: 'ping', seq: 2 });
    b2.t.send(1, { type: 'pong', seq: 2 });
    await waitFor('ping and pong after restart', () => b2.got.length >= 1 && a.got.length >= 1);
    expect(b2.got.map((r) => r.frame)).to.deep.include({ type: 'ping', seq: 2 });
    expect(a.got.map((r) => r.frame)).to.deep.include({ type: 'pong', seq: 2 });
    expect(a.t.stats().get(2)?.reconnects).to.equal(1);
  });

  it('bounds the queue for a peer that is down, then flushes it in order when the peer comes up', async () => {
    const port = await unusedPort();
    const maxQueueBytes = 64 * 1024;
    const a = transport(1, { maxQueueBytes, peers: new Map([[2, { host: '127.0.0.1', port }]]) });
    const drained: number[] = [];
    a.t.onDrain((peer) => drained.push(peer));
    await a.t.start();
    const kib = Buffer.alloc(1024, 7);
    const frameBytes = encodeFrame({ type: 'raft', message: app(1, 2, 1000, kib) }).length;
    let accepted = 0;
    for (let i = 1000; i < 2000; i++) {
      if (!a.t.send(2, { type: 'raft', message: app(1, 2, i, kib) })) break;
      accepted++;
    }
    expect(accepted).to.equal(Math.floor(maxQueueBytes / frameBytes));
    expect(a.t.send(2, { type: 'raft', message: app(1, 2, 0, kib) })).to.equal(false); // still full
    expect(a.t.stats().get(2)).to.include({ connected: false, queuedBytes: accepted * frameBytes });
    expect(a.t.send(99, { type: 'ping', seq: 0 })).to.equal(false); // unknown peer

    const b = transport(2, { listen: { host: '127.0.0.1', port } });
    await b.t.start();
    await waitFor('queued frames delivered', () => b.got.length === accepted);
    expect(b.got.map((r) => (r.frame.type === 'raft' ? r.frame.message.index : -1))).to.deep.equal(
      Array.from({ length: accepted }, (_, i) => 1000 + i),
    );
    await waitFor('drain reported', () => drained.includes(2));
    expect(a.t.send(2, { type: 'ping', seq: 1 })).to.equal(true);
  });

  it('a message larger than the bound does not count against the small ones behind it; a second one waits', async () => {
    const port = await unusedPort();
    const maxQueueBytes = 64 * 1024;
    const a = transport(1, { maxQueueBytes, peers: new Map([[2, { host: '127.0.0.1', port }]]) });
    await a.t.start();
    const big = Buffer.alloc(1024 * 1024, 5);
    expect(a.t.send(2, { type: 'raft', message: app(1, 2, 1, big) })).to.equal(true);
    const kib = Buffer.alloc(1024, 7);
    const frameBytes = encodeFrame({ type: 'raft', message: app(1, 2, 1000, kib) }).length;
    let accepted = 0;
    for (let i = 2; i < 1000; i++) {
      if (!a.t.send(2, { type: 'raft', message: app(1, 2, i, kib) })) break;
      accepted++;
    }
    // Before, the big message filled the bound and every App behind it was refused.
    expect(accepted).to.equal(Math.floor(maxQueueBytes / frameBytes));
    expect(a.t.send(2, { type: 'raft', message: app(1, 2, 5000, big) }), 'a second oversized message').to.equal(false);
    expect(a.t.send(2, { type: 'raft', message: msg({ type: MessageType.Heartbeat, from: 1, to: 2, term: 2 }) })).to.equal(true);
    const b = transport(2, { listen: { host: '127.0.0.1', port } });
    await b.t.start();
    await waitFor('everything queued delivered', () => b.got.length === accepted + 2, 10000);
    const apps = b.got.filter((r) => r.frame.type === 'raft' && r.frame.message.type === MessageType.App);
    expect(apps.map((r) => (r.frame.type === 'raft' ? r.frame.message.index : -1))).to.deep.equal(Array.from({ length: accepted + 1 }, (_, i) => i + 1));
    // Written, the big one no longer holds the place: the next one is taken.
    await waitFor('queue empty', () => a.t.stats().get(2)?.queuedBytes === 0);
    expect(a.t.send(2, { type: 'raft', message: app(1, 2, 5000, big) })).to.equal(true);
  });

  it('removes a peer: stops dialing and refuses sends to it', async () => {
    const [a, b] = await cluster(2);
    await waitFor('connected', () => a.t.stats().get(2)?.connected === true);
    a.t.removePeer(2);
    expect(a.t.send(2, { type: 'ping', seq: 1 })).to.equal(false);
    expect(a.t.stats().has(2)).to.equal(false);
    // Its inbound connection was closed too; b redials, and is accepted
    // (inbound connections from unlisted peers are allowed, e.g. a joining node).
    await waitFor('b redialed', () => b.t.stats().get(1)?.reconnects === 1 && b.t.stats().get(1)?.connected === true);
    b.t.send(1, { type: 'ping', seq: 3 });
    await waitFor('ping from 2', () => a.got.length === 1);
  });

  it('drops a raft message whose from/to do not match the authenticated link', async () => {
    const cap = captureLogger();
    const a = transport(1);
    const b = transport(2, { log: cap.log });
    await Promise.all([a.t.start(), b.t.start()]);
    a.t.addPeer(2, { host: '127.0.0.1', port: b.t.port });
    a.t.send(2, { type: 'raft', message: app(3, 2, 0) }); // claims to come from node 3
    await waitFor('protocol error logged', () => cap.lines.some((l) => l.msg === 'peer protocol error'));
    expect(b.got).to.have.length(0);
  });

  describe('with TLS', () => {
    let dir = '';
    let creds: { key: Buffer; cert: Buffer; ca: Buffer } | undefined;
    let rogue: { key: Buffer; cert: Buffer; ca: Buffer } | undefined;

    before(function () {
      try {
        execFileSync('openssl', ['version'], { stdio: 'ignore' });
      } catch {
        console.warn('    openssl not found: skipping the TLS transport tests');
        this.skip();
      }
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raftcache-tls-'));
      const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
      const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
      fs.writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
      for (const name of ['ca', 'rogue-ca']) {
        ssl('req', '-x509', ...ec, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '1', '-subj', `/CN=${name}`);
      }
      for (const [node, ca] of [['node', 'ca'], ['rogue', 'rogue-ca']]) {
        ssl('req', ...ec, '-keyout', `${node}.key`, '-out', `${node}.csr`, '-subj', `/CN=${node}`);
        ssl('x509', '-req', '-in', `${node}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${node}.crt`, '-days', '1', '-extfile', 'ext.cnf');
      }
      const read = (f: string) => fs.readFileSync(path.join(dir, f));
      creds = { key: read('node.key'), cert: read('node.crt'), ca: read('ca.crt') };
      rogue = { key: read('rogue.key'), cert: read('rogue.crt'), ca: read('ca.crt') };
    });

    after(() => {
      if (dir !== '') fs.rmSync(dir, { recursive: true, force: true });
    });

    it('exchanges frames over TLS with verified certificates', async () => {
      const [a, b] = await cluster(2, { tls: creds });
      a.t.send(2, { type: 'forward', payload: Buffer.from('over tls') });
      b.t.send(1, { type: 'forward-reply', payload: Buffer.from('ok') });
      await waitFor('frames over TLS', () => a.got.length === 1 && b.got.length === 1);
      expect(b.got[0].frame).to.deep.equal({ type: 'forward', payload: Buffer.from('over tls') });
      expect(a.got[0].frame).to.deep.equal({ type: 'forward-reply', payload: Buffer.from('ok') });
    });

    it('refuses and logs a peer whose certificate is not signed by the cluster CA', async () => {
      const cap = captureLogger();
      const a = transport(1, { tls: creds, log: cap.log });
      const r = transport(2, { tls: rogue });
      await Promise.all([a.t.start(), r.t.start()]);
      r.t.addPeer(1, { host: '127.0.0.1', port: a.t.port });
      r.t.send(1, { type: 'ping', seq: 1 });
      await waitFor('TLS refusal logged', () => cap.lines.some((l) => l.msg === 'peer refused' && /TLS/.test(String(l.reason))));
      expect(a.got).to.have.length(0);
    });
  });
});
