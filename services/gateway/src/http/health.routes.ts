import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger, Registry } from '@chat/runtime';
import { safeError } from '../errors.js';

export interface HealthRoutesOptions {
  replicaId: string;
  registry: Registry;
  logger: Logger;
  connectedSockets: () => number;
  /** Resolves when Redis and PostgreSQL answer. */
  checkDependencies: () => Promise<void>;
  isStopping: () => boolean;
  /** @default 2000 */
  readyTimeoutMs?: number;
}

/**
 * `/health`, `/health/ready` and `/metrics` on the gateway's own HTTP server
 * (Engine.IO answers `/socket.io/` before these run).
 */
export function healthRoutes(options: HealthRoutesOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const log = options.logger.child({ module: 'http' });
  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  const ready = async (): Promise<boolean> => {
    if (options.isStopping()) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('readiness check timed out')), options.readyTimeoutMs ?? 2000);
    });
    try {
      await Promise.race([options.checkDependencies(), timeout]);
      return true;
    } catch (err) {
      log.warn({ err: safeError(err) }, 'not ready');
      return false;
    } finally {
      clearTimeout(timer);
    }
  };

  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      json(res, 405, { error: { code: 'validation', message: 'method not allowed' } });
      return;
    }
    switch (path) {
      case '/health':
        json(res, 200, {
          status: options.isStopping() ? 'stopping' : 'ok',
          service: 'gateway',
          replicaId: options.replicaId,
          sockets: options.connectedSockets(),
        });
        return;
      case '/health/ready':
        void ready().then((ok) => json(res, ok ? 200 : 503, { status: ok ? 'ready' : 'unavailable', replicaId: options.replicaId }));
        return;
      case '/metrics':
        options.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': options.registry.contentType });
            res.end(text);
          },
          (err: unknown) => {
            log.error({ err: safeError(err) }, 'metrics failed');
            json(res, 500, { error: { code: 'internal', message: 'internal error' } });
          },
        );
        return;
      default:
        json(res, 404, { error: { code: 'not_found', message: 'not found' } });
    }
  };
}
