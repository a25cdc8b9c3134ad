/**
 * Runs one Lua script (EVAL and friends) against the keyspace.
 *
 * Scripts run in one Lua state kept between runs (building it costs about a
 * millisecond, which capped EVALSHA near 900 a second), and nothing a script
 * does may survive into the next run: a node that restarted must run the
 * next script exactly like one that did not. So after every run the globals,
 * every library table and the string metatable are checked against what
 * they held when the state was built (the prelude's `verify`); if a script
 * changed any of them, or was stopped by a budget or a JS error, the state
 * is dropped and the next run builds a fresh one. Compiled scripts are kept
 * by SHA1; compiling and building are not charged to a run's memory budget,
 * so whether a state was reused never changes what a script may do. The run
 * is deterministic: `math.random` is seeded from the log index, fengari's
 * object ids restart at the same number, `redis.call('TIME')` is the
 * entry's cluster time, `os`/`io`/file loading are absent, and a runaway
 * script is stopped after a fixed number of VM instructions (the same on
 * every node), not after a wall-clock timeout.
 */
import { createHash } from 'node:crypto';
import { ErrorReply, type Reply } from '../../protocol/reply';
import type { ExecContext } from '../commands/types';
import { callFromScript } from './call';
import { errorLine, pushErrorTable, pushNumber, pushReply, stringField, toReply, type ScriptResp } from './convert';
import { lauxlib, ls, lua, luaBytes, lualib, withMemoryMeter, type LuaJsFunction, type LuaState } from './fengari';
import { openCjson, openBit } from './libs';
import { openCmsgpack } from './cmsgpack';
import { openStruct } from './struct';
import { ScriptRandom } from './random';
import { parseShebang } from './shebang';
import { REDIS_COMPAT_VERSION } from '../info';

/**
 * VM instructions a script may execute. fengari runs 25-30 million simple
 * instructions a second on one loaded core here, so a runaway script stops
 * in about a second; lock scripts use a few dozen.
 */
export const DEFAULT_INSTRUCTION_BUDGET = 30_000_000;
/**
 * Bytes of strings and table entries a script may create (see fengari.ts's
 * meter): deterministic, so every node stops the same script at the same
 * point. Scripts that move values of tens of megabytes fit.
 */
export const DEFAULT_MEMORY_BUDGET = 128 * 1024 * 1024;
/** Instructions between budget checks (the hook's count). */
const HOOK_STEP = 10_000;

export interface ScriptRun {
  ctx: ExecContext;
  body: Buffer;
  sha: string;
  keys: Buffer[];
  args: Buffer[];
  /** EVAL_RO / EVALSHA_RO (or a `no-writes` shebang): write commands are refused. */
  readOnly: boolean;
  /** Instruction budget; DEFAULT_INSTRUCTION_BUDGET unless a test asks for less. */
  budget?: number;
  /** Memory budget in bytes; DEFAULT_MEMORY_BUDGET unless a test asks for less. */
  memoryBudget?: number;
  /** Called once the script has compiled, before it runs (EVAL caches it then). */
  compiled?: () => void;
  /**
   * FCALL: instead of compiling `body` as a script (shebang, KEYS/ARGV
   * globals), the entry compiles and runs its library under the instruction
   * budget and pushes the function to call and its arguments.
   */
  entry?: ScriptEntry;
}

/** How a run other than a plain script gets its callee (functions-lua.ts). */
export interface ScriptEntry {
  /** Compiles what prepare runs (kept per state), before the run and outside its memory meter; the compile error, or null. */
  compile?(L: LuaState): ErrorReply | null;
  /**
   * Called with the sandbox open and the budget hook set; `handler` is the
   * error handler's stack index. Pushes a function and its arguments and
   * returns the argument count, or the error to answer instead.
   */
  prepare(L: LuaState, handler: number): number | ErrorReply;
}

/** The SHA1 hex digest Redis names a script by. */
export function scriptSha(body: Buffer): string {
  return createHash('sha1').update(body).digest('hex');
}

export function errMemoryBudget(limit: number): ErrorReply {
  return new ErrorReply(`ERR Script killed: exceeded the memory budget of ${limit} bytes`);
}

export function errBudget(budget: number): ErrorReply {
  return new ErrorReply(`ERR Script killed: exceeded the instruction budget of ${budget} instructions`);
}

/** Compiles without running: the error EVAL / SCRIPT LOAD would answer, or null. */
export function compileError(body: Buffer): ErrorReply | null {
  const shebang = parseShebang(body);
  if (shebang instanceof ErrorReply) return shebang;
  const L = lauxlib.luaL_newstate();
  try {
    return load(L, shebang.code);
  } finally {
    lua.lua_close(L);
  }
}

/** Loads the chunk onto the stack, or returns the compile error (stack unchanged). */
function load(L: LuaState, code: Buffer): ErrorReply | null {
  const bytes = new Uint8Array(code.buffer, code.byteOffset, code.length);
  if (lauxlib.luaL_loadbufferx(L, bytes, bytes.length, '@user_script', 't') === lua.LUA_OK) return null;
  const msg = lua.lua_tolstring(L, -1);
  lua.lua_pop(L, 1);
  const text = msg === null ? 'unknown error' : luaBytes(msg).toString('latin1');
  return new ErrorReply(errorLine(`ERR Error compiling script (new function): ${text}`));
}

/** Runs the script and returns its reply (errors included, never throws for script faults). */
export function runScript(run: ScriptRun): Reply {
  const shebang = run.entry === undefined ? parseShebang(run.body) : { code: run.body, noWrites: false };
  if (shebang instanceof ErrorReply) return shebang;
  // fengari's table.sort picks random pivots with Math.random once its
  // partitions get unbalanced, and with an inconsistent comparator the
  // result depends on them. The run is synchronous, so Math.random is
  // swapped for a generator seeded from the log index until it returns.
  const realRandom = Math.random;
  const internal = new ScriptRandom(run.ctx.index ^ 0x5bd1e995);
  Math.random = () => internal.next();
  const box = acquireSandbox();
  let clean = false;
  try {
    const state: RunState = { resp: 2, killed: false, readOnly: run.readOnly || shebang.noWrites };
    box.binding.run = run;
    box.binding.state = state;
    box.binding.random = new ScriptRandom(run.ctx.index);
    let compiled = true;
    if (run.entry === undefined) {
      // Outside the memory meter: a script compiled earlier must not leave a run more room than a fresh compile would.
      const compileErr = pushCompiled(box, run.sha, shebang.code);
      if (compileErr !== null) {
        compiled = false;
        clean = true;
        return compileErr;
      }
      run.compiled?.();
      setArgs(box.L, run.keys, run.args);
    } else if (run.entry.compile !== undefined) {
      const compileErr = run.entry.compile(box.L);
      if (compileErr !== null) {
        compiled = false;
        clean = true;
        return compileErr;
      }
    }
    box.setIdCounter(box.idBase);
    const limit = run.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
    const { result, tripped } = withMemoryMeter(limit, (memoryTripped) => runMetered(box, run, state, memoryTripped));
    clean = compiled && !tripped && !state.killed && result !== undefined;
    return tripped || result === undefined ? errMemoryBudget(limit) : result;
  } finally {
    Math.random = realRandom;
    releaseSandbox(box, clean);
  }
}

/** Runs the function on top of the stack (a compiled script), or the entry's callee, under the instruction budget. */
function runMetered(box: Sandbox, run: ScriptRun, state: RunState, memoryTripped: () => boolean): Reply {
  const L = box.L;
  const budget = run.budget ?? DEFAULT_INSTRUCTION_BUDGET;
  const handler = HANDLER_INDEX;
  let executed = 0;
  const hook = (H: LuaState): void => {
    if (state.killed) {
      pushErrorTable(H, errBudget(budget).message);
      lua.lua_error(H);
    }
    executed += HOOK_STEP;
    // Past the memory budget (a pcall may have caught the meter's error): stop like the budget does.
    if (executed >= budget || memoryTripped()) {
      // Keep raising at every instruction so that pcall cannot swallow it.
      state.killed = true;
      lua.lua_sethook(H, hook, lua.LUA_MASKCOUNT, 1);
      pushErrorTable(H, errBudget(budget).message);
      lua.lua_error(H);
    }
  };
  let nargs = 0;
  try {
    lua.lua_sethook(L, hook, lua.LUA_MASKCOUNT, HOOK_STEP);
    if (run.entry !== undefined) {
      // The library runs before the call: under the same budget.
      const pushed = run.entry.prepare(L, handler);
      if (state.killed) return errBudget(budget);
      if (pushed instanceof ErrorReply) return pushed;
      nargs = pushed;
    }
    let status: number;
    try {
      status = lua.lua_pcall(L, nargs, 1, handler);
    } catch (err) {
      // fengari lets JS errors through pcall: V8's size limits (a string
      // past ~512 MB, a huge table) end the script rather than the apply loop.
      state.killed = true; // the state is not trusted after this
      return new ErrorReply(errorLine(`ERR Script failed: ${err instanceof Error ? err.message : String(err)}`));
    }
    lua.lua_sethook(L, null, 0, 0);
    if (state.killed) return errBudget(budget);
    if (status !== lua.LUA_OK) return scriptError(L, run.sha);
    return toReply(L, -1, state.resp);
  } finally {
    lua.lua_sethook(L, null, 0, 0);
  }
}

// ------------------------------------------------------------ the kept state

/** The prelude's error handler sits at this stack index for the state's whole life. */
const HANDLER_INDEX = 1;
/** Compiled scripts kept per state (oldest dropped first). */
const COMPILED_KEPT = 1000;

/** What the sandbox's JS functions read of the run in progress. */
interface Binding {
  run: ScriptRun | undefined;
  state: RunState;
  random: ScriptRandom;
}

interface Sandbox {
  L: LuaState;
  binding: Binding;
  /** What the shared tables held when the state was built. */
  shared: TableSnapshot[];
  /** fengari's object id counter after the build: every run starts from it (ids show in tostring of tables and functions). */
  idBase: number;
  setIdCounter(n: number): void;
  /** Compiled scripts: SHA1 -> registry reference, oldest first. */
  compiled: Map<string, number>;
  busy: boolean;
}

let kept: Sandbox | undefined;

/** The kept state, or a fresh one if it is in use (never expected: scripts do not nest) or was dropped. */
function acquireSandbox(): Sandbox {
  if (kept !== undefined && !kept.busy) {
    kept.busy = true;
    return kept;
  }
  const box = buildSandbox();
  if (kept === undefined) kept = box;
  box.busy = true;
  return box;
}

/** After a run: the stack back to the handler, KEYS/ARGV gone; the state is kept only if the run was clean and changed nothing shared. */
function releaseSandbox(box: Sandbox, clean: boolean): void {
  box.busy = false;
  box.binding.run = undefined;
  let keep = clean;
  if (keep) {
    const L = box.L;
    lua.lua_settop(L, HANDLER_INDEX);
    setArgs(L, undefined, undefined);
    keep = unchanged(box.shared);
  }
  if (!keep && kept === box) kept = undefined;
  if (kept !== box) lua.lua_close(box.L);
}

/** Pushes the compiled script (from the cache, or compiled now), or returns the compile error. */
function pushCompiled(box: Sandbox, sha: string, code: Buffer): ErrorReply | null {
  const L = box.L;
  const ref = box.compiled.get(sha);
  if (ref !== undefined) {
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, ref);
    // A chunk's one upvalue is _ENV, and Lua 5.3 lets a script assign it: the kept closure gets the globals back.
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, lua.LUA_RIDX_GLOBALS);
    lua.lua_setupvalue(L, -2, 1);
    return null;
  }
  const err = load(L, code);
  if (err !== null) return err;
  lua.lua_pushvalue(L, -1);
  box.compiled.set(sha, lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX));
  if (box.compiled.size > COMPILED_KEPT) {
    const [oldest, oldRef] = box.compiled.entries().next().value as [string, number];
    box.compiled.delete(oldest);
    lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, oldRef);
  }
  return null;
}

/** Sets (or, with undefined, removes) the KEYS and ARGV globals, bypassing the read-only guard. */
function setArgs(L: LuaState, keys: Buffer[] | undefined, args: Buffer[] | undefined): void {
  lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, lua.LUA_RIDX_GLOBALS);
  for (const [name, items] of [['KEYS', keys], ['ARGV', args]] as const) {
    lua.lua_pushstring(L, name);
    if (items === undefined) lua.lua_pushnil(L);
    else pushStringArray(L, items);
    lua.lua_rawset(L, -3);
  }
  lua.lua_pop(L, 1);
}

function pushStringArray(L: LuaState, items: Buffer[]): void {
  lua.lua_createtable(L, items.length, 0);
  items.forEach((b, i) => {
    lua.lua_pushstring(L, new Uint8Array(b.buffer, b.byteOffset, b.length));
    lua.lua_rawseti(L, -2, i + 1);
  });
}

/** fengari's per-state object id counter and per-type metatables (not part of its API). */
interface FengariGlobal {
  l_G: { id_counter: number; mt: Array<FengariTable | undefined> };
}

/** fengari's table: entries by key hash, each value a TValue (type tag, payload), updated in place. */
interface FengariTable {
  strong: Map<unknown, { value: { type: number; value: unknown } }>;
  metatable: FengariTable | null;
}

interface TableSnapshot {
  table: FengariTable;
  metatable: FengariTable | null;
  entries: Array<[unknown, number, unknown]>;
}

const LUA_TTABLE_TAG = 5;
const LUA_TSTRING_TAG = 4;

/**
 * What every table a script can reach without creating it holds: the
 * globals, the library tables in them (recursively), their metatables and
 * the string metatable. Read from fengari's tables directly: a Lua walk over
 * these few hundred entries after every run cost more than the script.
 */
function snapshotShared(L: LuaState): TableSnapshot[] {
  lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, lua.LUA_RIDX_GLOBALS);
  const globals = lua.lua_topointer(L, -1) as FengariTable;
  lua.lua_pop(L, 1);
  const stringMeta = (L as unknown as FengariGlobal).l_G.mt[LUA_TSTRING_TAG];
  const out: TableSnapshot[] = [];
  const seen = new Set<FengariTable>();
  const queue: FengariTable[] = stringMeta ? [globals, stringMeta] : [globals];
  while (queue.length > 0) {
    const t = queue.pop() as FengariTable;
    if (seen.has(t)) continue;
    seen.add(t);
    const entries: TableSnapshot['entries'] = [];
    for (const [hash, e] of t.strong) {
      entries.push([hash, e.value.type, e.value.value]);
      if ((e.value.type & 0x0f) === LUA_TTABLE_TAG) queue.push(e.value.value as FengariTable);
    }
    out.push({ table: t, metatable: t.metatable, entries });
    if (t.metatable) queue.push(t.metatable);
  }
  return out;
}

/** Whether the shared tables still hold exactly what they did (same keys, same values by identity, same metatables). */
function unchanged(snapshot: TableSnapshot[]): boolean {
  for (const s of snapshot) {
    const t = s.table;
    if (t.metatable !== s.metatable || t.strong.size !== s.entries.length) return false;
    for (const [hash, type, value] of s.entries) {
      const e = t.strong.get(hash);
      if (e === undefined || e.value.type !== type || e.value.value !== value) return false;
    }
  }
  return true;
}

function buildSandbox(): Sandbox {
  const L = lauxlib.luaL_newstate();
  const binding: Binding = { run: undefined, state: { resp: 2, killed: false, readOnly: true }, random: new ScriptRandom(0) };
  openSandbox(L, binding); // stack: [handler]
  const g = (L as unknown as FengariGlobal).l_G;
  return {
    L,
    binding,
    shared: snapshotShared(L),
    idBase: g.id_counter,
    setIdCounter: (n) => {
      g.id_counter = n;
    },
    compiled: new Map(),
    busy: false,
  };
}

interface RunState {
  resp: ScriptResp;
  killed: boolean;
  readOnly: boolean;
}

/** The reply for an error that escaped the script, with Redis's "script: <sha>, on <source>:<line>." suffix. */
function scriptError(L: LuaState, sha: string): ErrorReply {
  if (lua.lua_type(L, -1) === lua.LUA_TTABLE) {
    const err = stringField(L, -1, 'err') ?? 'ERR unknown error';
    const source = stringField(L, -1, 'source');
    lua.lua_getfield(L, -1, ls('line'));
    const line = lua.lua_type(L, -1) === lua.LUA_TNUMBER ? lua.lua_tonumber(L, -1) : undefined;
    lua.lua_pop(L, 1);
    const where = source !== undefined && line !== undefined ? ` script: ${sha}, on ${source}:${line}.` : '';
    return new ErrorReply(errorLine(err + where));
  }
  const msg = lua.lua_tolstring(L, -1);
  return new ErrorReply(errorLine(`ERR ${msg === null ? 'unknown error' : luaBytes(msg).toString('latin1')}`));
}

/**
 * Builds the script's world: base/table/string/math libraries, the redis
 * table, cjson and bit, a math.random seeded per run, no file or OS access,
 * and globals that refuse unknown reads and any write (KEYS and ARGV are
 * set per run). Leaves the error handler (from the prelude) on the stack.
 */
function openSandbox(L: LuaState, binding: Binding): void {
  const libs: Array<[string, LuaJsFunction]> = [
    ['_G', lualib.luaopen_base],
    ['table', lualib.luaopen_table],
    ['string', lualib.luaopen_string],
    ['math', lualib.luaopen_math],
  ];
  for (const [name, open] of libs) {
    lauxlib.luaL_requiref(L, name, open, 1);
    lua.lua_pop(L, 1);
  }
  lauxlib.luaL_requiref(L, 'debug', lualib.luaopen_debug, 0); // stack: [debug], for the prelude only

  for (const name of ['loadfile', 'dofile', 'require', 'module']) {
    lua.lua_pushnil(L);
    lua.lua_setglobal(L, ls(name));
  }
  setGlobalFunction(L, 'print', () => 0);
  setGlobalFunction(L, 'collectgarbage', (S) => {
    lua.lua_pushinteger(S, 0); // fengari has no collector control; report nothing, deterministically
    return 1;
  });

  lua.lua_getglobal(L, ls('math'));
  setFunction(L, 'random', mathRandom(binding));
  setFunction(L, 'randomseed', (S) => {
    binding.random.seed(lua.lua_tonumber(S, 1));
    return 0;
  });
  lua.lua_pop(L, 1);

  openRedis(L, binding);
  openCjson(L);
  openBit(L);
  openCmsgpack(L);
  openStruct(L);

  const prelude = Buffer.from(PRELUDE);
  if (lauxlib.luaL_loadbufferx(L, prelude, prelude.length, '=prelude', 't') !== lua.LUA_OK) throw new Error('scripting prelude does not compile');
  lua.lua_pushvalue(L, 1);
  if (lua.lua_pcall(L, 1, 1, 0) !== lua.LUA_OK) throw new Error('scripting prelude failed');
  lua.lua_replace(L, 1); // stack: [handler]
}

/**
 * Lua 5.1 names scripts written for Redis expect (unpack), the error
 * handler that records where an error was raised (Redis's
 * __redis__err__handler), and the read-only globals.
 */
const PRELUDE = `
local dbg = ...
local getinfo = dbg.getinfo
unpack = table.unpack
loadstring = load
local handler = function(err)
  -- The first frame that is user code: skip library functions ('C', or 'J'
  -- for fengari's JS functions) and this prelude (the global guards).
  local level = 2
  local i = getinfo(level, 'nSl')
  while i and (i.what == 'C' or i.what == 'J' or i.source == '=prelude') do
    level = level + 1
    i = getinfo(level, 'nSl')
  end
  if type(err) ~= 'table' then err = {err = 'ERR ' .. tostring(err)} end
  if i then
    err.source = i.source
    err.line = i.currentline
  end
  return err
end
setmetatable(_G, {
  __index = function(_, k)
    error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
  end,
  __newindex = function()
    error('Attempt to modify a readonly table', 2)
  end,
  __metatable = false,
})
return handler
`;

function setFunction(L: LuaState, name: string, f: LuaJsFunction): void {
  lua.lua_pushjsfunction(L, f);
  lua.lua_setfield(L, -2, ls(name));
}

function setGlobalFunction(L: LuaState, name: string, f: LuaJsFunction): void {
  lua.lua_pushjsfunction(L, f);
  lua.lua_setglobal(L, ls(name));
}

/** Raises {err = message} the way redis.call's own errors are raised. */
function raise(L: LuaState, message: string): never {
  pushErrorTable(L, message);
  return lua.lua_error(L);
}

/** Raises a plain string error with the caller's position (luaL_error style). */
function raiseString(L: LuaState, message: string): never {
  lua.lua_pushstring(L, message);
  return lua.lua_error(L);
}

/** Lua 5.3 math.random over the seeded generator: (), (m) or (m, n). */
function mathRandom(binding: Binding): LuaJsFunction {
  return (L) => {
    const random = binding.random;
    const n = lua.lua_gettop(L);
    if (n === 0) {
      lua.lua_pushnumber(L, random.next());
      return 1;
    }
    let lo = 1;
    let hi: number;
    if (n === 1) {
      hi = Math.floor(lua.lua_tonumber(L, 1));
      if (lo > hi) raiseString(L, "bad argument #1 to 'random' (interval is empty)");
    } else if (n === 2) {
      lo = Math.floor(lua.lua_tonumber(L, 1));
      hi = Math.floor(lua.lua_tonumber(L, 2));
      if (lo > hi) raiseString(L, "bad argument #2 to 'random' (interval is empty)");
    } else {
      return raiseString(L, "wrong number of arguments to 'random'");
    }
    pushNumber(L, random.between(lo, hi));
    return 1;
  };
}

/** The arguments of redis.call as a command argv, or the error Redis gives. */
function commandArgv(L: LuaState): Buffer[] | ErrorReply {
  const n = lua.lua_gettop(L);
  if (n === 0) return new ErrorReply('ERR Please specify at least one argument for this redis lib call');
  const argv: Buffer[] = [];
  for (let i = 1; i <= n; i++) {
    const t = lua.lua_type(L, i);
    if (t === lua.LUA_TNUMBER) {
      argv.push(Buffer.from(formatArgNumber(lua.lua_tonumber(L, i)), 'latin1'));
    } else if (t === lua.LUA_TSTRING) {
      argv.push(luaBytes(lua.lua_tolstring(L, i) as Uint8Array));
    } else {
      return new ErrorReply('ERR Lua redis lib command arguments must be strings or integers');
    }
  }
  return argv;
}

/** Numbers passed to redis.call print like Redis's fpconv_dtoa: 3.0 -> "3", 1.5 -> "1.5". */
function formatArgNumber(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e21) return BigInt(x).toString();
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  return String(x);
}

function openRedis(L: LuaState, binding: Binding): void {
  const call = (raiseErrors: boolean): LuaJsFunction => (S) => {
    const argv = commandArgv(S);
    const run = binding.run;
    let reply: Reply;
    if (argv instanceof ErrorReply) {
      reply = argv;
    } else if (run === undefined) {
      reply = new ErrorReply('ERR no script is running');
    } else {
      try {
        reply = callFromScript(run.ctx, argv, binding.state.readOnly);
      } catch {
        // A handler bug: deterministic, so every node answers the same.
        reply = new ErrorReply(`ERR internal error executing '${argv[0].toString('latin1').toLowerCase()}'`);
      }
    }
    if (reply instanceof ErrorReply) {
      if (raiseErrors) raise(S, reply.message);
      pushErrorTable(S, reply.message);
      return 1;
    }
    pushReply(S, reply, binding.state.resp);
    return 1;
  };

  lua.lua_createtable(L, 0, 24);
  setFunction(L, 'call', call(true));
  setFunction(L, 'pcall', call(false));
  setFunction(L, 'error_reply', (S) => {
    if (lua.lua_gettop(S) !== 1 || lua.lua_type(S, 1) !== lua.LUA_TSTRING) raise(S, 'ERR wrong number or type of arguments');
    let msg = luaBytes(lua.lua_tolstring(S, 1) as Uint8Array).toString('latin1');
    if (msg.startsWith('-')) msg = msg.slice(1);
    pushErrorTable(S, msg.includes(' ') ? msg : `ERR ${msg}`);
    return 1;
  });
  setFunction(L, 'status_reply', (S) => {
    if (lua.lua_gettop(S) !== 1 || lua.lua_type(S, 1) !== lua.LUA_TSTRING) raise(S, 'ERR wrong number or type of arguments');
    lua.lua_createtable(S, 0, 1);
    lua.lua_pushvalue(S, 1);
    lua.lua_setfield(S, -2, ls('ok'));
    return 1;
  });
  setFunction(L, 'sha1hex', (S) => {
    if (lua.lua_gettop(S) !== 1) raiseString(S, 'wrong number of arguments');
    const s = lua.lua_tolstring(S, 1);
    lua.lua_pushstring(S, scriptSha(s === null ? Buffer.alloc(0) : Buffer.from(s)));
    return 1;
  });
  setFunction(L, 'setresp', (S) => {
    if (lua.lua_gettop(S) !== 1) raise(S, 'ERR redis.setresp() requires one argument.');
    const v = lua.lua_tonumber(S, 1);
    if (v !== 2 && v !== 3) raise(S, 'ERR RESP version must be 2 or 3.');
    binding.state.resp = v;
    return 0;
  });
  setFunction(L, 'log', (S) => {
    if (lua.lua_gettop(S) < 2) raise(S, 'ERR redis.log() requires two arguments or more.');
    if (lua.lua_type(S, 1) !== lua.LUA_TNUMBER) raise(S, 'ERR First argument must be a number (log level).');
    return 0; // scripts log nothing here: every node would repeat it
  });
  setFunction(L, 'set_repl', () => 0);
  setFunction(L, 'replicate_commands', (S) => {
    lua.lua_pushboolean(S, true);
    return 1;
  });
  setFunction(L, 'breakpoint', (S) => {
    lua.lua_pushboolean(S, false);
    return 1;
  });
  setFunction(L, 'debug', () => 0);
  const constants: Array<[string, number]> = [
    ['LOG_DEBUG', 0], ['LOG_VERBOSE', 1], ['LOG_NOTICE', 2], ['LOG_WARNING', 3],
    ['REPL_NONE', 0], ['REPL_SLAVE', 1], ['REPL_REPLICA', 1], ['REPL_AOF', 2], ['REPL_ALL', 3],
  ];
  for (const [name, v] of constants) {
    lua.lua_pushinteger(L, v);
    lua.lua_setfield(L, -2, ls(name));
  }
  // Redis 7's version fields, for the version we report (INFO redis_version).
  const [major, minor, patch] = REDIS_COMPAT_VERSION.split('.').map((x) => Number(x) || 0);
  lua.lua_pushstring(L, REDIS_COMPAT_VERSION);
  lua.lua_setfield(L, -2, ls('REDIS_VERSION'));
  lua.lua_pushinteger(L, (major << 16) | (minor << 8) | patch);
  lua.lua_setfield(L, -2, ls('REDIS_VERSION_NUM'));
  lua.lua_setglobal(L, ls('redis'));
}
