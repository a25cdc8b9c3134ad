import net from 'node:net';

/**
 * A RESP2/RESP3 reply tree that keeps every distinction the wire makes: simple
 * string vs bulk, integer vs bulk, null bulk vs null array vs RESP3 null,
 * array vs set vs map vs push, double vs bulk. redis-parser (RESP2 only) and
 * ioredis (maps replies to JS values) both lose some of these, which is the
 * whole point of a differential test, so the parser is our own.
 */
export type Reply =
  /** '+' simple, '-' error, ':' integer, ',' double, '#' boolean, '(' big number: `s` is the raw line. */
  | { t: '+' | '-' | ':' | ',' | '#' | '('; s: string }
  /** '$' bulk string, '=' verbatim string, '!' blob error: exact bytes. */
  | { t: '$' | '=' | '!'; b: Buffer }
  /** The three spellings of null: `$-1`, `*-1` (RESP2) and `_` (RESP3). */
  | { t: 'nil'; s: '$-1' | '*-1' | '_' }
  /** '*' array, '~' set, '>' push; '%' map and '|' attribute as alternating key, value. */
  | { t: '*' | '~' | '>' | '%' | '|'; items: Reply[] };

class Incomplete extends Error {}

/** Parses one reply at `pos`; throws Incomplete when the buffer does not hold all of it yet. */
function parseAt(buf: Buffer, pos: number): [Reply, number] {
  const eol = buf.indexOf('\r\n', pos, 'latin1');
  if (eol < 0) throw new Incomplete();
  const type = String.fromCharCode(buf[pos]);
  const line = buf.toString('latin1', pos + 1, eol);
  let next = eol + 2;
  switch (type) {
    case '+':
    case '-':
    case ':':
    case ',':
    case '#':
    case '(':
      return [{ t: type, s: line }, next];
    case '_':
      return [{ t: 'nil', s: '_' }, next];
    case '$':
    case '=':
    case '!': {
      const n = Number(line);
      if (n < 0) return [{ t: 'nil', s: '$-1' }, next];
      if (buf.length < next + n + 2) throw new Incomplete();
      return [{ t: type, b: Buffer.from(buf.subarray(next, next + n)) }, next + n + 2];
    }
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {
      const n = Number(line);
      if (n < 0) return [{ t: 'nil', s: '*-1' }, next];
      const count = type === '%' || type === '|' ? 2 * n : n;
      const items: Reply[] = [];
      for (let i = 0; i < count; i++) {
        const [r, p] = parseAt(buf, next);
        items.push(r);
        next = p;
      }
      return [{ t: type, items }, next];
    }
    default:
      throw new Error(`unexpected RESP type byte ${JSON.stringify(type)} in ${JSON.stringify(buf.toString('latin1', pos, pos + 40))}`);
  }
}

/** Encodes argv as a RESP multibulk request (arguments are latin1 strings: one char per byte). */
export function encodeCommand(argv: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${argv.length}\r\n`)];
  for (const a of argv) {
    const b = Buffer.from(a, 'latin1');
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/**
 * One raw connection: `call` sends a command and resolves with its reply.
 * Replies come back in order, so a FIFO of waiters is all the bookkeeping.
 */
export class RespConn {
  private buf: Buffer = Buffer.alloc(0);
  private waiters: Array<{ resolve: (r: Reply) => void; reject: (e: Error) => void }> = [];
  private failed: Error | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('close', () => this.fail(new Error('connection closed')));
    socket.on('error', (e) => this.fail(e));
  }

  static connect(port: number): Promise<RespConn> {
    return new Promise((resolve, reject) => {
      const s = net.createConnection({ port, host: '127.0.0.1' }, () => {
        s.removeListener('error', reject);
        resolve(new RespConn(s));
      });
      s.once('error', reject);
    });
  }

  call(argv: readonly string[]): Promise<Reply> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.socket.write(encodeCommand(argv));
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    let pos = 0;
    while (pos < this.buf.length) {
      let parsed: [Reply, number];
      try {
        parsed = parseAt(this.buf, pos);
      } catch (e) {
        if (e instanceof Incomplete) break;
        this.fail(e as Error);
        return;
      }
      pos = parsed[1];
      // RESP3 push messages (invalidation, pub/sub) are not replies to our calls; we never subscribe.
      if (parsed[0].t === '>') continue;
      const w = this.waiters.shift();
      if (w) w.resolve(parsed[0]);
    }
    this.buf = pos === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(pos);
  }

  private fail(e: Error): void {
    if (this.failed) return;
    this.failed = e;
    for (const w of this.waiters.splice(0)) w.reject(e);
  }
}

/** A bulk's bytes as a latin1 string (one char per byte), or null when `r` is not a string-like reply. */
export function text(r: Reply): string | null {
  if (r.t === '$' || r.t === '=' || r.t === '!') return r.b.toString('latin1');
  if (r.t === '+' || r.t === ':' || r.t === ',' || r.t === '(') return r.s;
  return null;
}

/** Quotes a latin1 string so every byte is visible and the mapping is one-to-one (redis-cli's quoting). */
export function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c < 0x20 || c > 0x7e) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += s[i];
  }
  return out + '"';
}

/**
 * The canonical text of a reply: equal text means equal replies, byte for
 * byte and type for type (bulk bytes are quoted one-to-one). Used both to
 * compare and to print.
 */
export function show(r: Reply): string {
  switch (r.t) {
    case '+':
      return `+${r.s}`;
    case '-':
      return `(error) ${r.s}`;
    case ':':
      return `(integer) ${r.s}`;
    case ',':
      return `(double) ${r.s}`;
    case '#':
      return `(boolean) ${r.s}`;
    case '(':
      return `(bignum) ${r.s}`;
    case '$':
      return quote(r.b.toString('latin1'));
    case '=':
      return `(verbatim) ${quote(r.b.toString('latin1'))}`;
    case '!':
      return `(bloberror) ${quote(r.b.toString('latin1'))}`;
    case 'nil':
      return `(nil ${r.s})`;
    case '*':
      return `[${r.items.map(show).join(', ')}]`;
    case '~':
      return `~{${r.items.map(show).join(', ')}}`;
    case '>':
      return `>[${r.items.map(show).join(', ')}]`;
    case '%':
    case '|': {
      const pairs: string[] = [];
      for (let i = 0; i + 1 < r.items.length; i += 2) pairs.push(`${show(r.items[i])}: ${show(r.items[i + 1])}`);
      return `${r.t === '%' ? '%' : '|'}{${pairs.join(', ')}}`;
    }
  }
}

/** Formats argv the way redis-cli reads it back: bare words where safe, quoted otherwise. */
export function showArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_:.{}*+\-[\]()#>|?^,]+$/.test(a) ? a : quote(a))).join(' ');
}
