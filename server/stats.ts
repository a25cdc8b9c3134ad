import { ErrorCounts, forEachError } from './error-stats';
import { ErrorReply, RawReply, type Reply } from '../protocol/reply';

/** Counters behind INFO stats and INFO commandstats, named as Redis prints them. */
export class CommandStat {
  calls = 0;
  usec = 0;
  rejectedCalls = 0;
  failedCalls = 0;
}

export class ServerStats {
  totalConnectionsReceived = 0;
  rejectedConnections = 0;
  totalCommandsProcessed = 0;
  netInputBytes = 0;
  netOutputBytes = 0;
  keyspaceHits = 0;
  keyspaceMisses = 0;
  expiredKeys = 0;
  evictedKeys = 0;
  totalErrorReplies = 0;
  /** INFO errorstats. */
  readonly errors = new ErrorCounts();
  readonly commands = new Map<string, CommandStat>();
  /** Ring of (time, commands processed) samples for instantaneous_ops_per_sec. */
  private samples: Array<[number, number]> = [];

  /**
   * Counts every error in a reply a client gets; returns whether the reply
   * itself is one. `nested`: also errors inside it (EXEC, scripts); other
   * commands never nest errors, and walking their big replies (XRANGE's
   * hundreds of fields) cost 8% of the CPU of an XRANGE benchmark.
   */
  countErrors(reply: Reply, nested = true): boolean {
    if (nested) return forEachError(reply, this.onError);
    if (reply instanceof ErrorReply) return forEachError(reply, this.onError);
    if (reply instanceof RawReply) {
      const b = reply.bytes;
      if (b.length > 0 && (b[0] === 0x2d || b[0] === 0x21)) return forEachError(reply, this.onError);
    }
    return false;
  }

  private readonly onError = (code: string): void => {
    this.totalErrorReplies++;
    this.errors.add(code);
  };

  command(name: string): CommandStat {
    let s = this.commands.get(name);
    if (!s) {
      s = new CommandStat();
      this.commands.set(name, s);
    }
    return s;
  }

  sample(now: number): void {
    this.samples.push([now, this.totalCommandsProcessed]);
    if (this.samples.length > 16) this.samples.shift();
  }

  instantaneousOpsPerSec(): number {
    if (this.samples.length < 2) return 0;
    const [t0, c0] = this.samples[0];
    const [t1, c1] = this.samples[this.samples.length - 1];
    return t1 > t0 ? Math.round(((c1 - c0) * 1000) / (t1 - t0)) : 0;
  }

  reset(): void {
    this.totalConnectionsReceived = this.rejectedConnections = this.totalCommandsProcessed = 0;
    this.netInputBytes = this.netOutputBytes = this.keyspaceHits = this.keyspaceMisses = 0;
    this.expiredKeys = this.evictedKeys = this.totalErrorReplies = 0;
    this.commands.clear();
    this.errors.clear();
    this.samples = [];
  }
}
