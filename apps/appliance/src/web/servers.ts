import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { Route } from '../api/router.js';
import { certificateUploadRoutes } from '../api/routes/certificates-upload.js';
import { webPortsRoutes } from '../api/routes/web-ports.js';
import type { LogBook } from '../logs/contract.js';
import { openWebCertificates, type WebCertificates } from './certificates.js';
import { defaultUiDir, loadAssets, SECURITY_HEADERS, serveAsset } from './static.js';

export interface WebServersOptions {
  /** The REST API's request handler: `/api/v1/**` and `/metrics` go there untouched. */
  handleApi: (req: IncomingMessage, res: ServerResponse) => void;
  /** The appliance's data directory; the HTTPS certificate lives in `<dataDir>/web-tls/`. */
  dataDir: string;
  /** [9080]; 0 picks a free port (tests). */
  httpPort?: number;
  /** [9443]; 0 picks a free port (tests). */
  httpsPort?: number;
  /** Addresses to listen on [`::`, which also takes IPv4 where the host allows it]. */
  hosts?: readonly string[];
  /** Names and addresses the self-signed certificate is made for [this node's host name and addresses]. */
  certificateNames?: readonly string[];
  /** An already opened certificate store (the daemon shares it with the API's upload routes). */
  certificates?: WebCertificates;
  /** The built UI [`dist/ui`]. */
  uiDir?: string;
  /**
   * The API's `addRoutes`: the certificate routes (`GET /web-certificate`, `POST
   * /certificates/upload`, `POST /certificates/csr`) join the API there, behind its
   * authentication and CSRF checks. With `logs`, which records who replaced the certificate.
   * `GET /web-ports` (the ports bound) joins it too.
   */
  addApiRoutes?: (routes: readonly Route[]) => void;
  logs?: Pick<LogBook, 'write'>;
  /** Connections open at once over all the servers [512]; more are closed as they arrive. */
  maxConnections?: number;
}

/**
 * Enough for many administrators' browsers (a few connections and event streams each),
 * far below the file descriptors a flood of idle connections would otherwise take.
 */
export const DEFAULT_MAX_CONNECTIONS = 512;

export interface WebServers {
  /** The ports actually bound (differ from the options' only when those were 0). */
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly certificates: WebCertificates;
  readonly servers: readonly (Server | HttpsServer)[];
  close(): Promise<void>;
}

/** This node's host name and every address of its interfaces, loopback included. */
export function nodeNames(): string[] {
  const addresses = Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((entry) => !entry.address.startsWith('fe80:'))
    .map((entry) => entry.address);
  return [...new Set([hostname(), 'localhost', ...addresses])];
}

const UI = '/lbadmin/';

function route(assets: Awaited<ReturnType<typeof loadAssets>>, handleApi: WebServersOptions['handleApi']) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const path = url.split('?', 1)[0] ?? '/';
    if (path.startsWith('/api/') || path === '/metrics') {
      handleApi(req, res);
      return;
    }
    if (path === '/' || path === '/lbadmin') {
      res.writeHead(302, { location: UI, 'content-length': '0', ...SECURITY_HEADERS });
      res.end();
      return;
    }
    if (path.startsWith(UI)) {
      let name: string;
      try {
        name = decodeURIComponent(path.slice(UI.length));
      } catch {
        name = '\0';
      }
      serveAsset(assets, name, req, res);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
    res.end(`not found; the web interface is at ${UI}\n`);
  };
}

/** `::` takes IPv4 too where the host has IPv6; on a host without IPv6, `0.0.0.0`. */
async function listenAny(
  server: Server | HttpsServer,
  port: number,
  host: string,
  defaulted: boolean,
): Promise<number> {
  try {
    return await listen(server, port, host);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!defaulted || (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL')) throw error;
    return listen(server, port, '0.0.0.0');
  }
}

function listen(server: Server | HttpsServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host }, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server | HttpsServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Live views (server-sent events) hold connections open: end them so close() returns.
    server.closeAllConnections();
  });
}

/**
 * The administrator's web servers: HTTP (9080) and HTTPS (9443), each serving the UI under
 * `/lbadmin/` and the REST API. An uploaded certificate takes effect on the next TLS
 * handshake through `setSecureContext`; connections already open keep theirs.
 */
export async function createWebServers(options: WebServersOptions): Promise<WebServers> {
  const assets = await loadAssets(options.uiDir ?? defaultUiDir());
  const names = options.certificateNames ?? nodeNames();
  const certificates =
    options.certificates ?? (await openWebCertificates({ dir: join(options.dataDir, 'web-tls'), names }));
  if (options.addApiRoutes && options.logs) {
    options.addApiRoutes(certificateUploadRoutes(certificates, options.logs, join(options.dataDir, 'certificates')));
  }
  const handler = route(assets, options.handleApi);
  const defaulted = !options.hosts?.length;
  const hosts = options.hosts?.length ? options.hosts : ['::'];
  const servers: (Server | HttpsServer)[] = [];
  const httpsServers: HttpsServer[] = [];
  // One count over HTTP and HTTPS on every address: a client cannot take more by spreading
  // its connections. A connection over it is closed before any byte is read (or TLS begins).
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  let connections = 0;
  const admit = (socket: Socket) => {
    if (connections >= maxConnections) {
      socket.destroy();
      return;
    }
    connections++;
    socket.once('close', () => {
      connections--;
    });
  };
  let httpPort = options.httpPort ?? 9080;
  let httpsPort = options.httpsPort ?? 9443;
  try {
    for (const host of hosts) {
      const http = createHttpServer(handler);
      http.on('connection', admit);
      servers.push(http);
      httpPort = await listenAny(http, httpPort, host, defaulted);
      const https = createHttpsServer({ ...certificates.material(), minVersion: 'TLSv1.2' }, handler);
      https.on('connection', admit);
      servers.push(https);
      httpsServers.push(https);
      httpsPort = await listenAny(https, httpsPort, host, defaulted);
    }
  } catch (error) {
    await Promise.all(servers.map((server) => (server.listening ? closeServer(server) : undefined)));
    throw error;
  }
  // What the Administration page shows: the ports bound now, not the configured ones.
  options.addApiRoutes?.(webPortsRoutes(() => ({ httpPort, httpsPort })));
  const unsubscribe = certificates.onChange((material) => {
    for (const server of httpsServers) server.setSecureContext({ ...material, minVersion: 'TLSv1.2' });
  });
  return {
    httpPort,
    httpsPort,
    certificates,
    servers,
    async close() {
      unsubscribe();
      await Promise.all(servers.map(closeServer));
    },
  };
}
