/**
 * The extra libraries Redis preloads that scripts in the wild use:
 * `cjson` (encode, decode, null) and `bit` (LuaBitOp: 32-bit operations).
 * `cmsgpack` and `struct` are not provided.
 */
import { ls, luaBytes, lua, type LuaJsFunction, type LuaState } from './fengari';
import { pushNumber } from './convert';

/** cjson.null: a light userdata compared by identity, as in lua-cjson. */
const JSON_NULL = { cjsonNull: true };
const MAX_JSON_DEPTH = 1000;

function fail(L: LuaState, message: string): never {
  lua.lua_pushstring(L, message);
  return lua.lua_error(L);
}

function setFunction(L: LuaState, name: string, f: LuaJsFunction): void {
  lua.lua_pushjsfunction(L, f);
  lua.lua_setfield(L, -2, ls(name));
}

// ------------------------------------------------------------------ cjson

export function openCjson(L: LuaState): void {
  lua.lua_createtable(L, 0, 3);
  setFunction(L, 'encode', (S) => {
    if (lua.lua_gettop(S) !== 1) fail(S, 'bad argument #1 to \'encode\' (expected 1 argument)');
    lua.lua_pushstring(S, Buffer.from(encodeJson(S, 1, 0), 'latin1'));
    return 1;
  });
  setFunction(L, 'decode', (S) => {
    if (lua.lua_gettop(S) !== 1 || lua.lua_type(S, 1) !== lua.LUA_TSTRING) fail(S, "bad argument #1 to 'decode' (string expected)");
    let value: unknown;
    try {
      value = JSON.parse(luaBytes(lua.lua_tolstring(S, 1) as Uint8Array).toString('utf8'));
    } catch {
      return fail(S, 'Expected value but found invalid token');
    }
    pushJson(S, value, 0);
    return 1;
  });
  lua.lua_pushlightuserdata(L, JSON_NULL);
  lua.lua_setfield(L, -2, ls('null'));
  lua.lua_setglobal(L, ls('cjson'));
}

/** JSON text as latin1 (one char per byte: Lua strings are copied through unchanged, like lua-cjson). */
function encodeJson(L: LuaState, idx: number, depth: number): string {
  idx = lua.lua_absindex(L, idx);
  const t = lua.lua_type(L, idx);
  if (t === lua.LUA_TNIL) return 'null';
  if (t === lua.LUA_TBOOLEAN) return lua.lua_toboolean(L, idx) ? 'true' : 'false';
  if (t === lua.LUA_TNUMBER) {
    const n = lua.lua_tonumber(L, idx);
    if (!Number.isFinite(n)) fail(L, 'Cannot serialise number: must not be NaN or Inf');
    return Number.isInteger(n) && Math.abs(n) < 1e15 ? String(n) : String(Number(n.toPrecision(14)));
  }
  if (t === lua.LUA_TSTRING) return quote(luaBytes(lua.lua_tolstring(L, idx) as Uint8Array).toString('latin1'));
  if (t === lua.LUA_TTABLE) {
    if (depth >= MAX_JSON_DEPTH) fail(L, `Cannot serialise, excessive nesting (${depth + 1})`);
    return encodeTable(L, idx, depth + 1);
  }
  if (lua.lua_touserdata(L, idx) === JSON_NULL) return 'null';
  return fail(L, `Cannot serialise ${typeName(L, t)}: type not supported`);
}

function typeName(L: LuaState, t: number): string {
  return ['nil', 'boolean', 'userdata', 'number', 'string', 'table', 'function', 'userdata', 'thread'][t] ?? 'value';
}

function encodeTable(L: LuaState, idx: number, depth: number): string {
  // An array when every key is a positive integer (lua-cjson, without its sparse-array refusal).
  let max = 0;
  let count = 0;
  let isArray = true;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, idx)) {
    count++;
    if (isArray) {
      const k = lua.lua_type(L, -2) === lua.LUA_TNUMBER ? lua.lua_tonumber(L, -2) : NaN;
      if (Number.isInteger(k) && k >= 1) max = Math.max(max, k);
      else isArray = false;
    }
    lua.lua_pop(L, 1);
  }
  if (count > 0 && isArray) {
    const items: string[] = [];
    for (let i = 1; i <= max; i++) {
      lua.lua_rawgeti(L, idx, i);
      items.push(encodeJson(L, -1, depth));
      lua.lua_pop(L, 1);
    }
    return `[${items.join(',')}]`;
  }
  const fields: string[] = [];
  lua.lua_pushnil(L);
  while (lua.lua_next(L, idx)) {
    const kt = lua.lua_type(L, -2);
    let key: string;
    if (kt === lua.LUA_TSTRING) key = luaBytes(lua.lua_tolstring(L, -2) as Uint8Array).toString('latin1');
    else if (kt === lua.LUA_TNUMBER) key = String(lua.lua_tonumber(L, -2));
    else return fail(L, 'Cannot serialise table: table key must be a number or string');
    fields.push(`${quote(key)}:${encodeJson(L, -1, depth)}`);
    lua.lua_pop(L, 1);
  }
  return `{${fields.join(',')}}`;
}

function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x2f) out += '\\/';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c < 0x20 || c === 0x7f) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += s[i];
  }
  return out + '"';
}

function pushJson(L: LuaState, v: unknown, depth: number): void {
  if (depth > MAX_JSON_DEPTH) fail(L, `Found too many nested data structures (${depth}) at character 1`);
  if (v === null) lua.lua_pushlightuserdata(L, JSON_NULL);
  else if (typeof v === 'boolean') lua.lua_pushboolean(L, v);
  else if (typeof v === 'number') pushNumber(L, v);
  else if (typeof v === 'string') lua.lua_pushstring(L, new Uint8Array(Buffer.from(v, 'utf8')));
  else if (Array.isArray(v)) {
    lua.lua_createtable(L, v.length, 0);
    v.forEach((item, i) => {
      pushJson(L, item, depth + 1);
      lua.lua_rawseti(L, -2, i + 1);
    });
  } else {
    const entries = Object.entries(v as Record<string, unknown>);
    lua.lua_createtable(L, 0, entries.length);
    for (const [k, item] of entries) {
      lua.lua_pushstring(L, new Uint8Array(Buffer.from(k, 'utf8')));
      pushJson(L, item, depth + 1);
      lua.lua_rawset(L, -3);
    }
  }
}

// -------------------------------------------------------------------- bit

/** LuaBitOp's normalisation: the number's low 32 bits as a signed integer. */
function toBit(n: number): number {
  if (!Number.isFinite(n)) return 0;
  return Number(BigInt.asIntN(32, BigInt(Math.round(n))));
}

function bitArg(L: LuaState, i: number): number {
  if (lua.lua_type(L, i) !== lua.LUA_TNUMBER) fail(L, `bad argument #${i} (number expected)`);
  return toBit(lua.lua_tonumber(L, i));
}

export function openBit(L: LuaState): void {
  lua.lua_createtable(L, 0, 12);
  const unary = (f: (x: number) => number): LuaJsFunction => (S) => {
    pushNumber(S, f(bitArg(S, 1)) | 0);
    return 1;
  };
  const fold = (f: (a: number, b: number) => number): LuaJsFunction => (S) => {
    let acc = bitArg(S, 1);
    for (let i = 2; i <= lua.lua_gettop(S); i++) acc = f(acc, bitArg(S, i));
    pushNumber(S, acc | 0);
    return 1;
  };
  const shift = (f: (x: number, n: number) => number): LuaJsFunction => (S) => {
    pushNumber(S, f(bitArg(S, 1), bitArg(S, 2) & 31) | 0);
    return 1;
  };
  setFunction(L, 'tobit', unary((x) => x));
  setFunction(L, 'bnot', unary((x) => ~x));
  setFunction(L, 'bswap', unary((x) => ((x >>> 24) | ((x >>> 8) & 0xff00) | ((x & 0xff00) << 8) | (x << 24))));
  setFunction(L, 'band', fold((a, b) => a & b));
  setFunction(L, 'bor', fold((a, b) => a | b));
  setFunction(L, 'bxor', fold((a, b) => a ^ b));
  setFunction(L, 'lshift', shift((x, n) => x << n));
  setFunction(L, 'rshift', shift((x, n) => x >>> n));
  setFunction(L, 'arshift', shift((x, n) => x >> n));
  setFunction(L, 'rol', shift((x, n) => (x << n) | (x >>> (32 - n))));
  setFunction(L, 'ror', shift((x, n) => (x >>> n) | (x << (32 - n))));
  setFunction(L, 'tohex', (S) => {
    const x = bitArg(S, 1);
    let n = lua.lua_gettop(S) >= 2 ? bitArg(S, 2) : 8;
    const upper = n < 0;
    if (upper) n = -n;
    n = Math.min(n, 8);
    let hex = (x >>> 0).toString(16).padStart(8, '0').slice(8 - n);
    if (upper) hex = hex.toUpperCase();
    lua.lua_pushstring(S, hex);
    return 1;
  });
  lua.lua_setglobal(L, ls('bit'));
}
