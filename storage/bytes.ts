/**
 * Bytes to keep past this turn that may be a view of a larger buffer: copied
 * when they are a small part of it (so they do not keep the rest alive), kept
 * as they are when they are most of it (a log entry, a reassembled message):
 * copying a huge value into new memory costs ~3 ms per MB on the CI VM (page
 * faults), ~300 ms of the event loop for 100 MB. Callers only pass buffers
 * nothing writes to after they are made.
 */
export function keptOrCopied(bytes: Uint8Array): Buffer {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return bytes.byteLength * 2 >= bytes.buffer.byteLength ? buf : Buffer.from(buf);
}
