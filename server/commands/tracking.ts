/**
 * CLIENT TRACKING / CACHING / TRACKINGINFO / GETREDIR (Redis 6+ client-side
 * caching; the invalidation machinery is server/tracking.ts).
 */
import { ErrorReply, MapReply, OK, SetReply, type Reply } from '../../protocol/reply';
import { ERR_SYNTAX } from '../../protocol/errors';
import type { TrackingOptions } from '../tracking';
import { cmd } from './server';
import type { ServerCommand } from './table';
import { parseInt64 } from './util';

const str = (b: Buffer): string => b.toString('latin1');
const FLAGS: ServerCommand['flags'] = ['noscript', 'loading', 'stale'];
const ACL = ['@slow', '@connection'];

function doc(summary: string, since = '6.0.0') {
  return { summary, since, group: 'connection' as const, complexity: 'O(1)' };
}

function overlapping(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a);
}

export function trackingSubcommands(): ServerCommand[] {
  return [
    cmd('client|tracking', -3, FLAGS, ACL, doc('Controls server-assisted client-side caching for the connection.'), ({ conn, server }, argv) => {
      const mode = str(argv[2]).toLowerCase();
      if (mode !== 'on' && mode !== 'off') return ERR_SYNTAX;
      let redirect = 0;
      let bcast = false;
      let optin = false;
      let optout = false;
      let noloop = false;
      const prefixes: string[] = [];
      for (let i = 3; i < argv.length; i++) {
        const opt = str(argv[i]).toLowerCase();
        const more = argv.length - i - 1;
        if (opt === 'redirect' && more >= 1) {
          const id = parseInt64(argv[++i]);
          if (typeof id !== 'number') return new ErrorReply('ERR value is not an integer or out of range');
          if (id !== conn.id && !server.clients.has(id)) return new ErrorReply('ERR The client ID you want redirect to does not exist');
          redirect = id;
        } else if (opt === 'bcast') bcast = true;
        else if (opt === 'optin') optin = true;
        else if (opt === 'optout') optout = true;
        else if (opt === 'noloop') noloop = true;
        else if (opt === 'prefix' && more >= 1) prefixes.push(str(argv[++i]));
        else return ERR_SYNTAX;
      }
      if (mode === 'off') {
        server.tracking.disable(conn);
        return OK;
      }
      if (!bcast && prefixes.length > 0) return new ErrorReply('ERR PREFIX option requires BCAST mode to be enabled');
      const cur = conn.tracking;
      if (cur !== undefined && cur.bcast !== bcast) {
        return new ErrorReply("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.");
      }
      if (optin && optout) return new ErrorReply("ERR You can't specify both OPTIN mode and OPTOUT mode");
      if (cur !== undefined && ((optin && cur.optout) || (optout && cur.optin))) {
        return new ErrorReply("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.");
      }
      if (bcast && (optin || optout)) return new ErrorReply('ERR OPTIN and OPTOUT are not compatible with BCAST');
      const existing = cur?.prefixes ?? [];
      for (let i = 0; i < prefixes.length; i++) {
        for (const p of existing) {
          if (p !== prefixes[i] && overlapping(p, prefixes[i])) {
            return new ErrorReply(`ERR Prefix '${prefixes[i]}' overlaps with an existing prefix '${p}'. Prefixes for a single client must not overlap.`);
          }
        }
        for (let j = i + 1; j < prefixes.length; j++) {
          if (prefixes[i] !== prefixes[j] && overlapping(prefixes[i], prefixes[j])) {
            return new ErrorReply(`ERR Prefix '${prefixes[i]}' overlaps with another provided prefix '${prefixes[j]}'. Prefixes for a single client must not overlap.`);
          }
        }
      }
      const merged = [...existing];
      for (const p of prefixes) if (!merged.includes(p)) merged.push(p);
      const opts: TrackingOptions = { redirect, bcast, prefixes: merged, optin: optin || (cur?.optin ?? false), optout: optout || (cur?.optout ?? false), noloop };
      server.tracking.enable(conn, opts);
      return OK;
    }),
    cmd('client|caching', 3, FLAGS, ACL, doc('Instructs the server whether to track the keys in the next request.'), ({ conn }, argv) => {
      const t = conn.tracking;
      if (t === undefined || (!t.optin && !t.optout)) {
        return new ErrorReply('ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled');
      }
      const v = str(argv[2]).toLowerCase();
      if (v === 'yes') {
        if (!t.optin) return new ErrorReply('ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.');
        conn.cachingNext = 'yes';
      } else if (v === 'no') {
        if (!t.optout) return new ErrorReply('ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.');
        conn.cachingNext = 'no';
      } else return ERR_SYNTAX;
      return OK;
    }),
    cmd('client|trackinginfo', 2, FLAGS, ACL, doc('Returns information about server-assisted client-side caching for the connection.', '6.2.0'), ({ conn, server }) => {
      const t = conn.tracking;
      const flags: Reply[] = [];
      if (t === undefined) flags.push('off');
      else {
        flags.push('on');
        if (t.bcast) flags.push('bcast');
        if (t.optin) flags.push('optin');
        if (t.optout) flags.push('optout');
        if (conn.cachingNext === 'yes') flags.push('caching-yes');
        if (conn.cachingNext === 'no') flags.push('caching-no');
        if (t.noloop) flags.push('noloop');
        if (t.redirect !== 0 && !server.clients.has(t.redirect)) flags.push('broken_redirect');
      }
      return new MapReply([
        ['flags', new SetReply(flags)],
        ['redirect', t === undefined ? -1 : t.redirect],
        ['prefixes', (t?.prefixes ?? []).map((p) => Buffer.from(p, 'latin1'))],
      ]);
    }),
    cmd('client|getredir', 2, FLAGS, ACL, doc('Returns the client ID to which the connection\'s tracking notifications are redirected.', '6.0.0'), ({ conn }) =>
      conn.tracking === undefined ? -1 : conn.tracking.redirect,
    ),
  ];
}
