import { randomBytes } from 'node:crypto';

/**
 * Engine.IO session ids start with `<replicaId>.`: nginx routes every later
 * request of a session (`?sid=`) to the replica that owns it, so stickiness does
 * not rest on the client's IP.
 */
export function sessionIdGenerator(replicaId: string): () => string {
  if (!/^[A-Za-z0-9_-]+$/.test(replicaId)) throw new Error(`replicaId must match [A-Za-z0-9_-]+, got "${replicaId}"`);
  return () => `${replicaId}.${randomBytes(15).toString('base64url')}`;
}

/** The replica that owns an Engine.IO session id (the part before the first dot). */
export function replicaOfSessionId(sessionId: string): string | undefined {
  const dot = sessionId.indexOf('.');
  return dot > 0 ? sessionId.slice(0, dot) : undefined;
}
