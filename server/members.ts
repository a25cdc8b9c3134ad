/** A cluster member's addresses: clients connect to host:port, peers to host:peerPort. */
export interface ClusterMember {
  id: number;
  host: string;
  port: number;
  peerPort: number;
}

export class MembersError extends Error {}

/** Parses `host:port:peerport`. */
export function parseMemberAddress(id: number, s: string): ClusterMember {
  const m = /^(.+):(\d{1,5}):(\d{1,5})$/.exec(s.trim());
  if (!m) throw new MembersError(`member ${id}: expected host:port:peerport, got '${s}'`);
  const port = Number(m[2]);
  const peerPort = Number(m[3]);
  if (port < 1 || port > 65535 || peerPort < 1 || peerPort > 65535) throw new MembersError(`member ${id}: port out of range in '${s}'`);
  return { id, host: m[1], port, peerPort };
}

/** Parses `--members 1@host:port:peerport,2@...`. */
export function parseMembers(list: string): ClusterMember[] {
  if (list.trim() === '') return [];
  const out: ClusterMember[] = [];
  for (const part of list.split(',')) {
    const m = /^\s*(\d+)@(.+)$/.exec(part);
    if (!m) throw new MembersError(`--members: expected id@host:port:peerport, got '${part.trim()}'`);
    const id = Number(m[1]);
    if (!Number.isSafeInteger(id) || id < 1) throw new MembersError(`--members: bad node id in '${part.trim()}'`);
    if (out.some((x) => x.id === id)) throw new MembersError(`--members: node id ${id} listed twice`);
    out.push(parseMemberAddress(id, m[2]));
  }
  return out;
}

export function formatMember(m: ClusterMember): string {
  return `${m.host}:${m.port}:${m.peerPort}`;
}

export function encodeMembers(members: Iterable<ClusterMember>): Buffer {
  return Buffer.from(JSON.stringify([...members]));
}

export function decodeMembers(b: Uint8Array): ClusterMember[] {
  const parsed: unknown = JSON.parse(Buffer.from(b).toString('utf8'));
  if (!Array.isArray(parsed)) throw new MembersError('members record is not a list');
  return parsed.map((x: { id: number; host: string; port: number; peerPort: number }) => ({
    id: Number(x.id),
    host: String(x.host),
    port: Number(x.port),
    peerPort: Number(x.peerPort),
  }));
}
