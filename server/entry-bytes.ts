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

/** Bytes per chunk: a few hundred typical entries. */
const CHUNK_BYTES = 64 * 1024;
/** Entries this large get a buffer of their own (they would waste a chunk's tail). */
const OWN_BUFFER_FROM = 8 * 1024;

let chunk: Buffer = Buffer.allocUnsafeSlow(0);
let used = 0;

/** Uninitialized memory for an entry of `size` bytes (the caller writes all of it). */
export function entryBytes(size: number): Buffer {
  if (size >= OWN_BUFFER_FROM) return Buffer.allocUnsafeSlow(size);
  if (used + size > chunk.length) {
    chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
    used = 0;
  }
  const b = chunk.subarray(used, used + size);
  // 8-byte aligned starts, as Node's pool (typed-array views over the bytes need alignment).
  used = (used + size + 7) & ~7;
  return b;
}
