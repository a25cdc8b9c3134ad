import { parseBytes } from './config-bytes';

/**
 * Redis's client-output-buffer-limit: per client class a hard limit (close at
 * once) and a soft limit that closes a client staying over it for longer than
 * a number of seconds. 0 disables a limit. Syntax and semantics of Redis 7
 * (config.c, networking.c checkClientOutputBufferLimits).
 */

export type ClientClass = 'normal' | 'replica' | 'pubsub';

export interface OutputLimit {
  hard: number;
  soft: number;
  softSeconds: number;
}

export type OutputLimits = Record<ClientClass, OutputLimit>;

export const DEFAULT_OUTPUT_LIMITS = 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60';

/** Redis accepts `slave` and `replica` for the replica class and shows `slave`. */
function className(word: string): ClientClass | undefined {
  switch (word.toLowerCase()) {
    case 'normal':
      return 'normal';
    case 'slave':
    case 'replica':
      return 'replica';
    case 'pubsub':
      return 'pubsub';
    default:
      return undefined;
  }
}

const SHOWN: Record<ClientClass, string> = { normal: 'normal', replica: 'slave', pubsub: 'pubsub' };

export function parseOutputLimits(value: string): OutputLimits {
  const limits = {} as OutputLimits;
  const words = value.trim().split(/\s+/);
  for (let i = 0; i + 3 < words.length; i += 4) {
    const c = className(words[i]);
    if (c !== undefined) limits[c] = { hard: Number(parseBytes(words[i + 1])), soft: Number(parseBytes(words[i + 2])), softSeconds: Number(words[i + 3]) };
  }
  return limits;
}

export function formatOutputLimits(l: OutputLimits): string {
  return (['normal', 'replica', 'pubsub'] as const).map((c) => `${SHOWN[c]} ${l[c].hard} ${l[c].soft} ${l[c].softSeconds}`).join(' ');
}

/**
 * Applies `<class> <hard> <soft> <soft seconds>`... to the current setting (a
 * class not named keeps its limits, as in Redis) and returns the new setting
 * in canonical form; throws an Error worded as Redis's CONFIG SET failure.
 */
export function updateOutputLimits(current: string, raw: string): string {
  const words = raw.trim().split(/\s+/).filter((w) => w !== '');
  if (words.length === 0 || words.length % 4 !== 0) throw new Error('Wrong number of arguments in buffer limit configuration.');
  const limits = parseOutputLimits(current);
  for (let i = 0; i < words.length; i += 4) {
    const c = className(words[i]);
    if (c === undefined) throw new Error('Invalid client class specified in buffer limit configuration.');
    const hard = parseBytes(words[i + 1]);
    const soft = parseBytes(words[i + 2]);
    const secs = /^\d+$/.test(words[i + 3]) ? Number(words[i + 3]) : undefined;
    if (hard === undefined || soft === undefined || secs === undefined || hard < 0 || soft < 0 || !Number.isSafeInteger(hard) || !Number.isSafeInteger(soft)) {
      throw new Error('Error in hard, soft or soft_seconds setting in buffer limit configuration.');
    }
    limits[c] = { hard, soft, softSeconds: secs };
  }
  return formatOutputLimits(limits);
}

/**
 * Whether a client with `used` bytes of pending output must be closed now.
 * `softSince` is when it went over the soft limit (0: it is not over it);
 * the result carries the updated value to keep.
 */
export function checkOutputLimit(limit: OutputLimit, used: number, softSince: number, nowMs: number): { close: boolean; softSince: number } {
  if (limit.hard > 0 && used >= limit.hard) return { close: true, softSince };
  if (limit.soft > 0 && used >= limit.soft) {
    if (softSince === 0) return { close: false, softSince: nowMs };
    // Redis compares whole seconds: over the soft limit for more than softSeconds.
    const elapsed = Math.floor((nowMs - softSince) / 1000);
    return { close: elapsed > limit.softSeconds, softSince };
  }
  return { close: false, softSince: 0 };
}
