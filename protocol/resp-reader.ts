/**
 * Reads one RESP2/RESP3 reply from bytes this server encoded itself (a
 * reply a leader sent back for a forwarded command) into a Reply. Not for
 * untrusted input: it assumes well-formed bytes.
 */
import { BoolReply, DoubleReply, ErrorReply, MapReply, NullArray, PushReply, SetReply, SimpleString, type Reply } from './reply';

export function readReply(buf: Buffer): Reply {
  return new Reader(buf).read();
}

/** Every complete reply at the start of `buf` (a truncated last one is left out). */
export function readReplies(buf: Buffer): Reply[] {
  const r = new Reader(buf);
  const out: Reply[] = [];
  while (!r.done) {
    const at = r.position;
    try {
      out.push(r.read());
    } catch (e) {
      if (e instanceof RangeError && /truncated/.test(e.message)) {
        r.position = at;
        break;
      }
      throw e;
    }
  }
  return out;
}

class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  get position(): number {
    return this.pos;
  }

  set position(p: number) {
    this.pos = p;
  }

  read(): Reply {
    const type = this.buf[this.pos++];
    const line = this.line();
    switch (type) {
      case 0x2b /* + */:
        return new SimpleString(line);
      case 0x2d /* - */:
        return new ErrorReply(line);
      case 0x3a /* : */: {
        const n = Number(line);
        return Number.isSafeInteger(n) ? n : BigInt(line);
      }
      case 0x28 /* ( big number */:
        return BigInt(line);
      case 0x24 /* $ */:
      case 0x3d /* = verbatim */: {
        const len = Number(line);
        if (len < 0) return null;
        if (this.pos + len + 2 > this.buf.length) throw new RangeError('truncated RESP reply');
        const out = this.buf.subarray(this.pos, this.pos + len);
        this.pos += len + 2;
        return out;
      }
      case 0x5f /* _ */:
        return null;
      case 0x2c /* , */:
        return new DoubleReply(line === 'inf' ? Infinity : line === '-inf' ? -Infinity : Number(line));
      case 0x23 /* # */:
        return new BoolReply(line === 't');
      case 0x2a /* * */:
      case 0x7e /* ~ */:
      case 0x3e /* > */: {
        const n = Number(line);
        if (n < 0) return NullArray.instance;
        const items: Reply[] = [];
        for (let i = 0; i < n; i++) items.push(this.read());
        return type === 0x2a ? items : type === 0x7e ? new SetReply(items) : new PushReply(items);
      }
      case 0x25 /* % */: {
        const n = Number(line);
        const entries: Array<[Reply, Reply]> = [];
        for (let i = 0; i < n; i++) entries.push([this.read(), this.read()]);
        return new MapReply(entries);
      }
      default:
        throw new RangeError(`unexpected RESP type byte ${type}`);
    }
  }

  private line(): string {
    const end = this.buf.indexOf('\r\n', this.pos, 'latin1');
    if (end < 0) throw new RangeError('truncated RESP reply');
    const s = this.buf.toString('latin1', this.pos, end);
    this.pos = end + 2;
    return s;
  }
}
