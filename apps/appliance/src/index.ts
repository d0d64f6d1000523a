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
export { type DiffEntry, diffConfigs } from './config/diff.js';
export { configJsonSchema, configJsonSchemaText } from './config/json-schema.js';
export {
  type ApplianceConfig,
  type ApplianceConfigInput,
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
} from './config/schema.js';
export {
  type ConfigWarning,
  checkSemantics,
  formatPath,
  parseConfig,
  type ValidationResult,
  validateConfig,
} from './config/validate.js';
export { type Daemon, type DaemonOptions, startDaemon } from './daemon/daemon.js';
export type * from './daemon/interfaces.js';
export { createEngine, type EngineOptions, type PartDriver } from './engine/index.js';
export { createLayer7Driver } from './engine/layer7/index.js';
export { ApplianceError, type ApplianceErrorCode, type ApplianceErrorOptions } from './errors.js';
export {
  createHaControl,
  type HaControlOptions,
  type HaLocalOptions,
  type HaService,
  parsePeerSpec,
  replicaReceiver,
} from './ha/index.js';
export { type ClosableLogBook, createLogBook, type LogBookOptions } from './logs/index.js';
export { startTrafficSampler, type TrafficSampler, type TrafficSamplerOptions } from './metrics/traffic-sampler.js';
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
} from './store/store.js';
