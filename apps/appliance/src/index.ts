export {
  type Capability,
  describeCapabilities,
  detectCapabilities,
  type HostProbe,
  systemProbe,
} from './capabilities.js';
export { type ApplianceServerOptions, createApplianceServer } from './server.js';
