/** The router's pattern for the request (`/api/rooms/:roomId`), never the raw URL, so labels stay few. */
export function routeOf(ctx: object): string {
  const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute;
  return typeof matched === 'string' ? matched : 'unmatched';
}
