import type { Reply } from '../../protocol/reply';
import { parseInt64 } from './util';
import type { ArgDoc, CommandDoc, CommandFlag } from './types';
import type { AfterWrites, DeferredReply, Replies, ServerCommand, ServerContext } from './table';

/**
 * The builder the operations commands (LOLWUT, LATENCY, DEBUG, MONITOR, ...)
 * share: a keyless server command. Kept apart from server.ts's private helper
 * so those modules need not import the big connection/server command file.
 */
export function serverCmd(
  name: string,
  arity: number,
  flags: CommandFlag[],
  acl: string[],
  doc: CommandDoc,
  run: (ctx: ServerContext, argv: Buffer[]) => Reply | DeferredReply | Replies | AfterWrites,
): ServerCommand {
  return { kind: 'server', name, arity, flags, firstKey: 0, lastKey: 0, keyStep: 0, aclCategories: acl, doc, run };
}

export const docArg = (name: string, type: ArgDoc['type'], extra: Partial<ArgDoc> = {}): ArgDoc => ({ name, type, ...extra });

/**
 * Redis's getLongFromObject (a strict int64). Values beyond 2^53 come back
 * approximate, which is fine for the callers: they clamp to small limits.
 */
export function parseLong(b: Buffer): number | undefined {
  const v = parseInt64(b);
  return v === null ? undefined : Number(v);
}
