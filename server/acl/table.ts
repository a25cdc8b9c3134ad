/**
 * The ACL users as replicated state (like the lock table and the script
 * cache): changed only by logged operations applied on every node, kept in
 * the durable keyspace copy as one record per user ([ACL_DB][name] -> the
 * user's ACL LIST line), so users survive restarts and snapshot installs.
 *
 * The default user starts as "on nopass ~* &* +@all". Its passwords follow
 * the node's `requirepass` until an ACL operation sets them explicitly (then
 * the replicated ones win): a cluster started with --requirepass works as
 * before, and `ACL SETUSER default >pw` changes it on every node.
 */
import { ACL_DB, keyRecordKey } from '../keyspace/records';
import { AclError, AclUser, parseUserLine, validUserName, type AclCatalog } from './user';

export { ACL_DB };

export type AclOpResult = { ok: true; value: number } | { ok: false; error: string };

export class AclTable {
  private readonly users = new Map<string, AclUser>();
  private readonly changed = new Set<string>();
  /** Names of users whose clients must be disconnected (deleted or changed by ACL LOAD), for this node's server. */
  onUsersRemoved: ((names: string[]) => void) | undefined;
  /** True once an ACL operation set the default user's passwords (they then override requirepass). */
  private defaultPasswordsExplicit = false;

  constructor(
    private readonly tracking: () => boolean,
    private catalog: AclCatalog | undefined = undefined,
  ) {
    this.users.set('default', defaultUser(catalog));
  }

  /** The command table is known only after the keyspace is built. */
  setCatalog(catalog: AclCatalog): void {
    this.catalog = catalog;
    // Rebuild every user against the real table (their rules were parsed without it).
    for (const [name, u] of this.users) {
      const rebuilt = this.fromLine(u.describe());
      if (rebuilt) this.users.set(name, rebuilt);
    }
  }

  get catalogView(): AclCatalog | undefined {
    return this.catalog;
  }

  get hasCatalog(): boolean {
    return this.catalog !== undefined;
  }

  get(name: string): AclUser | undefined {
    return this.users.get(name);
  }

  names(): string[] {
    return [...this.users.keys()].sort();
  }

  list(): AclUser[] {
    return this.names().map((n) => this.users.get(n)!);
  }

  /** Were the default user's passwords set by ACL (so requirepass no longer applies)? */
  get defaultExplicit(): boolean {
    return this.defaultPasswordsExplicit;
  }

  private note(name: string): void {
    if (this.tracking()) {
      this.changed.add(name);
      if (name === 'default') this.changed.add(DEFAULT_FLAG);
    }
  }

  /** ACL SETUSER at apply time: all rules or none. */
  setUser(name: string, rules: string[]): AclOpResult {
    if (!validUserName(name)) return { ok: false, error: "ERR Usernames can't contain spaces or null characters" };
    const catalog = this.requireCatalog();
    const cur = this.users.get(name);
    const u = cur ? cur.clone() : new AclUser(name);
    for (const rule of rules) {
      try {
        u.apply(rule, catalog);
      } catch (e) {
        if (!(e instanceof AclError)) throw e;
        const shown = rule.startsWith('(') ? rule : rule;
        return { ok: false, error: `ERR Error in ACL SETUSER modifier '${shown}': ${e.message}` };
      }
    }
    this.users.set(name, u);
    if (name === 'default' && rules.some(touchesPasswords)) this.defaultPasswordsExplicit = true;
    this.note(name);
    return { ok: true, value: 1 };
  }

  /** ACL DELUSER at apply time: the number deleted. */
  delUsers(names: string[]): AclOpResult {
    if (names.includes('default')) return { ok: false, error: "ERR The 'default' user cannot be removed" };
    const gone: string[] = [];
    for (const n of names) {
      if (this.users.delete(n)) {
        gone.push(n);
        this.note(n);
      }
    }
    if (gone.length > 0) this.onUsersRemoved?.(gone);
    return { ok: true, value: gone.length };
  }

  /**
   * ACL LOAD at apply time: replaces every user with the file's (all or
   * nothing). Redis keeps the default user's definition when the file has
   * none; it reconnects no one whose user is unchanged.
   */
  load(lines: string[]): AclOpResult {
    const catalog = this.requireCatalog();
    const next = new Map<string, AclUser>();
    let lineNo = 0;
    for (const raw of lines) {
      lineNo++;
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const parsed = parseUserLine(line);
      if (parsed === null) return { ok: false, error: `ERR /${lineNo}: line should start with user keyword` };
      if (!validUserName(parsed.name)) return { ok: false, error: `ERR /${lineNo}: Usernames can't contain spaces or null characters` };
      if (next.has(parsed.name)) return { ok: false, error: `ERR /${lineNo}: Duplicate user '${parsed.name}' found` };
      const u = new AclUser(parsed.name);
      for (const rule of parsed.rules) {
        try {
          u.apply(rule, catalog);
        } catch (e) {
          if (!(e instanceof AclError)) throw e;
          return { ok: false, error: `ERR /${lineNo}: ${e.message}. ` };
        }
      }
      next.set(parsed.name, u);
    }
    if (!next.has('default')) next.set('default', this.users.get('default') ?? defaultUser(catalog));
    const removed: string[] = [];
    for (const [name, u] of this.users) {
      const n = next.get(name);
      if (n === undefined || n.describe() !== u.describe()) removed.push(name);
    }
    for (const name of this.users.keys()) this.note(name);
    this.users.clear();
    for (const [name, u] of next) {
      this.users.set(name, u);
      this.note(name);
    }
    this.defaultPasswordsExplicit = true;
    this.note('default');
    if (removed.length > 0) this.onUsersRemoved?.(removed);
    return { ok: true, value: 1 };
  }

  private requireCatalog(): AclCatalog {
    if (this.catalog === undefined) throw new Error('ACL catalog not set');
    return this.catalog;
  }

  private fromLine(line: string): AclUser | undefined {
    const parsed = parseUserLine(line);
    if (parsed === null || this.catalog === undefined) return undefined;
    const u = new AclUser(parsed.name);
    try {
      for (const r of parsed.rules) u.apply(r, this.catalog);
    } catch {
      return undefined;
    }
    return u;
  }

  // ------------------------------------------------------ durable copy

  drainChanged(): string[] {
    const out = [...this.changed];
    this.changed.clear();
    return out;
  }

  /** Back to the initial state (before a restore). */
  clear(): void {
    this.users.clear();
    this.users.set('default', defaultUser(this.catalog));
    this.defaultPasswordsExplicit = false;
    this.changed.clear();
  }

  /** Record: key [ACL_DB][name], value the ACL LIST line; null = deleted. The flag record says whether default's passwords are explicit. */
  encodeRecord(name: string): { key: Buffer; value: Buffer } | null {
    if (name === DEFAULT_FLAG) return { key: keyRecordKey(ACL_DB, name), value: Buffer.from([this.defaultPasswordsExplicit ? 1 : 0]) };
    const u = this.users.get(name);
    if (u === undefined) return null;
    return { key: keyRecordKey(ACL_DB, name), value: Buffer.from(u.describe(), 'latin1') };
  }

  applyRecord(key: Buffer, value: Buffer): void {
    const name = key.toString('latin1', 1);
    if (name === DEFAULT_FLAG) {
      this.defaultPasswordsExplicit = value[0] === 1;
      return;
    }
    const line = value.toString('latin1');
    const u = this.catalog === undefined ? userFromLineUnchecked(line) : this.fromLine(line);
    if (u === undefined) throw new RangeError(`bad ACL record for ${name}`);
    this.users.set(u.name, u);
  }
}

/**
 * A user read before the command table is known: its rules are kept by
 * parsing against an empty catalog where they can be (setCatalog rebuilds
 * every user from its line once the table exists, in main.ts before any
 * client or restore needs it).
 */
function userFromLineUnchecked(line: string): AclUser | undefined {
  const parsed = parseUserLine(line);
  if (parsed === null) return undefined;
  const u = new AclUser(parsed.name);
  for (const r of parsed.rules) {
    try {
      u.apply(r, emptyCatalog);
    } catch {
      // Command rules need the table; the line is parsed again by setCatalog.
      u.root.rules.set(r.slice(1).toLowerCase(), r.toLowerCase());
    }
  }
  return u;
}

/** Sub-key of the record saying whether default's passwords are explicit (not a valid username: it has a NUL). */
const DEFAULT_FLAG = '\0default-explicit';

const emptyCatalog: AclCatalog = { command: () => undefined, category: () => undefined, allLeaves: () => [] };

function touchesPasswords(rule: string): boolean {
  const l = rule.toLowerCase();
  return l === 'nopass' || l === 'resetpass' || l === 'reset' || /^[><#!]/.test(rule);
}

function defaultUser(catalog: AclCatalog | undefined): AclUser {
  const u = new AclUser('default');
  const c = catalog ?? emptyCatalog;
  for (const r of ['on', 'nopass', '~*', '&*', '+@all']) u.apply(r, c);
  return u;
}
