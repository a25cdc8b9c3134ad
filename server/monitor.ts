import { SimpleString } from '../protocol/reply';
import type { ClientConnection } from './connection';
import type { LeafCommand } from './commands/table';
import { redactArgv } from './slowlog';

/**
 * MONITOR (Redis 7's replicationFeedMonitors): every command a client of
 * this node runs, as one status line per command:
 * `+<sec>.<usec> [<db> <addr>] "arg" "arg"...`, arguments quoted as Redis's
 * sdscatrepr, AUTH and HELLO AUTH secrets redacted, admin commands not shown.
 * A write forwarded to the leader shows here, on the node its client asked;
 * a script's redis.call() lines show as `[<db> lua]` on the nodes that run it.
 */
/** Every node's MONITOR clients, for CLIENT LIST's `O` flag (which has the connection, not the server). */
const monitoring = new WeakSet<ClientConnection>();

export function isMonitor(conn: ClientConnection): boolean {
  return monitoring.has(conn);
}

const SCRIPT_COMMANDS = new Set(['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']);

export class MonitorFeed {
  private readonly monitors = new Set<ClientConnection>();

  get active(): boolean {
    return this.monitors.size > 0;
  }

  has(conn: ClientConnection): boolean {
    return this.monitors.has(conn);
  }

  add(conn: ClientConnection): void {
    this.monitors.add(conn);
    monitoring.add(conn);
  }

  drop(conn: ClientConnection): void {
    this.monitors.delete(conn);
    monitoring.delete(conn);
  }

  /** Redis shows a command after it ran, but not admin commands nor those flagged skip_monitor (EVAL is shown before it runs). */
  static shown(cmd: LeafCommand): boolean {
    return !cmd.flags.includes('admin') && !cmd.flags.includes('skip_monitor');
  }

  /** Before a command runs: EVAL's own line (its script's lines follow it), EXEC's queued commands. */
  before(conn: ClientConnection, cmd: LeafCommand, argv: Buffer[]): void {
    if (this.monitors.size === 0) return;
    if (SCRIPT_COMMANDS.has(cmd.name)) this.feed(conn, conn.db, argv);
    else if (cmd.name === 'exec' && conn.multi !== null && !conn.multiFailed) for (const queued of conn.multi) this.feed(conn, conn.db, queued);
  }

  /** After a command ran (SELECT shows the new db, as Redis). */
  after(conn: ClientConnection, cmd: LeafCommand, argv: Buffer[]): void {
    if (this.monitors.size > 0 && MonitorFeed.shown(cmd)) this.feed(conn, conn.db, argv);
  }

  feed(source: ClientConnection | 'lua', db: number, argv: Buffer[]): void {
    if (this.monitors.size === 0) return;
    // Microseconds that never go backwards between lines (Date.now() plus hrtime's low digits can).
    const us = Math.round((performance.timeOrigin + performance.now()) * 1000);
    const who = source === 'lua' ? 'lua' : source.addr;
    const line = `${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')} [${db} ${who}] ${redactArgv(argv).map(repr).join(' ')}`;
    const reply = new SimpleString(line);
    for (const m of this.monitors) m.push(reply);
  }
}

/** Redis's sdscatrepr: quoted, \\ \" \n \r \t \a \b escaped, other bytes outside 0x20..0x7e as \xHH. */
export function repr(arg: Buffer): string {
  let s = '"';
  for (const b of arg) {
    switch (b) {
      case 0x5c:
        s += '\\\\';
        break;
      case 0x22:
        s += '\\"';
        break;
      case 0x0a:
        s += '\\n';
        break;
      case 0x0d:
        s += '\\r';
        break;
      case 0x09:
        s += '\\t';
        break;
      case 0x07:
        s += '\\a';
        break;
      case 0x08:
        s += '\\b';
        break;
      default:
        s += b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
    }
  }
  return s + '"';
}
