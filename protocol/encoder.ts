import {
  BoolReply,
  DoubleReply,
  ErrorReply,
  MapReply,
  PairsReply,
  NullArray,
  PushReply,
  RawReply,
  SetReply,
  SimpleString,
  VerbatimReply,
  type Reply,
} from './reply';
import { formatDouble } from './double';

/**
 * RESP2/RESP3 reply encoder. Replies are written straight into one growable
 * buffer per connection (no per-reply Buffer.concat); take() hands the bytes
 * to the socket.
 *
 * Text of errors and status replies is written one byte per character
 * (latin1) when every character is <= U+00FF, so a message built from argv
 * with toString('latin1') (as errors.ts does) reproduces the client's bytes,
 * as Redis does; otherwise it is written as UTF-8. Bulk strings given as JS
 * strings are always UTF-8.
 */

export type Protocol = 2 | 3;

const CR = 13;
const LF = 10;
const INITIAL_CAPACITY = 16 * 1024;
/** take() copies out at most this much and keeps its buffer; larger output is handed over. */
const COPY_OUT_LIMIT = 8 * 1024;
/** A kept buffer larger than this is dropped after take() so idle connections stay small. */
const KEEP_LIMIT = 64 * 1024;
const EMPTY = Buffer.alloc(0);
const NOT_LATIN1 = /[^\u0000-\u00ff]/;
const CR_OR_LF = /[\r\n]/g;

export class ReplyWriter {
  private buf: Buffer = EMPTY;
  private len = 0;

  /** Bytes written and not yet taken. */
  get pendingBytes(): number {
    return this.len;
  }

  /** Size of the buffer kept for replies. */
  get capacity(): number {
    return this.buf.length;
  }

  write(reply: Reply, proto: Protocol): void {
    const mark = this.len;
    try {
      this.reply(reply, proto);
    } catch (err) {
      this.len = mark; // never leave half a reply in the stream
      throw err;
    }
  }

  /** All pending output as one Buffer the caller owns (empty Buffer if none). */
  take(): Buffer {
    const len = this.len;
    if (len === 0) return EMPTY;
    this.len = 0;
    if (len <= COPY_OUT_LIMIT) {
      const out = Buffer.allocUnsafe(len);
      this.buf.copy(out, 0, 0, len);
      if (this.buf.length > KEEP_LIMIT) this.buf = EMPTY;
      return out;
    }
    const out = this.buf.subarray(0, len);
    this.buf = EMPTY;
    return out;
  }

  private reply(r: Reply, proto: Protocol): void {
    if (r instanceof Uint8Array) {
      this.bulk(r);
      return;
    }
    switch (typeof r) {
      case 'string':
        this.bulkString(r);
        return;
      case 'number':
        if (Number.isSafeInteger(r)) this.header(58 /* : */, r);
        else if (Number.isInteger(r)) this.bigInteger(BigInt(r));
        else this.double(r, proto); // not meant to happen: numbers are integers
        return;
      case 'bigint':
        this.bigInteger(r);
        return;
    }
    if (r === null) {
      if (proto === 3) this.bytes3(95 /* _ */, CR, LF);
      else this.ascii('$-1\r\n');
    } else if (Array.isArray(r)) {
      this.header(42 /* * */, r.length);
      for (let i = 0; i < r.length; i++) this.reply(r[i], proto);
    } else if (r instanceof SimpleString) {
      this.line(43 /* + */, r.value);
    } else if (r instanceof ErrorReply) {
      this.line(45 /* - */, r.message);
    } else if (r instanceof NullArray) {
      if (proto === 3) this.bytes3(95, CR, LF);
      else this.ascii('*-1\r\n');
    } else if (r instanceof MapReply) {
      const entries = r.entries;
      if (proto === 3) this.header(37 /* % */, entries.length);
      else this.header(42, r.resp2Pairs ? entries.length : entries.length * 2);
      for (let i = 0; i < entries.length; i++) {
        if (proto === 2 && r.resp2Pairs) this.header(42, 2);
        this.reply(entries[i][0], proto);
        this.reply(entries[i][1], proto);
      }
    } else if (r instanceof PairsReply) {
      const pairs = r.pairs;
      this.header(42, proto === 3 ? pairs.length : pairs.length * 2);
      for (let i = 0; i < pairs.length; i++) {
        if (proto === 3) this.header(42, 2);
        this.reply(pairs[i][0], proto);
        this.reply(pairs[i][1], proto);
      }
    } else if (r instanceof SetReply) {
      this.header(proto === 3 ? 126 /* ~ */ : 42, r.items.length);
      for (let i = 0; i < r.items.length; i++) this.reply(r.items[i], proto);
    } else if (r instanceof DoubleReply) {
      this.double(r.value, proto, r.text);
    } else if (r instanceof BoolReply) {
      if (proto === 3) this.bytes4(35 /* # */, r.value ? 116 /* t */ : 102 /* f */, CR, LF);
      else this.bytes4(58, r.value ? 49 : 48, CR, LF);
    } else if (r instanceof VerbatimReply) {
      if (proto === 3) {
        const format = (r.format + '   ').slice(0, 3);
        const n = Buffer.byteLength(r.text, 'utf8');
        this.header(61 /* = */, n + 4);
        this.ensure(n + 6);
        this.len += this.buf.write(format + ':', this.len, 'latin1');
        this.len += this.buf.write(r.text, this.len, 'utf8');
        this.crlf();
      } else {
        this.bulkString(r.text);
      }
    } else if (r instanceof PushReply) {
      this.header(proto === 3 ? 62 /* > */ : 42, r.items.length);
      for (let i = 0; i < r.items.length; i++) this.reply(r.items[i], proto);
    } else if (r instanceof RawReply) {
      this.rawBytes(r.bytes);
    } else {
      throw new TypeError(`not a Reply: ${Object.prototype.toString.call(r)}`);
    }
  }

  private bulk(b: Uint8Array): void {
    this.header(36 /* $ */, b.length);
    this.ensure(b.length + 2);
    this.buf.set(b, this.len);
    this.len += b.length;
    this.buf[this.len++] = CR;
    this.buf[this.len++] = LF;
  }

  private bulkString(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.header(36, n);
    this.ensure(n + 2);
    if (n === s.length && n < 32) {
      // Short ASCII: a JS loop beats the native call.
      const buf = this.buf;
      let o = this.len;
      for (let i = 0; i < n; i++) buf[o++] = s.charCodeAt(i);
      this.len = o;
    } else {
      this.len += this.buf.write(s, this.len, 'utf8');
    }
    this.crlf();
  }

  private rawBytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  private double(d: number, proto: Protocol, given?: string): void {
    const text = given ?? formatDouble(d);
    if (proto === 3) {
      this.ensure(text.length + 3);
      this.buf[this.len++] = 44; /* , */
      this.ascii(text);
      this.crlf();
    } else {
      this.bulkString(text);
    }
  }

  private bigInteger(b: bigint): void {
    this.ascii(`:${b}\r\n`);
  }

  /** `+text` or `-text`: \r and \n become spaces, as Redis does for errors. */
  private line(prefix: number, text: string): void {
    if (text.indexOf('\r') >= 0 || text.indexOf('\n') >= 0) text = text.replace(CR_OR_LF, ' ');
    const latin1 = !NOT_LATIN1.test(text);
    const n = latin1 ? text.length : Buffer.byteLength(text, 'utf8');
    this.ensure(n + 3);
    this.buf[this.len++] = prefix;
    if (latin1 && n < 32) {
      const buf = this.buf;
      let o = this.len;
      for (let i = 0; i < n; i++) buf[o++] = text.charCodeAt(i);
      this.len = o;
    } else {
      this.len += this.buf.write(text, this.len, latin1 ? 'latin1' : 'utf8');
    }
    this.crlf();
  }

  /** `<prefix><integer>\r\n` for a safe integer. */
  private header(prefix: number, n: number): void {
    this.ensure(24);
    const buf = this.buf;
    let o = this.len;
    buf[o++] = prefix;
    if (n < 0) {
      buf[o++] = 45; /* - */
      n = -n;
    }
    if (n < 10) {
      buf[o++] = 48 + n;
    } else {
      let digits = 1;
      for (let t = n; t >= 10; t = Math.floor(t / 10)) digits++;
      let p = o + digits;
      o = p;
      while (n >= 10) {
        const q = Math.floor(n / 10);
        buf[--p] = 48 + (n - q * 10);
        n = q;
      }
      buf[--p] = 48 + n;
    }
    buf[o++] = CR;
    buf[o++] = LF;
    this.len = o;
  }

  private ascii(s: string): void {
    const n = s.length;
    this.ensure(n);
    const buf = this.buf;
    let o = this.len;
    for (let i = 0; i < n; i++) buf[o++] = s.charCodeAt(i);
    this.len = o;
  }

  private crlf(): void {
    this.buf[this.len++] = CR;
    this.buf[this.len++] = LF;
  }

  private bytes3(a: number, b: number, c: number): void {
    this.ensure(3);
    const buf = this.buf;
    buf[this.len++] = a;
    buf[this.len++] = b;
    buf[this.len++] = c;
  }

  private bytes4(a: number, b: number, c: number, d: number): void {
    this.ensure(4);
    const buf = this.buf;
    buf[this.len++] = a;
    buf[this.len++] = b;
    buf[this.len++] = c;
    buf[this.len++] = d;
  }

  private ensure(extra: number): void {
    const need = this.len + extra;
    if (need <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2, INITIAL_CAPACITY));
    this.buf.copy(grown, 0, 0, this.len);
    this.buf = grown;
  }
}

const shared = new ReplyWriter();

/** One reply as a Buffer the caller owns. */
export function encodeReply(reply: Reply, proto: Protocol): Buffer {
  shared.write(reply, proto);
  return shared.take();
}

/** A request as clients send it: an array of bulk strings (strings as UTF-8). */
export function encodeRequest(args: ReadonlyArray<Buffer | string>): Buffer {
  return encodeReply(args as Reply[], 2);
}
