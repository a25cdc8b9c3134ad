/**
 * ACL LOG (Redis 7.2's fields): denied commands, keys, channels and failed
 * AUTHs seen by this node, newest first. Like Redis's, it is per node: it
 * records what this node refused, not replicated state. An entry equal in
 * reason, context, object and user to a recent one (within 60 s) bumps that
 * one's count instead of adding a line.
 */
export type AclLogReason = 'command' | 'key' | 'channel' | 'auth';
export type AclLogContext = 'toplevel' | 'multi' | 'lua';

export interface AclLogEntry {
  count: number;
  reason: AclLogReason;
  context: AclLogContext;
  object: string;
  username: string;
  clientInfo: string;
  entryId: number;
  createdAt: number;
  updatedAt: number;
}

const GROUPING_MS = 60000;

export class AclLog {
  private entries: AclLogEntry[] = [];
  private nextId = 0;

  constructor(private readonly maxLen: () => number) {}

  add(e: Omit<AclLogEntry, 'count' | 'entryId' | 'createdAt' | 'updatedAt'>, now: number): void {
    const i = this.entries.findIndex(
      (x) => x.reason === e.reason && x.context === e.context && x.object === e.object && x.username === e.username && now - x.updatedAt < GROUPING_MS,
    );
    if (i >= 0) {
      const x = this.entries[i];
      x.count++;
      x.updatedAt = now;
      x.clientInfo = e.clientInfo;
      this.entries.splice(i, 1);
      this.entries.unshift(x);
      return;
    }
    this.entries.unshift({ ...e, count: 1, entryId: this.nextId++, createdAt: now, updatedAt: now });
    const max = this.maxLen();
    if (this.entries.length > max) this.entries.length = max;
  }

  /** Newest first, at most `count`. */
  list(count = Infinity): readonly AclLogEntry[] {
    return this.entries.slice(0, count);
  }

  reset(): void {
    this.entries = [];
  }
}
