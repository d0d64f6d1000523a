import { z } from 'zod';
import { configSchema } from '../model/schema.js';
import type { Route } from './router.js';

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'stable error code (ApplianceErrorCode)' },
        message: { type: 'string' },
        field: { type: 'string', description: 'the field at fault, as a path' },
        issues: { type: 'array', items: { type: 'object' } },
      },
    },
  },
};

function jsonSchema(schema: NonNullable<Route['requestSchema']>): Record<string, unknown> {
  if (schema instanceof z.ZodType) {
    const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<
      string,
      unknown
    >;
    return rest;
  }
  return schema;
}

/** The OpenAPI 3.1 document: every route of the router, request bodies from the zod schemas. */
export function openApiDocument(routes: readonly Route[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.root ? route.path : `/api/v1${route.path}`;
    const parameters = [
      ...[...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
        name: m[1],
        in: 'path',
        required: true,
        schema: { type: 'string' },
      })),
      ...(route.query ?? []).map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } })),
    ];
    const operation: Record<string, unknown> = {
      summary: route.summary,
      tags: [route.tag],
      operationId: `${route.method.toLowerCase()}${route.path.replace(/[{}]/g, '').replace(/[/-](\w)/g, (_m, c: string) => c.toUpperCase())}`,
      ...(parameters.length === 0 ? {} : { parameters }),
      ...(route.access === 'public' ? { security: [] } : {}),
      responses: {
        '200': { description: route.responseDescription ?? 'success' },
        default: {
          description: 'an error',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    };
    if (route.requestSchema !== undefined) {
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: jsonSchema(route.requestSchema) } },
      };
    } else if (route.body === 'raw' || route.body === 'stream') {
      operation.requestBody = { required: true, content: { 'application/octet-stream': {} } };
    }
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Sluice appliance REST API',
      version,
      description: 'Configuration, runtime actions, status, reports, logs and maintenance of a Sluice load balancer.',
    },
    servers: [{ url: '/' }],
    security: [{ session: [] }, { bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: 'sluice_session',
          description: 'writes also send the x-csrf-token header',
        },
        bearer: { type: 'http', scheme: 'bearer', description: 'an API token, or <dataDir>/cli.token' },
      },
      schemas: { Error: errorSchema, Config: jsonSchema(configSchema) },
    },
  };
}
