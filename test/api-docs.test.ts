import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validate as validateOpenApi } from '@readme/openapi-parser';
import { Parser as AsyncApiParser } from '@asyncapi/parser';
import { asyncApiDocument, clientEventNames, openApiDocument, routes, serverEventSchemas } from '@chat/contract';
import { repoRoot } from '@chat/testkit';
import { asyncApiText, openApiText } from '../scripts/api-docs.js';

const read = (file: string): Promise<string> => readFile(join(repoRoot, 'docs', file), 'utf8');

describe('docs/openapi.json and docs/asyncapi.yaml', () => {
  it('are what the contract generates (run `npm run docs:api` after changing it)', async () => {
    expect(await read('openapi.json')).toBe(openApiText());
    expect(await read('asyncapi.yaml')).toBe(asyncApiText());
  });

  it('the OpenAPI document is valid OpenAPI 3.1 by @readme/openapi-parser and has every route of the table', async () => {
    const document = openApiDocument();
    const result = await validateOpenApi(structuredClone(document) as never);
    expect(result.valid, JSON.stringify(result.valid ? [] : result.errors)).toBe(true);
    const paths = document.paths as Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
    for (const [name, spec] of Object.entries(routes)) {
      const operation = paths[spec.path.replace(/:([A-Za-z]+)/g, '{$1}')]?.[spec.method.toLowerCase()];
      expect(operation?.operationId, `${spec.method} ${spec.path}`).toBe(name);
      expect(Object.keys(operation!.responses)).toContain(String(spec.status));
    }
  });

  it('the OpenAPI document says what the schemas say: required fields, limits, error bodies, bearer auth', () => {
    const document = openApiDocument() as {
      paths: Record<string, Record<string, { security?: unknown; parameters?: { name: string; in: string; required: boolean; schema: object }[]; requestBody?: { content: Record<string, { schema: { required?: string[] } }> }; responses: Record<string, { content?: Record<string, { schema: unknown }>; headers?: object }> }>>;
    };
    const register = document.paths['/api/auth/register']!.post!;
    expect(register.security).toBeUndefined();
    expect(register.requestBody!.content['application/json']!.schema.required).toEqual(['username', 'password']);
    expect(Object.keys(register.responses)).toEqual(['201', '400', '409', '500', '503']);
    expect(register.responses['409']!.content!['application/json']!.schema).toEqual({ $ref: '#/components/schemas/ErrorBody' });
    const login = document.paths['/api/auth/login']!.post!;
    expect(login.responses['429']!.headers).toHaveProperty('Retry-After');
    const history = document.paths['/api/rooms/{roomId}/messages']!.get!;
    expect(history.security).toEqual([{ bearer: [] }]);
    expect(history.parameters!.map((p) => [p.name, p.in, p.required])).toEqual([
      ['roomId', 'path', true],
      ['limit', 'query', false],
      ['before', 'query', false],
      ['after', 'query', false],
    ]);
    expect(Object.keys(history.responses)).toEqual(['200', '400', '401', '403', '404', '500', '503']);
  });

  it('the AsyncAPI document is valid AsyncAPI 3 by @asyncapi/parser, with every event and its ack', async () => {
    const { document, diagnostics } = await new AsyncApiParser().parse(asyncApiText());
    const errors = diagnostics.filter((d) => d.severity === 0);
    expect(errors, JSON.stringify(errors, null, 1)).toEqual([]);
    expect(document).toBeDefined();
    const names = document!.messages().all().map((m) => m.name());
    for (const event of clientEventNames) expect(names).toEqual(expect.arrayContaining([event, `${event} ack`]));
    for (const event of Object.keys(serverEventSchemas)) expect(names).toContain(event);
    const send = document!.operations().all().find((o) => o.id() === 'messageSend')!;
    expect(send.action()).toBe('receive');
    expect(send.reply()?.messages().all().map((m) => m.name())).toEqual(['message:send ack']);
    const payload = (asyncApiDocument() as { components: { messages: Record<string, { payload: { required?: string[] } }> } }).components.messages.messageSend!.payload;
    expect(payload.required).toEqual(['roomId', 'content', 'clientId']);
  });
});
