/**
 * ACL (Redis 7): users, permissions, the ACL LOG. SETUSER, DELUSER and LOAD
 * change replicated state: they go through the log (server/acl/ops.ts) and
 * answer once applied, so a user made on any node exists on every node and
 * survives restarts. The rest read this node's copy.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { DoubleReply, ErrorReply, MapReply, OK, type Reply } from '../../protocol/reply';
import { ACL_CATEGORIES } from '../acl/catalog';
import { aclDelUserOp, aclLoadOp, aclSetUserOp } from '../acl/ops';
import { channelAccesses, keyAccesses } from '../acl/keys';
import { Denial, type Selector } from '../acl/user';
import { arityOk } from './define';
import { cmd, container } from './server';
import { DeferredReply, type ContainerCommand, type ServerCommand, type ServerContext } from './table';
import { parseInt64 } from './util';

const str = (b: Buffer): string => b.toString('latin1');

const NO_ACLFILE =
  'ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.';

const HELP = [
  'ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CAT [<category>]',
  '    List all commands that belong to <category>, or all command categories',
  '    when no category is specified.',
  'DELUSER <username> [<username> ...]',
  '    Delete a list of users.',
  'DRYRUN <username> <command> [<arg> ...]',
  '    Returns whether the user can execute the given command without executing the command.',
  'GETUSER <username>',
  "    Get the user's details.",
  'GENPASS [<bits>]',
  '    Generate a secure 256-bit user password. The optional `bits` argument can',
  '    be used to specify a different size.',
  'LIST',
  '    Show users details in config file format.',
  'LOAD',
  '    Reload users from the ACL file.',
  'LOG [<count> | RESET]',
  '    Show the ACL log entries.',
  'SAVE',
  '    Save the current config to the ACL file.',
  'SETUSER <username> <attribute> [<attribute> ...]',
  '    Create or modify a user with the specified attributes.',
  'USERS',
  '    List all the registered usernames.',
  'WHOAMI',
  '    Return the current connection username.',
  'HELP',
  '    Prints this help.',
];

const ADMIN = ['@admin', '@slow', '@dangerous'];
const FLAGS: ServerCommand['flags'] = ['admin', 'noscript', 'loading', 'stale'];

function doc(summary: string, since = '6.0.0') {
  return { summary, since, group: 'server' as const, complexity: 'O(1)' };
}

/** Proposes an ACL op and answers with what the state machine replied. */
function replicated({ conn, server }: ServerContext, op: Buffer[]): DeferredReply {
  return new DeferredReply((done) => server.submitInternalOp(op, conn.proto, done));
}

function selectorMap(s: Selector): MapReply {
  return new MapReply([
    ['commands', s.describeCommands()],
    ['keys', s.describeKeys()],
    ['channels', s.describeChannels()],
  ]);
}

function readAclFile(path: string): string[] {
  return readFileSync(path, 'latin1').split('\n');
}

export function aclCommand(): ContainerCommand {
  const subs: ServerCommand[] = [
    cmd('acl|cat', -2, ['noscript', 'loading', 'stale'], ['@slow'], doc('Lists the ACL categories, or the commands inside a category.'), ({ server }, argv) => {
      if (argv.length > 3) return new ErrorReply("ERR wrong number of arguments for 'acl|cat' command");
      if (argv.length === 2) return [...ACL_CATEGORIES];
      const cat = str(argv[2]).toLowerCase();
      const leaves = server.keyspace.acl.catalogView?.category(cat);
      if (leaves === undefined || !(ACL_CATEGORIES as readonly string[]).includes(cat)) return new ErrorReply(`ERR Unknown category '${str(argv[2])}'`);
      return [...leaves];
    }),
    cmd('acl|deluser', -3, FLAGS, ADMIN, doc('Deletes ACL users, and terminates their connections.'), (ctx, argv) => replicated(ctx, aclDelUserOp(argv.slice(2)))),
    cmd('acl|dryrun', -4, FLAGS, ADMIN, doc('Simulates the execution of a command by a user, without executing the command.', '7.0.0'), ({ server }, argv) => {
      const name = str(argv[2]);
      const user = server.keyspace.acl.get(name);
      if (user === undefined) return new ErrorReply(`ERR User '${name}' not found`);
      const args = argv.slice(3);
      let def = server.table.get(str(args[0]).toLowerCase());
      if (def?.kind === 'container' && args.length >= 2) def = def.subcommands.get(str(args[1]).toLowerCase()) ?? def;
      // A bare container is itself the command Redis looks up (then fails its arity: 'xgroup').
      if (def?.kind === 'container' && args.length < 2 && !arityOk(def.arity, args.length)) return new ErrorReply(`ERR wrong number of arguments for '${def.name}' command`);
      if (def === undefined || def.kind === 'container') return new ErrorReply(`ERR Command '${str(args[0])}' not found`);
      if (!arityOk(def.arity, args.length)) return new ErrorReply(`ERR wrong number of arguments for '${def.name}' command`);
      const d = user.check(def.name, args, keyAccesses(def, args), channelAccesses(def, args));
      if (d === null) return OK;
      if (d.reason === Denial.Command) return `This user has no permissions to run the '${def.name}' command`;
      const what = d.reason === Denial.Key ? 'key' : 'channel';
      return `This user has no permissions to access the '${str(args[d.argIndex])}' ${what}`;
    }),
    cmd('acl|genpass', -2, ['noscript', 'loading', 'stale'], ['@slow'], doc('Generates a pseudorandom, secure password that can be used to identify ACL users.'), (_ctx, argv) => {
      if (argv.length > 3) return new ErrorReply("ERR wrong number of arguments for 'acl|genpass' command");
      let bits = 256;
      if (argv.length === 3) {
        const v = parseInt64(argv[2]);
        if (typeof v !== 'number') return new ErrorReply('ERR value is not an integer or out of range');
        if (v <= 0 || v > 4096) {
          return new ErrorReply('ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096');
        }
        bits = v;
      }
      const chars = Math.ceil(bits / 4);
      return randomBytes(Math.ceil(chars / 2)).toString('hex').slice(0, chars);
    }),
    cmd('acl|getuser', 3, FLAGS, ADMIN, doc("Lists the ACL rules of a user."), ({ server }, argv) => {
      const u = server.keyspace.acl.get(str(argv[2]));
      if (u === undefined) return null;
      const flags: Reply[] = [u.enabled ? 'on' : 'off'];
      if (u.nopass) flags.push('nopass');
      return new MapReply([
        ['flags', flags],
        ['passwords', [...u.passwords]],
        ['commands', u.root.describeCommands()],
        ['keys', u.root.describeKeys()],
        ['channels', u.root.describeChannels()],
        ['selectors', u.selectors.map(selectorMap)],
      ]);
    }),
    cmd('acl|help', 2, ['loading', 'stale'], ['@slow'], doc('Returns helpful text about the different subcommands.'), () => HELP),
    cmd('acl|list', 2, FLAGS, ADMIN, doc('Dumps the effective rules in ACL file format.'), ({ server }) => server.keyspace.acl.list().map((u) => u.describe())),
    cmd('acl|load', 2, FLAGS, ADMIN, doc('Reloads the rules from the configured ACL file.'), (ctx) => {
      const file = ctx.server.config.aclfile;
      if (file === '') return new ErrorReply(NO_ACLFILE);
      let lines: string[];
      try {
        lines = readAclFile(file);
      } catch (e) {
        return new ErrorReply(`ERR Error loading ACLs, opening file '${file}': ${(e as Error).message}`);
      }
      return replicated(ctx, aclLoadOp(lines));
    }),
    cmd('acl|log', -2, FLAGS, ADMIN, doc('Lists recent security events generated due to ACL rejections.'), ({ server }, argv) => {
      if (argv.length > 3) return new ErrorReply("ERR wrong number of arguments for 'acl|log' command");
      let count = 10;
      if (argv.length === 3) {
        if (str(argv[2]).toLowerCase() === 'reset') {
          server.acl.log.reset();
          return OK;
        }
        const v = parseInt64(argv[2]);
        if (typeof v !== 'number') return new ErrorReply('ERR value is not an integer or out of range');
        count = v < 0 ? 0 : v;
      }
      const now = Date.now();
      return server.acl.log.list(count).map(
        (e) =>
          new MapReply([
            ['count', e.count],
            ['reason', e.reason],
            ['context', e.context],
            ['object', e.object],
            ['username', e.username],
            ['age-seconds', new DoubleReply((now - e.createdAt) / 1000)],
            ['client-info', e.clientInfo],
            ['entry-id', e.entryId],
            ['timestamp-created', e.createdAt],
            ['timestamp-last-updated', e.updatedAt],
          ]),
      );
    }),
    cmd('acl|save', 2, FLAGS, ADMIN, doc('Saves the effective ACL rules in the configured ACL file.'), ({ server }) => {
      const file = server.config.aclfile;
      if (file === '') return new ErrorReply(NO_ACLFILE);
      try {
        const tmp = `${file}.tmp-${process.pid}`;
        writeFileSync(tmp, server.keyspace.acl.list().map((u) => u.describe() + '\n').join(''), 'latin1');
        renameSync(tmp, file);
      } catch (e) {
        return new ErrorReply(`ERR There was an error trying to save the ACLs. Please check the server logs for more information (${(e as Error).message})`);
      }
      return OK;
    }),
    cmd('acl|setuser', -3, FLAGS, ADMIN, doc('Creates and modifies an ACL user and its rules.'), (ctx, argv) => replicated(ctx, aclSetUserOp(argv[2], argv.slice(3)))),
    cmd('acl|users', 2, FLAGS, ADMIN, doc('Lists all ACL users.'), ({ server }) => server.keyspace.acl.names()),
    cmd('acl|whoami', 2, ['noscript', 'loading', 'stale'], ['@slow'], doc('Returns the authenticated username of the current connection.'), ({ conn }) => conn.user),
  ];
  return container('acl', { summary: 'A container for Access List Control commands.', since: '6.0.0', group: 'server', complexity: 'Depends on subcommand.' }, ['noscript', 'loading', 'stale'], subs);
}
