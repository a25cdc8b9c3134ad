/**
 * SLOWLOG: commands whose execution took longer than slowlog-log-slower-than
 * microseconds (Redis's slowlog.c semantics: execution only, not waiting for
 * I/O or for the log to commit). Writes execute when their entry is applied,
 * on every node, so each node logs the slow applies it ran (Redis replicas log
 * the commands of the replication stream the same way); the client is then
 * the one that sent it when known, else empty.
 */

/** Redis's limits on what one entry keeps. */
const MAX_ARGS = 32;
const MAX_ARG_BYTES = 128;

export interface SlowLogEntry {
  id: number;
  /** Unix time in seconds when the command ran. */
  time: number;
  micros: number;
  argv: Buffer[];
  addr: string;
  name: string;
}

export class SlowLog {
  private entries: SlowLogEntry[] = [];
  private nextId = 0;

  /** Reads the live settings (CONFIG SET applies at once); checked on every command, so nothing is allocated. */
  constructor(private readonly config: { readonly 'slowlog-log-slower-than': number; readonly 'slowlog-max-len': number }) {}

  /** Records the command if it was slow enough (negative threshold: off). */
  maybeAdd(argv: Buffer[], micros: number, addr = '', name = ''): void {
    const slowerThan = this.config['slowlog-log-slower-than'];
    if (slowerThan < 0 || micros < slowerThan) return;
    const maxLen = this.config['slowlog-max-len'];
    this.entries.unshift({ id: this.nextId++, time: Math.floor(Date.now() / 1000), micros: Math.round(micros), argv: trimArgv(argv), addr, name });
    if (this.entries.length > maxLen) this.entries.length = maxLen;
  }

  /** Newest first; count < 0 means all. */
  get(count: number): SlowLogEntry[] {
    return count < 0 ? this.entries.slice() : this.entries.slice(0, count);
  }

  get length(): number {
    return this.entries.length;
  }

  reset(): void {
    this.entries = [];
  }
}

/** At most 32 arguments of at most 128 bytes each, saying what was cut, as Redis does. */
function trimArgv(argv: Buffer[]): Buffer[] {
  const keep = argv.length > MAX_ARGS ? MAX_ARGS - 1 : argv.length;
  const out: Buffer[] = [];
  for (let i = 0; i < keep; i++) {
    const a = argv[i];
    out.push(
      a.length > MAX_ARG_BYTES
        ? Buffer.concat([a.subarray(0, MAX_ARG_BYTES), Buffer.from(`... (${a.length - MAX_ARG_BYTES} more bytes)`)])
        : Buffer.from(a),
    );
  }
  if (argv.length > MAX_ARGS) out.push(Buffer.from(`... (${argv.length - MAX_ARGS + 1} more arguments)`));
  return out;
}
