/**
 * `struct` as Redis ships it (deps/lua/src/lua_struct.c, Roberto
 * Ierusalimschy's library, on a 64-bit little-endian build): pack, unpack,
 * size. Formats: > < ! (endianness, alignment), b B h H l L T i[n] I[n]
 * (integers; long and size_t are 8 bytes, int 4, up to 32 bytes), f d,
 * x (padding), c[n] (fixed string; c0 = whole string / size from the
 * previous result), s (zero-terminated).
 *
 * Integers go through C's 64-bit arithmetic: packing converts the Lua
 * number with (uint64)(int64)n or (uint64)n (x86-64's results for values
 * out of range), unpacking builds a uint64 and returns it as a double.
 */
import { lua, type LuaState } from './fengari';
import { pushNumber } from './convert';
import { argError, checkBytes, checkNumber, luaError, optInteger, setFunction } from './libargs';

const MAXINTSIZE = 32;
const MAXALIGN = 8;
const INT_MAX = 2147483647;

interface Header {
  little: boolean;
  align: number;
}

/** The format string and a read position (C's `const char **fmt`). */
class Fmt {
  pos = 0;
  constructor(readonly s: Buffer) {}
  get done(): boolean {
    // The format is a C string: it ends at the first NUL.
    return this.pos >= this.s.length || this.s[this.pos] === 0;
  }
  next(): number {
    return this.s[this.pos++];
  }
  isDigit(): boolean {
    const c = this.s[this.pos];
    return this.pos < this.s.length && c >= 0x30 && c <= 0x39;
  }
}

function getnum(L: LuaState, f: Fmt, df: number): number {
  if (!f.isDigit()) return df;
  let a = 0;
  do {
    const d = f.s[f.pos] - 0x30;
    if (a > Math.floor(INT_MAX / 10) || a * 10 > INT_MAX - d) luaError(L, 'integral size overflow');
    a = a * 10 + d;
    f.pos++;
  } while (f.isDigit());
  return a;
}

function optsize(L: LuaState, opt: number, f: Fmt): number {
  switch (String.fromCharCode(opt)) {
    case 'B':
    case 'b':
      return 1;
    case 'H':
    case 'h':
      return 2;
    case 'L':
    case 'l':
    case 'T':
      return 8;
    case 'f':
      return 4;
    case 'd':
      return 8;
    case 'x':
      return 1;
    case 'c':
      return getnum(L, f, 1);
    case 'i':
    case 'I': {
      const sz = getnum(L, f, 4);
      if (sz > MAXINTSIZE) luaError(L, `integral size ${sz} is larger than limit of ${MAXINTSIZE}`);
      return sz;
    }
    default:
      return 0;
  }
}

function gettoalign(len: number, h: Header, opt: number, size: number): number {
  if (size === 0 || opt === 0x63 /* c */) return 0;
  if (size > h.align) size = h.align;
  return (size - (len & (size - 1))) & (size - 1);
}

function controloptions(L: LuaState, opt: number, f: Fmt, h: Header): void {
  switch (String.fromCharCode(opt)) {
    case ' ':
      return;
    case '>':
      h.little = false;
      return;
    case '<':
      h.little = true;
      return;
    case '!': {
      const a = getnum(L, f, MAXALIGN);
      if (!(a > 0 && (a & (a - 1)) === 0)) luaError(L, `alignment ${a} is not a power of 2`);
      h.align = a;
      return;
    }
    default:
      argError(L, 1, `invalid format option '${String.fromCharCode(opt)}'`);
  }
}

const TWO63 = 2 ** 63;
const TWO64 = 2 ** 64;

/** putinteger's conversion of a Lua number to the uint64 it writes (x86-64 results out of range). */
function toUint64(n: number): bigint {
  if (n < 0) {
    if (!(n >= -TWO63)) return 1n << 63n; // (int64_t) of an out-of-range value: INT64_MIN
    return BigInt.asUintN(64, BigInt(Math.trunc(n)));
  }
  if (!(n < TWO64)) return 0n; // including NaN and +inf, as gcc's conversion sequence gives
  return BigInt(Math.trunc(n));
}

function isLower(c: number): boolean {
  return c >= 0x61 && c <= 0x7a;
}

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || isLower(c);
}

function pack(L: LuaState): number {
  const f = new Fmt(checkBytes(L, 1));
  const h: Header = { little: true, align: 1 };
  // b_pack pushes a nil mark after the arguments: a missing argument right after the last is "nil", not "no value".
  lua.lua_pushnil(L);
  let arg = 2;
  let total = 0;
  const parts: Buffer[] = [];
  while (!f.done) {
    const opt = f.next();
    let size = optsize(L, opt, f);
    const toalign = gettoalign(total, h, opt, size);
    total += toalign;
    if (toalign > 0) parts.push(Buffer.alloc(toalign));
    const o = String.fromCharCode(opt);
    switch (o) {
      case 'b':
      case 'B':
      case 'h':
      case 'H':
      case 'l':
      case 'L':
      case 'T':
      case 'i':
      case 'I': {
        let value = toUint64(checkNumber(L, arg++));
        const b = Buffer.alloc(size);
        for (let i = 0; i < size; i++) {
          b[h.little ? i : size - 1 - i] = Number(value & 0xffn);
          value >>= 8n;
        }
        parts.push(b);
        break;
      }
      case 'x':
        parts.push(Buffer.alloc(1));
        break;
      case 'f': {
        const b = Buffer.allocUnsafe(4);
        const v = checkNumber(L, arg++);
        if (h.little) b.writeFloatLE(v);
        else b.writeFloatBE(v);
        parts.push(b);
        break;
      }
      case 'd': {
        const b = Buffer.allocUnsafe(8);
        const v = checkNumber(L, arg++);
        if (h.little) b.writeDoubleLE(v);
        else b.writeDoubleBE(v);
        parts.push(b);
        break;
      }
      case 'c':
      case 's': {
        const s = checkBytes(L, arg++);
        if (size === 0) size = s.length;
        // Redis's luaL_argcheck names the next argument here (arg was already advanced).
        if (s.length < size) argError(L, arg, 'string too short');
        parts.push(s.subarray(0, size));
        if (o === 's') {
          parts.push(Buffer.alloc(1));
          size++;
        }
        break;
      }
      default:
        controloptions(L, opt, f, h);
    }
    total += size;
  }
  lua.lua_pushstring(L, new Uint8Array(Buffer.concat(parts)));
  return 1;
}

/** getinteger: the bytes as a uint64 (wrapping past 8 bytes), sign-extended for signed formats, as a double. */
function getinteger(data: Buffer, at: number, little: boolean, signed: boolean, size: number): number {
  let l = 0n;
  for (let k = 0; k < size; k++) {
    const i = little ? size - 1 - k : k;
    l = BigInt.asUintN(64, (l << 8n) | BigInt(data[at + i]));
  }
  if (!signed) return Number(l);
  // C's shift count is taken mod 64 on x86-64 for sizes past 8 bytes.
  const mask = BigInt.asUintN(64, ~0n << BigInt((size * 8 - 1) & 63));
  if (l & mask) l |= mask;
  return Number(BigInt.asIntN(64, l));
}

function unpack(L: LuaState): number {
  const f = new Fmt(checkBytes(L, 1));
  const data = checkBytes(L, 2);
  const ld = data.length;
  const init = optInteger(L, 3, 1);
  // size_t in C: a negative start wraps to a huge one (then "data string too short").
  if (init === 0) argError(L, 3, 'offset must be 1 or greater');
  let pos = init < 0 ? Number.MAX_SAFE_INTEGER : init - 1;
  const h: Header = { little: true, align: 1 };
  let n = 0;
  while (!f.done) {
    const opt = f.next();
    let size = optsize(L, opt, f);
    pos += gettoalign(pos, h, opt, size);
    if (!(size <= ld && pos <= ld - size)) argError(L, 2, 'data string too short');
    if (!lua.lua_checkstack(L, 2)) luaError(L, 'stack overflow (too many results)');
    const o = String.fromCharCode(opt);
    switch (o) {
      case 'b':
      case 'B':
      case 'h':
      case 'H':
      case 'l':
      case 'L':
      case 'T':
      case 'i':
      case 'I':
        pushNumber(L, getinteger(data, pos, h.little, isLower(opt), size));
        n++;
        break;
      case 'x':
        break;
      case 'f':
        pushNumber(L, h.little ? data.readFloatLE(pos) : data.readFloatBE(pos));
        n++;
        break;
      case 'd':
        pushNumber(L, h.little ? data.readDoubleLE(pos) : data.readDoubleBE(pos));
        n++;
        break;
      case 'c': {
        if (size === 0) {
          // The length comes from the previous result, which must be a number.
          if (n === 0 || lua.lua_type(L, -1) !== lua.LUA_TNUMBER) luaError(L, "format 'c0' needs a previous size");
          const prev = lua.lua_tonumber(L, -1);
          size = Number.isFinite(prev) && prev > 0 ? Math.trunc(prev) : prev < 0 ? Number.MAX_SAFE_INTEGER : 0;
          lua.lua_pop(L, 1);
          n--;
          if (!(size <= ld && pos <= ld - size)) argError(L, 2, 'data string too short');
        }
        lua.lua_pushstring(L, new Uint8Array(data.subarray(pos, pos + size)));
        n++;
        break;
      }
      case 's': {
        const e = data.indexOf(0, pos);
        if (e < 0) luaError(L, 'unfinished string in data');
        size = e - pos + 1;
        lua.lua_pushstring(L, new Uint8Array(data.subarray(pos, e)));
        n++;
        break;
      }
      default:
        controloptions(L, opt, f, h);
    }
    pos += size;
  }
  pushNumber(L, pos + 1);
  return n + 1;
}

function size(L: LuaState): number {
  const f = new Fmt(checkBytes(L, 1));
  const h: Header = { little: true, align: 1 };
  let pos = 0;
  while (!f.done) {
    const opt = f.next();
    const sz = optsize(L, opt, f);
    pos += gettoalign(pos, h, opt, sz);
    if (opt === 0x73 /* s */) argError(L, 1, "option 's' has no fixed size");
    else if (opt === 0x63 /* c */ && sz === 0) argError(L, 1, "option 'c0' has no fixed size");
    if (!isAlnum(opt)) controloptions(L, opt, f, h);
    pos += sz;
  }
  pushNumber(L, pos);
  return 1;
}

export function openStruct(L: LuaState): void {
  lua.lua_createtable(L, 0, 3);
  setFunction(L, 'pack', pack);
  setFunction(L, 'unpack', unpack);
  setFunction(L, 'size', size);
  lua.lua_setglobal(L, 'struct');
}
