import { RequestDecoder, type DecoderLimits } from '../../../protocol/decoder';
import { RedisParserDecoder } from '../../../protocol/decoder-redis-parser';

export interface Decoder {
  feed(chunk: Buffer, onCommand: (argv: Buffer[]) => void): string | null;
  readonly bufferedBytes: number;
  authRequired: boolean;
}

/** Both implementations: every decoder test runs against each. */
export const DECODERS: Array<[string, (limits?: Partial<DecoderLimits>) => Decoder]> = [
  ['RequestDecoder', (limits) => new RequestDecoder(limits)],
  ['RedisParserDecoder', (limits) => new RedisParserDecoder(limits)],
];

export interface Outcome {
  /** Arguments as latin1 strings (byte-exact). */
  commands: string[][];
  error: string | null;
  buffered: number;
}

/** Feeds the chunks in order, stopping at the first error as a server would. */
export function decodeChunks(decoder: Decoder, chunks: Buffer[]): Outcome {
  const commands: string[][] = [];
  let error: string | null = null;
  for (const chunk of chunks) {
    error = decoder.feed(chunk, (argv) => commands.push(argv.map((a) => a.toString('latin1'))));
    if (error !== null) break;
  }
  return { commands, error, buffered: decoder.bufferedBytes };
}

export function bytes(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

export function splitAt(buf: Buffer, ...points: number[]): Buffer[] {
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

export function everyByte(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i++) out.push(buf.subarray(i, i + 1));
  return out;
}
