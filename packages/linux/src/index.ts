export { errnoName } from './errno.js';
export { canonicalAddress, type FormatOptions, familyOf, formatAddress, parseAddress, parseIPv6 } from './inet.js';
export { type Koffi, libcLoader, type NativeFunction, type NativeLibrary, type Pointer, requireLp64 } from './libc.js';
export * from './socket-abi.js';
