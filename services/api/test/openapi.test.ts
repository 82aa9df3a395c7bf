import { describe, expect, it } from 'vitest';
import { openApiDocument } from '@chat/contract';
import { useTestApi } from './harness.js';

const t = useTestApi();

describe('GET /api/openapi.json', () => {
  it('serves the OpenAPI document generated from the contract, without a token', async () => {
    const res = await t.http.get('/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toEqual(openApiDocument());
  });

  it('documents the routes this API answers: a documented path exists, an undocumented one is a 404', async () => {
    const paths = Object.keys((openApiDocument() as { paths: object }).paths);
    expect(paths).toContain('/api/rooms/{roomId}/messages');
    expect((await t.http.get('/api/rooms')).status).toBe(401); // documented, and needs the token the document says
    expect((await t.http.get('/api/openapi.yaml')).status).toBe(404);
  });
});
