import { z } from 'zod';
import type { AdminState, Layer } from '../../model/admin-state.js';
import type { ApiDeps } from '../deps.js';
import { badRequest, notFound } from '../errors.js';
import { requireObject } from '../resources.js';
import type { Ctx, Route } from '../router.js';
import { itemKey } from '../schemas/parameters.js';
import { adminStateEntrySchema } from '../schemas/status.js';
import type { Writer } from '../writes.js';

const layerParam = z.enum(['layer4', 'layer7']);

const STATES = ['online', 'drain', 'offline'] as const;

function layerOf(ctx: Ctx): Layer {
  const layer = ctx.params.layer;
  if (layer !== 'layer4' && layer !== 'layer7') throw notFound(`layer "${layer}" (layer4 or layer7)`);
  return layer;
}

function stateOf(body: unknown): AdminState {
  const object = requireObject(body);
  for (const key of Object.keys(object)) {
    if (key !== 'state') throw badRequest(key, 'is not a field of an admin state change');
  }
  if (!STATES.includes(object.state as AdminState)) throw badRequest('state', 'must be online, drain or offline');
  return object.state as AdminState;
}

/** Take offline, drain, bring online: stored admin states, not configuration versions. */
export function runtimeRoutes(deps: ApiDeps, writer: Writer): Route[] {
  const { store, adminStates, logs } = deps;
  const service = (layer: Layer, label: string) => {
    const found = store.current().config[layer].find((s) => s.label === label);
    if (found === undefined) throw notFound(`virtual service "${label}"`);
    return found;
  };
  const record = (ctx: Ctx, what: string, state: AdminState) => {
    const author = ctx.principal?.user ?? 'system';
    logs.write('audit', 'info', `${author}: ${what} set ${state}`, { author, state, address: ctx.address });
    return author;
  };
  const schema = z.strictObject({ state: z.enum(STATES) });
  return [
    {
      method: 'POST',
      path: '/runtime/{layer}/services/{service}/real-servers/{server}',
      summary: 'Take a real server offline, drain it, or bring it online',
      tag: 'runtime',
      access: 'write',
      params: z.strictObject({ layer: layerParam, service: itemKey, server: itemKey }),
      requestSchema: schema,
      responseSchema: z.strictObject({ entry: adminStateEntrySchema }),
      errors: [409],
      handler: async (ctx) => {
        const layer = layerOf(ctx);
        const state = stateOf(ctx.body);
        const svc = service(layer, ctx.params.service as string);
        const server = ctx.params.server as string;
        if (!svc.realServers.some((r) => r.label === server)) throw notFound(`real server "${server}"`);
        writer.requireEditable();
        const author = record(ctx, `${layer}/${svc.label}/${server}`, state);
        const entry = await adminStates.set({ layer, service: svc.label, server }, state, author);
        return { body: { entry } };
      },
    },
    {
      method: 'POST',
      path: '/runtime/{layer}/services/{service}',
      summary: 'Set the admin state of every real server of a virtual service',
      tag: 'runtime',
      access: 'write',
      params: z.strictObject({ layer: layerParam, service: itemKey }),
      requestSchema: schema,
      responseSchema: z.strictObject({ entries: z.array(adminStateEntrySchema) }),
      errors: [409],
      handler: async (ctx) => {
        const layer = layerOf(ctx);
        const state = stateOf(ctx.body);
        const svc = service(layer, ctx.params.service as string);
        writer.requireEditable();
        const author = record(ctx, `${layer}/${svc.label} (every real server)`, state);
        const entries = [];
        for (const real of svc.realServers) {
          entries.push(await adminStates.set({ layer, service: svc.label, server: real.label }, state, author));
        }
        return { body: { entries } };
      },
    },
    {
      method: 'GET',
      path: '/runtime/admin-states',
      summary: 'Every real server an administrator took out of service',
      tag: 'runtime',
      access: 'read',
      responseSchema: z.strictObject({ entries: z.array(adminStateEntrySchema) }),
      handler: async () => ({ body: { entries: adminStates.list() } }),
    },
  ];
}
