import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;
type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

const BODY = 'this gateway is shutting down; start the session on another';

/**
 * While `isAccepting()` is false, answers every request that would start an
 * Engine.IO session (under `path`, without `sid`), polling and WebSocket alike,
 * with 503: nginx retries those on another gateway (`proxy_next_upstream
 * http_503`), and a client that reaches this one directly retries on its own.
 * Requests of existing sessions pass (they must stay on their replica).
 * Engine.IO answers a refused handshake with 403 or 400, which neither retries,
 * so this wraps the listeners it attached: call it after `new Server(httpServer)`.
 */
export function gateNewSessions(httpServer: HttpServer, path: string, isAccepting: () => boolean): void {
  const prefix = `${path.replace(/\/$/, '')}/`;
  const refuses = (req: IncomingMessage): boolean => {
    if (isAccepting()) return false;
    const url = req.url ?? '/';
    return url.startsWith(prefix) && new URL(url, 'http://gateway').searchParams.get('sid') === null;
  };

  const requestListeners = httpServer.listeners('request') as RequestListener[];
  httpServer.removeAllListeners('request');
  httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (refuses(req)) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', connection: 'close', 'cache-control': 'no-store' });
      res.end(BODY);
      return;
    }
    for (const listener of requestListeners) listener.call(httpServer, req, res);
  });

  const upgradeListeners = httpServer.listeners('upgrade') as UpgradeListener[];
  httpServer.removeAllListeners('upgrade');
  httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (refuses(req)) {
      socket.on('error', () => socket.destroy());
      socket.end(
        `HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(BODY)}\r\n\r\n${BODY}`,
      );
      return;
    }
    for (const listener of upgradeListeners) listener.call(httpServer, req, socket, head);
  });
}
