/**
 * One ACL user (Redis 7 acl.c): on/off, passwords (SHA-256 hex), and a root
 * selector plus extra selectors, each holding command permissions, key
 * patterns (read/write) and channel patterns. Pure data and rule parsing:
 * no I/O, no clock, so a user is a function of the rules applied to it,
 * which is what replicating `ACL SETUSER` through the log relies on.
 *
 * Command rules are kept as Redis 7.2 keeps them: the rules in the order
 * given (a later rule for the same command or category replaces the earlier
 * one), after a leading +@all or -@all; permissions are the set of leaf
 * command names ('get', 'config|get') that set of rules allows.
 */
import { createHash } from 'node:crypto';
import { globMatchString } from '../commands/glob';

/** What the rules need to know about the command table. */
export interface AclCatalog {
  /** A command by lower-case name: its leaf names (itself, or 'cmd|sub' for each subcommand) and whether it has subcommands. */
  command(name: string): { leaves: readonly string[]; container: boolean } | undefined;
  /** Leaf names in a category (without '@'); undefined for an unknown category. */
  category(name: string): readonly string[] | undefined;
  /** Every leaf name (for +@all). */
  allLeaves(): readonly string[];
}

export const KEY_READ = 1;
export const KEY_WRITE = 2;

export interface KeyPattern {
  pattern: string; // latin1
  flags: number; // KEY_READ | KEY_WRITE
}

/** Why a command is refused (Redis's ACL_DENIED_* order: a later one is the more relevant error). */
export const enum Denial {
  Command = 1,
  Key = 2,
  Channel = 4,
}

export interface DenialInfo {
  reason: Denial;
  /** Index in argv of the key or channel refused (Redis reports the last one checked). */
  argIndex: number;
}

/** A key a command touches and how (as COMMAND GETKEYSANDFLAGS reports: access = read, insert/update/delete = write). */
export interface KeyAccess {
  index: number;
  read: boolean;
  write: boolean;
}

/** A channel a command names; `pattern` for PSUBSCRIBE (matched literally against allowed patterns). */
export interface ChannelAccess {
  index: number;
  pattern: boolean;
}

export class AclError extends Error {}

/** A set of permissions: the root one of a user, or one in parentheses. */
export class Selector {
  /** Set by +@all (allcommands), cleared by -@all: the description then starts with +@all. */
  allCommands = false;
  /** Leaf commands allowed. */
  readonly allowed = new Set<string>();
  /** Legacy first-argument permissions ('+select|0'): command -> allowed first args (lower-case). */
  readonly firstArgs = new Map<string, Set<string>>();
  /** Command rules after the leading +@all/-@all, as given (lower-case, with sign), by rule body (insertion order = rule order). */
  rules = new Map<string, string>();
  allKeys = false;
  keys: KeyPattern[] = [];
  allChannels = false;
  channels: string[] = [];

  clone(): Selector {
    const s = new Selector();
    s.allCommands = this.allCommands;
    for (const c of this.allowed) s.allowed.add(c);
    for (const [k, v] of this.firstArgs) s.firstArgs.set(k, new Set(v));
    s.rules = new Map(this.rules);
    s.allKeys = this.allKeys;
    s.keys = this.keys.map((k) => ({ ...k }));
    s.allChannels = this.allChannels;
    s.channels = [...this.channels];
    return s;
  }

  /** Applies one selector rule (commands, keys, channels); throws AclError with Redis's reason. */
  apply(rule: string, catalog: AclCatalog): void {
    const lower = rule.toLowerCase();
    if (lower === 'allkeys' || rule === '~*') {
      this.allKeys = true;
      this.keys = [];
      return;
    }
    if (lower === 'resetkeys') {
      this.allKeys = false;
      this.keys = [];
      return;
    }
    if (lower === 'allchannels' || rule === '&*') {
      this.allChannels = true;
      this.channels = [];
      return;
    }
    if (lower === 'resetchannels') {
      this.allChannels = false;
      this.channels = [];
      return;
    }
    if (lower === 'allcommands' || lower === '+@all') {
      this.setAll(true, catalog);
      return;
    }
    if (lower === 'nocommands' || lower === '-@all') {
      this.setAll(false, catalog);
      return;
    }
    if (rule.startsWith('~') || rule.startsWith('%')) {
      this.addKeyPattern(rule);
      return;
    }
    if (rule.startsWith('&')) {
      if (this.allChannels) {
        throw new AclError(
          "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
        );
      }
      const p = rule.slice(1);
      if (!this.channels.includes(p)) this.channels.push(p);
      return;
    }
    if (rule.startsWith('+') || rule.startsWith('-')) {
      this.commandRule(lower, catalog);
      return;
    }
    throw new AclError('Syntax error');
  }

  private setAll(on: boolean, catalog: AclCatalog): void {
    this.allCommands = on;
    this.allowed.clear();
    this.firstArgs.clear();
    if (on) for (const leaf of catalog.allLeaves()) this.allowed.add(leaf);
    this.rules.clear();
  }

  private addKeyPattern(rule: string): void {
    let flags = KEY_READ | KEY_WRITE;
    let pattern: string;
    if (rule.startsWith('%')) {
      const tilde = rule.indexOf('~');
      if (tilde < 0) throw new AclError('Syntax error');
      flags = 0;
      for (const ch of rule.slice(1, tilde).toUpperCase()) {
        if (ch === 'R') flags |= KEY_READ;
        else if (ch === 'W') flags |= KEY_WRITE;
        else throw new AclError('Syntax error');
      }
      if (flags === 0) throw new AclError('Syntax error');
      pattern = rule.slice(tilde + 1);
    } else {
      pattern = rule.slice(1);
    }
    if (this.allKeys) {
      throw new AclError(
        "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
      );
    }
    if (pattern === '*' && flags === (KEY_READ | KEY_WRITE)) {
      this.allKeys = true;
      this.keys = [];
      return;
    }
    const existing = this.keys.find((k) => k.pattern === pattern);
    if (existing) existing.flags |= flags;
    else this.keys.push({ pattern, flags });
  }

  private commandRule(rule: string, catalog: AclCatalog): void {
    const allow = rule[0] === '+';
    const body = rule.slice(1);
    if (body.startsWith('@')) {
      const leaves = catalog.category(body.slice(1));
      if (leaves === undefined) throw new AclError('Unknown command or category name in ACL');
      for (const leaf of leaves) this.setLeaf(leaf, allow);
    } else {
      const bar = body.indexOf('|');
      const name = bar < 0 ? body : body.slice(0, bar);
      const cmd = catalog.command(name);
      if (cmd === undefined) throw new AclError('Unknown command or category name in ACL');
      if (bar < 0) {
        for (const leaf of cmd.leaves) this.setLeaf(leaf, allow);
        if (!cmd.container) this.setLeaf(name, allow);
      } else {
        const sub = body.slice(bar + 1);
        if (sub.length === 0 || sub.includes('|')) throw new AclError('Unknown command or category name in ACL');
        if (cmd.container) {
          const leaf = `${name}|${sub}`;
          if (!cmd.leaves.includes(leaf)) throw new AclError('Unknown command or category name in ACL');
          this.setLeaf(leaf, allow);
        } else {
          // Legacy first-argument rule (SELECT|0): only to allow, as in Redis 7.
          if (!allow) throw new AclError('Allowing first-arg of a subcommand is not supported');
          let set = this.firstArgs.get(name);
          if (set === undefined) this.firstArgs.set(name, (set = new Set()));
          set.add(sub);
        }
      }
    }
    // 7.2's command_rules: the same rule body again replaces its earlier occurrence (and moves to the end).
    this.rules.delete(body);
    this.rules.set(body, rule);
  }

  private setLeaf(leaf: string, allow: boolean): void {
    if (allow) this.allowed.add(leaf);
    else {
      this.allowed.delete(leaf);
      this.firstArgs.delete(leaf);
    }
  }

  /** May this selector run `leaf` (with `firstArg` for legacy first-arg rules)? */
  canRun(leaf: string, firstArg: string | undefined): boolean {
    if (this.allowed.has(leaf)) return true;
    const args = this.firstArgs.get(leaf);
    return args !== undefined && firstArg !== undefined && args.has(firstArg.toLowerCase());
  }

  /** May it access `key` as asked? */
  canAccessKey(key: string, read: boolean, write: boolean): boolean {
    if (this.allKeys) return true;
    let need = (read ? KEY_READ : 0) | (write ? KEY_WRITE : 0);
    if (need === 0) need = KEY_READ | KEY_WRITE;
    let have = 0;
    for (const k of this.keys) {
      if ((k.flags & need) === 0) continue;
      if (globMatchString(k.pattern, key)) have |= k.flags & need;
      if (have === need) return true;
    }
    return false;
  }

  canAccessChannel(channel: string, isPattern: boolean): boolean {
    if (this.allChannels) return true;
    for (const p of this.channels) {
      if (isPattern ? p === channel : globMatchString(p, channel)) return true;
    }
    return false;
  }

  /** The command part of a description: "+@all", "-@all +get ...". */
  describeCommands(): string {
    const head = this.allCommands ? '+@all' : '-@all';
    const firstArgs: string[] = [];
    for (const [cmd, args] of this.firstArgs) {
      for (const a of args) {
        const r = `+${cmd}|${a}`;
        if (this.rules.get(r.slice(1)) !== r) firstArgs.push(r);
      }
    }
    return [head, ...this.rules.values(), ...firstArgs].join(' ');
  }

  describeKeys(): string {
    if (this.allKeys) return '~*';
    return this.keys
      .map((k) => (k.flags === (KEY_READ | KEY_WRITE) ? `~${k.pattern}` : k.flags === KEY_READ ? `%R~${k.pattern}` : `%W~${k.pattern}`))
      .join(' ');
  }

  describeChannels(): string {
    if (this.allChannels) return '&*';
    return this.channels.map((c) => `&${c}`).join(' ');
  }

  /** As ACL LIST writes it: keys, then channels (after resetchannels unless all), then commands. */
  describe(): string {
    const parts: string[] = [];
    const keys = this.describeKeys();
    if (keys) parts.push(keys);
    if (this.allChannels) parts.push('&*');
    else parts.push(['resetchannels', ...this.channels.map((c) => `&${c}`)].join(' '));
    parts.push(this.describeCommands());
    return parts.join(' ');
  }

  /**
   * Checks one command against this selector: Redis's ACLSelectorCheckCmd
   * (command, then keys, then channels). Null when allowed.
   */
  check(leaf: string, argv: Buffer[], keys: readonly KeyAccess[], channels: readonly ChannelAccess[]): DenialInfo | null {
    if (!this.canRun(leaf, argv[1]?.toString('latin1'))) return { reason: Denial.Command, argIndex: 0 };
    if (!this.allKeys) {
      for (const k of keys) {
        if (!this.canAccessKey(argv[k.index].toString('latin1'), k.read, k.write)) return { reason: Denial.Key, argIndex: k.index };
      }
    }
    if (!this.allChannels) {
      for (const c of channels) {
        if (!this.canAccessChannel(argv[c.index].toString('latin1'), c.pattern)) return { reason: Denial.Channel, argIndex: c.index };
      }
    }
    return null;
  }
}

/** SHA-256 hex of a password, as Redis stores them. */
export function hashPassword(pw: Buffer | string): string {
  return createHash('sha256').update(pw).digest('hex');
}

const HASH_RE = /^[0-9a-f]{64}$/;

export class AclUser {
  enabled = false;
  nopass = false;
  /** SHA-256 hex, in the order added. */
  passwords: string[] = [];
  root = new Selector();
  selectors: Selector[] = [];

  constructor(readonly name: string) {}

  clone(): AclUser {
    const u = new AclUser(this.name);
    u.enabled = this.enabled;
    u.nopass = this.nopass;
    u.passwords = [...this.passwords];
    u.root = this.root.clone();
    u.selectors = this.selectors.map((s) => s.clone());
    return u;
  }

  /** Applies one ACL SETUSER rule; throws AclError with Redis's reason. */
  apply(rule: string, catalog: AclCatalog): void {
    if (rule === '') return; // Redis's ACLSetUser: an empty modifier is a no-op
    const lower = rule.toLowerCase();
    if (rule.startsWith('(')) {
      if (!rule.endsWith(')')) throw new AclError('Unmatched parenthesis in acl selector starting at');
      const s = new Selector();
      const body = rule.slice(1, -1).trim();
      for (const r of body.split(/\s+/).filter(Boolean)) s.apply(r, catalog);
      this.selectors.push(s);
      return;
    }
    switch (lower) {
      case 'on':
        this.enabled = true;
        return;
      case 'off':
        this.enabled = false;
        return;
      case 'nopass':
        this.nopass = true;
        this.passwords = [];
        return;
      case 'resetpass':
        this.nopass = false;
        this.passwords = [];
        return;
      case 'clearselectors':
        this.selectors = [];
        return;
      case 'reset':
        this.enabled = false;
        this.nopass = false;
        this.passwords = [];
        this.root = new Selector();
        this.selectors = [];
        return;
      case 'skip-sanitize-payload':
      case 'sanitize-payload':
        return;
    }
    if (rule.startsWith('>')) {
      this.addHash(hashPassword(Buffer.from(rule.slice(1), 'latin1')));
      return;
    }
    if (rule.startsWith('#')) {
      const h = rule.slice(1);
      if (!HASH_RE.test(h)) throw new AclError('The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters');
      this.addHash(h);
      return;
    }
    if (rule.startsWith('<') || rule.startsWith('!')) {
      let h = rule.slice(1);
      if (rule[0] === '<') h = hashPassword(Buffer.from(h, 'latin1'));
      else if (!HASH_RE.test(h)) throw new AclError('The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters');
      const i = this.passwords.indexOf(h);
      if (i < 0) throw new AclError('The password you are trying to remove from the user does not exist');
      this.passwords.splice(i, 1);
      return;
    }
    this.root.apply(rule, catalog);
  }

  private addHash(h: string): void {
    this.nopass = false;
    if (!this.passwords.includes(h)) this.passwords.push(h);
  }

  /** Does `password` open this user (on, and nopass or a matching hash)? */
  authenticates(password: Buffer): boolean {
    if (!this.enabled) return false;
    if (this.nopass) return true;
    return this.passwords.includes(hashPassword(password));
  }

  /** The ACL LIST line (also the aclfile line and the durable record). */
  describe(): string {
    const parts = [`user ${this.name}`, this.enabled ? 'on' : 'off'];
    if (this.nopass) parts.push('nopass');
    for (const h of this.passwords) parts.push(`#${h}`);
    parts.push(this.root.describe());
    for (const s of this.selectors) parts.push(`(${s.describe()})`);
    return parts.join(' ');
  }

  /** Allowed (null) or the most relevant denial over the root and every selector (Redis picks the highest reason). */
  check(leaf: string, argv: Buffer[], keys: readonly KeyAccess[], channels: readonly ChannelAccess[]): DenialInfo | null {
    let worst: DenialInfo | null = null;
    for (const s of [this.root, ...this.selectors]) {
      const d = s.check(leaf, argv, keys, channels);
      if (d === null) return null;
      if (worst === null || d.reason > worst.reason || (d.reason === worst.reason && d.argIndex > worst.argIndex)) worst = d;
    }
    return worst;
  }
}

/**
 * Splits an aclfile / record line ("user NAME rules...") into name and
 * rules, keeping a parenthesised selector as one rule.
 */
export function parseUserLine(line: string): { name: string; rules: string[] } | null {
  const words = line.trim().split(/\s+/).filter(Boolean);
  if (words.length < 2 || words[0] !== 'user') return null;
  const rules: string[] = [];
  let open: string[] | null = null;
  for (const w of words.slice(2)) {
    if (open !== null) {
      open.push(w);
      if (w.endsWith(')')) {
        rules.push(open.join(' '));
        open = null;
      }
    } else if (w.startsWith('(') && !w.endsWith(')')) open = [w];
    else rules.push(w);
  }
  if (open !== null) return null;
  return { name: words[1], rules };
}

/** Redis's username rule: no spaces or NUL bytes. */
export function validUserName(name: string): boolean {
  return name.length > 0 && !/[\s\0]/.test(name);
}
