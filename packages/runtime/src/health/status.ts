import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../logging/logger.js';
import { safeError } from '../errors/safe-error.js';
import { withTimeout } from '../timeout.js';

export type CheckResult = 'ok' | 'down';

export interface StatusOptions {
  /** The service's name, in every body. */
  service: string;
  registry: Registry;
  logger: Logger;
  /** What `/health/ready` probes, by name (`redis`, `postgres`): each must resolve within `readyTimeoutMs`. */
  checks: Record<string, () => Promise<unknown>>;
  /** @default 2000 */
  readyTimeoutMs?: number;
  /** A stopping service is alive but not ready (load balancers send it nothing new). */
  isStopping?: () => boolean;
  /** More fields for `/health` (a gateway's replica id and sockets). */
  details?: () => Record<string, unknown>;
}

export interface StatusResponse {
  status: number;
  contentType: string;
  body: string;
}

export const STATUS_PATHS: ReadonlySet<string> = new Set(['/health', '/health/ready', '/metrics']);

const json = (status: number, body: unknown): StatusResponse => ({
  status,
  contentType: 'application/json; charset=utf-8',
  body: JSON.stringify(body),
});

/**
 * Every service's `/health`, `/health/ready` and `/metrics`, with one response shape:
 * - `/health`: 200 `{status: 'ok' | 'stopping', service, ...details}` while the process runs;
 * - `/health/ready`: 200 `{status: 'ready', service, checks}` when every check passed,
 *   else 503 `{status: 'unavailable', service, checks, error: {code: 'unavailable', message}}`,
 *   where `checks` maps each dependency to `ok` or `down`;
 * - `/metrics`: Prometheus text.
 * Returns undefined for any other path.
 */
export function statusEndpoints(options: StatusOptions): (method: string, path: string) => Promise<StatusResponse> | undefined {
  const log = options.logger.child({ module: 'status' });
  const timeoutMs = options.readyTimeoutMs ?? 2000;

  const names = Object.keys(options.checks);
  let inFlight: Promise<CheckResult[]> | undefined;
  /** Every check at once; callers at the same moment (a scrape's two gauges) share one run. */
  const runChecks = (): Promise<CheckResult[]> =>
    (inFlight ??= Promise.all(
      names.map((name) =>
        withTimeout(Promise.resolve().then(options.checks[name]), timeoutMs).then(
          (): CheckResult => 'ok',
          (err: unknown): CheckResult => {
            log.warn({ check: name, err: safeError(err) }, 'readiness check failed');
            return 'down';
          },
        ),
      ),
    ).finally(() => {
      inFlight = undefined;
    }));
  registerReadinessGauges(options.registry, names, runChecks, () => options.isStopping?.() ?? false);

  const ready = async (): Promise<StatusResponse> => {
    const results = await runChecks();
    const checks = Object.fromEntries(names.map((name, i) => [name, results[i]]));
    const stopping = options.isStopping?.() ?? false;
    if (!stopping && results.every((r) => r === 'ok')) return json(200, { status: 'ready', service: options.service, checks });
    const message = stopping ? 'the service is stopping' : 'a dependency is unavailable';
    return json(503, { status: 'unavailable', service: options.service, checks, error: { code: 'unavailable', message } });
  };

  const metrics = async (): Promise<StatusResponse> => {
    try {
      return { status: 200, contentType: options.registry.contentType, body: await options.registry.metrics() };
    } catch (err) {
      log.error({ err: safeError(err) }, 'metrics collection failed');
      return json(500, { error: { code: 'internal', message: 'internal error' } });
    }
  };

  return (method, path) => {
    if (!STATUS_PATHS.has(path)) return undefined;
    if (method !== 'GET' && method !== 'HEAD') return Promise.resolve(json(405, { error: { code: 'validation', message: 'method not allowed; use GET' } }));
    switch (path) {
      case '/health':
        return Promise.resolve(json(200, { status: options.isStopping?.() ? 'stopping' : 'ok', service: options.service, ...options.details?.() }));
      case '/health/ready':
        return ready();
      default:
        return metrics();
    }
  };
}

/**
 * `chat_ready` and `chat_dependency_up{dependency}`, measured at each scrape by the
 * same checks as `/health/ready`: Prometheus alerts on readiness and on Redis or
 * PostgreSQL being unreachable even where nothing else probes the service.
 * Registered once per registry (a test may build two apps on one).
 */
function registerReadinessGauges(registry: Registry, names: string[], runChecks: () => Promise<CheckResult[]>, isStopping: () => boolean): void {
  if (registry.getSingleMetric('chat_ready')) return;
  new Gauge({
    name: 'chat_ready',
    help: 'What /health/ready answers at this scrape: 1 ready, 0 a dependency unreachable or the service stopping',
    registers: [registry],
    async collect() {
      const results = await runChecks();
      this.set(!isStopping() && results.every((r) => r === 'ok') ? 1 : 0);
    },
  });
  new Gauge({
    name: 'chat_dependency_up',
    help: "1 when this replica's readiness check of a dependency (redis, postgres) passed at this scrape, else 0",
    labelNames: ['dependency'],
    registers: [registry],
    async collect() {
      const results = await runChecks();
      names.forEach((name, i) => this.set({ dependency: name }, results[i] === 'ok' ? 1 : 0));
    },
  });
}

/** A Node request listener for the status endpoints; anything else is a 404 in the contract's error shape. */
export function statusListener(options: StatusOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const endpoints = statusEndpoints(options);
  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    const answer = endpoints(req.method ?? 'GET', path) ?? Promise.resolve(json(404, { error: { code: 'not_found', message: 'not found' } }));
    void answer.then((r) => {
      res.writeHead(r.status, { 'content-type': r.contentType, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : r.body);
    });
  };
}

/** A server of its own for the status endpoints (a service with no other HTTP, the bot worker). */
export function createStatusServer(options: StatusOptions): Server {
  return createServer(statusListener(options));
}
