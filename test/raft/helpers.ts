import { defaultRaftConfig, MessageType, RaftNode, seededRandom } from '../../server/raft';
import type { Message, NodeId, RaftConfig, Ready } from '../../server/raft';
import { MemoryStorage } from '../../storage/memory';

/** A lone node with its storage, for stepping messages by hand. */
export interface Solo {
  node: RaftNode;
  storage: MemoryStorage;
}

export function solo(id: NodeId, voters: NodeId[], config: Partial<RaftConfig> = {}, storage?: MemoryStorage): Solo {
  const st = storage ?? new MemoryStorage({ voters });
  const node = new RaftNode(defaultRaftConfig(id, seededRandom(id), config), st, st.hardState());
  return { node, storage: st };
}

/** A message with every field defaulted. */
export function msg(p: Partial<Message> & { type: MessageType; from: NodeId; to: NodeId }): Message {
  return { term: 0, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0, ...p };
}

/** Take the Ready, persist it to storage and advance; returns it. */
export function drain(s: Solo): Ready {
  const rd = s.node.ready();
  if (rd.snapshot !== undefined) void s.storage.compact(rd.snapshot.index, rd.snapshot);
  if (rd.entries.length > 0) void s.storage.append(rd.entries);
  if (rd.hardState !== undefined) void s.storage.setHardState(rd.hardState);
  s.node.advance(rd);
  return rd;
}

/** All messages of the Readies until the node is quiet. */
export function drainAll(s: Solo): Message[] {
  const out: Message[] = [];
  while (s.node.hasReady()) out.push(...drain(s).messages);
  return out;
}

export const ofType = (ms: Message[], t: MessageType): Message[] => ms.filter((m) => m.type === t);
