/** Parses `1gb`, `512mb`, `100k`, `42` as Redis memtoll does (k=1000, kb=1024). */
export function parseBytes(s: string): number | undefined {
  const m = /^(-?\d+)(k|kb|m|mb|g|gb)?$/i.exec(s.trim());
  if (!m) return undefined;
  const mult: Record<string, number> = { k: 1e3, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 };
  return Number(m[1]) * (m[2] ? mult[m[2].toLowerCase()] : 1);
}
