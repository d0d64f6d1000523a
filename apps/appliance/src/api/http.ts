import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApplianceError } from '../errors.js';
import { badRequest, statusOf } from './errors.js';

/** Headers on every answer: nothing cached, no type sniffing, never framed. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
};

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  head = false,
): void {
  const text = `${JSON.stringify(body)}\n`;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(head ? undefined : text);
}

export function sendError(
  res: ServerResponse,
  error: ApplianceError,
  headers: Record<string, string> = {},
  head = false,
): void {
  sendJson(res, statusOf(error.code), { error: error.toJSON() }, headers, head);
}

/** The deepest a request body may nest: more is an attack, not a configuration. */
const MAX_DEPTH = 32;

function depthExceeded(value: unknown): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop() as [unknown, number];
    if (typeof item !== 'object' || item === null) continue;
    if (depth >= MAX_DEPTH) return true;
    for (const inner of Object.values(item)) {
      if (typeof inner === 'object' && inner !== null) stack.push([inner, depth + 1]);
    }
  }
  return false;
}

/**
 * Read a JSON body: `application/json` (UTF-8) only, at most `limit` bytes (announced or
 * streamed), valid JSON, nested at most 32 deep. Anything else is the client's fault:
 * 415, 413 or 400, never a 5xx.
 */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const raw = await readRaw(req, limit, (type) =>
    /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i.test(type),
  );
  if (raw.length === 0) throw badRequest('(body)', 'a JSON body is required');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw badRequest('(body)', 'the body is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw badRequest('(body)', `the body is not JSON: ${(error as Error).message.slice(0, 200)}`);
  }
  if (depthExceeded(value)) throw badRequest('(body)', `the body nests deeper than ${MAX_DEPTH} levels`);
  return value;
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * For a route that takes no body: none, or an empty JSON object (some clients always send
 * one). Anything else, `[]` included, is a 400: a body the route would ignore may mean
 * the client meant something else, and must not pass for a valid request.
 */
export async function refuseBody(req: IncomingMessage): Promise<void> {
  if (!hasBody(req)) return;
  const body = await readJson(req, 1024);
  const emptyObject =
    typeof body === 'object' &&
    body !== null &&
    Object.getPrototypeOf(body) === Object.prototype &&
    Object.keys(body).length === 0;
  if (!emptyObject) throw badRequest('(body)', 'this request takes no body');
}

/** The raw body, with the content type checked by `accept` and the size by `limit`. */
export function readRaw(req: IncomingMessage, limit: number, accept: (type: string) => boolean): Promise<Buffer> {
  const type = req.headers['content-type'];
  const length = req.headers['content-length'];
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if (!chunked && (length === undefined || length === '0')) return Promise.resolve(Buffer.alloc(0));
  if (type === undefined || !accept(type)) {
    return Promise.reject(
      new ApplianceError(
        'API_UNSUPPORTED_MEDIA_TYPE',
        `the body must be application/json, not ${JSON.stringify(type ?? '')}`,
      ),
    );
  }
  if (length !== undefined && Number(length) > limit) {
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        req.pause();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks, size));
    });
    req.once('error', (error) => {
      if (done) return;
      done = true;
      reject(badRequest('(body)', `the body could not be read: ${error.message}`));
    });
  });
}

function tooLarge(limit: number): ApplianceError {
  return new ApplianceError('API_BODY_TOO_LARGE', `the body exceeds ${limit} bytes`);
}

export function isTls(req: IncomingMessage): boolean {
  return (req.socket as { encrypted?: boolean }).encrypted === true;
}
