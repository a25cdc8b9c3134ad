import {
  ErrorReply,
  MapReply,
  OK,
  PONG,
  SimpleString,
  VerbatimReply,
  type Reply,
} from '../../protocol/reply';
import { ERR_DB_INDEX, ERR_NOT_INTEGER, ERR_SYNTAX, ERR_WRONGPASS } from '../../protocol/errors';
import { pinoLevel } from '../config';
import { applyEncodingOptions, configGet, configSet } from '../config-command';
import { REDIS_COMPAT_VERSION, renderInfo } from '../info';
import { keyString, type Value } from '../keyspace';
import { ERR_NO_LFU, OBJECT_HELP, objectEncoding, objectRefcount } from './object-info';
import type { ClientConnection } from '../connection';
import type { Server } from '../server';
import { commandDocs, commandInfo } from './introspection';
import type { ArgDoc, CommandDoc, CommandFlag } from './types';
import { AfterWrites, container, DeferredReply, type CommandDef, type ContainerCommand, type ServerCommand } from './table';
import { globMatch } from './glob';
import { latencyMonitor } from '../latency';
import { isNoEvict, resetOpsState } from './client-ops';
import { isMonitor } from '../monitor';
import { parseInt64 } from './util';
import { checkCredentials, defaultIsNopass, defaultIsOpen } from '../acl/auth';

const str = (b: Buffer): string => b.toString('latin1');
const lower = (b: Buffer): string => b.toString('latin1').toLowerCase();

export function cmd(
  name: string,
  arity: number,
  flags: CommandFlag[],
  acl: string[],
  doc: CommandDoc,
  run: ServerCommand['run'],
): ServerCommand {
  return { kind: 'server', name, arity, flags, firstKey: 0, lastKey: 0, keyStep: 0, aclCategories: acl, doc, run };
}

export { container } from './table';

const arg = (name: string, type: ArgDoc['type'], extra: Partial<ArgDoc> = {}): ArgDoc => ({ name, type, ...extra });

/** Redis's strict integer parse (util's string2ll), limited to safe JS integers. */
function parseSafeInt(b: Buffer): number | undefined {
  const v = parseInt64(b);
  return typeof v === 'number' ? v : undefined;
}

// ---------------------------------------------------------------- connection

const ping = cmd(
  'ping',
  -1,
  ['fast', 'stale'],
  ['@fast', '@connection'],
  { summary: 'Returns the server\'s liveliness response.', since: '1.0.0', group: 'connection', complexity: 'O(1)', arguments: [arg('message', 'string', { optional: true })] },
  ({ conn }, argv) => {
    if (argv.length > 2) return new ErrorReply("ERR wrong number of arguments for 'ping' command");
    // A subscribed RESP2 client gets PING's answer as a pub/sub style array.
    if (conn.proto === 2 && conn.subscriptions > 0) return [Buffer.from('pong'), argv.length === 2 ? argv[1] : Buffer.alloc(0)];
    return argv.length === 2 ? argv[1] : PONG;
  },
);

const echo = cmd(
  'echo',
  2,
  ['fast'],
  ['@fast', '@connection'],
  { summary: 'Returns the given string.', since: '1.0.0', group: 'connection', complexity: 'O(1)', arguments: [arg('message', 'string')] },
  (_ctx, argv) => argv[1],
);

const quit = cmd(
  'quit',
  -1,
  ['no_auth', 'fast', 'stale', 'allow_busy'],
  ['@fast', '@connection'],
  { summary: 'Closes the connection.', since: '1.0.0', group: 'connection', complexity: 'O(1)' },
  ({ conn }) => {
    conn.closeAfterReplies();
    return OK;
  },
);

/** AUTH / HELLO AUTH: opens `user` on `conn`, or logs the failure (ACL LOG) and answers WRONGPASS. */
function authenticate(conn: ClientConnection, server: Server, user: string, pass: Buffer): Reply | null {
  if (!checkCredentials(server.keyspace.acl, server.config, user, pass)) {
    server.acl.authFailed(conn, user);
    return ERR_WRONGPASS;
  }
  conn.user = user;
  conn.authenticated = true;
  return null;
}

const auth = cmd(
  'auth',
  -2,
  ['no_auth', 'fast', 'stale', 'allow_busy', 'noscript', 'loading'],
  ['@fast', '@connection'],
  {
    summary: 'Authenticates the connection.',
    since: '1.0.0',
    group: 'connection',
    complexity: 'O(N) where N is the number of passwords defined for the user',
    arguments: [arg('username', 'string', { optional: true, since: '6.0.0' }), arg('password', 'string')],
  },
  ({ conn, server }, argv) => {
    if (argv.length > 3) return ERR_SYNTAX;
    if (argv.length === 2 && defaultIsNopass(server.keyspace.acl, server.config)) {
      return new ErrorReply(
        'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
      );
    }
    const user = argv.length === 3 ? str(argv[1]) : 'default';
    return authenticate(conn, server, user, argv[argv.length - 1]) ?? OK;
  },
);

const hello = cmd(
  'hello',
  -1,
  ['no_auth', 'fast', 'stale', 'allow_busy', 'noscript', 'loading'],
  ['@fast', '@connection'],
  {
    summary: 'Handshakes with the Redis server.',
    since: '6.0.0',
    group: 'connection',
    complexity: 'O(1)',
    arguments: [
      arg('arguments', 'block', {
        optional: true,
        arguments: [
          arg('protover', 'integer'),
          arg('username-password', 'block', { token: 'AUTH', optional: true, arguments: [arg('username', 'string'), arg('password', 'string')] }),
          arg('clientname', 'string', { token: 'SETNAME', optional: true }),
        ],
      }),
    ],
  },
  ({ conn, server }, argv) => {
    let proto = conn.proto;
    let i = 1;
    if (argv.length >= 2) {
      const v = parseSafeInt(argv[1]);
      if (v === undefined) return new ErrorReply('ERR Protocol version is not an integer or out of range');
      if (v < 2 || v > 3) return new ErrorReply('NOPROTO unsupported protocol version');
      proto = v as 2 | 3;
      i = 2;
    }
    let setname: string | undefined;
    let authed = conn.authenticated;
    for (; i < argv.length; i++) {
      const opt = lower(argv[i]);
      const more = argv.length - i - 1;
      if (opt === 'auth' && more >= 2) {
        const refused = authenticate(conn, server, str(argv[i + 1]), argv[i + 2]);
        if (refused) return refused;
        authed = true;
        i += 2;
      } else if (opt === 'setname' && more >= 1) {
        setname = str(argv[i + 1]);
        if (!validClientName(setname)) return ERR_CLIENT_NAME;
        i += 1;
      } else {
        return new ErrorReply(`ERR Syntax error in HELLO option '${str(argv[i])}'`);
      }
    }
    if (!authed) {
      return new ErrorReply(
        'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
      );
    }
    conn.authenticated = true;
    conn.proto = proto;
    if (setname !== undefined) conn.name = setname;
    return new MapReply([
      ['server', 'redis'],
      ['version', REDIS_COMPAT_VERSION],
      ['proto', proto],
      ['id', conn.id],
      ['mode', 'standalone'],
      ['role', 'master'],
      ['modules', []],
    ]);
  },
);

const reset = cmd(
  'reset',
  1,
  ['no_auth', 'fast', 'stale', 'noscript', 'loading'],
  ['@fast', '@connection'],
  { summary: 'Resets the connection.', since: '6.2.0', group: 'connection', complexity: 'O(1)' },
  ({ conn, server }) => {
    server.pubsub.drop(conn);
    resetOpsState(conn, server); // CLIENT REPLY, NO-EVICT, MONITOR (ops)
    conn.multi = null;
    conn.multiFailed = false;
    conn.watches = [];
    conn.db = 0;
    conn.proto = 2;
    conn.name = '';
    conn.user = 'default';
    conn.authenticated = defaultIsOpen(server.keyspace.acl, server.config);
    server.tracking.disable(conn);
    return new SimpleString('RESET');
  },
);

const select = cmd(
  'select',
  2,
  ['loading', 'stale', 'fast'],
  ['@keyspace', '@fast'],
  { summary: 'Changes the selected database.', since: '1.0.0', group: 'connection', complexity: 'O(1)', arguments: [arg('index', 'integer')] },
  ({ conn, server }, argv) => {
    const n = parseSafeInt(argv[1]);
    if (n === undefined) return ERR_NOT_INTEGER;
    if (n < 0 || n >= server.keyspace.dbs.length) return ERR_DB_INDEX;
    conn.db = n;
    return OK;
  },
);

// ------------------------------------------------------------------- CLIENT

const ERR_CLIENT_NAME = new ErrorReply('ERR Client names cannot contain spaces, newlines or special characters.');

/** Redis accepts printable ASCII without spaces ('!' .. '~'). */
function validClientName(name: string): boolean {
  return /^[\x21-\x7e]*$/.test(name);
}

/**
 * One CLIENT LIST / CLIENT INFO line, Redis 7's fields. qbuf is the received
 * request bytes not yet parsed into arguments, qbuf-free the spare room of
 * that buffer, argv-mem the parsed arguments of the incomplete request (with
 * their per-argument overhead); obl is our reply buffer, oll the socket writes
 * not yet taken by the kernel and omem their bytes; tot-mem their sum.
 */
/** CLIENT KILL as Redis: another client goes at once; the caller itself after this reply. */
function kill(c: ClientConnection, caller: ClientConnection): void {
  if (c === caller) c.closeAfterReplies();
  else c.destroy();
}

export function clientInfoLine(c: ClientConnection, now: number, blocked = false): string {
  const age = Math.floor((now - c.createdAt) / 1000);
  const idle = Math.floor((now - c.lastActive) / 1000);
  const q = c.queryBufferStats;
  const o = c.outputStats;
  // Redis's letters in its order: O monitor, P pub/sub, x in MULTI, b blocked, t tracking, B broadcast tracking, e no-evict; N for none.
  const flags =
    (isMonitor(c) ? 'O' : '') +
      (c.subscriptions > 0 ? 'P' : '') +
      (c.multi !== null ? 'x' : '') +
      (blocked ? 'b' : '') +
      (c.tracking ? 't' : '') +
      (c.tracking?.bcast ? 'B' : '') +
      (isNoEvict(c) ? 'e' : '') || 'N';
  return (
    `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=-1 name=${c.name} age=${age} idle=${idle} flags=${flags} db=${c.db} ` +
    `sub=${c.channels.size} psub=${c.patterns.size} ssub=0 multi=${c.multi === null ? -1 : c.multi.length} qbuf=${q.qbuf} qbuf-free=${q.free} argv-mem=${q.argvMem} multi-mem=0 rbs=0 rbp=0 ` +
    `obl=${o.obl} oll=${o.oll} omem=${o.omem} tot-mem=${c.totalMemory} events=r cmd=${c.lastCommand} user=${c.user} redir=${c.tracking ? c.tracking.redirect || -1 : -1} ` +
    `resp=${c.proto} lib-name=${c.libName} lib-ver=${c.libVer}`
  );
}

const clientDoc = (summary: string, args: ArgDoc[] = [], since = '2.4.0'): CommandDoc => ({
  summary,
  since,
  group: 'connection',
  complexity: 'O(1)',
  arguments: args,
});

const clientCmd = container(
  'client',
  { summary: 'A container for client connection commands.', since: '2.4.0', group: 'connection', complexity: 'Depends on subcommand.' },
  [],
  [
    cmd('client|id', 2, ['noscript', 'loading', 'stale'], ['@slow', '@connection'], clientDoc('Returns the unique client ID of the connection.', [], '5.0.0'), ({ conn }) => conn.id),
    cmd('client|getname', 2, ['noscript', 'loading', 'stale'], ['@slow', '@connection'], clientDoc('Returns the name of the connection.'), ({ conn }) => (conn.name === '' ? null : conn.name)),
    cmd(
      'client|setname',
      3,
      ['noscript', 'loading', 'stale'],
      ['@slow', '@connection'],
      clientDoc('Sets the connection name.', [arg('connection-name', 'string')]),
      ({ conn }, argv) => {
        const name = str(argv[2]);
        if (!validClientName(name)) return ERR_CLIENT_NAME;
        conn.name = name;
        return OK;
      },
    ),
    cmd(
      'client|setinfo',
      4,
      ['noscript', 'loading', 'stale'],
      ['@slow', '@connection'],
      clientDoc('Sets information specific to the client or connection.', [
        arg('attr', 'oneof', { arguments: [arg('libname', 'string', { token: 'LIB-NAME' }), arg('libver', 'string', { token: 'LIB-VER' })] }),
      ], '7.2.0'),
      ({ conn }, argv) => {
        const attr = lower(argv[2]);
        const value = str(argv[3]);
        if (!/^[\x21-\x7e]*$/.test(value)) {
          return new ErrorReply(`ERR ${attr} cannot contain spaces, newlines or special characters.`);
        }
        if (attr === 'lib-name') conn.libName = value;
        else if (attr === 'lib-ver') conn.libVer = value;
        else return new ErrorReply(`ERR Unrecognized option '${str(argv[2])}'`);
        return OK;
      },
    ),
    cmd(
      'client|list',
      -2,
      ['admin', 'noscript', 'loading', 'stale'],
      ['@admin', '@slow', '@dangerous', '@connection'],
      clientDoc('Lists open connections.', [
        arg('client-type', 'oneof', { token: 'TYPE', optional: true, arguments: [arg('normal', 'pure-token', { token: 'NORMAL' }), arg('master', 'pure-token', { token: 'MASTER' }), arg('replica', 'pure-token', { token: 'REPLICA' }), arg('pubsub', 'pure-token', { token: 'PUBSUB' })] }),
        arg('client-id', 'integer', { token: 'ID', optional: true, multiple: true }),
      ]),
      ({ server }, argv) => {
        let ids: Set<number> | undefined;
        let type: string | undefined;
        for (let i = 2; i < argv.length; i++) {
          const opt = lower(argv[i]);
          if (opt === 'type' && i + 1 < argv.length) {
            type = lower(argv[++i]);
            if (!['normal', 'master', 'replica', 'slave', 'pubsub'].includes(type)) {
              return new ErrorReply(`ERR Unknown client type '${str(argv[i])}'`);
            }
          } else if (opt === 'id' && i + 1 < argv.length) {
            ids = new Set();
            for (i++; i < argv.length; i++) {
              const id = parseSafeInt(argv[i]);
              if (id === undefined || id <= 0) return new ErrorReply('ERR Invalid client ID');
              ids.add(id);
            }
          } else return ERR_SYNTAX;
        }
        const now = Date.now();
        const lines: string[] = [];
        for (const c of server.clients.values()) {
          if (ids && !ids.has(c.id)) continue;
          if (type !== undefined && type !== (c.subscriptions > 0 ? 'pubsub' : 'normal')) continue;
          lines.push(clientInfoLine(c, now, server.blockedClients.isBlocked(c.id)) + '\n');
        }
        return new VerbatimReply('txt', lines.join(''));
      },
    ),
    cmd('client|info', 2, ['noscript', 'loading', 'stale'], ['@slow', '@connection'], clientDoc('Returns information about the connection.', [], '6.2.0'), ({ conn }) =>
      new VerbatimReply('txt', clientInfoLine(conn, Date.now()) + '\n'),
    ),
    cmd(
      'client|unblock',
      -3,
      ['admin', 'noscript', 'loading', 'stale'],
      ['@admin', '@slow', '@dangerous', '@connection'],
      clientDoc('Unblocks a client blocked by a blocking command from a different connection.', [
        arg('client-id', 'integer'),
        arg('unblock-type', 'oneof', { optional: true, arguments: [arg('timeout', 'pure-token', { token: 'TIMEOUT' }), arg('error', 'pure-token', { token: 'ERROR' })] }),
      ], '5.0.0'),
      ({ server }, argv) => {
        if (argv.length > 4) return ERR_SYNTAX;
        const id = parseSafeInt(argv[2]);
        if (id === undefined) return new ErrorReply('ERR value is not an integer or out of range');
        let withError = false;
        if (argv.length === 4) {
          const how = lower(argv[3]);
          if (how === 'error') withError = true;
          else if (how !== 'timeout') return new ErrorReply('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
        }
        return server.blockedClients.unblock(id, withError) ? 1 : 0;
      },
    ),
    cmd(
      'client|kill',
      -3,
      ['admin', 'noscript', 'loading', 'stale'],
      ['@admin', '@slow', '@dangerous', '@connection'],
      clientDoc('Terminates open connections.', [
        arg('filter', 'oneof', {
          arguments: [
            arg('ip:port', 'string'),
            arg('new-format', 'oneof', {
              multiple: true,
              arguments: [
                arg('client-id', 'integer', { token: 'ID', optional: true }),
                arg('addr', 'string', { token: 'ADDR', optional: true }),
                arg('laddr', 'string', { token: 'LADDR', optional: true }),
                arg('skipme', 'string', { token: 'SKIPME', optional: true }),
              ],
            }),
          ],
        }),
      ]),
      ({ conn, server }, argv) => {
        if (argv.length === 3) {
          const addr = str(argv[2]);
          for (const c of server.clients.values()) {
            if (c.addr === addr) {
              kill(c, conn);
              return OK;
            }
          }
          return new ErrorReply('ERR No such client');
        }
        if ((argv.length - 2) % 2 !== 0) return ERR_SYNTAX;
        let id: number | undefined;
        let addr: string | undefined;
        let laddr: string | undefined;
        let skipme = true;
        for (let i = 2; i < argv.length; i += 2) {
          const opt = lower(argv[i]);
          const v = str(argv[i + 1]);
          if (opt === 'id') {
            const n = parseSafeInt(argv[i + 1]);
            if (n === undefined || n <= 0) return new ErrorReply('ERR client-id should be greater than 0');
            id = n;
          } else if (opt === 'addr') addr = v;
          else if (opt === 'laddr') laddr = v;
          else if (opt === 'skipme') {
            if (v.toLowerCase() === 'yes') skipme = true;
            else if (v.toLowerCase() === 'no') skipme = false;
            else return ERR_SYNTAX;
          } else if (opt === 'type' || opt === 'user' || opt === 'maxage') {
            // Accepted for compatibility; every client here is a normal client of the default user.
          } else return ERR_SYNTAX;
        }
        let killed = 0;
        for (const c of server.clients.values()) {
          if (c.closing) continue; // already being killed
          if (id !== undefined && c.id !== id) continue;
          if (addr !== undefined && c.addr !== addr) continue;
          if (laddr !== undefined && c.laddr !== laddr) continue;
          if (skipme && c === conn) continue;
          kill(c, conn);
          killed++;
        }
        return killed;
      },
    ),
  ],
);

// ------------------------------------------------------------------ INFO etc.

const info = cmd(
  'info',
  -1,
  ['loading', 'stale'],
  ['@slow', '@dangerous'],
  { summary: 'Returns information and statistics about the server.', since: '1.0.0', group: 'server', complexity: 'O(1)', arguments: [arg('section', 'string', { optional: true, multiple: true })] },
  ({ server }, argv) => new VerbatimReply('txt', renderInfo(server, argv.slice(1).map(str))),
);

const time = cmd(
  'time',
  1,
  ['loading', 'stale', 'fast'],
  ['@fast'],
  { summary: 'Returns the server time.', since: '2.6.0', group: 'server', complexity: 'O(1)' },
  () => {
    const us = nowMicros();
    return [String(Math.floor(us / 1e6)), String(us % 1e6)];
  },
);

let monoOffsetUs = 0;
let lastTimeUs = 0;

/**
 * TIME's microseconds since the epoch: the wall clock (Date.now, whole ms)
 * refined by the monotonic clock, re-anchored whenever the two part by a
 * millisecond (the wall clock was set or slewed). Never lower than the last
 * answer, unless the wall clock went back by a second or more (as Redis's
 * gettimeofday would show). Adding hrtime's sub-millisecond digits to
 * Date.now() instead could go backwards within a millisecond.
 */
function nowMicros(): number {
  const mono = performance.now() * 1000;
  const wall = Date.now() * 1000;
  let us = Math.floor(mono + monoOffsetUs);
  if (us < wall || us >= wall + 1000) {
    monoOffsetUs = wall - mono;
    us = wall;
  }
  if (us < lastTimeUs && lastTimeUs - us < 1e6) us = lastTimeUs;
  lastTimeUs = us;
  return us;
}

const configCmd = container(
  'config',
  { summary: 'A container for server configuration commands.', since: '2.0.0', group: 'server', complexity: 'Depends on subcommand.' },
  [],
  [
    cmd(
      'config|get',
      -3,
      ['admin', 'noscript', 'loading', 'stale'],
      ['@admin', '@slow', '@dangerous'],
      { summary: 'Returns the effective values of configuration parameters.', since: '2.0.0', group: 'server', complexity: 'O(N) when N is the number of configuration parameters provided', arguments: [arg('parameter', 'string', { multiple: true })] },
      ({ server }, argv) => new MapReply(configGet(server.config, argv.slice(2)).map(([k, v]): [Reply, Reply] => [k, v])),
    ),
    cmd(
      'config|set',
      -4,
      ['admin', 'noscript', 'loading', 'stale'],
      ['@admin', '@slow', '@dangerous'],
      { summary: 'Sets configuration parameters in-flight.', since: '2.0.0', group: 'server', complexity: 'O(N) when N is the number of configuration parameters provided', arguments: [arg('data', 'block', { multiple: true, arguments: [arg('parameter', 'string'), arg('value', 'string')] })] },
      ({ server }, argv) => {
        const result = configSet(server.config, argv.slice(2));
        if ('error' in result) return new ErrorReply(result.error);
        if (result.changed.includes('loglevel')) server.log.level = pinoLevel(server.config.loglevel);
        applyEncodingOptions(server.config);
        return OK;
      },
    ),
    cmd(
      'config|resetstat',
      2,
      ['admin', 'noscript', 'loading', 'stale'],
      ['@admin', '@slow', '@dangerous'],
      { summary: 'Resets the server\'s statistics.', since: '2.0.0', group: 'server', complexity: 'O(1)' },
      ({ server }) => {
        server.stats.reset();
        server.metricsLatency?.byCommand.clear(); // as Redis resets latencystats
        latencyMonitor.resetHistograms(); // as Redis's resetCommandTableStats (ops)
        return OK;
      },
    ),
  ],
);

// ------------------------------------------------------------------ COMMAND

function commandSubs(getTable: () => Iterable<CommandDef>, findTop: (n: string) => CommandDef | undefined): ServerCommand[] {
  // COMMAND INFO / DOCS also take a subcommand's full name ('xinfo|stream'), as Redis's lookupCommandBySds.
  const find = (n: string): CommandDef | undefined => {
    const bar = n.indexOf('|');
    if (bar < 0) return findTop(n);
    const c = findTop(n.slice(0, bar));
    return c?.kind === 'container' ? c.subcommands.get(n.slice(bar + 1)) : undefined;
  };
  return [
    cmd('command|count', 2, ['loading', 'stale'], ['@slow', '@connection'], { summary: 'Returns a count of commands.', since: '2.8.13', group: 'server', complexity: 'O(1)' }, () => [...getTable()].length),
    cmd(
      'command|info',
      -2,
      ['loading', 'stale'],
      ['@slow', '@connection'],
      { summary: 'Returns information about one, multiple or all commands.', since: '2.8.13', group: 'server', complexity: 'O(N) where N is the number of commands to look up', arguments: [arg('command-name', 'string', { optional: true, multiple: true })] },
      (_ctx, argv) => {
        if (argv.length === 2) return [...getTable()].map(commandInfo);
        return argv.slice(2).map((n) => {
          const c = find(lower(n));
          return c ? commandInfo(c) : null;
        });
      },
    ),
    cmd(
      'command|docs',
      -2,
      ['loading', 'stale'],
      ['@slow', '@connection'],
      { summary: 'Returns documentary information about one, multiple or all commands.', since: '7.0.0', group: 'server', complexity: 'O(N) where N is the number of commands to look up', arguments: [arg('command-name', 'string', { optional: true, multiple: true })] },
      (_ctx, argv) => {
        const list = argv.length === 2 ? [...getTable()] : argv.slice(2).map((n) => find(lower(n))).filter((c): c is CommandDef => c !== undefined);
        return new MapReply(list.map((c): [Reply, Reply] => [c.name, commandDocs(c)]));
      },
    ),
    cmd(
      'command|list',
      -2,
      ['loading', 'stale'],
      ['@slow', '@connection'],
      { summary: 'Returns a list of command names.', since: '7.0.0', group: 'server', complexity: 'O(N) where N is the total number of Redis commands' },
      (_ctx, argv) => {
        // Redis lists each container's subcommands after it ('xinfo', 'xinfo|stream', ...), filtered alike.
        const all = [...getTable()].flatMap((c): CommandDef[] => (c.kind === 'container' ? [c, ...c.subcommands.values()] : [c]));
        if (argv.length === 2) return all.map((c) => c.name);
        if (argv.length === 5 && lower(argv[2]) === 'filterby') {
          const how = lower(argv[3]);
          const v = str(argv[4]);
          if (how === 'pattern') return all.filter((c) => globMatch(Buffer.from(v), Buffer.from(c.name), true)).map((c) => c.name);
          if (how === 'aclcat') return all.filter((c) => c.aclCategories.includes('@' + v.toLowerCase())).map((c) => c.name);
          if (how === 'module') return [];
        }
        return ERR_SYNTAX;
      },
    ),
  ];
}

// ---------------------------------------------------------------- persistence

/*
 * SAVE / BGSAVE / LASTSAVE. Every acknowledged write is already durable in the
 * Raft log; the "snapshot" is the durable keyspace copy that lets the log be
 * compacted (written about once a second anyway). SAVE writes it now and
 * compacts behind it (RAFT.COMPACT), so backup scripts that run BGSAVE then
 * wait for LASTSAVE to move keep working.
 */
const ERR_NO_STORAGE = new ErrorReply('ERR this node has no durable storage');

const persistDoc = (summary: string, since: string, args: ArgDoc[] = []): CommandDoc => ({ summary, since, group: 'server', complexity: 'O(N) where N is the total number of keys in all databases', arguments: args });

const save = cmd('save', 1, ['admin', 'noscript', 'no_multi'], ['@admin', '@slow', '@dangerous'], persistDoc('Synchronously saves the database(s) to disk.', '1.0.0'), ({ server }) => {
  const c = server.cluster;
  if (!c) return ERR_NO_STORAGE;
  return new DeferredReply((done) => {
    c.saveNow().then(
      () => done(OK),
      (err: Error) => done(new ErrorReply(`ERR ${err.message.replace(/[\r\n]/g, ' ')}`)),
    );
  });
});

const bgsave = cmd(
  'bgsave',
  -1,
  ['admin', 'noscript'],
  ['@admin', '@slow', '@dangerous'],
  persistDoc('Asynchronously saves the database(s) to disk.', '1.0.0', [arg('schedule', 'pure-token', { token: 'SCHEDULE', optional: true, since: '3.2.2' })]),
  ({ server }, argv) => {
    if (argv.length > 2 || (argv.length === 2 && lower(argv[1]) !== 'schedule')) return ERR_SYNTAX;
    const c = server.cluster;
    if (!c) return ERR_NO_STORAGE;
    if (c.persistence().saving) {
      if (argv.length === 1) return new ErrorReply('ERR Background save already in progress');
      c.scheduleSave();
      return new SimpleString('Background saving scheduled');
    }
    c.saveNow().catch(() => undefined); // the outcome shows in INFO persistence (rdb_last_bgsave_status)
    return new SimpleString('Background saving started');
  },
);

const lastsave = cmd('lastsave', 1, ['loading', 'stale', 'fast'], ['@admin', '@fast', '@dangerous'], persistDoc('Returns the Unix timestamp of the last successful save to disk.', '1.0.0'), ({ server }) => {
  const c = server.cluster;
  return Math.floor((c ? c.persistence().lastSaveMs : server.startedAt) / 1000);
});

// ---------------------------------------------------------------- role

/**
 * ROLE in Redis's shape: the leader is "master" with its followers (ip, port,
 * matched log index); a follower is "slave" of the leader, "connected" while
 * its link to the leader is up. Offsets are Raft log indexes.
 */
const role = cmd('role', 1, ['noscript', 'loading', 'stale', 'fast'], ['@admin', '@fast', '@dangerous'], { summary: 'Returns the replication role.', since: '2.8.12', group: 'server', complexity: 'O(1)' }, ({ server }) => {
  const c = server.cluster;
  if (!c) return [Buffer.from('master'), 0, []];
  const st = c.status();
  if (st.role === 'leader') {
    const followers = st.progress
      .filter((p) => p.id !== st.id)
      .map((p) => {
        const m = c.members.get(p.id);
        return [m?.host ?? '', String(m?.port ?? 0), String(p.match)];
      });
    return [Buffer.from('master'), st.commit, followers];
  }
  const leader = c.members.get(st.leader);
  const up = st.leader !== 0 && (c.transport?.stats().get(st.leader)?.connected ?? false);
  return [Buffer.from('slave'), leader?.host ?? '', leader?.port ?? 0, up ? 'connected' : 'connect', st.applied];
});

// ---------------------------------------------------------------- object

const objectDoc = (summary: string, since: string): CommandDoc => ({ summary, since, group: 'generic', complexity: 'O(1)', arguments: [arg('key', 'key')] });

function objectSub(name: string, summary: string, since: string, run: (value: Value) => Reply): ServerCommand {
  return {
    // Answered after this connection's earlier writes apply, like any read: a
    // pipelined `SET k v` + `OBJECT ENCODING k` must see the SET.
    ...cmd(`object|${name}`, 3, ['readonly'], ['@keyspace', '@read', '@slow'], objectDoc(summary, since), ({ conn, server }, argv) => {
      const db = conn.db;
      return new AfterWrites(() => {
        const v = server.keyspace.dbs[db].lookupRead(keyString(argv[2]), Date.now());
        return v === undefined ? null : run(v);
      });
    }),
    firstKey: 2,
    lastKey: 2,
    keyStep: 1,
  };
}

/**
 * OBJECT IDLETIME: seconds since *this node* last read the key for a client
 * or applied a write to it (a write's time is its entry's cluster time), as a
 * Redis replica answers for its own copy. Reads are not replicated, so each
 * node answers for the reads it served; a key not touched since this node
 * loaded it (restart, snapshot) is idle since the node started. OBJECT
 * itself does not touch the key (Redis's LOOKUP_NOTOUCH), nor do EXISTS,
 * TYPE and TTL.
 */
const objectIdletime: ServerCommand = {
  ...cmd('object|idletime', 3, ['readonly'], ['@keyspace', '@read', '@slow'], objectDoc('Returns the time since the last access to a Redis object.', '2.2.3'), ({ conn, server }, argv) => {
    const db = conn.db;
    return new AfterWrites(() => {
      const now = Date.now();
      const at = server.keyspace.dbs[db].accessedAt(keyString(argv[2]), now);
      if (at === undefined) return null;
      return Math.max(0, Math.floor((now - (at || server.startedAt)) / 1000));
    });
  }),
  firstKey: 2,
  lastKey: 2,
  keyStep: 1,
};

/** OBJECT ENCODING / REFCOUNT / FREQ / IDLETIME / HELP for string values, with Redis's answers where they apply. */
const objectCmd = container(
  'object',
  { summary: 'A container for object introspection commands.', since: '2.2.3', group: 'generic', complexity: 'Depends on subcommand.' },
  [],
  [
    objectSub('encoding', 'Returns the internal encoding of a Redis object.', '2.2.3', objectEncoding),
    objectSub('refcount', 'Returns the reference count of a value of a key.', '2.2.3', objectRefcount),
    // No LFU policy exists here, so FREQ answers what Redis answers without one.
    objectSub('freq', 'Returns the logarithmic access frequency counter of a Redis object.', '4.0.0', () => ERR_NO_LFU),
    objectIdletime,
    cmd('object|help', 2, ['loading', 'stale'], ['@keyspace', '@slow'], { summary: 'Returns helpful text about the different subcommands.', since: '6.2.0', group: 'generic', complexity: 'O(1)' }, () => OBJECT_HELP),
  ],
);

// ---------------------------------------------------------------- slowlog

const SLOWLOG_HELP = [
  'SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET [<count>]',
  '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
  '    Entries are made of:',
  '    id, timestamp, time in microseconds, arguments array, client IP and port,',
  '    client name',
  'LEN',
  '    Return the length of the slowlog.',
  'RESET',
  '    Reset the slowlog.',
  'HELP',
  '    Prints this help.',
].map((line) => new SimpleString(line));

const slowlogDoc = (summary: string, since: string, args: ArgDoc[] = []): CommandDoc => ({ summary, since, group: 'server', complexity: 'O(N) where N is the number of entries returned', arguments: args });

const slowlogCmd = container(
  'slowlog',
  { summary: 'A container for slow log commands.', since: '2.2.12', group: 'server', complexity: 'Depends on subcommand.' },
  [],
  [
    cmd('slowlog|get', -2, ['admin', 'loading', 'stale'], ['@admin', '@slow', '@dangerous'], slowlogDoc('Returns the slow log\'s entries.', '2.2.12', [arg('count', 'integer', { optional: true })]), ({ server }, argv) => {
      if (argv.length > 3) return new ErrorReply("ERR wrong number of arguments for 'slowlog|get' command");
      let count = 10;
      if (argv.length === 3) {
        const n = parseSafeInt(argv[2]);
        if (n === undefined) return ERR_NOT_INTEGER;
        if (n < -1) return new ErrorReply('ERR count should be greater than or equal to -1');
        count = n;
      }
      return server.slowlog.get(count).map((e) => [e.id, e.time, e.micros, e.argv, e.addr, e.name]);
    }),
    cmd('slowlog|len', 2, ['admin', 'loading', 'stale'], ['@admin', '@slow', '@dangerous'], slowlogDoc('Returns the number of entries in the slow log.', '2.2.12'), ({ server }) => server.slowlog.length),
    cmd('slowlog|reset', 2, ['admin', 'loading', 'stale'], ['@admin', '@slow', '@dangerous'], slowlogDoc('Clears all entries from the slow log.', '2.2.12'), ({ server }) => {
      server.slowlog.reset();
      return OK;
    }),
    cmd('slowlog|help', 2, ['loading', 'stale'], ['@slow'], slowlogDoc('Show helpful text about the different subcommands.', '6.2.0'), () => SLOWLOG_HELP),
  ],
);

// ---------------------------------------------------------------- memory

const memoryDoc = (summary: string, since: string, args: ArgDoc[] = []): CommandDoc => ({ summary, since, group: 'server', complexity: 'O(1)', arguments: args });

/** MEMORY: USAGE (redis-cli --memkeys relies on it), DOCTOR, MALLOC-STATS, PURGE; STATS and HELP come from memory-stats.ts. */
const memoryCmd = container(
  'memory',
  { summary: 'A container for memory diagnostics commands.', since: '4.0.0', group: 'server', complexity: 'Depends on subcommand.' },
  [],
  [
    {
      ...cmd(
        'memory|usage',
        -3,
        ['readonly'],
        ['@read', '@slow'],
        memoryDoc('Estimates the memory usage of a key.', '4.0.0', [arg('key', 'key'), arg('count', 'integer', { token: 'SAMPLES', optional: true })]),
        ({ conn, server }, argv) => {
          for (let j = 3; j < argv.length; j++) {
            if (lower(argv[j]) === 'samples' && j + 1 < argv.length) {
              const samples = parseSafeInt(argv[++j]);
              if (samples === undefined) return ERR_NOT_INTEGER;
              if (samples < 0) return ERR_SYNTAX;
            } else {
              return ERR_SYNTAX;
            }
          }
          // SAMPLES is accepted and changes nothing: every type keeps its size exactly.
          const db = conn.db;
          return new AfterWrites(() => server.keyspace.dbs[db].memoryUsage(keyString(argv[2]), Date.now()) ?? null);
        },
      ),
      firstKey: 2,
      lastKey: 2,
      keyStep: 1,
    },
    cmd('memory|doctor', 2, [], ['@slow'], memoryDoc('Outputs a memory problems report.', '4.0.0'), () =>
      Buffer.from("Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base."),
    ),
    cmd('memory|malloc-stats', 2, [], ['@slow'], memoryDoc('Returns the allocator statistics.', '4.0.0'), () =>
      Buffer.from('Stats not supported for the current allocator'),
    ),
    cmd('memory|purge', 2, [], ['@slow'], memoryDoc('Asks the allocator to release memory.', '4.0.0'), () => OK),
  ],
);

// ---------------------------------------------------------------- shutdown

/**
 * SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: stops this node the way
 * SIGTERM does (clients dropped, the keyspace copy written, storage closed).
 * Every acknowledged write is already durable, so SAVE/NOSAVE change nothing;
 * NOW/FORCE are accepted (there is no replica lag to wait for: followers
 * catch up from the log). The stop is immediate, so ABORT never finds one in
 * progress. As in Redis, success has no reply: the connection just closes.
 */
const shutdown = cmd(
  'shutdown',
  -1,
  ['admin', 'noscript', 'loading', 'stale', 'no_multi', 'allow_busy'],
  ['@admin', '@slow', '@dangerous'],
  {
    summary: 'Synchronously saves the database(s) to disk and shuts down the Redis server.',
    since: '1.0.0',
    group: 'server',
    complexity: 'O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)',
    arguments: [
      arg('save-selector', 'oneof', {
        optional: true,
        arguments: [arg('nosave', 'pure-token', { token: 'NOSAVE' }), arg('save', 'pure-token', { token: 'SAVE' })],
      }),
      arg('now', 'pure-token', { token: 'NOW', optional: true, since: '7.0.0' }),
      arg('force', 'pure-token', { token: 'FORCE', optional: true, since: '7.0.0' }),
      arg('abort', 'pure-token', { token: 'ABORT', optional: true, since: '7.0.0' }),
    ],
  },
  ({ server }, argv) => {
    let save = false;
    let nosave = false;
    let abort = false;
    for (const a of argv.slice(1)) {
      const opt = lower(a);
      if (opt === 'save') save = true;
      else if (opt === 'nosave') nosave = true;
      else if (opt === 'abort') abort = true;
      else if (opt !== 'now' && opt !== 'force') return ERR_SYNTAX;
    }
    if ((save && nosave) || (abort && argv.length > 2)) return ERR_SYNTAX;
    if (abort) return new ErrorReply('ERR No shutdown in progress.');
    if (!server.onShutdown) return new ErrorReply('ERR Errors trying to SHUTDOWN. Check logs.');
    // Drops every client, this one included, before its reply could be written.
    server.onShutdown();
    return OK;
  },
);

/** COMMAND with no subcommand lists everything, so it is a server command whose subcommands we route ourselves. */
function commandCommand(getTable: () => Iterable<CommandDef>, find: (n: string) => CommandDef | undefined): ContainerCommand {
  const c = container(
    'command',
    { summary: 'Returns detailed information about all commands.', since: '2.8.13', group: 'server', complexity: 'O(N) where N is the total number of Redis commands' },
    ['loading', 'stale'],
    commandSubs(getTable, find),
  );
  c.arity = -1;
  c.bare = () => [...getTable()].map(commandInfo);
  return c;
}

export function serverCommands(getTable: () => Iterable<CommandDef>, find: (n: string) => CommandDef | undefined): CommandDef[] {
  return [ping, echo, quit, auth, hello, reset, select, clientCmd, info, time, configCmd, memoryCmd, objectCmd, role, slowlogCmd, save, bgsave, lastsave, shutdown, commandCommand(getTable, find)];
}
