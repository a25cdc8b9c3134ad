/**
 * XREAD BLOCK: a read that waits on the node the client is connected to.
 *
 * XREAD changes nothing, so it is not logged; when it finds nothing and has
 * a BLOCK option, the server parks it here (server.ts, on the connection's
 * ordered reply queue, so the client's later commands wait behind it as in
 * Redis). After every batch of log entries this node applies, each parked
 * read runs again against the applied state; the first run that finds
 * entries is the answer. The timeout (ms, 0 = forever) answers a null
 * array; a closed connection just drops its waits. `$` is resolved to the
 * stream's last id when the wait starts, so entries added meanwhile are seen.
 * While parked the client counts as blocked (server/blocked-clients.ts:
 * INFO blocked_clients, CLIENT LIST flags=b, CLIENT UNBLOCK releases it).
 *
 * XREADGROUP BLOCK (a write: it moves the PEL) is not on this path: the
 * leader parks it as BLPOP (see stream-groups.ts).
 */
import { NullArray, type Reply } from '../../protocol/reply';
import { keyString, type Database } from '../keyspace';
import { StreamValue } from '../keyspace/stream';
import { idBuffer } from '../keyspace/stream-id';
import { parseReadArgs } from './stream';
import { isError } from '../../protocol/reply';
import { isToken } from './util';

/** The BLOCK timeout of a well-formed XREAD in ms, or null (not XREAD, no BLOCK, or malformed: it then runs as a plain read). */
export function blockingReadTimeout(name: string, argv: Buffer[]): number | null {
  if (name !== 'xread') return null;
  // Every XREAD asks: parse (XREAD parses again) only when an argument before STREAMS is BLOCK. A
  // `streams` that stops this scan early is COUNT's value, which the parse refuses anyway.
  let i = 1;
  while (i < argv.length && !isToken(argv[i], 'block') && !isToken(argv[i], 'streams')) i++;
  if (i === argv.length || !isToken(argv[i], 'block')) return null;
  const o = parseReadArgs(argv, false);
  return isError(o) || o.block < 0 ? null : o.block;
}

/** XREAD's argv with each `$` replaced by its stream's last id now (0-0 for a missing key). */
export function resolveLastIds(db: Database, argv: Buffer[], now: number): Buffer[] {
  const o = parseReadArgs(argv, false);
  if (isError(o)) return argv;
  const out = argv.slice();
  for (let k = 0; k < o.keys; k++) {
    const at = o.streamsAt + o.keys + k;
    if (!(argv[at].length === 1 && argv[at][0] === 0x24)) continue;
    const v = db.lookupRead(keyString(argv[o.streamsAt + k]), now);
    out[at] = v instanceof StreamValue ? idBuffer(v.lastId) : Buffer.from('0-0');
  }
  return out;
}

interface Waiter {
  connId: number;
  run: () => Reply;
  done: (r: Reply) => void;
  timer: NodeJS.Timeout | undefined;
}

export class StreamReadWaits {
  private readonly waiters = new Set<Waiter>();

  get size(): number {
    return this.waiters.size;
  }

  /** Parks a read whose first run found nothing; `run` re-reads, `done` answers once. */
  wait(connId: number, timeoutMs: number, run: () => Reply, done: (r: Reply) => void): void {
    const w: Waiter = { connId, run, done, timer: undefined };
    if (timeoutMs > 0) w.timer = setTimeout(() => this.finish(w, NullArray.instance), timeoutMs);
    this.waiters.add(w);
  }

  /** After a batch was applied on this node: answer the reads that now find entries. */
  afterApply(): void {
    if (this.waiters.size === 0) return;
    for (const w of [...this.waiters]) {
      const r = w.run();
      // A key that became another type keeps the client waiting, as in Redis.
      if (r !== NullArray.instance && !isError(r)) this.finish(w, r);
    }
  }

  /** CLIENT UNBLOCK: the connection's wait ends now with `reply` (the null array, or -UNBLOCKED). */
  release(connId: number, reply: Reply): void {
    for (const w of [...this.waiters]) if (w.connId === connId) this.finish(w, reply);
  }

  /** The connection closed: its waits end without an answer. */
  closed(connId: number): void {
    for (const w of [...this.waiters]) {
      if (w.connId !== connId) continue;
      if (w.timer !== undefined) clearTimeout(w.timer);
      this.waiters.delete(w);
    }
  }

  private finish(w: Waiter, r: Reply): void {
    if (!this.waiters.delete(w)) return;
    if (w.timer !== undefined) clearTimeout(w.timer);
    w.done(r);
  }
}
