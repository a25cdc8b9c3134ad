import RedisParser from 'redis-parser';
import { fastHeader, fastHeaderValue, parseRedisInteger } from './resp-int';
import { splitInlineArgs } from './inline';
import {
  DEFAULT_DECODER_LIMITS,
  ERR_INVALID_BULK,
  ERR_INVALID_MULTIBULK,
  ERR_TOO_BIG_BULK,
  ERR_TOO_BIG_INLINE,
  ERR_TOO_BIG_MULTIBULK,
  ERR_UNBALANCED_QUOTES,
  ERR_UNAUTH_BULK,
  ERR_UNAUTH_MULTIBULK,
  UNAUTH_MAX_BULK,
  UNAUTH_MAX_MULTIBULK,
  copyBytes,
  errExpectedDollar,
  type CommandSink,
  type DecoderLimits,
} from './decoder';

/**
 * The same request decoder built on the npm package redis-parser: a light
 * scanner validates every `*`/`$` header as it arrives (redis-parser has no
 * limits, accepts reply types and pre-sizes arrays from the declared count)
 * and hands the multibulk bytes to redis-parser, which builds argv. Inline
 * commands never reach redis-parser.
 *
 * Kept as the measured alternative (bench/protocol-decoder.ts) and as a second
 * implementation the tests compare against; the server uses RequestDecoder,
 * which is faster. Behaviour, errors and bufferedBytes match RequestDecoder.
 */
export class RedisParserDecoder {
  authRequired = false;

  private readonly limits: DecoderLimits;
  private readonly parser: RedisParser;
  private sink: CommandSink | null = null;
  private failed: string | null = null;

  private argsLeft = 0;
  /** Payload bytes (plus the 2 after them) still to skip; -1 when a `$` header is next. */
  private skipLeft = -1;
  private line: Buffer = Buffer.alloc(0);
  private requestBytes = 0;

  /**
   * copyArgs (default true) copies each argument out of redis-parser's
   * buffers, which are views of the socket chunks; false is for measuring.
   */
  constructor(limits?: Partial<DecoderLimits>, private readonly options: { copyArgs?: boolean } = {}) {
    this.limits = { ...DEFAULT_DECODER_LIMITS, ...limits };
    this.parser = new RedisParser({
      returnBuffers: true,
      returnReply: (reply: unknown) => this.onReply(reply),
      // Unreachable: the scanner only lets `*` and `$` through.
      returnError: () => undefined,
      returnFatalError: () => undefined,
    });
  }

  get bufferedBytes(): number {
    return this.requestBytes + this.line.length;
  }

  feed(chunk: Buffer, onCommand: CommandSink): string | null {
    if (this.failed !== null) return this.failed;
    if (chunk.length === 0) return null;
    this.sink = onCommand;
    try {
      return this.scan(chunk);
    } finally {
      this.sink = null;
    }
  }

  private onReply(reply: unknown): void {
    // `*0` and `*-1` come back as [] and null: Redis ignores them.
    if (!Array.isArray(reply) || reply.length === 0 || this.sink === null) return;
    const argv = reply as Buffer[];
    if (this.options.copyArgs !== false) {
      for (let i = 0; i < argv.length; i++) argv[i] = copyBytes(argv[i], 0, argv[i].length);
    }
    this.sink(argv);
  }

  private scan(chunk: Buffer): string | null {
    let buf = chunk;
    let pos = 0;
    /** Start of the bytes not yet given to redis-parser. */
    let segStart = 0;
    let reqStart = 0;
    if (this.line.length > 0) {
      // A carried line was never given to redis-parser: it parses a header as
      // soon as it sees '\r', so only validated headers may reach it.
      buf = Buffer.concat([this.line, chunk]);
      this.line = Buffer.alloc(0);
    }
    const end = buf.length;
    const { maxBulkLen, maxMultibulkLen, maxInlineLen } = this.limits;
    const flush = (upTo: number): void => {
      if (upTo > segStart) this.parser.execute(buf.subarray(segStart, upTo));
      segStart = upTo;
    };
    const fail = (message: string, at: number): string => {
      flush(at);
      this.failed = message;
      return message;
    };
    // A line that has not ended yet: remember it and wait.
    const carry = (from: number): void => {
      this.line = Buffer.from(buf.subarray(from, end));
      flush(from);
    };

    while (pos < end) {
      if (this.skipLeft > 0) {
        const n = Math.min(this.skipLeft, end - pos);
        pos += n;
        this.skipLeft -= n;
        if (this.skipLeft > 0) break;
        this.skipLeft = -1;
        if (--this.argsLeft === 0) {
          this.requestBytes = 0;
          reqStart = pos;
        }
        continue;
      }
      if (this.argsLeft === 0) {
        reqStart = pos;
        if (buf[pos] !== 42) {
          const nl = buf.indexOf(10, pos);
          if (nl < 0) {
            if (end - pos > maxInlineLen) return fail(ERR_TOO_BIG_INLINE, pos);
            carry(pos);
            return null;
          }
          flush(pos);
          const args = splitInlineArgs(buf, pos, nl > pos && buf[nl - 1] === 13 ? nl - 1 : nl);
          if (args === null) return fail(ERR_UNBALANCED_QUOTES, pos);
          pos = segStart = nl + 1;
          if (args.length > 0) this.sink?.(args);
          continue;
        }
        let count: number;
        let next = fastHeader(buf, pos, end);
        if (next >= 0) {
          count = fastHeaderValue.value;
        } else {
          const cr = buf.indexOf(13, pos);
          if (cr < 0 || cr + 1 >= end) {
            if (cr < 0 && end - pos > maxInlineLen) return fail(ERR_TOO_BIG_MULTIBULK, pos);
            carry(pos);
            return null;
          }
          count = parseRedisInteger(buf, pos + 1, cr);
          next = cr + 2;
        }
        if (!(count <= maxMultibulkLen)) return fail(ERR_INVALID_MULTIBULK, pos);
        if (count > UNAUTH_MAX_MULTIBULK && this.authRequired) return fail(ERR_UNAUTH_MULTIBULK, pos);
        pos = next;
        if (count > 0) this.argsLeft = count;
        continue;
      }
      // A `$` header.
      let len: number;
      let next = buf[pos] === 36 ? fastHeader(buf, pos, end) : -1;
      if (next >= 0) {
        len = fastHeaderValue.value;
      } else {
        const cr = buf.indexOf(13, pos);
        if (cr < 0 || cr + 1 >= end) {
          if (cr < 0 && end - pos > maxInlineLen) return fail(ERR_TOO_BIG_BULK, pos);
          carry(pos);
          this.requestBytes += pos - reqStart;
          return null;
        }
        if (buf[pos] !== 36) return fail(errExpectedDollar(buf[pos]), pos);
        len = parseRedisInteger(buf, pos + 1, cr);
        next = cr + 2;
      }
      if (!(len >= 0 && len <= maxBulkLen)) return fail(ERR_INVALID_BULK, pos);
      if (len > UNAUTH_MAX_BULK && this.authRequired) return fail(ERR_UNAUTH_BULK, pos);
      pos = next;
      this.skipLeft = len + 2;
    }
    flush(end);
    if (this.argsLeft > 0) this.requestBytes += end - reqStart;
    return null;
  }
}
