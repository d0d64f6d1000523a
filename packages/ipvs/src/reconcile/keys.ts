import { canonicalAddress } from '../inet.js';
import type { ServiceKey } from '../types.js';

/** A stable identity for a service: `tcp [2001:db8::1]:80`, `fwm 7 v4`. */
export function serviceId(key: ServiceKey): string {
  if (key.fwmark !== undefined) return `fwm ${key.fwmark} v${key.family}`;
  const address = canonicalAddress(key.address);
  return `${key.protocol} ${address.includes(':') ? `[${address}]` : address}:${key.port}`;
}

export function destinationId(dest: { address: string; port: number }): string {
  const address = canonicalAddress(dest.address);
  return `${address.includes(':') ? `[${address}]` : address}:${dest.port}`;
}

/** Only the key fields of a service (what delete and destination operations carry). */
export function keyOf(service: ServiceKey): ServiceKey {
  return service.fwmark !== undefined
    ? { fwmark: service.fwmark, family: service.family }
    : { protocol: service.protocol, address: service.address, port: service.port };
}
