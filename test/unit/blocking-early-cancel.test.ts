import { expect } from 'chai';
import { NullArray, type Reply } from '../../protocol/reply';
import { BlockingService } from '../../server/blocking';
import { buildCommandTable } from '../../server/commands/registry';
import { Keyspace } from '../../server/keyspace';

/**
 * A cancel (CLIENT UNBLOCK, or the client closing) can reach the leader
 * before the blocked command's entry is applied and its waiter parked: the
 * waiter must then not be parked, or a later XADD would deliver an entry
 * into the PEL of a consumer nobody reads for (a BLPOP would pop for no one).
 */
describe('blocking service: a cancel that overtakes the park', () => {
  const table = buildCommandTable();
  // BLPOP on a missing key: parked waiters stay parked (nothing wakes them here).
  const argv = ['BLPOP', 'q', '0'].map((s) => Buffer.from(s));

  function service(): { svc: BlockingService; proposed: Buffer[][] } {
    const proposed: Buffer[][] = [];
    const svc = new BlockingService({ keyspace: new Keyspace(), isLeader: () => true, propose: (_db, a) => proposed.push(a) });
    return { svc, proposed };
  }

  it('answers the timeout reply at once instead of parking', () => {
    const { svc } = service();
    const spec = table.data('blpop')!.blocking!;
    svc.cancel('node:1');
    const answers: Reply[] = [];
    svc.wrap(spec, 0, argv, 0, 'node:1', (r) => answers.push(r))(null, 5);
    expect(answers).to.deep.equal([NullArray.instance]);
    expect(svc.size).to.equal(0);
    // Remembered once: the same token blocking again (never happens: tokens are unique) would park.
    svc.wrap(spec, 0, argv, 0, 'node:1', (r) => answers.push(r))(null, 6);
    expect(svc.size).to.equal(1);
  });

  it('a cancel after the park still drops the waiter; other tokens park as before', () => {
    const { svc } = service();
    const spec = table.data('blpop')!.blocking!;
    const answers: Reply[] = [];
    svc.wrap(spec, 0, argv, 0, 'node:2', (r) => answers.push(r))(null, 5);
    svc.wrap(spec, 0, argv, 0, 'node:3', (r) => answers.push(r))(null, 6);
    expect(svc.size).to.equal(2);
    svc.cancel('node:2');
    expect(svc.size).to.equal(1);
    expect(answers).to.deep.equal([NullArray.instance]);
  });

  it('remembers a bounded number of early cancels', () => {
    const { svc } = service();
    const spec = table.data('blpop')!.blocking!;
    for (let i = 0; i < 1500; i++) svc.cancel(`old:${i}`);
    const answers: Reply[] = [];
    // The oldest were forgotten: its waiter parks.
    svc.wrap(spec, 0, argv, 0, 'old:0', (r) => answers.push(r))(null, 1);
    expect(svc.size).to.equal(1);
    // A recent one is still known.
    svc.wrap(spec, 0, argv, 0, 'old:1499', (r) => answers.push(r))(null, 2);
    expect(svc.size).to.equal(1);
    expect(answers).to.deep.equal([NullArray.instance]);
  });
});
