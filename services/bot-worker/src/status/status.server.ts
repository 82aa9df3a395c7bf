import { createServer, type Server } from 'node:http';
import type { Logger, Registry } from '@chat/runtime';

export interface StatusServerDeps {
  registry: Registry;
  /** True when Redis and PostgreSQL answer. */
  ready: () => Promise<boolean>;
  logger: Logger;
}

/** `/health`, `/health/ready` and `/metrics`: the only HTTP a bot worker serves. */
export function createStatusServer({ registry, ready, logger }: StatusServerDeps): Server {
  const log = logger.child({ module: 'status' });
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    const json = (status: number, body: object): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: { code: 'validation', message: 'method not allowed' } });
    switch (path) {
      case '/health':
        return json(200, { status: 'ok', service: 'bot-worker' });
      case '/health/ready':
        ready().then(
          (ok) => json(ok ? 200 : 503, { status: ok ? 'ready' : 'unavailable' }),
          (err: unknown) => {
            log.error({ err }, 'readiness check threw');
            json(503, { status: 'unavailable' });
          },
        );
        return;
      case '/metrics':
        registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
          (err: unknown) => {
            log.error({ err }, 'metrics collection failed');
            json(500, { error: { code: 'internal', message: 'internal error' } });
          },
        );
        return;
      default:
        return json(404, { error: { code: 'not_found', message: 'not found' } });
    }
  });
}
