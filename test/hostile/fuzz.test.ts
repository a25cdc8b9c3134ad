import { expect } from 'chai';
import Redis from 'ioredis';
import { startServer, type RunningServer } from '../support/proc';
import { alive, connect, prng, rssMiB } from './support';

/**
 * A seeded RESP fuzzer against a real node: mutations of valid requests
 * (random bytes, truncated and oversized lengths, negative lengths, nested
 * and RESP3 types, inline commands, huge counts), each sent on a fresh
 * connection in random pieces that end politely or with a reset. The node
 * must never exit, keep answering a healthy client and keep its memory
 * bounded. RAFTCACHE_FUZZ_SEED=<n> replays a run; the seed is in every
 * failure message.
 */

const ITERATIONS = Number(process.env.RAFTCACHE_FUZZ_ITERATIONS ?? 2000);
const PARALLEL = 8;

/** Valid requests to start from: none can stop the node or lock out the healthy client. */
const BASE: string[][] = [
  ['PING'],
  ['SET', 'fz', 'value'],
  ['GET', 'fz'],
  ['MSET', 'a', '1', 'b', '2'],
  ['MGET', 'a', 'b', 'c'],
  ['INCR', 'n'],
  ['ECHO', 'hello'],
  ['DEL', 'a', 'b'],
  ['EXPIRE', 'fz', '100'],
  ['SUBSCRIBE', 'c1'],
  ['PUBLISH', 'c1', 'msg'],
  ['MULTI'],
  ['EXEC'],
  ['CLIENT', 'SETNAME', 'fuzzer'],
  ['HELLO', '3'],
  ['SELECT', '2'],
  ['APPEND', 'fz', 'more'],
  ['GETRANGE', 'fz', '0', '-1'],
];

type Rand = () => number;

const int = (rand: Rand, n: number) => Math.floor(rand() * n);
const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[int(rand, xs.length)];

function encode(argv: string[]): string {
  return `*${argv.length}\r\n` + argv.map((a) => `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`).join('');
}

const WEIRD_COUNTS = ['-1', '-2147483648', '0', '2147483647', '2147483648', '99999999999999999999', '1x', '', ' 1', '+1', '-0', '0x10'];
const WEIRD_LENGTHS = ['-1', '-5', '0', '536870912', '536870913', '2147483647', '18446744073709551616', 'x', '', '3 ', '1e3'];
const RESP3 = ['%1\r\n+a\r\n+b\r\n', '~2\r\n:1\r\n:2\r\n', '>1\r\n$1\r\nx\r\n', '_\r\n', '#t\r\n', ',1.5\r\n', '(123\r\n', '!3\r\nerr\r\n', '=5\r\ntxt:x\r\n', '|1\r\n+a\r\n+b\r\n'];

/** One hostile input: a valid request (or a pipeline of them) with mutations applied. */
function hostileInput(rand: Rand): Buffer {
  const base = pick(rand, BASE);
  let text: string;
  switch (int(rand, 9)) {
    case 0: // a pipeline
      text = Array.from({ length: 1 + int(rand, 5) }, () => encode(pick(rand, BASE))).join('');
      break;
    case 1: // weird multibulk count
      text = `*${pick(rand, WEIRD_COUNTS)}\r\n` + encode(base).replace(/^\*\d+\r\n/, '');
      break;
    case 2: // weird or lying bulk length
      text = encode(base).replace(/\$\d+/, `$${pick(rand, WEIRD_LENGTHS)}`);
      break;
    case 3: // nested / RESP3 types where arguments belong
      text = `*2\r\n${encode(base).slice(0, 20)}${pick(rand, RESP3)}*1\r\n*1\r\n$1\r\na\r\n`;
      break;
    case 4: // inline command, quotes and escapes
      text = pick(rand, ['PING', 'SET k "a b"', "GET 'x", 'ECHO "\\x41\\n"', '"unterminated', 'SET k v\n', '   ', 'ECHO "a"b']) + pick(rand, ['\r\n', '\n', '']);
      break;
    case 5: // huge count, then a few arguments
      text = '*2147483647\r\n' + '$0\r\n\r\n'.repeat(int(rand, 2000)) + encode(base).replace(/^\*\d+\r\n/, '');
      break;
    case 6: // truncated
      text = encode(base);
      text = text.slice(0, int(rand, text.length));
      break;
    default:
      text = encode(base);
  }
  const bytes = Buffer.from(text, 'latin1');
  // Random byte mutations: overwrite, insert, delete.
  const out: number[] = [...bytes];
  for (let m = int(rand, 4); m > 0; m--) {
    const at = int(rand, out.length + 1);
    const kind = int(rand, 3);
    const byte = rand() < 0.5 ? pick(rand, [13, 10, 42, 36, 45, 48, 57, 32, 34, 0]) : int(rand, 256);
    if (kind === 0 && at < out.length) out[at] = byte;
    else if (kind === 1) out.splice(at, 0, byte);
    else out.splice(at, 1);
  }
  return Buffer.from(out);
}

/** Sends one input in random pieces, waits a little for an answer, then closes politely or with a reset. */
async function throwAt(port: number, input: Buffer, rand: Rand): Promise<void> {
  const s = await connect(port);
  s.on('error', () => undefined);
  s.on('data', () => undefined);
  let pos = 0;
  while (pos < input.length && !s.destroyed) {
    const n = 1 + int(rand, Math.max(1, input.length - pos));
    s.write(input.subarray(pos, pos + n));
    pos += n;
    if (rand() < 0.3) await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setTimeout(r, int(rand, 15)));
  if (rand() < 0.5) s.resetAndDestroy();
  else s.end();
}

describe('hostile clients: seeded RESP fuzzer (real node)', function () {
  this.timeout(60000);
  let srv: RunningServer;
  let healthy: Redis;

  before(async () => {
    // Fewer slots than parallel connections: some are refused, and reset, past maxclients.
    srv = await startServer(['--maxclients', String(PARALLEL)]);
    healthy = new Redis({ port: srv.port, maxRetriesPerRequest: 0 });
  });
  after(async () => {
    healthy.disconnect();
    await srv.stop();
  });

  it(`${ITERATIONS} mutated requests: the node never exits, answers a healthy client, memory stays bounded`, async () => {
    const seed = Number(process.env.RAFTCACHE_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const replay = `seed ${seed} (replay: RAFTCACHE_FUZZ_SEED=${seed})`;
    const rand = prng(seed);
    const startRss = rssMiB(srv.proc.pid!);
    for (let i = 0; i < ITERATIONS; i += PARALLEL) {
      const batch: Promise<void>[] = [];
      for (let j = 0; j < PARALLEL && i + j < ITERATIONS; j++) batch.push(throwAt(srv.port, hostileInput(rand), rand).catch(() => undefined));
      await Promise.all(batch);
      expect(alive(srv), `node exited at iteration ${i}; ${replay}; log tail: ${srv.logs.slice(-3).join(' ')}`).to.equal(true);
      if ((i / PARALLEL) % 10 === 0) {
        const pong = await healthy.ping().catch((e: Error) => e.message);
        expect(pong, `healthy client at iteration ${i}; ${replay}`).to.equal('PONG');
      }
    }
    expect(await healthy.ping(), replay).to.equal('PONG');
    expect(rssMiB(srv.proc.pid!) - startRss, `RSS growth; ${replay}`).to.be.below(300);
  });
});
