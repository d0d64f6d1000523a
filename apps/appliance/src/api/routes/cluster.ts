import { ApplianceError } from '../../errors.js';
import type { ApiDeps } from '../deps.js';
import type { Route } from '../router.js';
import { clusterStatusSchema } from '../schemas/cluster.js';

/** The ECMP cluster's table, and this node's drain (node-local: each node is drained on its own). */
export function clusterRoutes(deps: ApiDeps): Route[] {
  const { logs } = deps;
  const cluster = () => {
    if (deps.cluster === undefined) {
      throw new ApplianceError('API_NOT_FOUND', 'this appliance runs no cluster service');
    }
    return deps.cluster;
  };
  const action = (what: 'drain' | 'undrain'): Route => ({
    method: 'POST',
    path: `/cluster/${what}`,
    summary:
      what === 'drain'
        ? 'Drain this node: its VIPs are announced with GRACEFUL_SHUTDOWN, then withdrawn (kept across restarts)'
        : 'Undrain this node: it announces its healthy VIPs again',
    tag: 'cluster',
    access: 'write',
    body: 'none',
    responseSchema: clusterStatusSchema,
    errors: [404],
    handler: async (ctx) => {
      const author = ctx.principal?.user;
      logs.write('audit', 'info', `${author}: cluster ${what} of this node`, { author: author ?? null });
      return { body: await cluster()[what](author) };
    },
  });
  return [
    {
      method: 'GET',
      path: '/cluster',
      summary: 'The ECMP cluster: every node, its role, the version it runs, when it was heard, its BGP',
      tag: 'cluster',
      access: 'read',
      responseSchema: clusterStatusSchema,
      errors: [404],
      handler: async () => ({ body: cluster().status() }),
    },
    action('drain'),
    action('undrain'),
  ];
}
