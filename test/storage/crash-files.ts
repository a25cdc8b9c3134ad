import type { LogFiles } from '../../storage/log-files';
import { rng } from '../support/rng';

/**
 * A simulated disk for the segment log (storage/log-files.ts) that models
 * what survives a power loss:
 *  - a file's durable bytes (and size) are those of its last fdatasync;
 *    writes since then are kept apart, in order;
 *  - the directory's durable names are those of its last syncDir: create,
 *    rename and unlink since then are undone by a crash.
 * crash() loses everything not durable, or with `tear` keeps a random part of
 * it: per file, the first k pending writes, then a random subset of the
 * 512-byte sectors of the next one (a write torn and reordered by the disk).
 */
class SimFile {
  data: Buffer = Buffer.alloc(0);
  durable: Buffer = Buffer.alloc(0);
  pending: Array<{ pos: number; bytes: Buffer }> = [];
  /** Size extensions since the last sync are pending too. */
  write(bytes: Uint8Array, pos: number, record = true): void {
    const end = pos + bytes.byteLength;
    if (end > this.data.length) {
      const grown = Buffer.alloc(Math.max(end, this.data.length));
      this.data.copy(grown);
      this.data = grown;
    }
    this.data.set(bytes, pos);
    if (record) this.pending.push({ pos, bytes: Buffer.from(bytes) });
  }
}

export type Rng = () => number;

/** Deterministic generator (test/support/rng.ts). */
export const seeded: (seed: number) => Rng = rng;

export class CrashableFiles implements LogFiles {
  private names = new Map<string, SimFile>();
  private durableNames = new Map<string, SimFile>();
  private fds = new Map<number, SimFile>();
  private nextFd = 3;
  /** Counters, for tests. */
  syncs = 0;
  /** When set, the next operation of these kinds throws (fault injection). */
  failNext: { fdatasync?: boolean; zeroFill?: boolean } = {};

  list(): string[] {
    this.checkAlive();
    return [...this.names.keys()];
  }

  open(name: string): number {
    this.checkAlive();
    const file = this.names.get(name);
    if (!file) throw Object.assign(new Error(`ENOENT: ${name}`), { code: 'ENOENT' });
    return this.fdFor(file);
  }

  async create(name: string): Promise<number> {
    this.checkAlive();
    await Promise.resolve();
    this.checkAlive();
    const file = new SimFile();
    this.names.set(name, file);
    return this.fdFor(file);
  }

  size(fd: number): number {
    return this.file(fd).data.length;
  }

  read(fd: number, buf: Uint8Array, position: number): number {
    const data = this.file(fd).data;
    const n = Math.max(0, Math.min(buf.byteLength, data.length - position));
    buf.set(data.subarray(position, position + n));
    return n;
  }

  async write(fd: number, buf: Uint8Array, position: number): Promise<void> {
    this.checkAlive();
    this.file(fd).write(buf, position);
  }

  async zeroFill(fd: number, size: number): Promise<void> {
    this.checkAlive();
    await Promise.resolve();
    this.checkAlive();
    if (this.failNext.zeroFill) {
      this.failNext.zeroFill = false;
      throw Object.assign(new Error('ENOSPC: simulated full disk'), { code: 'ENOSPC' });
    }
    const file = this.file(fd);
    if (size > file.data.length) file.write(Buffer.alloc(size - file.data.length), file.data.length);
  }

  async fdatasync(fd: number): Promise<void> {
    this.checkAlive();
    const file = this.file(fd);
    if (this.failNext.fdatasync) {
      this.failNext.fdatasync = false;
      throw Object.assign(new Error('EIO: simulated fdatasync failure'), { code: 'EIO' });
    }
    await new Promise((resolve) => setImmediate(resolve)); // a sync takes a while: writes pile up meanwhile
    this.checkAlive();
    file.durable = Buffer.from(file.data);
    file.pending = [];
    this.syncs++;
  }

  close(fd: number): void {
    this.fds.delete(fd);
  }

  async rename(from: string, to: string): Promise<void> {
    this.checkAlive();
    await Promise.resolve();
    this.checkAlive();
    const file = this.names.get(from);
    if (!file) throw Object.assign(new Error(`ENOENT: ${from}`), { code: 'ENOENT' });
    this.names.delete(from);
    this.names.set(to, file);
  }

  async unlink(name: string): Promise<void> {
    this.checkAlive();
    if (!this.names.delete(name)) throw Object.assign(new Error(`ENOENT: ${name}`), { code: 'ENOENT' });
    await Promise.resolve();
  }

  async syncDir(): Promise<void> {
    this.checkAlive();
    await Promise.resolve();
    this.checkAlive();
    this.durableNames = new Map(this.names);
  }

  /**
   * Power loss: keep what was synced (plus, with rng, a torn part of the rest).
   * Returns the disk as it comes back; this instance is dead (every call
   * throws), so a store still running on it cannot touch the new one.
   */
  crash(rng?: Rng): CrashableFiles {
    this.checkAlive();
    const files = new Set([...this.names.values(), ...this.durableNames.values()]);
    for (const file of files) {
      let data = Buffer.from(file.durable);
      if (rng && file.pending.length > 0) {
        const full = Math.floor(rng() * (file.pending.length + 1));
        const apply = (pos: number, bytes: Buffer): void => {
          if (pos + bytes.length > data.length) {
            const grown = Buffer.alloc(pos + bytes.length);
            data.copy(grown);
            data = grown;
          }
          bytes.copy(data, pos);
        };
        for (let i = 0; i < full; i++) apply(file.pending[i].pos, file.pending[i].bytes);
        const torn = file.pending[full];
        if (torn && torn.pos + torn.bytes.length <= data.length) {
          // Some sectors of the next write made it, in any order (no size change: that needs the sync).
          const keep = rng();
          for (let s = Math.floor(torn.pos / 512) * 512; s < torn.pos + torn.bytes.length; s += 512) {
            if (rng() >= keep) continue;
            const from = Math.max(s, torn.pos);
            const to = Math.min(s + 512, torn.pos + torn.bytes.length);
            apply(from, torn.bytes.subarray(from - torn.pos, to - torn.pos));
          }
        }
      }
      file.data = data;
      file.durable = Buffer.from(data);
      file.pending = [];
    }
    const after = new CrashableFiles();
    after.names = new Map(this.durableNames);
    after.durableNames = new Map(this.durableNames);
    this.dead = true;
    this.fds.clear();
    return after;
  }

  private dead = false;

  private checkAlive(): void {
    if (this.dead) throw Object.assign(new Error('EIO: the disk lost power'), { code: 'EIO' });
  }

  /** Flip a byte of a durable file (corruption). */
  corrupt(name: string, offset: number): void {
    const file = this.names.get(name);
    if (!file) throw new Error(`no file ${name}`);
    file.data[offset] ^= 0x5a;
    file.durable[offset] ^= 0x5a;
  }

  fileNames(): string[] {
    return this.list().sort();
  }

  bytes(name: string): Buffer {
    const file = this.names.get(name);
    if (!file) throw new Error(`no file ${name}`);
    return file.data;
  }

  private fdFor(file: SimFile): number {
    const fd = this.nextFd++;
    this.fds.set(fd, file);
    return fd;
  }

  private file(fd: number): SimFile {
    const file = this.fds.get(fd);
    if (!file) throw Object.assign(new Error(`EBADF: ${fd}`), { code: 'EBADF' });
    return file;
  }
}
