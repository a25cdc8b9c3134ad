/**
 * Small buffers cut one after another from large ArrayBuffers of their own,
 * for bytes that live and die together (a stream's sealed blocks, the Raft
 * log's entries in flight). V8 tracks and counts every ArrayBuffer as external
 * memory, and Node's shared 8 KB pool mixes long- and short-lived bytes; a
 * chunk is freed by the garbage collector once nothing cut from it is
 * referenced. Pieces are never reused while referenced: each take is new memory.
 */
export class ByteChunks {
  private chunk: Buffer = Buffer.allocUnsafeSlow(0);
  private used = 0;

  /**
   * @param chunkBytes size of each shared chunk
   * @param ownFrom pieces of this many bytes or more get an ArrayBuffer of their own
   */
  constructor(
    private readonly chunkBytes: number,
    private readonly ownFrom: number,
  ) {}

  /** Uninitialized memory of `size` bytes (the caller writes all of it). */
  take(size: number): Buffer {
    if (size >= this.ownFrom) return Buffer.allocUnsafeSlow(size);
    if (this.used + size > this.chunk.length) {
      this.chunk = Buffer.allocUnsafeSlow(this.chunkBytes);
      this.used = 0;
    }
    const piece = this.chunk.subarray(this.used, this.used + size);
    // Pieces start 8-byte aligned, as in Node's pool (typed-array views over the bytes need alignment).
    this.used = (this.used + size + 7) & ~7;
    return piece;
  }
}
