/**
 * The network section's rules that span fields: every gateway is reachable (in the
 * network of a configured interface address), routes are of one family and listed once.
 * A gateway nothing can reach would be written to systemd-networkd and cut the appliance
 * off its routed networks at the next boot; refused here, before anything is stored.
 */
import type { ApplianceErrorCode } from '../errors.js';
import { addressBits, isLinkLocal, networkHolds } from './addresses.js';
import type { NetworkSettings } from './schema.js';

type Fail = (code: ApplianceErrorCode, field: string, message: string) => void;

const familyOf = (ip: string): 4 | 6 | undefined => addressBits(ip)?.family;

/** The configured interface whose network holds `gateway` (one named: only it), or undefined. */
export function interfaceFor(network: NetworkSettings, gateway: string, only?: string): string | undefined {
  for (const nic of network.interfaces) {
    if (only !== undefined && nic.name !== only) continue;
    if (nic.addresses.some((cidr) => networkHolds(cidr, gateway))) return nic.name;
  }
  return undefined;
}

/** Whether any configured interface has an address of this family. */
function hasFamily(network: NetworkSettings, family: 4 | 6): boolean {
  return network.interfaces.some((nic) => nic.addresses.some((cidr) => familyOf(cidr.split('/')[0] ?? '') === family));
}

export function checkNetwork(network: NetworkSettings, fail: Fail): void {
  const networks = (family: 4 | 6) =>
    network.interfaces
      .flatMap((nic) => nic.addresses.filter((cidr) => familyOf(cidr.split('/')[0] ?? '') === family))
      .join(', ');
  for (const family of [4, 6] as const) {
    const gateway = network.defaultGateway[family === 4 ? 'ipv4' : 'ipv6'];
    // No configured address of the family: the host's own (DHCP, the factory file) may reach it.
    if (gateway === undefined || !hasFamily(network, family) || isLinkLocal(gateway)) continue;
    if (interfaceFor(network, gateway) === undefined) {
      fail(
        'CONFIG_GATEWAY_UNREACHABLE',
        `network.defaultGateway.ipv${family}`,
        `${gateway} is outside every configured interface network (${networks(family)})`,
      );
    }
  }
  const seen = new Map<string, number>();
  (network.routes ?? []).forEach((route, i) => {
    const at = `network.routes[${i}]`;
    const destination = familyOf(route.destination.split('/')[0] ?? '');
    const family = familyOf(route.gateway);
    if (destination !== family) {
      fail('CONFIG_ADDRESS_FAMILY', `${at}.gateway`, `must be IPv${destination} like the destination`);
      return;
    }
    const key = `${canonicalNetwork(route.destination)} ${route.metric ?? ''}`;
    const first = seen.get(key);
    if (first !== undefined) {
      fail(
        'CONFIG_CONFLICT',
        `${at}.destination`,
        `${route.destination} is already routed by network.routes[${first}]`,
      );
    } else seen.set(key, i);
    if (route.interface !== undefined && !network.interfaces.some((nic) => nic.name === route.interface)) {
      fail('CONFIG_UNKNOWN_REFERENCE', `${at}.interface`, `no interface "${route.interface}" is configured`);
      return;
    }
    if (isLinkLocal(route.gateway)) {
      if (route.interface === undefined) {
        fail('CONFIG_CONFLICT', `${at}.interface`, 'a link-local gateway needs its interface');
      }
      return;
    }
    if (interfaceFor(network, route.gateway, route.interface) === undefined) {
      const where =
        route.interface === undefined ? 'every configured interface network' : `${route.interface}'s networks`;
      fail('CONFIG_GATEWAY_UNREACHABLE', `${at}.gateway`, `${route.gateway} is outside ${where}`);
    }
  });
}

/** `192.0.2.7/24` -> `192.0.2.0/24`, so that two spellings of one network collide. */
function canonicalNetwork(cidr: string): string {
  const [base = '', prefix = '0'] = cidr.split('/');
  const bits = addressBits(base);
  if (bits === undefined) return cidr;
  const width = bits.family === 4 ? 32 : 128;
  const shift = BigInt(width - Number(prefix));
  return `${bits.family}:${(bits.value >> shift).toString(16)}/${prefix}`;
}
