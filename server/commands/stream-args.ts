/**
 * Argument parsing shared by the stream commands (Redis 7.0 t_stream.c):
 * ids in their several forms and XADD / XTRIM's trimming options, with
 * Redis's error texts and order of checks. Pure: no keyspace access.
 */
import { ErrorReply } from '../../protocol/reply';
import { ERR_NOT_INTEGER, ERR_SYNTAX } from '../../protocol/errors';
import { nextId, parseStreamId, prevId, type StreamId } from '../keyspace/stream-id';
import { isToken, parseInt64 } from './util';
import type { TrimSpec } from '../keyspace/stream';

export const ERR_INVALID_ID = new ErrorReply('ERR Invalid stream ID specified as stream command argument');
const ERR_START_ID = new ErrorReply('ERR invalid start ID for the interval');
const ERR_END_ID = new ErrorReply('ERR invalid end ID for the interval');
const ERR_MAXMIN = new ErrorReply('ERR syntax error, MAXLEN and MINID options at the same time are not compatible');
const ERR_MAXLEN_NEG = new ErrorReply('ERR The MAXLEN argument must be >= 0.');
const ERR_LIMIT_NEG = new ErrorReply('ERR The LIMIT argument must be >= 0.');
const ERR_LIMIT_NO_STRATEGY = new ErrorReply('ERR syntax error, LIMIT cannot be used without specifying a trimming strategy');
const ERR_XTRIM_NO_STRATEGY = new ErrorReply('ERR syntax error, XTRIM must be called with a trimming strategy');
const ERR_LIMIT_NO_APPROX = new ErrorReply('ERR syntax error, LIMIT cannot be used without the special ~ option');

/** Redis's default LIMIT for `~` trimming: 100 * stream-node-max-entries. */
const DEFAULT_APPROX_LIMIT = 100 * 100;

/** An int64 argument (getLongLongFromObjectOrReply), as a number (counts beyond 2^53 lose nothing that matters). */
export function int64Arg(b: Buffer): number | ErrorReply {
  const v = parseInt64(b);
  return v === null ? ERR_NOT_INTEGER : Number(v);
}

/** Redis streamParseStrictIDOrReply: `-` and `+` refused; a missing seq is 0. */
export function strictId(b: Buffer): StreamId | ErrorReply {
  return parseStreamId(b, { missingSeq: 0n, strict: true })?.id ?? ERR_INVALID_ID;
}

/** Redis streamParseIDOrReply: `-` / `+` allowed; `missingSeq` when only ms is given. */
export function looseId(b: Buffer, missingSeq: bigint): StreamId | ErrorReply {
  return parseStreamId(b, { missingSeq, strict: false })?.id ?? ERR_INVALID_ID;
}

/**
 * An XRANGE bound (streamParseIntervalIDOrReply): `(id` is exclusive (never
 * `(-` / `(+`) and moves one id inwards.
 */
export function intervalId(b: Buffer, isStart: boolean): StreamId | ErrorReply {
  if (b.length > 1 && b[0] === 0x28) {
    const p = parseStreamId(b.subarray(1), { missingSeq: isStart ? 0n : 0xffffffffffffffffn, strict: true });
    if (p === null) return ERR_INVALID_ID;
    const moved = isStart ? nextId(p.id) : prevId(p.id);
    return moved ?? (isStart ? ERR_START_ID : ERR_END_ID);
  }
  return looseId(b, isStart ? 0n : 0xffffffffffffffffn);
}

export interface AddTrimArgs {
  trim: TrimSpec | null;
  noMkStream: boolean;
  /** XADD: argv index of the id (`*` or explicit); argv.length when none was found. */
  idPos: number;
  id: StreamId | null;
  /** False for `ms-*`. */
  seqGiven: boolean;
}

/** Redis streamParseAddOrTrimArgsOrReply. */
export function parseAddTrim(argv: Buffer[], xadd: boolean): AddTrimArgs | ErrorReply {
  const out: AddTrimArgs = { trim: null, noMkStream: false, idPos: argv.length, id: null, seqGiven: true };
  let strategy: 'maxlen' | 'minid' | null = null;
  let approx = false;
  let maxlen = 0;
  let minid: StreamId | null = null;
  let limit = 0;
  let limitGiven = false;
  let i = 2;
  for (; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    const a = argv[i];
    if (xadd && a.length === 1 && a[0] === 0x2a) break;
    if ((isToken(a, 'maxlen') || isToken(a, 'minid')) && more > 0) {
      if (strategy !== null) return ERR_MAXMIN;
      const isMax = isToken(a, 'maxlen');
      approx = false;
      const next = argv[i + 1];
      if (more >= 2 && next.length === 1 && next[0] === 0x7e) {
        approx = true;
        i++;
      } else if (more >= 2 && next.length === 1 && next[0] === 0x3d) {
        i++;
      }
      if (isMax) {
        const n = int64Arg(argv[i + 1]);
        if (n instanceof ErrorReply) return n;
        if (n < 0) return ERR_MAXLEN_NEG;
        maxlen = n;
      } else {
        const id = strictId(argv[i + 1]);
        if (id instanceof ErrorReply) return id;
        minid = id;
      }
      i++;
      strategy = isMax ? 'maxlen' : 'minid';
    } else if (isToken(a, 'limit') && more > 0) {
      const n = int64Arg(argv[i + 1]);
      if (n instanceof ErrorReply) return n;
      if (n < 0) return ERR_LIMIT_NEG;
      limit = n;
      limitGiven = true;
      i++;
    } else if (xadd && isToken(a, 'nomkstream')) {
      out.noMkStream = true;
    } else if (xadd) {
      const p = parseStreamId(a, { missingSeq: 0n, strict: true, seqStar: true });
      if (p === null) return ERR_INVALID_ID;
      out.id = p.id;
      out.seqGiven = p.seqGiven;
      break;
    } else {
      return ERR_SYNTAX;
    }
  }
  out.idPos = i;
  if (limit !== 0 && strategy === null) return ERR_LIMIT_NO_STRATEGY;
  if (!xadd && strategy === null) return ERR_XTRIM_NO_STRATEGY;
  if (limitGiven) {
    if (!approx) return ERR_LIMIT_NO_APPROX;
  } else {
    limit = approx ? DEFAULT_APPROX_LIMIT : 0;
  }
  if (strategy === 'maxlen') out.trim = { maxlen, approx, limit };
  else if (strategy === 'minid') out.trim = { minid: minid!, approx, limit };
  return out;
}
