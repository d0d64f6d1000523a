import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { Principal } from '../auth/index.js';
import { ApplianceError } from '../errors.js';
import { badRequest } from './errors.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * Who may call a route. `public`: anyone. `self`: any authenticated caller, even one
 * that must still change its first-boot password. `user`: any authenticated caller
 * (the handler checks what a read-only one may do). `read`: reads. `write`: admin role.
 */
export type Access = 'public' | 'self' | 'user' | 'read' | 'write';

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  raw?: Buffer;
  principal: Principal | undefined;
  head: boolean;
  /** The client's address, for rate limits and the audit log. */
  address: string;
}

export interface Reply {
  status?: number;
  /** Sent as JSON; a string is sent as it is (with the route's content type). */
  body: unknown;
  /** A body already serialised as JSON, encoded (cached answers). */
  json?: Buffer;
  headers?: Record<string, string>;
}

export interface Route {
  method: Method;
  /** Under /api/v1 (at the root when `root` is set: /metrics), with `{name}` parameters. */
  path: string;
  root?: boolean;
  summary: string;
  tag: string;
  access: Access;
  /**
   * Query parameters the route takes; any other is a 400. A zod object also types them:
   * the router checks each value given against its field (400 naming it), and the OpenAPI
   * document shows the field's type.
   */
  query?: readonly string[] | QuerySchema;
  /**
   * The path parameters' types, checked by the router before the handler runs: a value
   * outside an enum is a path the API does not have (404), any other mismatch a 400.
   */
  params?: QuerySchema;
  /**
   * `json` (default for POST and PUT), `raw` (the handler parses), `stream` (left unread:
   * the handler reads `ctx.req` itself, or refuses it unread), or none.
   */
  body?: 'json' | 'raw' | 'stream' | 'none';
  /** The body's size limit in bytes [1 MiB]. */
  bodyLimit?: number;
  /** For the OpenAPI document. */
  requestSchema?: z.ZodType | Record<string, unknown>;
  responseDescription?: string;
  /** What a success answers (JSON unless `responseType` says otherwise), for the OpenAPI document. */
  responseSchema?: z.ZodType;
  /** The success's content type when it is not JSON (`text/event-stream`, `text/plain; version=0.0.4`). */
  responseType?: string;
  /** A POST that creates an item: it answers 201 with a Location header. */
  created?: true;
  /** The success carries the configuration version as its ETag. */
  etag?: true;
  /** Other headers of the success, as OpenAPI header objects by name (Content-Disposition). */
  responseHeaders?: Readonly<Record<string, Record<string, unknown>>>;
  /** Answers besides the success and the errors every route of its kind can give (openapi.ts derives those). */
  responses?: Readonly<Record<number, ResponseSpec>>;
  /** Error statuses this route gives beyond the derived ones (its own refusals). */
  errors?: readonly number[];
  /** Returns a reply, or undefined when it wrote (and owns) the response itself (streams). */
  handler: (ctx: Ctx) => Promise<Reply | undefined>;
}

/** Query or path parameters: a zod object of string-typed fields (a number is a string piped to a number). */
export type QuerySchema = z.ZodObject<Record<string, z.ZodType<unknown, string | undefined>>>;

export interface ResponseSpec {
  description: string;
  /** A JSON body; absent: none (304), or the Error envelope for a status of 400 and above. */
  schema?: z.ZodType;
  /** A body that is not JSON. */
  contentType?: string;
}

/** The names of the query parameters a route takes. */
export function queryNames(route: Pick<Route, 'query'>): readonly string[] {
  const query = route.query;
  if (query === undefined) return [];
  return Array.isArray(query) ? query : Object.keys((query as QuerySchema).shape);
}

/**
 * Check the values against their schema's fields: the first one at fault is a 400 naming
 * it (or, for a path parameter outside its enum, a 404).
 */
export function checkParameters(schema: QuerySchema, values: Record<string, string>, path: boolean): void {
  for (const [name, value] of Object.entries(values)) {
    const field = schema.shape[name];
    if (field === undefined) continue;
    const result = field.safeParse(value);
    if (result.success) continue;
    const issue = result.error.issues[0];
    if (path && issue?.code === 'invalid_value') throw new ApplianceError('API_NOT_FOUND', 'no such resource');
    throw badRequest(name, issue?.message ?? 'is invalid');
  }
}

interface Compiled {
  route: Route;
  segments: (string | { param: string })[];
}

export interface Match {
  route: Route;
  params: Record<string, string>;
}

/** A small table router: routes are few (under 100), so a linear match is plenty. */
export class Router {
  private readonly compiled: Compiled[] = [];

  constructor(readonly routes: readonly Route[]) {
    for (const route of routes) {
      const segments = route.path
        .split('/')
        .slice(1)
        .map((segment) => {
          const param = /^\{(\w+)\}$/.exec(segment);
          return param ? { param: param[1] as string } : segment;
        });
      this.compiled.push({ route, segments });
    }
  }

  /**
   * The routes whose path matches, by method, for a request path. Segments are
   * percent-decoded after splitting, so `%2F` in a floating IP stays inside its segment.
   */
  match(path: string): Map<Method, Match> {
    const raw = path.split('/').slice(1);
    if (raw.length > 1 && raw[raw.length - 1] === '') raw.pop();
    const decoded = raw.map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        throw badRequest('(path)', 'the path holds a malformed percent-encoding');
      }
    });
    const out = new Map<Method, Match>();
    for (const { route, segments } of this.compiled) {
      if (segments.length !== decoded.length || out.has(route.method)) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segments.length && ok; i++) {
        const segment = segments[i] as string | { param: string };
        const value = decoded[i] as string;
        if (typeof segment === 'string') ok = segment === value;
        else if (value === '' || value.length > 256) ok = false;
        else params[segment.param] = value;
      }
      if (ok) out.set(route.method, { route, params });
    }
    return out;
  }
}
