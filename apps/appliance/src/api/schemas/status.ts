import { z } from 'zod';
import type { AdminStateEntry } from '../../model/admin-state.js';
import type { Capability } from '../../model/capability.js';
import type { ApplyReport, EngineStatus, Layer4Connection, Layer7StatRow } from '../../model/engine-status.js';
import type { HaStatus } from '../../model/ha-status.js';
import type { HostNetworkStatus } from '../../model/host-network-status.js';
import type { Agrees } from './agree.js';

// The model's status types (src/model) as zod schemas for the OpenAPI document; each is
// checked against its type below, both ways, so that neither can change alone.

const colour = z.enum(['green', 'yellow', 'red', 'blue', 'grey']);
const layer = z.enum(['layer4', 'layer7']);
const adminState = z.enum(['online', 'drain', 'offline']);
const count = z.number();

const partStatus = z.strictObject({
  part: z.enum(['layer4', 'layer7', 'addresses', 'health', 'bgp']),
  state: z.enum(['applied', 'pending', 'unavailable', 'failed']),
  detail: z.string().exactOptional(),
  appliedAt: z.string().exactOptional(),
});

export const engineStatusSchema = z.strictObject({
  version: z.int().nullable(),
  appliedVersion: z.int().exactOptional(),
  parts: z.array(partStatus),
  connectionSync: z
    .strictObject({
      state: z.enum(['off', 'master', 'backup', 'both', 'unavailable', 'failed']),
      interface: z.string().exactOptional(),
      syncId: z.number().exactOptional(),
      detail: z.string().exactOptional(),
    })
    .exactOptional(),
  services: z.array(
    z.strictObject({
      layer,
      label: z.string(),
      vip: z.string(),
      ports: z.array(z.string()),
      protocol: z.string(),
      colour,
      fallbackActive: z.boolean(),
      realServers: z.array(
        z.strictObject({
          label: z.string(),
          address: z.string(),
          port: z.number().nullable(),
          admin: adminState,
          health: z.enum(['up', 'down', 'unknown', 'unchecked']),
          healthReason: z.string().exactOptional(),
          colour,
          weight: count,
          effectiveWeight: count,
          activeConnections: count,
          inactiveConnections: count,
          bytesIn: count,
          bytesOut: count,
        }),
      ),
      connections: count,
      bytesIn: count,
      bytesOut: count,
    }),
  ),
  terminations: z
    .array(
      z.strictObject({
        label: z.string(),
        vip: z.string(),
        port: z.number(),
        certificate: z.string(),
        service: z.string(),
        colour,
      }),
    )
    .exactOptional(),
  bgp: z
    .strictObject({
      state: z.enum(['running', 'stopped', 'unavailable', 'failed']),
      detail: z.string().exactOptional(),
      drained: z.boolean(),
      stale: z.string().exactOptional(),
      peers: z.array(
        z.strictObject({
          address: z.string(),
          asn: z.int(),
          state: z.string(),
          since: z.string().exactOptional(),
          info: z.string().exactOptional(),
        }),
      ),
      vips: z.array(
        z.strictObject({
          address: z.string(),
          state: z.enum(['announced', 'draining', 'withdrawn']),
          reason: z.string(),
        }),
      ),
    })
    .exactOptional(),
});
const _engine: Agrees<typeof engineStatusSchema, EngineStatus> = true;

export const applyReportSchema = z.strictObject({
  version: z.int(),
  parts: z.array(partStatus),
  changes: z.array(z.string()),
  changeCount: z.int(),
});
const _apply: Agrees<typeof applyReportSchema, ApplyReport> = true;

const histogram = z.strictObject({
  count: count,
  sumMs: count,
  lastMs: z.number().optional(),
  maxMs: count,
  bounds: z.array(z.number()).readonly(),
  buckets: z.array(z.number()),
});

export const haStatusSchema = z.strictObject({
  enabled: z.boolean(),
  role: z.enum(['master', 'slave', 'standalone']),
  state: z.enum(['active', 'passive']),
  link: z.enum(['up', 'down', 'unknown']),
  peer: z
    .strictObject({ name: z.string(), address: z.string(), configVersion: z.int().exactOptional() })
    .exactOptional(),
  warnings: z.array(z.string()),
  since: z.string().exactOptional(),
  reason: z.string().exactOptional(),
  transitions: z.record(z.string(), z.number()).exactOptional(),
  heartbeat: z.strictObject({ sendLateness: histogram, peerGap: histogram }).exactOptional(),
});
const _ha: Agrees<typeof haStatusSchema, HaStatus> = true;

/** GET /status: the HA node, the engine, and the current configuration version. */
export const statusSchema = z.strictObject({
  ha: haStatusSchema,
  engine: engineStatusSchema,
  configVersion: z.int(),
});

export const hostNetworkStatusSchema = z.strictObject({
  managed: z.boolean(),
  state: z.enum(['not-managed', 'ha-pair', 'applied', 'failed', 'pending']),
  detail: z.string(),
  appliedVersion: z.int().exactOptional(),
  appliedAt: z.string().exactOptional(),
  changes: z.array(z.string()),
  notes: z.array(z.string()),
  trial: z
    .strictObject({
      version: z.int(),
      restoreVersion: z.int(),
      deadline: z.string(),
      secondsLeft: z.number(),
      timeoutSeconds: z.number(),
    })
    .exactOptional(),
});
const _network: Agrees<typeof hostNetworkStatusSchema, HostNetworkStatus> = true;

export const capabilitySchema = z.strictObject({
  id: z.enum(['root', 'ipvs', 'haproxy']),
  part: z.enum(['root', 'layer4', 'layer7']),
  feature: z.string(),
  available: z.boolean(),
  detail: z.string(),
  fix: z.string().exactOptional(),
});
const _capability: Agrees<typeof capabilitySchema, Capability> = true;

export const adminStateEntrySchema = z.strictObject({
  layer,
  service: z.string(),
  server: z.string(),
  state: adminState,
  author: z.string(),
  time: z.string(),
});
const _adminState: Agrees<typeof adminStateEntrySchema, AdminStateEntry> = true;

export const layer4ConnectionSchema = z.strictObject({
  protocol: z.string(),
  client: z.string(),
  virtual: z.string(),
  destination: z.string(),
  state: z.string(),
  expiresSeconds: z.number(),
  synRecv: z.boolean(),
  hint: z.string().exactOptional(),
});
const _connection: Agrees<typeof layer4ConnectionSchema, Layer4Connection> = true;

export const layer7StatRowSchema = z.strictObject({
  proxy: z.string(),
  server: z.string(),
  status: z.string(),
  currentSessions: count,
  totalSessions: count,
  bytesIn: count,
  bytesOut: count,
});
const _layer7: Agrees<typeof layer7StatRowSchema, Layer7StatRow> = true;
