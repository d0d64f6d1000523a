import { z } from 'zod';
import { buildInfo } from '../../metrics/build-info.js';
import { IpvsTotals } from '../../metrics/ipvs-metrics.js';
import { watchEventLoop } from '../../metrics/process-metrics.js';
import { renderMetrics } from '../../metrics/prometheus.js';
import type { ApiDeps } from '../deps.js';
import { openApiDocument } from '../openapi.js';
import type { Route } from '../router.js';
import { capabilitySchema } from '../schemas/status.js';

/** What GET /openapi.json answers, as far as its own document describes it. */
const documentSchema = z.looseObject({
  openapi: z.literal('3.1.0'),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.record(z.string(), z.looseObject({ responses: z.record(z.string(), z.unknown()) }))),
  components: z.looseObject({ schemas: z.record(z.string(), z.unknown()) }),
});

export function metaRoutes(deps: ApiDeps, routes: () => readonly Route[], now: () => Date): Route[] {
  const started = now().getTime();
  let openApi: { routes: number; document: Record<string, unknown> } | undefined;
  /** What one scrape of /metrics leaves for the next: the IPVS totals' memory of removed services. */
  let ipvsTotals: IpvsTotals | undefined;
  return [
    {
      method: 'GET',
      path: '/health',
      summary: 'Liveness (anyone); version, uptime and capabilities with a login',
      tag: 'status',
      access: 'public',
      responseSchema: z.strictObject({
        status: z.literal('ok'),
        version: z.string().optional(),
        uptimeSeconds: z.int().optional(),
        capabilities: z.array(capabilitySchema).optional(),
      }),
      handler: async (ctx) => {
        // Without a login only "up": the version, the kernel's and HAProxy's, and that
        // the daemon runs as root tell an attacker which exploits to try.
        const principal = deps.auth.authenticate(ctx.req.headers.authorization, ctx.req.headers.cookie);
        if (principal === undefined || principal.mustChangePassword) return { body: { status: 'ok' } };
        return {
          body: {
            status: 'ok',
            version: deps.version,
            uptimeSeconds: Math.floor((now().getTime() - started) / 1000),
            capabilities: deps.capabilities,
          },
        };
      },
    },
    {
      method: 'GET',
      path: '/openapi.json',
      summary: 'This document',
      tag: 'status',
      access: 'read',
      responseSchema: documentSchema,
      handler: async () => {
        // Routes added later (the web UI's certificate upload) make a new document.
        const all = routes();
        if (openApi?.routes !== all.length)
          openApi = { routes: all.length, document: openApiDocument(all, deps.version) };
        return { body: openApi.document };
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      root: true,
      summary: 'Prometheus metrics (text format): per VIP and real server, HA state, config version',
      tag: 'status',
      access: 'read',
      responseDescription: 'the Prometheus text exposition format',
      responseType: 'text/plain; version=0.0.4',
      handler: async () => {
        if (ipvsTotals === undefined) {
          // The event loop's delay is watched from the first scrape on: nobody reads it before.
          watchEventLoop();
          ipvsTotals = new IpvsTotals();
        }
        return {
          body: renderMetrics({
            engine: deps.engine.status(),
            ha: deps.ha.status(),
            configVersion: deps.store.current().version,
            metrics: deps.engine.metrics(),
            ipvsTotals,
            build: buildInfo(deps.version, deps.capabilities),
            process: true,
          }),
          headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
        };
      },
    },
  ];
}
