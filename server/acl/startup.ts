/**
 * `aclfile` at startup: the file is read and checked before the node
 * serves (a bad file stops the start, as in Redis), then its users are
 * proposed through the log like ACL LOAD, retried until a leader applies
 * them. Every node given the file does this; the same file gives the same
 * users, so the repeats change nothing.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { ErrorReply, type Reply } from '../../protocol/reply';
import { aclLoadOp } from './ops';
import { AclTable } from './table';
import type { AclCatalog } from './user';

/** The file's lines, or an error message naming the file and line. */
export function readAclFileChecked(path: string, catalog: AclCatalog): { lines: string[] } | { error: string } {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (e) {
    return { error: `Error loading ACLs, opening file '${path}': ${(e as Error).message}` };
  }
  const lines = text.split('\n');
  const probe = new AclTable(() => false, catalog);
  const r = probe.load(lines);
  if (!r.ok) return { error: `${path}: ${r.error.replace(/^ERR /, '')}` };
  return { lines };
}

const RETRY_MS = 1000;

export function proposeAclFile(lines: string[], submit: (argv: Buffer[], done: (r: Reply) => void) => void, log: Logger, stopped: () => boolean): void {
  const attempt = () => {
    if (stopped()) return;
    submit(aclLoadOp(lines), (reply) => {
      if (!(reply instanceof ErrorReply)) {
        log.info({ users: lines.filter((l) => l.trim().startsWith('user ')).length }, 'aclfile users applied');
        return;
      }
      // No leader yet, or a disk that refuses writes: try again.
      setTimeout(attempt, RETRY_MS).unref();
    });
  };
  attempt();
}
