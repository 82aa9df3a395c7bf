import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { AppError } from '@chat/contract';
import type { ApiState } from '../context.js';

/**
 * Runs after the router: a path no route knows is a 404 `not_found`; a known
 * path with the wrong method is a 405 with `Allow` (code `not_found`, as the
 * contract has no code of its own for it).
 */
export function notFound(router: Router<ApiState>): Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.body !== undefined || ctx.status !== 404) return;
    const allowed = new Set(router.match(ctx.path, ctx.method).path.flatMap((layer) => layer.methods));
    if (allowed.size > 0) {
      ctx.set('Allow', [...allowed].join(', '));
      ctx.status = 405;
      ctx.body = { error: { code: 'not_found', message: `${ctx.method} is not allowed here; use ${[...allowed].join(' or ')}` } };
      return;
    }
    throw AppError.notFound(`no route for ${ctx.method} ${ctx.path}`);
  };
}
