/**
 * The Lua engine of Redis 7 functions: a library's metadata line, running
 * its code to learn what it registers (FUNCTION LOAD), and calling one of
 * its functions (FCALL).
 *
 * Redis keeps one Lua state with every library loaded in it. Here FCALL
 * runs the library's code again in the script state (engine.ts), which only
 * registers functions, then calls the one asked for. That is deterministic
 * on every node and after a restart; the one difference is that a library's
 * local variables do not live on between calls. The compiled library (and
 * the load-time prelude) are kept per Lua state, compiled outside the
 * memory meter, so only running them is charged to a call.
 *
 * While the library code runs, its globals are only `redis` with
 * register_function, log and the version constants, as in Redis; once
 * loaded, its functions see the full script environment (but no KEYS or
 * ARGV: they get keys and arguments as parameters).
 */
import { ErrorReply, type Reply } from '../../protocol/reply';
import type { ExecContext } from '../commands/types';
import { errorLine, pushErrorTable, stringField } from './convert';
import { runScript, scriptSha, type ScriptEntry } from './engine';
import { lauxlib, ls, lua, luaBytes, type LuaJsFunction, type LuaState } from './fengari';

/** Function flags, in the order Redis lists them (scripts_flags_def). */
export const FUNCTION_FLAGS = ['no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'] as const;

export interface FunctionInfo {
  name: string;
  description: string | null;
  /** A subset of FUNCTION_FLAGS, in that order. */
  flags: string[];
}

export interface LibraryMeta {
  name: string;
  /** The code Lua compiles: from the end of the metadata line (its newline kept, so line numbers match). */
  body: Buffer;
}

const NAME_RE = /^[A-Za-z0-9_]+$/;
export const ERR_LIBRARY_NAME = 'ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long';

/** Parses "#!lua name=<lib>" as Redis's functionExtractLibMetaData, then checks the name and engine. */
export function parseLibraryMeta(code: Buffer): LibraryMeta | ErrorReply {
  if (code.length < 2 || code[0] !== 0x23 || code[1] !== 0x21) return new ErrorReply('ERR Missing library metadata');
  const nl = code.indexOf(0x0a);
  if (nl < 0) return new ErrorReply('ERR Invalid library metadata');
  const parts = code.toString('latin1', 0, nl).split(/[ \t\r\v\f]+/).filter((p) => p.length > 0);
  if (parts.length === 0) return new ErrorReply('ERR Invalid library metadata');
  const engine = parts[0].slice(2);
  let name: string | undefined;
  for (const part of parts.slice(1)) {
    if (part.slice(0, 5).toLowerCase() !== 'name=') return new ErrorReply(`ERR Invalid metadata value given: ${part}`);
    if (name !== undefined) return new ErrorReply('ERR Invalid metadata value, name argument was given multiple times');
    name = part.slice(5);
  }
  if (name === undefined) return new ErrorReply('ERR Library name was not given');
  if (!NAME_RE.test(name)) return new ErrorReply(ERR_LIBRARY_NAME);
  if (engine.toLowerCase() !== 'lua') return new ErrorReply(`ERR Engine '${engine}' not found`);
  return { name, body: code.subarray(nl) };
}

/**
 * Builds the load-time environment for a compiled library.
 * Arguments: the chunk and the register check (JS). Returns the chunk, the
 * function that switches the library's globals to the full environment, the
 * table of registered callbacks by name, and the environment (the caller
 * makes it the chunk's _ENV).
 */
const LIBRARY_PRELUDE = `
local chunk, check = ...
local G = _G
local redis = G.redis
local function refuse() error('Attempt to modify a readonly table', 2) end
local function readonly(backing)
  return setmetatable({}, {
    __index = function(_, k)
      local v = backing[k]
      if v == nil then error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2) end
      return v
    end,
    __newindex = refuse,
    __metatable = false,
  })
end
local callbacks = {}
local api = {
  register_function = function(...)
    local name, callback = check(...)
    callbacks[name] = callback
  end,
  log = redis.log,
  LOG_DEBUG = redis.LOG_DEBUG, LOG_VERBOSE = redis.LOG_VERBOSE,
  LOG_NOTICE = redis.LOG_NOTICE, LOG_WARNING = redis.LOG_WARNING,
  REDIS_VERSION = redis.REDIS_VERSION, REDIS_VERSION_NUM = redis.REDIS_VERSION_NUM,
}
local mt = { __index = readonly({ redis = readonly(api) }), __newindex = refuse, __metatable = false }
local env = setmetatable({}, mt)
return chunk, function() mt.__index = G end, callbacks, env
`;

function raise(L: LuaState, message: string): never {
  pushErrorTable(L, message);
  return lua.lua_error(L);
}

function isStringish(L: LuaState, idx: number): boolean {
  const t = lua.lua_type(L, idx);
  return t === lua.LUA_TSTRING || t === lua.LUA_TNUMBER;
}

function stringAt(L: LuaState, idx: number): string {
  lua.lua_pushvalue(L, idx); // converted on a copy: a number key must stay a number for lua_next
  const s = lua.lua_tolstring(L, -1);
  lua.lua_pop(L, 1);
  return s === null ? '' : luaBytes(s).toString('latin1');
}

/** Reads a flags table (array of strings); null on a non-string or unknown flag. */
function readFlags(L: LuaState, idx: number): string[] | null {
  const seen = new Set<string>();
  for (let i = 1; ; i++) {
    const t = lua.lua_rawgeti(L, idx, i);
    if (t === lua.LUA_TNIL) {
      lua.lua_pop(L, 1);
      break;
    }
    const ok = isStringish(L, -1);
    const flag = ok ? stringAt(L, -1).toLowerCase() : '';
    lua.lua_pop(L, 1);
    if (!ok || !(FUNCTION_FLAGS as readonly string[]).includes(flag)) return null;
    seen.add(flag);
  }
  return FUNCTION_FLAGS.filter((f) => seen.has(f));
}

/**
 * redis.register_function's argument checks (Redis's wording), recording
 * the function; returns its name and callback to the Lua wrapper.
 */
function registerCheck(registered: FunctionInfo[]): LuaJsFunction {
  return (L) => {
    const argc = lua.lua_gettop(L);
    if (argc < 1 || argc > 2) raise(L, 'ERR wrong number of arguments to redis.register_function');
    let info: FunctionInfo;
    let callback: number; // stack index of the callback
    if (argc === 2) {
      if (!isStringish(L, 1)) raise(L, 'ERR first argument to redis.register_function must be a string');
      if (lua.lua_type(L, 2) !== lua.LUA_TFUNCTION) raise(L, 'ERR second argument to redis.register_function must be a function');
      info = { name: stringAt(L, 1), description: null, flags: [] };
      callback = 2;
    } else {
      if (lua.lua_type(L, 1) !== lua.LUA_TTABLE) {
        raise(L, 'ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).');
      }
      let name: string | undefined;
      let description: string | null = null;
      let flags: string[] = [];
      let found = false;
      lua.lua_pushnil(L);
      while (lua.lua_next(L, 1)) {
        if (!isStringish(L, -2)) raise(L, 'ERR named argument key given to redis.register_function is not a string');
        const key = stringAt(L, -2).toLowerCase();
        if (key === 'function_name') {
          if (!isStringish(L, -1)) raise(L, 'ERR function_name argument given to redis.register_function must be a string');
          name = stringAt(L, -1);
        } else if (key === 'description') {
          if (!isStringish(L, -1)) raise(L, 'ERR description argument given to redis.register_function must be a string');
          description = stringAt(L, -1);
        } else if (key === 'callback') {
          if (lua.lua_type(L, -1) !== lua.LUA_TFUNCTION) raise(L, 'ERR callback argument given to redis.register_function must be a function');
          found = true;
        } else if (key === 'flags') {
          if (lua.lua_type(L, -1) !== lua.LUA_TTABLE) raise(L, 'ERR flags argument to redis.register_function must be a table representing function flags');
          const read = readFlags(L, lua.lua_gettop(L));
          if (read === null) raise(L, 'ERR unknown flag given');
          flags = read;
        } else {
          raise(L, 'ERR unknown argument given to redis.register_function');
        }
        lua.lua_pop(L, 1);
      }
      if (name === undefined) raise(L, 'ERR redis.register_function must get a function name argument');
      if (!found) raise(L, 'ERR redis.register_function must get a callback argument');
      info = { name, description, flags };
      lua.lua_getfield(L, 1, ls('callback'));
      callback = lua.lua_gettop(L);
    }
    // Redis 7.0 answers a bad function name with the library-name wording.
    if (!NAME_RE.test(info.name)) raise(L, ERR_LIBRARY_NAME);
    // Case-insensitively, as FCALL finds them (Redis 7.0 accepts 'ab' and 'AB' in one library, then asserts on FUNCTION DELETE).
    if (registered.some((f) => f.name.toLowerCase() === info.name.toLowerCase())) raise(L, 'ERR Function already exists in the library');
    registered.push(info);
    lua.lua_pushstring(L, Buffer.from(info.name, 'latin1'));
    lua.lua_pushvalue(L, callback);
    return 2;
  };
}

/** The message of an error value left by a pcall without handler (table {err=...} or a string). */
function errorValue(L: LuaState): string {
  if (lua.lua_type(L, -1) === lua.LUA_TTABLE) return stringField(L, -1, 'err') ?? 'ERR unknown error';
  const msg = lua.lua_tolstring(L, -1);
  return `ERR ${msg === null ? 'unknown error' : luaBytes(msg).toString('latin1')}`;
}

/**
 * Compiles and runs the library; on success leaves the switch function and
 * the callbacks table on top of the stack (callbacks at -1).
 */
function loadInto(L: LuaState, body: Buffer, registered: FunctionInfo[]): ErrorReply | null {
  const cache = cacheOf(L);
  const chunkRef = cache.chunks.get(scriptSha(body));
  if (chunkRef === undefined) throw new Error('library not compiled before its run (compileLibrary)');
  lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, cache.prelude);
  lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, chunkRef);
  lua.lua_pushjsfunction(L, registerCheck(registered));
  if (lua.lua_pcall(L, 2, 4, 0) !== lua.LUA_OK) return new ErrorReply(errorLine(errorValue(L)));
  lua.lua_setupvalue(L, -4, 1); // env becomes the chunk's _ENV; stack: chunk, switch, callbacks
  lua.lua_pushvalue(L, -3); // the chunk
  if (lua.lua_pcall(L, 0, 0, 0) !== lua.LUA_OK) return new ErrorReply(errorLine(`ERR Error registering functions: ${errorValue(L)}`));
  if (registered.length === 0) return new ErrorReply('ERR No functions registered');
  return null;
}

/** Per Lua state: the compiled load-time prelude and libraries (registry references). */
interface LibraryCache {
  prelude: number;
  chunks: Map<string, number>;
}

const caches = new WeakMap<LuaState, LibraryCache>();
/** Compiled libraries kept per state (oldest dropped first). */
const CHUNKS_KEPT = 200;

function cacheOf(L: LuaState): LibraryCache {
  let cache = caches.get(L);
  if (cache === undefined) {
    const prelude = Buffer.from(LIBRARY_PRELUDE);
    if (lauxlib.luaL_loadbufferx(L, prelude, prelude.length, '=prelude', 't') !== lua.LUA_OK) throw new Error('library prelude does not compile');
    cache = { prelude: lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX), chunks: new Map() };
    caches.set(L, cache);
  }
  return cache;
}

/** Compiles the library's code into this state once (before the run, outside its memory meter); the compile error Redis gives, or null. */
function compileLibrary(L: LuaState, body: Buffer): ErrorReply | null {
  const cache = cacheOf(L);
  const sha = scriptSha(body);
  if (cache.chunks.has(sha)) return null;
  if (lauxlib.luaL_loadbufferx(L, new Uint8Array(body.buffer, body.byteOffset, body.length), body.length, '@user_function', 't') !== lua.LUA_OK) {
    const msg = lua.lua_tolstring(L, -1);
    lua.lua_pop(L, 1);
    // Lua 5.1 (Redis) quotes the end-of-input token as it quotes every other; 5.3 does not.
    const text = msg === null ? 'unknown error' : luaBytes(msg).toString('latin1').replace(/ near <eof>$/, " near '<eof>'");
    return new ErrorReply(errorLine(`ERR Error compiling function: ${text}`));
  }
  cache.chunks.set(sha, lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX));
  if (cache.chunks.size > CHUNKS_KEPT) {
    const [oldest, ref] = cache.chunks.entries().next().value as [string, number];
    cache.chunks.delete(oldest);
    lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, ref);
  }
  return null;
}

const noop: LuaJsFunction = () => 0;

/** FUNCTION LOAD at apply time: what the library registers, or the error Redis gives. */
export function loadLibrary(ctx: ExecContext, meta: LibraryMeta): FunctionInfo[] | ErrorReply {
  const registered: FunctionInfo[] = [];
  const entry: ScriptEntry = {
    compile: (L) => compileLibrary(L, meta.body),
    prepare(L) {
      const err = loadInto(L, meta.body, registered);
      if (err !== null) return err;
      lua.lua_pushjsfunction(L, noop);
      return 0;
    },
  };
  const r = runScript({ ctx, body: meta.body, sha: meta.name, keys: [], args: [], readOnly: true, entry });
  return r instanceof ErrorReply ? r : registered;
}

export interface FunctionCall {
  ctx: ExecContext;
  meta: LibraryMeta;
  /** The function's registered name (FCALL matches names case-insensitively). */
  name: string;
  keys: Buffer[];
  args: Buffer[];
  readOnly: boolean;
  budget?: number;
}

function pushStrings(L: LuaState, items: Buffer[]): void {
  lua.lua_createtable(L, items.length, 0);
  items.forEach((b, i) => {
    lua.lua_pushstring(L, new Uint8Array(b.buffer, b.byteOffset, b.length));
    lua.lua_rawseti(L, -2, i + 1);
  });
}

/** FCALL / FCALL_RO: runs the library, then the function with (keys, args). */
export function callFunction(call: FunctionCall): Reply {
  const entry: ScriptEntry = {
    compile: (L) => compileLibrary(L, call.meta.body),
    prepare(L) {
      const err = loadInto(L, call.meta.body, []);
      if (err !== null) return err;
      lua.lua_pushvalue(L, -2); // the switch to the full environment
      if (lua.lua_pcall(L, 0, 0, 0) !== lua.LUA_OK) return new ErrorReply(errorLine(errorValue(L)));
      lua.lua_getfield(L, -1, Buffer.from(call.name, 'latin1'));
      if (lua.lua_type(L, -1) !== lua.LUA_TFUNCTION) return new ErrorReply('ERR Function not found');
      pushStrings(L, call.keys);
      pushStrings(L, call.args);
      return 2;
    },
  };
  return runScript({
    ctx: call.ctx,
    body: call.meta.body,
    sha: call.name,
    keys: call.keys,
    args: call.args,
    readOnly: call.readOnly,
    budget: call.budget,
    entry,
  });
}
