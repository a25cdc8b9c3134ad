/**
 * ACL changes as log entries: ACL SETUSER / DELUSER / LOAD become one
 * internal command, [ACL_OP, verb, ...args], proposed like any write (a
 * follower forwards it to the leader) and applied by every node's state
 * machine, so every node holds the same users. The name starts with a NUL
 * byte: it is not in the command table, so clients and scripts cannot send it.
 */
import { ErrorReply, OK, type Reply } from '../../protocol/reply';
import type { AclTable } from './table';

export const ACL_OP = Buffer.from('\u0000raftcache.acl', 'latin1');

/**
 * [RUN_AS, user, ...argv]: a script command (EVAL, EVALSHA, FCALL) of a
 * user with restricted permissions. Scripts run at apply time on every
 * node, where the caller is not otherwise known; the log entry names the
 * user, and every node checks the script's redis.call()s against that
 * user's replicated permissions, as Redis checks them against the caller.
 */
export const RUN_AS = Buffer.from('\u0000raftcache.runas', 'latin1');

/** Commands that run a script whose calls are checked against the caller. */
export const SCRIPT_COMMANDS = new Set(['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']);

export function runAs(user: string, argv: Buffer[]): Buffer[] {
  return [RUN_AS, Buffer.from(user, 'latin1'), ...argv];
}

export function aclSetUserOp(name: Buffer, rules: Buffer[]): Buffer[] {
  return [ACL_OP, Buffer.from('setuser'), name, ...rules];
}

export function aclDelUserOp(names: Buffer[]): Buffer[] {
  return [ACL_OP, Buffer.from('deluser'), ...names];
}

/** ACL LOAD: the file's lines, read by the node that received the command. */
export function aclLoadOp(lines: string[]): Buffer[] {
  return [ACL_OP, Buffer.from('load'), ...lines.map((l) => Buffer.from(l, 'latin1'))];
}

/** Applies an ACL op (at apply time, on every node). */
export function applyAclOp(table: AclTable, argv: Buffer[]): Reply {
  const verb = argv[1]?.toString('latin1');
  const strs = argv.slice(2).map((b) => b.toString('latin1'));
  let r;
  if (verb === 'setuser' && strs.length >= 1) r = table.setUser(strs[0], strs.slice(1));
  else if (verb === 'deluser') r = table.delUsers(strs);
  else if (verb === 'load') r = table.load(strs);
  else return new ErrorReply('ERR malformed ACL operation');
  if (!r.ok) return new ErrorReply(r.error);
  return verb === 'deluser' ? r.value : OK;
}
