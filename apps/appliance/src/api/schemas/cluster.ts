import { z } from 'zod';
import type { ClusterStatus, NodeReport } from '../../model/cluster-status.js';
import type { Agrees } from './agree.js';
import { engineStatusSchema } from './status.js';

// NodeHold's `stale?: string | undefined`.
const hold = z.strictObject({ drain: z.boolean(), stale: z.string().optional() });

/** What a follower reports in its replica reply (src/model/cluster-status.ts `NodeReport`). */
export const nodeReportSchema = z.strictObject({
  version: z.int().nullable(),
  hold,
  bgp: engineStatusSchema.shape.bgp,
});
const _report: Agrees<typeof nodeReportSchema, NodeReport> = true;

/** GET /cluster and the drain actions' answer. */
export const clusterStatusSchema = z.strictObject({
  mode: z.enum(['pair', 'ecmp']),
  node: z.string(),
  role: z.enum(['configuring', 'follower']).exactOptional(),
  configuringNode: z.string().exactOptional(),
  configVersion: z.int(),
  hold,
  nodes: z.array(
    z.strictObject({
      name: z.string(),
      address: z.string(),
      role: z.enum(['configuring', 'follower']),
      self: z.boolean(),
      version: z.int().nullable(),
      lastHeard: z.string().exactOptional(),
      lag: z.int().exactOptional(),
      drained: z.boolean().exactOptional(),
      stale: z.string().exactOptional(),
      bgp: z
        .strictObject({
          state: z.enum(['running', 'stopped', 'unavailable', 'failed']),
          announced: z.int(),
          vips: z.int(),
          established: z.int(),
          sessions: z.int(),
        })
        .exactOptional(),
      error: z.string().exactOptional(),
    }),
  ),
});
const _cluster: Agrees<typeof clusterStatusSchema, ClusterStatus> = true;
