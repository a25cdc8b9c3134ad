/**
 * FNV-1a over a latin1 string (one char per byte), then murmur3's finalizer
 * so the top bits are well mixed: the SCAN index buckets keys by them, the
 * skiplist derives member levels and ZSCAN cursors from it. The same on
 * every node (no seed).
 */
export function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
