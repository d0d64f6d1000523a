import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzip } from 'node:zlib';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
};

/**
 * The page may load only what the appliance serves: no inline script, no other origin.
 * Inline styles stay allowed for the SVG graphs' computed attributes.
 */
export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

interface Asset {
  type: string;
  body: Buffer;
  /** Compressed on first request, off the event loop (at the start it cost the daemon up to a second on a slow machine). */
  gzip: Buffer | 'pending' | undefined;
  compressible: boolean;
  etag: string;
}

/**
 * The built UI (`dist/ui`, written by `scripts/build-ui.mjs` during the package build):
 * next to the bundled daemon in `dist/`, or `../../dist/ui` when running from `src/`.
 */
export function defaultUiDir(): string {
  const candidates = [new URL('./ui/', import.meta.url), new URL('../../dist/ui/', import.meta.url)];
  const found = candidates.find((url) => existsSync(new URL('index.html', url)));
  return fileURLToPath(found ?? (candidates[0] as URL));
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** The UI's files, read once (and compressed once each, on first request): a request is a map lookup. */
export async function loadAssets(dir: string): Promise<Map<string, Asset>> {
  if (!existsSync(join(dir, 'index.html'))) {
    throw new Error(`the web UI is not built: ${join(dir, 'index.html')} is missing (run the package build)`);
  }
  const assets = new Map<string, Asset>();
  for (const file of await listFiles(dir)) {
    const type = TYPES[extname(file)];
    if (type === undefined) continue;
    const body = await readFile(file);
    const name = relative(dir, file).split(sep).join('/');
    assets.set(name, {
      type,
      body,
      gzip: undefined,
      compressible: !type.startsWith('image/png') && body.length > 1024,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    });
  }
  return assets;
}

/** Serve `/lbadmin/<name>`; `/lbadmin/` is the page. */
export function serveAsset(assets: Map<string, Asset>, name: string, req: IncomingMessage, res: ServerResponse): void {
  const asset = assets.get(name === '' ? 'index.html' : name);
  if (asset === undefined || name.includes('..')) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
    res.end('not found\n');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
    res.end('method not allowed\n');
    return;
  }
  const headers: Record<string, string> = {
    'content-type': asset.type,
    etag: asset.etag,
    // Revalidate every time: one round trip on loopback, and an upgrade is seen at once.
    'cache-control': 'no-cache',
    vary: 'accept-encoding',
    ...SECURITY_HEADERS,
  };
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const accepts = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  if (accepts && asset.compressible && asset.gzip === undefined) {
    // This answer goes out whole; the next ones compressed.
    asset.gzip = 'pending';
    gzip(asset.body, { level: 9 }, (error, out) => {
      asset.gzip = error ? undefined : out;
      if (error) asset.compressible = false;
    });
  }
  const compressed = accepts && Buffer.isBuffer(asset.gzip) ? asset.gzip : undefined;
  const body = compressed ?? asset.body;
  if (compressed) headers['content-encoding'] = 'gzip';
  headers['content-length'] = String(body.length);
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}
