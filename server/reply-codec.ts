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
} from '../protocol/reply';

/**
 * A compact binary form of a Reply, for replies the state machine keeps
 * (the dedupe cache) and must write into the durable keyspace and snapshots.
 */

enum Tag {
  Null,
  Int,
  BigInt,
  Bulk,
  Str,
  Simple,
  Error,
  Array,
  NullArray,
  Map,
  Set,
  Double,
  Bool,
  Verbatim,
  Push,
  Raw,
  Pairs,
  DoubleText,
  /** A MapReply with resp2Pairs. */
  PairsMap,
}

class Writer {
  parts: Buffer[] = [];
  tag(t: Tag): void {
    this.parts.push(Buffer.from([t]));
  }
  u32(n: number): void {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32LE(n, 0);
    this.parts.push(b);
  }
  f64(n: number): void {
    const b = Buffer.allocUnsafe(8);
    b.writeDoubleLE(n, 0);
    this.parts.push(b);
  }
  bytes(b: Buffer): void {
    this.u32(b.length);
    this.parts.push(b);
  }
  str(s: string): void {
    this.bytes(Buffer.from(s, 'utf8'));
  }
}

function write(w: Writer, r: Reply): void {
  if (r === null) w.tag(Tag.Null);
  else if (typeof r === 'number') {
    w.tag(Tag.Int);
    w.f64(r);
  } else if (typeof r === 'bigint') {
    w.tag(Tag.BigInt);
    w.str(r.toString());
  } else if (typeof r === 'string') {
    w.tag(Tag.Str);
    w.str(r);
  } else if (Buffer.isBuffer(r)) {
    w.tag(Tag.Bulk);
    w.bytes(r);
  } else if (Array.isArray(r)) {
    w.tag(Tag.Array);
    w.u32(r.length);
    for (const x of r) write(w, x);
  } else if (r instanceof SimpleString) {
    w.tag(Tag.Simple);
    w.str(r.value);
  } else if (r instanceof ErrorReply) {
    w.tag(Tag.Error);
    w.str(r.message);
  } else if (r instanceof NullArray) w.tag(Tag.NullArray);
  else if (r instanceof MapReply) {
    w.tag(r.resp2Pairs ? Tag.PairsMap : Tag.Map);
    w.u32(r.entries.length);
    for (const [k, v] of r.entries) {
      write(w, k);
      write(w, v);
    }
  } else if (r instanceof PairsReply) {
    w.tag(Tag.Pairs);
    w.u32(r.pairs.length);
    for (const [k, v] of r.pairs) {
      write(w, k);
      write(w, v);
    }
  } else if (r instanceof SetReply || r instanceof PushReply) {
    w.tag(r instanceof SetReply ? Tag.Set : Tag.Push);
    w.u32(r.items.length);
    for (const x of r.items) write(w, x);
  } else if (r instanceof DoubleReply) {
    w.tag(r.text === undefined ? Tag.Double : Tag.DoubleText);
    w.f64(r.value);
    if (r.text !== undefined) w.str(r.text);
  } else if (r instanceof BoolReply) {
    w.tag(Tag.Bool);
    w.parts.push(Buffer.from([r.value ? 1 : 0]));
  } else if (r instanceof VerbatimReply) {
    w.tag(Tag.Verbatim);
    w.str(r.format);
    w.str(r.text);
  } else if (r instanceof RawReply) {
    w.tag(Tag.Raw);
    w.bytes(r.bytes);
  } else {
    throw new TypeError('unencodable reply');
  }
}

export function serializeReply(r: Reply): Buffer {
  const w = new Writer();
  write(w, r);
  return Buffer.concat(w.parts);
}

export class ReplyReader {
  constructor(private readonly b: Buffer, public off = 0) {}
  private u8(): number {
    return this.b[this.off++];
  }
  u32(): number {
    const v = this.b.readUInt32LE(this.off);
    this.off += 4;
    return v;
  }
  f64(): number {
    const v = this.b.readDoubleLE(this.off);
    this.off += 8;
    return v;
  }
  bytes(): Buffer {
    const n = this.u32();
    if (this.off + n > this.b.length) throw new RangeError('reply record truncated');
    const v = Buffer.from(this.b.subarray(this.off, this.off + n));
    this.off += n;
    return v;
  }
  str(): string {
    return this.bytes().toString('utf8');
  }
  reply(): Reply {
    const tag = this.u8() as Tag;
    switch (tag) {
      case Tag.Null:
        return null;
      case Tag.Int:
        return this.f64();
      case Tag.BigInt:
        return BigInt(this.str());
      case Tag.Str:
        return this.str();
      case Tag.Bulk:
        return this.bytes();
      case Tag.Array: {
        const n = this.u32();
        const out: Reply[] = [];
        for (let i = 0; i < n; i++) out.push(this.reply());
        return out;
      }
      case Tag.Simple:
        return new SimpleString(this.str());
      case Tag.Error:
        return new ErrorReply(this.str());
      case Tag.NullArray:
        return NullArray.instance;
      case Tag.Map:
      case Tag.PairsMap: {
        const n = this.u32();
        const entries: Array<[Reply, Reply]> = [];
        for (let i = 0; i < n; i++) entries.push([this.reply(), this.reply()]);
        return new MapReply(entries, tag === Tag.PairsMap);
      }
      case Tag.Pairs: {
        const n = this.u32();
        const pairs: Array<[Reply, Reply]> = [];
        for (let i = 0; i < n; i++) pairs.push([this.reply(), this.reply()]);
        return new PairsReply(pairs);
      }
      case Tag.Set:
      case Tag.Push: {
        const n = this.u32();
        const items: Reply[] = [];
        for (let i = 0; i < n; i++) items.push(this.reply());
        return tag === Tag.Set ? new SetReply(items) : new PushReply(items);
      }
      case Tag.Double:
        return new DoubleReply(this.f64());
      case Tag.DoubleText:
        return new DoubleReply(this.f64(), this.str());
      case Tag.Bool:
        return new BoolReply(this.u8() === 1);
      case Tag.Verbatim:
        return new VerbatimReply(this.str(), this.str());
      case Tag.Raw:
        return new RawReply(this.bytes());
      default:
        throw new RangeError(`unknown reply tag ${String(tag)}`);
    }
  }
}

export function deserializeReply(b: Buffer): Reply {
  return new ReplyReader(b).reply();
}
