/**
 * `cmsgpack` as Redis ships it (deps/lua/src/lua_cmsgpack.c, lua-cmsgpack
 * 0.4.0 on Lua 5.1): pack, unpack, unpack_one, unpack_limit, byte for byte.
 *
 * Lua 5.1 has only doubles, so a number packs as an integer when it is
 * integral within int64 (smallest encoding), else as a float32 when that is
 * exact, else a float64. Tables whose keys are exactly 1..n pack as arrays,
 * others as maps (in pairs() order: fengari's, not Lua 5.1's hash order,
 * so a map of several keys may list them in another order than Redis).
 * Nesting deeper than 16 tables packs nil. No bin/ext types; str8 (0xd9)
 * is used for strings of 32..255 bytes. uint64 values decode as int64.
 */
import { lauxlib, lua, type LuaState, type LuaString } from './fengari';
import { pushNumber } from './convert';
import { argError, checkBytes, checkInteger, luaError, optInteger, setFunction, setString, toCInt } from './libargs';

const MAX_NESTING = 16;
const TWO63 = 2 ** 63;

/** fengari's luaL_Buffer functions (present in fengari, not in the typed LauxApi). */
interface LuaBuffer {
  n: number;
}
const aux = lauxlib as unknown as {
  luaL_Buffer: new () => LuaBuffer;
  luaL_buffinit(L: LuaState, B: LuaBuffer): void;
  luaL_addlstring(B: LuaBuffer, s: Uint8Array, l: number): void;
  luaL_addchar(B: LuaBuffer, c: number): void;
  luaL_pushresult(B: LuaBuffer): void;
};

/**
 * The packed bytes, in a Lua string buffer: growth is charged to the
 * script's memory budget (fengari.ts), so a table repeating a large string
 * cannot make pack build gigabytes outside it.
 */
class Out {
  private readonly b: LuaBuffer;
  constructor(L: LuaState) {
    this.b = new aux.luaL_Buffer();
    aux.luaL_buffinit(L, this.b);
  }
  byte(c: number): void {
    aux.luaL_addchar(this.b, c);
  }
  bytes(s: Uint8Array): void {
    aux.luaL_addlstring(this.b, s, s.length);
  }
  /** Pushes the result as a Lua string. */
  push(): void {
    aux.luaL_pushresult(this.b);
  }
}

function encodeInt(out: Out, n: bigint): void {
  const b = Buffer.allocUnsafe(9);
  if (n >= 0n) {
    if (n <= 127n) return out.byte(Number(n));
    if (n <= 0xffn) {
      out.byte(0xcc);
      return out.byte(Number(n));
    }
    if (n <= 0xffffn) {
      b[0] = 0xcd;
      b.writeUInt16BE(Number(n), 1);
      return out.bytes(b.subarray(0, 3));
    }
    if (n <= 0xffffffffn) {
      b[0] = 0xce;
      b.writeUInt32BE(Number(n), 1);
      return out.bytes(b.subarray(0, 5));
    }
    b[0] = 0xcf;
    b.writeBigUInt64BE(n, 1);
    return out.bytes(b);
  }
  if (n >= -32n) return out.byte(Number(n) & 0xff);
  if (n >= -128n) {
    b[0] = 0xd0;
    b.writeInt8(Number(n), 1);
    return out.bytes(b.subarray(0, 2));
  }
  if (n >= -32768n) {
    b[0] = 0xd1;
    b.writeInt16BE(Number(n), 1);
    return out.bytes(b.subarray(0, 3));
  }
  if (n >= -2147483648n) {
    b[0] = 0xd2;
    b.writeInt32BE(Number(n), 1);
    return out.bytes(b.subarray(0, 5));
  }
  b[0] = 0xd3;
  b.writeBigInt64BE(n, 1);
  out.bytes(b);
}

function encodeNumber(out: Out, n: number): void {
  // IS_INT64_EQUIVALENT: (int64_t)n == n (so NaN, infinities and |n| >= 2^63 are not).
  if (Number.isFinite(n) && n === Math.trunc(n) && n >= -TWO63 && n < TWO63) return encodeInt(out, BigInt(n));
  const b = Buffer.allocUnsafe(9);
  if (Number.isNaN(n) || Math.fround(n) !== n) {
    b[0] = 0xcb;
    b.writeDoubleBE(n, 1);
    return out.bytes(b);
  }
  b[0] = 0xca;
  b.writeFloatBE(n, 1);
  out.bytes(b.subarray(0, 5));
}

function encodeString(out: Out, s: Uint8Array): void {
  const len = s.length;
  if (len < 32) out.byte(0xa0 | len);
  else if (len <= 0xff) {
    out.byte(0xd9);
    out.byte(len);
  } else if (len <= 0xffff) {
    out.byte(0xda);
    out.byte(len >> 8);
    out.byte(len & 0xff);
  } else {
    const b = Buffer.allocUnsafe(5);
    b[0] = 0xdb;
    b.writeUInt32BE(len, 1);
    out.bytes(b);
  }
  out.bytes(s);
}

function encodeHeader(out: Out, n: number, fix: number, c16: number, c32: number): void {
  if (n <= 15) out.byte(fix | n);
  else if (n <= 0xffff) {
    out.byte(c16);
    out.byte(n >> 8);
    out.byte(n & 0xff);
  } else {
    const b = Buffer.allocUnsafe(5);
    b[0] = c32;
    b.writeUInt32BE(n, 1);
    out.bytes(b);
  }
}

/** table_is_an_array: every key a positive integral number and the largest equals the count. */
function tableIsArray(L: LuaState, idx: number): boolean {
  let count = 0;
  let max = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, idx)) {
    lua.lua_pop(L, 1);
    if (lua.lua_type(L, -1) !== lua.LUA_TNUMBER) {
      lua.lua_pop(L, 1);
      return false;
    }
    const n = lua.lua_tonumber(L, -1);
    // IS_INT_EQUIVALENT: fits a C int.
    if (n <= 0 || n !== Math.trunc(n) || n > 2147483647) {
      lua.lua_pop(L, 1);
      return false;
    }
    if (n > max) max = n;
    count++;
  }
  return max === count;
}

/** Encodes the value at the top of the stack and pops it (mp_encode_lua_type). */
function encodeTop(L: LuaState, out: Out, level: number): void {
  let t = lua.lua_type(L, -1);
  if (t === lua.LUA_TTABLE && level === MAX_NESTING) t = lua.LUA_TNIL;
  if (t === lua.LUA_TSTRING) encodeString(out, lua.lua_tolstring(L, -1) as LuaString);
  else if (t === lua.LUA_TBOOLEAN) out.byte(lua.lua_toboolean(L, -1) ? 0xc3 : 0xc2);
  else if (t === lua.LUA_TNUMBER) encodeNumber(out, lua.lua_tonumber(L, -1));
  else if (t === lua.LUA_TTABLE) encodeTable(L, out, level);
  else out.byte(0xc0);
  lua.lua_pop(L, 1);
}

function encodeTable(L: LuaState, out: Out, level: number): void {
  const idx = lua.lua_absindex(L, -1);
  if (!lua.lua_checkstack(L, 3)) luaError(L, 'stack overflow (in function mp_encode_lua_table_as_map)');
  if (tableIsArray(L, idx)) {
    const len = lua.lua_rawlen(L, idx);
    encodeHeader(out, len, 0x90, 0xdc, 0xdd);
    for (let j = 1; j <= len; j++) {
      lua.lua_rawgeti(L, idx, j);
      encodeTop(L, out, level + 1);
    }
    return;
  }
  let len = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, idx)) {
    lua.lua_pop(L, 1);
    len++;
  }
  encodeHeader(out, len, 0x80, 0xde, 0xdf);
  lua.lua_pushnil(L);
  while (lua.lua_next(L, idx)) {
    lua.lua_pushvalue(L, -2); // key value key
    encodeTop(L, out, level + 1); // the key
    encodeTop(L, out, level + 1); // the value
  }
}

function pack(L: LuaState): number {
  const nargs = lua.lua_gettop(L);
  if (nargs === 0) argError(L, 0, 'MessagePack pack needs input.');
  if (!lua.lua_checkstack(L, nargs)) argError(L, 0, 'Too many arguments for MessagePack pack.');
  const out = new Out(L);
  for (let i = 1; i <= nargs; i++) {
    lua.lua_pushvalue(L, i);
    encodeTop(L, out, 0);
  }
  out.push();
  return 1;
}

// ------------------------------------------------------------------ decode

class EofError extends Error {}
class BadFormatError extends Error {}

/** A read cursor (mp_cur): `need` raises EOF as mp_cur_need does. */
class Cursor {
  constructor(
    readonly p: Buffer,
    public pos: number,
  ) {}
  get left(): number {
    return this.p.length - this.pos;
  }
  need(n: number): void {
    if (this.left < n) throw new EofError();
  }
}

function decodeValue(L: LuaState, c: Cursor): void {
  c.need(1);
  if (!lua.lua_checkstack(L, 1)) luaError(L, 'stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)');
  const p = c.p;
  const at = c.pos;
  const t = p[at];
  switch (t) {
    case 0xcc:
      c.need(2);
      pushNumber(L, p[at + 1]);
      c.pos += 2;
      return;
    case 0xd0:
      c.need(2);
      pushNumber(L, p.readInt8(at + 1));
      c.pos += 2;
      return;
    case 0xcd:
      c.need(3);
      pushNumber(L, p.readUInt16BE(at + 1));
      c.pos += 3;
      return;
    case 0xd1:
      c.need(3);
      pushNumber(L, p.readInt16BE(at + 1));
      c.pos += 3;
      return;
    case 0xce:
      c.need(5);
      pushNumber(L, p.readUInt32BE(at + 1));
      c.pos += 5;
      return;
    case 0xd2:
      c.need(5);
      pushNumber(L, p.readInt32BE(at + 1));
      c.pos += 5;
      return;
    case 0xcf: // pushed as a lua_Integer (int64) on Redis's Lua 5.1
    case 0xd3:
      c.need(9);
      pushNumber(L, Number(p.readBigInt64BE(at + 1)));
      c.pos += 9;
      return;
    case 0xc0:
      lua.lua_pushnil(L);
      c.pos += 1;
      return;
    case 0xc3:
      lua.lua_pushboolean(L, true);
      c.pos += 1;
      return;
    case 0xc2:
      lua.lua_pushboolean(L, false);
      c.pos += 1;
      return;
    case 0xca:
      c.need(5);
      pushNumber(L, p.readFloatBE(at + 1));
      c.pos += 5;
      return;
    case 0xcb:
      c.need(9);
      pushNumber(L, p.readDoubleBE(at + 1));
      c.pos += 9;
      return;
    case 0xd9: {
      c.need(2);
      const l = p[at + 1];
      c.need(2 + l);
      pushString(L, p, at + 2, l);
      c.pos += 2 + l;
      return;
    }
    case 0xda: {
      c.need(3);
      const l = p.readUInt16BE(at + 1);
      c.need(3 + l);
      pushString(L, p, at + 3, l);
      c.pos += 3 + l;
      return;
    }
    case 0xdb: {
      c.need(5);
      const l = p.readUInt32BE(at + 1);
      c.pos += 5;
      c.need(l);
      pushString(L, p, c.pos, l);
      c.pos += l;
      return;
    }
    case 0xdc:
      c.need(3);
      c.pos += 3;
      return decodeArray(L, c, p.readUInt16BE(at + 1));
    case 0xdd:
      c.need(5);
      c.pos += 5;
      return decodeArray(L, c, p.readUInt32BE(at + 1));
    case 0xde:
      c.need(3);
      c.pos += 3;
      return decodeMap(L, c, p.readUInt16BE(at + 1));
    case 0xdf:
      c.need(5);
      c.pos += 5;
      return decodeMap(L, c, p.readUInt32BE(at + 1));
    default:
      if ((t & 0x80) === 0) {
        pushNumber(L, t);
        c.pos += 1;
      } else if ((t & 0xe0) === 0xe0) {
        pushNumber(L, t - 256);
        c.pos += 1;
      } else if ((t & 0xe0) === 0xa0) {
        const l = t & 0x1f;
        c.need(1 + l);
        pushString(L, p, at + 1, l);
        c.pos += 1 + l;
      } else if ((t & 0xf0) === 0x90) {
        c.pos += 1;
        decodeArray(L, c, t & 0xf);
      } else if ((t & 0xf0) === 0x80) {
        c.pos += 1;
        decodeMap(L, c, t & 0xf);
      } else {
        throw new BadFormatError();
      }
  }
}

function pushString(L: LuaState, p: Buffer, at: number, len: number): void {
  lua.lua_pushstring(L, new Uint8Array(p.buffer, p.byteOffset + at, len));
}

function decodeArray(L: LuaState, c: Cursor, len: number): void {
  lua.lua_createtable(L, 0, 0);
  if (!lua.lua_checkstack(L, 1)) luaError(L, 'stack overflow (in function mp_decode_to_lua_array)');
  for (let i = 1; i <= len; i++) {
    pushNumber(L, i);
    decodeValue(L, c);
    lua.lua_rawset(L, -3);
  }
}

function decodeMap(L: LuaState, c: Cursor, len: number): void {
  lua.lua_createtable(L, 0, 0);
  for (let i = 0; i < len; i++) {
    decodeValue(L, c); // key
    decodeValue(L, c); // value
    lua.lua_rawset(L, -3); // a nil or NaN key raises Lua's own error, as lua_settable does
  }
}

/** mp_unpack_full: unpacks up to `limit` values from `offset` (both 0: everything, no offset returned). */
function unpackFull(L: LuaState, limit: number, offset: number): number {
  const s = checkBytes(L, 1);
  const decodeAll = limit === 0 && offset === 0;
  if (offset < 0 || limit < 0) {
    luaError(L, `Invalid request to unpack with offset of ${offset} and limit of ${s.length}.`);
  } else if (offset > s.length) {
    luaError(L, `Start offset ${offset} greater than input length ${s.length}.`);
  }
  const max = decodeAll ? Infinity : limit;
  const c = new Cursor(s, offset);
  const base = lua.lua_gettop(L);
  let cnt = 0;
  try {
    for (; c.left > 0 && cnt < max; cnt++) decodeValue(L, c);
  } catch (e) {
    if (e instanceof EofError) luaError(L, 'Missing bytes in input.');
    if (e instanceof BadFormatError) luaError(L, 'Bad data format in input.');
    throw e;
  }
  if (decodeAll) return cnt;
  // The next offset first (-1 once the input is used up), then the values.
  pushNumber(L, c.left === 0 ? -1 : Math.min(s.length - c.left, 2147483647));
  rotateDown(L, base + 1);
  return cnt + 1;
}

/** Moves the top value down to stack index `to` (lua_insert), with the API fengari exposes. */
function rotateDown(L: LuaState, to: number): void {
  const top = lua.lua_gettop(L);
  if (to >= top) return;
  // Stash the values above `to`, then push the top value and the stash back in order.
  lua.lua_createtable(L, top - to, 0);
  const stash = lua.lua_gettop(L);
  for (let i = to; i < top; i++) {
    lua.lua_pushvalue(L, i);
    lua.lua_rawseti(L, stash, i - to + 1);
  }
  lua.lua_pushvalue(L, top);
  lua.lua_replace(L, to);
  for (let i = to + 1; i <= top; i++) {
    lua.lua_rawgeti(L, stash, i - to);
    lua.lua_replace(L, i);
  }
  lua.lua_settop(L, top);
}

function unpack(L: LuaState): number {
  return unpackFull(L, 0, 0);
}

function unpackOne(L: LuaState): number {
  const offset = toCInt(optInteger(L, 2, 0));
  lua.lua_settop(L, 1);
  return unpackFull(L, 1, offset);
}

function unpackLimit(L: LuaState): number {
  const limit = toCInt(checkInteger(L, 2));
  const offset = toCInt(optInteger(L, 3, 0));
  lua.lua_settop(L, 1);
  return unpackFull(L, limit, offset);
}

export function openCmsgpack(L: LuaState): void {
  lua.lua_createtable(L, 0, 8);
  setFunction(L, 'pack', pack);
  setFunction(L, 'unpack', unpack);
  setFunction(L, 'unpack_one', unpackOne);
  setFunction(L, 'unpack_limit', unpackLimit);
  setString(L, '_NAME', 'cmsgpack');
  setString(L, '_VERSION', 'lua-cmsgpack 0.4.0');
  setString(L, '_COPYRIGHT', 'Copyright (C) 2012, Salvatore Sanfilippo');
  setString(L, '_DESCRIPTION', 'MessagePack C implementation for Lua');
  lua.lua_setglobal(L, 'cmsgpack');
}
