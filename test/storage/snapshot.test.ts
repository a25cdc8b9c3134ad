import { expect } from 'chai';
import { openLmdbStorage, type LmdbStorage } from '../../storage/lmdb';
import { SnapshotFormatError, SnapshotReceiver, SnapshotSender, decodeChunk, encodeChunk } from '../../storage/snapshot';
import { failure, meta, range } from './conformance';
import { tempDir } from './helpers';

const key = (i: number): Buffer => Buffer.from(`key:${String(i).padStart(6, '0')}`);
const value = (i: number, tag = 'v'): Buffer => Buffer.from(`${tag}${i}`.padEnd(100, '.'));

function contents(storage: LmdbStorage): Map<string, string> {
  const out = new Map<string, string>();
  for (const record of storage.keyspace.records()) out.set(Buffer.from(record.key).toString(), Buffer.from(record.value).toString());
  return out;
}

async function fill(storage: LmdbStorage, count: number, index: number, tag = 'v'): Promise<void> {
  const changes = Array.from({ length: count }, (_, i) => ({ key: key(i), value: value(i, tag) }));
  await storage.keyspace.write(changes, meta(index, 2));
}

describe('snapshot transfer', () => {
  const dirs: Array<{ dir: string; remove(): void }> = [];
  let leader: LmdbStorage;
  let follower: LmdbStorage;

  beforeEach(() => {
    dirs.push(tempDir('raftcache-leader-'), tempDir('raftcache-follower-'));
    leader = openLmdbStorage(dirs[0].dir);
    follower = openLmdbStorage(dirs[1].dir);
  });
  afterEach(async () => {
    await leader.close();
    await follower.close();
    for (const d of dirs.splice(0)) d.remove();
  });

  /** Send every chunk, yielding to the event loop between chunks like a network would. */
  async function transfer(sender: SnapshotSender, receiver: SnapshotReceiver, between?: (seq: number) => Promise<void>): Promise<number> {
    let chunks = 0;
    for (let chunk = sender.nextChunk(); chunk; chunk = sender.nextChunk()) {
      await receiver.receive(chunk);
      if (between) await between(chunks);
      chunks++;
    }
    return chunks;
  }

  it('copies the keyspace, its meta, and resets the follower log', async () => {
    await fill(leader, 5000, 40);
    await follower.log.append(range(1, 10, 1));
    await fill(follower, 10, 5, 'old');
    const sender = new SnapshotSender(leader, { chunkBytes: 64 * 1024 });
    const receiver = await SnapshotReceiver.start(follower);
    const chunks = await transfer(sender, receiver);
    expect(chunks).to.be.greaterThan(5);
    expect(receiver.status).to.equal('done');
    expect(contents(follower)).to.deep.equal(contents(leader));
    expect(follower.keyspace.snapshotMeta()).to.deep.equal(meta(40, 2));
    expect(follower.log.firstIndex()).to.equal(41);
    expect(follower.log.lastIndex()).to.equal(40);
    expect(follower.log.term(40)).to.equal(2);
    await follower.idle();
    expect(follower.stats().stagingRecords).to.equal(0); // the replaced keyspace is cleared
    expect(follower.stats().leftoverLogEntries).to.equal(0);
    // and it all survives a restart
    await follower.close();
    follower = openLmdbStorage(dirs[1].dir);
    expect(follower.keyspace.appliedIndex()).to.equal(40);
    expect(contents(follower).size).to.equal(5000);
  });

  it('streams the point-in-time view while writes continue on the sender', async () => {
    await fill(leader, 3000, 10);
    const expected = contents(leader);
    const sender = new SnapshotSender(leader, { chunkBytes: 16 * 1024 });
    expect(sender.meta.index).to.equal(10);
    const receiver = await SnapshotReceiver.start(follower);
    let index = 10;
    await transfer(sender, receiver, async (seq) => {
      // each step rewrites, deletes and adds keys, all of which the stream must not show
      index++;
      await leader.keyspace.write(
        [
          { key: key(seq * 7), value: value(seq, 'new') },
          { key: key(2999 - seq), value: null },
          { key: Buffer.from(`added:${seq}`), value: Buffer.from('x') },
        ],
        meta(index, 2),
      );
    });
    expect(index).to.be.greaterThan(15);
    expect(contents(follower)).to.deep.equal(expected);
    expect(follower.keyspace.appliedIndex()).to.equal(10);
    expect(contents(leader)).to.not.deep.equal(expected);
  });

  it('an aborted transfer leaves the old keyspace, meta and log intact', async () => {
    await fill(leader, 2000, 50);
    await follower.log.append(range(1, 8, 1));
    await fill(follower, 20, 8, 'old');
    const before = contents(follower);
    const sender = new SnapshotSender(leader, { chunkBytes: 8 * 1024 });
    const receiver = await SnapshotReceiver.start(follower);
    for (let i = 0; i < 5; i++) await receiver.receive(sender.nextChunk()!);
    expect(follower.stats().stagingRecords).to.be.greaterThan(0);
    sender.close();
    await receiver.abort();
    expect(receiver.status).to.equal('aborted');
    expect(contents(follower)).to.deep.equal(before);
    expect(follower.keyspace.appliedIndex()).to.equal(8);
    expect(follower.log.lastIndex()).to.equal(8);
    await follower.idle();
    expect(follower.stats().stagingRecords).to.equal(0);
  });

  it('a restart in the middle of a transfer keeps the old state and clears the partial one', async () => {
    await fill(leader, 2000, 50);
    await fill(follower, 20, 8, 'old');
    const before = contents(follower);
    const sender = new SnapshotSender(leader, { chunkBytes: 8 * 1024 });
    const receiver = await SnapshotReceiver.start(follower);
    for (let i = 0; i < 5; i++) await receiver.receive(sender.nextChunk()!);
    sender.close();
    await follower.close(); // the staged chunks are on disk, the switch never happened
    follower = openLmdbStorage(dirs[1].dir);
    expect(contents(follower)).to.deep.equal(before);
    expect(follower.keyspace.appliedIndex()).to.equal(8);
    await follower.idle();
    expect(follower.stats().stagingRecords).to.equal(0);
  });

  it('rejects a chunk out of sequence and aborts', async () => {
    await fill(leader, 1000, 5);
    await fill(follower, 3, 2, 'old');
    const sender = new SnapshotSender(leader, { chunkBytes: 4 * 1024 });
    const receiver = await SnapshotReceiver.start(follower);
    await receiver.receive(sender.nextChunk()!);
    sender.nextChunk(); // lost
    expect(await failure(() => receiver.receive(sender.nextChunk()!))).to.be.instanceOf(SnapshotFormatError);
    sender.close();
    expect(receiver.status).to.equal('aborted');
    expect(follower.keyspace.appliedIndex()).to.equal(2);
    expect(contents(follower).size).to.equal(3);
  });

  it('rejects a final marker whose record count or checksum does not match', async () => {
    await fill(leader, 10, 5);
    const sender = new SnapshotSender(leader, { chunkBytes: 1 << 20 });
    const chunk = decodeChunk(sender.nextChunk()!);
    expect(chunk.final?.totalRecords).to.equal(10);
    chunk.records.pop();
    const receiver = await SnapshotReceiver.start(follower);
    const error = await failure(() => receiver.receive(encodeChunk(chunk)));
    expect(String(error)).to.match(/incomplete/);
    expect(follower.keyspace.appliedIndex()).to.equal(0);
  });

  it('sends a record larger than the chunk size in a chunk of its own', async () => {
    await leader.keyspace.write(
      [
        { key: Buffer.from('a'), value: Buffer.alloc(10) },
        { key: Buffer.from('b'), value: Buffer.alloc(50_000, 2) },
        { key: Buffer.from('c'), value: Buffer.alloc(10) },
      ],
      meta(3, 1),
    );
    const sender = new SnapshotSender(leader, { chunkBytes: 1024 });
    const chunks: Buffer[] = [];
    for (let c = sender.nextChunk(); c; c = sender.nextChunk()) chunks.push(c);
    expect(chunks.map((c) => decodeChunk(c).records.length)).to.deep.equal([1, 1, 1]);
    expect(chunks.slice(0, 2).every((c) => !decodeChunk(c).final)).to.equal(true);
    const receiver = await SnapshotReceiver.start(follower);
    for (const c of chunks) await receiver.receive(c);
    expect(contents(follower)).to.deep.equal(contents(leader));
  });

  it('transfers an empty keyspace as one final chunk', async () => {
    await leader.keyspace.write([], meta(7, 3));
    const sender = new SnapshotSender(leader);
    const chunk = sender.nextChunk()!;
    expect(sender.nextChunk()).to.equal(undefined);
    const receiver = await SnapshotReceiver.start(follower);
    expect(await receiver.receive(chunk)).to.deep.equal(meta(7, 3));
    expect(follower.keyspace.appliedIndex()).to.equal(7);
  });

  it('refuses a second concurrent transfer into one store', async () => {
    await SnapshotReceiver.start(follower);
    expect(await failure(() => SnapshotReceiver.start(follower))).to.match(/already/);
  });

  it('rejects bytes that are not a chunk', () => {
    expect(() => decodeChunk(Buffer.from('hello world, not a chunk'))).to.throw(SnapshotFormatError);
    const good = encodeChunk({ seq: 1, records: [{ key: Buffer.from([0, 1]), value: Buffer.from('v') }] });
    expect(() => decodeChunk(good.subarray(0, good.length - 1))).to.throw(SnapshotFormatError);
    expect(decodeChunk(good).records).to.have.length(1);
  });
});
