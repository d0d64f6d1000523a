// The web servers hold at most `maxConnections` connections at once, over HTTP and HTTPS
// together: one past that is closed as it arrives, unanswered; a place freed is taken again.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createWebServers, type WebServers } from '../../src/web/index.js';

let dir: string;
let web: WebServers;
const sockets: Socket[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-web-conns-'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>t</title>');
  web = await createWebServers({
    handleApi: (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"api":true}');
    },
    dataDir: dir,
    httpPort: 0,
    httpsPort: 0,
    hosts: ['127.0.0.1'],
    certificateNames: ['localhost', '127.0.0.1'],
    uiDir: dir,
    maxConnections: 3,
  });
}, 60_000);

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await web?.close();
  await rm(dir, { recursive: true, force: true });
});

/**
 * A keep-alive connection that sends one request: resolves with what it received once an
 * answer came (the connection stays open) or the server closed it.
 */
function ask(port: number): Promise<{ socket: Socket; received: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    sockets.push(socket);
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
      if (received.includes('{"api":true}')) resolve({ socket, received, closed: false });
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ socket, received, closed: true }));
    socket.write('GET /api/v1/health HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: keep-alive\r\n\r\n');
  });
}

it('closes connections past maxConnections unanswered, over HTTP and HTTPS together', async () => {
  const held = [await ask(web.httpPort), await ask(web.httpPort)];
  for (const answer of held) expect(answer).toMatchObject({ closed: false });
  // A TLS handshake takes the third place: the raw socket counts before any TLS byte.
  const tls = connect({ host: '127.0.0.1', port: web.httpsPort });
  sockets.push(tls);
  tls.on('error', () => undefined);
  await new Promise<void>((resolve) => tls.once('connect', () => resolve()));
  // The server has accepted it once a plain request behind it is refused: wait for that.
  let refused = await ask(web.httpPort);
  for (let tries = 0; !refused.closed && tries < 100; tries++) {
    refused.socket.destroy();
    refused = await ask(web.httpPort);
  }
  expect(refused).toMatchObject({ closed: true, received: '' });
  expect(await ask(web.httpPort)).toMatchObject({ closed: true, received: '' });

  // A place given back is taken again.
  held[0]?.socket.destroy();
  let next = await ask(web.httpPort);
  for (let tries = 0; next.closed && tries < 100; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    next = await ask(web.httpPort);
  }
  expect(next).toMatchObject({ closed: false });
  expect(next.received).toContain('HTTP/1.1 200');
});
