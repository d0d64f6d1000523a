import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { Principal } from '../auth/index.js';
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
  /** Query parameters the route takes; any other is a 400. */
  query?: readonly string[];
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
  /** Answers 201 Created with a `Location` header naming what it made. */
  created?: true;
  /** Returns a reply, or undefined when it wrote (and owns) the response itself (streams). */
  handler: (ctx: Ctx) => Promise<Reply | undefined>;
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
