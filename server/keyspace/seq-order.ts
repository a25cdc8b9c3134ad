/**
 * The order of restored elements by insertion sequence (hashes and sets
 * iterate in it). Sequences are distinct integers >= 0; when they are dense
 * (at most 4 per element: the usual case) each index is placed directly,
 * O(n), instead of sorting a million elements with a comparator.
 */
export function seqOrder(seqs: ArrayLike<number>): Uint32Array {
  const n = seqs.length;
  const order = new Uint32Array(n);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const s = seqs[i];
    if (s < min) min = s;
    if (s > max) max = s;
  }
  const span = max - min + 1;
  if (n > 0 && Number.isSafeInteger(span) && span <= 4 * n + 1024) {
    const slot = new Int32Array(span).fill(-1);
    let dense = true;
    for (let i = 0; i < n; i++) {
      const at = seqs[i] - min;
      if (!Number.isInteger(at) || slot[at] !== -1) {
        dense = false; // not distinct integers: sort instead
        break;
      }
      slot[at] = i;
    }
    if (dense) {
      let k = 0;
      for (let s = 0; s < span; s++) if (slot[s] !== -1) order[k++] = slot[s];
      return order;
    }
  }
  for (let i = 0; i < n; i++) order[i] = i;
  return order.sort((a, b) => seqs[a] - seqs[b] || a - b);
}
