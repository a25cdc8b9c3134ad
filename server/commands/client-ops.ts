import { ErrorReply, OK, type Reply } from '../../protocol/reply';
import { ERR_SYNTAX } from '../../protocol/errors';
import type { ClientConnection } from '../connection';
import type { Server } from '../server';
import { docArg, serverCmd } from './ops-cmd';
import type { ServerCommand } from './table';
import { parseInt64 } from './util';

/*
 * CLIENT PAUSE / UNPAUSE (server/client-pause.ts), CLIENT NO-EVICT and
 * CLIENT REPLY (connection.ts mutes the replies), with Redis 7's errors.
 */

/** CLIENT NO-EVICT: remembered per connection. No client memory eviction (maxmemory-clients) exists here to exempt them from. */
const noEvict = new WeakSet<ClientConnection>();

export function isNoEvict(conn: ClientConnection): boolean {
  return noEvict.has(conn);
}

/** RESET's part for these modes: CLIENT REPLY ON, NO-EVICT off, out of MONITOR (Redis's clearClientConnectionState). */
export function resetOpsState(conn: ClientConnection, server: Server): void {
  conn.replyOff = false;
  conn.replySkip = 'none';
  conn.muteCurrent = false;
  noEvict.delete(conn);
  server.monitor.drop(conn);
}

const token = (name: string) => docArg(name.toLowerCase(), 'pure-token', { token: name });
const ADMIN = ['admin', 'noscript', 'loading', 'stale'] as const;
const ADMIN_ACL = ['@admin', '@slow', '@dangerous', '@connection'];
const doc = (summary: string, since: string, complexity: string, args: ReturnType<typeof docArg>[] = []) => ({ summary, since, group: 'connection' as const, complexity, arguments: args });

function pause(argv: Buffer[], server: Server): Reply {
  const ms = parseInt64(argv[2]);
  if (ms === null) return new ErrorReply('ERR timeout is not an integer or out of range');
  if (ms < 0) return new ErrorReply('ERR timeout is negative');
  let mode: 'write' | 'all' = 'all';
  if (argv.length === 4) {
    const m = argv[3].toString('latin1').toLowerCase();
    if (m === 'write') mode = 'write';
    else if (m !== 'all') return new ErrorReply('ERR CLIENT PAUSE mode must be WRITE or ALL');
  } else if (argv.length > 4) {
    return new ErrorReply("ERR unknown subcommand or wrong number of arguments for 'pause'. Try CLIENT HELP.");
  }
  server.clientPause.pause(Math.min(Number(ms), 2 ** 31 - 1), mode, Date.now());
  return OK;
}

export function clientOpsSubcommands(): ServerCommand[] {
  return [
    serverCmd(
      'client|pause',
      -3,
      [...ADMIN],
      ADMIN_ACL,
      doc('Stop processing commands from clients for some time', '2.9.50', 'O(1)', [
        docArg('timeout', 'integer'),
        docArg('mode', 'oneof', { since: '6.2.0', optional: true, arguments: [token('WRITE'), token('ALL')] }),
      ]),
      ({ server }, argv) => pause(argv, server),
    ),
    serverCmd('client|unpause', 2, [...ADMIN], ADMIN_ACL, doc('Resume processing of clients that were paused', '6.2.0', 'O(N) Where N is the number of paused clients'), ({ server }) => {
      server.clientPause.unpause();
      return OK;
    }),
    serverCmd(
      'client|no-evict',
      3,
      [...ADMIN],
      ADMIN_ACL,
      doc('Set client eviction mode for the current connection', '7.0.0', 'O(1)', [docArg('enabled', 'oneof', { arguments: [token('ON'), token('OFF')] })]),
      ({ conn }, argv) => {
        const v = argv[2].toString('latin1').toLowerCase();
        if (v === 'on') noEvict.add(conn);
        else if (v === 'off') noEvict.delete(conn);
        else return ERR_SYNTAX;
        return OK;
      },
    ),
    serverCmd(
      'client|reply',
      3,
      ['noscript', 'loading', 'stale'],
      ['@slow', '@connection'],
      doc('Instruct the server whether to reply to commands', '3.2.0', 'O(1)', [docArg('on_off_skip', 'oneof', { arguments: [token('ON'), token('OFF'), token('SKIP')] })]),
      ({ conn }, argv) => {
        const v = argv[2].toString('latin1').toLowerCase();
        if (v === 'on') {
          conn.replyOff = false;
          conn.replySkip = 'none';
          conn.muteCurrent = false; // ON's own OK is written
          return OK;
        }
        if (v === 'off') {
          conn.replyOff = true;
          conn.muteCurrent = true;
          return OK;
        }
        if (v === 'skip') {
          if (!conn.replyOff) conn.replySkip = 'next';
          conn.muteCurrent = true;
          return OK;
        }
        return ERR_SYNTAX;
      },
    ),
  ];
}
