export { type AddressesDriverOptions, createAddressesDriver } from './addresses/driver.js';
export type {
  DesiredInput,
  Observations,
  PartApplyResult,
  PartDriver,
  ProbeResult,
  ServerObservation,
} from './driver.js';
export { serverKey } from './driver.js';
export { ApplianceEngine, createEngine, type EngineOptions } from './engine.js';
export { Foreground } from './foreground.js';
export {
  createHealthBridge,
  type HealthBridgeOptions,
  type HealthSource,
  type HealthTransition,
} from './health/bridge.js';
export { ARP_HINT, createLayer4Driver, type Layer4DriverOptions } from './layer4/driver.js';
export { serverColour, serviceColour } from './status.js';
