/**
 * Request decoding throughput: RequestDecoder (hand-written) against
 * RedisParserDecoder (redis-parser plus header validation).
 *
 * Input: pipelined SET key:NNNNNNNNNNNN <value> / GET key:NNNNNNNNNNNN, the
 * requests redis-benchmark sends, decoded from one large buffer and from the
 * same bytes cut into 1.5 KB chunks (what a socket delivers under -P 16).
 *
 *   tsc -p . && node dist/bench/protocol-decoder.js [requests] [value size]
 * Run it compiled: under tsx, esbuild's module wrappers turn every imported
 * call into a getter call and the numbers drop by a third.
 *
 * Measured on the 2-core dev machine (Node 20), requests/s, best of 7:
 *   3-byte values     RequestDecoder 6.4M whole / 5.9M chunked;
 *                     redis-parser + checks 3.3M / 2.9M (args copied),
 *                     5.2M / 4.5M (zero-copy views, pinning socket chunks)
 *   10000-byte values RequestDecoder 722K / 528K; redis-parser 646K / 333K
 */
import { RequestDecoder } from '../protocol/decoder';
import { RedisParserDecoder } from '../protocol/decoder-redis-parser';
import { encodeRequest } from '../protocol/encoder';

interface Decoder {
  feed(chunk: Buffer, onCommand: (argv: Buffer[]) => void): string | null;
}

export function pipelinedSetGet(requests: number, valueSize: number): Buffer {
  const value = Buffer.alloc(valueSize, 'x');
  const parts: Buffer[] = [];
  for (let i = 0; i < requests; i++) {
    const key = `key:${String(i % 100000).padStart(12, '0')}`;
    parts.push(i % 2 === 0 ? encodeRequest(['SET', key, value]) : encodeRequest(['GET', key]));
  }
  return Buffer.concat(parts);
}

function split(buf: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) chunks.push(buf.subarray(i, i + size));
  return chunks;
}

/** Requests per second, best of `rounds`. */
function measure(make: () => Decoder, chunks: Buffer[], expected: number, rounds: number): number {
  let best = 0;
  for (let r = 0; r < rounds; r++) {
    const decoder = make();
    let count = 0;
    const onCommand = (): void => {
      count++;
    };
    const start = process.hrtime.bigint();
    for (const chunk of chunks) {
      const err = decoder.feed(chunk, onCommand);
      if (err !== null) throw new Error(err);
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (count !== expected) throw new Error(`decoded ${count} of ${expected}`);
    best = Math.max(best, expected / seconds);
  }
  return best;
}

export interface DecoderBenchResult {
  name: string;
  wholeBuffer: number;
  chunks1500: number;
}

export function runDecoderBench(requests = 200000, valueSize = 3, rounds = 7): DecoderBenchResult[] {
  const input = pipelinedSetGet(requests, valueSize);
  const whole = [input];
  const chunked = split(input, 1500);
  const candidates: Array<[string, () => Decoder]> = [
    ['RequestDecoder (hand-written)', () => new RequestDecoder()],
    ['RedisParserDecoder (redis-parser, args copied)', () => new RedisParserDecoder()],
    ['RedisParserDecoder (redis-parser, args not copied)', () => new RedisParserDecoder({}, { copyArgs: false })],
  ];
  // Warm up every candidate before timing any of them.
  for (const [, make] of candidates) measure(make, chunked, requests, 2);
  return candidates.map(([name, make]) => ({
    name,
    wholeBuffer: measure(make, whole, requests, rounds),
    chunks1500: measure(make, chunked, requests, rounds),
  }));
}

if (require.main === module) {
  const requests = Number(process.argv[2] ?? 200000);
  const valueSize = Number(process.argv[3] ?? 3);
  const results = runDecoderBench(requests, valueSize);
  const base = results[0];
  console.log(`${requests} pipelined SET/GET requests, ${valueSize}-byte values (requests/s, best of 7)`);
  for (const r of results) {
    const rel = (x: number, b: number): string => `${((x / b) * 100).toFixed(0)}%`;
    console.log(
      `${r.name.padEnd(52)} whole: ${Math.round(r.wholeBuffer).toLocaleString('en-US').padStart(11)} (${rel(r.wholeBuffer, base.wholeBuffer)})` +
        `   1.5KB chunks: ${Math.round(r.chunks1500).toLocaleString('en-US').padStart(11)} (${rel(r.chunks1500, base.chunks1500)})`,
    );
  }
}
