/**
 * Redis's conversion rules between command replies and Lua values
 * (redis.io "Scripting with Lua", script_lua.c), both directions.
 *
 * Reply -> Lua (what redis.call returns), RESP2 (the default):
 *   integer -> number, bulk -> string, array -> table, status -> {ok=s},
 *   error -> {err=s}, nil bulk / nil array -> false.
 * With redis.setresp(3) additionally: null -> nil, map -> {map={...}},
 *   set -> {set={member=true}}, double -> {double=n}, boolean -> boolean,
 *   verbatim -> {verbatim_string={format=f, string=s}}.
 *
 * Lua -> reply (what the script returns):
 *   number -> integer (truncated), string -> bulk, nil / false -> nil bulk,
 *   true -> integer 1 (after setresp(3): booleans), {err=s} -> error, {ok=s} -> status, {double=n},
 *   {map=t}, {set=t}, other tables -> array up to the first nil.
 */
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
} from '../../protocol/reply';
import { formatDouble } from '../../protocol/double';
import { ls, lua, luaBytes, type LuaState } from './fengari';

export type ScriptResp = 2 | 3;

/** Nesting allowed in either direction (a cyclic Lua table would otherwise recurse forever). */
const MAX_DEPTH = 1000;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -9223372036854775808n;

/** Pushes a number, as a Lua integer when it fits fengari's 32-bit integers, else as a float. */
export function pushNumber(L: LuaState, n: number): void {
  if (Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX) lua.lua_pushinteger(L, n);
  else lua.lua_pushnumber(L, n);
}

function pushBytes(L: LuaState, b: Buffer | string): void {
  lua.lua_pushstring(L, typeof b === 'string' ? b : new Uint8Array(b.buffer, b.byteOffset, b.length));
}

/** {err = message} as redis.call raises and redis.pcall returns. */
export function pushErrorTable(L: LuaState, message: string): void {
  lua.lua_createtable(L, 0, 1);
  lua.lua_pushstring(L, message);
  lua.lua_setfield(L, -2, ls('err'));
}

/** Pushes one command reply as a Lua value. */
export function pushReply(L: LuaState, r: Reply, resp: ScriptResp, depth = 0): void {
  if (depth > MAX_DEPTH || !lua.lua_checkstack(L, 4)) {
    pushErrorTable(L, 'ERR reached lua stack limit');
    return;
  }
  if (r === null || r instanceof NullArray) {
    if (resp === 3) lua.lua_pushnil(L);
    else lua.lua_pushboolean(L, false);
  } else if (Buffer.isBuffer(r) || typeof r === 'string') {
    pushBytes(L, r);
  } else if (typeof r === 'number') {
    pushNumber(L, r);
  } else if (typeof r === 'bigint') {
    pushNumber(L, Number(r)); // beyond 2^53 Lua holds a double, as Redis's Lua 5.1 does
  } else if (Array.isArray(r) || r instanceof PushReply) {
    pushArray(L, Array.isArray(r) ? r : r.items, resp, depth);
  } else if (r instanceof SimpleString) {
    lua.lua_createtable(L, 0, 1);
    lua.lua_pushstring(L, r.value);
    lua.lua_setfield(L, -2, ls('ok'));
  } else if (r instanceof ErrorReply) {
    pushErrorTable(L, r.message);
  } else if (r instanceof PairsReply) {
    // As Redis's Lua sees it: a flat table in RESP2, a table of {k, v} tables in RESP3.
    if (resp === 2) pushArray(L, r.pairs.flat(), resp, depth);
    else pushArray(L, r.pairs, resp, depth);
  } else if (r instanceof MapReply) {
    if (resp === 2) {
      pushArray(L, r.resp2Pairs ? r.entries : r.entries.flat(), resp, depth);
    } else {
      lua.lua_createtable(L, 0, 1);
      lua.lua_createtable(L, 0, r.entries.length);
      for (const [k, v] of r.entries) {
        pushReply(L, k, resp, depth + 1);
        pushReply(L, v, resp, depth + 1);
        lua.lua_rawset(L, -3);
      }
      lua.lua_setfield(L, -2, ls('map'));
    }
  } else if (r instanceof SetReply) {
    if (resp === 2) {
      pushArray(L, r.items, resp, depth);
    } else {
      lua.lua_createtable(L, 0, 1);
      lua.lua_createtable(L, 0, r.items.length);
      for (const item of r.items) {
        pushReply(L, item, resp, depth + 1);
        lua.lua_pushboolean(L, true);
        lua.lua_rawset(L, -3);
      }
      lua.lua_setfield(L, -2, ls('set'));
    }
  } else if (r instanceof DoubleReply) {
    if (resp === 2) {
      pushBytes(L, r.text ?? formatDouble(r.value));
    } else {
      lua.lua_createtable(L, 0, 1);
      lua.lua_pushnumber(L, r.value);
      lua.lua_setfield(L, -2, ls('double'));
    }
  } else if (r instanceof BoolReply) {
    if (resp === 2) pushNumber(L, r.value ? 1 : 0);
    else lua.lua_pushboolean(L, r.value);
  } else if (r instanceof VerbatimReply) {
    if (resp === 2) {
      pushBytes(L, r.text);
    } else {
      lua.lua_createtable(L, 0, 1);
      lua.lua_createtable(L, 0, 2);
      lua.lua_pushstring(L, r.format);
      lua.lua_setfield(L, -2, ls('format'));
      lua.lua_pushstring(L, r.text);
      lua.lua_setfield(L, -2, ls('string'));
      lua.lua_setfield(L, -2, ls('verbatim_string'));
    }
  } else if (r instanceof RawReply) {
    pushErrorTable(L, 'ERR reply type not supported in scripts');
  } else {
    lua.lua_pushnil(L);
  }
}

function pushArray(L: LuaState, items: Reply[], resp: ScriptResp, depth: number): void {
  lua.lua_createtable(L, items.length, 0);
  for (let i = 0; i < items.length; i++) {
    pushReply(L, items[i], resp, depth + 1);
    lua.lua_rawseti(L, -2, i + 1);
  }
}

/** A Lua number as Redis replies it: truncated toward zero to an int64. */
export function luaNumberToInteger(n: number): number | bigint {
  if (!Number.isFinite(n)) return INT64_MIN; // what (long long) gives for NaN/inf on x86
  const t = Math.trunc(n);
  if (Number.isSafeInteger(t)) return t === 0 ? 0 : t;
  if (t >= 2 ** 63 || t < -(2 ** 63)) return INT64_MIN;
  return BigInt(t);
}

/** Error messages go on one line, as Redis's addReplyError does. */
export function errorLine(msg: string): string {
  return msg.replace(/[\r\n]+/g, ' ');
}

/** The field `name` of the table at `idx` if it is a string, else undefined (pops what it pushes). */
export function stringField(L: LuaState, idx: number, name: string): string | undefined {
  const t = lua.lua_getfield(L, idx, ls(name));
  const s = t === lua.LUA_TSTRING ? lua.lua_tolstring(L, -1) : null;
  lua.lua_pop(L, 1);
  return s === null ? undefined : luaBytes(s).toString('latin1');
}

class TooDeep extends Error {}

/** Converts the Lua value at `idx` to a reply; nesting too deep (a cyclic table) answers an error, as Redis does. */
export function toReply(L: LuaState, idx: number, resp: ScriptResp = 2): Reply {
  const top = lua.lua_gettop(L);
  try {
    return convert(L, idx, 0, resp);
  } catch (err) {
    if (!(err instanceof TooDeep)) throw err;
    lua.lua_settop(L, top);
    return new ErrorReply('ERR reached lua stack limit');
  }
}

function convert(L: LuaState, idx: number, depth: number, resp: ScriptResp): Reply {
  if (depth > MAX_DEPTH || !lua.lua_checkstack(L, 4)) throw new TooDeep();
  idx = lua.lua_absindex(L, idx);
  const type = lua.lua_type(L, idx);
  if (type === lua.LUA_TSTRING) return luaBytes(lua.lua_tolstring(L, idx) as Uint8Array);
  if (type === lua.LUA_TNUMBER) return luaNumberToInteger(lua.lua_tonumber(L, idx));
  if (type === lua.LUA_TBOOLEAN) {
    // After redis.setresp(3) a boolean is a RESP3 boolean (:1 / :0 to RESP2 clients), else true -> 1, false -> nil.
    const b = lua.lua_toboolean(L, idx);
    return resp === 3 ? new BoolReply(b) : b ? 1 : null;
  }
  if (type !== lua.LUA_TTABLE) return null;

  const err = stringField(L, idx, 'err');
  if (err !== undefined) return new ErrorReply(errorLine(err));
  const ok = stringField(L, idx, 'ok');
  if (ok !== undefined) return new SimpleString(errorLine(ok));
  if (lua.lua_getfield(L, idx, ls('double')) === lua.LUA_TNUMBER) {
    const d = lua.lua_tonumber(L, -1);
    lua.lua_pop(L, 1);
    return new DoubleReply(d);
  }
  lua.lua_pop(L, 1);
  if (lua.lua_getfield(L, idx, ls('map')) === lua.LUA_TTABLE) {
    const entries: Array<[Reply, Reply]> = [];
    const t = lua.lua_absindex(L, -1);
    lua.lua_pushnil(L);
    while (lua.lua_next(L, t)) {
      entries.push([convert(L, -2, depth + 1, resp), convert(L, -1, depth + 1, resp)]);
      lua.lua_pop(L, 1);
    }
    lua.lua_pop(L, 1);
    return new MapReply(entries);
  }
  lua.lua_pop(L, 1);
  if (lua.lua_getfield(L, idx, ls('set')) === lua.LUA_TTABLE) {
    const items: Reply[] = [];
    const t = lua.lua_absindex(L, -1);
    lua.lua_pushnil(L);
    while (lua.lua_next(L, t)) {
      items.push(convert(L, -2, depth + 1, resp));
      lua.lua_pop(L, 1);
    }
    lua.lua_pop(L, 1);
    return new SetReply(items);
  }
  lua.lua_pop(L, 1);

  const out: Reply[] = [];
  for (let i = 1; ; i++) {
    if (lua.lua_rawgeti(L, idx, i) === lua.LUA_TNIL) {
      lua.lua_pop(L, 1);
      break;
    }
    out.push(convert(L, -1, depth + 1, resp));
    lua.lua_pop(L, 1);
  }
  return out;
}
