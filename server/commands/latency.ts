import { ErrorReply, MapReply, SimpleString, VerbatimReply, type Reply } from '../../protocol/reply';
import { latencyMonitor, type LatencyMonitor } from '../latency';
import type { Server } from '../server';
import { docArg, serverCmd } from './ops-cmd';
import { container, type CommandDef, type ContainerCommand, type ServerCommand } from './table';

/*
 * LATENCY LATEST / HISTORY / RESET / GRAPH / DOCTOR / HISTOGRAM / HELP in
 * Redis 7's shapes (latency.c). The samples come from server/latency.ts.
 */

const HELP = [
  'LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DOCTOR',
  '    Return a human readable latency analysis report.',
  'GRAPH <event>',
  '    Return an ASCII latency graph for the <event> class.',
  'HISTORY <event>',
  '    Return time-latency samples for the <event> class.',
  'LATEST',
  '    Return the latest latency samples for all events.',
  'RESET [<event> ...]',
  '    Reset latency data of one or more <event> classes.',
  '    (default: reset all data for all event classes)',
  'HISTOGRAM [COMMAND ...]',
  '    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.',
  '    If no commands are specified then all histograms are replied.',
  'HELP',
  '    Prints this help.',
].map((l) => new SimpleString(l));

const GRAPH_COLS = 80;
const CHARSET_FILL = '_o#';

/** Redis's sparkline (sparkline.c) with fill, 4 rows, labels under the columns. */
function sparkline(samples: Array<{ value: number; label: string }>, rows: number): string {
  let out = '';
  if (samples.length === 0) return out;
  const min = Math.min(...samples.map((s) => s.value));
  const max = Math.max(...samples.map((s) => s.value));
  let relmax = max - min;
  if (relmax === 0) relmax = 1;
  const steps = CHARSET_FILL.length * rows;
  for (let offset = 0; offset < samples.length; offset += GRAPH_COLS) {
    if (offset !== 0) out += '\n';
    const range = samples.slice(offset, offset + GRAPH_COLS);
    for (let row = 0; ; row++) {
      let loop = false;
      const chars = new Array<string>(range.length).fill(' ');
      for (let j = 0; j < range.length; j++) {
        const s = range[j];
        let step = Math.trunc(Math.trunc((s.value - min) * steps) / relmax);
        if (step < 0) step = 0;
        if (step >= steps) step = steps - 1;
        if (row < rows) {
          loop = true;
          const idx = step - (rows - row - 1) * CHARSET_FILL.length;
          if (idx >= 0 && idx < CHARSET_FILL.length) chars[j] = CHARSET_FILL[idx];
          else if (idx >= CHARSET_FILL.length) chars[j] = '|';
        } else {
          if (row - rows < 1) {
            loop = true; // one blank line between the graph and its labels
            break;
          }
          const at = row - rows - 1;
          if (s.label.length > at) {
            loop = true;
            chars[j] = s.label[at];
          }
        }
      }
      if (!loop) break;
      out += chars.join('') + '\n';
    }
  }
  return out;
}

function ago(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

function graph(m: LatencyMonitor, event: string): Reply {
  const ts = m.series(event);
  if (ts === undefined) return new ErrorReply(`ERR No samples available for event '${event}'`);
  const now = Math.floor(m.now() / 1000);
  const values = ts.samples.map((s) => s.ms);
  const head = `${event} - high ${Math.max(...values)} ms, low ${Math.min(...values)} ms (all time high ${ts.max} ms)\n${'-'.repeat(GRAPH_COLS)}\n`;
  return new VerbatimReply('txt', head + sparkline(ts.samples.map((s) => ({ value: s.ms, label: ago(now - s.time) })), 4));
}

/** Advice per kind of event, in the spirit of Redis's (its own events: slow log, big objects; ours: disk and loop). */
function doctor(m: LatencyMonitor, server: Server): string {
  const events = m.eventNames();
  if (events.length === 0) {
    if (m.threshold() === 0) {
      return 'I\'m sorry, Dave, I can\'t do that. Latency monitoring is disabled in this Redis instance. You may use "CONFIG SET latency-monitor-threshold <milliseconds>." in order to enable it. If we weren\'t in a deep space mission I\'d suggest to take a look at https://redis.io/topics/latency-monitor.\n';
    }
    return 'Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n';
  }
  const now = Math.floor(m.now() / 1000);
  let report = "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";
  const advice = new Set<string>();
  const slowlogUs = server.config['slowlog-log-slower-than'];
  events.forEach((event, i) => {
    const ts = m.series(event)!;
    const n = ts.samples.length;
    const avg = Math.floor(ts.samples.reduce((a, s) => a + s.ms, 0) / n);
    const mad = Math.floor(ts.samples.reduce((a, s) => a + Math.abs(s.ms - avg), 0) / n);
    const period = Math.max(1, now - ts.samples[0].time);
    report += `${i + 1}. ${event}: ${n} latency spikes (average ${avg}ms, mean deviation ${mad}ms, period ${(period / n).toFixed(2)} sec). Worst all time event ${ts.max}ms.\n`;
    if (event === 'command' || event === 'fast-command') {
      if (slowlogUs < 0) advice.add("- The system slow log is disabled, and this is not a good idea. Please use 'CONFIG SET slowlog-log-slower-than 10000' in order to enable it.");
      else if (slowlogUs / 1000 > m.threshold()) {
        advice.add(`- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than ${m.threshold() * 1000}'.`);
      }
      advice.add('- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.');
      if (event === 'command') {
        advice.add('- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.');
      }
    } else if (event === 'raft-log-sync') {
      advice.add('- The Raft log waits for the disk before acknowledging writes: slow fdatasync calls point at a slow or busy disk. Consider faster storage, or (accepting its risk) the `sync` option.');
    } else if (event === 'keyspace-copy-flush') {
      advice.add('- Writing the durable keyspace copy was slow: many keys changed between flushes, or the disk is slow.');
    } else if (event === 'event-loop-stall') {
      advice.add('- The event loop was blocked (a huge command, a big script, GC pauses, or a starved CPU). Stalls near the election timeout cost heartbeats and may cause elections.');
    } else if (event === 'event-loop-cpu-wait') {
      advice.add('- Part of the event-loop stalls was spent waiting for a CPU: other processes or too few CPUs for this server (its event loop, GC helpers, LMDB and fsync threads). Compare LATENCY HISTORY event-loop-cpu-wait with event-loop-stall for the same seconds.');
    }
  });
  report += '\nI have a few advices for you:\n\n' + [...advice].join('\n') + '\n';
  return report;
}

/** LATENCY HISTOGRAM's reply for the named commands (a container stands for its subcommands). */
function histogram(m: LatencyMonitor, find: (n: string) => CommandDef | undefined, names: Buffer[] | undefined): Reply {
  const entry = (name: string): [Reply, Reply] | undefined => {
    const h = m.histograms.get(name);
    if (h === undefined || h.calls === 0) return undefined;
    return [name, new MapReply([['calls', h.calls], ['histogram_usec', new MapReply(h.cdf())]])];
  };
  const out: Array<[Reply, Reply]> = [];
  if (names === undefined || names.length === 0) {
    for (const name of m.histograms.keys()) {
      const e = entry(name);
      if (e) out.push(e);
    }
    return new MapReply(out);
  }
  const seen = new Set<string>();
  for (const n of names) {
    const name = n.toString('latin1').toLowerCase();
    const [base, sub] = name.split('|', 2);
    const def = find(base);
    if (def === undefined) continue;
    const wanted: string[] = [];
    if (sub !== undefined) {
      if (def.kind === 'container' && def.subcommands.has(sub)) wanted.push(`${base}|${sub}`);
    } else {
      wanted.push(def.name);
      if (def.kind === 'container') for (const s of def.subcommands.values()) wanted.push(s.name);
    }
    for (const w of wanted) {
      if (seen.has(w)) continue;
      const e = entry(w);
      if (e) {
        seen.add(w);
        out.push(e);
      }
    }
  }
  return new MapReply(out);
}

const doc = (summary: string, since: string, complexity: string, args = [] as ReturnType<typeof docArg>[]) => ({ summary, since, group: 'server' as const, complexity, arguments: args });
const ADMIN = ['admin', 'noscript', 'loading', 'stale'] as const;
const ADMIN_ACL = ['@admin', '@slow', '@dangerous'];

export function latencyCommand(find: (n: string) => CommandDef | undefined): ContainerCommand {
  const m = latencyMonitor;
  const subs: ServerCommand[] = [
    serverCmd('latency|latest', 2, [...ADMIN], ADMIN_ACL, doc('Return the latest latency samples for all events.', '2.8.13', 'O(1)'), () =>
      m.eventNames().map((e) => {
        const ts = m.series(e)!;
        const last = ts.samples[ts.samples.length - 1];
        return [e, last.time, last.ms, ts.max];
      }),
    ),
    serverCmd('latency|history', 3, [...ADMIN], ADMIN_ACL, doc('Return timestamp-latency samples for the event.', '2.8.13', 'O(1)', [docArg('event', 'string')]), (_c, argv) => {
      const ts = m.series(argv[2].toString('latin1'));
      return ts === undefined ? [] : ts.samples.map((s) => [s.time, s.ms]);
    }),
    serverCmd('latency|reset', -2, [...ADMIN], ADMIN_ACL, doc('Reset latency data for one or more events.', '2.8.13', 'O(1)', [docArg('event', 'string', { optional: true, multiple: true })]), (_c, argv) =>
      m.reset(argv.length === 2 ? undefined : argv.slice(2).map((a) => a.toString('latin1'))),
    ),
    serverCmd('latency|graph', 3, [...ADMIN], ADMIN_ACL, doc('Return a latency graph for the event.', '2.8.13', 'O(1)', [docArg('event', 'string')]), (_c, argv) =>
      graph(m, argv[2].toString('latin1')),
    ),
    serverCmd('latency|doctor', 2, [...ADMIN], ADMIN_ACL, doc('Return a human readable latency analysis report.', '2.8.13', 'O(1)'), ({ server }) =>
      new VerbatimReply('txt', doctor(m, server)),
    ),
    serverCmd(
      'latency|histogram',
      -2,
      [...ADMIN],
      ADMIN_ACL,
      doc('Return the cumulative distribution of latencies of a subset of commands or all commands.', '7.0.0', 'O(N) where N is the number of commands with latency information being retrieved.', [
        docArg('command', 'string', { optional: true, multiple: true }),
      ]),
      (_c, argv) => histogram(m, find, argv.length > 2 ? argv.slice(2) : undefined),
    ),
    serverCmd('latency|help', 2, ['loading', 'stale'], ['@slow'], doc('Show helpful text about the different subcommands.', '2.8.13', 'O(1)'), () => HELP),
  ];
  return container('latency', { summary: 'A container for latency diagnostics commands.', since: '2.8.13', group: 'server', complexity: 'Depends on subcommand.' }, [], subs);
}
