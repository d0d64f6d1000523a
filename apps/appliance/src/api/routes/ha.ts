import { z } from 'zod';
import { ApplianceError } from '../../errors.js';
import type { ReplicaReply } from '../../ha/replica-message.js';
import type { ApiDeps } from '../deps.js';
import type { Route } from '../router.js';
import type { Agrees } from '../schemas/agree.js';
import { nodeReportSchema } from '../schemas/cluster.js';
import { haStatusSchema } from '../schemas/status.js';

/** The replica endpoint's answer (src/ha/replica-message.ts `ReplicaReply`). */
const replicaReplySchema = z.strictObject({
  node: z.string(),
  head: z.strictObject({ version: z.int(), time: z.string() }),
  accepted: z.array(z.int()),
  active: z.boolean(),
  report: nodeReportSchema.exactOptional(),
});
const _agrees: Agrees<typeof replicaReplySchema, ReplicaReply> = true;

export function haRoutes(deps: ApiDeps): Route[] {
  const { ha, logs } = deps;
  const action = (what: 'takeover' | 'standby'): Route => ({
    method: 'POST',
    path: `/ha/${what}`,
    summary: what === 'takeover' ? 'Make this node the active one now' : 'Hand the active role to the peer',
    tag: 'ha',
    access: 'write',
    body: 'none',
    responseSchema: haStatusSchema,
    errors: [409, 502, 503],
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
      responseSchema: haStatusSchema,
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
      responseSchema: replicaReplySchema,
      errors: [401, 403, 409, 413, 415, 422, 429, 503],
      handler: async (ctx) => {
        if (deps.replicaReceiver === undefined) {
          throw new ApplianceError('HA_DISABLED', 'this node takes no replicas (HA is not configured)');
        }
        return { body: (await deps.replicaReceiver(ctx.req)) ?? { ok: true } };
      },
    },
  ];
}
