import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Capability } from './capabilities.js';

export interface ApplianceServerOptions {
  version: string;
  capabilities: readonly Capability[];
  /** Clock, injectable for tests. */
  now?: () => number;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

/**
 * The appliance's HTTP front. For now it serves the health endpoint, which also says
 * what this host lets the appliance do; the REST API and web UI mount here later.
 */
export function createApplianceServer(options: ApplianceServerOptions): Server {
  const now = options.now ?? Date.now;
  const started = now();
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://appliance').pathname;
    if (path === '/api/v1/health') {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD');
        sendJson(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: `${req.method} is not allowed here` } });
        return;
      }
      sendJson(res, 200, {
        status: 'ok',
        version: options.version,
        uptimeSeconds: Math.floor((now() - started) / 1000),
        capabilities: options.capabilities,
      });
      return;
    }
    sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `no resource at ${path}` } });
  });
}
