import type { Middleware } from 'koa';
import type { Logger } from '@chat/runtime';
import { routeOf } from './route.js';

/**
 * One debug line per request: method, path, route pattern, status and duration.
 * Never headers, query strings or bodies (tokens and passwords live there).
 */
export function requestLog(logger: Logger): Middleware {
  const log = logger.child({ module: 'http' });
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      if (log.isLevelEnabled('debug')) {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        log.debug({ method: ctx.method, path: ctx.path, route: routeOf(ctx), status: ctx.status, ms: Math.round(ms * 10) / 10 }, 'request');
      }
    }
  };
}
