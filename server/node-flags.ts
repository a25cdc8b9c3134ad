/**
 * Node options a raftcache server process is started with (the launcher,
 * the test harnesses, the benchmarks and the Docker image's entrypoint all
 * pass them on node's command line).
 *
 * `--v8-pool-size=0`: V8's background GC threads are sized to the machine
 * (CPUs - 1, at least 1) instead of Node's fixed 4. On a 2-CPU machine four
 * GC helpers plus the event loop, LMDB's writer and the fsync threads are
 * more runnable threads than CPUs, and the parallel phases of a garbage
 * collection wait for helpers the kernel has descheduled: a 10-million-entry
 * XADD fill (bench/streams.ts --fill) had 6-9 event-loop stalls of 20-57 ms
 * with four helpers and none with one (docs/operations.md, "GC threads").
 *
 * `--max-semi-space-size=8`: V8's young generation stops growing at 8 MB per
 * semi-space instead of 16. A young-generation GC's pause is its survivors
 * (writes in flight), which stay the same, so pauses do not grow, but a
 * Mark-Compact also evacuates the young generation, and with half of it its
 * pauses dropped from 7-18 ms to 5-6 ms; the same 10M XADD fill went from a
 * few stalls of 20-28 ms (and 5-13 of 15 ms or more) to none of 20 ms and 0-2
 * of 15 ms, at the same throughput (docs/operations.md, "Young generation").
 *
 * `--no-memory-reducer`: V8 otherwise runs a memory-reducing full GC some
 * seconds after the process goes quiet, compacting the whole old generation
 * in one pause: 36-196 ms after a 10M-entry fill, felt by the first client to
 * arrive and by the Raft heartbeats (docs/operations.md, "Memory reducer"). A
 * cache bounded by maxmemory gains little from handing heap pages back while
 * idle. V8 takes it on the command line only (not NODE_OPTIONS, and
 * v8.setFlagsFromString after startup does not stop it).
 */
export const SERVER_NODE_OPTIONS: readonly string[] = ['--v8-pool-size=0', '--max-semi-space-size=8', '--no-memory-reducer'];

/** How the warnings below say to start a server. */
const START_HINT = `start the server with \`node ${SERVER_NODE_OPTIONS.join(' ')} ...\``;

/** Whether this process was started with a V8 pool size (argument or NODE_OPTIONS). */
export function poolSizeChosen(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  const given = (a: string) => a === '--v8-pool-size' || a.startsWith('--v8-pool-size=');
  return execArgv.some(given) || (nodeOptions ?? '').split(/\s+/).some(given);
}

/**
 * A warning for an operator who started the server without the options above
 * on a machine where it matters (Node's 4 GC helpers outnumber the spare
 * CPUs), or null.
 */
export function poolSizeWarning(execArgv: readonly string[], nodeOptions: string | undefined, cpus: number): string | null {
  if (poolSizeChosen(execArgv, nodeOptions) || cpus > 4) return null;
  return `node runs 4 V8 GC helper threads on this ${cpus}-CPU machine, which can stall the event loop for tens of ms during collections; ${START_HINT}`;
}

/** A warning for a server started without --no-memory-reducer (it can only be given on node's command line), or null. */
export function memoryReducerWarning(execArgv: readonly string[]): string | null {
  if (execArgv.includes('--no-memory-reducer')) return null;
  return `V8's memory reducer is on: some seconds after the server goes quiet a full GC compacts the heap in one pause (tens to hundreds of ms with a large data set); ${START_HINT}`;
}
