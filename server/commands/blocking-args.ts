import { ErrorReply } from '../../protocol/reply';
import { parseFloat64 } from './util';

export const ERR_TIMEOUT_NOT_FLOAT = new ErrorReply('ERR timeout is not a float or out of range');
export const ERR_TIMEOUT_NEGATIVE = new ErrorReply('ERR timeout is negative');
/**
 * Redis 7.0 converts seconds * 1000 to a long long; a value past its range
 * (inf included) comes out negative on x86, so redis-server 7.0.15 answers
 * "timeout is negative" for `BLPOP k inf`. Same here.
 */
const LLONG_RANGE_MS = 9223372036854775807;

/** A blocking command's timeout in ms (0 = forever), as Redis's getTimeoutFromObjectOrReply parses it. */
export function parseTimeoutMs(arg: Buffer): number | ErrorReply {
  const s = parseFloat64(arg);
  if (s === null) return ERR_TIMEOUT_NOT_FLOAT;
  if (s < 0 || !(Math.abs(s * 1000) < LLONG_RANGE_MS)) return ERR_TIMEOUT_NEGATIVE;
  // Redis rounds a fractional timeout up to whole ms (ceil): 0.0001 blocks for 1 ms, not forever.
  return s === 0 ? 0 : Math.max(1, Math.ceil(s * 1000));
}

/** The timeout argument for what remains of `ms` (a retry on a new leader). */
export function timeoutArg(ms: number): Buffer {
  return Buffer.from((Math.max(1, Math.ceil(ms)) / 1000).toFixed(3), 'latin1');
}
