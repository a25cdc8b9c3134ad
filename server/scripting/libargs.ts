/**
 * Argument checks and errors for the C libraries Redis preloads (cmsgpack,
 * struct), with Lua 5.1's lauxlib messages: luaL_error prefixes the
 * caller's position ("user_script:1: "), luaL_argerror says
 * "bad argument #N to 'name' (...)".
 */
import { lauxlib, lua, luaBytes, type LuaJsFunction, type LuaState, type LuaString } from './fengari';

/** fengari's luaL_where and luaL_argerror (present in fengari, not in the typed LauxApi). */
const aux = lauxlib as unknown as {
  luaL_where(L: LuaState, level: number): void;
  luaL_argerror(L: LuaState, arg: number, extramsg: LuaString): never;
};

/** Lua 5.1 luaL_error: the message prefixed with the calling line ("user_script:1: "). */
export function luaError(L: LuaState, message: string | Buffer): never {
  aux.luaL_where(L, 1);
  const w = luaBytes(lua.lua_tolstring(L, -1) as LuaString);
  lua.lua_pop(L, 1);
  const msg = typeof message === 'string' ? Buffer.from(message, 'latin1') : message;
  lua.lua_pushstring(L, new Uint8Array(Buffer.concat([w, msg])));
  return lua.lua_error(L);
}

/**
 * luaL_argerror: "bad argument #n to 'name' (extra)", the name taken from
 * the call as Lua 5.1 does ('?' when called through pcall).
 */
export function argError(L: LuaState, n: number, extra: string): never {
  return aux.luaL_argerror(L, n, new Uint8Array(Buffer.from(extra, 'latin1')));
}

const TYPE_NAMES = ['nil', 'boolean', 'userdata', 'number', 'string', 'table', 'function', 'userdata', 'thread'];

function typeName(L: LuaState, i: number): string {
  const t = lua.lua_type(L, i);
  return t < 0 ? 'no value' : (TYPE_NAMES[t] ?? '?');
}

function typeError(L: LuaState, n: number, expected: string): never {
  return argError(L, n, `${expected} expected, got ${typeName(L, n)}`);
}

/** Lua 5.1 lua_isnumber: a number, or a string that converts to one. */
function numberAt(L: LuaState, i: number): number | null {
  const t = lua.lua_type(L, i);
  if (t === lua.LUA_TNUMBER) return lua.lua_tonumber(L, i);
  if (t !== lua.LUA_TSTRING) return null;
  const s = luaBytes(lua.lua_tolstring(L, i) as LuaString).toString('latin1').trim();
  if (s === '') return null;
  const n = /^[-+]?0[xX][0-9a-fA-F]+$/.test(s) ? (s.startsWith('-') ? -1 : 1) * parseInt(s.replace(/^[-+]?0[xX]/, ''), 16) : Number(s);
  return Number.isNaN(n) && !/^[-+]?nan$/i.test(s) ? null : n;
}

/** luaL_checklstring: a string (numbers are converted), as bytes. */
export function checkBytes(L: LuaState, n: number): Buffer {
  const t = lua.lua_type(L, n);
  if (t !== lua.LUA_TSTRING && t !== lua.LUA_TNUMBER) typeError(L, n, 'string');
  return luaBytes(lua.lua_tolstring(L, n) as LuaString);
}

/** luaL_checknumber. */
export function checkNumber(L: LuaState, n: number): number {
  const v = numberAt(L, n);
  if (v === null) typeError(L, n, 'number');
  return v as number;
}

/** luaL_checkinteger on a 64-bit build: the number truncated toward zero. */
export function checkInteger(L: LuaState, n: number): number {
  const v = checkNumber(L, n);
  return Number.isFinite(v) ? Math.trunc(v) : 0;
}

/** luaL_optinteger. */
export function optInteger(L: LuaState, n: number, def: number): number {
  return lua.lua_type(L, n) <= lua.LUA_TNIL ? def : checkInteger(L, n);
}

/** C's (int) of a 64-bit integer: the low 32 bits, signed. */
export function toCInt(n: number): number {
  return Number(BigInt.asIntN(32, BigInt(n)));
}

export function setFunction(L: LuaState, name: string, f: LuaJsFunction): void {
  lua.lua_pushjsfunction(L, f);
  lua.lua_setfield(L, -2, name);
}

export function setString(L: LuaState, name: string, value: string): void {
  lua.lua_pushstring(L, value);
  lua.lua_setfield(L, -2, name);
}
