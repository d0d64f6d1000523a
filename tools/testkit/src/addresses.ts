import { BlockList, isIP } from 'node:net';
import { TestkitError } from './errors.js';

/**
 * Test topologies may only use the documentation ranges (RFC 5737, RFC 3849): traffic
 * to anything else could leave the sandbox, and such traffic is flagged on these machines.
 */
const documentation = new BlockList();
documentation.addSubnet('192.0.2.0', 24, 'ipv4');
documentation.addSubnet('198.51.100.0', 24, 'ipv4');
documentation.addSubnet('203.0.113.0', 24, 'ipv4');
documentation.addSubnet('2001:db8::', 32, 'ipv6');

export const DOCUMENTATION_RANGES = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32'] as const;

export function isDocumentationAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return documentation.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export interface ParsedCidr {
  address: string;
  prefix: number;
  family: 4 | 6;
}

/** Parses `address/prefix` (prefix optional: a host route) and insists on a documentation range. */
export function documentationCidr(cidr: string): ParsedCidr {
  const [address = '', prefixText, extra] = cidr.split('/');
  const family = isIP(address);
  const max = family === 6 ? 128 : 32;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (family === 0 || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
    throw new TestkitError(
      'TESTKIT_ADDRESS_NOT_DOCUMENTATION',
      `not an address or address/prefix: ${JSON.stringify(cidr)}`,
    );
  }
  if (!isDocumentationAddress(address)) {
    throw new TestkitError(
      'TESTKIT_ADDRESS_NOT_DOCUMENTATION',
      `${cidr} is outside the documentation ranges (${DOCUMENTATION_RANGES.join(', ')}); test networks use only those`,
    );
  }
  return { address, prefix, family: family as 4 | 6 };
}
