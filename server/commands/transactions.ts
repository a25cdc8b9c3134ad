import { ErrorReply, OK } from '../../protocol/reply';
import { keyString } from '../keyspace';
import type { ArgDoc, CommandDoc, CommandFlag } from './types';
import { AfterWrites, type ServerCommand } from './table';

/** MULTI, EXEC, DISCARD, WATCH, UNWATCH (Redis 7 semantics; EXEC is one log entry, see Server.exec). */

const ERR_WATCH_IN_MULTI = new ErrorReply('ERR WATCH inside MULTI is not allowed');

const doc = (summary: string, since: string, args: ArgDoc[] = [], complexity = 'O(1)'): CommandDoc => ({
  summary,
  since,
  group: 'transactions',
  complexity,
  arguments: args,
});

function cmd(name: string, arity: number, flags: CommandFlag[], d: CommandDoc, run: ServerCommand['run'], keys: [number, number, number] = [0, 0, 0]): ServerCommand {
  return { kind: 'server', name, arity, flags, firstKey: keys[0], lastKey: keys[1], keyStep: keys[2], aclCategories: ['@fast', '@transaction'], doc: d, run };
}

export function transactionCommands(): ServerCommand[] {
  return [
    cmd('multi', 1, ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], doc('Starts a transaction.', '1.2.0'), ({ conn }) => {
      if (conn.multi !== null) return new ErrorReply('ERR MULTI calls can not be nested');
      conn.multi = [];
      conn.multiFailed = false;
      return OK;
    }),
    cmd('exec', 1, ['noscript', 'loading', 'stale', 'skip_slowlog'], doc('Executes all commands in a transaction.', '1.2.0', [], 'Depends on commands in the transaction'), ({ conn, server }) => {
      if (conn.multi === null) return new ErrorReply('ERR EXEC without MULTI');
      return server.exec(conn);
    }),
    cmd('discard', 1, ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], doc('Discards a transaction.', '2.0.0', [], 'O(N), when N is the number of queued commands'), ({ conn }) => {
      if (conn.multi === null) return new ErrorReply('ERR DISCARD without MULTI');
      conn.multi = null;
      conn.multiFailed = false;
      conn.watches = [];
      return OK;
    }),
    cmd(
      'watch',
      -2,
      ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
      doc('Monitors changes to keys to determine the execution of a transaction.', '2.2.0', [{ name: 'key', type: 'key', multiple: true }], 'O(1) for every key.'),
      ({ conn, server }, argv) => {
        // Redis 7: refused inside MULTI, without failing the transaction.
        if (conn.multi !== null) return ERR_WATCH_IN_MULTI;
        const dbIndex = conn.db;
        const keys = argv.slice(1).map((k) => Buffer.from(k));
        // Versions as of this connection's earlier writes (they are applied first).
        return new AfterWrites(() => {
          const db = server.keyspace.dbs[dbIndex];
          const now = Date.now(); // read time, as GET uses
          for (const key of keys) {
            const k = keyString(key);
            if (db.rawEntry(k) === undefined) conn.watches.push({ db: dbIndex, key, version: server.fsm.appliedIndex, absent: true });
            else conn.watches.push({ db: dbIndex, key, version: db.version(k), expired: db.isStale(k, now) });
          }
          return OK;
        });
      },
      [1, -1, 1],
    ),
    cmd('unwatch', 1, ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], doc('Forgets about all watched keys.', '2.2.0'), ({ conn }) => {
      conn.watches = [];
      return OK;
    }),
  ];
}
