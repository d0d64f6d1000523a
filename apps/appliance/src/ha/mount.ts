import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApplianceError } from '../errors.js';
import type { ReplicaResult } from './replica-endpoint.js';
import { REPLICA_PATH } from './replica-protocol.js';

/** The endpoint's request handler (ReplicaEndpoint.handleRequest): it reads the body itself, or refuses it unread. */
type RequestHandler = (req: IncomingMessage) => Promise<ReplicaResult>;

/** An unread body up to this size is dropped before the answer; a larger one ends the connection. */
const DRAIN_LIMIT = 1024 * 1024;

/**
 * Drops what is left of a refused request's body, up to `limit` bytes, unbuffered: closing
 * a socket with unread data makes the kernel send a reset, and the sender would lose the
 * answer (the Replicator reads a 401 to try the previous key). False when it is more.
 */
function drain(req: IncomingMessage, limit: number): Promise<boolean> {
  if (req.complete) return Promise.resolve(true);
  const length = Number(req.headers['content-length'] ?? Number.POSITIVE_INFINITY);
  if (!(length <= limit)) return Promise.resolve(false);
  return new Promise((resolve) => {
    req.on('data', () => undefined);
    req.once('end', () => resolve(true));
    req.once('error', () => resolve(false));
    req.once('close', () => resolve(req.complete));
    req.resume();
  });
}

async function send(req: IncomingMessage, res: ServerResponse, result: ReplicaResult): Promise<void> {
  const text = JSON.stringify(result.body);
  const drained = await drain(req, DRAIN_LIMIT);
  res.writeHead(result.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...(result.retryAfter === undefined ? {} : { 'retry-after': String(result.retryAfter) }),
    ...(drained ? {} : { connection: 'close' }),
  });
  res.end(text);
}

/**
 * A node:http handler for `PUT /api/v1/ha/replica` (the daemon mounts the same endpoint
 * through its API router, see replicaReceiver): the endpoint reads the raw body itself (the
 * MAC covers its bytes, so it must not be parsed first) or refuses it unread; returns false
 * for every other path. Peer-authenticated, not user-authenticated.
 */
export function mountReplica(handle: RequestHandler): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== REPLICA_PATH) return false;
    handle(req)
      .then(
        (result) => send(req, res, result),
        (error: unknown) =>
          send(req, res, {
            status: 500,
            body: {
              error: { code: 'STORE_IO', message: (error as Error).message },
              node: '',
              head: { version: 0, time: '' },
            },
          }),
      )
      .catch(() => res.destroy());
    return true;
  };
}

/**
 * The same endpoint as the API's `replicaReceiver` (src/api/deps.ts): the API route hands
 * over the request unread, and the router turns a thrown ApplianceError into its error
 * envelope and status (with Retry-After from `retryAfter`).
 */
export function replicaReceiver(handle: RequestHandler): (req: IncomingMessage) => Promise<unknown> {
  return async (req) => {
    const result = await handle(req);
    if (result.status === 200) return result.body;
    const { error } = result.body as { error: ReturnType<ApplianceError['toJSON']> };
    throw new ApplianceError(error.code, error.message, {
      ...(error.field === undefined ? {} : { field: error.field }),
      ...(result.retryAfter === undefined ? {} : { retryAfter: result.retryAfter }),
    });
  };
}
