import { z } from 'zod';
import type { Route } from '../router.js';

/** The ports the web servers are bound to. */
export interface ListeningPorts {
  httpPort: number;
  httpsPort: number;
}

/**
 * `GET /web-ports`: the ports the web interface and the API listen on now. They may differ
 * from `administration.httpPort`/`httpsPort`: the daemon reads those at its start, and
 * `--port`/`--https-port` (or SLUICE_HTTP_PORT/SLUICE_HTTPS_PORT) override them; the
 * Administration page shows both and says why they differ.
 */
export function webPortsRoutes(ports: () => ListeningPorts): Route[] {
  return [
    {
      method: 'GET',
      path: '/web-ports',
      summary: 'The HTTP and HTTPS ports the web interface and the API listen on now',
      tag: 'administration',
      access: 'read',
      responseSchema: z.strictObject({ httpPort: z.int(), httpsPort: z.int() }),
      handler: async () => ({ body: ports() }),
    },
  ];
}
