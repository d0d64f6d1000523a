import { BlockList, isIPv6 } from 'node:net';
import type { ApplianceConfig } from '../../config/schema.js';

export interface AddressPlacement {
  /** `address/prefix`. */
  cidr: string;
  interface: string;
  /** `floating IP`, `VIP of layer4 web`, ... */
  why: string;
}

export interface HostAddress {
  interface: string;
  address: string;
  prefix: number;
}

function inNetwork(address: string, network: HostAddress): boolean {
  const type = isIPv6(address) ? 'ipv6' : 'ipv4';
  if (isIPv6(network.address) !== (type === 'ipv6')) return false;
  const list = new BlockList();
  list.addSubnet(network.address, network.prefix, type);
  return list.check(address, type);
}

/** The interface whose network holds the address (the longest prefix wins), skipping host routes. */
function interfaceFor(address: string, onHost: readonly HostAddress[]): HostAddress | undefined {
  let best: HostAddress | undefined;
  for (const a of onHost) {
    const max = isIPv6(a.address) ? 128 : 32;
    if (a.prefix >= max || a.interface === 'lo') continue;
    if (inNetwork(address, a) && (!best || a.prefix > best.prefix)) best = a;
  }
  return best;
}

/**
 * Where each floating IP and VIP goes: a floating IP on its configured interface, else (as
 * every VIP) on the interface whose network holds it, with that network's prefix length.
 */
export function placeAddresses(
  config: ApplianceConfig,
  onHost: readonly HostAddress[],
): { placed: AddressPlacement[]; unplaced: string[] } {
  const placed: AddressPlacement[] = [];
  const unplaced: string[] = [];
  const seen = new Set<string>();
  for (const f of config.floatingIps) {
    const [address = '', prefix = ''] = f.address.split('/');
    seen.add(address);
    const ifname = f.interface ?? interfaceFor(address, onHost)?.interface;
    if (ifname) placed.push({ cidr: `${address}/${prefix}`, interface: ifname, why: 'floating IP' });
    else unplaced.push(f.address);
  }
  const vips = [
    ...config.layer4.map((s) => ({ address: s.vip, why: `VIP of layer4 ${s.label}` })),
    ...config.layer7.map((s) => ({ address: s.vip, why: `VIP of layer7 ${s.label}` })),
    ...config.ssl.map((s) => ({ address: s.vip, why: `VIP of ssl ${s.label}` })),
  ];
  for (const vip of vips) {
    if (seen.has(vip.address)) continue;
    seen.add(vip.address);
    const network = interfaceFor(vip.address, onHost);
    if (network) placed.push({ cidr: `${vip.address}/${network.prefix}`, interface: network.interface, why: vip.why });
    else unplaced.push(vip.address);
  }
  return { placed, unplaced };
}
