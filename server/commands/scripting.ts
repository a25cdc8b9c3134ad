/**
 * EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT (LOAD, EXISTS, FLUSH, KILL,
 * HELP). The invocation is what is replicated: EVAL/EVALSHA are logged
 * writes and the script runs at apply time on every node with the entry's
 * time and index. The script cache lives in the keyspace (replicated,
 * durable, part of snapshots), so EVALSHA works on every node once the
 * SCRIPT LOAD or EVAL that cached the script is applied. The _RO forms are
 * reads: they run on the local applied state and refuse write commands.
 */
import { ErrorReply, OK, SimpleString, type Reply } from '../../protocol/reply';
import { errArity, errUnknownSubcommand, ERR_NOT_INTEGER } from '../../protocol/errors';
import { arg, defineCommand, keyArg, oneOf, pureToken } from './define';
import type { CommandDoc, DataCommand, ExecContext } from './types';
import { lowerArg, parseInt64 } from './util';
import { compileError, runScript, scriptSha } from '../scripting/engine';

export const ERR_NOSCRIPT = new ErrorReply('NOSCRIPT No matching script. Please use EVAL.');
const ERR_NEGATIVE_KEYS = new ErrorReply("ERR Number of keys can't be negative");
const ERR_TOO_MANY_KEYS = new ErrorReply("ERR Number of keys can't be greater than number of args");
const ERR_FLUSH_OPTION = new ErrorReply('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
const ERR_NOTBUSY = new ErrorReply('NOTBUSY No scripts in execution right now.');

/** Checks numkeys (argv[2]) against the arguments, as Redis's evalGenericCommand does. */
function numKeys(argv: Buffer[]): number | ErrorReply {
  const n = parseInt64(argv[2]);
  if (n === null) return ERR_NOT_INTEGER;
  if (n < 0) return ERR_NEGATIVE_KEYS;
  if (n > argv.length - 3) return ERR_TOO_MANY_KEYS;
  return Number(n);
}

function keysAndArgs(argv: Buffer[], n: number): { keys: Buffer[]; args: Buffer[] } {
  return { keys: argv.slice(3, 3 + n), args: argv.slice(3 + n) };
}

/** EVAL / EVAL_RO: compiles, caches (writes only: a read must not mutate) and runs. */
function evalBody(ctx: ExecContext, argv: Buffer[], readOnly: boolean): Reply {
  const n = numKeys(argv);
  if (n instanceof ErrorReply) return n;
  const body = argv[1];
  const sha = scriptSha(body);
  // Cached once it compiles (a read must not mutate, so EVAL_RO does not cache).
  const compiled = readOnly ? undefined : () => ctx.keyspace.addScript(sha, Buffer.from(body));
  return runScript({ ctx, body, sha, ...keysAndArgs(argv, n), readOnly, compiled });
}

/** EVALSHA / EVALSHA_RO: the SHA is matched case-insensitively, as Redis does. */
function evalSha(ctx: ExecContext, argv: Buffer[], readOnly: boolean): Reply {
  const n = numKeys(argv);
  if (n instanceof ErrorReply) return n;
  if (argv[1].length !== 40) return ERR_NOSCRIPT;
  const sha = lowerArg(argv[1]);
  const body = ctx.keyspace.getScript(sha);
  if (body === undefined) return ERR_NOSCRIPT;
  return runScript({ ctx, body, sha, ...keysAndArgs(argv, n), readOnly });
}

/** EVAL's syntax checks before proposing: bad numkeys or code never reaches the log. */
function checkEval(argv: Buffer[]): ErrorReply | null {
  const n = numKeys(argv);
  if (n instanceof ErrorReply) return n;
  return compileError(argv[1]);
}

function checkEvalSha(argv: Buffer[]): ErrorReply | null {
  const n = numKeys(argv);
  return n instanceof ErrorReply ? n : null;
}

const EVAL_ARGS = (first: string) => [
  arg(first, 'string'),
  arg('numkeys', 'integer'),
  keyArg('key', { optional: true, multiple: true }),
  arg('arg', 'string', { optional: true, multiple: true }),
];

function doc(summary: string, since: string, first: string): CommandDoc {
  return { summary, since, group: 'scripting', complexity: 'Depends on the script that is executed.', arguments: EVAL_ARGS(first) };
}

// Redis flags EVAL `noscript stale skip_monitor may_replicate no_mandatory_keys
// movablekeys`; here the invocation must go through the log, so it is a write
// (and carries @write, which our table requires of every write).
const EVAL_FLAGS = ['write', 'noscript', 'stale', 'skip_monitor', 'may_replicate', 'movablekeys'] as const;
const EVAL_RO_FLAGS = ['readonly', 'noscript', 'stale', 'skip_monitor', 'movablekeys'] as const;

// --------------------------------------------------------------- SCRIPT

/** Arity of each SCRIPT subcommand, as Redis declares it (script|load is 3, ...). */
const SCRIPT_SUBCOMMANDS: Record<string, number> = { load: 3, exists: -3, flush: -2, kill: 2, help: 2, debug: 3 };

const SCRIPT_HELP = [
  'SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'EXISTS <sha1> [<sha1> ...]',
  '    Return information about the existence of the scripts in the script cache.',
  'FLUSH [ASYNC|SYNC]',
  '    Flush the Lua scripts cache. Very dangerous on replicas.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the scripts cache.',
  '    * SYNC: Synchronously flush the scripts cache.',
  'KILL',
  '    Kill the currently executing Lua script.',
  'LOAD <script>',
  '    Load a script into the scripts cache without executing it.',
  'HELP',
  '    Print this help.',
].map((line) => new SimpleString(line));

/** Unknown subcommand or wrong arity for it; null when the call is well formed. */
function checkScript(argv: Buffer[]): ErrorReply | null {
  const sub = lowerArg(argv[1]);
  const arity = SCRIPT_SUBCOMMANDS[sub];
  if (arity === undefined) return errUnknownSubcommand(argv[1].toString('latin1'), 'script');
  if (arity > 0 ? argv.length !== arity : argv.length < -arity) return errArity(`script|${sub}`);
  if (sub === 'flush' && (argv.length > 3 || (argv.length === 3 && !['sync', 'async'].includes(lowerArg(argv[2]))))) return ERR_FLUSH_OPTION;
  if (sub === 'load') return compileError(argv[2]);
  return null;
}

function execScript(ctx: ExecContext, argv: Buffer[]): Reply {
  const bad = checkScript(argv);
  if (bad !== null) return bad;
  switch (lowerArg(argv[1])) {
    case 'load': {
      const body = argv[2];
      const sha = scriptSha(body);
      if (ctx.index > 0) ctx.keyspace.addScript(sha, Buffer.from(body));
      return sha;
    }
    case 'exists':
      return argv.slice(2).map((sha) => (sha.length === 40 && ctx.keyspace.hasScript(lowerArg(sha)) ? 1 : 0));
    case 'flush':
      if (ctx.index > 0) ctx.keyspace.flushScripts();
      return OK;
    case 'kill':
      return ERR_NOTBUSY; // scripts run to completion within one apply step; none is ever running now
    case 'help':
      return SCRIPT_HELP;
    default: // debug
      return new ErrorReply('ERR SCRIPT DEBUG is not supported');
  }
}

export const scriptingCommands: DataCommand[] = [
  defineCommand({
    name: 'eval',
    arity: -3,
    flags: [...EVAL_FLAGS],
    keys: [0, 0, 0],
    acl: ['@write', '@slow', '@scripting'],
    doc: doc('Executes a server-side Lua script.', '2.6.0', 'script'),
    check: checkEval,
    exec: (ctx, argv) => evalBody(ctx, argv, false),
  }),
  defineCommand({
    name: 'evalsha',
    arity: -3,
    flags: [...EVAL_FLAGS],
    keys: [0, 0, 0],
    acl: ['@write', '@slow', '@scripting'],
    doc: doc('Executes a server-side Lua script by SHA1 digest.', '2.6.0', 'sha1'),
    check: checkEvalSha,
    exec: (ctx, argv) => evalSha(ctx, argv, false),
  }),
  defineCommand({
    name: 'eval_ro',
    arity: -3,
    flags: [...EVAL_RO_FLAGS],
    keys: [0, 0, 0],
    acl: ['@read', '@slow', '@scripting'],
    doc: doc('Executes a read-only server-side Lua script.', '7.0.0', 'script'),
    check: checkEval,
    exec: (ctx, argv) => evalBody(ctx, argv, true),
  }),
  defineCommand({
    name: 'evalsha_ro',
    arity: -3,
    flags: [...EVAL_RO_FLAGS],
    keys: [0, 0, 0],
    acl: ['@read', '@slow', '@scripting'],
    doc: doc('Executes a read-only server-side Lua script by SHA1 digest.', '7.0.0', 'sha1'),
    check: checkEvalSha,
    exec: (ctx, argv) => evalSha(ctx, argv, true),
  }),
  defineCommand({
    name: 'script',
    arity: -2,
    // SCRIPT LOAD and FLUSH change the replicated cache, so SCRIPT goes through the log.
    flags: ['write', 'noscript'],
    keys: [0, 0, 0],
    acl: ['@write', '@slow', '@scripting'],
    doc: {
      summary: 'A container for Lua scripts management commands (LOAD, EXISTS, FLUSH, KILL, HELP).',
      since: '2.6.0',
      group: 'scripting',
      complexity: 'Depends on subcommand.',
      arguments: [
        oneOf('subcommand', [
          arg('load', 'block', { arguments: [pureToken('load', 'LOAD'), arg('script', 'string')] }),
          arg('exists', 'block', { arguments: [pureToken('exists', 'EXISTS'), arg('sha1', 'string', { multiple: true })] }),
          arg('flush', 'block', {
            arguments: [
              pureToken('flush', 'FLUSH'),
              oneOf('flush-type', [pureToken('async', 'ASYNC', { since: '6.2.0' }), pureToken('sync', 'SYNC', { since: '6.2.0' })], { optional: true }),
            ],
          }),
          arg('kill', 'pure-token', { token: 'KILL' }),
          arg('help', 'pure-token', { token: 'HELP' }),
        ]),
      ],
    },
    check: checkScript,
    exec: execScript,
  }),
];
