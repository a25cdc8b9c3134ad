import { ErrorReply } from '../../protocol/reply';
import { ERR_NOT_INTEGER, ERR_SYNTAX, errInvalidExpire } from '../../protocol/errors';
import { deadline, type Deadline } from '../keyspace';
import { INT64_MAX, isToken, parseInt64 } from './util';

/**
 * Expiry arguments shared by SET, GETEX, SETEX, PSETEX and the EXPIRE
 * family, with Redis's validation (t_string.c parseExtendedStringArguments,
 * getExpireMillisecondsOrReply; expire.c expireGenericCommand).
 */

export type ExpireKind = 'ex' | 'px' | 'exat' | 'pxat';

export interface StringOptions {
  nx: boolean;
  xx: boolean;
  /** Redis 8.4 compare-and-set: IFEQ / IFNE with the argv index of the value to compare. */
  cmp: { kind: 'ifeq' | 'ifne'; at: number } | null;
  get: boolean;
  keepTtl: boolean;
  persist: boolean;
  /** The expiry option (the last one given), with the index of its value in argv. */
  expire: { kind: ExpireKind; at: number } | null;
  /** Indexes of every expiry value given (an option may repeat; the last wins). */
  expireAts: number[];
}

/**
 * Parses SET options (from argv[3]) or GETEX options (from argv[2]) exactly
 * as Redis does: options may repeat, conflicting ones are a syntax error,
 * an expiry option needs a following argument.
 */
export function parseStringOptions(argv: Buffer[], mode: 'set' | 'get'): StringOptions | ErrorReply {
  const o: StringOptions = { nx: false, xx: false, cmp: null, get: false, keepTtl: false, persist: false, expire: null, expireAts: [] };
  const set = mode === 'set';
  for (let j = set ? 3 : 2; j < argv.length; j++) {
    const a = argv[j];
    const hasNext = j < argv.length - 1;
    const kind = o.expire?.kind;
    const k = expireKind(a);
    if (set && isToken(a, 'nx') && !o.xx && !o.cmp) o.nx = true;
    else if (set && isToken(a, 'xx') && !o.nx && !o.cmp) o.xx = true;
    else if (set && (isToken(a, 'ifeq') || isToken(a, 'ifne')) && hasNext && !o.nx && !o.xx && !o.cmp) {
      // The condition options are mutually exclusive (NX, XX, IFEQ, IFNE).
      o.cmp = { kind: isToken(a, 'ifeq') ? 'ifeq' : 'ifne', at: j + 1 };
      j++;
    }
    else if (set && isToken(a, 'get')) o.get = true;
    else if (set && isToken(a, 'keepttl') && !o.persist && kind === undefined) o.keepTtl = true;
    else if (!set && isToken(a, 'persist') && kind === undefined && !o.keepTtl) o.persist = true;
    else if (k !== null && hasNext && !o.keepTtl && !o.persist && (kind === undefined || kind === k)) {
      o.expire = { kind: k, at: j + 1 };
      o.expireAts.push(j + 1);
      j++;
    } else return ERR_SYNTAX;
  }
  return o;
}

function expireKind(a: Buffer): ExpireKind | null {
  if (isToken(a, 'ex')) return 'ex';
  if (isToken(a, 'px')) return 'px';
  if (isToken(a, 'exat')) return 'exat';
  if (isToken(a, 'pxat')) return 'pxat';
  return null;
}

/**
 * The absolute deadline in ms for an expiry argument of SET/GETEX/SETEX/
 * PSETEX (getExpireMillisecondsOrReply): a positive int64; seconds must not
 * overflow when multiplied; relative kinds add `now` and must not overflow.
 * `command` names the command in the error message. Exact: past 2^53 the
 * deadline is a bigint (keyspace Deadline).
 */
export function expireDeadline(value: Buffer, kind: ExpireKind, now: number, command: string): Deadline | ErrorReply {
  const v = parseInt64(value);
  if (v === null) return ERR_NOT_INTEGER;
  const seconds = kind === 'ex' || kind === 'exat';
  const relative = kind === 'ex' || kind === 'px';
  if (v <= 0 || (seconds && BigInt(v) > INT64_MAX / 1000n)) return errInvalidExpire(command);
  if (typeof v === 'number') {
    const ms = (seconds ? v * 1000 : v) + (relative ? now : 0);
    if (Number.isSafeInteger(ms)) return ms;
  }
  const ms = BigInt(v) * (seconds ? 1000n : 1n) + (relative ? BigInt(now) : 0n);
  if (ms > INT64_MAX) return errInvalidExpire(command);
  return deadline(ms);
}

/** The stateless part of expireDeadline (what `check` can verify before `now` is known). */
export function checkExpireValue(value: Buffer, kind: ExpireKind, command: string): ErrorReply | null {
  const r = expireDeadline(value, kind, 0, command);
  return r instanceof ErrorReply ? r : null;
}

export const PXAT = Buffer.from('PXAT');
export const PEXPIREAT = Buffer.from('PEXPIREAT');

export function msBuffer(ms: Deadline): Buffer {
  return Buffer.from(String(ms), 'latin1');
}
