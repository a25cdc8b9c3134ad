/**
 * Who a connection is: the default user's effective state and password
 * checks. The default user's passwords are `requirepass` (this node's
 * config, as before ACLs) until an ACL operation sets them; every other
 * user's are the replicated ones.
 */
import type { AclTable } from './table';

export interface AuthConfig {
  readonly requirepass: string;
}

/** Does a new connection start authenticated as default (default is on and needs no password)? */
export function defaultIsOpen(table: AclTable, config: AuthConfig): boolean {
  const d = table.get('default');
  if (d === undefined || !d.enabled) return false;
  if (table.defaultExplicit) return d.nopass;
  return config.requirepass === '';
}

/** Is default a nopass user (AUTH <password> alone is then a configuration mistake, as Redis says)? */
export function defaultIsNopass(table: AclTable, config: AuthConfig): boolean {
  const d = table.get('default');
  if (d === undefined) return false;
  return table.defaultExplicit ? d.nopass : config.requirepass === '';
}

/** AUTH user password: true when it opens that user. */
export function checkCredentials(table: AclTable, config: AuthConfig, user: string, password: Buffer): boolean {
  const u = table.get(user);
  if (u === undefined || !u.enabled) return false;
  if (user === 'default' && !table.defaultExplicit) {
    return config.requirepass === '' || password.equals(Buffer.from(config.requirepass, 'latin1'));
  }
  return u.authenticates(password);
}
