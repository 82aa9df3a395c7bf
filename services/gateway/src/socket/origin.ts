import type { IncomingMessage } from 'node:http';

export type AllowRequest = (req: IncomingMessage, fn: (err: string | null | undefined, success: boolean) => void) => void;

/**
 * Engine.IO's `allowRequest` for new sessions, polling and WebSocket alike:
 * browsers send `Origin` and must be on the allowlist (`*` allows all); clients
 * that send none (native apps, Node) pass, since CORS only protects browsers.
 * (A stopping replica turns new sessions away before this: new-session-gate.ts.)
 */
export function originGuard(allowed: readonly string[]): AllowRequest {
  const anyOrigin = allowed.includes('*');
  const origins = new Set(allowed.map(normalizeOrigin));
  return (req, fn) => {
    const origin = req.headers.origin;
    if (origin === undefined || anyOrigin || origins.has(normalizeOrigin(origin))) return fn(null, true);
    fn('origin not allowed', false);
  };
}

function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}
