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
  /** Ring of (time, commands processed, bytes in, bytes out) samples for the instantaneous_* rates. */
  private samples: Array<[number, number, number, number]> = [];

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
    this.samples.push([now, this.totalCommandsProcessed, this.netInputBytes, this.netOutputBytes]);
    if (this.samples.length > 16) this.samples.shift();
  }

  instantaneousOpsPerSec(): number {
    return Math.round(this.rate(1));
  }

  /** instantaneous_input_kbps / instantaneous_output_kbps (Redis: KB per second, two decimals). */
  instantaneousKbps(): { input: number; output: number } {
    return { input: this.rate(2) / 1024, output: this.rate(3) / 1024 };
  }

  /** Per second over the sample ring, of the counter at `column`. */
  private rate(column: 1 | 2 | 3): number {
    if (this.samples.length < 2) return 0;
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    return last[0] > first[0] ? ((last[column] - first[column]) * 1000) / (last[0] - first[0]) : 0;
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
