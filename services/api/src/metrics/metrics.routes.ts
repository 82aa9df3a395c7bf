import type Router from '@koa/router';
import type { Registry } from '@chat/runtime';
import type { ApiState } from '../context.js';

/** `GET /metrics`: Prometheus text format. */
export function metricsRoutes(router: Router<ApiState>, registry: Registry): void {
  router.get('/metrics', async (ctx) => {
    ctx.set('Content-Type', registry.contentType);
    ctx.body = await registry.metrics();
  });
}
