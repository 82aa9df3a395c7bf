import type { IncomingMessage } from 'node:http';
import type { GatewaySocket } from './types.js';

/**
 * Lets go of what a socket keeps of its first HTTP request once the handshake
 * is done and authenticated: nothing reads it later, and for an idle socket it
 * is the largest single thing it holds (~1.2 KB).
 *
 * Socket.IO's memory guide discards `conn.request`, but for a WebSocket session
 * engine.io 6.6 still holds the upgrade request through the response stand-in it
 * listens on the TCP socket with (`WebSocketResponse`), until the socket closes.
 * So the request is emptied of its headers, URL and query as well, and the
 * handshake (which shares the headers object) keeps its address and times only;
 * the bearer token goes with it, so a socket holds no credential for its lifetime.
 */
export function releaseRequest(socket: GatewaySocket): void {
  const conn = socket.conn as { request: IncomingMessage | null };
  const request = conn.request as (IncomingMessage & { _query?: unknown; websocket?: unknown }) | null;
  conn.request = null;
  if (request) {
    request.headers = {};
    request.rawHeaders = [];
    request.url = '';
    request._query = {};
    request.websocket = undefined;
  }
  // Assigned, not deleted: deleting would turn the handshake into a slower, larger dictionary object.
  const { handshake } = socket;
  handshake.headers = {};
  handshake.query = {};
  handshake.auth = {};
  handshake.url = '';
}
