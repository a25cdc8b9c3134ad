/**
 * redis.call / redis.pcall: runs a data command from inside a script with
 * the script's own ExecContext (same cluster time, same log index), so the
 * whole script is one atomic, deterministic step of the state machine.
 */
import { ErrorReply, PONG, type Reply } from '../../protocol/reply';
import { arityOk } from '../commands/define';
import { dataCommands } from '../commands/index';
import { subcommandOf } from '../commands/data-container';
import type { DataCommand, ExecContext } from '../commands/types';
import { channelAccesses, keyAccesses } from '../acl/keys';
import { Denial, type AclUser } from '../acl/user';
import { ERR_NO_LFU, OBJECT_HELP, objectEncoding, objectRefcount } from '../commands/object-info';
import { keyString } from '../keyspace';

export const ERR_UNKNOWN_SCRIPT_COMMAND = new ErrorReply('ERR Unknown Redis command called from script');
export const ERR_NOT_ALLOWED = new ErrorReply('ERR This Redis command is not allowed from script');
export const ERR_SCRIPT_ARITY = new ErrorReply('ERR Wrong number of args calling Redis command from script');
export const ERR_WRITE_IN_READONLY = new ErrorReply('ERR Write commands are not allowed from read-only scripts.');

/**
 * Server commands Redis knows but scripts here cannot reach (they touch
 * connection or cluster state, not the keyspace): they answer "not
 * allowed" rather than "unknown".
 */
const SERVER_ONLY = new Set([
  'auth', 'hello', 'select', 'quit', 'reset', 'client', 'config', 'info', 'command', 'debug', 'multi', 'exec',
  'discard', 'watch', 'unwatch', 'subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe', 'monitor',
  'shutdown', 'save', 'bgsave', 'bgrewriteaof', 'lastsave', 'wait', 'slowlog', 'latency', 'memory', 'cluster',
  'readonly', 'readwrite', 'replicaof', 'slaveof', 'failover', 'acl', 'function', 'fcall', 'fcall_ro', 'role',
]);

let byName: Map<string, DataCommand> | undefined;

/** Looked up lazily: the command index imports this module's users. */
function lookup(name: string): DataCommand | undefined {
  byName ??= new Map(dataCommands.map((c) => [c.name, c]));
  return byName.get(name);
}

/** Sees every command a script runs (MONITOR's `lua` lines); set by the server. */
export const scriptCalls: { observer: ((db: number, argv: Buffer[]) => void) | undefined } = { observer: undefined };

/** Runs one command for a script; errors come back as ErrorReply (the caller raises or returns them). */
export function callFromScript(ctx: ExecContext, argv: Buffer[], readOnly: boolean): Reply {
  const name = argv[0].toString('latin1').toLowerCase();
  if (ctx.aclUser !== undefined && name === 'publish' && argv.length === 3) {
    // PUBLISH is answered below, outside the data commands: check the user's channel and command permissions here.
    const d = ctx.aclUser === null ? null : ctx.aclUser.check('publish', argv, [], [{ index: 1, pattern: false }]);
    if (ctx.aclUser === null || d !== null) return d?.reason === Denial.Channel ? ERR_ACL_CHANNEL : ERR_ACL_COMMAND;
  }
  const special = serverCommandInScript(ctx, name, argv);
  if (special !== undefined) return special;
  const whole = lookup(name);
  if (whole === undefined) return SERVER_ONLY.has(name) || name.includes('|') ? ERR_NOT_ALLOWED : ERR_UNKNOWN_SCRIPT_COMMAND;
  // XINFO / XGROUP: flags, arity and ACL are the subcommand's (Redis's lookupCommand); it runs as the whole command.
  const cmd = whole.subcommands === undefined || argv.length < 2 ? whole : subcommandOf(whole, argv);
  if (cmd === undefined) return ERR_UNKNOWN_SCRIPT_COMMAND;
  if (cmd.flags.includes('noscript')) return ERR_NOT_ALLOWED;
  if (!arityOk(cmd.arity, argv.length)) return ERR_SCRIPT_ARITY;
  if (ctx.aclUser !== undefined) {
    const denied = scriptAclDenial(ctx.aclUser, cmd, argv);
    if (denied !== null) return denied;
  }
  const write = cmd.flags.includes('write');
  if (write && readOnly) return ERR_WRITE_IN_READONLY;
  const bad = cmd.check?.(argv) ?? null;
  if (bad !== null) return bad;
  scriptCalls.observer?.(ctx.dbIndex, argv);
  // The script reads the reply as Lua values: no pre-encoded RESP (a read-only script runs in a client's read).
  if (ctx.directReply === true) ctx = { ...ctx, directReply: false };
  if (!write || cmd.rewrite === undefined) return cmd.exec(ctx, argv);
  // A write runs as its logged form would (EX -> PXAT at the entry's time),
  // under the logged name (PEXPIRE is logged as PEXPIREAT, SETEX as SET).
  const logged = cmd.rewrite(argv, ctx.now);
  const target = logged === argv ? cmd : lookup(logged[0].toString('latin1').toLowerCase());
  if (target === undefined) return ERR_UNKNOWN_SCRIPT_COMMAND;
  return target.exec(ctx, logged);
}

const ERR_ACL_COMMAND = new ErrorReply("ERR The user executing the script can't run this command or subcommand");
const ERR_ACL_KEY = new ErrorReply("ERR The user executing the script can't access at least one of the keys mentioned in the command arguments");
const ERR_ACL_CHANNEL = new ErrorReply("ERR The user executing the script can't publish to the channel mentioned in the command");

/** Redis checks every redis.call() against the caller's ACL permissions (scriptCall in script.c). */
function scriptAclDenial(user: AclUser | null, cmd: DataCommand, argv: Buffer[]): ErrorReply | null {
  if (user === null) return ERR_ACL_COMMAND;
  const d = user.check(cmd.name, argv, keyAccesses(cmd, argv), channelAccesses(cmd, argv));
  if (d === null) return null;
  return d.reason === Denial.Command ? ERR_ACL_COMMAND : d.reason === Denial.Key ? ERR_ACL_KEY : ERR_ACL_CHANNEL;
}

/**
 * OBJECT ENCODING / REFCOUNT / FREQ / HELP from a script (rate limiters and
 * libraries check encodings). IDLETIME is refused: it counts this node's own
 * reads, so a script using it could compute differently on each node.
 */
function objectInScript(ctx: ExecContext, argv: Buffer[]): Reply {
  if (argv.length < 2) return ERR_SCRIPT_ARITY;
  const sub = argv[1].toString('latin1').toLowerCase();
  if (sub === 'help') return argv.length === 2 ? OBJECT_HELP : ERR_SCRIPT_ARITY;
  if (sub !== 'encoding' && sub !== 'refcount' && sub !== 'freq') return sub === 'idletime' ? ERR_NOT_ALLOWED : ERR_UNKNOWN_SCRIPT_COMMAND;
  if (argv.length !== 3) return ERR_SCRIPT_ARITY;
  if (ctx.aclUser !== undefined) {
    const d = ctx.aclUser === null ? null : ctx.aclUser.check(`object|${sub}`, argv, [{ index: 2, read: false, write: false }], []);
    if (ctx.aclUser === null || d !== null) return d?.reason === Denial.Key ? ERR_ACL_KEY : ERR_ACL_COMMAND;
  }
  const v = ctx.db.lookupRead(keyString(argv[2]), ctx.now);
  if (v === undefined) return null;
  return sub === 'encoding' ? objectEncoding(v) : sub === 'refcount' ? objectRefcount(v) : ERR_NO_LFU;
}

/**
 * The few server commands scripts commonly use, answered from the script's
 * context: TIME is the entry's cluster time (never the local clock), so
 * every node computes the same result.
 */
function serverCommandInScript(ctx: ExecContext, name: string, argv: Buffer[]): Reply | undefined {
  switch (name) {
    case 'time': {
      if (argv.length !== 1) return ERR_SCRIPT_ARITY;
      const ms = Math.floor(ctx.now);
      return [String(Math.floor(ms / 1000)), String((ms % 1000) * 1000)];
    }
    case 'ping':
      if (argv.length > 2) return ERR_SCRIPT_ARITY;
      return argv.length === 2 ? argv[1] : PONG;
    case 'echo':
      if (argv.length !== 2) return ERR_SCRIPT_ARITY;
      return argv[1];
    case 'object':
      return objectInScript(ctx, argv);
    case 'publish':
      // Job queues announce events this way. The receiver count would differ
      // from node to node (each delivers to its own subscribers), and a script
      // must compute the same everywhere: it answers 0.
      if (argv.length !== 3) return ERR_SCRIPT_ARITY;
      ctx.publish?.(Buffer.from(argv[1]), Buffer.from(argv[2]));
      return 0;
    default:
      return undefined;
  }
}
