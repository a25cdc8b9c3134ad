/**
 * Reply values produced by command handlers and rendered by the encoder.
 *
 * Plain JS values cover the hot cases so handlers allocate little:
 *   Buffer | string  -> bulk string (string is encoded as UTF-8)
 *   number | bigint  -> integer (number must be an integer)
 *   null             -> null bulk string (RESP2 `$-1`, RESP3 `_`)
 *   Reply[]          -> array
 * Classes cover the rest; RESP3-only types degrade to their RESP2 forms.
 */
export type Reply =
  | Buffer
  | string
  | number
  | bigint
  | null
  | Reply[]
  | SimpleString
  | ErrorReply
  | NullArray
  | MapReply
  | PairsReply
  | SetReply
  | DoubleReply
  | BoolReply
  | VerbatimReply
  | PushReply
  | RawReply;

/** `+OK` style status reply. */
export class SimpleString {
  constructor(readonly value: string) {}
}

/**
 * An error reply. `message` starts with the error code, e.g. `ERR syntax error`
 * or `WRONGTYPE Operation against ...` (the encoder adds the leading `-`).
 */
export class ErrorReply {
  constructor(readonly message: string) {}
  /** The leading upper-case word, e.g. `ERR`, `WRONGTYPE`, `MOVED`. */
  get code(): string {
    const sp = this.message.indexOf(' ');
    return sp < 0 ? this.message : this.message.slice(0, sp);
  }
}

/** RESP2 `*-1` (e.g. EXEC aborted by WATCH); RESP3 `_`. */
export class NullArray {
  static readonly instance = new NullArray();
  private constructor() {}
}

/**
 * RESP3 map `%`; RESP2 renders a flat array k1 v1 k2 v2 ..., or with
 * `resp2Pairs` an array of [k, v] arrays (XREAD's per-stream replies).
 */
export class MapReply {
  constructor(readonly entries: Array<[Reply, Reply]>, readonly resp2Pairs = false) {}
}

/**
 * Pairs (HRANDFIELD ... WITHVALUES, ZRANGE ... WITHSCORES and the like):
 * RESP3 an array of 2-element arrays, RESP2 one flat array.
 */
export class PairsReply {
  constructor(readonly pairs: Array<[Reply, Reply]>) {}
}

/** RESP3 set `~`; RESP2 renders an array. */
export class SetReply {
  constructor(readonly items: Reply[]) {}
}

/**
 * RESP3 double `,`; RESP2 renders a bulk string formatted as Redis does.
 * `text`, when given, is sent instead of the default formatting (Redis's
 * addReplyHumanLongDouble: GEOPOS prints "%.17Lf" digits).
 */
export class DoubleReply {
  constructor(readonly value: number, readonly text?: string) {}
}

/** RESP3 boolean `#t`/`#f`; RESP2 renders integer 1/0. */
export class BoolReply {
  constructor(readonly value: boolean) {}
}

/** RESP3 verbatim string `=` (format is 3 chars, e.g. `txt`); RESP2 renders a bulk string. */
export class VerbatimReply {
  constructor(readonly format: string, readonly text: string) {}
}

/** RESP3 push `>` (pub/sub messages); RESP2 renders an array. */
export class PushReply {
  constructor(readonly items: Reply[]) {}
}

/** Bytes already encoded as RESP, sent as they are (forwarded replies, constants). */
export class RawReply {
  constructor(readonly bytes: Buffer) {}
}

export const OK = new SimpleString('OK');
export const QUEUED = new SimpleString('QUEUED');
export const PONG = new SimpleString('PONG');

export function isError(r: unknown): r is ErrorReply {
  return r instanceof ErrorReply;
}

/**
 * The message of an error reply (without the leading `-`), whether built here
 * (ErrorReply) or relayed as encoded bytes from another node (RawReply
 * holding `-...\r\n`); undefined for any other reply.
 */
export function errorMessage(r: Reply): string | undefined {
  if (r instanceof ErrorReply) return r.message;
  if (r instanceof RawReply && r.bytes[0] === 0x2d) {
    const end = r.bytes.indexOf('\r\n');
    return r.bytes.toString('latin1', 1, end < 0 ? r.bytes.length : end);
  }
  return undefined;
}

/** The leading word of an error reply (as ErrorReply.code: `ERR`, `TRYAGAIN`, ...); undefined for any other reply. */
export function errorCodeOf(r: Reply): string | undefined {
  const message = errorMessage(r);
  if (message === undefined) return undefined;
  const sp = message.indexOf(' ');
  return sp < 0 ? message : message.slice(0, sp);
}
