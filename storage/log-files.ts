import * as fs from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { classifyStorageError } from './lmdb-errors';

/**
 * The file operations the segment log (segment-log.ts) needs, in one flat
 * directory. A seam: NodeLogFiles is the real thing; the tests use a
 * simulated disk that keeps written-but-unsynced bytes apart and drops or
 * tears them at a simulated power loss (test/storage/crash-files.ts).
 *
 * Durability contract (what the simulated disk enforces):
 *  - write() reaches the OS cache only; fdatasync(fd) makes the file's
 *    bytes and size durable;
 *  - create(), rename() and unlink() change the directory; they are durable
 *    after syncDir().
 * Reads are synchronous (the log's reads are synchronous). Writes are not:
 * a write to the page cache usually costs microseconds, but on ext4 it can
 * wait 15-20 ms for a journal commit another fsync started (the write dirties
 * the inode's times), which stalled the event loop under a pipelined fill.
 * Neither is waiting on the disk, nor unlink (freeing a preallocated 64 MiB
 * segment's extents took the file system up to a second), nor create and
 * rename, which change the directory and wait for the journal the same way
 * (a rename of the snapshot meta file, written every compaction, blocked
 * the event loop 37 ms). Opening an existing file for recovery stays
 * synchronous.
 */
export interface LogFiles {
  /** Names of the files in the directory. */
  list(): string[];
  /** Open an existing file for reading and writing. */
  open(name: string): number;
  /** Create an empty file (replacing one of the same name). */
  create(name: string): Promise<number>;
  size(fd: number): number;
  /** Read into buf from position; returns the number of bytes read (short at end of file). */
  read(fd: number, buf: Uint8Array, position: number): number;
  /** Writes all of buf at position (in the thread pool: see above). */
  write(fd: number, buf: Uint8Array, position: number): Promise<void>;
  /** Extend the file to `size` bytes by writing zeros (real blocks, not a hole). */
  zeroFill(fd: number, size: number): Promise<void>;
  fdatasync(fd: number): Promise<void>;
  close(fd: number): void;
  rename(from: string, to: string): Promise<void>;
  unlink(name: string): Promise<void>;
  syncDir(): Promise<void>;
}

const fdatasyncAsync = promisify(fs.fdatasync);
const openAsync = promisify(fs.open);
const closeAsync = promisify(fs.close);
const fsyncAsync = promisify(fs.fsync);
const writeAsync = (fd: number, buf: Uint8Array, offset: number, length: number, position: number): Promise<number> =>
  new Promise((resolve, reject) => fs.write(fd, buf, offset, length, position, (error, n) => (error ? reject(error) : resolve(n))));

const ZERO_CHUNK = 1 << 20;

/** LogFiles over node:fs in `dir` (created if missing). Errors become StorageErrors. */
export class NodeLogFiles implements LogFiles {
  private zeros: Buffer | undefined;

  /** readOnly: nothing is created and files open for reading only (a read-only data directory). */
  constructor(
    readonly dir: string,
    private readonly readOnly = false,
  ) {
    if (!readOnly) fs.mkdirSync(dir, { recursive: true });
  }

  list(): string[] {
    if (this.readOnly && !fs.existsSync(this.dir)) return [];
    return this.guard('list', () => fs.readdirSync(this.dir));
  }

  open(name: string): number {
    return this.guard(`open ${name}`, () => fs.openSync(join(this.dir, name), this.readOnly ? 'r' : 'r+'));
  }

  async create(name: string): Promise<number> {
    try {
      return await openAsync(join(this.dir, name), 'w+');
    } catch (error) {
      throw classifyStorageError(error, this.dir, `create ${name}`);
    }
  }

  size(fd: number): number {
    return this.guard('fstat', () => fs.fstatSync(fd).size);
  }

  read(fd: number, buf: Uint8Array, position: number): number {
    return this.guard('read', () => {
      let done = 0;
      while (done < buf.byteLength) {
        const n = fs.readSync(fd, buf, done, buf.byteLength - done, position + done);
        if (n === 0) break;
        done += n;
      }
      return done;
    });
  }

  async write(fd: number, buf: Uint8Array, position: number): Promise<void> {
    try {
      let done = 0;
      while (done < buf.byteLength) done += await writeAsync(fd, buf, done, buf.byteLength - done, position + done);
    } catch (error) {
      throw classifyStorageError(error, this.dir, 'write');
    }
  }

  /**
   * Writes zeros up to `size`, syncing after each ZERO_CHUNK: a whole segment
   * of dirty zeros flushed at once holds the disk queue for as long as it
   * takes to write (seconds on a slow disk), and every small log fsync of the
   * same moment waits behind it; chunks let those fsyncs in between.
   */
  async zeroFill(fd: number, size: number): Promise<void> {
    const zeros = (this.zeros ??= Buffer.alloc(ZERO_CHUNK));
    try {
      let position = fs.fstatSync(fd).size;
      while (position < size) {
        const n = await writeAsync(fd, zeros, 0, Math.min(zeros.length, size - position), position);
        position += n;
        await fdatasyncAsync(fd);
      }
    } catch (error) {
      throw classifyStorageError(error, this.dir, 'preallocate log segment');
    }
  }

  async fdatasync(fd: number): Promise<void> {
    try {
      await fdatasyncAsync(fd);
    } catch (error) {
      throw classifyStorageError(error, this.dir, 'fdatasync log segment');
    }
  }

  close(fd: number): void {
    try {
      fs.closeSync(fd);
    } catch {
      // closing is best effort
    }
  }

  async rename(from: string, to: string): Promise<void> {
    try {
      await fs.promises.rename(join(this.dir, from), join(this.dir, to));
    } catch (error) {
      throw classifyStorageError(error, this.dir, `rename ${from}`);
    }
  }

  async unlink(name: string): Promise<void> {
    try {
      await fs.promises.unlink(join(this.dir, name));
    } catch (error) {
      throw classifyStorageError(error, this.dir, `unlink ${name}`);
    }
  }

  async syncDir(): Promise<void> {
    let fd: number | undefined;
    try {
      fd = await openAsync(this.dir, 'r');
      await fsyncAsync(fd);
    } catch (error) {
      throw classifyStorageError(error, this.dir, 'fsync log directory');
    } finally {
      if (fd !== undefined) await closeAsync(fd).catch(() => undefined);
    }
  }

  private guard<T>(doing: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw classifyStorageError(error, this.dir, doing);
    }
  }
}
