import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApplianceError } from '../errors.js';
import type { ReplicaResult } from './replica-endpoint.js';
import { type Headers, REPLICA_MAX_BODY, REPLICA_PATH } from './replica-protocol.js';

type Handler = (body: Buffer, headers: Headers, method: string, path: string) => Promise<ReplicaResult>;

function send(res: ServerResponse, result: ReplicaResult): void {
  const text = JSON.stringify(result.body);
  res.writeHead(result.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * A node:http handler for `PUT /api/v1/ha/replica` that the daemon's server calls before
 * its API router: it reads the raw body (the MAC covers its bytes, so it must not be
 * parsed first) and returns false for every other path. Peer-authenticated, not user-authenticated.
 */
export function mountReplica(handle: Handler): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== REPLICA_PATH) return false;
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > REPLICA_MAX_BODY) {
        tooLarge = true;
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) return;
      handle(Buffer.concat(chunks), req.headers, req.method ?? 'GET', REPLICA_PATH).then(
        (result) => send(res, result),
        (error: unknown) =>
          send(res, {
            status: 500,
            body: {
              error: { code: 'STORE_IO', message: (error as Error).message },
              node: '',
              head: { version: 0, time: '' },
            },
          }),
      );
    });
    req.on('close', () => {
      if (tooLarge && !res.headersSent) res.destroy();
    });
    return true;
  };
}

/**
 * The same endpoint as the API's `replicaReceiver` (src/api/deps.ts): the API router reads
 * the raw body and turns a thrown ApplianceError into its error envelope and status.
 */
export function replicaReceiver(handle: Handler): (body: Buffer, headers: Headers) => Promise<unknown> {
  return async (body, headers) => {
    const result = await handle(body, headers, 'PUT', REPLICA_PATH);
    if (result.status === 200) return result.body;
    const { error } = result.body as { error: ReturnType<ApplianceError['toJSON']> };
    throw new ApplianceError(error.code, error.message, error.field === undefined ? {} : { field: error.field });
  };
}
