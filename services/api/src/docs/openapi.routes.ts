import { openApiDocument } from '@chat/contract';
import type { DefineRoute } from '../http/contract-route.js';

/** GET /api/openapi.json: the REST API described by the contract it is registered from. */
export function openApiRoutes(route: DefineRoute): void {
  // Built once: it depends on the contract alone. No servers entry: tools resolve paths against where they fetched it.
  const document = openApiDocument();
  route('openapi', async ({ ctx }) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    return document;
  });
}
