import { BoolReply, DoubleReply, ErrorReply, MapReply, OK, PushReply, RawReply, SetReply, SimpleString, VerbatimReply, type Reply } from '../../protocol/reply';
import { ERR_NO_SUCH_KEY } from '../../protocol/errors';
import { keyString, type Collection, type Value } from '../keyspace';
import { HashValue } from '../keyspace/hash';
import { ListValue } from '../keyspace/list';
import { ZSetValue } from '../keyspace/zset';
import type { ClientConnection } from '../connection';
import type { Server } from '../server';
import { stringObjectEncoding } from './string-encoding';
import { DeferredReply, Replies, type ServerCommand } from './table';
import { serverCmd } from './ops-cmd';
import { parseInt64 } from './util';

/*
 * DEBUG: the subcommands client test suites use (SLEEP, OBJECT,
 * SET-ACTIVE-EXPIRE, RELOAD, HELP), refused unless enable-debug-command
 * allows it, with Redis 7's refusal text. DEBUG is not replicated: it acts on
 * the node the client is connected to.
 */

export const ERR_DEBUG_NOT_ALLOWED = new ErrorReply(
  'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.',
);

const HELP = [
  'DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'OBJECT <key>',
  "    Show low level info about `key` and associated value.",
  'RELOAD [option ...]',
  '    Save the durable keyspace copy on disk and verify it loads back (this server',
  '    does not replace its in-memory keyspace). Valid <option> values: MERGE,',
  '    NOFLUSH, NOSAVE (accepted; NOSAVE only verifies the existing copy).',
  'PROTOCOL <type>',
  '    Reply with a test value of the specified type. <type> can be: string,',
  '    integer, double, bignum, null, array, set, map, attrib, push, verbatim,',
  '    true, false.',
  'SET-ACTIVE-EXPIRE <0|1>',
  '    Setting it to 0 disables expiring keys in background when they are not',
  '    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the',
  '    default.',
  'SLEEP <seconds>',
  '    Stop the server for <seconds>. Decimals allowed.',
  'HELP',
  '    Prints this help.',
].map((l) => new SimpleString(l));

/** Redis's connIsLocal: a loopback peer. */
function isLocal(conn: ClientConnection): boolean {
  const host = conn.addr.slice(0, conn.addr.lastIndexOf(':'));
  return host.startsWith('127.') || host === '::1' || host.startsWith('::ffff:127.');
}

function allowed(server: Server, conn: ClientConnection): boolean {
  const mode = server.config['enable-debug-command'];
  return mode === 'yes' || (mode === 'local' && isLocal(conn));
}

/** C's strtod on the whole prefix that parses (DEBUG SLEEP abc sleeps 0). */
function strtod(b: Buffer): number {
  const m = /^\s*[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf(inity)?)/i.exec(b.toString('latin1'));
  const v = m ? Number.parseFloat(m[0]) : 0;
  return Number.isNaN(v) ? 0 : v;
}

/** Blocks the whole process, as Redis's DEBUG SLEEP blocks its one thread. */
function sleepBlocking(ms: number): void {
  if (ms <= 0) return;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** RDB's length prefix: 1, 2 or 5 bytes (9 beyond 32 bits). */
function rdbLenBytes(n: number): number {
  if (n < 64) return 1;
  if (n < 16384) return 2;
  return n <= 0xffffffff ? 5 : 9;
}

/** One listpack entry's bytes: encoding + data + back-length (small integers are one byte). */
function listpackEntryBytes(s: string): number {
  let body: number;
  const n = s.length <= 20 ? parseInt64(Buffer.from(s, 'latin1')) : null;
  if (n !== null && typeof n === 'number' && n >= 0 && n <= 127) body = 1;
  else if (n !== null && typeof n === 'number' && Math.abs(n) < 2 ** 31) body = Math.abs(n) < 4096 ? 2 : Math.abs(n) < 32768 ? 3 : Math.abs(n) < 2 ** 23 ? 4 : 5;
  else if (n !== null) body = 9;
  else body = (s.length < 64 ? 1 : s.length < 4096 ? 2 : 5) + s.length;
  return body + (body < 128 ? 1 : body < 16384 ? 2 : 3);
}

/** A listpack's bytes: header, entries, terminator. */
function listpackBytes(items: Iterable<string>): number {
  let n = 7;
  for (const s of items) n += listpackEntryBytes(s);
  return n;
}

/** rdbSaveRawString: up to 11 bytes that read as a 32-bit integer take 2, 3 or 5 bytes; others a length and the bytes. */
function rdbStringBytes(s: string): number {
  if (s.length <= 11) {
    const n = parseInt64(Buffer.from(s, 'latin1'));
    if (typeof n === 'number' && String(n) === s) {
      if (n >= -128 && n <= 127) return 2;
      if (n >= -32768 && n <= 32767) return 3;
      if (n >= -(2 ** 31) && n < 2 ** 31) return 5;
    }
  }
  return rdbLenBytes(s.length) + s.length;
}

/** A blob (listpack, intset) saved as an RDB string. */
const blob = (bytes: number): number => rdbLenBytes(bytes) + bytes;

/** An intset's bytes: 8 of header, then every member at the width of the widest. */
function intsetBytes(members: Iterable<string>): number {
  let n = 0;
  let width = 2;
  for (const m of members) {
    n++;
    const v = Number(m);
    if (v < -(2 ** 31) || v >= 2 ** 31) width = 8;
    else if ((v < -32768 || v > 32767) && width < 4) width = 4;
  }
  return 8 + n * width;
}

/**
 * RDB serialized length, as rdbSavedObjectLen, without LZF compression (which
 * Redis applies to strings over 20 bytes when it saves space): exact for
 * strings, lists, intsets and listpacks of short elements; sorted-set scores
 * are counted as %.17g text where Redis may print them shorter.
 */
function serializedLength(v: Value): number {
  if (v.type === 'string') {
    const enc = stringObjectEncoding(v);
    return enc.encoding === 'int' ? rdbStringBytes(v.value.toString('latin1')) : rdbLenBytes(v.length) + v.length;
  }
  const c = v as Collection;
  const encoding = c.encoding();
  if (c instanceof ListValue) {
    const nodes = listNodes(c);
    return rdbLenBytes(nodes.length) + nodes.reduce((a, lp) => a + 1 + blob(lp), 0);
  }
  if (c instanceof HashValue) {
    if (encoding === 'listpack') return blob(listpackBytes([...c.entries()].flat()));
    let n = rdbLenBytes(c.length);
    for (const [f, val] of c.entries()) n += rdbStringBytes(f) + rdbStringBytes(val);
    return n;
  }
  if (c instanceof ZSetValue) {
    const score = (m: string) => String(c.score(m) ?? 0);
    if (encoding === 'listpack') return blob(listpackBytes([...c.elements()].flatMap((m) => [m, score(m)])));
    let n = rdbLenBytes(c.length);
    for (const m of c.elements()) n += rdbStringBytes(m) + 8; // RDB_TYPE_ZSET_2: a binary double per member
    return n;
  }
  if (encoding === 'intset') return blob(intsetBytes(c.elements()));
  if (encoding === 'listpack') return blob(listpackBytes(c.elements()));
  let n = rdbLenBytes(c.length);
  for (const m of c.elements()) n += rdbStringBytes(m);
  return n;
}

/** Listpack sizes of a list's quicklist nodes (list-max-listpack-size -2: 8 KB per node). */
function listNodes(c: Collection): number[] {
  const nodes: number[] = [];
  let cur = 7;
  let count = 0;
  for (const s of c.elements()) {
    const e = listpackEntryBytes(s);
    if (count > 0 && cur + e > 8192) {
      nodes.push(cur);
      cur = 7;
      count = 0;
    }
    cur += e;
    count++;
  }
  if (count > 0) nodes.push(cur);
  return nodes;
}

/** Redis's LRU clock: seconds, 24 bits. */
const LRU_CLOCK_MAX = (1 << 24) - 1;

function debugObject(server: Server, db: number, key: Buffer): Reply {
  const k = keyString(key);
  const now = Date.now();
  const database = server.keyspace.dbs[db];
  const v = database.lookupRead(k, now);
  if (v === undefined) return ERR_NO_SUCH_KEY;
  const at = database.accessedAt(k, now) || server.startedAt;
  const encoding = v.type === 'string' ? stringObjectEncoding(v).encoding : v.encoding();
  const refcount = v.type === 'string' && stringObjectEncoding(v).shared ? 2147483647 : 1;
  let extra = '';
  if (v.type === 'list') {
    const nodes = listNodes(v);
    const avg = nodes.length > 0 ? v.length / nodes.length : 0;
    extra =
      ` ql_nodes:${nodes.length} ql_avg_node:${avg.toFixed(2)} ql_listpack_max:${server.config['list-max-listpack-size']}` +
      ` ql_compressed:${server.config['list-compress-depth']} ql_uncompressed_size:${nodes.reduce((a, b) => a + b, 0)}`;
  }
  // No address exists in JS: a stable per-key number stands in for Redis's pointer.
  let h = 0x7f0000000000;
  for (let i = 0; i < Math.min(k.length, 32); i++) h = (h + k.charCodeAt(i) * (i + 1) * 16) % 0x7fffffffffff;
  return new SimpleString(
    `Value at:0x${h.toString(16)} refcount:${refcount} encoding:${encoding} serializedlength:${serializedLength(v)} ` +
      `lru:${Math.floor(at / 1000) & LRU_CLOCK_MAX} lru_seconds_idle:${Math.max(0, Math.floor((now - at) / 1000))}${extra}`,
  );
}

/**
 * DEBUG RELOAD: writes the durable keyspace copy (SAVE) and loads it again
 * into memory, as a restart does (client test suites use it to check that
 * data survives a save and load). The copy is loaded only when it is of
 * exactly the state applied now, so the node's state is the same before and
 * after; if entries were applied during the save, it saves again (a few
 * times), then answers an error. NOSAVE loads the copy written last only when
 * it is current, else it is refused (loading an older state would go back in
 * the log).
 */
function reload(server: Server, argv: Buffer[]): Reply | DeferredReply {
  let save = true;
  for (const a of argv.slice(2)) {
    const opt = a.toString('latin1').toLowerCase();
    if (opt === 'nosave') save = false;
    else if (opt !== 'merge' && opt !== 'noflush') return new ErrorReply('ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.');
  }
  const c = server.cluster;
  if (!c) return new ErrorReply('ERR this node has no durable storage');
  return new DeferredReply((done) => {
    const attempt = (left: number): void => {
      (save ? c.saveNow() : Promise.resolve()).then(
        () => {
          if (c.reloadFromCopy()) done(OK);
          else if (save && left > 0) attempt(left - 1);
          else done(new ErrorReply('ERR Error trying to load the RDB dump: the durable copy is older than the applied state (writes kept coming); try again'));
        },
        (err: Error) => done(new ErrorReply(`ERR ${err.message.replace(/[\r\n]/g, ' ')}`)),
      );
    };
    attempt(5);
  });
}

/** DEBUG PROTOCOL: Redis's test values of each RESP3 type (client libraries test their parsers with it). */
function protocolValue(type: string, proto: 2 | 3): Reply | Replies {
  const raw = (resp3: string, resp2: string) => new RawReply(Buffer.from(proto === 3 ? resp3 : resp2, 'latin1'));
  switch (type) {
    case 'string':
      return 'Hello World';
    case 'integer':
      return 12345;
    case 'double':
      return new DoubleReply(3.141);
    case 'bignum':
      return raw('(1234567999999999999999999999999999999\r\n', '$37\r\n1234567999999999999999999999999999999\r\n');
    case 'null':
      return null;
    case 'array':
      return [0, 1, 2];
    case 'set':
      return new SetReply([0, 1, 2]);
    case 'map':
      return new MapReply([[0, new BoolReply(false)], [1, new BoolReply(true)], [2, new BoolReply(false)]]);
    case 'attrib':
      return raw(
        '|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n',
        '$39\r\nSome real reply following the attribute\r\n',
      );
    case 'push':
      if (proto === 2) return new ErrorReply('ERR RESP2 is not supported by this command');
      return new Replies([new PushReply(['server-cpu-usage', 42]), 'Some real reply following the push reply']);
    case 'verbatim':
      return new VerbatimReply('txt', 'This is a verbatim\nstring');
    case 'true':
      return new BoolReply(true);
    case 'false':
      return new BoolReply(false);
    default:
      return new ErrorReply('ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false');
  }
}

const errSub = (sub: Buffer): ErrorReply =>
  new ErrorReply(`ERR unknown subcommand or wrong number of arguments for '${sub.toString('latin1')}'. Try DEBUG HELP.`);

export function debugCommand(): ServerCommand {
  return serverCmd(
    'debug',
    -2,
    ['admin', 'noscript', 'loading', 'stale'],
    ['@admin', '@slow', '@dangerous'],
    {
      summary: 'A container for debugging commands.',
      since: '1.0.0',
      group: 'server',
      complexity: 'Depends on subcommand.',
    },
    ({ conn, server }, argv) => {
      if (!allowed(server, conn)) return ERR_DEBUG_NOT_ALLOWED;
      const sub = argv[1].toString('latin1').toLowerCase();
      if (sub === 'help' && argv.length === 2) return HELP;
      if (sub === 'sleep' && argv.length === 3) {
        sleepBlocking(strtod(argv[2]) * 1000);
        return OK;
      }
      if (sub === 'object' && argv.length === 3) return debugObject(server, conn.db, argv[2]);
      if (sub === 'set-active-expire' && argv.length === 3) {
        // Redis reads it with atoi: "abc" is 0 (off), "1x" is 1.
        server.activeExpireEnabled = (Number.parseInt(argv[2].toString('latin1'), 10) || 0) !== 0;
        return OK;
      }
      if (sub === 'reload') return reload(server, argv);
      if (sub === 'protocol' && argv.length === 3) return protocolValue(argv[2].toString('latin1').toLowerCase(), conn.proto);
      return errSub(argv[1]);
    },
  );
}
