import { ApplianceError } from '../../errors.js';
import type { ApiDeps } from '../deps.js';
import type { Route } from '../router.js';

export function haRoutes(deps: ApiDeps): Route[] {
  const { ha, logs } = deps;
  const action = (what: 'takeover' | 'standby'): Route => ({
    method: 'POST',
    path: `/ha/${what}`,
    summary: what === 'takeover' ? 'Make this node the active one now' : 'Hand the active role to the peer',
    tag: 'ha',
    access: 'write',
    body: 'none',
    handler: async (ctx) => {
      logs.write('audit', 'info', `${ctx.principal?.user}: HA ${what}`, { author: ctx.principal?.user ?? null });
      return { body: await ha[what]() };
    },
  });
  return [
    {
      method: 'GET',
      path: '/ha',
      summary: 'HA role, state, link and warnings',
      tag: 'ha',
      access: 'read',
      handler: async () => ({ body: ha.status() }),
    },
    action('takeover'),
    action('standby'),
    {
      method: 'PUT',
      path: '/ha/replica',
      summary: 'A configuration version from the HA peer (authenticated by the HA key HMAC, not by a user)',
      tag: 'ha',
      access: 'public',
      // Unread: the receiver refuses a stranger's request from its headers (HA off, no valid
      // signature, too large, too many at once) before reading a byte of the body.
      body: 'stream',
      handler: async (ctx) => {
        if (deps.replicaReceiver === undefined) {
          throw new ApplianceError('HA_DISABLED', 'this node takes no replicas (HA is not configured)');
        }
        return { body: (await deps.replicaReceiver(ctx.req)) ?? { ok: true } };
      },
    },
  ];
}
