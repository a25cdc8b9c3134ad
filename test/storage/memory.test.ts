import { MemoryStorage } from '../../storage/memory';
import { runLogStoreConformance, runStableStoreConformance, type StoreFactory } from './conformance';

// MemoryStorage (the Raft core's) implements LogStore and StableStore; it has no KeyspaceStore.
const memory: StoreFactory = async () => {
  const storage = new MemoryStorage();
  return { log: storage, stable: storage, close: async () => undefined };
};

runLogStoreConformance('MemoryStorage', memory);
runStableStoreConformance('MemoryStorage', memory);
