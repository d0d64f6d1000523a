import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApplianceError } from '../errors.js';
import type { ApiDeps } from './deps.js';
import { statusOf } from './errors.js';
import { isTls, readJson, readRaw, refuseBody, SECURITY_HEADERS, sendError, sendJson } from './http.js';
import { type Ctx, checkParameters, type Method, type QuerySchema, queryNames, type Route, Router } from './router.js';
import { batchRoutes } from './routes/batch.js';
import { certificateStatusRoutes } from './routes/certificate-status.js';
import { clusterRoutes } from './routes/cluster.js';
import { collectionRoutes } from './routes/collections.js';
import { configRoutes } from './routes/config.js';
import { haRoutes } from './routes/ha.js';
import { importRoutes } from './routes/import.js';
import { maintenanceRoutes } from './routes/maintenance.js';
import { metaRoutes } from './routes/meta.js';
import { networkRoutes } from './routes/network.js';
import { observeRoutes } from './routes/observe.js';
import { runtimeRoutes } from './routes/runtime.js';
import { sessionRoutes } from './routes/session.js';
import { tokenRoutes } from './routes/tokens.js';
import { DEFAULT_STREAM_LIMITS, EventStreams } from './sse.js';
import { Writer } from './writes.js';

export type { ApiDeps } from './deps.js';
export { statusOf } from './errors.js';
export { readJson, SECURITY_HEADERS, sendError, sendJson } from './http.js';
export { openApiDocument } from './openapi.js';
export type { Access, Ctx, Method, QuerySchema, Reply, ResponseSpec, Route } from './router.js';

export const API_PREFIX = '/api/v1';
const DEFAULT_BODY_LIMIT = 1024 * 1024;
const WRITES = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);

export interface Api {
  /** A node:http request handler for /api/v1/** and /metrics (anything else: 404). */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Every route, for the OpenAPI document and tests. */
  readonly routes: readonly Route[];
  /** Add routes (the web UI's certificate upload) before serving; they join the OpenAPI document. */
  addRoutes(routes: readonly Route[]): void;
  /** Close every event stream. */
  close(): Promise<void>;
}

function csrfMatches(expected: string, given: string | string[] | undefined): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The REST API. Every request passes, in order: route and method (404, 405), who is
 * calling (401), first-boot password (403), CSRF on cookie writes (403), role (403),
 * query parameters and body (400, 413, 415), then the handler. Errors are
 * `{ error: { code, message, field?, issues? } }` with the contract's status; a fault
 * of the appliance is a 500 API_INTERNAL with the detail in the system log, never the
 * client's input echoed back.
 */
export function createApi(deps: ApiDeps): Api {
  const now = deps.now ?? (() => new Date());
  const writer = new Writer(deps);
  const streams = new EventStreams(deps.sseLimits ?? DEFAULT_STREAM_LIMITS);
  const routes: Route[] = [];
  let api: Router;
  let root: Router;
  const rebuild = () => {
    api = new Router(routes.filter((route) => !route.root));
    root = new Router(routes.filter((route) => route.root));
  };
  routes.push(
    ...metaRoutes(deps, () => routes, now),
    ...sessionRoutes(deps, writer),
    ...tokenRoutes(deps),
    ...configRoutes(deps, writer),
    ...importRoutes(deps, writer),
    ...batchRoutes(deps, writer),
    ...collectionRoutes(deps, writer),
    ...certificateStatusRoutes(deps),
    ...runtimeRoutes(deps, writer),
    ...observeRoutes(deps, deps.traffic, streams, now),
    ...maintenanceRoutes(deps, writer, now),
    ...haRoutes(deps),
    ...clusterRoutes(deps),
    ...networkRoutes(deps),
  );
  rebuild();

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const head = req.method === 'HEAD';
    const method = (head ? 'GET' : (req.method ?? '')) as Method;
    let url: URL;
    try {
      if ((req.url ?? '').length > 8192) throw new Error('too long');
      url = new URL(req.url ?? '/', 'http://appliance');
    } catch {
      throw new ApplianceError('API_BAD_REQUEST', 'the request target is not a valid path', { field: '(path)' });
    }
    const path = url.pathname;
    const matches =
      path === API_PREFIX || path.startsWith(`${API_PREFIX}/`)
        ? api.match(path.slice(API_PREFIX.length) || '/')
        : root.match(path);
    if (matches.size === 0) throw new ApplianceError('API_NOT_FOUND', 'no such resource');
    const allow = [...matches.keys(), ...(matches.has('GET') ? ['HEAD'] : []), 'OPTIONS'].join(', ');
    if (req.method === 'OPTIONS') {
      const drained = await drain(req, DRAIN_LIMIT);
      res.writeHead(204, { ...SECURITY_HEADERS, allow, ...(drained ? {} : { connection: 'close' }) });
      res.end();
      return;
    }
    const match = matches.get(method);
    if (match === undefined) {
      const error = new ApplianceError(
        'API_METHOD_NOT_ALLOWED',
        `${String(req.method).slice(0, 16)} is not allowed here`,
      );
      sendError(res, error, { allow }, head);
      return;
    }
    const { route, params } = match;

    const principal =
      route.access === 'public' ? undefined : deps.auth.authenticate(req.headers.authorization, req.headers.cookie);
    if (route.access !== 'public') {
      if (principal === undefined)
        throw new ApplianceError('AUTH_REQUIRED', 'log in (POST /api/v1/session) or send a bearer token');
      if (principal.mustChangePassword && route.access !== 'self') {
        throw new ApplianceError(
          'AUTH_PASSWORD_CHANGE_REQUIRED',
          'change the first-boot password first (POST /api/v1/session/password)',
        );
      }
      if (WRITES.has(method) && principal.via === 'session' && principal.session !== undefined) {
        if (!csrfMatches(principal.session.csrfToken, req.headers['x-csrf-token'])) {
          throw new ApplianceError(
            'AUTH_CSRF',
            'a write with a session cookie needs the x-csrf-token header of the session',
          );
        }
      }
      if (route.access === 'write' && principal.role !== 'admin') {
        throw new ApplianceError('AUTH_FORBIDDEN', 'a read-only user cannot change anything');
      }
    }

    const allowedQuery = queryNames(route);
    for (const key of new Set(url.searchParams.keys())) {
      if (!allowedQuery.includes(key)) {
        throw new ApplianceError('API_BAD_REQUEST', `unknown query parameter ${JSON.stringify(key.slice(0, 64))}`, {
          field: key.slice(0, 64),
        });
      }
      if (url.searchParams.getAll(key).length > 1) {
        throw new ApplianceError('API_BAD_REQUEST', `query parameter ${key} given twice`, { field: key });
      }
    }
    if (route.params !== undefined) checkParameters(route.params, params, true);
    if (route.query !== undefined && !Array.isArray(route.query)) {
      checkParameters(route.query as QuerySchema, Object.fromEntries(url.searchParams), false);
    }

    const ctx: Ctx = {
      req,
      res,
      params,
      query: url.searchParams,
      body: undefined,
      principal,
      head,
      address: req.socket.remoteAddress ?? 'unknown',
    };
    const kind = route.body ?? (method === 'POST' || method === 'PUT' ? 'json' : 'none');
    const limit = route.bodyLimit ?? DEFAULT_BODY_LIMIT;
    if (kind === 'json') ctx.body = await readJson(req, limit);
    else if (kind === 'raw') ctx.raw = await readRaw(req, limit, () => true);
    else if (kind === 'stream') {
      // The handler reads the body itself (or refuses it unread).
    } else await refuseBody(req);

    const reply = await route.handler(ctx);
    if (reply === undefined) return;
    if (reply.json !== undefined) {
      res.writeHead(reply.status ?? 200, {
        ...SECURITY_HEADERS,
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(reply.json.length),
        ...reply.headers,
      });
      res.end(head ? undefined : reply.json);
      return;
    }
    if (typeof reply.body === 'string') {
      const text = reply.body;
      res.writeHead(reply.status ?? 200, {
        ...SECURITY_HEADERS,
        'content-length': String(Buffer.byteLength(text)),
        ...reply.headers,
      });
      res.end(head ? undefined : text);
      return;
    }
    sendJson(res, reply.status ?? 200, reply.body, reply.headers, head);
  }

  async function fail(req: IncomingMessage, res: ServerResponse, error: unknown): Promise<void> {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const head = req.method === 'HEAD';
    const headers: Record<string, string> = {};
    // Answer after the request's body is read: closing a socket with unread data makes
    // the kernel send a reset, and the client would lose the answer. A body too large
    // to drain ends the connection instead.
    if (!(await drain(req, DRAIN_LIMIT))) headers.connection = 'close';
    if (error instanceof ApplianceError) {
      if (error.retryAfter !== undefined) headers['retry-after'] = String(error.retryAfter);
      if (statusOf(error.code) >= 500) {
        deps.logs.write(
          'system',
          'error',
          `${String(req.method).slice(0, 16)} ${new URL(req.url ?? '/', 'http://a').pathname.slice(0, 200)}: ${error.code}: ${error.message}`,
        );
      }
      sendError(res, error, headers, head);
      return;
    }
    deps.logs.write('system', 'error', `internal error: ${(error as Error)?.stack ?? String(error)}`.slice(0, 4000));
    sendError(res, new ApplianceError('API_INTERNAL', 'internal error; the system log has the detail'), headers, head);
  }

  const foreground = deps.foreground;
  return {
    handle(req, res) {
      const answered = () =>
        dispatch(req, res)
          .catch((error: unknown) => fail(req, res, error))
          .catch(() => res.destroy());
      // A write holds the background work on the whole table until it is answered.
      if (foreground !== undefined && WRITES.has(req.method ?? '')) void foreground.run(answered);
      else void answered();
    },
    get routes() {
      return routes;
    },
    addRoutes(more) {
      routes.push(...more);
      rebuild();
    },
    async close() {
      streams.closeAll();
    },
  };
}

const DRAIN_LIMIT = 4 * 1024 * 1024;

/** Read and drop what is left of a request body, up to `limit` bytes; false when it is more (or broken). */
function drain(req: IncomingMessage, limit: number): Promise<boolean> {
  if (req.readableEnded || req.complete) return Promise.resolve(true);
  const length = Number(req.headers['content-length'] ?? 0);
  if (length > limit) return Promise.resolve(false);
  return new Promise((resolve) => {
    let size = 0;
    const done = (ok: boolean) => {
      req.off('data', onData);
      // Given up: stop reading too (resumed, the rest would flow in until the socket closes).
      if (!ok) req.pause();
      resolve(ok);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) done(false);
    };
    req.on('data', onData);
    req.once('end', () => done(true));
    req.once('error', () => done(false));
    req.once('close', () => done(req.complete));
    req.resume();
  });
}

export { isTls };
