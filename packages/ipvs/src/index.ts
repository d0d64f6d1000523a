export { IpvsClient, type OpenOptions, type OperationResult, type ServiceWithDestinations } from './client.js';
export { type Connection, type Endpoint, parseConnections } from './conntable.js';
export { errnoName, IpvsError, type IpvsErrorCode } from './errors.js';
export { canonicalAddress } from './inet.js';
export type { NetlinkTransport } from './netlink/transport.js';
export type { Operation } from './operations.js';
export * from './types.js';
export { validateDaemon, validateDestination, validateService, validateServiceKey } from './validate.js';
