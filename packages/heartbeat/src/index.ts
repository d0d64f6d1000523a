export { HeartbeatError, type HeartbeatErrorCode } from './errors.js';
