/**
 * The ACL check of the command path (Redis's ACLCheckAllPerm, run in
 * processCommand after authentication): the connection's user must be
 * allowed the command, its keys and its channels. It runs on the node the
 * client is connected to, before a write is forwarded, so the leader never
 * checks a forwarded write against a user it does not know of. Denials go
 * to this node's ACL LOG.
 */
import { ErrorReply } from '../../protocol/reply';
import type { LeafCommand } from '../commands/table';
import type { ClientConnection } from '../connection';
import { channelAccesses, keyAccesses } from './keys';
import { AclLog, type AclLogContext } from './log';
import type { AclTable } from './table';
import { Denial, type AclUser } from './user';

export const ERR_NOPERM_KEY = 'NOPERM this user has no permissions to access one of the keys used as arguments';
export const ERR_NOPERM_CHANNEL = 'NOPERM this user has no permissions to access one of the channels used as arguments';

export function errNopermCommand(leaf: string): string {
  return `NOPERM this user has no permissions to run the '${leaf}' command`;
}

/** A user that may run anything on any key and channel: the check is skipped (the default user, usually). */
function unrestricted(u: AclUser): boolean {
  const r = u.root;
  return r.allCommands && [...r.rules.values()].every((x) => x.startsWith('+')) && r.firstArgs.size === 0 && r.allKeys && r.allChannels;
}

export class AclGuard {
  readonly log: AclLog;
  private readonly open = new WeakMap<AclUser, boolean>();

  constructor(
    private readonly table: AclTable,
    maxLen: () => number,
    private readonly clientInfo: (conn: ClientConnection) => string,
  ) {
    this.log = new AclLog(maxLen);
  }

  /** Null when allowed; else the NOPERM error (and an ACL LOG entry). */
  check(conn: ClientConnection, cmd: LeafCommand, argv: Buffer[], context: AclLogContext = conn.multi !== null ? 'multi' : 'toplevel'): ErrorReply | null {
    const user = this.table.get(conn.user);
    if (user === undefined) return new ErrorReply(errNopermCommand(cmd.name)); // deleted under us: its clients are being closed
    let open = this.open.get(user);
    if (open === undefined) this.open.set(user, (open = unrestricted(user)));
    if (open) return null;
    const d = user.check(cmd.name, argv, keyAccesses(cmd, argv), channelAccesses(cmd, argv));
    if (d === null) return null;
    const object = d.reason === Denial.Command ? cmd.name : argv[d.argIndex].toString('latin1');
    const reason = d.reason === Denial.Command ? 'command' : d.reason === Denial.Key ? 'key' : 'channel';
    this.log.add({ reason, context, object, username: conn.user, clientInfo: this.clientInfo(conn) }, Date.now());
    return new ErrorReply(d.reason === Denial.Command ? errNopermCommand(cmd.name) : d.reason === Denial.Key ? ERR_NOPERM_KEY : ERR_NOPERM_CHANNEL);
  }

  /** The connection's user name when its permissions are restricted (scripts then run as it), else undefined. */
  restrictedUser(conn: ClientConnection): string | undefined {
    return this.restrictedUserObject(conn) === undefined ? undefined : conn.user;
  }

  /** The connection's user when restricted; undefined when it may do anything. */
  restrictedUserObject(conn: ClientConnection): AclUser | undefined {
    const user = this.table.get(conn.user);
    if (user === undefined) return undefined;
    let open = this.open.get(user);
    if (open === undefined) this.open.set(user, (open = unrestricted(user)));
    return open ? undefined : user;
  }

  /** A failed AUTH / HELLO AUTH (reason auth, object AUTH, as Redis logs it). */
  authFailed(conn: ClientConnection, user: string): void {
    this.log.add({ reason: 'auth', context: 'toplevel', object: 'AUTH', username: user, clientInfo: this.clientInfo(conn) }, Date.now());
  }
}
