import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

export interface LoggerFactoryOptions {
  service: string;
  level?: LoggerOptions['level'];
}

/** One root logger per process; modules take `logger.child({ module })`. */
export function createLogger({ service, level = 'info' }: LoggerFactoryOptions): Logger {
  return pino({
    name: service,
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'req.headers.authorization', 'req.headers.cookie'],
      censor: '[redacted]',
    },
  });
}
