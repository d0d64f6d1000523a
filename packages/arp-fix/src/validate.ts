import { isIP } from 'node:net';
import { ArpFixError } from './errors.js';

/** A VIP as the package uses it: canonical text and its family. */
export interface Vip {
  address: string;
  family: 4 | 6;
}

/**
 * Parses a VIP (a bare address, no prefix or port) into canonical text: IPv6 lowercase
 * and compressed as `ip` prints it, so comparisons with command output are plain string
 * equality through {@link sameAddress}.
 */
export function parseVip(value: unknown, field: string): Vip {
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) {
    throw new ArpFixError('ARPFIX_INVALID_FIELD', `${field}: a VIP must be an IPv4 or IPv6 address`, { field });
  }
  const family = isIP(value);
  if (family === 4) {
    return { address: value, family: 4 };
  }
  if (family === 6 && !value.includes('%') && !value.includes('.')) {
    return { address: new URL(`http://[${value}]/`).hostname.slice(1, -1), family: 6 };
  }
  throw new ArpFixError('ARPFIX_INVALID_FIELD', `${field}: ${JSON.stringify(value)} is not an IPv4 or IPv6 address`, {
    field,
  });
}

/** The 16 (or 4) bytes of an address, for comparisons that do not depend on notation. */
export function addressBytes(address: string): number[] | undefined {
  const family = isIP(address);
  if (family === 4) return address.split('.').map(Number);
  if (family !== 6) return undefined;
  const [head = '', tail] = address.toLowerCase().split('::');
  const words = (part: string | undefined) => (part ? part.split(':') : []);
  const left = words(head);
  const right = words(tail);
  const fill = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  const all = [...left, ...fill, ...right];
  if (all.length !== 8) return undefined;
  return all.flatMap((w) => {
    const n = Number.parseInt(w, 16);
    return [n >> 8, n & 0xff];
  });
}

export function sameAddress(a: string, b: string): boolean {
  const x = addressBytes(a);
  const y = addressBytes(b);
  return x !== undefined && y !== undefined && x.length === y.length && x.every((v, i) => v === y[i]);
}

/** The wildcard address of a family (what a socket bound to "all addresses" shows). */
export function wildcard(family: 4 | 6): string {
  return family === 4 ? '0.0.0.0' : '::';
}

/** The host prefix length: /32 for IPv4, /128 for IPv6. */
export function hostPrefix(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

const IFNAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,14}$/;

/** A Linux interface name (IFNAMSIZ 16 with the NUL; no '/', no whitespace). */
export function checkIfName(value: unknown, field: string): string {
  if (typeof value !== 'string' || !IFNAME.test(value) || value === '.' || value === '..') {
    throw new ArpFixError('ARPFIX_INVALID_FIELD', `${field}: ${JSON.stringify(value)} is not an interface name`, {
      field,
    });
  }
  return value;
}

export function checkPort(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw new ArpFixError('ARPFIX_INVALID_FIELD', `${field}: a port is an integer from 1 to 65535`, { field });
  }
  return value;
}

/** A VIP with the service ports to check for a listener (none: any port on the VIP). */
export interface VipSpec {
  address: string;
  ports?: readonly number[];
}

export interface CheckedVip extends Vip {
  ports: number[];
}

/** Validates a list of VIPs (strings or `{ address, ports }`); fields are `vips[i]`, `vips[i].ports[j]`. */
export function checkVips(vips: unknown, field = 'vips'): CheckedVip[] {
  if (!Array.isArray(vips) || vips.length === 0) {
    throw new ArpFixError('ARPFIX_INVALID_FIELD', `${field}: give at least one VIP`, { field });
  }
  return vips.map((entry: unknown, i) => {
    const at = `${field}[${i}]`;
    if (typeof entry === 'string') return { ...parseVip(entry, at), ports: [] };
    if (typeof entry !== 'object' || entry === null) {
      throw new ArpFixError('ARPFIX_INVALID_FIELD', `${at}: a VIP is an address or { address, ports }`, { field: at });
    }
    const spec = entry as { address?: unknown; ports?: unknown };
    const vip = parseVip(spec.address, `${at}.address`);
    if (spec.ports !== undefined && !Array.isArray(spec.ports)) {
      throw new ArpFixError('ARPFIX_INVALID_FIELD', `${at}.ports: a list of ports`, { field: `${at}.ports` });
    }
    const ports = ((spec.ports as unknown[] | undefined) ?? []).map((p, j) => checkPort(p, `${at}.ports[${j}]`));
    return { ...vip, ports };
  });
}
