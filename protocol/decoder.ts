import { fastHeader, fastHeaderValue, parseRedisInteger } from './resp-int';
import { splitInlineArgs } from './inline';

/** Received bytes after which a bulk payload's buffer is allocated at its full announced length (resumePayload). */
const PAYLOAD_FULL_AFTER = 1 << 20;

/**
 * Request decoder for the server side of RESP: multibulk requests
 * (`*N\r\n$len\r\n...`) and inline commands (`PING\r\n`), with Redis 7's
 * limits and protocol error wording (networking.c, processMultibulkBuffer and
 * processInlineBuffer).
 *
 * It is a hand-written resumable parser rather than redis-parser, because it
 * measured about twice as fast (bench/protocol-decoder.ts, compiled, pipelined
 * SET/GET: ~6.3M requests/s whole and ~5.9M in 1.5 KB chunks, against ~3.3M and
 * ~3.0M for redis-parser plus the same header checks and argument copies;
 * redis-parser is still 20-25% behind with its zero-copy views kept). It checks
 * each header as it arrives, before any payload is buffered, so a hostile
 * length prefix costs nothing. `RedisParserDecoder` (decoder-redis-parser.ts)
 * keeps the redis-parser based alternative with the same behaviour; the tests
 * run both and compare them.
 *
 * Redis quirks kept on purpose, so clients see the same thing:
 *  - a header line ends at '\r' and the byte after it is skipped unchecked;
 *  - the two bytes after a bulk payload are skipped unchecked;
 *  - `*0` and negative counts are ignored, as are empty inline lines;
 *  - "too big ... string" errors fire only when no line end has arrived and
 *    more than maxInlineLen bytes are waiting.
 * Deliberate difference: a NUL byte is an ordinary byte (Redis's strchr stops
 * at it, which makes such a request hang until the "too big" error).
 */

export interface DecoderLimits {
  /** proto-max-bulk-len: largest accepted `$` length. */
  maxBulkLen: number;
  /** Largest accepted `*` count (Redis 7: INT_MAX). */
  maxMultibulkLen: number;
  /** PROTO_INLINE_MAX_SIZE: longest unterminated header or inline line. */
  maxInlineLen: number;
}

export const DEFAULT_DECODER_LIMITS: Readonly<DecoderLimits> = Object.freeze({
  maxBulkLen: 512 * 1024 * 1024,
  maxMultibulkLen: 2147483647,
  maxInlineLen: 64 * 1024,
});

/** Redis's wording (without the leading '-'); the connection closes after them. */
export const ERR_INVALID_MULTIBULK = 'ERR Protocol error: invalid multibulk length';
export const ERR_INVALID_BULK = 'ERR Protocol error: invalid bulk length';
export const ERR_TOO_BIG_MULTIBULK = 'ERR Protocol error: too big mbulk count string';
export const ERR_TOO_BIG_BULK = 'ERR Protocol error: too big bulk count string';
export const ERR_TOO_BIG_INLINE = 'ERR Protocol error: too big inline request';
export const ERR_UNBALANCED_QUOTES = 'ERR Protocol error: unbalanced quotes in request';
export const ERR_UNAUTH_MULTIBULK = 'ERR Protocol error: unauthenticated multibulk length';
export const ERR_UNAUTH_BULK = 'ERR Protocol error: unauthenticated bulk length';

/** Redis formats the byte with %c and then turns \r and \n into spaces. */
export function errExpectedDollar(byte: number): string {
  const shown = byte === 13 || byte === 10 ? ' ' : String.fromCharCode(byte);
  return `ERR Protocol error: expected '$', got '${shown}'`;
}

/** Before AUTH, Redis refuses counts above 10 and bulk lengths above 16 KiB. */
export const UNAUTH_MAX_MULTIBULK = 10;
export const UNAUTH_MAX_BULK = 16384;

const STAR = 42;
const DOLLAR = 36;
const CR = 13;
const LF = 10;
const EMPTY = Buffer.alloc(0);
/**
 * First buffer for a split payload: the declared length, but at most this
 * much (or twice what arrived), so a hostile length prefix costs 16 KiB, not
 * 512 MB, while typical values still fit in one allocation.
 */
const PAYLOAD_MIN_CAPACITY = 16 * 1024;
/**
 * What one parsed argument costs beyond its bytes: the Buffer object on the
 * V8 heap and its slot in argv (measured ~110 bytes for a pooled view, ~200
 * for a Buffer of its own). Counted so `*N` followed by many empty arguments
 * is bounded by the query buffer limit like any other request.
 */
export const ARG_OVERHEAD = 200;

/**
 * A fresh copy of buf[start, end): argv must not pin the socket's chunk (a
 * stored 3-byte value would otherwise keep 64 KiB alive). Small copies use a
 * JS loop, which measured ~2x faster than the native Buffer.copy call.
 */
export function copyBytes(buf: Buffer, start: number, end: number): Buffer {
  const n = end - start;
  const out = Buffer.allocUnsafe(n);
  if (n < 64) {
    for (let i = 0; i < n; i++) out[i] = buf[start + i];
  } else {
    buf.copy(out, 0, start, end);
  }
  return out;
}

export type CommandSink = (argv: Buffer[]) => void;

export class RequestDecoder {
  /**
   * Set while the connection is not authenticated and a password is required:
   * applies Redis's "unauthenticated multibulk/bulk length" limits.
   */
  authRequired = false;

  private readonly maxBulkLen: number;
  private readonly maxMultibulkLen: number;
  private readonly maxInlineLen: number;
  private failed: string | null = null;

  /** Arguments still to read for the current multibulk request (0: between requests). */
  private argsLeft = 0;
  private argv: Buffer[] = [];
  /** Bytes of argv plus ARG_OVERHEAD per argument. */
  private argvMem = 0;
  /** Length of the next payload once its `$` header is read, else -1. */
  private bulkLen = -1;

  /** An unterminated line (header or inline) carried to the next chunk. */
  private line: Buffer = EMPTY;
  private lineLen = 0;

  /** A payload split across chunks; grows with the bytes received, never to more than bulkLen. */
  private payload: Buffer | null = null;
  private payloadHave = 0;
  private crlfHave = 0;

  /** Bytes of the incomplete request already parsed (headers, finished arguments). */
  private requestBytes = 0;

  constructor(limits?: Partial<DecoderLimits>) {
    const l = { ...DEFAULT_DECODER_LIMITS, ...limits };
    this.maxBulkLen = l.maxBulkLen;
    this.maxMultibulkLen = l.maxMultibulkLen;
    this.maxInlineLen = l.maxInlineLen;
  }

  /**
   * Bytes received for the request not yet delivered: its parsed arguments and
   * headers plus the unparsed tail (for client query buffer statistics and limits).
   */
  get bufferedBytes(): number {
    return this.requestBytes + this.lineLen + (this.payload === null ? 0 : this.payloadHave + this.crlfHave);
  }

  /** Bytes received and not yet parsed into arguments (Redis's qbuf). */
  get unparsedBytes(): number {
    return this.lineLen + (this.payload === null ? 0 : this.payloadHave + this.crlfHave);
  }

  /** Allocated but unused room in the carried line and payload buffers (Redis's qbuf-free). */
  get freeBytes(): number {
    const line = this.line.length - this.lineLen;
    return line + (this.payload === null ? 0 : this.payload.length - this.payloadHave);
  }

  /** Parsed arguments of the incomplete request: their bytes plus ARG_OVERHEAD each (Redis's argv-mem). */
  get argvBytes(): number {
    return this.argvMem;
  }

  /**
   * What the incomplete request holds in memory: buffers at their capacity
   * and every parsed argument with its overhead. Checked against
   * client-query-buffer-limit after each chunk.
   */
  get memoryBytes(): number {
    const payload = this.payload === null ? 0 : this.payload.length + this.crlfHave;
    return this.line.length + payload + this.argvMem;
  }

  /**
   * Decodes every complete request in the buffered bytes plus `chunk`, calling
   * onCommand(argv) for each in order. Returns null, or a protocol error message
   * (without the leading '-') after which the caller replies and closes; later
   * calls return the same error. onCommand must not throw.
   */
  feed(chunk: Buffer, onCommand: CommandSink): string | null {
    if (this.failed !== null) return this.failed;
    if (chunk.length === 0) return null;
    let pos = 0;
    if (this.payload !== null) {
      pos = this.resumePayload(chunk, onCommand);
      if (pos < 0) return null;
    } else if (this.lineLen > 0) {
      const take = this.lineEndIn(chunk);
      if (take < 0) return this.extendLine(chunk);
      // Complete the carried line from the chunk's first bytes and parse it on
      // its own, then the rest of the chunk. Concatenating line and chunk
      // allocated and copied a buffer of the chunk's size (an ArrayBuffer of
      // its own beyond 4 KiB) whenever a header straddled two reads: about
      // one feed piece in three of a pipelined XADD fill. A complete line
      // leaves the parser at a request or argument boundary, so parse() never
      // carries part of it back into `line`.
      this.appendLine(chunk, 0, take);
      const line = this.line.subarray(0, this.lineLen);
      this.lineLen = 0;
      const failed = this.parse(line, 0, onCommand);
      if (this.line.length > 4096) this.line = EMPTY;
      if (failed !== null || take === chunk.length) return failed;
      pos = take;
    }
    return this.parse(chunk, pos, onCommand);
  }

  private parse(buf: Buffer, pos: number, onCommand: CommandSink): string | null {
    const end = buf.length;
    /** Where the bytes of the current request not yet in requestBytes start. */
    let reqStart = pos;
    while (pos < end) {
      if (this.argsLeft === 0) {
        reqStart = pos;
        if (buf[pos] !== STAR) {
          const nl = buf.indexOf(LF, pos);
          if (nl < 0) {
            if (end - pos > this.maxInlineLen) return this.fail(ERR_TOO_BIG_INLINE);
            this.saveLine(buf, pos, end);
            break;
          }
          const lineEnd = nl > pos && buf[nl - 1] === CR ? nl - 1 : nl;
          const args = splitInlineArgs(buf, pos, lineEnd);
          if (args === null) return this.fail(ERR_UNBALANCED_QUOTES);
          pos = nl + 1;
          if (args.length > 0) onCommand(args);
          continue;
        }
        // `*N\r\n`: the count line.
        let count: number;
        const next = fastHeader(buf, pos, end);
        if (next >= 0) {
          count = fastHeaderValue.value;
          pos = next;
        } else {
          const cr = buf.indexOf(CR, pos);
          if (cr < 0 || cr + 1 >= end) {
            if (cr < 0 && end - pos > this.maxInlineLen) return this.fail(ERR_TOO_BIG_MULTIBULK);
            this.saveLine(buf, pos, end);
            break;
          }
          count = parseRedisInteger(buf, pos + 1, cr);
          pos = cr + 2;
        }
        if (!(count <= this.maxMultibulkLen)) return this.fail(ERR_INVALID_MULTIBULK);
        if (count > UNAUTH_MAX_MULTIBULK && this.authRequired) return this.fail(ERR_UNAUTH_MULTIBULK);
        if (count <= 0) continue;
        this.argsLeft = count;
      }

      if (this.bulkLen < 0) {
        // `$len\r\n`: the common form is read inline; anything unusual goes
        // through the exact string2ll rules.
        let n: number;
        const next = buf[pos] === DOLLAR ? fastHeader(buf, pos, end) : -1;
        if (next >= 0 && fastHeaderValue.value <= this.maxBulkLen) {
          n = fastHeaderValue.value;
          pos = next;
        } else {
          const cr = buf.indexOf(CR, pos);
          if (cr < 0 || cr + 1 >= end) {
            if (cr < 0 && end - pos > this.maxInlineLen) return this.fail(ERR_TOO_BIG_BULK);
            this.saveLine(buf, pos, end);
            break;
          }
          if (buf[pos] !== DOLLAR) return this.fail(errExpectedDollar(buf[pos]));
          n = parseRedisInteger(buf, pos + 1, cr);
          if (!(n >= 0 && n <= this.maxBulkLen)) return this.fail(ERR_INVALID_BULK);
          pos = cr + 2;
        }
        if (n > UNAUTH_MAX_BULK && this.authRequired) return this.fail(ERR_UNAUTH_BULK);
        this.bulkLen = n;
      }

      const len = this.bulkLen;
      if (end - pos < len + 2) {
        if (pos < end) this.startPayload(buf, pos, end);
        break;
      }
      this.argv.push(len === 0 ? EMPTY : copyBytes(buf, pos, pos + len));
      this.argvMem += len + ARG_OVERHEAD;
      pos += len + 2;
      this.bulkLen = -1;
      if (--this.argsLeft === 0) {
        const argv = this.argv;
        this.argv = [];
        this.argvMem = 0;
        this.requestBytes = 0;
        reqStart = pos;
        onCommand(argv);
      }
    }
    // pos is where the carried line or payload (counted apart) begins.
    if (this.argsLeft > 0) this.requestBytes += pos - reqStart;
    return null;
  }

  /**
   * How many of `chunk`'s first bytes end the carried line, or -1 if it does
   * not (a header ends with the byte after its '\r', an inline command at '\n').
   */
  private lineEndIn(chunk: Buffer): number {
    const crTerminated = this.argsLeft > 0 || this.line[0] === STAR;
    if (!crTerminated) {
      const lf = chunk.indexOf(LF);
      return lf < 0 ? -1 : lf + 1;
    }
    if (this.line[this.lineLen - 1] === CR) return 1;
    const cr = chunk.indexOf(CR);
    return cr >= 0 && cr + 1 < chunk.length ? cr + 2 : -1;
  }

  /** Appends a chunk that does not end the carried line; fails once it is too long. */
  private extendLine(chunk: Buffer): string | null {
    const crTerminated = this.argsLeft > 0 || this.line[0] === STAR;
    this.appendLine(chunk, 0, chunk.length);
    // The line did not complete, so the only terminator it can hold is a
    // header's final '\r' still waiting for the byte after it.
    const terminated = crTerminated && this.line[this.lineLen - 1] === CR;
    if (!terminated && this.lineLen > this.maxInlineLen) {
      if (!crTerminated) return this.fail(ERR_TOO_BIG_INLINE);
      return this.fail(this.argsLeft > 0 ? ERR_TOO_BIG_BULK : ERR_TOO_BIG_MULTIBULK);
    }
    return null;
  }

  private saveLine(buf: Buffer, start: number, end: number): void {
    this.lineLen = 0;
    this.appendLine(buf, start, end);
  }

  private appendLine(buf: Buffer, start: number, end: number): void {
    const need = this.lineLen + (end - start);
    if (need > this.line.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.line.length * 2, 256));
      this.line.copy(grown, 0, 0, this.lineLen);
      this.line = grown;
    }
    buf.copy(this.line, this.lineLen, start, end);
    this.lineLen = need;
  }

  /** Keeps the received part of a payload (start < end, fewer than bulkLen + 2 bytes). */
  private startPayload(buf: Buffer, start: number, end: number): void {
    const len = this.bulkLen;
    const take = Math.min(end - start, len);
    this.payload = Buffer.allocUnsafe(Math.min(len, Math.max(take * 2, PAYLOAD_MIN_CAPACITY)));
    buf.copy(this.payload, 0, start, start + take);
    this.payloadHave = take;
    this.crlfHave = end - start - take;
  }

  /**
   * Continues a split payload with `chunk`. Returns where parsing continues in
   * the chunk, or -1 if the chunk was used up without finishing the payload.
   */
  private resumePayload(chunk: Buffer, onCommand: CommandSink): number {
    const len = this.bulkLen;
    let payload = this.payload as Buffer;
    let used = 0;
    if (this.payloadHave < len) {
      const take = Math.min(len - this.payloadHave, chunk.length);
      const need = this.payloadHave + take;
      if (need > payload.length) {
        // Doubling, so a client that announces a huge length and sends little holds little; past
        // 1 MiB received, straight to the whole length: each doubling copies everything so far
        // into fresh memory (100 MB: ~350 ms of the event loop here), while writing chunk by
        // chunk into one buffer spreads that cost over the chunks as they arrive.
        const grown = Buffer.allocUnsafe(need >= PAYLOAD_FULL_AFTER ? len : Math.min(len, Math.max(need, payload.length * 2)));
        payload.copy(grown, 0, 0, this.payloadHave);
        payload = this.payload = grown;
      }
      chunk.copy(payload, this.payloadHave, 0, take);
      this.payloadHave = need;
      used = take;
    }
    const crlf = Math.min(2 - this.crlfHave, chunk.length - used);
    this.crlfHave += crlf;
    used += crlf;
    if (this.crlfHave < 2) return -1;
    // Growth stops at len, so a finished payload fills its buffer exactly.
    this.argv.push(payload.length === len ? payload : payload.subarray(0, len));
    this.argvMem += len + ARG_OVERHEAD;
    this.payload = null;
    this.payloadHave = 0;
    this.crlfHave = 0;
    this.bulkLen = -1;
    if (--this.argsLeft === 0) {
      const argv = this.argv;
      this.argv = [];
      this.argvMem = 0;
      this.requestBytes = 0;
      onCommand(argv);
    } else {
      this.requestBytes += len + 2;
    }
    return used;
  }

  private fail(message: string): string {
    this.failed = message;
    return message;
  }
}
