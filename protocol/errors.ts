import { ErrorReply } from './reply';

/**
 * Redis-worded errors. Wording is copied from Redis 7 (server.c, t_string.c,
 * object.c, networking.c) because clients and test suites match on it.
 */

/** At most `max` bytes of a name or argument as text (never converts a huge Buffer whole). */
function head(s: string | Buffer, max: number): string {
  return typeof s === 'string' ? s.slice(0, max) : s.subarray(0, max).toString('latin1');
}

/** Redis quotes at most 128 bytes of the name and of the arguments together (server.c). */
export function errUnknownCommand(name: string | Buffer, args: Buffer[]): ErrorReply {
  let preview = '';
  for (const a of args) {
    if (preview.length >= 128) break;
    preview += `'${head(a, 128 - preview.length)}' `;
  }
  return new ErrorReply(`ERR unknown command '${head(name, 128)}', with args beginning with: ${preview}`);
}

export function errUnknownSubcommand(sub: string | Buffer, command: string): ErrorReply {
  return new ErrorReply(`ERR unknown subcommand '${head(sub, 128)}'. Try ${command.toUpperCase()} HELP.`);
}

export function errArity(name: string): ErrorReply {
  return new ErrorReply(`ERR wrong number of arguments for '${name.toLowerCase()}' command`);
}

export const WRONGTYPE = new ErrorReply('WRONGTYPE Operation against a key holding the wrong kind of value');
export const ERR_SYNTAX = new ErrorReply('ERR syntax error');
export const ERR_NOT_INTEGER = new ErrorReply('ERR value is not an integer or out of range');
export const ERR_NOT_FLOAT = new ErrorReply('ERR value is not a valid float');
export const ERR_OVERFLOW = new ErrorReply('ERR increment or decrement would overflow');
export const ERR_INCR_NAN = new ErrorReply('ERR increment would produce NaN or Infinity');
export const ERR_NO_SUCH_KEY = new ErrorReply('ERR no such key');
export const ERR_DB_INDEX = new ErrorReply('ERR DB index is out of range');
export const ERR_NOAUTH = new ErrorReply('NOAUTH Authentication required.');
export const ERR_WRONGPASS = new ErrorReply('WRONGPASS invalid username-password pair or user is disabled.');
export const ERR_STRING_TOO_LONG = new ErrorReply('ERR string exceeds maximum allowed size (proto-max-bulk-len)');
export const ERR_OFFSET_RANGE = new ErrorReply('ERR offset is out of range');

export function errInvalidExpire(command: string): ErrorReply {
  return new ErrorReply(`ERR invalid expire time in '${command.toLowerCase()}' command`);
}

/** Our own codes, in the style of Redis Cluster's `-MOVED`/`-TRYAGAIN`. */
export function errClusterDown(detail: string): ErrorReply {
  return new ErrorReply(`CLUSTERDOWN ${detail}`);
}
export function errTryAgain(detail: string): ErrorReply {
  return new ErrorReply(`TRYAGAIN ${detail}`);
}
