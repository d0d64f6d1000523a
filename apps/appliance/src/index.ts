export type * from './admin-states/contract.js';
export { openAdminStates } from './admin-states/index.js';
export { type Api, type ApiDeps, createApi, type Route, statusOf } from './api/index.js';
export { type Auth, type OpenAuthOptions, openAuth } from './auth/index.js';
export {
  type Capability,
  describeCapabilities,
  detectCapabilities,
  type HostProbe,
  systemProbe,
} from './capabilities.js';
export { type Daemon, type DaemonOptions, startDaemon } from './daemon/daemon.js';
export type * from './engine/contract.js';
export { createEngine, type EngineOptions, type PartDriver } from './engine/index.js';
export { createLayer7Driver } from './engine/layer7/index.js';
export { ApplianceError, type ApplianceErrorCode, type ApplianceErrorOptions } from './errors.js';
export type * from './ha/contract.js';
export {
  createHaControl,
  type HaControlOptions,
  HaEngineClient,
  type HaEngineClientOptions,
  type HaLocalOptions,
  type HaService,
  HeldAddressesDriver,
  parsePeerSpec,
  processHeartbeat,
  replicaReceiver,
} from './ha/index.js';
export type * from './logs/contract.js';
export { type ClosableLogBook, createLogBook, type LogBookOptions } from './logs/index.js';
export { startTrafficSampler, type TrafficSampler, type TrafficSamplerOptions } from './metrics/traffic-sampler.js';
export type * from './model/admin-state.js';
export { type DiffEntry, diffConfigs } from './model/diff.js';
export type * from './model/engine-status.js';
export type * from './model/ha-status.js';
export { configJsonSchema, configJsonSchemaText } from './model/json-schema.js';
export type * from './model/log-record.js';
export {
  type ApplianceConfig,
  type ApplianceConfigInput,
  type ConfigView,
  configSchema,
  defaultConfig,
  type HealthCheck,
  type Layer4RealServer,
  type Layer4Service,
  type Layer7RealServer,
  type Layer7Service,
  type PortSpec,
  type SslTermination,
  schedulers,
} from './model/schema.js';
export {
  type ConfigWarning,
  checkSemantics,
  formatPath,
  parseConfig,
  type ValidationResult,
  validateConfig,
} from './model/validate.js';
export { type CommitPipeline, type CommitPipelineOptions, createCommitPipeline } from './pipeline/index.js';
export type { AuditEntry } from './store/audit.js';
export {
  type CommitRequest,
  type CommitResult,
  type CommittedVersion,
  ConfigStore,
  type ConfigStoreOptions,
  type RollbackRequest,
  type StoredVersion,
  type VersionInfo,
} from './store/config-store.js';
