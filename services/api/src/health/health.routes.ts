import type Router from '@koa/router';
import type { ApiServices, ApiState } from '../context.js';
import { checkDependencies } from './readiness.js';

/** `GET /health` (the process runs) and `GET /health/ready` (Redis and PostgreSQL answer). */
export function healthRoutes(router: Router<ApiState>, services: ApiServices, readyTimeoutMs: number): void {
  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok', service: 'api' };
  });
  router.get('/health/ready', async (ctx) => {
    const checks = await checkDependencies(services, readyTimeoutMs);
    const ready = checks.redis === 'ok' && checks.postgres === 'ok';
    if (ready) {
      ctx.body = { status: 'ok', checks };
      return;
    }
    ctx.status = 503;
    ctx.body = { error: { code: 'unavailable', message: 'dependencies are not ready' }, checks };
  });
}
