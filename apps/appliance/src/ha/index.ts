export { createHaControl, type HaControlOptions, type HaService } from './control.js';
export { HaEngineClient, type HaEngineClientOptions } from './engine-process/client.js';
export { HeldAddressesDriver } from './engine-process/held-addresses.js';
export { processHeartbeat } from './engine-process/process-runner.js';
export { type HeartbeatRun, type HeartbeatRunner, inProcessHeartbeat } from './heartbeat-runner.js';
export type { HeartbeatSpec } from './heartbeat-spec.js';
export {
  DEFAULT_MASTER_NAME,
  type HaIdentity,
  type HaLocalOptions,
  hostAddresses,
  parsePeerSpec,
  resolveIdentity,
} from './identity.js';
export {
  createReplicaEndpoint,
  type ReplicaEndpoint,
  type ReplicaEndpointDeps,
  type ReplicaResult,
} from './replica-endpoint.js';
export type { HeadInfo, ReplicaMessage, ReplicaReply } from './replica-message.js';
export {
  CLOCK_SKEW_MS,
  openBody,
  REPLAY_WINDOW_MS,
  REPLICA_MAX_BODY,
  REPLICA_MAX_IN_FLIGHT,
  REPLICA_PATH,
  ReplayGuard,
  replicaKey,
  sealBody,
  signRequest,
  verifyHeaders,
  verifyRequest,
} from './replica-protocol.js';
export { replicaReceiver } from './replica-receiver.js';
export { Replicator, type ReplicatorOptions } from './replicator.js';
