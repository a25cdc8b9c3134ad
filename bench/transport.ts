/**
 * Peer transport throughput: App messages (default one 100-byte entry each)
 * from node 1 to node 2 over loopback, both transports in this process (so
 * one core does the encoding, the writes, the reads and the decoding), then
 * sequential App/AppResp round trips for the latency of one exchange.
 *
 *   npx tsx bench/transport.ts [--messages 200000] [--entries 1] [--entry-bytes 100] [--round-trips 5000]
 */
import { silentLogger } from '../server/log';
import { EntryType, MessageType, type Entry, type Message } from '../server/raft/types';
import { encodeFrame } from '../server/transport/frames';
import { PeerTransport } from '../server/transport/peer-transport';

interface Options {
  messages: number;
  entries: number;
  entryBytes: number;
  roundTrips: number;
}

function parse(argv: string[]): Options {
  const o: Options = { messages: 200_000, entries: 1, entryBytes: 100, roundTrips: 5000 };
  for (let i = 0; i < argv.length; i += 2) {
    const v = Number(argv[i + 1]);
    if (argv[i] === '--messages') o.messages = v;
    else if (argv[i] === '--entries') o.entries = v;
    else if (argv[i] === '--entry-bytes') o.entryBytes = v;
    else if (argv[i] === '--round-trips') o.roundTrips = v;
    else throw new Error(`unknown option ${argv[i]}`);
  }
  return o;
}

function app(index: number, o: Options, data: Uint8Array): Message {
  const entries: Entry[] = [];
  for (let k = 0; k < o.entries; k++) entries.push({ term: 3, index: index + 1 + k, type: EntryType.Normal, data });
  return { type: MessageType.App, from: 1, to: 2, term: 3, logTerm: 3, index, commit: index, entries, reject: false, rejectHint: 0 };
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const common = { listen: { host: '127.0.0.1', port: 0 }, peers: new Map(), secret: 'bench', log: silentLogger };
  const a = new PeerTransport({ id: 1, ...common });
  const b = new PeerTransport({ id: 2, ...common });
  await Promise.all([a.start(), b.start()]);
  a.addPeer(2, { host: '127.0.0.1', port: b.port });
  await new Promise<void>((resolve) => a.onPeerState((_p, up) => up && resolve()));

  b.addPeer(1, { host: '127.0.0.1', port: a.port });
  await new Promise<void>((resolve) => b.onPeerState((_p, up) => up && resolve()));

  let received = 0;
  let entries = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => (done = r));
  let echo = false;
  b.onFrame((_from, frame) => {
    if (frame.type !== 'raft') return;
    if (echo) {
      const m = frame.message;
      b.send(1, { type: 'raft', message: { ...m, type: MessageType.AppResp, from: 2, to: 1, entries: [], index: m.index + m.entries.length } });
      return;
    }
    entries += frame.message.entries.length;
    if (++received === o.messages) done();
  });
  let resume: () => void = () => undefined;
  a.onDrain(() => resume());

  const data = Buffer.alloc(o.entryBytes, 0x61);
  const started = process.hrtime.bigint();
  let sent = 0;
  let refused = 0;
  while (sent < o.messages) {
    // A burst per event-loop turn, like a Ready loop handing over its messages.
    const end = Math.min(o.messages, sent + 512);
    while (sent < end) {
      if (a.send(2, { type: 'raft', message: app(sent * o.entries, o, data) })) sent++;
      else {
        refused++;
        await new Promise<void>((r) => (resume = r));
      }
    }
    await new Promise((r) => setImmediate(r));
  }
  await finished;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rate = Math.round(o.messages / seconds);
  const frameBytes = encodeFrame({ type: 'raft', message: app(sent * o.entries, o, data) }).length;
  const mib = (o.messages * frameBytes) / seconds / 2 ** 20;
  console.log(
    `transport: ${o.messages} App messages x ${o.entries} entr${o.entries === 1 ? 'y' : 'ies'} of ${o.entryBytes} B in ${seconds.toFixed(2)} s: ` +
      `${rate.toLocaleString('en')} messages/s, ${Math.round(entries / seconds).toLocaleString('en')} entries/s, ~${mib.toFixed(1)} MiB/s` +
      ` (queue full ${refused} times)`,
  );

  // Latency: one App out, one AppResp back, one at a time.
  echo = true;
  let reply: () => void = () => undefined;
  a.onFrame(() => reply());
  const rtts: number[] = [];
  for (let i = 0; i < o.roundTrips; i++) {
    const t0 = process.hrtime.bigint();
    const answered = new Promise<void>((r) => (reply = r));
    a.send(2, { type: 'raft', message: app(i, o, data) });
    await answered;
    rtts.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  rtts.sort((x, y) => x - y);
  const pct = (p: number) => rtts[Math.min(rtts.length - 1, Math.floor(rtts.length * p))].toFixed(0);
  console.log(`transport: ${o.roundTrips} sequential App/AppResp round trips: p50 ${pct(0.5)} us, p99 ${pct(0.99)} us`);
  await Promise.all([a.close(), b.close()]);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
