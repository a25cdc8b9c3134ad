/**
 * Redis 7 functions: FUNCTION (LOAD, DELETE, FLUSH, LIST, DUMP, RESTORE,
 * STATS, KILL, HELP), FCALL and FCALL_RO.
 *
 * The libraries are replicated state (keyspace.functions), so FUNCTION is
 * a logged write, like SCRIPT: every node runs the library's code at apply
 * time (deterministic: a fresh Lua state, the entry's index for its
 * randomness, an instruction budget) and ends with the same table. FCALL
 * is a logged write like EVAL (even for a `no-writes` function); FCALL_RO
 * is a read on the local applied state, like EVAL_RO.
 */
import { ErrorReply, MapReply, OK, SetReply, SimpleString, type Reply } from '../../protocol/reply';
import { errArity, errUnknownSubcommand } from '../../protocol/errors';
import { arg, defineCommand, keyArg, oneOf, pureToken } from './define';
import type { CommandDoc, DataCommand, ExecContext } from './types';
import { lowerArg, parseInt64 } from './util';
import { globMatch } from './glob';
import { callFunction, loadLibrary, parseLibraryMeta } from '../scripting/functions-lua';
import type { FunctionTable, Library } from '../scripting/functions-table';
import { decodeFunctionDump, encodeFunctionDump } from '../scripting/functions-dump';

const ERR_NOTBUSY = new ErrorReply('NOTBUSY No scripts in execution right now.');
const ERR_NOT_FOUND = new ErrorReply('ERR Function not found');
const ERR_RO_WRITE = new ErrorReply('ERR Can not execute a script with write flag using *_ro command.');
const ERR_FLUSH_OPTION = new ErrorReply('ERR FUNCTION FLUSH only supports SYNC|ASYNC option');
const ERR_POLICY = new ErrorReply('ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.');

// ---------------------------------------------------------------- FCALL

function fcall(ctx: ExecContext, argv: Buffer[], ro: boolean): Reply {
  const found = ctx.keyspace.functions.findFunction(argv[1].toString('latin1'));
  if (found === undefined) return ERR_NOT_FOUND;
  const n = parseInt64(argv[2]);
  if (n === null) return new ErrorReply('ERR Bad number of keys provided');
  if (n > argv.length - 3) return new ErrorReply("ERR Number of keys can't be greater than number of args");
  if (n < 0) return new ErrorReply("ERR Number of keys can't be negative");
  const noWrites = found.info.flags.includes('no-writes');
  if (ro && !noWrites) return ERR_RO_WRITE;
  const meta = parseLibraryMeta(found.library.code);
  if (meta instanceof ErrorReply) return meta; // stored libraries always parse
  const keys = argv.slice(3, 3 + Number(n));
  const args = argv.slice(3 + Number(n));
  return callFunction({ ctx, meta, name: found.info.name, keys, args, readOnly: ro || noWrites });
}

// ------------------------------------------------------------- FUNCTION

/** Arity of each FUNCTION subcommand, as Redis declares it. */
const SUBCOMMANDS: Record<string, number> = { load: -3, delete: 3, flush: -2, kill: 2, list: -2, stats: 2, dump: 2, restore: -3, help: 2 };

function syntaxError(sub: string): ErrorReply {
  return new ErrorReply(`ERR unknown subcommand or wrong number of arguments for '${sub}'. Try FUNCTION HELP.`);
}

/** Stateless checks before the write is logged: subcommand, arity, options. */
function checkFunction(argv: Buffer[]): ErrorReply | null {
  const sub = lowerArg(argv[1]);
  const arity = SUBCOMMANDS[sub];
  if (arity === undefined) return errUnknownSubcommand(argv[1].toString('latin1'), 'function');
  if (arity > 0 ? argv.length !== arity : argv.length < -arity) return errArity(`function|${sub}`);
  switch (sub) {
    case 'load': {
      // Metadata errors come first in Redis too: refused before the log.
      const opts = loadOptions(argv);
      if (opts instanceof ErrorReply) return opts;
      const meta = parseLibraryMeta(opts.code);
      return meta instanceof ErrorReply ? meta : null;
    }
    case 'flush':
      if (argv.length > 3) return syntaxError(argv[1].toString('latin1'));
      if (argv.length === 3 && !['sync', 'async'].includes(lowerArg(argv[2]))) return ERR_FLUSH_OPTION;
      return null;
    case 'list': {
      const opts = listOptions(argv);
      return opts instanceof ErrorReply ? opts : null;
    }
    case 'restore':
      if (argv.length > 4) return syntaxError(argv[1].toString('latin1'));
      if (argv.length === 4 && !['flush', 'append', 'replace'].includes(lowerArg(argv[3]))) return ERR_POLICY;
      {
        const codes = decodeFunctionDump(argv[2]);
        return Array.isArray(codes) ? null : new ErrorReply(codes.reply);
      }
    default:
      return null;
  }
}

function loadOptions(argv: Buffer[]): { replace: boolean; code: Buffer } | ErrorReply {
  let replace = false;
  let i = 2;
  while (i < argv.length - 1) {
    const a = argv[i++];
    if (lowerArg(a) === 'replace') replace = true;
    else return new ErrorReply(`ERR Unknown option given: ${a.toString('latin1')}`);
  }
  return { replace, code: argv[i] };
}

function listOptions(argv: Buffer[]): { pattern: Buffer | undefined; withCode: boolean } | ErrorReply {
  let withCode = false;
  let pattern: Buffer | undefined;
  for (let i = 2; i < argv.length; i++) {
    const a = lowerArg(argv[i]);
    if (!withCode && a === 'withcode') {
      withCode = true;
    } else if (pattern === undefined && a === 'libraryname') {
      if (i >= argv.length - 1) return new ErrorReply('ERR library name argument was not given');
      pattern = argv[++i];
    } else {
      return new ErrorReply(`ERR Unknown argument ${argv[i].toString('latin1')}`);
    }
  }
  return { pattern, withCode };
}

/** Compiles and runs a library's code: what it registers, or the error (Redis's order of checks). */
function buildLibrary(ctx: ExecContext, code: Buffer, exists: (name: string) => boolean, replace: boolean): Library | ErrorReply {
  const meta = parseLibraryMeta(code);
  if (meta instanceof ErrorReply) return meta;
  if (!replace && exists(meta.name)) return new ErrorReply(`ERR Library '${meta.name}' already exists`);
  const functions = loadLibrary(ctx, meta);
  if (functions instanceof ErrorReply) return functions;
  return { name: meta.name, code: Buffer.from(code), functions };
}

function functionLoad(ctx: ExecContext, argv: Buffer[]): Reply {
  const opts = loadOptions(argv);
  if (opts instanceof ErrorReply) return opts;
  const table = ctx.keyspace.functions;
  const lib = buildLibrary(ctx, opts.code, (name) => table.library(name) !== undefined, opts.replace);
  if (lib instanceof ErrorReply) return lib;
  const clash = table.collision(lib, lib.name);
  if (clash !== undefined) return new ErrorReply(`ERR Function ${clash} already exists`);
  if (ctx.index > 0) table.put(lib);
  return lib.name;
}

function functionList(table: FunctionTable, argv: Buffer[]): Reply {
  const opts = listOptions(argv);
  if (opts instanceof ErrorReply) return opts;
  const out: Reply[] = [];
  for (const lib of table.list()) {
    if (opts.pattern !== undefined && !globMatch(opts.pattern, Buffer.from(lib.name, 'latin1'), true)) continue;
    const functions = lib.functions.map(
      (f) =>
        new MapReply([
          ['name', Buffer.from(f.name, 'latin1')],
          ['description', f.description === null ? null : Buffer.from(f.description, 'latin1')],
          ['flags', new SetReply(f.flags.map((x) => new SimpleString(x)))],
        ]),
    );
    const entries: Array<[Reply, Reply]> = [
      ['library_name', Buffer.from(lib.name, 'latin1')],
      ['engine', 'LUA'],
      ['functions', functions],
    ];
    if (opts.withCode) entries.push(['library_code', lib.code]);
    out.push(new MapReply(entries));
  }
  return out;
}

/** FUNCTION RESTORE: all the payload's libraries, joined under the policy (Redis's libraryJoin), or nothing. */
function functionRestore(ctx: ExecContext, argv: Buffer[]): Reply {
  const policy = argv.length === 4 ? lowerArg(argv[3]) : 'append';
  const codes = decodeFunctionDump(argv[2]);
  if (!Array.isArray(codes)) return new ErrorReply(codes.reply);
  const incoming = new Map<string, Library>();
  const names = new Set<string>();
  for (const code of codes) {
    const lib = buildLibrary(ctx, code, (name) => incoming.has(name), false);
    if (lib instanceof ErrorReply) return lib;
    for (const f of lib.functions) {
      if (names.has(f.name.toLowerCase())) return new ErrorReply(`ERR Function ${f.name} already exists`);
      names.add(f.name.toLowerCase());
    }
    incoming.set(lib.name, lib);
  }
  const table = ctx.keyspace.functions;
  const replaced = new Set<string>();
  if (policy !== 'flush') {
    for (const lib of incoming.values()) {
      if (table.library(lib.name) === undefined) continue;
      if (policy !== 'replace') return new ErrorReply(`ERR Library ${lib.name} already exists`);
      replaced.add(lib.name);
    }
    for (const lib of incoming.values()) {
      for (const f of lib.functions) {
        const owner = table.findFunction(f.name);
        if (owner !== undefined && !replaced.has(owner.library.name)) return new ErrorReply(`ERR Function ${f.name} already exists`);
      }
    }
  }
  if (ctx.index > 0) {
    if (policy === 'flush') table.flush();
    for (const lib of incoming.values()) table.put(lib);
  }
  return OK;
}

const FUNCTION_HELP = [
  'FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'LOAD [REPLACE] <FUNCTION CODE>',
  '    Create a new library with the given library name and code.',
  'DELETE <LIBRARY NAME>',
  '    Delete the given library.',
  'LIST [LIBRARYNAME PATTERN] [WITHCODE]',
  '    Return general information on all the libraries:',
  '    * Library name',
  '    * The engine used to run the Library',
  '    * Library description',
  '    * Functions list',
  '    * Library code (if WITHCODE is given)',
  '    It also possible to get only function that matches a pattern using LIBRARYNAME argument.',
  'STATS',
  '    Return information about the current function running:',
  '    * Function name',
  '    * Command used to run the function',
  '    * Duration in MS that the function is running',
  '    If no function is running, return nil',
  '    In addition, returns a list of available engines.',
  'KILL',
  '    Kill the current running function.',
  'FLUSH [ASYNC|SYNC]',
  '    Delete all the libraries.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the libraries.',
  '    * SYNC: Synchronously flush the libraries.',
  'DUMP',
  '    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command',
  'RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]',
  '    Restore the libraries represented by the given payload, it is possible to give a restore policy to',
  '    control how to handle existing libraries (default APPEND):',
  '    * FLUSH: delete all existing libraries.',
  '    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.',
  '    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old',
  '      libraries with the new libraries (notice that even on this option there is a chance of failure',
  '      in case of functions name collision with another library).',
  'HELP',
  '    Prints this help.',
].map((line) => new SimpleString(line));

function execFunction(ctx: ExecContext, argv: Buffer[]): Reply {
  const bad = checkFunction(argv);
  if (bad !== null) return bad;
  const table = ctx.keyspace.functions;
  switch (lowerArg(argv[1])) {
    case 'load':
      return functionLoad(ctx, argv);
    case 'delete': {
      const name = argv[2].toString('latin1');
      if (table.library(name) === undefined) return new ErrorReply('ERR Library not found');
      if (ctx.index > 0) table.delete(name);
      return OK;
    }
    case 'flush':
      if (ctx.index > 0) table.flush();
      return OK;
    case 'list':
      return functionList(table, argv);
    case 'dump':
      return encodeFunctionDump(table.list().map((lib) => lib.code));
    case 'restore':
      return functionRestore(ctx, argv);
    case 'stats':
      return new MapReply([
        ['running_script', null], // scripts run within one apply step: none is ever running between commands
        [
          'engines',
          new MapReply([['LUA', new MapReply([['libraries_count', table.libraryCount], ['functions_count', table.functionCount]])]]),
        ],
      ]);
    case 'kill':
      return ERR_NOTBUSY;
    default: // help
      return FUNCTION_HELP;
  }
}

// ---------------------------------------------------------------- table

const FCALL_ARGS = [
  arg('function', 'string'),
  arg('numkeys', 'integer'),
  keyArg('key', { optional: true, multiple: true }),
  arg('arg', 'string', { optional: true, multiple: true }),
];

function fcallDoc(summary: string): CommandDoc {
  return { summary, since: '7.0.0', group: 'scripting', complexity: 'Depends on the function that is executed.', arguments: FCALL_ARGS };
}

const FUNCTION_DOC: CommandDoc = {
  summary: 'A container for function commands (LOAD, DELETE, FLUSH, LIST, DUMP, RESTORE, STATS, KILL, HELP).',
  since: '7.0.0',
  group: 'scripting',
  complexity: 'Depends on subcommand.',
  arguments: [
    oneOf('subcommand', [
      arg('load', 'block', { arguments: [pureToken('load', 'LOAD'), pureToken('replace', 'REPLACE', { optional: true }), arg('function-code', 'string')] }),
      arg('delete', 'block', { arguments: [pureToken('delete', 'DELETE'), arg('library-name', 'string')] }),
      arg('flush', 'block', {
        arguments: [pureToken('flush', 'FLUSH'), oneOf('flush-type', [pureToken('async', 'ASYNC'), pureToken('sync', 'SYNC')], { optional: true })],
      }),
      arg('list', 'block', {
        arguments: [
          pureToken('list', 'LIST'),
          arg('library-name-pattern', 'string', { token: 'LIBRARYNAME', optional: true }),
          pureToken('withcode', 'WITHCODE', { optional: true }),
        ],
      }),
      arg('dump', 'pure-token', { token: 'DUMP' }),
      arg('restore', 'block', {
        arguments: [
          pureToken('restore', 'RESTORE'),
          arg('serialized-value', 'string'),
          oneOf('policy', [pureToken('flush', 'FLUSH'), pureToken('append', 'APPEND'), pureToken('replace', 'REPLACE')], { optional: true }),
        ],
      }),
      arg('stats', 'pure-token', { token: 'STATS' }),
      arg('kill', 'pure-token', { token: 'KILL' }),
      arg('help', 'pure-token', { token: 'HELP' }),
    ]),
  ],
};

export const functionCommands: DataCommand[] = [
  defineCommand({
    name: 'function',
    arity: -2,
    // LOAD, DELETE, FLUSH and RESTORE change the replicated libraries, so FUNCTION goes through the log (as SCRIPT does).
    flags: ['write', 'noscript'],
    keys: [0, 0, 0],
    acl: ['@write', '@slow', '@scripting'],
    doc: FUNCTION_DOC,
    check: checkFunction,
    exec: execFunction,
  }),
  defineCommand({
    name: 'fcall',
    arity: -3,
    // Redis: noscript stale skip_monitor may_replicate no_mandatory_keys movablekeys; logged here, so a write.
    flags: ['write', 'noscript', 'stale', 'skip_monitor', 'may_replicate', 'movablekeys'],
    keys: [0, 0, 0],
    acl: ['@write', '@slow', '@scripting'],
    doc: fcallDoc('Invokes a function.'),
    exec: (ctx, argv) => fcall(ctx, argv, false),
  }),
  defineCommand({
    name: 'fcall_ro',
    arity: -3,
    flags: ['readonly', 'noscript', 'stale', 'skip_monitor', 'movablekeys'],
    keys: [0, 0, 0],
    acl: ['@read', '@slow', '@scripting'],
    doc: fcallDoc('Invokes a read-only function.'),
    exec: (ctx, argv) => fcall(ctx, argv, true),
  }),
];
