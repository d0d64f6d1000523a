import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildUi } from '../../scripts/build-ui.mjs';
import { createWebServers, selfSignedCertificate, type WebServers } from '../../src/web/index.js';

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
  fingerprint?: string;
}

function get(url: string, headers: Record<string, string> = {}, ca?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = request(url, { headers, agent: false, ...(ca ? { ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
          ...(url.startsWith('https:')
            ? { fingerprint: (res.socket as TLSSocket).getPeerCertificate().fingerprint256 }
            : {}),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('web servers', () => {
  let dir: string;
  let uiDir: string;
  let web: WebServers;
  const apiCalls: string[] = [];
  const handleApi = (req: IncomingMessage, res: ServerResponse) => {
    apiCalls.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"api":true}');
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-web-'));
    uiDir = join(dir, 'ui');
    await buildUi(uiDir);
    web = await createWebServers({
      handleApi,
      dataDir: dir,
      httpPort: 0,
      httpsPort: 0,
      hosts: ['127.0.0.1'],
      certificateNames: ['localhost', '127.0.0.1'],
      uiDir,
    });
  }, 60_000);
  afterAll(async () => {
    await web?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const http = () => `http://127.0.0.1:${web.httpPort}`;
  const https = () => `https://127.0.0.1:${web.httpsPort}`;

  it('redirects / to /lbadmin/ and serves the page with a strict content security policy', async () => {
    const root = await get(`${http()}/`);
    expect([root.status, root.headers.location]).toEqual([302, '/lbadmin/']);
    const page = await get(`${http()}/lbadmin/`);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.body).toContain('<script type="module" src="main.js"></script>');
    // The first answer goes out whole while the file is compressed off the event loop; later ones gzip.
    const first = await get(`${http()}/lbadmin/main.js`, { 'accept-encoding': 'gzip' });
    expect([first.status, first.headers['content-encoding']]).toEqual([200, undefined]);
    let script = first;
    for (let i = 0; i < 200 && script.headers['content-encoding'] !== 'gzip'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      script = await get(`${http()}/lbadmin/main.js`, { 'accept-encoding': 'gzip' });
    }
    expect([script.status, script.headers['content-encoding']]).toEqual([200, 'gzip']);
    expect(script.headers.etag).toBe(first.headers.etag);
    const again = await get(`${http()}/lbadmin/main.js`, { 'if-none-match': String(script.headers.etag) });
    expect(again.status).toBe(304);
    expect((await get(`${http()}/lbadmin/../../etc/passwd`)).status).toBe(404);
    expect((await get(`${http()}/lbadmin/nothing.js`)).status).toBe(404);
    expect((await get(`${http()}/elsewhere`)).status).toBe(404);
  });

  it('keeps the first page small: the validator (zod) loads only with the forms', async () => {
    const page = await get(`${http()}/lbadmin/`);
    const main = await get(`${http()}/lbadmin/main.js`);
    const staticImports = [...main.body.matchAll(/from"\.\/(chunk-[A-Z0-9]+\.js)"/g)].map((m) => m[1] as string);
    const lazy = [...main.body.matchAll(/import\("\.\/(chunk-[A-Z0-9]+\.js)"\)/g)].map((m) => m[1] as string);
    let bytes = page.body.length + main.body.length + (await get(`${http()}/lbadmin/app.css`)).body.length;
    for (const chunk of staticImports) bytes += (await get(`${http()}/lbadmin/${chunk}`)).body.length;
    expect(lazy.length).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(100 * 1024);
  });

  it('hands /api/v1/** and /metrics to the API, on HTTP and HTTPS', async () => {
    const ca = web.certificates.material().cert;
    expect((await get(`${http()}/api/v1/status?x=1`)).body).toBe('{"api":true}');
    expect((await get(`${https()}/metrics`, {}, ca)).body).toBe('{"api":true}');
    expect(apiCalls).toEqual(['GET /api/v1/status?x=1', 'GET /metrics']);
  });

  it('serves HTTPS with the self-signed certificate, and switches to an installed one without a restart', async () => {
    const before = web.certificates.material().cert;
    const first = await get(`${https()}/lbadmin/`, {}, before);
    expect(first.status).toBe(200);
    const next = selfSignedCertificate(['127.0.0.1'], new Date());
    const info = await web.certificates.install({ format: 'pem', certificate: next.cert, key: next.key });
    const after = await get(`${https()}/lbadmin/`, {}, next.cert);
    expect(after.status).toBe(200);
    expect(after.fingerprint).toBe(info.fingerprint256);
    expect(after.fingerprint).not.toBe(first.fingerprint);
    // The old certificate is no longer presented: a client trusting only it fails.
    await expect(get(`${https()}/lbadmin/`, {}, before)).rejects.toThrow();
  });
});
