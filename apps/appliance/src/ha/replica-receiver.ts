import type { IncomingMessage } from 'node:http';
import { ApplianceError } from '../errors.js';
import type { ReplicaResult } from './replica-endpoint.js';

/** The endpoint's request handler (ReplicaEndpoint.handleRequest): it reads the body itself, or refuses it unread. */
type RequestHandler = (req: IncomingMessage) => Promise<ReplicaResult>;

/**
 * The replica endpoint as the API's `replicaReceiver` (src/api/deps.ts), the one way in for
 * `PUT /api/v1/ha/replica`: the API route hands over the request unread (the MAC covers the
 * body's bytes, so it must not be parsed first), and the router turns a thrown
 * ApplianceError into its error envelope and status (with Retry-After from `retryAfter`).
 * Peer-authenticated, not user-authenticated.
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
