import { OK } from '../../protocol/reply';
import { serverCmd } from './ops-cmd';
import { Replies, type ServerCommand } from './table';

/** MONITOR: +OK, then the feed (server/monitor.ts). Sent again it answers nothing, as Redis. */
export function monitorCommand(): ServerCommand {
  return serverCmd(
    'monitor',
    1,
    ['admin', 'noscript', 'loading', 'stale'],
    ['@admin', '@slow', '@dangerous'],
    { summary: 'Listen for all requests received by the server in real time', since: '1.0.0', group: 'server' },
    ({ conn, server }) => {
      if (server.monitor.has(conn)) return new Replies([]);
      server.monitor.add(conn);
      return OK;
    },
  );
}
