import { notManagedError, notManagedStatus } from '../../host-network/control.js';
import type { ApiDeps } from '../deps.js';
import type { Route } from '../router.js';
import { hostNetworkStatusSchema } from '../schemas/status.js';

/** The appliance's own network as applied to this host, and the confirmation of a change under trial. */
export function networkRoutes(deps: ApiDeps): Route[] {
  const { hostNetwork } = deps;
  return [
    {
      method: 'GET',
      path: '/network/status',
      summary: "Whether this host's network is managed, what was applied, and a change waiting for confirmation",
      tag: 'status',
      access: 'read',
      responseSchema: hostNetworkStatusSchema,
      handler: async () => ({ body: hostNetwork?.status() ?? notManagedStatus() }),
    },
    {
      method: 'POST',
      path: '/network/confirm',
      summary: 'Keep the network settings under trial (otherwise rolled back when the time runs out)',
      tag: 'configuration',
      access: 'write',
      body: 'none',
      responseSchema: hostNetworkStatusSchema,
      errors: [409, 502],
      handler: async (ctx) => {
        if (hostNetwork === undefined) throw notManagedError();
        return { body: await hostNetwork.confirm(ctx.principal?.user ?? 'system') };
      },
    },
  ];
}
