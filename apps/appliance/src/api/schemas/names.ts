import { z } from 'zod';
import {
  certificateSchema,
  configSchema,
  floatingIpSchema,
  healthCheckSchema,
  heartbeatSchema,
  ipvsSchema,
  layer4RealServerSchema,
  layer4ServiceSchema,
  layer7RealServerSchema,
  layer7ServiceSchema,
  networkSchema,
  sslTerminationSchema,
} from '../../model/schema.js';
import {
  configWarningSchema,
  diffEntrySchema,
  listedUserSchema,
  presentedConfigSchema,
  presentedHeartbeatSchema,
  presentedUserSchema,
} from './config.js';
import { errorSchema } from './error.js';
import { applyReportSchema, engineStatusSchema, haStatusSchema } from './status.js';

/**
 * The schemas the OpenAPI document names (`#/components/schemas/<name>`): what recurs,
 * so that a client generator makes one type of each and the document stays small.
 */
const NAMED: readonly [z.ZodType, string][] = [
  [errorSchema, 'Error'],
  [configSchema, 'Config'],
  [presentedConfigSchema, 'PresentedConfig'],
  [presentedUserSchema, 'PresentedUser'],
  [presentedHeartbeatSchema, 'PresentedHeartbeat'],
  [listedUserSchema, 'User'],
  [layer4ServiceSchema, 'Layer4Service'],
  [layer4RealServerSchema, 'Layer4RealServer'],
  [layer7ServiceSchema, 'Layer7Service'],
  [layer7RealServerSchema, 'Layer7RealServer'],
  [sslTerminationSchema, 'SslTermination'],
  [healthCheckSchema, 'HealthCheck'],
  [certificateSchema, 'Certificate'],
  [floatingIpSchema, 'FloatingIp'],
  [heartbeatSchema, 'Heartbeat'],
  [networkSchema, 'Network'],
  [ipvsSchema, 'Ipvs'],
  [configWarningSchema, 'ConfigWarning'],
  [diffEntrySchema, 'DiffEntry'],
  [applyReportSchema, 'ApplyReport'],
  [engineStatusSchema, 'EngineStatus'],
  [haStatusSchema, 'HaStatus'],
];

const registry = z.registry<{ id: string }>();
const names = new Map<z.ZodType, string>();
for (const [schema, id] of NAMED) {
  registry.add(schema, { id });
  names.set(schema, id);
}

export const SCHEMA_NAMES = {
  registry,
  get: (schema: z.ZodType): string | undefined => names.get(schema),
};
