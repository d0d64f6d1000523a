export { IpvsError, type IpvsErrorCode } from './errors.js';
