export { describeLab, describeStatus, offlineCommand } from './describe.js';
export {
  currentTopology,
  type LabHostStatus,
  type LabInterfaceStatus,
  type LabStatus,
  type LabUpResult,
  labCable,
  labDown,
  labStatus,
  labUp,
  labWeb,
} from './lab.js';
export { PAGE_PORT } from './page-server.js';
export {
  LAB_HEALTH_CHECK,
  labGatewayFloatingIp,
  labHeartbeat,
  labLayer4Service,
  labLayer7Service,
  labSampleConfig,
} from './sample-config.js';
export {
  balancers,
  LAB_PREFIX,
  LAB_REAL_SERVERS,
  LAB_VIPS,
  type LabHost,
  type LabInterface,
  type LabNetwork,
  type LabOptions,
  type LabRealServer,
  type LabRole,
  type LabTopology,
  type LabVips,
  labHost,
  labTopology,
} from './topology.js';
