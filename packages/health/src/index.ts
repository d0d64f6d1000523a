export { HealthError, type HealthErrorCode } from './errors.js';
