import { statfsSync } from 'node:fs';

/**
 * Typed storage failures with stable codes (undici style), so the node can
 * map them to Redis replies: full and read-only disks become `-MISCONF`,
 * reads keep being served.
 */
export type StorageErrorCode = 'ENOSPC' | 'MAP_FULL' | 'EROFS' | 'EIO' | 'CORRUPT' | 'CLOSED' | 'INVALID';

export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    /** The operating-system or LMDB error number, when there is one. */
    readonly errno?: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** No space left: on the file system (ENOSPC, or LMDB's short write EIO on a full disk) or in LMDB's map (MDB_MAP_FULL). */
export class StorageFullError extends StorageError {}

/** The data directory cannot be written (read-only file system or permissions). */
export class StorageReadOnlyError extends StorageError {}

/** Data on disk does not decode, or the log is not contiguous. */
export class StorageCorruptionError extends StorageError {
  constructor(message: string) {
    super('CORRUPT', message);
  }
}

export class StorageClosedError extends StorageError {
  constructor() {
    super('CLOSED', 'storage is closed');
  }
}

const ENOSPC = 28;
const EIO = 5;
const EROFS = 30;
const EACCES = 13;
const EPERM = 1;
const MDB_MAP_FULL = -30792;

/** Below this much free space an EIO from a write is taken to be a full disk (LMDB reports short writes as EIO). */
const FULL_DISK_SLACK_BYTES = 1 << 20;

function errnoOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, errno } = error as { code?: unknown; errno?: unknown };
  if (typeof code === 'number') return code;
  if (typeof errno === 'number') return Math.abs(errno);
  if (code === 'ENOSPC') return ENOSPC;
  if (code === 'EROFS') return EROFS;
  if (code === 'EACCES') return EACCES;
  if (code === 'EPERM') return EPERM;
  if (code === 'EIO') return EIO;
  return undefined;
}

/** Free bytes of the file system holding dir, or undefined if it cannot be read. */
export function freeBytes(dir: string): number | undefined {
  try {
    const stats = statfsSync(dir);
    return stats.bavail * stats.bsize;
  } catch {
    return undefined;
  }
}

/** Turn whatever lmdb-js or the file system threw into a StorageError. */
export function classifyStorageError(error: unknown, dir: string, doing: string): StorageError {
  if (error instanceof StorageError) return error;
  const errno = errnoOf(error);
  const detail = error instanceof Error ? error.message : String(error);
  if (errno === ENOSPC || (errno === EIO && (freeBytes(dir) ?? Infinity) < FULL_DISK_SLACK_BYTES)) {
    return new StorageFullError('ENOSPC', `${doing}: no space left on device (${dir}): ${detail}`, errno);
  }
  if (errno === MDB_MAP_FULL || /MDB_MAP_FULL/.test(detail)) {
    return new StorageFullError('MAP_FULL', `${doing}: LMDB map is full (raise mapSizeBytes): ${detail}`, errno);
  }
  if (errno === EROFS || errno === EACCES || errno === EPERM) {
    return new StorageReadOnlyError('EROFS', `${doing}: data directory is not writable (${dir}): ${detail}`, errno);
  }
  return new StorageError('EIO', `${doing}: ${detail}`, errno);
}

/**
 * lmdb-js returns a promise from every put/remove inside a batch and rejects
 * each one when the batch's commit fails. The commit queue handles the
 * failure once, for the whole batch; this marks the per-operation promises
 * handled so a full disk cannot surface as an unhandled rejection.
 */
export function quiet(result: unknown): void {
  if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
    (result as PromiseLike<unknown>).then(undefined, () => undefined);
  }
}
