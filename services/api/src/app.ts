import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import Router from '@koa/router';
import { createStore, withRequestContext } from '@chat/store';
import { createHttpMetrics, createRegistry, Revocations, safeError, type Registry } from '@chat/runtime';
import { authRoutes } from './auth/auth.routes.js';
import { requireAuth } from './auth/require-auth.js';
import type { ApiDeps, ApiServices, ApiState } from './context.js';
import { openApiRoutes } from './docs/openapi.routes.js';
import { statusRoutes } from './health/status.routes.js';
import { contractRoutes } from './http/contract-route.js';
import { cors } from './http/cors.js';
import { errorSink } from './http/error-sink.js';
import { jsonBody } from './http/json-body.js';
import { notFound } from './http/not-found.js';
import { requestLog } from './http/request-log.js';
import { historyRoutes } from './messages/history.routes.js';
import { httpMetricsMiddleware } from './metrics/http-metrics.middleware.js';
import { roomRoutes } from './rooms/rooms.routes.js';

export interface ApiOptions {
  /**
   * Longest `/health/ready` waits for Redis or PostgreSQL before calling it down.
   * @default 1000
   */
  readyTimeoutMs?: number;
  /**
   * On `stop()`, how long in-flight requests may run before their connections are cut.
   * @default 10000
   */
  shutdownTimeoutMs?: number;
}

const defaults: Required<ApiOptions> = { readyTimeoutMs: 1_000, shutdownTimeoutMs: 10_000 };

export interface ListeningAddress {
  port: number;
  url: string;
}

export interface Api {
  app: Koa<ApiState>;
  /** The Node request handler (for tests or a server of your own). */
  callback: ReturnType<Koa['callback']>;
  registry: Registry;
  /** Listens on `port`/`host` (defaults: the config's); port 0 picks a free one. */
  start(port?: number, host?: string): Promise<ListeningAddress>;
  /** Stops accepting, lets in-flight requests finish, closes the store it made, then resolves; idempotent. Closes no dependency. */
  stop(): Promise<void>;
}

/** Builds the REST API on the given dependencies; `main.ts` creates and closes those. */
export function createApi(deps: ApiDeps, options: ApiOptions = {}): Api {
  const opts = { ...defaults, ...options };
  const { config, logger } = deps;
  const store = createStore(deps.orm, { messagePoolMax: 4 });
  const registry = createRegistry('api');
  const services: ApiServices = {
    config,
    store,
    redis: deps.redis,
    revocations: new Revocations({ redis: deps.redis, load: (within) => store.revocations.active(within), tokenTtlSeconds: config.jwtTtl }),
    registry,
    logger,
  };

  const app = new Koa<ApiState>({ proxy: config.trustProxy, maxIpsCount: 1 });
  app.on('error', (err: unknown) => logger.child({ module: 'http' }).warn({ err: safeError(err) }, 'response error'));

  const router = new Router<ApiState>();
  const auth = requireAuth(config.jwtSecret, services.revocations);
  const body = jsonBody(config.bodyLimit);
  statusRoutes(router, {
    service: 'api',
    registry,
    logger,
    readyTimeoutMs: opts.readyTimeoutMs,
    checks: { redis: () => deps.redis.ping(), postgres: () => services.store.ping() },
  });
  const route = contractRoutes(router, { requireAuth: auth, jsonBody: body });
  authRoutes(route, services);
  roomRoutes(route, services);
  historyRoutes(route, services);
  openApiRoutes(route);

  app.use(httpMetricsMiddleware(createHttpMetrics(registry)));
  app.use(requestLog(logger));
  app.use(errorSink(logger));
  app.use(cors(config.corsOrigins));
  // Every request gets its own EntityManager fork, which the store's queries use.
  app.use((_ctx, next) => withRequestContext(deps.orm, next));
  app.use(notFound(router));
  app.use(router.routes());

  const callback = app.callback();
  let server: Server | undefined;
  let stopping: Promise<void> | undefined;

  const start = async (port = config.port, host = config.host): Promise<ListeningAddress> => {
    if (server) throw new Error('the API is already started');
    const s = createServer(callback);
    server = s;
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, host, () => {
        s.off('error', reject);
        resolve();
      });
    });
    const address = s.address() as AddressInfo;
    const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    logger.child({ module: 'api' }).info({ port: address.port, host }, 'listening');
    return { port: address.port, url: `http://${urlHost.includes(':') ? `[${urlHost}]` : urlHost}:${address.port}` };
  };

  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      const s = server;
      if (!s?.listening) {
        await services.store.close();
        return;
      }
      const closed = new Promise<void>((resolve) => s.close(() => resolve()));
      // close() stops accepting and drops idle keep-alive connections; busy ones finish their
      // request and are dropped as soon as they go idle; stragglers are cut at the deadline.
      const sweep = setInterval(() => s.closeIdleConnections(), 50);
      const deadline = setTimeout(() => s.closeAllConnections(), opts.shutdownTimeoutMs);
      await closed;
      clearInterval(sweep);
      clearTimeout(deadline);
      await services.store.close();
    })());

  return { app, callback, registry, start, stop };
}
