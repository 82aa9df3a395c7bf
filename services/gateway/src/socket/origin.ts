import type { IncomingMessage } from 'node:http';

export type AllowRequest = (req: IncomingMessage, fn: (err: string | null | undefined, success: boolean) => void) => void;

/**
 * Engine.IO's `allowRequest` for new sessions, polling and WebSocket alike. A browser
 * origin must be on the allowlist (`*` allows all). A client that sends no `Origin`
 * (Node), or an `Origin` whose host is the host it connected to (React Native, Python's
 * socketio client, which name the server they talk to), passes: the token, not the
 * origin, authenticates, and a page elsewhere cannot make a browser send it that way.
 * (A stopping replica turns new sessions away before this: new-session-gate.ts.)
 */
export function originGuard(allowed: readonly string[]): AllowRequest {
  const anyOrigin = allowed.includes('*');
  const origins = new Set(allowed.map(normalizeOrigin));
  return (req, fn) => {
    const origin = req.headers.origin;
    if (origin === undefined || anyOrigin || origins.has(normalizeOrigin(origin)) || isSameHost(origin, req.headers.host)) return fn(null, true);
    fn('origin not allowed', false);
  };
}

/** Whether `origin` names the host (and port) the request was sent to. */
function isSameHost(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    return new URL(origin).host.toLowerCase() === new URL(`http://${host}`).host.toLowerCase();
  } catch (err) {
    if (err instanceof TypeError) return false; // not a URL (e.g. "null")
    throw err;
  }
}

function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}
