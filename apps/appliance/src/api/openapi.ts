import { STATUS_CODES } from 'node:http';
import { z } from 'zod';
import { type QuerySchema, queryNames, type Route } from './router.js';
import { errorSchema } from './schemas/error.js';
import { SCHEMA_NAMES } from './schemas/names.js';

type Json = Record<string, unknown>;
type Io = 'input' | 'output';

/** The statuses a configuration write can answer besides its success: the write pipeline's (writes.ts). */
export const WRITE_STATUSES = [409, 412, 422, 428, 502, 503] as const;

/**
 * The error statuses a route can answer, derived from how the router treats it (index.ts)
 * and from its own `errors`: 400 (an unknown query parameter, a malformed body) and 500
 * always; 413 and 415 wherever a body is read; 401 and 403 behind a login; 404 with path
 * parameters; the writes' statuses where the route takes `?version`.
 */
export function errorStatuses(route: Route): number[] {
  const out = new Set<number>([400, 500, ...(route.errors ?? [])]);
  if (route.body !== 'stream') {
    out.add(413);
    out.add(415);
  }
  if (route.access !== 'public') {
    out.add(401);
    out.add(403);
  }
  if (route.path.includes('{')) out.add(404);
  if (queryNames(route).includes('version')) for (const status of WRITE_STATUSES) out.add(status);
  return [...out].sort((a, b) => a - b);
}

/** The success statuses: 201 for a route that creates, else 200 where it declares a success body; its own extras. */
export function successStatuses(route: Route): number[] {
  const out = new Set<number>();
  if (route.responseSchema !== undefined || route.responseType !== undefined) out.add(route.created ? 201 : 200);
  for (const status of Object.keys(route.responses ?? {})) if (Number(status) < 400) out.add(Number(status));
  return [...out].sort((a, b) => a - b);
}

/**
 * JSON Schemas for the document. A schema named in SCHEMA_NAMES becomes a component
 * (`#/components/schemas/Config`), the same zod schema read as an input (a request) gets
 * its own (`ConfigInput`): with defaults, what a client sends and what it gets differ.
 */
class Schemas {
  readonly components: Record<string, Json> = {};

  of(schema: z.ZodType, io: Io): Json {
    const suffix = io === 'input' ? 'Input' : '';
    const named = SCHEMA_NAMES.get(schema);
    const converted = z.toJSONSchema(schema, {
      io,
      target: 'draft-2020-12',
      unrepresentable: 'any',
      metadata: SCHEMA_NAMES.registry,
    }) as Json;
    const { $schema: _dialect, $defs, ...root } = converted;
    for (const [name, definition] of Object.entries(($defs ?? {}) as Record<string, Json>)) {
      this.add(`${name}${suffix}`, this.relink(definition, suffix));
    }
    const body = this.relink(root, suffix);
    if (named === undefined || typeof body.$ref === 'string') return body;
    // The root itself is named and zod inlined it: the document refers to it.
    const { id: _id, ...definition } = body;
    this.add(`${named}${suffix}`, definition);
    return { $ref: `#/components/schemas/${named}${suffix}` };
  }

  /** Two different schemas under one name would make every reference to it lie: a bug here. */
  private add(name: string, definition: Json): void {
    const known = this.components[name];
    if (known !== undefined && JSON.stringify(known) !== JSON.stringify(definition)) {
      throw new Error(`two schemas are named ${name} in the OpenAPI document`);
    }
    this.components[name] = definition;
  }

  private relink(schema: Json, suffix: string): Json {
    return JSON.parse(
      JSON.stringify(schema).replace(/"#\/\$defs\/([A-Za-z0-9]+)"/g, (_m, name: string) =>
        JSON.stringify(`#/components/schemas/${name}${suffix}`),
      ),
    ) as Json;
  }
}

const ETAG = {
  description: 'the configuration version, quoted ("42"): send it back as If-Match',
  schema: { type: 'string', pattern: '^"\\d+"$' },
};
const LOCATION = { description: 'where the created item is', schema: { type: 'string' } };
const RETRY_AFTER = { description: 'seconds to wait before trying again', schema: { type: 'integer' } };

function parametersOf(route: Route, schemas: Schemas): Json[] {
  const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
  const typed = (schema: QuerySchema | undefined, name: string): Json => {
    const field = schema?.shape[name];
    if (field === undefined) return { type: 'string' };
    const { description: _description, ...rest } = schemas.of(field, 'output');
    return rest;
  };
  const describe = (schema: QuerySchema | undefined, name: string): Json => {
    const description = schema?.shape[name]?.description;
    return description === undefined ? {} : { description };
  };
  const query = Array.isArray(route.query) ? undefined : (route.query as QuerySchema | undefined);
  return [
    ...names.map((name) => ({
      name,
      in: 'path',
      required: true,
      ...describe(route.params, name),
      schema: typed(route.params, name),
    })),
    ...queryNames(route).map((name) => ({
      name,
      in: 'query',
      required: false,
      ...describe(query, name),
      schema: typed(query, name),
    })),
  ];
}

function successResponse(route: Route, status: number, schemas: Schemas): Json {
  const extra = route.responses?.[status];
  const headers: Json = {};
  if (route.etag) headers.ETag = ETAG;
  if (route.created && status === 201) headers.Location = LOCATION;
  if (route.responseHeaders) Object.assign(headers, route.responseHeaders);
  const withHeaders = Object.keys(headers).length === 0 ? {} : { headers };
  if (extra !== undefined) {
    if (extra.schema === undefined && extra.contentType === undefined)
      return { description: extra.description, ...withHeaders };
    const content =
      extra.contentType !== undefined
        ? { [extra.contentType]: { schema: { type: 'string' } } }
        : { 'application/json': { schema: schemas.of(extra.schema as z.ZodType, 'output') } };
    return { description: extra.description, ...withHeaders, content };
  }
  if (route.responseType !== undefined) {
    return {
      description: route.responseDescription ?? 'success',
      ...withHeaders,
      content: { [route.responseType]: { schema: { type: 'string' } } },
    };
  }
  return {
    description: route.responseDescription ?? 'success',
    ...withHeaders,
    content: { 'application/json': { schema: schemas.of(route.responseSchema as z.ZodType, 'output') } },
  };
}

function errorResponse(status: number): Json {
  return {
    description: STATUS_CODES[status] ?? 'an error',
    ...(status === 429 || status === 503 ? { headers: { 'Retry-After': RETRY_AFTER } } : {}),
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  };
}

function operationId(route: Route): string {
  return `${route.method.toLowerCase()}${route.path.replace(/[{}]/g, '').replace(/[/-](\w)/g, (_m, c: string) => c.toUpperCase())}`;
}

/**
 * The OpenAPI 3.1 document: every route of the router with its parameters' types, its
 * request body, its success's schema and headers, and every error status it can answer
 * (each the Error schema). A route without a success schema is a bug the conformance
 * test (test/api/openapi-conformance.test.ts) finds.
 */
export function openApiDocument(routes: readonly Route[], version: string): Json {
  const schemas = new Schemas();
  schemas.of(errorSchema, 'output');
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    const path = route.root ? route.path : `/api/v1${route.path}`;
    const parameters = parametersOf(route, schemas);
    const responses: Json = {};
    for (const status of successStatuses(route)) responses[String(status)] = successResponse(route, status, schemas);
    for (const status of errorStatuses(route)) responses[String(status)] = errorResponse(status);
    const operation: Json = {
      summary: route.summary,
      tags: [route.tag],
      operationId: operationId(route),
      ...(parameters.length === 0 ? {} : { parameters }),
      ...(route.access === 'public' ? { security: [] } : {}),
      'x-access': route.access,
      responses,
    };
    if (route.requestSchema !== undefined) {
      const schema =
        route.requestSchema instanceof z.ZodType ? schemas.of(route.requestSchema, 'input') : route.requestSchema;
      operation.requestBody = { required: true, content: { 'application/json': { schema } } };
    } else if (route.body === 'raw' || route.body === 'stream') {
      operation.requestBody = {
        required: true,
        content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
      };
    }
    paths[path] ??= {};
    (paths[path] as Json)[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Sluice appliance REST API',
      version,
      description:
        'Configuration, runtime actions, status, reports, logs and maintenance of a Sluice load balancer. ' +
        'A configuration write names the version it is based on (`?version=N` or `If-Match: "N"`, the ETag of a read).',
    },
    servers: [{ url: '/' }],
    security: [{ session: [] }, { bearer: [] }],
    tags: [...new Set(routes.map((route) => route.tag))].sort().map((name) => ({ name })),
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
      schemas: Object.fromEntries(Object.entries(schemas.components).sort(([a], [b]) => a.localeCompare(b))),
    },
  };
}
