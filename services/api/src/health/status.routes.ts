import type Router from '@koa/router';
import { STATUS_PATHS, statusEndpoints, type StatusOptions } from '@chat/runtime';
import type { ApiState } from '../context.js';

/** Every service's `/health`, `/health/ready` and `/metrics` (see @chat/runtime), as routes of the API's router. */
export function statusRoutes(router: Router<ApiState>, options: StatusOptions): void {
  const endpoints = statusEndpoints(options);
  for (const path of STATUS_PATHS) {
    router.get(path, async (ctx) => {
      const answer = await endpoints(ctx.method, path);
      if (!answer) return;
      ctx.status = answer.status;
      ctx.body = answer.body;
      ctx.type = answer.contentType;
      ctx.set('Cache-Control', 'no-store');
    });
  }
}
