/**
 * Redis 7 script shebang: `#!lua flags=no-writes,allow-oom` on the first
 * line. Only `no-writes` changes behaviour here (the script runs read-only);
 * the other Redis flags are accepted and have no effect in raftcache.
 */
import { ErrorReply } from '../../protocol/reply';

const KNOWN_FLAGS = new Set(['no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys']);

export interface Shebang {
  /** The code to compile: the shebang line turned into a comment, so line numbers stay. */
  code: Buffer;
  noWrites: boolean;
}

export function parseShebang(body: Buffer): Shebang | ErrorReply {
  if (body.length < 2 || body[0] !== 0x23 /* # */ || body[1] !== 0x21 /* ! */) return { code: body, noWrites: false };
  const nl = body.indexOf(0x0a);
  const line = body.toString('latin1', 0, nl < 0 ? body.length : nl).replace(/\r$/, '');
  const parts = line.split(' ').filter((p) => p.length > 0);
  if (parts[0] !== '#!lua') return new ErrorReply(`ERR Unexpected engine in script shebang: ${parts[0]}`);
  let noWrites = false;
  for (const opt of parts.slice(1)) {
    if (!opt.startsWith('flags=')) return new ErrorReply(`ERR Unknown lua shebang option: ${opt}`);
    for (const flag of opt.slice('flags='.length).split(',')) {
      if (flag === '') continue;
      if (!KNOWN_FLAGS.has(flag)) return new ErrorReply(`ERR Unexpected flag in script shebang: ${flag}`);
      if (flag === 'no-writes') noWrites = true;
    }
  }
  const code = Buffer.from(body);
  code[0] = 0x2d; // "#!" -> "--"
  code[1] = 0x2d;
  return { code, noWrites };
}
