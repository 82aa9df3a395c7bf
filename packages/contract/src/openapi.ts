import { z } from 'zod';
import { statusOf, type ErrorCode } from './errors.js';
import { errorBodySchema } from './primitives.js';
import { routes, type RouteSpec } from './routes.js';

/** JSON Schema (2020-12, as OpenAPI 3.1 and AsyncAPI 3 take it) of a zod schema. */
export type JsonSchema = Record<string, unknown>;

/**
 * A zod schema as JSON Schema: `input` is what a client may send (before defaults and
 * coercion), `output` what the server answers. What JSON Schema cannot say (a refinement
 * such as "no NUL characters") is left out; the servers still enforce it.
 */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

export interface OpenApiOptions {
  /** The document's `info.version`. @default '0.1.0' */
  version?: string;
  /** Where the API is served; relative to where the document was fetched when absent. */
  serverUrl?: string;
}

const errorDescriptions: Record<ErrorCode, string> = {
  validation: 'The request is malformed: a body, query or field that does not parse',
  unauthorized: 'No token, or one that is invalid, expired or revoked (or wrong credentials at login)',
  forbidden: 'Not allowed for this user (e.g. not a member of the room)',
  not_found: 'No such resource',
  conflict: 'Taken already (a username or room name)',
  rate_limited: 'Too many attempts: wait `retryAfterMs` (also the `Retry-After` header, seconds) before retrying',
  unavailable: 'A dependency (PostgreSQL, Redis) is away for a moment: retry later',
  internal: 'An unexpected failure; details are in the server log, not in the answer',
};

/** The error codes a route can answer, in status order. */
export function routeErrors(spec: RouteSpec): ErrorCode[] {
  const codes = new Set<ErrorCode>(spec.errors ?? []);
  if (spec.body || spec.query) codes.add('validation');
  if (spec.auth) codes.add('unauthorized');
  if (spec.params) codes.add('not_found');
  codes.add('unavailable');
  codes.add('internal');
  return [...codes].sort((a, b) => statusOf(a) - statusOf(b));
}

/** `/api/rooms/:roomId` → `/api/rooms/{roomId}`. */
const openApiPath = (path: string): string => path.replace(/:([A-Za-z]+)/g, '{$1}');

const operationIds = Object.fromEntries(Object.entries(routes).map(([name, spec]) => [`${spec.method} ${spec.path}`, name]));

/**
 * The REST API as an OpenAPI 3.1 document, generated from the contract's route table and its
 * zod schemas: the same ones the API validates requests with and the REST client checks answers with.
 */
export function openApiDocument(options: OpenApiOptions = {}): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of Object.values(routes) as RouteSpec[]) {
    const operation: Record<string, unknown> = {
      operationId: operationIds[`${spec.method} ${spec.path}`],
      summary: spec.summary,
      tags: [spec.path.split('/')[2] ?? 'api'],
    };
    if (spec.auth) operation.security = [{ bearer: [] }];
    const parameters = [...parametersOf(spec.params, 'path'), ...parametersOf(spec.query, 'query')];
    if (parameters.length > 0) operation.parameters = parameters;
    if (spec.body) {
      operation.requestBody = { required: true, content: { 'application/json': { schema: jsonSchemaOf(spec.body, 'input') } } };
    }
    const responses: Record<string, unknown> = {
      [spec.status]:
        spec.response === null
          ? { description: 'Done (no body)' }
          : { description: 'Success', content: { 'application/json': { schema: jsonSchemaOf(spec.response, 'output') } } },
    };
    for (const code of routeErrors(spec)) {
      const status = String(statusOf(code));
      const existing = responses[status] as { description: string } | undefined;
      responses[status] = existing
        ? { ...existing, description: `${existing.description}; ${errorDescriptions[code]}` }
        : { description: errorDescriptions[code], content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } } };
      if (code === 'rate_limited') {
        (responses[status] as Record<string, unknown>).headers = {
          'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } },
        };
      }
    }
    operation.responses = responses;
    (paths[openApiPath(spec.path)] ??= {})[spec.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Chat platform REST API',
      version: options.version ?? '0.1.0',
      description:
        'Accounts, rooms and message history. Real-time traffic (sending, receiving, typing, presence) goes over Socket.IO: see docs/protocol.md and docs/asyncapi.yaml. Every error answers `{"error": {"code", "message", "retryAfterMs"?}}`.',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    paths,
    components: {
      schemas: { ErrorBody: jsonSchemaOf(errorBodySchema, 'output') },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The token from register or login' } },
    },
  };
}

/** One OpenAPI parameter per property of a params or query schema. */
function parametersOf(schema: z.ZodType | undefined, where: 'path' | 'query'): Record<string, unknown>[] {
  if (!schema) return [];
  const json = jsonSchemaOf(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...propertySchema } = property;
    return {
      name,
      in: where,
      required: where === 'path' || (json.required ?? []).includes(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: propertySchema,
    };
  });
}
