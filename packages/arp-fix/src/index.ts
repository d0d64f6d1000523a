export { ArpFixError, type ArpFixErrorCode } from './errors.js';
