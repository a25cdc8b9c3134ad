import { ErrorReply, PushReply, type Reply } from '../../protocol/reply';
import type { ArgDoc, CommandDoc, CommandFlag } from './types';
import { container, DeferredReply, Replies, type ContainerCommand, type ServerCommand, type ServerContext } from './table';

/**
 * SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH and PUBSUB, as in
 * Redis 7. Confirmations are pushes (arrays in RESP2); a subscribed RESP2
 * client may only send the commands server.ts allows.
 */

const FLAGS: CommandFlag[] = ['pubsub', 'noscript', 'loading', 'stale'];
const ACL = ['@pubsub', '@slow'];
const arg = (name: string, type: ArgDoc['type'], extra: Partial<ArgDoc> = {}): ArgDoc => ({ name, type, ...extra });
const doc = (summary: string, since: string, complexity: string, args: ArgDoc[]): CommandDoc => ({ summary, since, group: 'pubsub', complexity, arguments: args });

function cmd(name: string, arity: number, flags: CommandFlag[], d: CommandDoc, run: ServerCommand['run']): ServerCommand {
  return { kind: 'server', name, arity, flags, firstKey: 0, lastKey: 0, keyStep: 0, aclCategories: ACL, doc: d, run };
}

const kind = (s: string) => Buffer.from(s);

/** Each name once (binary-safe), in first-seen order. */
function union(names: Buffer[]): Buffer[] {
  const seen = new Map<string, Buffer>();
  for (const n of names) if (!seen.has(n.toString('latin1'))) seen.set(n.toString('latin1'), n);
  return [...seen.values()];
}
const confirm = (what: string, name: Buffer | null, count: number): Reply => new PushReply([kind(what), name, count]);

function unsubscribeAll(
  { conn, server }: ServerContext,
  argv: Buffer[],
  which: 'channels' | 'patterns',
): Replies {
  const word = which === 'channels' ? 'unsubscribe' : 'punsubscribe';
  const drop = (key: string) => (which === 'channels' ? server.pubsub.unsubscribe(conn, key) : server.pubsub.punsubscribe(conn, key));
  const names = argv.length > 1 ? argv.slice(1).map((b) => b.toString('latin1')) : [...conn[which]];
  if (names.length === 0) return new Replies([confirm(word, null, conn.subscriptions)]);
  return new Replies(
    names.map((key) => {
      drop(key);
      return confirm(word, Buffer.from(key, 'latin1'), conn.subscriptions);
    }),
  );
}

export function pubsubCommands(): Array<ServerCommand | ContainerCommand> {
  const channelsArg = [arg('channel', 'string', { multiple: true })];
  const subs: ServerCommand[] = [
    // Cluster-wide: this node's subscriptions plus every live peer's (pubsub-peers.ts).
    cmd('pubsub|channels', -2, ['pubsub', 'loading', 'stale'], doc('Returns the active channels.', '2.8.0', 'O(N) where N is the number of active channels', [arg('pattern', 'pattern', { optional: true })]), ({ server }, argv) => {
      if (argv.length > 3) return new ErrorReply("ERR wrong number of arguments for 'pubsub|channels' command");
      const pattern = argv[2];
      return new DeferredReply((done) =>
        server.peerPubSub.channels(pattern, (remote) => done(union([...server.pubsub.activeChannels(pattern), ...remote]))),
      );
    }),
    cmd('pubsub|numsub', -2, ['pubsub', 'loading', 'stale'], doc('Returns a count of subscribers to channels.', '2.8.0', 'O(N) for the NUMSUB subcommand, where N is the number of requested channels', [arg('channel', 'string', { optional: true, multiple: true })]), ({ server }, argv) => {
      const channels = argv.slice(2);
      if (channels.length === 0) return [];
      return new DeferredReply((done) =>
        server.peerPubSub.numsub(channels, (remote) => {
          const out: Reply[] = [];
          channels.forEach((ch, i) => out.push(ch, server.pubsub.numsub(ch) + remote[i]));
          done(out);
        }),
      );
    }),
    // Unique patterns, as Redis counts them: a pattern subscribed on two nodes counts once.
    cmd('pubsub|numpat', 2, ['pubsub', 'loading', 'stale'], doc('Returns a count of unique pattern subscriptions.', '2.8.0', 'O(1)', []), ({ server }) =>
      new DeferredReply((done) => server.peerPubSub.patterns((remote) => done(union([...server.pubsub.patternList(), ...remote]).length))),
    ),
  ];
  const pubsub = container('pubsub', { summary: 'A container for Pub/Sub commands.', since: '2.8.0', group: 'pubsub', complexity: 'Depends on subcommand.' }, [], subs);
  return [
    cmd('subscribe', -2, FLAGS, doc('Listens for messages published to channels.', '2.0.0', 'O(N) where N is the number of channels to subscribe to.', channelsArg), ({ conn, server }, argv) =>
      new Replies(
        argv.slice(1).map((ch) => {
          server.pubsub.subscribe(conn, ch);
          return confirm('subscribe', ch, conn.subscriptions);
        }),
      ),
    ),
    cmd('unsubscribe', -1, FLAGS, doc('Stops listening to messages posted to channels.', '2.0.0', 'O(N) where N is the number of channels to unsubscribe.', [arg('channel', 'string', { optional: true, multiple: true })]), (ctx, argv) =>
      unsubscribeAll(ctx, argv, 'channels'),
    ),
    cmd('psubscribe', -2, FLAGS, doc('Listens for messages published to channels that match one or more patterns.', '2.0.0', 'O(N) where N is the number of patterns to subscribe to.', [arg('pattern', 'pattern', { multiple: true })]), ({ conn, server }, argv) =>
      new Replies(
        argv.slice(1).map((p) => {
          server.pubsub.psubscribe(conn, p);
          return confirm('psubscribe', p, conn.subscriptions);
        }),
      ),
    ),
    cmd('punsubscribe', -1, FLAGS, doc('Stops listening to messages published to channels that match one or more patterns.', '2.0.0', 'O(N) where N is the number of patterns to unsubscribe.', [arg('pattern', 'pattern', { optional: true, multiple: true })]), (ctx, argv) =>
      unsubscribeAll(ctx, argv, 'patterns'),
    ),
    cmd('publish', 3, ['pubsub', 'loading', 'stale', 'fast', 'may_replicate'], doc('Posts a message to a channel.', '2.0.0', 'O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).', [arg('channel', 'string'), arg('message', 'string')]), ({ server }, argv) =>
      new DeferredReply((done) => server.publishCounted(argv[1], argv[2], done)),
    ),
    pubsub,
  ];
}
