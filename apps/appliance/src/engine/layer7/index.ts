/**
 * The Layer 7 part of the engine: Layer 7 services and SSL terminations through HAProxy
 * (@sluice/haproxy-config's model, validation, runtime API and hitless supervisor).
 */
export {
  createLayer7Driver,
  HaproxyRefusedError,
  type Layer7Driver,
  type Layer7DriverOptions,
  type Layer7Supervisor,
} from './driver.js';
export {
  FALLBACK_SERVER,
  type Layer7Model,
  type Layer7ModelOptions,
  type Layer7ServerEntry,
  layer7Model,
  MAX_PORTS_PER_SERVICE,
} from './model.js';
export { type Layer7Rendered, renderLayer7 } from './render.js';
export { HAPROXY_ADMIN, planRuntime, type RuntimeAction } from './states.js';
export { effectiveWeightOf, healthOf, layer7StatRows, observationsFrom } from './stats.js';
