import { ErrorReply, OK, SimpleString, VerbatimReply, type Reply } from '../../protocol/reply';
import { errClusterDown } from '../../protocol/errors';
import { renderInfo } from '../info';
import { MembersError, parseMemberAddress } from '../members';
import type { RaftReplicator } from '../raft-replicator';
import type { Server } from '../server';
import { parseLongLong } from './util';
import { rejoinOnLeader } from '../node/rejoin';
import { container, DeferredReply, type CommandTable, type ContainerCommand, type ServerCommand, type ServerContext } from './table';
import type { ArgDoc, CommandDoc, CommandFlag } from './types';

/**
 * Cluster administration with redis-cli, answered on any node. Names follow
 * RedisRaft (RAFT.NODE ADD/REMOVE, RAFT.TRANSFER_LEADER, RAFT.INFO); changes
 * run on the leader, and a follower forwards them there.
 */

const ADMIN_FLAGS: CommandFlag[] = ['admin', 'noscript', 'loading', 'stale'];
const ADMIN_ACL = ['@admin', '@slow', '@dangerous'];
const arg = (name: string, type: ArgDoc['type'], extra: Partial<ArgDoc> = {}): ArgDoc => ({ name, type, ...extra });
const doc = (summary: string, args: ArgDoc[] = []): CommandDoc => ({ summary, since: '0.1.0', group: 'cluster', complexity: 'O(1)', arguments: args });

function cmd(name: string, arity: number, d: CommandDoc, run: ServerCommand['run'], flags = ADMIN_FLAGS): ServerCommand {
  return { kind: 'server', name, arity, flags, firstKey: 0, lastKey: 0, keyStep: 0, aclCategories: ADMIN_ACL, doc: d, run };
}

function parseId(b: Buffer): number | undefined {
  const s = b.toString('latin1');
  if (!/^[1-9]\d{0,9}$/.test(s)) return undefined;
  return Number(s);
}

const ERR_NO_CLUSTER = new ErrorReply('ERR this node runs without Raft');
const ERR_BAD_ID = new ErrorReply('ERR invalid node id');

/** Runs `action` on the leader: here if we lead, else forwarded to it. */
function onLeader(server: Server, argv: Buffer[], proto: 2 | 3, action: (c: RaftReplicator, done: (r: Reply) => void) => void): DeferredReply {
  return new DeferredReply((done) => {
    const c = server.cluster;
    if (!c) done(ERR_NO_CLUSTER);
    else if (c.isLeader()) action(c, done);
    else if (c.leaderId() === 0) done(errClusterDown('no leader'));
    else c.forward(0, argv, proto, done);
  });
}

/** The handler for RAFT.* commands forwarded by a follower (they run here as on the leader). */
export function runForwardedAdmin(server: Server, table: CommandTable, argv: Buffer[], done: (r: Reply) => void): void {
  const name = argv[0].toString('latin1').toLowerCase();
  let def = table.get(name);
  if (def?.kind === 'container') def = argv.length > 1 ? def.subcommands.get(argv[1].toString('latin1').toLowerCase()) : undefined;
  if (def === undefined || def.kind !== 'server') {
    done(new ErrorReply(`ERR cannot forward '${name}'`));
    return;
  }
  // A forwarded request has no client connection; admin commands never use it.
  const r = def.run({ server, conn: undefined as never }, argv);
  if (r instanceof DeferredReply) r.start(done);
  else done(r);
}

function nodeSubcommands(): ServerCommand[] {
  return [
    cmd(
      'raft.node|add',
      4,
      doc('Adds a node to the cluster as a learner (non-voting) member.', [arg('node-id', 'integer'), arg('address', 'string')]),
      ({ server, conn }: ServerContext, argv) => {
        const id = parseId(argv[2]);
        if (id === undefined) return ERR_BAD_ID;
        let member;
        try {
          member = parseMemberAddress(id, argv[3].toString('latin1'));
        } catch (e) {
          return new ErrorReply(`ERR ${(e as MembersError).message}`);
        }
        return onLeader(server, argv, conn?.proto ?? 2, (c, done) => {
          if (c.confState().voters.includes(id) || c.confState().learners.includes(id)) done(new ErrorReply(`ERR node ${id} is already a member`));
          else c.addNode(member, done);
        });
      },
    ),
    cmd('raft.node|promote', 3, doc('Makes a learner a voting member.', [arg('node-id', 'integer')]), ({ server, conn }, argv) => {
      const id = parseId(argv[2]);
      if (id === undefined) return ERR_BAD_ID;
      return onLeader(server, argv, conn?.proto ?? 2, (c, done) => c.promoteNode(id, done));
    }),
    cmd(
      'raft.node|rejoin',
      5,
      doc('Brings back a node that lost its data: demotes it to a learner, promotes it once caught up. Sent by the node itself.', [
        arg('node-id', 'integer'),
        arg('address', 'string'),
        arg('index', 'integer'),
      ]),
      ({ server, conn }, argv) => {
        const id = parseId(argv[2]);
        if (id === undefined) return ERR_BAD_ID;
        const index = parseInteger(argv[4]);
        if (index === undefined || index < 0) return ERR_NOT_INT;
        let member;
        try {
          // '-': the node does not know its own address (a --join node); the leader does.
          member = argv[3].toString('latin1') === '-' ? undefined : parseMemberAddress(id, argv[3].toString('latin1'));
        } catch (e) {
          return new ErrorReply(`ERR ${(e as MembersError).message}`);
        }
        return onLeader(server, argv, conn?.proto ?? 2, (c, done) => rejoinOnLeader(c.rejoinLeader(), id, member, index, done));
      },
    ),
    cmd('raft.node|remove', 3, doc('Removes a node from the cluster.', [arg('node-id', 'integer')]), ({ server, conn }, argv) => {
      const id = parseId(argv[2]);
      if (id === undefined) return ERR_BAD_ID;
      return onLeader(server, argv, conn?.proto ?? 2, (c, done) => c.removeNode(id, done));
    }),
  ];
}

// ---------------------------------------------------------------- WAIT

const ERR_TIMEOUT_NOT_INT = new ErrorReply('ERR timeout is not an integer or out of range');
const ERR_TIMEOUT_NEGATIVE = new ErrorReply('ERR timeout is negative');
const ERR_NOT_INT = new ErrorReply('ERR value is not an integer or out of range');
/** How often a waiting WAIT looks at the followers' progress. */
const WAIT_POLL_MS = 5;

/** Redis's integer parse (string2ll), or undefined. */
function parseInteger(b: Buffer): number | undefined {
  return parseLongLong(b) ?? undefined;
}

/** Leader: resolves with how many other members have `index` on disk, once `want` do or the timeout (0: none) passes. */
function waitForReplicas(c: RaftReplicator, index: number, want: number, timeoutMs: number, done: (r: Reply) => void): void {
  const deadline = timeoutMs === 0 ? Infinity : Date.now() + timeoutMs;
  const check = (): void => {
    const have = c.replicasHaving(index);
    if (have >= want || Date.now() >= deadline || !c.isLeader()) done(have);
    else setTimeout(check, WAIT_POLL_MS);
  };
  check();
}

/**
 * WAIT numreplicas timeout: Redis's answer, the number of replicas (members
 * other than the leader) that have this client's writes. An acknowledged
 * write is already on a majority; WAIT lets a client ask for more (WAIT 2 0
 * on three nodes: on every node). A follower asks the leader (RAFT.WAIT with
 * the index it applied when it answered the client's last write).
 */
function waitCommand(): ServerCommand {
  const flags: CommandFlag[] = ['noscript'];
  return {
    ...cmd(
      'wait',
      3,
      { summary: 'Blocks until the asynchronous replication of all preceding write commands sent by the connection is completed.', since: '3.0.0', group: 'generic', complexity: 'O(1)', arguments: [arg('numreplicas', 'integer'), arg('timeout', 'integer')] },
      ({ server, conn }, argv) => {
        const want = parseInteger(argv[1]);
        if (want === undefined) return ERR_NOT_INT;
        const timeout = parseInteger(argv[2]);
        if (timeout === undefined) return ERR_TIMEOUT_NOT_INT;
        if (timeout < 0) return ERR_TIMEOUT_NEGATIVE;
        const c = server.cluster;
        if (!c) return 0;
        const index = conn.lastWriteIndex;
        return new DeferredReply((done) => {
          if (c.isLeader()) waitForReplicas(c, index, want, timeout, done);
          else if (c.leaderId() === 0) done(errClusterDown('no leader'));
          else c.forward(0, [Buffer.from('RAFT.WAIT'), argv[1], argv[2], Buffer.from(String(index))], conn.proto, done, timeout === 0 ? 24 * 3600_000 : timeout);
        });
      },
      flags,
    ),
    aclCategories: ['@slow', '@connection'],
  };
}

export function clusterCommands(): Array<ServerCommand | ContainerCommand> {
  const subs = nodeSubcommands();
  const node = container('raft.node', doc('A container for cluster membership commands.'), ADMIN_FLAGS, subs, ADMIN_ACL);
  return [
    node,
    waitCommand(),
    cmd(
      'raft.wait',
      4,
      doc('Waits until numreplicas members other than the leader have the log up to index (WAIT from a follower).', [
        arg('numreplicas', 'integer'),
        arg('timeout', 'integer'),
        arg('index', 'integer'),
      ]),
      ({ server, conn }, argv) => {
        const want = parseInteger(argv[1]);
        const timeout = parseInteger(argv[2]);
        const index = parseInteger(argv[3]);
        if (want === undefined || index === undefined || index < 0) return ERR_NOT_INT;
        if (timeout === undefined) return ERR_TIMEOUT_NOT_INT;
        if (timeout < 0) return ERR_TIMEOUT_NEGATIVE;
        return onLeader(server, argv, conn?.proto ?? 2, (c, done) => waitForReplicas(c, index, want, timeout, done));
      },
    ),
    cmd(
      'raft.transfer_leader',
      -1,
      doc('Hands leadership to another voter (the most up-to-date one if no id is given).', [arg('node-id', 'integer', { optional: true })]),
      ({ server, conn }, argv) => {
        if (argv.length > 2) return new ErrorReply("ERR wrong number of arguments for 'raft.transfer_leader' command");
        const id = argv.length === 2 ? parseId(argv[1]) : 0;
        if (id === undefined) return ERR_BAD_ID;
        return onLeader(server, argv, conn?.proto ?? 2, (c, done) => {
          const target = id || c.bestTransferTarget();
          if (!target) done(new ErrorReply('ERR no other voter to transfer leadership to'));
          else c.transferLeader(target, done);
        });
      },
    ),
    cmd('raft.compact', 1, doc('Writes the durable keyspace and compacts this node\'s log behind it.'), ({ server }) => {
      const c = server.cluster;
      if (!c) return ERR_NO_CLUSTER;
      return new DeferredReply((done) => {
        c.compactNow().then(
          () => done(OK),
          (err: Error) => done(new ErrorReply(`ERR compaction failed: ${err.message.replace(/[\r\n]/g, ' ')}`)),
        );
      });
    }),
    cmd('raft.info', 1, doc('Returns the Raft state of this node (same as INFO raft).'), ({ server }) => new VerbatimReply('txt', renderInfo(server, ['raft'])), [
      'loading',
      'stale',
    ]),
  ];
}

/** CLIENT READMODE [local|lease|linearizable]: this connection's read consistency. */
export function clientReadmode(): ServerCommand {
  return {
    kind: 'server',
    name: 'client|readmode',
    arity: -2,
    flags: ['noscript', 'loading', 'stale'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    aclCategories: ['@slow', '@connection'],
    doc: {
      summary: 'Shows or sets the read consistency of the connection: local, lease or linearizable.',
      since: '0.1.0',
      group: 'connection',
      complexity: 'O(1)',
      arguments: [
        arg('mode', 'oneof', {
          optional: true,
          arguments: [
            arg('local', 'pure-token', { token: 'LOCAL' }),
            arg('lease', 'pure-token', { token: 'LEASE' }),
            arg('linearizable', 'pure-token', { token: 'LINEARIZABLE' }),
          ],
        }),
      ],
    },
    run: ({ conn, server }, argv) => {
      if (argv.length === 2) return new SimpleString(conn.readMode ?? server.config['read-mode']);
      if (argv.length > 3) return new ErrorReply("ERR wrong number of arguments for 'client|readmode' command");
      const mode = argv[2].toString('latin1').toLowerCase();
      if (mode !== 'local' && mode !== 'lease' && mode !== 'linearizable') {
        return new ErrorReply("ERR read mode must be 'local', 'lease' or 'linearizable'");
      }
      conn.readMode = mode;
      return OK;
    },
  };
}
