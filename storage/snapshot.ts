import type { SnapshotMeta } from '../server/raft/types';
import type { KeyspaceView, RawRecord } from './lmdb-keyspace';
import { crcRecords, decodeChunk, encodeChunk, recordWireBytes, SnapshotFormatError } from './snapshot-codec';

export { SnapshotFormatError, decodeChunk, encodeChunk } from './snapshot-codec';
export type { SnapshotChunk, SnapshotTrailer } from './snapshot-codec';

/**
 * Snapshot transfer (design notes §3): the durable keyspace *is* the
 * snapshot. The leader streams it from one LMDB read transaction, so the
 * follower gets a consistent point-in-time view while writes continue; the
 * follower writes chunks into the non-live keyspace slot and switches to it
 * in one transaction when the final chunk has arrived. Until then its live
 * keyspace, applied index and log are untouched; an abort or a crash leaves
 * them as they were (a restart clears the partial slot).
 *
 * Pacing is the caller's: send a chunk, await the peer's acknowledgement (or
 * at least the socket's drain), then ask for the next. Producing one 1 MiB
 * chunk takes a few milliseconds of main-thread time.
 */

export interface SnapshotSource {
  openKeyspaceView(): KeyspaceView;
}

export interface SnapshotSink {
  beginStaging(): Promise<void>;
  stage(records: readonly RawRecord[]): Promise<void>;
  finishStaging(meta: SnapshotMeta): Promise<void>;
  abortStaging(): Promise<void>;
}

/** 256 KiB: about 2,000 records of 100 bytes, a few ms of main-thread work per chunk. */
export const DEFAULT_CHUNK_BYTES = 256 * 1024;

export interface SnapshotSenderOptions {
  /** Target size of a chunk; a chunk exceeds it only to hold a single record larger than it. */
  chunkBytes?: number;
}

export class SnapshotSender {
  /** The snapshot being sent: index/term/conf of the keyspace in the read transaction. */
  readonly meta: SnapshotMeta;
  private readonly view: KeyspaceView;
  private readonly records: Iterator<RawRecord>;
  private readonly chunkBytes: number;
  /** A record read but not yet sent (it did not fit in the previous chunk). */
  private carry: RawRecord | undefined;
  private seq = 0;
  private sent = 0;
  private crc = 0;
  private finished = false;

  constructor(source: SnapshotSource, options: SnapshotSenderOptions = {}) {
    this.chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    this.view = source.openKeyspaceView();
    this.meta = this.view.meta;
    this.records = this.view.rawRecords();
  }

  get done(): boolean {
    return this.finished;
  }

  /** The next encoded chunk, or undefined once the final chunk has been returned. */
  nextChunk(): Buffer | undefined {
    if (this.finished) return undefined;
    const records: RawRecord[] = [];
    let bytes = 0;
    let exhausted = false;
    for (;;) {
      let record = this.carry;
      this.carry = undefined;
      if (record === undefined) {
        const next = this.records.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        record = next.value;
      }
      const size = recordWireBytes(record);
      if (records.length > 0 && bytes + size > this.chunkBytes) {
        this.carry = record;
        break;
      }
      records.push(record);
      bytes += size;
    }
    this.sent += records.length;
    this.crc = crcRecords(this.crc, records);
    const chunk = encodeChunk({
      seq: this.seq++,
      records,
      final: exhausted ? { meta: this.meta, totalRecords: this.sent, crc: this.crc } : undefined,
    });
    if (exhausted) this.close();
    return chunk;
  }

  /** Release the read transaction (also done after the final chunk). Call it when a transfer is abandoned. */
  close(): void {
    this.finished = true;
    this.view.release();
  }
}

export class SnapshotReceiver {
  private expectedSeq = 0;
  private received = 0;
  private crc = 0;
  private state: 'receiving' | 'done' | 'aborted' = 'receiving';
  /** Chunks are applied one at a time, in arrival order. */
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(private readonly sink: SnapshotSink) {}

  /** Prepare the sink (empties the staging slot) and return a receiver for one transfer. */
  static async start(sink: SnapshotSink): Promise<SnapshotReceiver> {
    await sink.beginStaging();
    return new SnapshotReceiver(sink);
  }

  get status(): 'receiving' | 'done' | 'aborted' {
    return this.state;
  }

  /**
   * Apply one chunk; resolves with the SnapshotMeta once the final chunk is
   * applied and the new keyspace is live, undefined before. A chunk out of
   * sequence, malformed, or failing the final count/CRC check aborts the
   * transfer (the live keyspace is untouched) and rejects.
   */
  receive(chunk: Uint8Array): Promise<SnapshotMeta | undefined> {
    const result = this.chain.then(() => this.apply(chunk));
    this.chain = result.catch(() => undefined);
    return result;
  }

  /** Abandon the transfer: the staged records are dropped, nothing else changes. */
  async abort(): Promise<void> {
    if (this.state !== 'receiving') return;
    this.state = 'aborted';
    await this.sink.abortStaging();
  }

  private async apply(bytes: Uint8Array): Promise<SnapshotMeta | undefined> {
    if (this.state !== 'receiving') throw new SnapshotFormatError(`snapshot transfer is ${this.state}`);
    try {
      const chunk = decodeChunk(bytes);
      if (chunk.seq !== this.expectedSeq) {
        throw new SnapshotFormatError(`snapshot chunk ${chunk.seq} arrived, expected ${this.expectedSeq}`);
      }
      this.expectedSeq++;
      this.received += chunk.records.length;
      this.crc = crcRecords(this.crc, chunk.records);
      if (chunk.records.length > 0) await this.sink.stage(chunk.records);
      if (!chunk.final) return undefined;
      if (chunk.final.totalRecords !== this.received || chunk.final.crc !== this.crc) {
        throw new SnapshotFormatError(
          `snapshot incomplete: received ${this.received} records (crc ${this.crc}), sender sent ${chunk.final.totalRecords} (crc ${chunk.final.crc})`,
        );
      }
      await this.sink.finishStaging(chunk.final.meta);
      this.state = 'done';
      return chunk.final.meta;
    } catch (error) {
      await this.abort().catch(() => undefined);
      throw error;
    }
  }
}
