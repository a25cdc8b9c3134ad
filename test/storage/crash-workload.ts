import { EntryType, type Entry } from '../../server/raft/types';

/**
 * The workload of the crash test, shared by the child that writes it and the
 * parent that checks what survived. Every value encodes the index it was
 * written at, so the checker can recompute the whole expected state from the
 * applied index alone.
 */

export function entryData(index: number, term: number): Buffer {
  // Variable length (up to ~1 KiB) so entries straddle pages.
  const head = `${index}:${term}:`;
  return Buffer.from(head.padEnd(head.length + ((index * 37) % 1000), String.fromCharCode(97 + (index % 26))));
}

export function workloadEntry(index: number, term: number): Entry {
  return { index, term, type: EntryType.Normal, data: entryData(index, term) };
}

export const COUNTER_KEYS = 50;
export const DELETE_KEYS = 13;

/** The keyspace changes made by applying entry i. */
export function changesAt(index: number): Array<{ key: Buffer; value: Buffer | null }> {
  return [
    { key: Buffer.from('applied'), value: Buffer.from(String(index)) },
    { key: Buffer.from(`k${index % COUNTER_KEYS}`), value: Buffer.from(String(index)) },
    { key: Buffer.from(`d${index % DELETE_KEYS}`), value: index % 7 === 0 ? null : Buffer.from(String(index)) },
  ];
}

/** The keyspace after applying entries 1..applied, as key -> value. */
export function expectedKeyspace(applied: number): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = Math.max(1, applied - COUNTER_KEYS * DELETE_KEYS); i <= applied; i++) {
    for (const { key, value } of changesAt(i)) {
      if (value === null) out.delete(key.toString());
      else out.set(key.toString(), value.toString());
    }
  }
  return out;
}
