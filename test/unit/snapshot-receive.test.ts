import { expect } from 'chai';
import { silentLogger } from '../../server/log';
import type { Message, SnapshotMeta } from '../../server/raft';
import { MessageType } from '../../server/raft/types';
import { Snapshots, type SnapshotNode } from '../../server/node/snapshots';
import { crcRecords, encodeChunk } from '../../storage/snapshot-codec';

/** A store whose staging slot is held as LmdbStorage holds it: one transfer at a time. */
class StagingStore {
  staging = false;
  staged: Buffer[] = [];
  finished: SnapshotMeta[] = [];
  async beginStaging(): Promise<void> {
    await new Promise((r) => setImmediate(r));
    if (this.staging) throw new Error('a snapshot transfer is already being received');
    this.staging = true;
    this.staged = [];
  }
  async stage(records: ReadonlyArray<{ key: Uint8Array; value: Uint8Array }>): Promise<void> {
    await new Promise((r) => setImmediate(r));
    for (const r of records) this.staged.push(Buffer.from(r.key));
  }
  async abortStaging(): Promise<void> {
    this.staging = false;
    this.staged = [];
  }
  async finishStaging(meta: SnapshotMeta): Promise<void> {
    this.staging = false;
    this.finished.push(meta);
  }
}

const META: SnapshotMeta = { index: 23, term: 1, conf: { voters: [1, 2, 3], learners: [] } } as unknown as SnapshotMeta;

function chunks(): [Buffer, Buffer] {
  const records = [{ key: Buffer.from('k1'), value: Buffer.from('v1') }];
  const second = [{ key: Buffer.from('k2'), value: Buffer.from('v2') }];
  const crc = crcRecords(crcRecords(0, records), second);
  return [
    encodeChunk({ seq: 0, records }),
    encodeChunk({ seq: 1, records: second, final: { meta: META, totalRecords: 2, crc } }),
  ];
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

/** A follower's Snapshots over a StagingStore, recording the messages it steps. */
function receiving(): { store: StagingStore; stepped: Message[]; snaps: Snapshots } {
  const store = new StagingStore();
  const stepped: Message[] = [];
  const node = { log: silentLogger, storage: store, transport: undefined, raft: { reportSnapshot: () => undefined } } as unknown as SnapshotNode;
  const snaps = new Snapshots(node, {
    scheduleReady: () => undefined,
    step: (m) => stepped.push(m),
    reloadKeyspace: () => undefined,
    syncTransportPeers: () => undefined,
    flushSettled: async () => undefined,
  });
  return { store, stepped, snaps };
}

describe('snapshot receiving (server/node/snapshots.ts)', () => {
  it('a second sender of the same snapshot takes over from a transfer already started: it stages, nothing stays held', async () => {
    const { store, stepped, snaps } = receiving();
    const [first, last] = chunks();
    // Node 2 (leader, then deposed) starts; node 3's chunk 0 of the same snapshot comes while
    // node 2's start is still under way (before, that one kept the staging slot for good).
    snaps.onChunk(2, 23, 1, first, 0);
    snaps.onChunk(3, 23, 1, first, 0);
    snaps.onChunk(3, 23, 1, last, 1);
    const snap = { type: MessageType.Snap, from: 3, to: 1, term: 2, snapshot: META } as unknown as Message;
    expect(snaps.admit(snap)).to.equal(false); // held until staged
    for (let i = 0; i < 20 && stepped.length === 0; i++) await tick();
    expect(stepped, 'the held Snap message is stepped once staged').to.have.length(1);
    expect(store.staged.map(String)).to.deep.equal(['k1', 'k2']);
    expect(snaps.admit(snap)).to.equal(true);
  });

  it('a later snapshot from a new leader replaces a transfer cut off midway', async () => {
    const { store, stepped, snaps } = receiving();
    const [first, last] = chunks();
    snaps.onChunk(2, 20, 1, first, 0); // never finished
    snaps.onChunk(3, 23, 1, first, 0); // queued right behind it, before its start finished
    snaps.onChunk(3, 23, 1, last, 1);
    snaps.admit({ type: MessageType.Snap, from: 3, to: 1, term: 2, snapshot: META } as unknown as Message);
    for (let i = 0; i < 20 && stepped.length === 0; i++) await tick();
    expect(stepped).to.have.length(1);
    expect(store.staged.map(String)).to.deep.equal(['k1', 'k2']);
  });
});
