import { DoubleReply, MapReply, SimpleString, type Reply } from '../../protocol/reply';
import type { Server } from '../server';
import { serverCmd } from './ops-cmd';
import type { ServerCommand } from './table';

/*
 * MEMORY STATS in Redis 7's field order and shape (object.c
 * getMemoryOverheadData). Figures are this server's where it has them:
 * total.allocated is INFO's used_memory (the data set as maxmemory counts
 * it, with its per-key costs), clients.normal the clients' buffers,
 * lua.caches the script cache, keys.count the keys; the allocator figures
 * are V8's heap (used, total) and the process RSS. What has no counterpart
 * here is 0: startup memory (not part of used_memory), the replication
 * backlog and AOF buffer (the Raft log is on disk), hash-table overheads
 * (already inside each key's cost).
 */

/** The highest total.allocated seen by MEMORY STATS (Redis tracks it on every allocation; we at each look). */
let peakSeen = 0;

/** Redis computes the ratios in single-precision floats and prints them as doubles. */
const float = (v: number): DoubleReply => new DoubleReply(Math.fround(v));

export function memoryStats(server: Server): Reply {
  const ks = server.keyspace;
  const total = ks.usedBytes;
  peakSeen = Math.max(peakSeen, total);
  const startup = 0;
  let clients = 0;
  for (const c of server.clients.values()) clients += c.totalMemory;
  const lua = ks.scriptBytes;
  const entries: Array<[Reply, Reply]> = [
    ['peak.allocated', peakSeen],
    ['total.allocated', total],
    ['startup.allocated', startup],
    ['replication.backlog', 0],
    ['clients.slaves', 0],
    ['clients.normal', clients],
    ['cluster.links', 0],
    ['aof.buffer', 0],
    ['lua.caches', lua],
    ['functions.caches', 0],
  ];
  let keys = 0;
  ks.dbs.forEach((db, i) => {
    const n = db.size();
    if (n === 0) return;
    keys += n;
    entries.push([`db.${i}`, new MapReply([['overhead.hashtable.main', 0], ['overhead.hashtable.expires', 0], ['overhead.hashtable.slot-to-keys', 0]])]);
  });
  const overhead = startup + clients + lua;
  const net = total - startup;
  const dataset = Math.max(0, total - overhead);
  const mem = process.memoryUsage();
  const allocated = mem.heapUsed;
  const active = mem.heapTotal;
  const resident = mem.rss;
  entries.push(
    ['overhead.total', overhead],
    ['keys.count', keys],
    ['keys.bytes-per-key', keys > 0 ? Math.floor(net / keys) : 0],
    ['dataset.bytes', dataset],
    ['dataset.percentage', float(net > 0 ? (dataset * 100) / net : 0)],
    ['peak.percentage', float(peakSeen > 0 ? (total * 100) / peakSeen : 0)],
    ['allocator.allocated', allocated],
    ['allocator.active', active],
    ['allocator.resident', resident],
    ['allocator-fragmentation.ratio', float(allocated > 0 ? active / allocated : 0)],
    ['allocator-fragmentation.bytes', active - allocated],
    ['allocator-rss.ratio', float(active > 0 ? resident / active : 0)],
    ['allocator-rss.bytes', resident - active],
    ['rss-overhead.ratio', float(1)],
    ['rss-overhead.bytes', 0],
    ['fragmentation', float(total > 0 ? resident / total : 0)],
    ['fragmentation.bytes', resident - total],
  );
  return new MapReply(entries);
}

const HELP = [
  'MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DOCTOR',
  '    Return memory problems reports.',
  'MALLOC-STATS',
  '    Return internal statistics report from the memory allocator.',
  'PURGE',
  '    Attempt to purge dirty pages for reclamation by the allocator.',
  'STATS',
  '    Return information about the memory usage of the server.',
  'USAGE <key> [SAMPLES <count>]',
  '    Return memory in bytes used by <key> and its value. Nested values are',
  '    sampled up to <count> times (default: 5, 0 means sample all).',
  'HELP',
  '    Prints this help.',
].map((l) => new SimpleString(l));

/** MEMORY STATS, and MEMORY HELP with it listed (Redis's text). */
export function memorySubcommands(): ServerCommand[] {
  return [
    serverCmd('memory|stats', 2, [], ['@slow'], { summary: 'Show memory usage details', since: '4.0.0', group: 'server', complexity: 'O(1)' }, ({ server }) => memoryStats(server)),
    serverCmd('memory|help', 2, ['loading', 'stale'], ['@slow'], { summary: 'Returns helpful text about the different subcommands.', since: '4.0.0', group: 'server', complexity: 'O(1)' }, () => HELP),
  ];
}
