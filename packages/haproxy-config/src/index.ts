export { HaproxyConfigError, type HaproxyConfigErrorCode } from './errors.js';
