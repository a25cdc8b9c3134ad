import { runStorageConformance } from './conformance';
import { lmdbStores, tempDir } from './helpers';

for (const sync of ['always', 'batch'] as const) {
  runStorageConformance(`LMDB (sync ${sync})`, async () => {
    const { dir, remove } = tempDir();
    return lmdbStores(dir, { sync }, remove);
  });
}
