/**
 * Reply encoding throughput for the hot cases of redis-benchmark: +OK,
 * integers, short bulk strings and nulls, written into a ReplyWriter and
 * taken every 16 replies (one -P 16 batch), against a naive baseline that
 * builds each reply with Buffer.from/Buffer.concat.
 *
 *   tsc -p . && node dist/bench/protocol-encoder.js
 * (run compiled: tsx's module wrappers slow cross-module calls and skew this)
 */
import { ReplyWriter } from '../protocol/encoder';
import { OK, type Reply } from '../protocol/reply';

function replies(n: number): Reply[] {
  const out: Reply[] = [];
  const value = Buffer.from('xxx');
  for (let i = 0; i < n; i++) {
    switch (i % 4) {
      case 0:
        out.push(OK);
        break;
      case 1:
        out.push(value);
        break;
      case 2:
        out.push(i);
        break;
      default:
        out.push(null);
    }
  }
  return out;
}

function naive(r: Reply): Buffer {
  if (r === OK) return Buffer.from('+OK\r\n');
  if (r === null) return Buffer.from('$-1\r\n');
  if (typeof r === 'number') return Buffer.from(`:${r}\r\n`);
  const b = r as Buffer;
  return Buffer.concat([Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n')]);
}

function best(rounds: number, run: () => number): number {
  let top = 0;
  for (let i = 0; i < rounds; i++) {
    const start = process.hrtime.bigint();
    const n = run();
    top = Math.max(top, n / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  return top;
}

export function runEncoderBench(n = 400000, rounds = 7): { writer: number; naive: number } {
  const list = replies(n);
  const writerRun = (): number => {
    const w = new ReplyWriter();
    let bytes = 0;
    for (let i = 0; i < list.length; i++) {
      w.write(list[i], 2);
      if ((i & 15) === 15) bytes += w.take().length;
    }
    return bytes > 0 ? list.length : 0;
  };
  const naiveRun = (): number => {
    let batch: Buffer[] = [];
    let bytes = 0;
    for (let i = 0; i < list.length; i++) {
      batch.push(naive(list[i]));
      if ((i & 15) === 15) {
        bytes += Buffer.concat(batch).length;
        batch = [];
      }
    }
    return bytes > 0 ? list.length : 0;
  };
  best(2, writerRun);
  best(2, naiveRun);
  return { writer: best(rounds, writerRun), naive: best(rounds, naiveRun) };
}

if (require.main === module) {
  const r = runEncoderBench();
  const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
  console.log('replies/s (+OK, $3 bulk, :int, null; take() every 16; best of 7)');
  console.log(`ReplyWriter:                 ${fmt(r.writer)}`);
  console.log(`Buffer.from/concat baseline: ${fmt(r.naive)}`);
}
