/**
 * Memory for stream blocks, so that a stream of millions of entries is held
 * in a few thousand ArrayBuffers instead of one (or several) per block.
 *
 * Why: V8 tracks every ArrayBuffer separately and walks that list at every
 * garbage collection; node's allocUnsafeSlow also counts each one as external
 * memory, which schedules collections. With 100,000 blocks of their own a
 * single allocation could wait 40-60 ms, and a pipelined XADD fill of a
 * 10-million-entry stream stalled the event loop for over a second.
 *
 * - Sealed (full) blocks never grow again: their bytes are copied into 256 KiB
 *   slabs, one after another. A slab is freed by the garbage collector once
 *   no block in it is referenced, which is how streams shrink (trimming drops
 *   the oldest blocks, which were sealed together).
 * - The open block of a stream grows in buffers from node's shared pool
 *   (Buffer.allocUnsafe below 4 KiB), which are cut from 8 KiB ArrayBuffers.
 *   Its old buffers are never reused: a reply being written may still hold
 *   views of them.
 */
import { ByteChunks } from '../byte-chunks';

/** Sealed blocks share 256 KiB slabs; larger ones (one huge entry, over 16 KiB) get an ArrayBuffer of their own. */
const slabs = new ByteChunks(256 * 1024, 16 * 1024 + 1);
/** Node's pool serves allocUnsafe below half its 8 KiB size. */
const POOLED_MAX = 4095;

/** A copy of `src[0, length)` that will not grow again. */
export function sealedCopy(src: Buffer, length: number): Buffer {
  const out = slabs.take(length);
  src.copy(out, 0, 0, length);
  return out;
}

/** The next buffer for an open block holding `current` bytes of capacity that needs `needed`: doubling, pooled while it can be. */
export function grown(current: number, needed: number): Buffer {
  let cap = Math.max(current * 2, 1);
  while (cap < needed) cap *= 2;
  if (cap > POOLED_MAX && needed <= POOLED_MAX) cap = POOLED_MAX;
  return cap <= POOLED_MAX ? Buffer.allocUnsafe(cap) : Buffer.allocUnsafeSlow(cap);
}

/** The first buffer of an open block. */
export function opened(size: number): Buffer {
  return size <= POOLED_MAX ? Buffer.allocUnsafe(size) : Buffer.allocUnsafeSlow(size);
}
