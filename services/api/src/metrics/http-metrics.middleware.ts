import type { Middleware } from 'koa';
import type { HttpMetrics } from '@chat/runtime';
import { routeOf } from '../http/route.js';

/** Counts requests and observes latency by method, route pattern and final status. */
export function httpMetricsMiddleware(metrics: HttpMetrics): Middleware {
  return async (ctx, next) => {
    const end = metrics.duration.startTimer();
    try {
      await next();
    } finally {
      const labels = { method: ctx.method, route: routeOf(ctx), status: String(ctx.status) };
      end(labels);
      metrics.requests.inc(labels);
    }
  };
}
