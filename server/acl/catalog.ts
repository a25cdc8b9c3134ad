/**
 * The command table as ACL rules see it: leaf commands (a plain command,
 * or 'container|sub' for each subcommand) and the categories each is in.
 */
import type { CommandTable } from '../commands/table';
import type { AclCatalog } from './user';

/** Redis 7's categories, in ACL CAT's order. */
export const ACL_CATEGORIES = [
  'keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string', 'bitmap', 'hyperloglog', 'geo', 'stream', 'pubsub',
  'admin', 'fast', 'slow', 'blocking', 'dangerous', 'connection', 'transaction', 'scripting',
] as const;

export function aclCatalog(table: CommandTable): AclCatalog {
  const commands = new Map<string, { leaves: string[]; container: boolean }>();
  const byCategory = new Map<string, string[]>(ACL_CATEGORIES.map((c) => [c, []]));
  const all: string[] = [];
  const addLeaf = (leaf: string, cats: readonly string[]) => {
    all.push(leaf);
    for (const c of cats) {
      const name = c.startsWith('@') ? c.slice(1) : c;
      let list = byCategory.get(name);
      if (list === undefined) byCategory.set(name, (list = []));
      list.push(leaf);
    }
  };
  for (const def of table.all()) {
    if (def.name.startsWith('\0')) continue;
    if (def.kind === 'container') {
      const leaves: string[] = [];
      for (const [sub, s] of def.subcommands) {
        const leaf = `${def.name}|${sub}`;
        leaves.push(leaf);
        addLeaf(leaf, s.aclCategories.length > 0 ? s.aclCategories : def.aclCategories);
      }
      commands.set(def.name, { leaves, container: true });
    } else {
      commands.set(def.name, { leaves: [def.name], container: false });
      addLeaf(def.name, def.aclCategories);
    }
  }
  return {
    command: (name) => commands.get(name),
    category: (name) => byCategory.get(name),
    allLeaves: () => all,
  };
}
