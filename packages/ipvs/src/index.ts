export { type Capabilities, type CapabilityProbe, capabilities } from './capabilities.js';
export { type Command, parseArgs as parseIpvsadmArgs } from './cli/args.js';
export { formatConnections, formatList, formatSave } from './cli/format.js';
export { main as cli, restoreOperations } from './cli/main.js';
export {
  IpvsClient,
  type OpenOptions,
  type OperationResult,
  type ReadOptions,
  type ServiceWithDestinations,
  type ServiceWithSettings,
} from './client.js';
export { type Connection, type Endpoint, parseConnections } from './conntable.js';
export { errnoName, IpvsError, type IpvsErrorCode } from './errors.js';
export { canonicalAddress } from './inet.js';
export type { NetlinkTransport } from './netlink/transport.js';
export type { Operation } from './operations.js';
export { type ApplyReport, apply } from './reconcile/apply.js';
export { formatPlan } from './reconcile/format.js';
export { destinationId, serviceId } from './reconcile/keys.js';
export { type DesiredService, type Plan, type PlanItem, type PlanOptions, plan } from './reconcile/plan.js';
export * from './types.js';
export { validateDaemon, validateDestination, validateService, validateServiceKey } from './validate.js';
