/**
 * Memory for encoded log entries (encodeOp). An entry's bytes live as long
 * as the Raft log keeps the entry in its in-memory cache — hundreds of
 * milliseconds under load — far longer than the small buffers of requests
 * and replies. Cut from Node's shared Buffer pool, each entry kept the 8 KB
 * pool it sat in alive, and with it the request bytes around it, into V8's
 * old generation: in a pipelined XADD fill the old generation's ArrayBuffer
 * memory grew by some 60 MB/s, past V8's 64 MB external-memory allowance
 * about every second, and each time V8 started a major GC's marking ("external
 * memory pressure") and did marking work inside whatever allocation came
 * next — 20-30 ms inside a 2-byte Buffer.allocUnsafe.
 * Entries are cut from chunks of their own instead: only entries' own bytes
 * outlive a young GC, and a chunk is freed once its entries are.
 */

import { ByteChunks } from './byte-chunks';

/** 64 KB chunks (a few hundred typical entries); entries of 8 KB or more get a buffer of their own. */
const entries = new ByteChunks(64 * 1024, 8 * 1024);

/** Uninitialized memory for an entry of `size` bytes (the caller writes all of it). */
export function entryBytes(size: number): Buffer {
  return entries.take(size);
}
