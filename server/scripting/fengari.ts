/**
 * The part of fengari (Lua 5.3 in JavaScript) that scripting uses, typed.
 * fengari ships no type declarations, so it is loaded with require and
 * given this interface; nothing else in the code base touches it directly.
 *
 * Lua strings are byte arrays (Uint8Array); the API also accepts JS strings
 * (encoded as UTF-8). fengari's lua_Integer is 32 bits: larger integers must
 * be pushed as numbers (doubles).
 */

/** An opaque lua_State. */
export type LuaState = { readonly __luaState: unique symbol };
export type LuaString = Uint8Array;
export type LuaJsFunction = (L: LuaState) => number;
type Str = LuaString | string;

export interface LuaApi {
  LUA_OK: number;
  LUA_MULTRET: number;
  LUA_MASKCOUNT: number;
  LUA_REGISTRYINDEX: number;
  LUA_TNIL: number;
  LUA_TBOOLEAN: number;
  LUA_TNUMBER: number;
  LUA_TSTRING: number;
  LUA_TTABLE: number;
  lua_close(L: LuaState): void;
  lua_gettop(L: LuaState): number;
  lua_settop(L: LuaState, idx: number): void;
  lua_pop(L: LuaState, n: number): void;
  lua_absindex(L: LuaState, idx: number): number;
  lua_replace(L: LuaState, idx: number): void;
  lua_checkstack(L: LuaState, n: number): boolean;
  lua_type(L: LuaState, idx: number): number;
  lua_pushnil(L: LuaState): void;
  lua_pushboolean(L: LuaState, b: boolean | number): void;
  lua_pushinteger(L: LuaState, n: number): void;
  lua_pushnumber(L: LuaState, n: number): void;
  lua_pushstring(L: LuaState, s: Str): LuaString;
  lua_pushvalue(L: LuaState, idx: number): void;
  lua_pushjsfunction(L: LuaState, f: LuaJsFunction): void;
  lua_pushlightuserdata(L: LuaState, p: object): void;
  lua_toboolean(L: LuaState, idx: number): boolean;
  lua_tonumber(L: LuaState, idx: number): number;
  lua_isinteger(L: LuaState, idx: number): boolean;
  lua_tolstring(L: LuaState, idx: number): LuaString | null;
  lua_touserdata(L: LuaState, idx: number): unknown;
  lua_createtable(L: LuaState, narr: number, nrec: number): void;
  lua_newtable(L: LuaState): void;
  lua_setfield(L: LuaState, idx: number, k: Str): void;
  lua_getfield(L: LuaState, idx: number, k: Str): number;
  lua_rawgeti(L: LuaState, idx: number, n: number): number;
  lua_rawseti(L: LuaState, idx: number, n: number): void;
  lua_rawset(L: LuaState, idx: number): void;
  lua_rawlen(L: LuaState, idx: number): number;
  lua_next(L: LuaState, idx: number): boolean | number;
  lua_setglobal(L: LuaState, name: Str): void;
  lua_getglobal(L: LuaState, name: Str): number;
  lua_error(L: LuaState): never;
  lua_pcall(L: LuaState, nargs: number, nresults: number, msgh: number): number;
  lua_sethook(L: LuaState, hook: ((L: LuaState) => void) | null, mask: number, count: number): void;
}

export interface LauxApi {
  luaL_newstate(): LuaState;
  luaL_loadbufferx(L: LuaState, buff: LuaString, size: number, name: Str, mode: Str | null): number;
  luaL_requiref(L: LuaState, modname: Str, openf: LuaJsFunction, glb: boolean | number): void;
}

export interface LualibApi {
  luaopen_base: LuaJsFunction;
  luaopen_table: LuaJsFunction;
  luaopen_string: LuaJsFunction;
  luaopen_math: LuaJsFunction;
  luaopen_debug: LuaJsFunction;
}

interface Fengari {
  lua: LuaApi;
  lauxlib: LauxApi;
  lualib: LualibApi;
  to_luastring(s: string): LuaString;
}

/**
 * Loads fengari with LUA_COMPAT_FLOATSTRING (read from FENGARICONF once, at
 * load): integral floats print as "5", not "5.0", as in the Lua 5.1 that
 * Redis embeds, so `'n' .. 10/2` gives what scripts written for Redis expect.
 */
function loadFengari(): Fengari {
  const previous = process.env.FENGARICONF;
  const conf = previous ? (JSON.parse(previous) as Record<string, unknown>) : {};
  process.env.FENGARICONF = JSON.stringify({ ...conf, LUA_COMPAT_FLOATSTRING: true });
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('fengari') as Fengari;
  } finally {
    if (previous === undefined) delete process.env.FENGARICONF;
    else process.env.FENGARICONF = previous;
  }
}

const fengari = loadFengari();

export const lua: LuaApi = fengari.lua;
export const lauxlib: LauxApi = fengari.lauxlib;
export const lualib: LualibApi = fengari.lualib;
export const toLuaString: (s: string) => LuaString = fengari.to_luastring;

/** A Lua string as a Buffer (copied: Lua keeps its own bytes). */
export function luaBytes(s: LuaString): Buffer {
  return Buffer.from(s);
}

const interned = new Map<string, LuaString>();

/** A field or global name as a Lua string, converted once (fengari re-encodes JS strings on every call). */
export function ls(name: string): LuaString {
  let s = interned.get(name);
  if (s === undefined) {
    s = toLuaString(name);
    interned.set(name, s);
  }
  return s;
}
