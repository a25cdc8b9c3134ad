import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLmdbStorage, type LmdbStorage, type LmdbStorageOptions } from '../../storage/lmdb';
import type { StoresUnderTest } from './conformance';

/** A fresh temporary data directory; removed by the returned cleanup. */
export function tempDir(prefix = 'raftcache-storage-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The LMDB store as conformance stores: reopen closes and opens the same directory. */
export function lmdbStores(dir: string, options: LmdbStorageOptions, onClose: () => void): StoresUnderTest & { storage: LmdbStorage } {
  const storage = openLmdbStorage(dir, options);
  return {
    storage,
    log: storage.log,
    stable: storage.stable,
    keyspace: storage.keyspace,
    close: async () => {
      await storage.close();
      onClose();
    },
    reopen: async () => {
      await storage.close();
      return lmdbStores(dir, options, onClose);
    },
  };
}
