import pino from 'pino';

/**
 * One structured line per event (pino). Level from RAFTCACHE_LOG_LEVEL
 * (default `info`); tests set it to `warn` to keep output short.
 */
export type Logger = pino.Logger;

export function createLogger(bindings: Record<string, unknown> = {}, level?: string): Logger {
  return pino({
    level: level ?? process.env.RAFTCACHE_LOG_LEVEL ?? 'info',
    base: { pid: process.pid, ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

/** A logger that drops everything; for unit tests and tools. */
export const silentLogger: Logger = pino({ level: 'silent' });
