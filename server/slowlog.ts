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
    this.entries.unshift({ id: this.nextId++, time: Math.floor(Date.now() / 1000), micros: Math.round(micros), argv: trimArgv(redactArgv(argv)), addr, name });
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

const REDACTED = Buffer.from('(redacted)');
/** CONFIG SET parameters whose values are secrets (Redis flags requirepass and masterauth SENSITIVE_CONFIG). */
const SENSITIVE_CONFIG = new Set(['requirepass', 'masterauth', 'cluster-secret']);

/**
 * The command as SLOWLOG may show it: Redis 7's redactClientCommandArgument
 * rules. AUTH: every argument; HELLO: the user and password after AUTH;
 * CONFIG SET: the value of each sensitive parameter. Where Redis leaves a
 * malformed command as it is (AUTH with three arguments, HELLO with a bad
 * option before AUTH), we redact it too.
 */
export function redactArgv(argv: Buffer[]): Buffer[] {
  const cmd = argv[0]?.toString('latin1').toLowerCase();
  if (cmd === 'auth') return argv.map((a, i) => (i === 0 ? a : REDACTED));
  if (cmd === 'hello') {
    const out = argv.slice();
    for (let j = 2; j < argv.length; j++) {
      const opt = argv[j].toString('latin1').toLowerCase();
      const more = argv.length - 1 - j;
      if (opt === 'auth' && more >= 2) {
        out[j + 1] = REDACTED;
        out[j + 2] = REDACTED;
        j += 2;
      } else if (opt === 'setname' && more >= 1) j++;
      // Redis stops at a bad option before redacting what follows; we go on.
    }
    return out;
  }
  if (cmd === 'config' && argv[1]?.toString('latin1').toLowerCase() === 'set') {
    const out = argv.slice();
    for (let i = 2; i + 1 < argv.length; i += 2) if (SENSITIVE_CONFIG.has(argv[i].toString('latin1').toLowerCase())) out[i + 1] = REDACTED;
    return out;
  }
  return argv;
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
