import type { ErrorReply, Reply } from '../../protocol/reply';
import { errArity } from '../../protocol/errors';
import type { ArgDoc, BlockingSpec, CommandDoc, CommandFlag, DataCommand, ExecContext } from './types';

/** What a data command module declares; `defineCommand` adds the arity guard. */
export interface CommandSpec {
  name: string;
  arity: number;
  flags: CommandFlag[];
  /** [firstKey, lastKey, keyStep] as in COMMAND INFO; [0, 0, 0] = no keys. */
  keys: [number, number, number];
  acl: string[];
  doc: CommandDoc;
  check?(argv: Buffer[]): ErrorReply | null;
  rewrite?(argv: Buffer[], now: number): Buffer[];
  exec(ctx: ExecContext, argv: Buffer[]): Reply;
  blocking?: BlockingSpec;
}

export function arityOk(arity: number, argc: number): boolean {
  return arity >= 0 ? argc === arity : argc >= -arity;
}

/**
 * Builds a DataCommand. The dispatcher checks arity before anything else,
 * but exec and check guard it again so that no input (a MULTI body, a
 * replayed log entry) can make a handler index past argv.
 */
export function defineCommand(spec: CommandSpec): DataCommand {
  const { name, arity } = spec;
  const cmd: DataCommand = {
    kind: 'data',
    name,
    arity,
    flags: spec.flags,
    firstKey: spec.keys[0],
    lastKey: spec.keys[1],
    keyStep: spec.keys[2],
    aclCategories: spec.acl,
    doc: spec.doc,
    check(argv) {
      if (!arityOk(arity, argv.length)) return errArity(name);
      return spec.check ? spec.check(argv) : null;
    },
    exec(ctx, argv) {
      if (!arityOk(arity, argv.length)) return errArity(name);
      return spec.exec(ctx, argv);
    },
  };
  if (spec.blocking) cmd.blocking = spec.blocking;
  if (spec.rewrite) {
    const rewrite = spec.rewrite;
    cmd.rewrite = (argv, now) => (cmd.check?.(argv) === null ? rewrite(argv, now) : argv);
  }
  return cmd;
}

// Builders for COMMAND DOCS argument trees (the shape of redis src/commands/*.json).

type ArgExtra = Partial<Omit<ArgDoc, 'name' | 'type'>>;

export function keyArg(name = 'key', extra: ArgExtra = {}): ArgDoc {
  return { name, type: 'key', ...extra };
}

export function arg(name: string, type: ArgDoc['type'], extra: ArgExtra = {}): ArgDoc {
  return { name, type, ...extra };
}

export function pureToken(name: string, token: string, extra: ArgExtra = {}): ArgDoc {
  return { name, type: 'pure-token', token, ...extra };
}

export function oneOf(name: string, args: ArgDoc[], extra: ArgExtra = {}): ArgDoc {
  return { name, type: 'oneof', arguments: args, ...extra };
}

export function block(name: string, args: ArgDoc[], extra: ArgExtra = {}): ArgDoc {
  return { name, type: 'block', arguments: args, ...extra };
}
