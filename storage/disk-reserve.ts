import { statSync } from 'node:fs';
import { Fallocator, type AllocateResult } from './fallocator';
import { freeBytes } from './lmdb-errors';

export type { AllocateResult } from './fallocator';

/**
 * Disk space kept allocated ahead of data.mdb, so that LMDB's own writes never
 * meet ENOSPC.
 *
 * Why: when a commit of lmdb-js (3.x) fails with ENOSPC inside its native
 * write thread, the environment can stay broken (every later commit fails,
 * even once space returns) and its error path has corrupted the heap and
 * aborted the process (seen by the fault suite's disk-full nemesis; in
 * kriszyp/lmdb-js#40 the maintainer ties the native crashes he has seen to
 * running out of disk space). So we never let LMDB find out:
 * blocks beyond the end of data.mdb are allocated in advance with
 * fallocate(FALLOC_FL_KEEP_SIZE), which changes neither the file's size nor
 * its contents and is therefore safe while LMDB writes. A commit goes ahead
 * only while the allocated headroom covers a generous estimate of how much it
 * can grow the file; when the disk cannot give more, the commit is refused by
 * us (StorageFullError, answered -MISCONF) with LMDB untouched, and a later
 * retry succeeds as soon as space returns.
 *
 * Node has no fallocate binding and native addons would need install
 * scripts, so the allocation runs util-linux's `fallocate -n` (present on
 * every Debian system), once per `targetBytes` of file growth, through a
 * shell started with the store (fallocator.ts: never a fork of a big server). Where that is
 * missing or the file system cannot preallocate, the reserve degrades to
 * checking free space before each commit (`free-space` mode), which narrows
 * but does not close the window in which another process fills the disk.
 * Copy-on-write file systems (btrfs, ZFS) accept the preallocation but may
 * still fail a later write for lack of space; there the reserve only narrows
 * the window too.
 */
export type ReserveMode = 'fallocate' | 'free-space' | 'off';

export interface DiskReserveOptions {
  /** Bytes to keep allocated beyond the end of data.mdb (0: no reserve). */
  targetBytes: number;
  /** Smallest extension tried when the disk is nearly full. */
  minStepBytes?: number;
  /** Allocates [0, length) of file; injectable for tests. */
  allocate?: (file: string, length: number) => Promise<AllocateResult>;
  /** Free bytes of the file system holding dir; injectable for tests. */
  freeBytes?: (dir: string) => number;
  /** Clock for the back-off after a failed top-up; injectable for tests. */
  now?: () => number;
}

/** After the disk refused an extension, background top-ups wait this long (a commit that needs room still asks at once). */
const TOP_UP_BACKOFF_MS = 1000;

export const DEFAULT_RESERVE_BYTES = 64 * 1024 * 1024;

export class DiskReserve {
  private allocatedEnd = 0;
  private fileSize = 0;
  private extending: Promise<void> | undefined;
  private topUpAfter = 0;
  /** Allocation attempts the file system refused for lack of space. */
  private diskRefusals = 0;
  private readonly allocate: (file: string, length: number) => Promise<AllocateResult>;
  /** The shell running fallocate, unless a test injected `allocate`. */
  private readonly fallocator: Fallocator | undefined;
  private readonly freeBytesOf: (dir: string) => number;
  private readonly minStep: number;
  mode: ReserveMode;
  /** Why the reserve fell back to free-space mode, or why the last extension failed. */
  lastProblem = '';
  /** Commits refused because the headroom could not cover them. */
  refusals = 0;

  constructor(
    private readonly file: string,
    private readonly dir: string,
    private readonly options: DiskReserveOptions,
  ) {
    this.mode = options.targetBytes > 0 ? 'fallocate' : 'off';
    if (options.allocate) this.allocate = options.allocate;
    else if (this.mode === 'off') this.allocate = async () => 'unsupported';
    else {
      const fallocator = new Fallocator(file);
      this.fallocator = fallocator;
      this.allocate = (_file, length) => fallocator.allocate(length);
    }
    this.freeBytesOf = options.freeBytes ?? ((dir) => freeBytes(dir) ?? Infinity);
    this.minStep = options.minStepBytes ?? 1024 * 1024;
    this.refresh();
  }

  /** Re-read data.mdb's size; call after every commit. */
  refresh(): void {
    try {
      this.fileSize = statSync(this.file).size;
    } catch {
      this.fileSize = 0;
    }
  }

  /** How many bytes the file may still grow without asking the file system for space. */
  headroom(): number {
    if (this.mode === 'off') return Infinity;
    if (this.mode === 'free-space') return this.freeBytesOf(this.dir);
    return Math.max(0, this.allocatedEnd - this.fileSize);
  }

  /** True when a transaction that may grow the file by `bytes` can commit without waiting. */
  covers(bytes: number): boolean {
    return this.headroom() >= bytes;
  }

  /** Resolves true once `bytes` of growth are covered, false when the disk cannot give them. */
  async ensure(bytes: number): Promise<boolean> {
    if (this.covers(bytes)) return true;
    if (this.mode !== 'fallocate') {
      this.refusals++;
      return false;
    }
    await this.extend(bytes);
    if (this.covers(bytes)) return true;
    this.refusals++;
    return false;
  }

  /** Resolves once no allocation is running (close waits for it: fallocate must not outlive the store). */
  async idle(): Promise<void> {
    while (this.extending) await this.extending.catch(() => undefined);
  }

  /** The store is closing: no more top-ups, the running one finishes, the fallocate shell ends. */
  async close(): Promise<void> {
    this.stop();
    await this.idle();
    this.fallocator?.close();
  }

  /** No more top-ups (the store is closing). */
  stop(): void {
    this.mode = 'off';
  }

  /** After a commit: start extending in the background when less than half the target is left. */
  topUp(): void {
    if (this.mode !== 'fallocate' || this.headroom() >= this.options.targetBytes / 2) return;
    const now = (this.options.now ?? Date.now)();
    if (now < this.topUpAfter) return;
    const refusalsBefore = this.diskRefusals;
    void this.extend(0).then(() => {
      // The disk is (nearly) full: do not spawn allocations after every commit while it stays so.
      if (this.diskRefusals > refusalsBefore) this.topUpAfter = now + TOP_UP_BACKOFF_MS;
    });
  }

  private extend(atLeast: number): Promise<void> {
    if (!this.extending) {
      this.extending = this.grow(atLeast).finally(() => {
        this.extending = undefined;
      });
      return this.extending;
    }
    // One allocation at a time; a caller needing more than the running one provides tries again after it.
    return this.extending.then(() => (this.covers(atLeast) ? undefined : this.extend(atLeast)));
  }

  /** Allocate targetBytes (or at least atLeast) beyond the current end, halving on ENOSPC down to minStep. */
  private async grow(atLeast: number): Promise<void> {
    const base = this.fileSize;
    const floor = Math.max(atLeast, this.minStep);
    const steps: number[] = [];
    for (let step = Math.max(this.options.targetBytes, atLeast); step > floor; step = Math.floor(step / 2)) steps.push(step);
    steps.push(floor);
    for (const step of steps) {
      const end = base + step;
      if (end <= this.allocatedEnd) return;
      const result = await this.allocate(this.file, end);
      if (result === 'ok') {
        this.allocatedEnd = Math.max(this.allocatedEnd, end);
        this.lastProblem = '';
        return;
      }
      if (result === 'unsupported') {
        this.mode = 'free-space';
        this.lastProblem = `cannot preallocate ${this.file}: checking free space before each commit instead`;
        return;
      }
      this.diskRefusals++;
      this.lastProblem = `no space left to allocate ${step} bytes ahead of ${this.file}`;
    }
  }
}

/**
 * A generous estimate of how much one transaction can grow data.mdb: the
 * bytes it puts (values beyond a page go to overflow pages, written once),
 * plus one page per operation for the leaf it copies (copy-on-write; at most
 * 1024, as a large transaction's operations share leaves), plus 1 MiB for
 * branch, free-list and meta pages. LMDB reusing freed pages only makes the
 * real growth smaller.
 */
export function txnGrowthEstimate(ops: number, bytes: number): number {
  const PAGE = 4096;
  return bytes + PAGE * Math.min(ops, 1024) + 1024 * 1024;
}
