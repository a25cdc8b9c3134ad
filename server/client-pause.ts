import type { ClientConnection } from './connection';
import type { LeafCommand } from './commands/table';

/**
 * CLIENT PAUSE (Redis 7): while paused, this node holds its clients'
 * commands: every command (ALL) or those that may write (WRITE: write and
 * may_replicate commands, and EXEC of a transaction holding one, as Redis's
 * is_may_replicate_command). A held client's later commands wait behind it,
 * so its replies stay in order; at UNPAUSE or the deadline they run in the
 * order the clients were held. The pause is this node's: writes other nodes'
 * clients send through the leader are not held.
 */
export type PauseMode = 'write' | 'all';

export class ClientPause {
  private mode: PauseMode | undefined;
  private until = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Held clients in the order they were held, with their commands in arrival order. */
  private readonly held = new Map<ClientConnection, Buffer[][]>();

  constructor(
    /** Runs a held command as if it had just arrived. */
    private readonly run: (conn: ClientConnection, argv: Buffer[]) => void,
    private readonly isWrite: (argv: Buffer[]) => boolean,
  ) {}

  get paused(): PauseMode | undefined {
    return this.mode;
  }

  /** CLIENT PAUSE: the longer deadline and the stronger mode win when pauses overlap (Redis's pauseClients). */
  pause(ms: number, mode: PauseMode, now: number): void {
    const end = now + ms;
    this.mode = this.mode === 'all' || mode === 'all' ? 'all' : 'write';
    if (end > this.until || this.timer === undefined) {
      this.until = Math.max(end, this.until);
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => this.unpause(), Math.max(0, this.until - now));
      this.timer.unref();
    }
  }

  unpause(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.mode = undefined;
    this.until = 0;
    const clients = [...this.held];
    this.held.clear();
    for (const [conn, commands] of clients) {
      if (conn.closed || conn.closing) continue;
      // A command run here may pause again: whatever follows is then held again, behind it.
      for (const argv of commands) this.run(conn, argv);
    }
  }

  /** A held client's next command waits behind the held ones (before it is even looked up): true if kept. */
  holdBehind(conn: ClientConnection, argv: Buffer[]): boolean {
    const queue = this.held.get(conn);
    if (queue === undefined) return false;
    queue.push(argv);
    return true;
  }

  isHeld(conn: ClientConnection): boolean {
    return this.held.has(conn);
  }

  /** Whether this command (checked, about to run or be queued in MULTI) waits for the pause to end; if so it is kept. */
  hold(conn: ClientConnection, cmd: LeafCommand, argv: Buffer[]): boolean {
    if (this.mode === undefined) return false;
    if (this.mode === 'write' && !this.writes(conn, cmd)) return false;
    this.held.set(conn, [argv]);
    return true;
  }

  /** A client left: its held commands go with it. */
  drop(conn: ClientConnection): void {
    this.held.delete(conn);
  }

  /** Clients held now (INFO's paused_clients-like figure, tests). */
  get heldClients(): number {
    return this.held.size;
  }

  private writes(conn: ClientConnection, cmd: LeafCommand): boolean {
    if (cmd.flags.includes('write') || cmd.flags.includes('may_replicate')) return true;
    return cmd.name === 'exec' && conn.multi !== null && conn.multi.some((argv) => this.isWrite(argv));
  }
}
