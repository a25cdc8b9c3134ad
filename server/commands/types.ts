import type { ErrorReply, Reply } from '../../protocol/reply';
import type { Database, Keyspace, Value } from '../keyspace';
import type { AclUser } from '../acl/user';

/** Flags as Redis prints them in COMMAND INFO (src/commands/*.json "command_flags", lower-cased). */
export type CommandFlag =
  | 'write'
  | 'readonly'
  | 'denyoom'
  | 'admin'
  | 'pubsub'
  | 'noscript'
  | 'blocking'
  | 'loading'
  | 'stale'
  | 'skip_monitor'
  | 'skip_slowlog'
  | 'fast'
  | 'no_auth'
  | 'may_replicate'
  | 'no_multi'
  | 'allow_busy'
  | 'movablekeys';

/** Argument description used to generate COMMAND DOCS (redis-cli builds its hints from it). */
export interface ArgDoc {
  name: string;
  type: 'key' | 'string' | 'integer' | 'double' | 'pattern' | 'unix-time' | 'pure-token' | 'oneof' | 'block';
  token?: string;
  optional?: boolean;
  multiple?: boolean;
  multipleToken?: boolean;
  arguments?: ArgDoc[];
  since?: string;
}

export interface CommandDoc {
  summary: string;
  since: string;
  group: 'string' | 'bitmap' | 'generic' | 'connection' | 'server' | 'list' | 'hash' | 'set' | 'sorted-set' | 'geo' | 'hyperloglog' | 'stream' | 'pubsub' | 'transactions' | 'scripting' | 'cluster';
  complexity?: string;
  /** [version, what changed], as COMMAND DOCS `history`. */
  history?: Array<[string, string]>;
  arguments?: ArgDoc[];
}

/**
 * What a data command sees. For a write this is apply time on every node:
 * `now` is the log entry's cluster time and `index` its log index, so the
 * outcome is a pure function of (state, entry). For a read, `now` is the
 * local clock and `index` is 0; reads must not mutate.
 */
export interface ExecContext {
  keyspace: Keyspace;
  db: Database;
  dbIndex: number;
  now: number;
  index: number;
  /**
   * Uniform [0, 1). At apply time it is seeded by the log entry (random.ts),
   * so every node draws the same numbers; for a client's read, Math.random.
   */
  random: () => number;
  /**
   * PUBLISH from a script. At apply time every node runs the script, so each
   * delivers to its own subscribers (nothing is relayed); a read-only script
   * runs on one node, which relays it like PUBLISH.
   */
  publish?: (channel: Buffer, message: Buffer) => void;
  /**
   * The ACL user a script runs as, when restricted (server/acl/ops.ts RUN_AS):
   * its redis.call()s are checked against it; null = a user since deleted
   * (nothing allowed); absent = unrestricted.
   */
  aclUser?: AclUser | null;
  /** Counters for a client's read (INFO keyspace_hits/misses); absent at apply time, which runs on every node. */
  lookups?: { keyspaceHits: number; keyspaceMisses: number };
  /**
   * The reply goes straight to a client's connection (a client's read): a
   * command may answer RESP it encoded itself (a RawReply whose bytes are the
   * same in RESP2 and RESP3). Absent where the structured reply is needed:
   * applies (transactions, the reply cache) and commands a script calls.
   */
  directReply?: boolean;
}

/**
 * A read command's key lookup, counted as a keyspace hit or miss (Redis's
 * lookupKeyRead); it also sets the key's access time on this node, unless
 * `noTouch` (Redis's LOOKUP_NOTOUCH: EXISTS, TYPE, TTL and the like).
 */
export function lookupRead(ctx: ExecContext, key: string, noTouch = false): Value | undefined {
  const v = ctx.db.lookupRead(key, ctx.now);
  if (v !== undefined && !noTouch) ctx.db.noteAccess(key, ctx.now);
  if (ctx.lookups) {
    if (v === undefined) ctx.lookups.keyspaceMisses++;
    else ctx.lookups.keyspaceHits++;
  }
  return v;
}

/**
 * What a blocking command (BLPOP, BLMOVE, BZPOPMIN, ...) tells the machinery
 * that parks it (server/blocking.ts). Its `exec` is the non-blocking attempt:
 * at apply time it pops or answers `timeoutReply` (which is also what MULTI
 * and Lua get: they never block).
 */
export interface BlockingSpec {
  /** argv indexes of the keys it waits on, in order. */
  keys(argv: Buffer[]): number[];
  /** argv index of the timeout (seconds, a float; 0 = forever). */
  timeoutIndex(argv: Buffer[]): number;
  /** The type whose arrival wakes it (a key of another type does not). */
  type: 'list' | 'zset' | 'stream';
  /** When a key of that type is not enough to serve it (XREADGROUP: entries past the group's last id). */
  ready?(value: Value, argv: Buffer[]): boolean;
  /** A key deleted or of another type wakes it too, and the retry answers the error (XREADGROUP, Redis 7.2's unblock_on_nokey). */
  unblockOnNoKey?: boolean;
  /**
   * Timeout in ms when the timeout argument is not BLPOP's seconds
   * (XREADGROUP BLOCK ms); null = this call does not block (no BLOCK option).
   */
  timeoutMs?(argv: Buffer[]): number | null;
  /** The timeout argument for `ms` left, in this command's unit (default: seconds, as BLPOP). */
  timeoutArg?(ms: number): Buffer;
  /** The reply when the timeout passes. */
  timeoutReply: Reply;
  /** Writes (argv) that put back what `reply` took, for a client that left before it was answered. */
  giveBack(argv: Buffer[], reply: Reply): Buffer[][];
}

/** A command that reads or writes the keyspace. */
export interface DataCommand {
  kind: 'data';
  name: string; // lower-case
  arity: number; // negative = at least -arity
  flags: CommandFlag[];
  firstKey: number;
  lastKey: number; // -1 = last argument
  keyStep: number;
  aclCategories: string[]; // e.g. ['@write', '@string', '@slow']
  doc: CommandDoc;
  /**
   * Stateless syntax checks, run before a write is proposed so that bad
   * requests never reach the log. Returns the error Redis would give, or null.
   */
  check?(argv: Buffer[]): ErrorReply | null;
  /**
   * Rewrite before logging so apply never depends on when it runs, e.g.
   * `SET k v EX 10` -> `SET k v PXAT <now+10000>` (Redis propagates the same way).
   */
  rewrite?(argv: Buffer[], now: number): Buffer[];
  exec(ctx: ExecContext, argv: Buffer[]): Reply;
  /** Present on blocking commands. */
  blocking?: BlockingSpec;
  /**
   * A write command that changes nothing with these arguments (GEORADIUS and
   * SORT without STORE): a client's call is served as a read on the node it
   * is connected to instead of being logged. Must only answer true when exec
   * with these arguments reads through lookupRead and writes nothing.
   */
  readOnlyWhen?(argv: Buffer[]): boolean;
  /**
   * A keyspace command with subcommands (XINFO, XGROUP): how clients see
   * each one (arity, flags, keys, ACL, docs). This command itself stays what
   * the log, MULTI and scripts run: its exec dispatches on argv[1].
   */
  subcommands?: ReadonlyMap<string, DataCommand>;
}
