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
  LUA_RIDX_GLOBALS: number;
  LUA_TNIL: number;
  LUA_TBOOLEAN: number;
  LUA_TNUMBER: number;
  LUA_TSTRING: number;
  LUA_TTABLE: number;
  LUA_TFUNCTION: number;
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
  lua_topointer(L: LuaState, idx: number): unknown;
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
  lua_setupvalue(L: LuaState, funcindex: number, n: number): LuaString | null;
  lua_sethook(L: LuaState, hook: ((L: LuaState) => void) | null, mask: number, count: number): void;
}

export interface LauxApi {
  luaL_newstate(): LuaState;
  luaL_loadbufferx(L: LuaState, buff: LuaString, size: number, name: Str, mode: Str | null): number;
  luaL_requiref(L: LuaState, modname: Str, openf: LuaJsFunction, glb: boolean | number): void;
  luaL_ref(L: LuaState, t: number): number;
  luaL_unref(L: LuaState, t: number, ref: number): void;
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
 * Memory a running script may claim, counted deterministically (the same on
 * every node, as scripts run at apply time everywhere): every byte of every
 * Lua string created, every byte added to a string buffer (string.rep,
 * gsub, format, table.concat, ...; charged before the buffer grows), and
 * TABLE_ENTRY_BYTES per new table entry. Past the limit the script is
 * stopped with a JS exception, which Lua's pcall cannot catch. Without it a
 * few instructions (`string.rep('x', 1e9)`, a loop of `s = s .. s`) could
 * take gigabytes and seconds on every node at once, or crash them all on
 * the same log entry, again at each restart.
 */
export class ScriptMemoryError extends Error {
  constructor(readonly limit: number) {
    super(`exceeded the memory budget of ${limit} bytes`);
  }
}

/** What a new table entry is charged: about what fengari's Map entry and two TValues take. */
export const TABLE_ENTRY_BYTES = 100;

interface Meter {
  used: number;
  limit: number;
  /** Set once the limit is passed; from then on every charge throws again. */
  tripped: boolean;
}

let meter: Meter | undefined;

function charge(bytes: number): void {
  const m = meter;
  if (m === undefined) return;
  m.used += bytes;
  if (m.used > m.limit || m.tripped) {
    m.tripped = true;
    throw new ScriptMemoryError(m.limit);
  }
}

/**
 * Runs fn with a fresh memory meter of `limit` bytes (scripts run one at a
 * time, synchronously). fengari turns JS exceptions into Lua errors that
 * pcall could catch, so fn gets `tripped` to poll (the engine's instruction
 * hook does, and then stops the script), and the caller learns whether the
 * limit was passed at any point, whatever the script did afterwards.
 */
export function withMemoryMeter<T>(limit: number, fn: (tripped: () => boolean) => T): { result: T | undefined; tripped: boolean } {
  const outer = meter;
  const m: Meter = { used: 0, limit, tripped: false };
  meter = m;
  try {
    return { result: fn(() => m.tripped), tripped: m.tripped };
  } catch (err) {
    if (err instanceof ScriptMemoryError) return { result: undefined, tripped: true };
    throw err;
  } finally {
    meter = outer;
  }
}

/** Replaces exports[name] with a wrapper that first charges measure(args[index]). */
function meterExport(exports: Record<string, unknown>, name: string, index: number, measure: (arg: unknown) => number): void {
  const original = exports[name];
  if (typeof original !== 'function') throw new Error(`fengari: ${name} not found (fengari version changed?)`);
  const fn = original as (...args: unknown[]) => unknown;
  // A function, not an arrow: fengari calls some of these with `new` (ltm.js: `new luaS_new(...)`).
  exports[name] = function (this: unknown, ...args: unknown[]): unknown {
    charge(measure(args[index]));
    return fn.apply(this, args);
  };
}

const lengthOf = (v: unknown): number => (v as { length: number }).length;
const numberOf = (v: unknown): number => v as number;

interface LuaBufferLike {
  n: number;
}

/**
 * fengari's modules take each other's functions by destructuring at load
 * time, so the meter is installed on lstring.js and lauxlib.js before any
 * module that uses them is loaded (tables are reached through the module
 * object and can be wrapped at any time).
 */
function installMeter(): void {
  if (Object.keys(require.cache).some((path) => /[\\/]fengari[\\/]src[\\/]lapi\.js$/.test(path))) {
    throw new Error('fengari was loaded before its memory meter could be installed');
  }
  /* eslint-disable @typescript-eslint/no-require-imports */
  const lstring = require('fengari/src/lstring.js') as Record<string, unknown>;
  for (const name of ['luaS_bless', 'luaS_new', 'luaS_newliteral']) meterExport(lstring, name, 1, lengthOf);
  const lauxlib = require('fengari/src/lauxlib.js') as Record<string, unknown>;
  meterExport(lauxlib, 'luaL_buffinitsize', 2, numberOf);
  meterExport(lauxlib, 'luaL_prepbuffsize', 1, numberOf);
  meterExport(lauxlib, 'luaL_addlstring', 2, numberOf);
  meterExport(lauxlib, 'luaL_addstring', 1, lengthOf);
  meterExport(lauxlib, 'luaL_addchar', 0, () => 1);
  // luaL_addvalue copies a string already on the stack: charge what it added.
  const addvalue = lauxlib.luaL_addvalue as (B: LuaBufferLike) => void;
  lauxlib.luaL_addvalue = (B: LuaBufferLike) => {
    const before = B.n;
    addvalue(B);
    charge(B.n - before);
  };
  const ltable = require('fengari/src/ltable.js') as Record<string, unknown>;
  interface TableLike {
    strong: Map<unknown, unknown>;
  }
  for (const name of ['luaH_setint', 'luaH_setfrom']) {
    const set = ltable[name] as (...args: unknown[]) => void;
    const tableArg = name === 'luaH_setint' ? 0 : 1;
    ltable[name] = (...args: unknown[]) => {
      const t = args[tableArg] as TableLike;
      const size = t.strong.size;
      set(...args);
      if (t.strong.size > size) charge(TABLE_ENTRY_BYTES);
    };
  }
  /* eslint-enable @typescript-eslint/no-require-imports */
}

/** Source edits to fengari's integer arithmetic: [file, what, replacement]. Each must match exactly once. */
const ARITH_EDITS: Array<[string, string, string]> = [
  ['lvm.js', 'L.stack[ra].setivalue((op1.value + op2.value)|0);', 'rc_setarith(L.stack[ra], op1.value + op2.value);'],
  ['lvm.js', 'L.stack[ra].setivalue((op1.value - op2.value)|0);', 'rc_setarith(L.stack[ra], op1.value - op2.value);'],
  ['lvm.js', 'L.stack[ra].setivalue(luaV_imul(op1.value, op2.value));', 'rc_setarith(L.stack[ra], op1.value * op2.value);'],
  ['lvm.js', 'L.stack[ra].setivalue((-op.value)|0);', 'rc_setarith(L.stack[ra], -op.value);'],
  // string.format('%d', n): Lua 5.1 casts the double (a timestamp in ms is not a 32-bit integer).
  [
    'lstrlib.js',
    "case 'o': case 'u': case 'x': case 'X': {\n                    let n = luaL_checkinteger(L, arg);",
    "case 'o': case 'u': case 'x': case 'X': {\n                    let n = Math.trunc(luaL_checknumber(L, arg));",
  ],
  // Hex literals past 32 bits (BullMQ's `% 0x100000000`) wrapped to 0; Lua 5.1 reads them as doubles. Not an integer: parsed as a float.
  [
    'lobject.js',
    'a = (a * 16 + luaO_hexavalue(s[i]))|0;',
    'a = a * 16 + luaO_hexavalue(s[i]); if (a > 2147483648 || (a === 2147483648 && !neg)) return null;',
  ],
  // tostring / `..` of a float: C's %.14g as Lua 5.1 prints it (1e+15, inf, -nan), not JS's String (1000000000000000, Infinity).
  ['luaconf.js', 'return String(Number(n.toPrecision(14))); /* should match behaviour of LUA_NUMBER_FMT */', 'return rc_g14(n);'],
  // string.format's %e %f %g: C's printf (sprintf-js formats as JS does).
  [
    'lstrlib.js',
    "let n = luaL_checknumber(L, arg);\n                    addlenmod(form, to_luastring(LUA_INTEGER_FRMLEN, true));\n                    luaL_addstring(b, to_luastring(sprintf(String.fromCharCode(...form), n)));",
    "let n = luaL_checknumber(L, arg);\n                    addlenmod(form, to_luastring(LUA_INTEGER_FRMLEN, true));\n                    luaL_addstring(b, to_luastring(rc_cfmt(String.fromCharCode(...form), n)));",
  ],
  // Constant folding in the compiler (`return 65536*65536`) goes through luaO_arith.
  [
    'lobject.js',
    'res.setivalue(intarith(L, op, p1.value, p2.value));',
    'if (!rc_exactarith(res, op, p1.value, p2.value)) res.setivalue(intarith(L, op, p1.value, p2.value));',
  ],
];

const ARITH_HELPERS = `
/* raftcache: integer results that do not fit fengari's 32-bit integers become floats (server/scripting/fengari.ts). */
const rc_setarith = (o, r) => { if ((r | 0) === r) o.setivalue(r); else o.setfltvalue(r); };
/* raftcache: C's printf %e %f %g (flags, width, precision) for Lua's tostring (%.14g) and string.format:
   sprintf-js and String() format as JS does (1000000000000000, Infinity, 1.00000e+15), and JS rounds exact ties up where C rounds them to even. */
const rc_digits = (a) => {
  if (a >= 1e21) { const d = BigInt(a).toString(); return [d, d.length - 1]; }
  const [m, e] = a.toExponential(99).split('e');
  return [m.replace('.', ''), Number(e)];
};
/* a > 0 rounded to sig >= 1 significant digits: [digits, exponent of the first]. */
const rc_round = (a, sig) => {
  const [d, e] = rc_digits(a);
  let head = d.slice(0, sig).padEnd(sig, '0');
  const rest = d.slice(sig);
  const up = rest[0] > '5' || (rest[0] === '5' && (/[1-9]/.test(rest.slice(1)) || Number(head[sig - 1]) % 2 === 1));
  if (!up) return [head, e];
  const inc = (BigInt(head) + 1n).toString();
  return inc.length > sig ? [inc.slice(0, sig), e + 1] : [inc, e];
};
const rc_exp = (a, p, alt, upper) => {
  const [h, e] = a === 0 ? ['0'.repeat(p + 1), 0] : rc_round(a, p + 1);
  const ae = Math.abs(e);
  return h[0] + (p > 0 || alt ? '.' : '') + h.slice(1) + (upper ? 'E' : 'e') + (e < 0 ? '-' : '+') + (ae < 10 ? '0' : '') + ae;
};
const rc_fixed = (a, p, alt) => {
  let h = '', e = 0;
  if (a !== 0) {
    const [d, e0] = rc_digits(a);
    const sig = e0 + 1 + p;
    if (sig > 0) [h, e] = rc_round(a, sig);
    else if (sig === 0 && (d[0] > '5' || (d[0] === '5' && /[1-9]/.test(d.slice(1))))) [h, e] = ['1', -p];
  }
  let int = '0', frac = '0'.repeat(p);
  if (h !== '') {
    const all = h.padEnd(e + 1 + p, '0');
    if (e >= 0) { int = all.slice(0, e + 1); frac = all.slice(e + 1); }
    else frac = ('0'.repeat(-e - 1) + all).slice(0, p);
  }
  return int + (p > 0 || alt ? '.' + frac : '');
};
const rc_general = (a, P, alt, upper) => {
  if (P === 0) P = 1;
  const x = a === 0 ? 0 : rc_round(a, P)[1];
  let out = P > x && x >= -4 ? rc_fixed(a, P - 1 - x, alt) : rc_exp(a, P - 1, alt, upper);
  if (alt) return out;
  const ei = out.search(/[eE]/);
  const [mant, exp] = ei < 0 ? [out, ''] : [out.slice(0, ei), out.slice(ei)];
  return (mant.includes('.') ? mant.replace(/\\.?0+$/, '') : mant) + exp;
};
const rc_cfmt = (form, n) => {
  const m = /^%([-+ #0]*)(\\d*)(?:\\.(\\d*))?([eEfFgG])$/.exec(form);
  if (!m) throw new Error('invalid conversion ' + form);
  const [, flags, width, prec, conv] = m;
  const alt = flags.includes('#');
  const upper = conv === 'E' || conv === 'G' || conv === 'F';
  const p = prec === undefined ? 6 : Number(prec || 0);
  const neg = n < 0 || Object.is(n, -0) || (n !== n && (new Uint8Array(new Float64Array([n]).buffer)[7] & 0x80) !== 0);
  const a = Math.abs(n);
  let body;
  if (n !== n) body = 'nan';
  else if (a === Infinity) body = 'inf';
  else body = conv === 'e' || conv === 'E' ? rc_exp(a, p, alt, upper) : conv === 'f' || conv === 'F' ? rc_fixed(a, p, alt) : rc_general(a, p, alt, upper);
  if (upper) body = body.toUpperCase();
  const sign = neg ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
  const w = Number(width || 0);
  const len = sign.length + body.length;
  if (len >= w) return sign + body;
  if (flags.includes('-')) return sign + body + ' '.repeat(w - len);
  if (flags.includes('0') && a === a && a !== Infinity) return sign + '0'.repeat(w - len) + body;
  return ' '.repeat(w - len) + sign + body;
};
const rc_g14 = (n) => rc_cfmt('%.14g', n);
const rc_exactarith = (res, op, a, b) => {
  const r = op === 0 ? a + b : op === 1 ? a - b : op === 2 ? a * b : op === 12 ? -a : undefined;
  if (r === undefined || (r | 0) === r) return false;
  res.setfltvalue(r);
  return true;
};
`;

/**
 * Redis embeds Lua 5.1, whose numbers are doubles: `tonumber(ARGV[1]) * 1000`
 * with a timestamp in seconds is 1.7e12. fengari is Lua 5.3 with 32-bit
 * integers that wrap (-807049216), which breaks rate limiters and queue
 * scores. Its VM cannot be patched from outside (the opcodes are inline in
 * luaV_execute), so lvm.js and lobject.js are loaded from their source with
 * the integer +, -, * and unary minus (and the compiler's constant folding)
 * giving a float when the exact result does not fit 32 bits — what a double
 * gives. Small integers stay integers. Any edit that no longer matches (a
 * different fengari version) stops the load rather than running unpatched.
 */
function installArithmetic(): () => void {
  if (Object.keys(require.cache).some((p) => /[\\/]fengari[\\/]src[\\/](lvm|lobject|lstrlib|luaconf)\.js$/.test(p))) {
    throw new Error('fengari was loaded before its arithmetic could be patched');
  }
  /* eslint-disable @typescript-eslint/no-require-imports */
  const Module = require('node:module') as { _extensions: Record<string, (m: { _compile(code: string, filename: string): void }, filename: string) => void> };
  const fs = require('node:fs') as typeof import('node:fs');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const targets = new Map(['lvm.js', 'lobject.js', 'lstrlib.js', 'luaconf.js'].map((f) => [require.resolve(`fengari/src/${f}`), f]));
  const loadJs = Module._extensions['.js'];
  // Node loads the files in fengari's own order (they require each other); only their source is edited.
  Module._extensions['.js'] = (m, filename) => {
    const file = targets.get(filename);
    if (file === undefined) return loadJs(m, filename);
    let src = fs.readFileSync(filename, 'utf8');
    for (const [f, from, to] of ARITH_EDITS) {
      if (f !== file) continue;
      const at = src.indexOf(from);
      if (at < 0 || src.indexOf(from, at + 1) >= 0) throw new Error(`fengari ${file}: arithmetic edit does not match exactly once: ${from}`);
      src = src.slice(0, at) + to + src.slice(at + from.length);
    }
    m._compile(src.replace('"use strict";', `"use strict";${ARITH_HELPERS}`), filename);
  };
  return () => {
    Module._extensions['.js'] = loadJs;
  };
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
  const restoreLoader = installArithmetic();
  try {
    installMeter();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('fengari') as Fengari;
  } finally {
    restoreLoader();
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
